"""Who reports a news item and whom it cites, found in its text; the attribution line.

Kazakhstan outlets credit their sources in a few fixed turns of phrase: "…, передаёт
Ulysmedia.kz со ссылкой на Акорду", "по данным Минздрава", "… деп хабарлайды Kazinform",
"Ақордаға сілтеме жасап", "according to the Ministry of Energy". This module finds the
credited chain (outermost first), resolves each name to its dictionary form and, where
possible, to a known source, picks the origin, and writes one attribution line in the
output's language with the right grammatical case.

Everything here is pure: values in, values out. The only state is the lazily created
pymorphy3 analyzer and ``lru_cache`` caches of its answers.

Decisions (documented here because readers of the output rely on them):

* The chain is ordered by level, then by position: the outlet that passes the news on
  ("передаёт X", "X reports", "деп хабарлайды X") first, then whom it cites ("со ссылкой на",
  "citing", "сілтеме жасап"), then where the facts come from ("по данным", "сообщили в",
  press services, "according to"). A reporter that is an institution or a press service
  ("сообщает пресс-служба Минздрава") counts as a primary source, not as an outlet.
* Several credited names are all shown, in chain order, joined by a conjunction:
  "со ссылкой на ТАСС и Минэнерго", "ТАСС-қа және Энергетика министрлігіне сілтеме жасап",
  "citing TASS and the Ministry of Energy". Each name carries its own case ending.
* Kazakh dative: -ға/-ге after vowels and voiced consonants, -қа/-ке after voiceless ones
  (final б, в, г, д are devoiced), -на/-не after the 3rd person possessive (-ы/-і, -сы/-сі)
  of a compound name ("министрлігіне"); back or front by the last vowel. Names in Latin
  script, abbreviations and names ending in a digit take the suffix after a hyphen, chosen
  by a rough reading of the name ("Reuters-ке", "ТАСС-қа", "Хабар 24-ке"); a source's
  configured ``kk_dat`` form wins.
* A credit of the publisher itself ("передаёт Ulysmedia.kz" in Ulysmedia's own item) is
  not a citation: it is dropped before the origin is chosen.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import pymorphy3

__all__ = [
    "BUILTIN_SOURCES",
    "DEFAULT_TEMPLATES",
    "Attribution",
    "Credit",
    "KnownSource",
    "SourceDirectory",
    "StoryMember",
    "attribute",
    "find_credits",
    "inflect",
    "kazakh_dative",
    "lemmatize",
    "render_line",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


def _frozen_forms() -> Mapping[str, str]:
    return _EMPTY


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class KnownSource:
    """A source that credits can be matched to.

    ``forms`` holds grammatical forms given by config: Russian cases ("acc", "gen", …),
    the display name in other languages ("kk", "en") and the Kazakh dative ("kk_dat").
    ``kind`` is "outlet" (passes news on) or "institution" (makes it).
    """

    id: str | None
    name: str
    aliases: tuple[str, ...] = ()
    forms: Mapping[str, str] = field(default_factory=_frozen_forms)
    kind: str = "outlet"

    def __post_init__(self) -> None:
        if not isinstance(self.forms, MappingProxyType):
            object.__setattr__(self, "forms", MappingProxyType(dict(self.forms)))

    def __hash__(self) -> int:
        return hash((self.id, self.name, self.aliases, self.kind))


@dataclass(frozen=True)
class Credit:
    """One credited name: dictionary form, matched configured id, and its role."""

    name: str
    source_id: str | None
    role: str  # "reports" or "cites"


@dataclass(frozen=True)
class StoryMember:
    """Another item of the same story, as far as attribution needs it."""

    source_id: str
    name: str
    url: str | None
    published: datetime


@dataclass(frozen=True)
class Attribution:
    """The attribution of one entry, and its line in the output language."""

    publisher: KnownSource
    publisher_url: str | None
    credited: tuple[Credit, ...]
    origin_name: str
    origin_source_id: str | None
    origin_url: str | None
    line: str


# --------------------------------------------------------------------------- builtin sources

# One source a line: "name | alias; alias | key=form; key=form". Forms: "kk"/"en" display
# names, "kk_dat" Kazakh dative, Russian cases ("acc", …). "# kind" lines switch the kind.
_BUILTIN_TABLE = """
# outlet
Kazinform | Казинформ;МИА «Казинформ»;МИА Казинформ;ИА Казинформ;Qazinform;inform.kz
Tengrinews.kz | Tengrinews;Тенгриньюс;Тенгри Ньюс;Tengri News
Zakon.kz | Закон.кз
Ulysmedia.kz | Ulysmedia;Ulys Media;Улысмедиа
Informburo.kz | Informburo;Информбюро
Vlast.kz | Власть.кз
Kursiv | Курсив;Kursiv.media;Kursiv Media
Orda.kz | Orda;Орда
KTK | КТК;Коммерческое телевидение Казахстана
Хабар 24 | Khabar 24;Habar 24;Хабар24;Хабар | kk=Хабар 24;en=Khabar 24
Sputnik Казахстан | Sputnik;Спутник Казахстан;Sputnik Kazakhstan | en=Sputnik Kazakhstan
The Astana Times | Astana Times
Egemen Qazaqstan | Егемен Қазақстан;Егемен Казахстан;Egemen.kz
ТАСС | TASS;ИТАР-ТАСС | en=TASS
РИА Новости | RIA Novosti;РИА | en=RIA Novosti
Интерфакс | Interfax;Интерфакс-Казахстан;Interfax-Kazakhstan | en=Interfax
Reuters | Рейтер;Рейтерс
Report | Report.az;Репорт
Trend | Trend.az;Тренд
24.kz | Хабар 24.kz
Forbes Kazakhstan | Forbes.kz;Форбс Казахстан
Tengri Sport
Time.kz | Время;газета «Время»
Казахстанская правда | Kazpravda;Казправда;Kazpravda.kz | en=Kazakhstanskaya Pravda
Азаттык | Azattyq;Радио Азаттык;Азаттық;Radio Azattyq
BAQ.kz | BAQ;Бак.кз
Nur.kz | Нур.кз;NUR.KZ
Exclusive.kz | Эксклюзив
Caravan.kz | Караван
Lada.kz | Лада.кз
Kapital.kz | Капитал.кз;Капитал
Atameken Business | Atameken Business Channel;АБК
Астана ТВ | Astana TV;телеканал «Астана»
Jibek Joly | Жибек Жолы;Жібек жолы
Bloomberg | Блумберг
Associated Press | AP;Ассошиэйтед Пресс
AFP | Agence France-Presse;Франс Пресс
Xinhua | Синьхуа
Anadolu | Anadolu Agency;Анадолу
Spot.uz
24.kg
Kun.uz
Коммерсантъ | Коммерсант;Kommersant
Известия | Izvestia
Ведомости | Vedomosti
# institution
Акорда | Ақорда;Akorda;Aqorda;Акорды;резиденция Президента | kk=Ақорда;en=Akorda
пресс-служба Президента | пресс-служба Главы государства;Президент баспасөз қызметі
Администрация Президента | АП;Президент Әкімшілігі | en=Presidential Administration
Правительство | Правительство РК;Правительство Казахстана;Үкімет;Government;Kazakh government | kk=Үкімет;en=the Government
Парламент | Parlament;Parliament
Мажилис | Мажилис Парламента;Мәжіліс;Mazhilis;Majilis | kk=Мәжіліс;en=the Mazhilis
Сенат | Сенат Парламента;Senate | en=the Senate
Конституционный суд | Конституциялық сот;Constitutional Court
Верховный суд | Жоғарғы сот;Supreme Court
Генеральная прокуратура | Генпрокуратура;ГП;Бас прокуратура;Prosecutor General's Office | kk=Бас прокуратура;en=the Prosecutor General's Office
Центральная избирательная комиссия | ЦИК;Орталық сайлау комиссиясы;Central Election Commission | kk=Орталық сайлау комиссиясы;en=the Central Election Commission
Высшая аудиторская палата | ВАП;Жоғары аудиторлық палата;Supreme Audit Chamber
Национальный банк | Нацбанк;НБК;Национальный банк Казахстана;Ұлттық банк;National Bank | kk=Ұлттық банк;en=the National Bank
Комитет национальной безопасности | КНБ;Ұлттық қауіпсіздік комитеті;ҰҚК;National Security Committee | kk=ҰҚК;en=the National Security Committee
Служба государственной охраны | СГО;Мемлекеттік күзет қызметі
Служба центральных коммуникаций | СЦК;Орталық коммуникациялар қызметі
Бюро национальной статистики | БНС;Ұлттық статистика бюросы;Bureau of National Statistics;Нацстатбюро | kk=Ұлттық статистика бюросы;en=the Bureau of National Statistics
Агентство по стратегическому планированию и реформам | АСПР;Стратегиялық жоспарлау және реформалар агенттігі
Агентство по противодействию коррупции | Антикоррупционная служба;Антикор;Сыбайлас жемқорлыққа қарсы іс-қимыл агенттігі;Anti-Corruption Agency | en=the Anti-Corruption Agency
Агентство по финансовому мониторингу | АФМ;Қаржылық мониторинг агенттігі;Financial Monitoring Agency
Агентство по регулированию и развитию финансового рынка | АРРФР;Қаржы нарығын реттеу және дамыту агенттігі;Financial Market Regulation Agency
Агентство по защите и развитию конкуренции | АЗРК;Бәсекелестікті қорғау және дамыту агенттігі
Агентство по делам государственной службы | АДГС;Мемлекеттік қызмет істері агенттігі
Министерство здравоохранения | Минздрав;МЗ;Министерство здравоохранения РК;Денсаулық сақтау министрлігі;ДСМ;Ministry of Health;Ministry of Healthcare;Health Ministry | kk=Денсаулық сақтау министрлігі;en=the Ministry of Health
Министерство внутренних дел | МВД;Ішкі істер министрлігі;ІІМ;Ministry of Internal Affairs;Interior Ministry | kk=Ішкі істер министрлігі;en=the Ministry of Internal Affairs
Министерство по чрезвычайным ситуациям | МЧС;Төтенше жағдайлар министрлігі;ТЖМ;Ministry of Emergency Situations;Emergency Situations Ministry | kk=Төтенше жағдайлар министрлігі;en=the Ministry of Emergency Situations
Министерство иностранных дел | МИД;Сыртқы істер министрлігі;СІМ;Ministry of Foreign Affairs;Foreign Ministry | kk=Сыртқы істер министрлігі;en=the Ministry of Foreign Affairs
Министерство обороны | Минобороны;МО;Қорғаныс министрлігі;Ministry of Defense;Defence Ministry
Министерство юстиции | Минюст;Әділет министрлігі;Ministry of Justice
Министерство финансов | Минфин;Қаржы министрлігі;Ministry of Finance
Министерство национальной экономики | МНЭ;Минэкономики;Ұлттық экономика министрлігі;Ministry of National Economy
Министерство энергетики | Минэнерго;Энергетика министрлігі;Ministry of Energy;Energy Ministry | kk=Энергетика министрлігі;en=the Ministry of Energy
Министерство просвещения | Минпросвещения;Оқу-ағарту министрлігі;Ministry of Education
Министерство науки и высшего образования | МНВО;Ғылым және жоғары білім министрлігі;Ministry of Science and Higher Education
Министерство труда и социальной защиты населения | Минтруда;МТСЗН;Еңбек және халықты әлеуметтік қорғау министрлігі;Ministry of Labor
Министерство сельского хозяйства | Минсельхоз;МСХ;Ауыл шаруашылығы министрлігі;Ministry of Agriculture
Министерство транспорта | Минтранс;Көлік министрлігі;Ministry of Transport
Министерство промышленности и строительства | МПС;Өнеркәсіп және құрылыс министрлігі;Ministry of Industry and Construction
Министерство торговли и интеграции | МТИ;Минторговли;Сауда және интеграция министрлігі;Ministry of Trade and Integration
Министерство экологии и природных ресурсов | Минэкологии;МЭПР;Экология және табиғи ресурстар министрлігі;Ministry of Ecology
Министерство водных ресурсов и ирригации | МВРИ;Су ресурстары және ирригация министрлігі;Ministry of Water Resources
Министерство культуры и информации | Минкультуры;МКИ;Мәдениет және ақпарат министрлігі;Ministry of Culture and Information
Министерство туризма и спорта | Минтуризма;МТС;Туризм және спорт министрлігі;Ministry of Tourism and Sports
Министерство цифрового развития, инноваций и аэрокосмической промышленности | МЦРИАП;Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі;Ministry of Digital Development
Министерство искусственного интеллекта и цифрового развития | МИИЦР;Жасанды интеллект және цифрлық даму министрлігі
Министерство образования | Минобразования
Министерство информации и общественного развития | МИОР
Министерство индустрии и инфраструктурного развития | МИИР
Министерство цифрового развития | МЦР
Комитет по чрезвычайным ситуациям | КЧС
Комитет по правовой статистике и специальным учетам | КПСиСУ;Құқықтық статистика және арнайы есепке алу комитеті
Комитет государственных доходов | КГД;Мемлекеттік кірістер комитеті
Комитет санитарно-эпидемиологического контроля | КСЭК;Санитариялық-эпидемиологиялық бақылау комитеті
Комитет административной полиции
Комитет уголовно-исполнительной системы | КУИС
Комитет лесного хозяйства и животного мира
Комитет по делам молодежи и семьи
Комитет автомобильных дорог
Комитет гражданской авиации | КГА;Азаматтық авиация комитеті
Комитет транспорта
Комитет по статистике | Комстат
Пограничная служба КНБ | Погранслужба;Шекара қызметі
Департамент полиции Алматы | ДП Алматы;ДП города Алматы;Департамент полиции города Алматы;Алматы полиция департаменті
Департамент полиции Астаны | ДП Астаны;ДП столицы;Департамент полиции столицы;Департамент полиции города Астаны;Астана полиция департаменті
Департамент полиции Шымкента | ДП Шымкента;Департамент полиции города Шымкента
Департамент по чрезвычайным ситуациям Алматы | ДЧС Алматы;ДЧС города Алматы
Департамент по чрезвычайным ситуациям Астаны | ДЧС Астаны;ДЧС столицы
Управление здравоохранения Алматы
Управление здравоохранения Астаны
Управление образования Алматы
Управление образования Астаны
акимат Астаны | акимат столицы;акимат города Астаны;Астана қаласының әкімдігі;Астана әкімдігі;Akimat of Astana;Astana Akimat;Astana city akimat | kk=Астана қаласының әкімдігі;en=the Astana Akimat
акимат Алматы | акимат города Алматы;Алматы қаласының әкімдігі;Алматы әкімдігі;Akimat of Almaty;Almaty Akimat;Almaty city akimat | kk=Алматы қаласының әкімдігі;en=the Almaty Akimat
акимат Шымкента | акимат города Шымкента;Шымкент қаласының әкімдігі;Шымкент әкімдігі;Shymkent Akimat
акимат Абайской области | акимат области Абай;Абай облысының әкімдігі
акимат Акмолинской области | Ақмола облысының әкімдігі
акимат Актюбинской области | Ақтөбе облысының әкімдігі
акимат Алматинской области | Алматы облысының әкімдігі
акимат Атырауской области | Атырау облысының әкімдігі
акимат Восточно-Казахстанской области | акимат ВКО;Шығыс Қазақстан облысының әкімдігі
акимат Жамбылской области | Жамбыл облысының әкімдігі
акимат области Жетысу | акимат Жетысуской области;Жетісу облысының әкімдігі
акимат Западно-Казахстанской области | акимат ЗКО;Батыс Қазақстан облысының әкімдігі
акимат Карагандинской области | Қарағанды облысының әкімдігі
акимат Костанайской области | Қостанай облысының әкімдігі
акимат Кызылординской области | Қызылорда облысының әкімдігі
акимат Мангистауской области | Маңғыстау облысының әкімдігі
акимат Павлодарской области | Павлодар облысының әкімдігі
акимат Северо-Казахстанской области | акимат СКО;Солтүстік Қазақстан облысының әкімдігі
акимат Туркестанской области | Түркістан облысының әкімдігі
акимат области Улытау | акимат Улытауской области;Ұлытау облысының әкімдігі
акимат Караганды | акимат города Караганды
акимат Актобе | акимат города Актобе
Национальная палата предпринимателей «Атамекен» | НПП «Атамекен»;НПП Атамекен;Атамекен;Атамекен ҰКП
Фонд национального благосостояния «Самрук-Казына» | Самрук-Казына;ФНБ «Самрук-Казына»;Samruk-Kazyna
Единый накопительный пенсионный фонд | ЕНПФ;БЖЗҚ;Бірыңғай жинақтаушы зейнетақы қоры
Фонд социального медицинского страхования | ФСМС;Әлеуметтік медициналық сақтандыру қоры
Государственный фонд социального страхования | ГФСС
Казгидромет | РГП «Казгидромет»;Қазгидромет;Kazhydromet | kk=Қазгидромет;en=Kazhydromet
Казахстанская фондовая биржа | KASE;Kazakhstan Stock Exchange
Астанинская международная биржа | AIX;МФЦА
Международный финансовый центр «Астана» | МФЦА;AIFC
КазМунайГаз | НК «КазМунайГаз»;KazMunayGas;ҚазМұнайГаз;КМГ
Казахстан темир жолы | КТЖ;Қазақстан темір жолы;KTZ;АО «НК «Казахстан темир жолы»
Казахтелеком | Kazakhtelecom
KEGOC | КЕГОК
Казпочта | Kazpost;Қазпошта
Air Astana | Эйр Астана
Байтерек | Холдинг «Байтерек»;Baiterek
Отбасы банк | Otbasy Bank
Халық банк | Halyk Bank;Народный банк
Министерство энергетики и минеральных ресурсов
Военная прокуратура
Прокуратура Алматы | прокуратура города Алматы
Прокуратура Астаны | прокуратура столицы;прокуратура города Астаны
Транспортная прокуратура
Антимонопольный комитет
Счетный комитет | Счетный комитет по контролю за исполнением республиканского бюджета
Уполномоченный по правам человека | Омбудсмен
Ассамблея народа Казахстана | АНК;Қазақстан халқы Ассамблеясы
Национальный курултай | Ұлттық құрылтай
Казахстанский институт стратегических исследований | КИСИ
Национальный центр общественного здравоохранения | НЦОЗ
Министерство энергетики Казахстана
Назарбаев Университет | Nazarbayev University;NU
Казахский национальный университет имени аль-Фараби | КазНУ;ҚазҰУ
Евразийский национальный университет | ЕНУ
Туристская полиция
Министерство информации
Национальная гвардия | Нацгвардия;Ұлттық ұлан
Вооруженные силы | ВС РК;Қарулы күштер
Агентство по атомной энергии
Агентство по делам спорта и физической культуры
Государственная инспекция труда
Продовольственная контрактная корпорация | ПКК
Казавтожол | Қазавтожол
Казводхоз | Қазсушар;Казводхоз
"""  # noqa: E501


def _parse_forms(extra: str) -> dict[str, str]:
    forms: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in extra.split(";"))):
        key, _, value = part.partition("=")
        forms[key.strip()] = value.strip()
    return forms


def _parse_table(table: str) -> tuple[KnownSource, ...]:
    sources: list[KnownSource] = []
    kind = "outlet"
    for line in filter(None, (raw.strip() for raw in table.splitlines())):
        if line.startswith("#"):
            kind = line.lstrip("# ")
            continue
        name, _, rest = line.partition("|")
        aliases, _, extra = rest.partition("|")
        sources.append(
            KnownSource(
                id=None,
                name=name.strip(),
                aliases=tuple(a.strip() for a in aliases.split(";") if a.strip()),
                forms=_parse_forms(extra),
                kind=kind,
            )
        )
    return tuple(sources)


BUILTIN_SOURCES: tuple[KnownSource, ...] = _parse_table(_BUILTIN_TABLE)

# --------------------------------------------------------------------------- morphology


@functools.lru_cache(maxsize=1)
def _morph() -> Any:
    """The pymorphy3 analyzer, created once on first use (it takes ~0.3 s)."""
    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=65536)
def _parses(word: str) -> tuple[Any, ...]:
    try:
        return tuple(_morph().parse(word))
    except (KeyError, ValueError):  # pymorphy3 fails on some non-Cyrillic letters (U+17000…)
        return ()


_CASES = {
    "nom": "nomn",
    "nomn": "nomn",
    "gen": "gent",
    "gent": "gent",
    "dat": "datv",
    "datv": "datv",
    "acc": "accs",
    "accs": "accs",
    "ins": "ablt",
    "abl": "ablt",
    "ablt": "ablt",
    "loc": "loct",
    "loct": "loct",
    "prep": "loct",
}
_CYRILLIC_WORD = re.compile(r"^[А-Яа-яЁё][а-яё]*(?:-[А-Яа-яЁё][а-яё]*)?$")
_KAZAKH_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")


def _is_declinable_word(word: str) -> bool:
    """A Russian word pymorphy can decline: Cyrillic, not an abbreviation, no Kazakh letters."""
    return bool(_CYRILLIC_WORD.match(word)) and not _KAZAKH_LETTERS.intersection(word)


def _restore_case(original: str, word: str) -> str:
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _nominative_parse(word: str, pos: str) -> Any | None:
    """The parse of ``word`` as a nominative ``pos`` whose dictionary form is the word itself.

    This is what defeats pymorphy's traps: 'Акорда' is first read as the genitive of
    'акорд'; we want the reading whose normal form is 'акорда'.
    """
    low = word.lower().replace("ё", "е")
    candidates = [p for p in _parses(word.lower()) if pos == p.tag.POS and p.tag.case == "nomn"]
    for p in candidates:
        itself = p.normal_form.replace("ё", "е") == low or p.word.replace("ё", "е") == low
        if itself and (pos != "NOUN" or p.tag.number != "plur" or len(candidates) == 1):
            return p
    return candidates[0] if candidates else None


def _accusative_noun(word: str, parse: Any) -> str:
    """Accusative of an organisation's head noun, read as inanimate."""
    if "Fixd" in parse.tag or parse.tag.number == "plur" or parse.tag.gender != "femn":
        return word  # inanimate masculine, neuter, plural and indeclinable: acc = nom
    for end, new in (("а", "у"), ("я", "ю")):
        if word.endswith(end):
            return word[: -len(end)] + new
    return word  # feminine in -ь


def _accusative_adjective(word: str, gender: str | None) -> str:
    if gender == "femn":
        for end, new in (("ая", "ую"), ("яя", "юю")):
            if word.endswith(end):
                return word[: -len(end)] + new
    return word


def _inflect_word(word: str, parse: Any, grammeme: str) -> str:
    if grammeme == "nomn":
        return word
    target = {grammeme}
    if parse.tag.POS == "ADJF":
        target |= {parse.tag.gender or "plur", "sing" if parse.tag.gender else "plur"}
        if grammeme == "accs" and parse.tag.gender in ("masc", None):
            target.add("inan")
    form = parse.inflect(target)
    if form is not None and parse.tag.POS == "ADJF" and not form.word.startswith(word.lower()[:-2]):
        # 'высшая' shares its lexeme with 'высокий'/'высочайший': keep the same stem.
        stem = word.lower()[:-2]
        same = [f for f in parse.lexeme if f.word.startswith(stem) and target <= f.tag.grammemes]
        form = same[0] if same else None
    return _restore_case(word, form.word) if form is not None else word


def _split_words(name: str) -> list[str]:
    return name.split(" ")


def _head_span(words: Sequence[str]) -> tuple[list[Any], int] | None:
    """Parses of leading agreeing adjectives and the head noun, or None."""
    parses: list[Any] = []
    for i, word in enumerate(words[:5]):
        if not _is_declinable_word(word):
            return None
        adj = _nominative_parse(word, "ADJF")
        noun = _nominative_parse(word, "NOUN")
        last = i == len(words) - 1
        adjectival = word.endswith(("ая", "яя", "ый", "ий", "ой", "ое", "ее", "ые", "ие"))
        if noun is not None and (adj is None or last or not adjectival):
            return [*parses, noun], i
        if adj is None:
            return None
        parses.append(adj)
    return None


def _substantivized(words: Sequence[str]) -> bool:
    """'Уполномоченный по правам человека': an adjective used as a noun (a person)."""
    if len(words) < 2 or not _is_declinable_word(words[0]) or words[0][-2:] not in ("ый", "ий"):
        return False
    if _nominative_parse(words[0], "ADJF") is None or _nominative_parse(words[0], "NOUN"):
        return False
    return words[1].lower() in ("по", "при")


@functools.lru_cache(maxsize=8192)
def _inflect_cached(name: str, grammeme: str) -> str:
    words = _split_words(name)
    if _substantivized(words):
        # A person's title: animate, so its accusative is its genitive.
        adj = _nominative_parse(words[0], "ADJF")
        target = "gent" if grammeme == "accs" else grammeme
        return " ".join([_inflect_word(words[0], adj, target), *words[1:]])
    found = _head_span(words)
    if found is None:
        return name
    parses, head = found
    noun = parses[-1]
    if "Fixd" in noun.tag:
        return name
    if "Geox" in noun.tag and head + 1 < len(words) and _is_namey(words[head + 1]):
        return name  # 'Астана Су Арнасы', 'Астана ТВ': a compound proper name
    out = list(words)
    for i, parse in enumerate(parses):
        if grammeme == "accs":
            out[i] = (
                _accusative_noun(words[i], parse)
                if i == head
                else _accusative_adjective(words[i], noun.tag.gender)
            )
        else:
            out[i] = _inflect_word(words[i], parse, grammeme)
    return " ".join(out)


def inflect(name: str, case: str, forms: Mapping[str, str] | None = None) -> str:
    """Russian case form of a source name.

    Args:
        name: the name in its dictionary (nominative) form.
        case: 'nom', 'gen', 'dat', 'acc', 'ins', 'loct' (pymorphy names work too).
        forms: configured forms; ``forms[case]`` wins over the analyzer.

    Only the head noun and the adjectives agreeing with it before it change:
    'Генеральная прокуратура' -> 'Генеральную прокуратуру', 'акимат Алматы' unchanged.
    Abbreviations, Latin and Kazakh names, quoted and indeclinable names stay as they are;
    organisations are inanimate. Unknown case names raise ValueError.
    """
    if forms:
        for key in (case, _CASES.get(case, case)):
            if key in forms:
                return forms[key]
    if case not in _CASES:
        raise ValueError(f"unknown case {case!r}; use one of {sorted(_CASES)}")
    if not name.strip():
        return name
    return _inflect_cached(name, _CASES[case])


_ADJ_ENDINGS = (
    "ыми",
    "ими",
    "ого",
    "его",
    "ому",
    "ему",
    "ой",
    "ей",
    "ую",
    "юю",
    "ым",
    "им",
    "ом",
    "ем",
    "ых",
    "их",
    "ая",
    "яя",
    "ые",
    "ие",
    "ое",
    "ее",
    "ый",
    "ий",
)


def _adjective_nominative(word: str, gender: str | None, number: str | None) -> str:
    """Nominative of an adjective by its ending; pymorphy would turn 'Высшую' into 'Высочайшая'."""
    for ending in _ADJ_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            break
    else:
        return word
    hushing = stem[-1:] in "жшчщцкгх"
    soft = ending[:1] in "еяюи" and not hushing
    if number == "plur" or gender is None:
        new = "ие" if soft or hushing else "ые"
    elif gender == "femn":
        new = "яя" if soft else "ая"
    elif gender == "neut":
        new = "ее" if soft else "ое"
    else:
        new = "ий" if soft or stem[-1:] in "кгхжшчщ" else "ый"
    return stem + new


@functools.lru_cache(maxsize=8192)
def _lemmatize_cached(name: str, grammeme: str) -> str:
    words = _split_words(name)
    out = list(words)
    for i, word in enumerate(words[:5]):
        if not _is_declinable_word(word):
            break
        parses = [p for p in _parses(word.lower()) if p.tag.case == grammeme]
        parses = [p for p in parses if p.tag.POS in ("NOUN", "ADJF")]
        if not parses:
            break
        sing = [p for p in parses if p.tag.number == "sing" and "anim" not in p.tag] or parses
        best = sing[0]
        if best.tag.POS == "ADJF":
            out[i] = _adjective_nominative(word, best.tag.gender, best.tag.number)
        else:
            form = best.inflect({"nomn"} | ({"sing"} if best.tag.number == "sing" else set()))
            if form is None:
                break
            out[i] = _restore_case(word, form.word)
        if best.tag.POS == "NOUN":
            break
    return " ".join(out)


def lemmatize(name: str, case: str) -> str:
    """Dictionary form of a Russian name found in ``case``: 'Акорду' (acc) -> 'Акорда'.

    The head noun and adjectives before it go back to the nominative; genitive dependents
    stay ('пресс-службы Минздрава' -> 'пресс-служба Минздрава').
    """
    grammeme = _CASES.get(case, "nomn")
    if grammeme == "nomn" or not name:
        return name
    return _lemmatize_cached(name, grammeme)


# --------------------------------------------------------------------------- matching

_KK_TO_RU = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІё", "агкноуухиАГКНОУУХИе")
_LATIN_DIGRAPHS = (("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ya", "я"))
_LATIN_TO_RU = str.maketrans(
    {
        "a": "а", "ä": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г",
        "ğ": "г", "h": "х", "i": "и", "ı": "ы", "j": "ж", "k": "к", "l": "л", "m": "м",
        "n": "н", "ñ": "н", "o": "о", "ö": "о", "p": "п", "q": "к", "r": "р", "s": "с",
        "ş": "ш", "ç": "ч", "t": "т", "u": "у", "ū": "у", "ü": "у", "v": "в", "w": "у",
        "x": "х", "y": "ы", "z": "з",
    }
)  # fmt: skip
_SUFFIX_LIST = (
    "ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "нын", "нин", "дын", "дин", "тын",
    "тин", "ой", "ей", "ую", "юю", "ая", "яя", "ое", "ее", "ом", "ем", "ам", "ям", "ах", "ях",
    "ов", "ев", "ый", "ий", "ых", "их", "га", "ге", "ка", "ке", "на", "не", "а", "я", "у", "ю",
    "ы", "и", "е", "о", "ь", "й",
)  # fmt: skip
_SUFFIXES = sorted(_SUFFIX_LIST, key=len, reverse=True)
_KEY_STOP = frozenset((
    "рк", "кр", "кр", "р", "республик", "казахстан", "the", "of", "пресс", "служб", "баспасоз",
    "кызмет", "press", "service", "сайт", "портал", "агентств", "агенттиг", "издани", "газет",
    "телеканал", "корреспондент", "тилшис", "город", "калас", "official", "website", "offic",
))  # fmt: skip
_DOMAIN = re.compile(r"\.(?:kz|ru|com|org|net|info|kg|uz|az)\b", re.IGNORECASE)


def _stem(token: str) -> str:
    for _ in range(2):
        for suffix in _SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                token = token[: -len(suffix)]
                break
        else:
            break
    return token


def _latin_to_cyrillic(token: str) -> str:
    for latin, cyr in _LATIN_DIGRAPHS:
        token = token.replace(latin, cyr)
    return token.translate(_LATIN_TO_RU)


def name_key(name: str) -> str:
    """An inflection- and script-tolerant key: 'Акорду', 'Ақорда', 'Aqorda' -> 'акорд'."""
    text = _DOMAIN.sub("", name.casefold()).translate(_KK_TO_RU)
    tokens = re.findall(r"[^\W_]+", text.replace("'s", ""))
    stems = [_stem(_latin_to_cyrillic(t)) for t in tokens]
    kept = [
        s for t, s in zip(tokens, stems, strict=True) if t not in _KEY_STOP and s not in _KEY_STOP
    ]
    return " ".join(kept or stems)


class SourceDirectory:
    """Matches names found in text to known sources via names and aliases.

    Matching is case-insensitive and tolerant of inflection and script: 'Акорду',
    'Акорды', 'Ақорда', 'Akorda' all match Акорда. Configured sources win over built-ins
    with the same key.
    """

    def __init__(self, sources: Iterable[KnownSource], include_builtin: bool = True) -> None:
        self._by_key: dict[str, KnownSource] = {}
        configured = list(sources)
        for source in configured:
            self._add(source, overwrite=True)
        if include_builtin:
            for source in BUILTIN_SOURCES:
                self._add(source, overwrite=False)

    def _add(self, source: KnownSource, overwrite: bool) -> None:
        for text in (source.name, *source.aliases):
            key = name_key(text)
            if key and (overwrite or key not in self._by_key):
                self._by_key[key] = source

    def match(self, name: str) -> KnownSource | None:
        """The known source ``name`` refers to, or None."""
        key = name_key(name)
        return self._by_key.get(key) if key else None

    def __len__(self) -> int:
        return len(set(map(id, self._by_key.values())))


# --------------------------------------------------------------------------- finding credits

_REPORTS, _CITES = "reports", "cites"
_NOISE = re.compile(
    r"(?im)(?:\b(?:фото|фотография|видео|иллюстративное\s+фото|коллаж|photo|video|image|"
    r"сурет|суреттер|foto|suret)\s*(?::|©|—|-)|©)[^\n]*$|ссылка\s+скопирована|"
    r"\b(?:фото|photo|сурет)\s*:[^.\n]*\.?"
)
_WORD = re.compile(r"«[^»\n]{1,80}»|\"[^\"\n]{1,80}\"|“[^”\n]{1,80}”|[^\s,;:!?()\[\]—–]+")
_BOUNDARY = re.compile(r"[,;:!?()\[\]—–\n]|\.(?=\s|$)|\s-\s")

_RU_CONTAINERS = re.compile(
    r"^(?:корреспондент\w*|корр\.?|собкор\w*|собственн\w+|издани\w+|портал\w*|сайт\w*|"
    r"агентств\w*|ИА|МИА|информационн\w+|газет\w+|телеканал\w*|канал\w*|телеграм-канал\w*|"
    r"telegram-канал\w*|официальн\w+|данны[емх]|страниц\w+|аккаунт\w*|журнал\w*|радио)$",
    re.IGNORECASE,
)
_RU_PRESS = re.compile(r"^пресс-служб\w*$", re.IGNORECASE)
_RU_HEADS = re.compile(
    r"^(?:министерств|минздрав|минэнерго|минфин|минюст|акимат|агентств|комитет|департамент|"
    r"управлени|служб|прокуратур|генпрокуратур|суд|полици|администраци|правительств|палат|фонд|"
    r"аппарат|канцеляри|парламент|мажилис|сенат|совет|центр|инспекци|бюро|комисси|нацбанк|"
    r"банк|ассоциаци|союз|корпораци|компани|институт|университет|больниц|гвард)",
    re.IGNORECASE,
)
_RU_PREP_IN_NAME = frozenset({"по", "и", "при", "за", "с"})
_RU_STOP_AFTER = re.compile(
    r"^(?:со|ссылаясь|сообщ\w*|передал\w*|рассказал\w*|пояснил\w*|уточнил\w*|заявил\w*|"
    r"отметил\w*|что|об|о|в|во|на|который|которая|которые|также|ранее|сегодня|вчера)$",
    re.IGNORECASE,
)
_KK_STOP = re.compile(
    r"^(?:деп|туралы|жөнінде|бұл|Бұл|осы|Осы|ал|және|сондай-ақ|мұны|Мұны|ол|Ол|"
    r"dep|turaly|jöninde|jониnde|bul|Bul|osy|Osy|jäne|jane|sondai-aq)$"
)
_KK_DAT = re.compile(r"(?:-|‑)?(?:ға|ге|қа|ке|на|не|ğa|ge|qa|ke|na|ne|ga|a|e|а|е)$")
_KK_GEN = re.compile(
    r"(?:-|‑)?(?:ның|нің|дың|дің|тың|тің|nyñ|niñ|dyñ|diñ|tyñ|tiñ|nyn|nin|dyn|din|tyn|tin)$"
)
_KK_ROLE = re.compile(
    r"^(?:тілшісі|тілшісінің|сайты|сайтының|порталы|тілшілері|агенттігінің|tilshisi|tilşisi|saity)$",
    re.IGNORECASE,
)
_EN_INNER = frozenset({"of", "and", "for", "on", "the", "in", "&"})
_EN_ORG = re.compile(
    r"(?:ministry|agency|committee|bureau|service|office|court|bank|news|times|press|akimat|"
    r"government|department|police|council|senate|mazhilis|parliament|fund|company|corporation|"
    r"commission|administration|exchange|akorda|media|\.kz|\.com|tv|radio|post|channel)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Trigger:
    pattern: re.Pattern[str]
    lang: str  # "ru", "kk", "en"
    backward: bool
    level: int  # 0 outlet passing it on, 1 cited, 2 primary source
    case: str  # case of the name after/before the trigger (ru); "dat"/"gen" for kk
    strict: bool = False  # only known sources, institutions or press services
    prefix: str = ""  # prepended to the found name (the trigger held the head noun)
    after: re.Pattern[str] | None = None  # the name must be followed by this


def _t(regex: str, lang: str, backward: bool, level: int, case: str = "nom", **kw: Any) -> _Trigger:
    return _Trigger(re.compile(regex, re.IGNORECASE), lang, backward, level, case, **kw)


_RU_VERBS_AFTER = re.compile(
    r"^\s+(?:сообщили|сообщают|рассказали|пояснили|уточнили|заявили|отметили|подтвердили|"
    r"информируют|проинформировали|сообщила|сообщило|сообщает|информирует|предупредили|"
    r"предупреждают|прокомментировали)\b",
    re.IGNORECASE,
)
_EN_VERBS_AFTER = re.compile(
    r"^\s+(?:reported|said|says|reports|announced|informed|stated|told)\b", re.IGNORECASE
)

_TRIGGERS: tuple[_Trigger, ...] = (
    _t(
        r"(?<!\w)(?:передает|передаёт|передают|сообщает|сообщают|пишет|пишут|информирует|"
        r"публикует)\s+",
        "ru",
        False,
        0,
    ),
    _t(
        r"(?<!\w)(?:сообщила|сообщило|сообщил|информировала|информировало|заявили|заявила|"
        r"заявило|уточнила|уточнило)\s+",
        "ru",
        False,
        2,
        strict=True,
    ),
    _t(r"(?<!\w)(?:данные|сведения|цифры)\s+привод(?:ит|ят)\s+", "ru", False, 0),
    _t(r"(?<!\w)(?:со\s+ссылкой|ссылаясь)\s+на\s+", "ru", False, 1, "acc"),
    _t(
        r"(?<!\w)по\s+(?:данным|информации|сведениям|сообщению|подсчетам|подсчётам)\s+",
        "ru",
        False,
        2,
        "gen",
    ),
    _t(
        r"(?<!\w)(?:сообщили|сообщают|рассказали|пояснили|уточнили|отметили|заявили|"
        r"проинформировали|подтвердили|информируют|ответили|предупредили|прокомментировали)\s+(?:в|во)\s+",
        "ru",
        False,
        2,
        "loct",
    ),
    _t(r"(?:^|(?<=[\s.,«\"]))[Вв]о?\s+(?=\S)", "ru", False, 2, "loct", after=_RU_VERBS_AFTER),
    _t(
        r"(?:^|(?<=[\s.,]))[Пп]ресс-служб[аы]\s+",
        "ru",
        False,
        2,
        "gen",
        prefix="пресс-служба",
        after=_RU_VERBS_AFTER,
    ),
    _t(
        r"(?<!\w)(?:говорится|сообщается|отмечается|указывается|информация\s+размещена|"
        r"опубликовано)\s+(?:в|на)\s+(?:официальном\s+)?(?:сообщении|пресс-релизе|релизе|"
        r"заявлении|публикации|telegram-канале|телеграм-канале|канале|сайте|странице|"
        r"аккаунте|портале)\s+",
        "ru",
        False,
        2,
        "gen",
    ),
    _t(r"(?<!\w)деп\s+(?:хабарлайды|хабарлады|жазады|жазды|хабарлап\s+отыр)\s+", "kk", False, 0),
    _t(
        r"(?<!\w)dep\s+(?:habarla[iıy]dy|xabarla[iıy]dy|habarlady|xabarlady|habarladı|jazady)\s+",
        "kk",
        False,
        0,
    ),
    _t(
        r"\s+(?:хабарлайды|хабарлады|habarla[iıy]dy|xabarla[iıy]dy|habarlady|xabarlady)"
        r"(?!\w)",
        "kk",
        True,
        0,
    ),
    _t(r"\s+(?:сілтеме|silteme)\s+(?:жасап|jasap|jasap,)", "kk", True, 1, "dat"),
    _t(
        r"\s+(?:мәліметінше|хабарлауынша|деректерінше|malimetinshe|mälimetinşe|"
        r"habarlauynsha|xabarlawınsha|derekterinshe)(?!\w)",
        "kk",
        True,
        2,
        "gen",
    ),
    _t(r"(?<!\w)(?:according\s+to|data\s+from)\s+", "en", False, 2),
    _t(r"(?<!\w)(?:citing|with\s+reference\s+to|referring\s+to|quoting)\s+", "en", False, 1),
    _t(r"(?:^|(?<=[,.]))\s*(?:reports|reported|writes|wrote)\s+", "en", False, 0),
    _t(r"\s+(?:reports|reported|writes|wrote)(?!\w)", "en", True, 0),
    _t(
        r"\s+(?:said|says|announced|stated|reported|informed)\s+in\s+(?:a|an|its|the)\s+"
        r"(?:statement|press\s+release|release|report|telegram\s+post|post|briefing)",
        "en",
        True,
        2,
    ),
    _t(
        r"\s+press\s+service\s+(?:reported|said|says|reports|announced|informed)",
        "en",
        True,
        2,
        prefix="press service",
    ),
    _t(
        r"(?<!\w)the\s+press\s+service\s+of\s+",
        "en",
        False,
        2,
        prefix="press service",
        after=_EN_VERBS_AFTER,
    ),
)


@dataclass(frozen=True)
class _Found:
    name: str
    level: int
    pos: int
    lang: str


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text.replace("\u00a0", " "))


def _span_after(text: str, start: int) -> tuple[str, int]:
    m = _BOUNDARY.search(text, start)
    end = m.start() if m else len(text)
    return text[start:end], end


def _span_before(text: str, end: int) -> str:
    starts = [m.end() for m in _BOUNDARY.finditer(text, 0, end)]
    return text[(starts[-1] if starts else 0) : end]


def _words(span: str) -> list[str]:
    return _WORD.findall(span)


def _is_latin(word: str) -> bool:
    return bool(re.search(r"[A-Za-z]", word)) and not re.search(r"[А-Яа-яЁё]", word)


def _is_namey(word: str) -> bool:
    """Could start or continue a proper name: capitalized, quoted, Latin, digits."""
    return word[:1].isupper() or word[:1] in '«"“' or word[:1].isdigit() or _is_latin(word)


def _has_case(word: str, grammemes: set[str]) -> bool:
    return any(p.tag.case in grammemes for p in _parses(word.lower()) if p.tag.POS != "VERB")


def _ru_continue(words: list[str], i: int, descriptive: bool, after_prep: bool) -> bool:
    word = words[i]
    if _RU_STOP_AFTER.match(word):
        return False
    if _is_namey(word):
        return True
    if not descriptive:
        return False
    if word.lower() in _RU_PREP_IN_NAME:
        return i + 1 < len(words)
    tags = _parses(word.lower())
    if any(p.tag.POS in ("VERB", "INFN", "ADVB", "PRTS", "GRND") for p in tags[:1]):
        return False
    return after_prep or _has_case(word, {"gent"})


def _container_before(words: list[str], i: int) -> bool:
    """'агентство Report', 'сайт Акорды': a generic word before a name, not a head."""
    nxt = words[i + 1]
    return _is_namey(nxt) or bool(_RU_CONTAINERS.match(nxt)) or bool(_RU_PRESS.match(nxt))


def _adjective_lead(words: list[str], i: int, grammeme: str) -> int:
    """Index after 'Генеральной прокуратуры'-like adjective(s) + noun starting at i, or i."""
    j = i
    while j < len(words) and j - i < 4:
        parses = [p for p in _parses(words[j].lower()) if p.tag.case == grammeme]
        if any(p.tag.POS == "ADJF" for p in parses) and j + 1 < len(words):
            j += 1
            continue
        if j > i and any(p.tag.POS == "NOUN" for p in parses):
            return j + 1
        break
    return i


def _ru_name(words: list[str], case: str) -> tuple[str, bool] | None:
    """The Russian name at the start of ``words``: (dictionary form, is institution)."""
    i, press = 0, False
    while i < len(words) - 1 and _RU_CONTAINERS.match(words[i]) and _container_before(words, i):
        i, case = i + 1, "gen"
    if i < len(words) and _RU_PRESS.match(words[i]):
        press, i = True, i + 1
    name_case = "gen" if press else case
    if i >= len(words):
        return None
    first = words[i]
    descriptive = bool(_RU_HEADS.match(first.lower()))
    if not descriptive and not _is_namey(first):
        lead_adj = _has_case(first, {_CASES[name_case]}) and i + 1 < len(words)
        if not (lead_adj and _RU_HEADS.match(words[i + 1].lower())):
            return None
        descriptive = True
    j, after_prep = i + 1, False
    lead_end = _adjective_lead(words, i, _CASES[name_case])
    if lead_end > i:
        j, descriptive = lead_end, True
    while j < len(words) and j - i < 10 and _ru_continue(words, j, descriptive, after_prep):
        after_prep = after_prep or words[j].lower() in _RU_PREP_IN_NAME
        j += 1
    name = " ".join(words[i:j]).strip('"“”')
    if press:
        return f"{lemmatize(words[i - 1], case).lower()} {name}", True
    return lemmatize(name, case), descriptive


def _kk_lemma(words: list[str], case: str) -> str:
    last = words[-1]
    if case == "dat":
        stripped = _KK_DAT.sub("", last)
        if last.endswith(("на", "не", "na", "ne")) and not stripped.endswith(("ы", "і", "y", "i")):
            stripped = last[:-2] if "-" not in last else stripped
        last = stripped or last
    elif case == "gen":
        last = _KK_GEN.sub("", last) or last
    return " ".join([*words[:-1], last]).strip('"“”')


def _kk_forward(words: list[str]) -> list[str]:
    out: list[str] = []
    for k, word in enumerate(words):
        if k + 1 < len(words) and words[k + 1].lower() in ("сілтеме", "silteme"):
            break
        if _KK_ROLE.match(word):
            if out:
                out[-1] = _KK_GEN.sub("", out[-1]) or out[-1]
            break
        out.append(word)
    return out[:8]


def _kk_backward(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in reversed(words):
        if _KK_STOP.match(word) or len(out) >= 8:
            break
        both_names = out and _is_namey(word) and _is_namey(out[0]) and not _is_abbr_qual(word)
        if both_names and not (out[0].islower() or _KK_GEN.search(word)):
            break
        if out and not _is_namey(word) and not out[0].islower() and _KK_DAT.search(out[0]):
            break
        out.insert(0, word)
    while out and out[0].islower() and not _is_namey(out[0]) and len(out) > 1:
        if any(w[:1].isupper() for w in out[1:]) and not _kk_institution_word(out[-1]):
            out.pop(0)
        else:
            break
    return out


def _kk_reporter_words(words: list[str]) -> list[str]:
    """Words naming the reporter in 'X Y-ға сілтеме жасап хабарлайды' (or '… жасап X …')."""
    lowered = [w.lower().strip(",") for w in words]
    for k, word in enumerate(lowered[:-1]):
        if word in ("сілтеме", "silteme") and lowered[k + 1] in ("жасап", "jasap"):
            if words[k + 2 :]:
                return words[k + 2 :]
            cited = _kk_backward(words[:k])
            return words[: k - len(cited)]
    return words


def _is_abbr_qual(word: str) -> bool:
    return word in ("ҚР", "QR", "РК")


def _kk_institution_word(word: str) -> bool:
    return bool(
        re.match(
            r"(?i)(?:министрлі|әкімді|комитет|агенттіг|қызмет|палата|банк|бюро|сот|прокуратура|"
            r"департамент|басқарма|ministrli|äkimdi|akimdi|qyzmet|komitet|agenttig)",
            word,
        )
    )


def _en_name(words: list[str], backward: bool) -> tuple[str, bool] | None:
    seq = list(reversed(words)) if backward else list(words)
    out: list[str] = []
    for word in seq:
        if not out and word.lower() in ("the", "data", "a", "from", "of"):
            continue
        if _is_namey(word) or (out and word.lower() in _EN_INNER):
            out.append(word)
            continue
        break
    if backward:
        out.reverse()
    while out and out[0].lower() in _EN_INNER | {"as"}:
        out.pop(0)
    while out and out[-1].lower() in _EN_INNER:
        out.pop()
    if out and out[0].endswith("'s") and len(out) > 1:
        out.pop(0)
    if not out:
        return None
    name = " ".join(out).strip('"“”')
    return name, bool(_EN_ORG.search(name))


def _looks_like_person(name: str) -> bool:
    words = name.split()
    if not words or not _is_declinable_word(words[0]):
        return False
    tags = _parses(words[0].lower())
    if not tags:
        return False
    person = any(g in tags[0].tag for g in ("Name", "Surn", "Patr"))
    place = len(words) == 1 and "Geox" in tags[0].tag
    return person or place


def _extract(text: str, trig: _Trigger, m: re.Match[str]) -> tuple[str, bool] | None:
    """The name a trigger match points at: (name, looks like an institution)."""
    if trig.backward:
        words = _words(_span_before(text, m.start()))
        if not words:
            return None
        if trig.lang == "en":
            return _en_name(words, backward=True)
        picked = _kk_backward(_kk_reporter_words(words) if trig.level == 0 else words)
        if not picked:
            return None
        return _kk_lemma(picked, trig.case), _kk_institution_word(picked[-1])
    span, _ = _span_after(text, m.end())
    words = _words(span)
    if not words:
        return None
    if trig.lang == "en":
        return _en_name(words, backward=False)
    if trig.lang == "kk":
        picked = _kk_forward(words)
        return (" ".join(picked).strip('"“”'), _kk_institution_word(picked[-1])) if picked else None
    return _ru_name(words, trig.case)


def _after_ok(text: str, trig: _Trigger, m: re.Match[str], name: str) -> bool:
    if trig.after is None:
        return True
    words = _words(_span_after(text, m.end())[0])
    taken = len(name.split()) if trig.lang != "en" else len(name.split()) + 0
    rest = text[m.end() :]
    for word in words[:taken]:
        idx = rest.find(word)
        rest = rest[idx + len(word) :] if idx >= 0 else rest
    return bool(trig.after.match(rest))


def _scan(text: str, directory: SourceDirectory, languages: set[str]) -> list[_Found]:
    found: list[_Found] = []
    for trig in _TRIGGERS:
        if trig.lang not in languages:
            continue
        for m in trig.pattern.finditer(text):
            got = _extract(text, trig, m)
            if got is None or not got[0].strip(' .«»"') or len(got[0]) > 120:
                continue
            name, institution = got
            if not _after_ok(text, trig, m, name):
                continue
            if trig.prefix:
                name = f"{name} {trig.prefix}" if trig.lang == "en" else f"{trig.prefix} {name}"
                institution = True
            found_one = _accept(name, institution, trig, directory)
            if found_one is not None:
                found.append(
                    _Found(found_one, found_level(trig, found_one, directory), m.start(), trig.lang)
                )
    return found


def _accept(name: str, institution: bool, trig: _Trigger, directory: SourceDirectory) -> str | None:
    name = name.strip(" .")
    known = directory.match(name)
    if known is not None:
        return name
    if _looks_like_person(name) and not institution:
        return None
    if trig.strict and not institution:
        return None
    if trig.lang == "en" and not institution and not re.search(r"[A-Z]{2,}|\.\w", name):
        return None
    if not any(ch.isalpha() for ch in name) or not (_is_namey(name) or institution):
        return None
    return name


def _is_press(name: str) -> bool:
    return bool(
        re.search(r"(?i)пресс-служб|баспасөз қызмет|baspas[oö]z qyzmet|press service", name)
    )


def found_level(trig: _Trigger, name: str, directory: SourceDirectory) -> int:
    """The chain level of a name: institutions reporting their own news are primary (2)."""
    if trig.level != 0:
        return trig.level
    known = directory.match(name)
    if _is_press(name) or (known is not None and known.kind == "institution"):
        return 2
    if known is None and _RU_HEADS.match(name) and not _is_latin(name):
        return 2
    return 0


def _languages(language: str | None, text: str) -> set[str]:
    if language:
        base = language.lower().split("-")[0].split("_")[0]
        if base in ("ru", "kk", "en"):
            return {base} | ({"ru"} if base == "kk" else set())
    langs = {"en"}
    if re.search(r"[А-Яа-яЁё]", text):
        langs |= {"ru", "kk"}
    if re.search(r"(?i)\b(?:dep|habarla|xabarla|silteme|malimetin|mälimetin)", text):
        langs.add("kk")
    return langs


def _credit(found: _Found, directory: SourceDirectory) -> Credit:
    known = directory.match(found.name)
    name = found.name
    if known is not None and not _is_press(found.name):
        name = known.name
    role = _REPORTS if found.level == 0 else _CITES
    return Credit(name=name, source_id=known.id if known else None, role=role)


def credit_key(name: str, directory: SourceDirectory) -> str:
    """Identity of a credited name: its known source, else its normalized key."""
    known = directory.match(name)
    return f"src:{known.name}" if known is not None else f"key:{name_key(name)}"


def find_credits(
    title: str,
    lead: str,
    last_paragraph: str,
    directory: SourceDirectory,
    language: str | None = None,
) -> list[Credit]:
    """The credited chain, outermost first.

    'Как передает Report со ссылкой на ТАСС, об этом сообщили в Минэнерго'
    -> [Report, ТАСС, Минэнерго]. Names come out in dictionary form and are matched to
    known sources through their aliases. Photo credits, "Ссылка скопирована" and quotes of
    people are not credits. Never raises on any text.
    """
    text = _clean("\n".join(t for t in (title, lead, last_paragraph) if t))
    langs = _languages(language, text)
    found = sorted(_scan(text, directory, langs), key=lambda f: (f.level, f.pos))
    chain: list[Credit] = []
    seen: set[str] = set()
    for item in found:
        key = credit_key(item.name, directory)
        if key in seen:
            continue
        seen.add(key)
        chain.append(_credit(item, directory))
    return chain


# --------------------------------------------------------------------------- the line

DEFAULT_TEMPLATES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "ru": MappingProxyType(
            {
                "cited": "Передаёт {publisher} со ссылкой на {credited}",
                "plain": "Сообщает {publisher}",
                "story": "Сообщает {publisher}; первоисточник — {origin}",
                "and": "и",
            }
        ),
        "kk": MappingProxyType(
            {
                "cited": "{publisher} {credited} сілтеме жасап хабарлайды",
                "plain": "{publisher} хабарлайды",
                "story": "{publisher} хабарлайды; алғашқы дереккөз — {origin}",
                "and": "және",
            }
        ),
        "en": MappingProxyType(
            {
                "cited": "{publisher} reports, citing {credited}",
                "plain": "Reported by {publisher}",
                "story": "Reported by {publisher}; first reported by {origin}",
                "and": "and",
            }
        ),
    }
)

_KK_BACK = set("аоұыуяюёАОҰЫУЯЮЁ")
_KK_FRONT = set("әөүіеэиӘӨҮІЕЭИ")
_KK_VOICELESS = set("кқпстфхцчшщ")
_KK_DEVOICED = set("бвгд")
# How Kazakh reads the last letter of an abbreviation spelled out, for its suffix.
_LETTER_NAMES = {
    "Б": "бэ", "В": "вэ", "Г": "гэ", "Д": "дэ", "Ж": "жэ", "З": "зэ", "К": "ка", "Қ": "қа",
    "Л": "эл", "М": "эм", "Н": "эн", "П": "пэ", "Р": "эр", "С": "эс", "Т": "тэ", "Ф": "эф",
    "Х": "ха", "Ц": "цэ", "Ч": "чэ", "Ш": "ша", "Ң": "ың", "Ғ": "ғы", "Һ": "һа", "Щ": "ща",
}  # fmt: skip
_DIGIT_NAMES = ("нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
_TENS_NAMES = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")
_LATIN_READING = (
    (r"\.kz$", "кейзет"),
    (r"\.(?:com|az|uz|kg|ru)$", "ком"),
    (r"times$", "таймс"),
    (r"news$", "ньюс"),
    (r"media$", "медиа"),
    (r"press$", "пресс"),
)


def _number_reading(digits: str) -> str:
    n = int(digits[-3:] or "0")
    if n % 10:
        return _DIGIT_NAMES[n % 10]
    if n % 100:
        return _TENS_NAMES[(n % 100) // 10]
    return "жүз" if n else "нөл"


def _reading(name: str) -> tuple[str, bool]:
    """A rough Kazakh reading of the end of a name, and whether a hyphen is needed."""
    last = name.rstrip(' .»"”').split(" ")[-1] if name.strip() else name
    if not last:
        return "а", True
    if last[-1].isdigit():
        return _number_reading(re.sub(r"\D", "", last) or "0"), True
    if _is_latin(last):
        low = last.lower()
        for pattern, reading in _LATIN_READING:
            if re.search(pattern, low):
                return reading, True
        return _latin_to_cyrillic(re.sub(r"[^a-zäöüğıñşçū]", "", low)) or "а", True
    letters = re.sub(r"[^А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]", "", last)
    if len(letters) > 1 and letters.isupper():
        vowels = _KK_BACK | _KK_FRONT
        as_word = bool(vowels.intersection(letters)) and (
            letters[-1] in vowels or letters[-2] in vowels or letters[-1] == letters[-2]
        )
        if not as_word:
            return _LETTER_NAMES.get(letters[-1], letters[-1].lower()), True
        return letters.lower(), True
    return letters.lower() or "а", not last[-1:].isalpha()


def kazakh_dative(name: str, forms: Mapping[str, str] | None = None) -> str:
    """The Kazakh dative of a name: 'Ақорда' -> 'Ақордаға', 'ТАСС' -> 'ТАСС-қа'.

    -ға/-ге after vowels and voiced consonants, -қа/-ке after voiceless ones and devoiced
    б/в/г/д, -на/-не after the possessive -ы/-і of a compound name; back or front vowel by
    the last vowel. A hyphen joins the suffix to abbreviations, Latin names and numbers.
    A configured ``kk_dat`` form wins.
    """
    if forms and "kk_dat" in forms:
        return forms["kk_dat"]
    reading, hyphen = _reading(name)
    vowels = [c for c in reading if c in _KK_BACK or c in _KK_FRONT]
    front = bool(vowels) and vowels[-1] in _KK_FRONT
    end = reading.rstrip("ьъ")[-1:] or "а"
    compound = " " in name.strip() and not hyphen
    if compound and end in "ыі" and len(reading) > 2 and reading[-2] not in _KK_BACK | _KK_FRONT:
        suffix = "не" if front else "на"
    elif end in _KK_VOICELESS or end in _KK_DEVOICED:
        suffix = "ке" if front else "қа"
    else:
        suffix = "ге" if front else "ға"
    base = name.rstrip()
    return f"{base}-{suffix}" if hyphen else f"{base}{suffix}"


def _display(
    name: str, language: str, directory: SourceDirectory | None
) -> tuple[str, Mapping[str, str]]:
    known = directory.match(name) if directory is not None else None
    forms = known.forms if known is not None else _EMPTY
    if known is not None and language in forms and name == known.name:
        return forms[language], forms
    return name, forms


def _join(items: Sequence[str], conjunction: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _credited_text(
    language: str, names: Sequence[str], directory: SourceDirectory | None, conjunction: str
) -> str:
    rendered: list[str] = []
    for name in names:
        shown, forms = _display(name, language, directory)
        if language == "ru":
            rendered.append(inflect(shown, "acc", forms))
        elif language == "kk":
            rendered.append(
                kazakh_dative(shown, forms if shown != name or "kk_dat" in forms else None)
            )
        else:
            rendered.append(shown)
    return _join(rendered, conjunction)


def _lang(language: str) -> str:
    base = (language or "ru").lower().split("-")[0].split("_")[0]
    return base if base in DEFAULT_TEMPLATES else "ru"


def render_line(
    language: str,
    publisher_name: str,
    credited_names: Sequence[str],
    directory: SourceDirectory | None = None,
    templates: Mapping[str, Mapping[str, str]] | None = None,
    origin_name: str | None = None,
) -> str:
    """The attribution line in ``language`` ('ru', 'kk', 'en'; others fall back to 'ru').

    With credited names: the 'cited' template, names in the case the language needs
    (Russian accusative after "на", Kazakh dative before "сілтеме жасап"), joined by the
    language's conjunction. Without: 'story' when ``origin_name`` (an earlier outlet of the
    story) is given, else 'plain'. Template keys: publisher, credited, origin.
    """
    lang = _lang(language)
    table = {**DEFAULT_TEMPLATES[lang], **((templates or {}).get(lang) or {})}
    publisher, _ = _display(publisher_name, lang, directory)
    if credited_names:
        credited = _credited_text(lang, credited_names, directory, table.get("and", "and"))
        return table["cited"].format(publisher=publisher, credited=credited, origin=credited)
    if origin_name:
        origin, _ = _display(origin_name, lang, directory)
        return table["story"].format(publisher=publisher, origin=origin, credited=origin)
    return table["plain"].format(publisher=publisher, credited="", origin="")


def _origin_from_story(
    publisher: KnownSource, members: Sequence[StoryMember], published: datetime | None
) -> StoryMember | None:
    others = [m for m in members if m.source_id != publisher.id]
    if not others or published is None:
        return None
    try:
        earliest = min(others, key=lambda m: m.published)
        return earliest if earliest.published < published else None
    except TypeError:  # naive and aware datetimes mixed: no safe comparison
        return None


def attribute(
    publisher: KnownSource,
    publisher_url: str | None,
    title: str,
    lead: str,
    last_paragraph: str,
    directory: SourceDirectory,
    language: str,
    story_members: Sequence[StoryMember] = (),
    published: datetime | None = None,
    templates: Mapping[str, Mapping[str, str]] | None = None,
) -> Attribution:
    """Attribute one entry.

    The credited chain comes from the text (credits of the publisher itself dropped).
    Origin: the last name of the chain; if the text credits no one, the earliest other
    member of the story when it was published before this item (``published``);
    otherwise the publisher itself. The line uses the output language's template.
    """
    pub_key = credit_key(publisher.name, directory)
    chain = tuple(
        c
        for c in find_credits(title, lead, last_paragraph, directory, language)
        if credit_key(c.name, directory) != pub_key
        and (c.source_id is None or c.source_id != publisher.id)
    )
    story_origin = None if chain else _origin_from_story(publisher, story_members, published)
    if chain:
        origin_name, origin_id, origin_url = chain[-1].name, chain[-1].source_id, None
        for member in story_members:
            if origin_id is not None and member.source_id == origin_id:
                origin_url = member.url
    elif story_origin is not None:
        origin_name, origin_id = story_origin.name, story_origin.source_id
        origin_url = story_origin.url
    else:
        origin_name, origin_id, origin_url = publisher.name, publisher.id, publisher_url
    line = render_line(
        language,
        publisher.name,
        [c.name for c in chain],
        directory,
        templates,
        origin_name=story_origin.name if story_origin is not None else None,
    )
    return Attribution(
        publisher=publisher,
        publisher_url=publisher_url,
        credited=chain,
        origin_name=origin_name,
        origin_source_id=origin_id,
        origin_url=origin_url,
        line=line,
    )

"""Finding credits in text: the trigger phrases, the name after or before them, the chain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aggregator.attribution import datelines, syntax
from aggregator.attribution.directory import SourceDirectory, credit_key, name_key
from aggregator.attribution.morphology import (
    _CASES,
    _is_declinable_word,
    _is_latin,
    _is_namey,
    _parses,
    arabic_to_cyrillic,
    lemmatize,
)
from aggregator.attribution.values import Credit, KnownSource

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
    r"^(?:деп|туралы|жөнінде|бұл|Бұл|осы|Осы|ал|Ал|және|сондай-ақ|мұны|Мұны|ол|Ол|бүгін|кеше|"
    r"Бүгін|Кеше|дейін|бұған|Бұған|ақпаратты|Ақпаратты|оны|мұны|"
    r"dep|turaly|jöninde|jониnde|bul|Bul|osy|Osy|jäne|jane|sondai-aq)$"
)
# An accusative participle ends a clause ("…сезілгенін хабарлаған"): no name runs past it.
_KK_CLAUSE_END = re.compile(r"(?:ғанын|генін|қанын|кенін|ғанын|ганын|генин)$")
_DOMAIN_WORD = re.compile(r"\w\.(?:kz|ru|com|org|net|az|kg|uz)\b", re.IGNORECASE)
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
    # "Как стало известно Tengrinews.kz / «Курсиву»": the outlet that learned it reports.
    _t(r"(?<!\w)стало\s+известно\s+", "ru", False, 0, "dat"),
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
    # "Бұл туралы Орталық референдум комиссиясы мәлімдеді", "Ақпаратты Y растады"
    _t(
        r"\s+(?:мәлімдеді|мәлімдейді|мәлім\s+етті|растады|хабарлаған(?:\s+болатын)?|"
        r"málimdedi|mälimdedi|rastady)(?!\w)",
        "kk",
        True,
        2,
    ),
    # "Y айтуынша", "Y дерегінше", "Y деректері бойынша", "Y мәліметі бойынша"
    _t(
        r"\s+(?:айтуынша|дерегінше|деректері\s+бойынша|мәліметі\s+бойынша|"
        r"мәліметтері\s+бойынша|aıtýynsha|aitwynsha|aytuynsha)(?!\w)",
        "kk",
        True,
        2,
        "gen",
    ),
    # "according to the city's emergencies department", "according to the news outlet X"
    _t(r"(?<!\w)(?:according\s+to|data\s+from)\s+", "en", False, 2),
    # "Deputy Prime Minister Kanat Bozumbayev said 38 people …" (not after a quotation)
    _t(
        r"(?<![”\"],)(?<![”\"])\s+(?:said|says|stated|told|announced|confirmed)(?!\w)",
        "en",
        True,
        2,
    ),
    # "was reported to the media on Thursday by First Deputy Minister …"
    _t(
        r"(?<!\w)(?:reported|announced|stated|said|confirmed)\b[^.,;]{0,60}?\bby\s+(?=[A-Z])",
        "en",
        False,
        2,
    ),
    _t(
        r"(?<!\w)(?:citing|cites|quotes|with\s+reference\s+to|referring\s+to|quoting)\s+",
        "en",
        False,
        1,
    ),
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
    return _NOISE.sub(" ", text.replace("\u00a0", " ").replace("’", "'"))


def _span_after(text: str, start: int) -> tuple[str, int]:
    m = _BOUNDARY.search(text, start)
    end = m.start() if m else len(text)
    return text[start:end], end


def _span_before(text: str, end: int) -> str:
    starts = [m.end() for m in _BOUNDARY.finditer(text, 0, end)]
    return text[(starts[-1] if starts else 0) : end]


def _words(span: str) -> list[str]:
    return _WORD.findall(span)


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
        if _KK_STOP.match(word) or len(out) >= 8 or _KK_CLAUSE_END.search(word):
            break
        if out and _DOMAIN_WORD.search(out[0]) and _is_namey(word):
            break  # "Aqshamnews.kz 24.kz-ke": the web address is the whole name
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


def _kk_owner(words: list[str]) -> list[str]:
    """The possessor before 'айтуынша'/'мәліметінше': names, and the roles between them
    ("Қаржы министрі Мәдина Әбілқасымованың", "ҚР Ұлттық статистика бюросының")."""
    out: list[str] = []
    for k in range(len(words) - 1, -1, -1):
        word = words[k]
        if _KK_STOP.match(word) or len(out) >= 7 or _KK_CLAUSE_END.search(word):
            break
        named_before = any(_is_namey(w) for w in words[max(0, k - 2) : k])
        if _is_namey(word) or (out and word.islower() and named_before):
            out.insert(0, word)  # "Ұлттық банк төрағасы Тимур Сүлейменов"
            continue
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


_EN_DESCRIPTOR = frozenset(
    {"news", "outlet", "agency", "newspaper", "channel", "website", "portal", "media", "state"}
)


def _en_lowercase_body(words: list[str]) -> tuple[str, bool] | None:
    """'the city's emergencies department', 'the Kazakh news outlet Tengrinews': a phrase
    with lowercase words, read up to its end (the span stops at punctuation)."""
    phrase = words[:7]
    if len(phrase) < 2 or phrase[0].lower() != "the":
        return None
    named = _after_descriptor(phrase)
    if named is not None:
        return named, False  # the outlet's own name
    if _EN_ORG.search(" ".join(phrase)) and 3 <= len(words) <= 7:
        return " ".join(phrase), True  # "the agency" alone points back: no name
    return None


def _en_namey(word: str) -> bool:
    """In English only capitals, figures, quotes and web addresses make a name."""
    return word[:1].isupper() or word[:1].isdigit() or word[:1] in '«"“' or "." in word[1:-1]


def _after_descriptor(words: list[str]) -> str | None:
    """'the Kazakh news agency Kazinform' → 'Kazinform'."""
    marks = [i for i, w in enumerate(words) if w.lower() in _EN_DESCRIPTOR]
    if not marks or marks[-1] + 1 >= len(words):
        return None
    rest = words[marks[-1] + 1 :]
    return " ".join(rest) if rest[0][:1].isupper() else None


def _en_name(words: list[str], backward: bool) -> tuple[str, bool] | None:
    body = _en_lowercase_body(words)  # backward, the span is the whole clause subject
    if body is not None and (not backward or len(words) <= 7):
        return body
    seq = list(reversed(words)) if backward else list(words)
    out: list[str] = []
    for word in seq:
        if not out and word.lower() in ("the", "data", "a", "from", "of"):
            continue
        if _en_namey(word) or (out and word.lower() in _EN_INNER):
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
    name = _after_descriptor(out) or " ".join(out)
    name = name.strip('"“”')
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
        if trig.case == "gen" or trig.level == 2:
            picked = _kk_owner(words) or _kk_backward(words)
        else:
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
    if trig.strict and not institution:
        return None
    if trig.lang == "en" and not institution and not _en_named(name):
        return None
    if not any(ch.isalpha() for ch in name) or not (_is_namey(name) or institution):
        return None
    return name


def _en_named(name: str) -> bool:
    """An English credit names someone: an acronym or domain, or a full name ("Kanat
    Bozumbayev"), not a lone word that may be the newsmaker ("Tokayev said")."""
    return bool(re.search(r"[A-Z]{2,}|\.\w", name)) or len(name.split()) >= 2


def _is_press(name: str) -> bool:
    return bool(
        re.search(r"(?i)пресс-служб|баспасөз қызмет|baspas[oö]z qyzmet|press service", name)
    )


def found_level(trig: _Trigger, name: str, directory: SourceDirectory) -> int:
    """The chain level of a name: institutions reporting their own news are primary (2)."""
    known = directory.match(name)
    if trig.level == 2 and known is not None and known.kind == "outlet":
        return 0  # "according to the news outlet Tengrinews": the outlet passes it on
    if trig.level != 0:
        return trig.level
    if _is_press(name) or (known is not None and known.kind == "institution"):
        return 2
    if known is None and _RU_HEADS.match(name) and not _is_latin(name):
        return 2
    return 0


_KAZAKH_CYRILLIC = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
# No IGNORECASE on the letters: it would fold the dotless ı onto every English i.
_KAZAKH_LATIN = re.compile(
    r"[áǵńóúýıäñūğşÁǴŃÓÚÝÄÑŪĞŞ]|\b(?i:dep|habarla\w*|xabarla\w*|silteme|malimetin\w*)\b"
)
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_KAZAKH_CUE = re.compile(r"(?i)(?<!\w)(?:деп|деді|хабарлайды|хабарлады)(?!\w)")


def text_languages(text: str, prior: str | None = None) -> set[str]:
    """The grammars that read ``text``, decided by each sentence's own letters.

    Kazakh letters (ә ғ қ ң ө ұ ү һ і, the Latin alphabets' á ǵ ı …, Arabic script) are
    strong evidence of Kazakh; other Cyrillic reads as Russian, other Latin as English.
    ``prior`` (the item's or source's language) only adds its grammar where the letters
    leave both open: a Cyrillic sentence with no Kazakh letter in a Kazakh item.
    """
    langs: set[str] = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        cyrillic = re.search(r"[А-Яа-яЁё]", sentence)
        if _KAZAKH_CYRILLIC.search(sentence) or _ARABIC.search(sentence):
            langs.add("kk")
        elif cyrillic:
            langs.add("ru")
            if _KAZAKH_CUE.search(sentence):  # "…, деп хабарлайды X": no special letter needed
                langs.add("kk")
        elif _KAZAKH_LATIN.search(sentence):
            langs.add("kk")
        elif re.search(r"[A-Za-z]", sentence):
            langs.add("en")
    base = (prior or "").lower().split("-")[0].split("_")[0]
    if base == "kk" and "ru" in langs:
        langs.add("kk")
    return langs


def _parsed(text: str, directory: SourceDirectory) -> list[_Found]:
    """Russian credits read off the syntax parse, their level checked against the directory."""
    found = []
    for item in syntax.read(text):
        name = item.name.strip(' .«»"“”')
        if not name:
            continue
        found.append(_Found(name, _parsed_level(item, name, directory), item.pos, "ru"))
    return found


def _laid_out(text: str, directory: SourceDirectory, langs: set[str]) -> list[_Found]:
    """Datelines, by-lines and source labels: the outlet that reports, unless the
    directory knows the name as an institution."""
    lang = "ru" if "ru" in langs else min(langs, default="en")
    out = []
    for name, pos in datelines.read(text):
        known = directory.match(name)
        level = 2 if known is not None and known.kind == "institution" else 0
        out.append(_Found(name, level, pos, lang))
    return out


def _parsed_level(item: syntax.Found, name: str, directory: SourceDirectory) -> int:
    """A known outlet or a web address passes news on; a known institution makes it."""
    if item.level == syntax.CITED:
        return item.level
    known = directory.match(name)
    if known is not None:
        return 0 if known.kind == "outlet" and not _is_press(name) else 2
    if item.outlet or re.search(r"\w\.(?:kz|ru|com|org|net|az|kg|uz)\b", name, re.IGNORECASE):
        return 0
    return item.level


def _same_name(found: str, known: KnownSource) -> bool:
    """Whether the text wrote the known source's own name (in any case or script), not
    another of its names: a configured source is always shown by its name, a built-in one
    only then, so "МЧС РК" is not expanded into a name the text never used."""
    if known.id is not None:
        return True
    same_script = _is_latin(found) == _is_latin(known.name)
    return same_script and name_key(found) == name_key(known.name)


def _credit(found: _Found, directory: SourceDirectory) -> Credit:
    known = directory.match(found.name)
    name = found.name
    if known is not None and not _is_press(found.name) and _same_name(found.name, known):
        name = known.name
    role = _REPORTS if found.level == 0 else _CITES
    return Credit(name=name, source_id=known.id if known else None, role=role)


def _prepared(
    title: str, lead: str, last_paragraph: str, language: str | None
) -> tuple[str, set[str]]:
    """The text the reader reads, and the grammars that read it."""
    text = _clean("\n".join(t for t in (title, lead, last_paragraph) if t))
    if _ARABIC.search(text):
        text = arabic_to_cyrillic(text)  # Kazakh in the Arabic script reads as in Cyrillic
    return text, text_languages(text, language)


def find_credits_many(
    texts: Sequence[tuple[str, str, str, str | None]], directory: SourceDirectory
) -> list[list[Credit]]:
    """``find_credits`` for many (title, lead, last paragraph, language) at once: their
    Russian sentences are parsed in batches, an order of magnitude faster than one by one."""
    prepared = [_prepared(*t) for t in texts]
    syntax.read_many([text for text, langs in prepared if "ru" in langs])  # now cached
    return [_chain(text, langs, directory) for text, langs in prepared]


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
    return _chain(*_prepared(title, lead, last_paragraph, language), directory)


def _chain(text: str, langs: set[str], directory: SourceDirectory) -> list[Credit]:
    """The credited chain of a prepared text: every reader's finds, by level then place,
    each credited name once."""
    found = _scan(text, directory, langs - {"ru"})
    if "ru" in langs:
        found += _parsed(text, directory)
    found += _laid_out(text, directory, langs)
    found.sort(key=lambda f: (f.level, f.pos))
    chain: list[Credit] = []
    seen: set[str] = set()
    for item in found:
        key = credit_key(item.name, directory)
        if key in seen:
            continue
        seen.add(key)
        chain.append(_credit(item, directory))
    return chain

"""Word lists and sentence templates for the benchmark corpus (ru / kk / en).

Templates take these fields (every language has every field):
``person``, ``city``, ``city_loc`` (ru: «в Астане», kk: «Астанада», en: «in Astana»),
``city2``, ``org``, ``org_gen`` (ru genitive; the other languages repeat ``org``),
``n1``, ``n2`` (integers), ``pct``, ``amount`` (decimals in the language's style),
``city_gen`` (ru genitive), ``person_acc`` (ru accusative), ``org_loc`` (ru
prepositional), ``date`` («25 ноября», «25 қарашада», «November 25»), ``outlet`` (the
retelling outlet), ``person2`` and ``company`` (a second name per event).
"""

from __future__ import annotations

FIRST_NAMES = [
    "Асхат",
    "Ерлан",
    "Нурлан",
    "Даурен",
    "Серик",
    "Бауыржан",
    "Марат",
    "Жанибек",
    "Арман",
    "Тимур",
    "Алихан",
    "Ермек",
    "Канат",
    "Болат",
    "Айдос",
    "Руслан",
    "Данияр",
    "Еркин",
    "Галым",
    "Мурат",
    "Санжар",
    "Азамат",
    "Олжас",
    "Берик",
    "Кайрат",
]

SURNAMES = [
    "Абенов",
    "Ахметов",
    "Байжанов",
    "Бекмуханов",
    "Джаксыбеков",
    "Ермеков",
    "Жумабаев",
    "Искаков",
    "Калиев",
    "Касымов",
    "Мусин",
    "Нурпеисов",
    "Оспанов",
    "Сагинтаев",
    "Садыков",
    "Тулеуов",
    "Уразов",
    "Шайхин",
    "Есимов",
    "Куанышев",
    "Мамытов",
    "Рахимов",
    "Смагулов",
    "Тохтаров",
    "Утемисов",
    "Кенжебаев",
    "Амиров",
    "Бектуров",
    "Даулетов",
    "Жаксылыков",
    "Ибраев",
    "Каримов",
    "Лесбеков",
    "Муратов",
    "Нуралиев",
    "Омаров",
    "Сарсенов",
    "Темирханов",
    "Шарипов",
    "Ыскаков",
    "Абдрахманов",
    "Бейсенов",
    "Габдуллин",
    "Досмухамбетов",
    "Елеусизов",
    "Жунусов",
    "Зейнуллин",
    "Кулибаев",
    "Мухамедиев",
    "Серикбаев",
]

# (ru nominative, ru locative phrase, kk nominative, kk locative, en)
CITIES = (
    ("Алматы", "в Алматы", "Алматы", "Алматыда", "Almaty"),
    ("Астана", "в Астане", "Астана", "Астанада", "Astana"),
    ("Шымкент", "в Шымкенте", "Шымкент", "Шымкентте", "Shymkent"),
    ("Караганда", "в Караганде", "Қарағанды", "Қарағандыда", "Karaganda"),
    ("Актобе", "в Актобе", "Ақтөбе", "Ақтөбеде", "Aktobe"),
    ("Тараз", "в Таразе", "Тараз", "Таразда", "Taraz"),
    ("Павлодар", "в Павлодаре", "Павлодар", "Павлодарда", "Pavlodar"),
    ("Усть-Каменогорск", "в Усть-Каменогорске", "Өскемен", "Өскеменде", "Ust-Kamenogorsk"),
    ("Семей", "в Семее", "Семей", "Семейде", "Semey"),
    ("Атырау", "в Атырау", "Атырау", "Атырауда", "Atyrau"),
    ("Костанай", "в Костанае", "Қостанай", "Қостанайда", "Kostanay"),
    ("Кызылорда", "в Кызылорде", "Қызылорда", "Қызылордада", "Kyzylorda"),
    ("Уральск", "в Уральске", "Орал", "Оралда", "Uralsk"),
    ("Петропавловск", "в Петропавловске", "Петропавл", "Петропавлда", "Petropavlovsk"),
    ("Актау", "в Актау", "Ақтау", "Ақтауда", "Aktau"),
    ("Туркестан", "в Туркестане", "Түркістан", "Түркістанда", "Turkistan"),
    ("Кокшетау", "в Кокшетау", "Көкшетау", "Көкшетауда", "Kokshetau"),
    ("Талдыкорган", "в Талдыкоргане", "Талдықорған", "Талдықорғанда", "Taldykorgan"),
    ("Жезказган", "в Жезказгане", "Жезқазған", "Жезқазғанда", "Zhezkazgan"),
    ("Экибастуз", "в Экибастузе", "Екібастұз", "Екібастұзда", "Ekibastuz"),
)

RU_CITY_GENITIVE = {
    "Астана": "Астаны",
    "Караганда": "Караганды",
    "Кызылорда": "Кызылорды",
    "Семей": "Семея",
    "Костанай": "Костаная",
}
"""Russian genitive of the cities; the rest add «а» or do not decline (ending in a vowel)."""

# (ru nominative, ru genitive, ru prepositional, kk, en)
ORGS = (
    ("Минздрав", "Минздрава", "Минздраве", "Денсаулық сақтау министрлігі", "the Health Ministry"),
    ("Минэнерго", "Минэнерго", "Минэнерго", "Энергетика министрлігі", "the Energy Ministry"),
    (
        "Минпросвещения",
        "Минпросвещения",
        "Минпросвещения",
        "Оқу-ағарту министрлігі",
        "the Education Ministry",
    ),
    ("Минтранс", "Минтранса", "Минтрансе", "Көлік министрлігі", "the Transport Ministry"),
    ("МЧС", "МЧС", "МЧС", "ТЖМ", "the Emergencies Ministry"),
    ("Нацбанк", "Нацбанка", "Нацбанке", "Ұлттық банк", "the National Bank"),
    (
        "Бюро национальной статистики",
        "Бюро национальной статистики",
        "Бюро национальной статистики",
        "Ұлттық статистика бюросы",
        "the Bureau of National Statistics",
    ),
    ("Казгидромет", "Казгидромета", "Казгидромете", "Қазгидромет", "Kazhydromet"),
    ("КТЖ", "КТЖ", "КТЖ", "ҚТЖ", "Kazakhstan Temir Zholy"),
    (
        "Минсельхоз",
        "Минсельхоза",
        "Минсельхозе",
        "Ауыл шаруашылығы министрлігі",
        "the Agriculture Ministry",
    ),
    ("АФМ", "АФМ", "АФМ", "ҚМА", "the Financial Monitoring Agency"),
    ("акимат", "акимата", "акимате", "әкімдік", "the akimat"),
)

MONTHS = {
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "kk": "қаңтарда ақпанда наурызда сәуірде мамырда маусымда шілдеде тамызда қыркүйекте "
    "қазанда қарашада желтоқсанда",
    "en": "January February March April May June July August September October November December",
}

OUTLETS = {
    "ru": "Tengrinews.kz Kazinform Zakon.kz Informburo.kz Vlast.kz Orda.kz КазТАГ Ulysmedia",
    "kk": "Kazinform Egemen.kz Abai.kz Qamshy.kz Ulysmedia Baq.kz Tengrinews.kz",
    "en": "Kazinform Astana.Times Tengrinews.kz Kursiv.media Kapital.kz",
}

ATTRIBUTION = {
    "ru": (
        "передаёт {outlet}.",
        "сообщает {outlet} со ссылкой на {org}.",
        "как стало известно {outlet}.",
    ),
    "kk": ("деп хабарлайды {outlet}.", "{org} дерегіне сүйеніп {outlet} хабарлайды."),
    "en": ("{outlet} reports.", "according to {org}, {outlet} reports."),
}

SYLLABLES = [
    "Ак",
    "Жол",
    "Тау",
    "Бас",
    "Кен",
    "Сай",
    "Тас",
    "Кол",
    "Бек",
    "Ар",
    "Кара",
    "Нур",
    "Сары",
    "Жана",
    "Ел",
    "Алтын",
    "Бай",
    "Кок",
    "Шал",
    "Тал",
    "Жар",
    "Ор",
    "Ер",
    "Дала",
    "Кум",
    "Су",
    "Темир",
    "Кыз",
    "Ала",
    "Мая",
    "Бота",
    "Сен",
    "Жи",
    "Тур",
    "Ула",
]
COMPANY_SUFFIXES = ("Групп", "Строй", "Сервис", "Инвест", "Трейд", "Агро")

PEOPLE_LINES = {
    "ru": (
        "Подробности сообщил {person2}, руководитель компании «{company}».",
        "Как отметил глава «{company}» {person2}, работы идут по графику.",
        "По словам директора ТОО «{company}» {person2}, все сроки будут соблюдены.",
    ),
    "kk": (
        "Толығырақ мәліметті «{company}» компаниясының басшысы {person2} айтты.",
        "«{company}» басшысы {person2} жұмыс кестеге сай жүріп жатқанын айтты.",
        "«{company}» ЖШС директоры {person2} барлық мерзім сақталатынын жеткізді.",
    ),
    "en": (
        "{person2}, head of {company}, gave the details.",
        "Work is on schedule, said {person2}, head of {company}.",
        "All deadlines will be met, according to {company} director {person2}.",
    ),
}

SAID = {"ru": "сказал", "kk": "деді", "en": "said"}

# Each topic: titles, leads, details, quotes per language, and the orgs it may name.
TOPICS: list[dict[str, object]] = [
    {
        "orgs": (1, 5, 6),
        "ru": {
            "titles": (
                "{person} доложил Президенту о росте экономики на {pct}%",
                "Рост экономики за десять месяцев составил {pct}%: доклад {org_gen}",
                "Президент поручил удержать рост ВВП на уровне {pct}%",
            ),
            "leads": (
                "{person} доложил Главе государства об итогах социально-экономического "
                "развития страны: рост ВВП составил {pct}%.",
                "По данным {org_gen}, экономика Казахстана с начала года выросла на {pct}%, "
                "об этом {person} рассказал на встрече в Акорде {date}.",
                "Главе государства {date} представили данные о росте экономики на {pct}% "
                "— с докладом выступил {person}.",
            ),
            "details": (
                "Строительство прибавило {n1}%, а инвестиции в основной капитал достигли "
                "{amount} млрд тенге.",
                "В обрабатывающей промышленности создано {n2} новых рабочих мест.",
                "Президент поручил усилить контроль над ценами на социально значимые товары.",
                "Отдельно обсуждалась газификация регионов, прежде всего {city_loc}.",
            ),
            "quotes": (
                "Рост должен ощущаться каждым гражданином, а не только в отчётах",
                "Мы не должны допускать необоснованного удорожания продуктов",
            ),
        },
        "kk": {
            "titles": (
                "{person} Президентке экономиканың {pct}% өскенін баяндады",
                "Он айда экономика {pct}% өсті: {org} есебі",
                "Президент ЖІӨ өсімін {pct}% деңгейінде сақтауды тапсырды",
            ),
            "leads": (
                "{person} Мемлекет басшысына елдің әлеуметтік-экономикалық дамуының "
                "қорытындысын баяндады: ЖІӨ өсімі {pct}% болды.",
                "{org} мәліметінше, жыл басынан бері Қазақстан экономикасы {pct}% өсті, "
                "бұл туралы {person} {date} Ақордадағы кездесуде айтты.",
                "Мемлекет басшысына {date} экономиканың {pct}% өскені туралы деректер "
                "ұсынылды, баяндаманы {person} жасады.",
            ),
            "details": (
                "Құрылыс саласы {n1}% өсті, негізгі капиталға салынған инвестиция "
                "{amount} млрд теңгеге жетті.",
                "Өңдеу өнеркәсібінде {n2} жаңа жұмыс орны ашылды.",
                "Президент әлеуметтік маңызы бар тауарлар бағасын бақылауды күшейтуді тапсырды.",
                "Өңірлерді, әсіресе {city} қаласын газдандыру мәселесі жеке талқыланды.",
            ),
            "quotes": (
                "Өсім есептерде ғана емес, әр азаматтың өмірінде сезілуі керек",
                "Азық-түлік бағасының негізсіз қымбаттауына жол бермеуіміз керек",
            ),
        },
        "en": {
            "titles": (
                "{person} reports {pct}% economic growth to the President",
                "Kazakhstan's economy grew {pct}% in ten months, says {org}",
                "President orders officials to keep GDP growth at {pct}%",
            ),
            "leads": (
                "{person} briefed the Head of State on the country's social and economic "
                "results: GDP grew by {pct}%.",
                "Kazakhstan's economy has grown {pct}% since the start of the year, according "
                "to {org}, {person} said at a meeting in Akorda on {date}.",
                "The President was presented on {date} with figures showing {pct}% economic "
                "growth, in a report delivered by {person}.",
            ),
            "details": (
                "Construction grew {n1}% and fixed capital investment reached {amount} "
                "billion tenge.",
                "Manufacturing added {n2} new jobs.",
                "The President ordered tighter control over prices of socially important goods.",
                "Gas supply to the regions, above all {city_loc}, was discussed separately.",
            ),
            "quotes": (
                "Growth must be felt by every citizen, not only in the reports",
                "We must not allow unjustified increases in food prices",
            ),
        },
    },
    {
        "orgs": (11, 1, 3),
        "ru": {
            "titles": (
                "{amount} млрд тенге выделят на ремонт дорог {city_loc}",
                "{city_loc} отремонтируют {n1} улиц за {amount} млрд тенге",
                "Аким {person} рассказал, какие дороги отремонтируют {city_loc}",
            ),
            "leads": (
                "На ремонт дорог {city_loc} в следующем году направят {amount} млрд тенге, "
                "сообщил аким {person}.",
                "Аким {person} {date} объявил, что {city_loc} отремонтируют {n1} улиц — на это "
                "выделено {amount} млрд тенге.",
                "Программа ремонта {n1} улиц обойдётся бюджету в {amount} млрд тенге, "
                "заявили {city_loc}.",
            ),
            "details": (
                "Работы начнутся весной и завершатся до {date} следующего года.",
                "Общая протяжённость отремонтированных дорог составит {n2} километров.",
                "Подрядчиков выберут на открытом конкурсе, пообещали в {org_loc}.",
                "Горожане жалуются на ямы и пробки в центральной части города.",
            ),
            "quotes": (
                "Каждый тенге будет потрачен прозрачно, итоги конкурса опубликуем",
                "Мы начнём с улиц, по которым ходят автобусы",
            ),
        },
        "kk": {
            "titles": (
                "{city_loc} жол жөндеуге {amount} млрд теңге бөлінеді",
                "{city_loc} {amount} млрд теңгеге {n1} көше жөнделеді",
                "Әкім {person} {city} қаласында қай жолдар жөнделетінін айтты",
            ),
            "leads": (
                "Келесі жылы {city} жолдарын жөндеуге {amount} млрд теңге жұмсалады, "
                "деп хабарлады әкім {person}.",
                "Әкім {person} {date} {city_loc} {n1} көше жөнделетінін мәлімдеді, бұған "
                "{amount} млрд теңге бөлінген.",
                "{n1} көшені жөндеу бағдарламасы бюджетке {amount} млрд теңгеге түседі.",
            ),
            "details": (
                "Жұмыс көктемде басталып, келесі жылдың {date} дейін аяқталады.",
                "Жөнделетін жолдардың жалпы ұзындығы {n2} шақырым болады.",
                "Мердігерлер ашық конкурс арқылы таңдалады, деп уәде берді {org}.",
                "Тұрғындар қала орталығындағы шұңқырлар мен кептелістерге шағымданады.",
            ),
            "quotes": (
                "Әр теңге ашық жұмсалады, конкурс қорытындысын жариялаймыз",
                "Автобустар жүретін көшелерден бастаймыз",
            ),
        },
        "en": {
            "titles": (
                "{city} to spend {amount} billion tenge on road repairs",
                "{n1} streets in {city} to be repaired for {amount} billion tenge",
                "Akim {person} names the roads {city} will repair",
            ),
            "leads": (
                "{city} will spend {amount} billion tenge on road repairs next year, akim "
                "{person} said.",
                "Akim {person} announced on {date} that {n1} streets will be repaired {city_loc} "
                "at a cost of {amount} billion tenge.",
                "A programme to repair {n1} streets will cost the budget {amount} billion "
                "tenge, officials {city_loc} said.",
            ),
            "details": (
                "Work will start in spring and finish by {date} next year.",
                "The repaired roads will total {n2} kilometres.",
                "Contractors will be chosen in an open tender, {org} promised.",
                "Residents complain about potholes and traffic jams in the city centre.",
            ),
            "quotes": (
                "Every tenge will be spent transparently and we will publish the tender results",
                "We will start with the streets that buses use",
            ),
        },
    },
    {
        "orgs": (4, 7),
        "ru": {
            "titles": (
                "Штормовое предупреждение объявлено {city_loc}: ветер до {n1} м/с",
                "Синоптики предупредили о шторме {city_loc}",
                "{org} объявил штормовое предупреждение на {date}",
            ),
            "leads": (
                "{date} {city_loc} ожидается усиление ветра до {n1} м/с, сообщили в {org_loc}.",
                "Синоптики {org_gen} предупредили жителей {city_gen} о порывах ветра до {n1} м/с.",
                "Штормовое предупреждение {city_loc} действует {date}: ветер усилится до {n1} м/с.",
            ),
            "details": (
                "Ночью температура опустится до минус {n2} градусов.",
                "На трассах возможны метель и гололёд, видимость ухудшится.",
                "Водителей просят отказаться от поездок за город без крайней необходимости.",
                "Спасатели переведены в режим повышенной готовности.",
            ),
            "quotes": (
                "Просим родителей не отпускать детей одних на улицу",
                "Все службы работают в усиленном режиме",
            ),
        },
        "kk": {
            "titles": (
                "{city_loc} дауыл туралы ескерту жарияланды: жел {n1} м/с-қа дейін",
                "Синоптиктер {city_loc} дауыл болатынын ескертті",
                "{org} {date} дауыл туралы ескерту жариялады",
            ),
            "leads": (
                "{date} {city_loc} жел {n1} м/с-қа дейін күшейеді, деп хабарлады {org}.",
                "{org} синоптиктері {city} тұрғындарын екпіні {n1} м/с-қа жететін жел туралы "
                "ескертті.",
                "{city_loc} {date} дауыл туралы ескерту күшінде: жел {n1} м/с-қа дейін күшейеді.",
            ),
            "details": (
                "Түнде ауа температурасы минус {n2} градусқа дейін төмендейді.",
                "Жолдарда боран мен көктайғақ болуы мүмкін, көріну нашарлайды.",
                "Жүргізушілерден қала сыртына қажетсіз шықпауды сұрайды.",
                "Құтқарушылар жоғары әзірлік режиміне көшірілді.",
            ),
            "quotes": (
                "Ата-аналардан балаларды көшеге жалғыз жібермеуді сұраймыз",
                "Барлық қызметтер күшейтілген режимде жұмыс істеп тұр",
            ),
        },
        "en": {
            "titles": (
                "Storm warning issued {city_loc}: winds up to {n1} m/s",
                "Forecasters warn of a storm {city_loc}",
                "{org} issues storm warning for {date}",
            ),
            "leads": (
                "Winds of up to {n1} m/s are expected {city_loc} on {date}, {org} said.",
                "Forecasters at {org} warned residents of {city} about gusts of up to {n1} m/s.",
                "A storm warning is in force {city_loc} on {date}, with winds rising to {n1} m/s.",
            ),
            "details": (
                "Night temperatures will drop to minus {n2} degrees.",
                "Blizzards and ice are possible on highways, with poor visibility.",
                "Drivers are asked to avoid trips out of town unless necessary.",
                "Rescuers have been put on high alert.",
            ),
            "quotes": (
                "We ask parents not to let children out alone",
                "All services are working in reinforced mode",
            ),
        },
    },
    {
        "orgs": (10, 11),
        "ru": {
            "titles": (
                "Суд {city_loc} приговорил {person_acc} к {n1} годам за мошенничество",
                "{person} получил {n1} лет за хищение {amount} млрд тенге",
                "Приговор по делу о хищении {amount} млрд тенге вынесли {city_loc}",
            ),
            "leads": (
                "Суд {city_loc} {date} признал {person_acc} виновным в мошенничестве на "
                "{amount} млрд тенге и назначил {n1} лет лишения свободы.",
                "{person} приговорён к {n1} годам заключения: по данным {org_gen}, ущерб "
                "составил {amount} млрд тенге.",
                "Дело о хищении {amount} млрд тенге завершилось приговором {city_loc}: "
                "{person} проведёт в колонии {n1} лет.",
            ),
            "details": (
                "По версии следствия, деньги выводились через {n1} подставных компаний.",
                "Часть имущества осуждённого конфискована в доход государства.",
                "Защита намерена обжаловать приговор в апелляционной инстанции.",
                "Ущерб возмещён частично, сообщили в пресс-службе суда.",
            ),
            "quotes": (
                "Приговор не вступил в законную силу и может быть обжалован",
                "Мы продолжим искать активы за рубежом",
            ),
        },
        "kk": {
            "titles": (
                "{city} соты {person} алаяқтық үшін {n1} жылға сотталды",
                "{person} {amount} млрд теңгені иемденгені үшін {n1} жыл алды",
                "{amount} млрд теңге ұрланған іс бойынша {city_loc} үкім шықты",
            ),
            "leads": (
                "{city} соты {date} {person} {amount} млрд теңге көлемінде алаяқтық жасады деп "
                "танып, {n1} жылға бас бостандығынан айырды.",
                "{person} {n1} жылға сотталды: {org} дерегінше, залал {amount} млрд теңге болған.",
                "{amount} млрд теңге ұрланған іс {city_loc} үкіммен аяқталды: {person} "
                "колонияда {n1} жыл отырады.",
            ),
            "details": (
                "Тергеу нұсқасы бойынша ақша {n1} жалған компания арқылы шығарылған.",
                "Сотталушының мүлкінің бір бөлігі мемлекет кірісіне тәркіленді.",
                "Қорғау тарапы үкімге апелляциялық шағым түсірмек.",
                "Залал ішінара өтелді, деп хабарлады сот баспасөз қызметі.",
            ),
            "quotes": (
                "Үкім заңды күшіне енген жоқ, оған шағым беруге болады",
                "Шетелдегі активтерді іздеуді жалғастырамыз",
            ),
        },
        "en": {
            "titles": (
                "Court {city_loc} jails {person} for {n1} years for fraud",
                "{person} gets {n1} years for embezzling {amount} billion tenge",
                "Verdict delivered {city_loc} in {amount} billion tenge embezzlement case",
            ),
            "leads": (
                "A court {city_loc} on {date} found {person} guilty of fraud worth {amount} "
                "billion tenge and sentenced him to {n1} years in prison.",
                "{person} was sentenced to {n1} years; according to {org}, the damage amounted "
                "to {amount} billion tenge.",
                "The {amount} billion tenge embezzlement case ended in a verdict {city_loc}: "
                "{person} will spend {n1} years in a penal colony.",
            ),
            "details": (
                "Investigators say the money was moved through {n1} shell companies.",
                "Part of the convict's property was confiscated.",
                "The defence intends to appeal the verdict.",
                "The damage has been partly repaid, the court's press office said.",
            ),
            "quotes": (
                "The verdict has not entered into force and may be appealed",
                "We will keep searching for assets abroad",
            ),
        },
    },
    {
        "orgs": (5, 6),
        "ru": {
            "titles": (
                "Годовая инфляция замедлилась до {pct}%",
                "{org} сообщил о снижении инфляции до {pct}%",
                "Инфляция в Казахстане составила {pct}%: продукты подорожали на {n1}%",
            ),
            "leads": (
                "Годовая инфляция в Казахстане по итогам месяца замедлилась до {pct}%, "
                "сообщили в {org_loc} {date}.",
                "По данным {org_gen}, цены за год выросли на {pct}%, продовольственные товары "
                "подорожали на {n1}%.",
                "Инфляция снизилась до {pct}%, заявил {person} на брифинге {date}.",
            ),
            "details": (
                "Платные услуги подорожали сильнее всего — на {n2}%.",
                "Базовая ставка сохранена на прежнем уровне.",
                "Самый высокий рост цен зафиксирован {city_loc}.",
                "Аналитики ожидают дальнейшего замедления в первом квартале.",
            ),
            "quotes": (
                "Мы видим устойчивое замедление инфляции",
                "Давление на цены со стороны тарифов сохраняется",
            ),
        },
        "kk": {
            "titles": (
                "Жылдық инфляция {pct}%-ға дейін баяулады",
                "{org} инфляцияның {pct}%-ға төмендегенін хабарлады",
                "Қазақстанда инфляция {pct}% болды: азық-түлік {n1}% қымбаттады",
            ),
            "leads": (
                "Ай қорытындысы бойынша Қазақстандағы жылдық инфляция {pct}%-ға дейін баяулады, "
                "деп хабарлады {org} {date}.",
                "{org} дерегінше, бағалар бір жылда {pct}% өсті, азық-түлік {n1}% қымбаттады.",
                "Инфляция {pct}%-ға дейін төмендеді, деді {person} {date} брифингте.",
            ),
            "details": (
                "Ақылы қызметтер ең көп қымбаттады, {n2}%.",
                "Базалық мөлшерлеме бұрынғы деңгейде сақталды.",
                "Бағаның ең жоғары өсімі {city_loc} тіркелді.",
                "Сарапшылар бірінші тоқсанда одан әрі баяулауды күтеді.",
            ),
            "quotes": (
                "Инфляцияның тұрақты баяулауын көріп отырмыз",
                "Тарифтер тарапынан бағаға қысым сақталып отыр",
            ),
        },
        "en": {
            "titles": (
                "Annual inflation slows to {pct}%",
                "{org} reports inflation easing to {pct}%",
                "Inflation in Kazakhstan at {pct}% as food prices rise {n1}%",
            ),
            "leads": (
                "Annual inflation in Kazakhstan slowed to {pct}% at the end of the month, "
                "{org} said on {date}.",
                "Prices rose {pct}% year on year, with food up {n1}%, according to {org}.",
                "Inflation has fallen to {pct}%, {person} told a briefing on {date}.",
            ),
            "details": (
                "Paid services rose the most, by {n2}%.",
                "The base rate was left unchanged.",
                "The highest price growth was recorded {city_loc}.",
                "Analysts expect a further slowdown in the first quarter.",
            ),
            "quotes": (
                "We see a steady slowdown in inflation",
                "Pressure on prices from tariffs remains",
            ),
        },
    },
    {
        "orgs": (3, 8),
        "ru": {
            "titles": (
                "Новый поезд {city} — {city2} запустят {date}",
                "{org} запускает ежедневный рейс из {city_gen} в {city2}",
                "Из {city_gen} в {city2} можно будет доехать за {n1} часов",
            ),
            "leads": (
                "С {date} между городами {city} и {city2} начнёт курсировать новый "
                "пассажирский поезд, сообщили в {org_loc}.",
                "{org} {date} запускает ежедневный рейс {city} — {city2}: время в пути "
                "сократится до {n1} часов.",
                "Путь из {city_gen} в {city2} займёт {n1} часов — новый поезд запускают {date}.",
            ),
            "details": (
                "Билет в купе будет стоить около {n2} тенге.",
                "В составе {n1} вагонов, включая вагон-ресторан.",
                "Продажа билетов уже открыта на сайте перевозчика.",
                "Ранее пассажирам приходилось ехать с пересадкой.",
            ),
            "quotes": (
                "Мы ожидаем высокий спрос в праздничные дни",
                "Новый маршрут свяжет регионы напрямую",
            ),
        },
        "kk": {
            "titles": (
                "{city} — {city2} жаңа пойызы {date} іске қосылады",
                "{org} {city} — {city2} күнделікті рейсін іске қосады",
                "{city} мен {city2} арасын {n1} сағатта жүріп өтуге болады",
            ),
            "leads": (
                "{date} бастап {city} мен {city2} арасында жаңа жолаушылар пойызы қатынайды, "
                "деп хабарлады {org}.",
                "{org} {date} {city} — {city2} күнделікті рейсін іске қосады: жол уақыты {n1} "
                "сағатқа дейін қысқарады.",
                "{city} мен {city2} арасындағы жол {n1} сағат алады, жаңа пойыз {date} іске "
                "қосылады.",
            ),
            "details": (
                "Купе билетінің құны шамамен {n2} теңге болады.",
                "Құрамда {n1} вагон бар, оның ішінде вагон-мейрамхана.",
                "Билеттер тасымалдаушының сайтында сатылып жатыр.",
                "Бұрын жолаушылар ауысып отыруға мәжбүр болатын.",
            ),
            "quotes": (
                "Мереке күндері сұраныс жоғары болады деп күтеміз",
                "Жаңа бағыт өңірлерді тікелей байланыстырады",
            ),
        },
        "en": {
            "titles": (
                "New {city}–{city2} train to launch on {date}",
                "{org} launches daily {city}–{city2} service",
                "{city} to {city2} in {n1} hours on the new train",
            ),
            "leads": (
                "A new passenger train will run between {city} and {city2} from {date}, "
                "{org} said.",
                "{org} launches a daily {city}–{city2} service on {date}, cutting travel time "
                "to {n1} hours.",
                "The journey from {city} to {city2} will take {n1} hours when the new train "
                "starts on {date}.",
            ),
            "details": (
                "A berth in a compartment will cost about {n2} tenge.",
                "The train has {n1} carriages, including a dining car.",
                "Tickets are already on sale on the carrier's website.",
                "Passengers previously had to change trains.",
            ),
            "quotes": (
                "We expect high demand during the holidays",
                "The new route links the regions directly",
            ),
        },
    },
    {
        "orgs": (0,),
        "ru": {
            "titles": (
                "{city_loc} выявили {n1} случаев гриппа за неделю",
                "Заболеваемость гриппом {city_loc} выросла на {pct}%",
                "{org} призвал жителей {city_gen} привиться от гриппа",
            ),
            "leads": (
                "За неделю {city_loc} зарегистрировано {n1} случаев гриппа и ОРВИ, сообщили "
                "в {org_loc} {date}.",
                "Число заболевших гриппом {city_loc} выросло на {pct}% — {n1} случаев за неделю.",
                "{person}, главный санитарный врач, {date} сообщил о {n1} случаях гриппа "
                "{city_loc}.",
            ),
            "details": (
                "Вакцинацию уже прошли {n2} человек.",
                "Больше всего заболевших среди детей школьного возраста.",
                "Карантин в школах пока не вводится.",
                "Врачи советуют носить маски в общественном транспорте.",
            ),
            "quotes": (
                "Пик заболеваемости ожидается в январе",
                "Вакцина бесплатна для групп риска",
            ),
        },
        "kk": {
            "titles": (
                "{city_loc} бір аптада тұмаудың {n1} жағдайы анықталды",
                "{city_loc} тұмаумен сырқаттану {pct}% өсті",
                "{org} {city} тұрғындарын тұмауға қарсы екпе алуға шақырды",
            ),
            "leads": (
                "Бір аптада {city_loc} тұмау мен ЖРВИ-дің {n1} жағдайы тіркелді, деп хабарлады "
                "{org} {date}.",
                "{city_loc} тұмаумен ауырғандар саны {pct}% өсті, аптасына {n1} жағдай.",
                "Бас санитар дәрігер {person} {date} {city_loc} тұмаудың {n1} жағдайы "
                "тіркелгенін айтты.",
            ),
            "details": (
                "Екпені {n2} адам алды.",
                "Ауырғандардың көбі мектеп жасындағы балалар.",
                "Мектептерде карантин әзірге енгізілмейді.",
                "Дәрігерлер қоғамдық көлікте бетперде киюге кеңес береді.",
            ),
            "quotes": (
                "Сырқаттанудың шыңы қаңтарда күтіледі",
                "Қауіп тобы үшін екпе тегін",
            ),
        },
        "en": {
            "titles": (
                "{n1} flu cases recorded {city_loc} in a week",
                "Flu cases {city_loc} up {pct}%",
                "{org} urges residents of {city} to get a flu shot",
            ),
            "leads": (
                "{n1} cases of flu and respiratory infections were recorded {city_loc} in a "
                "week, {org} said on {date}.",
                "Flu cases {city_loc} rose {pct}% to {n1} in a week.",
                "Chief sanitary doctor {person} reported {n1} flu cases {city_loc} on {date}.",
            ),
            "details": (
                "{n2} people have already been vaccinated.",
                "Most of the patients are school-age children.",
                "No quarantine in schools is planned for now.",
                "Doctors advise wearing masks on public transport.",
            ),
            "quotes": (
                "The peak is expected in January",
                "The vaccine is free for risk groups",
            ),
        },
    },
    {
        "orgs": (2, 11),
        "ru": {
            "titles": (
                "{city_loc} построят {n1} новых школ до {date}",
                "{person}: дефицит ученических мест {city_loc} сократится на {n2}",
                "{org} открыл {n1} школ {city_loc}",
            ),
            "leads": (
                "До {date} {city_loc} откроют {n1} новых школ на {n2} ученических мест, "
                "сообщил {person}.",
                "{city_loc} введут в строй {n1} школ, что позволит сократить дефицит мест "
                "на {n2}, заявили в {org_loc}.",
                "{person} {date} рассказал о строительстве {n1} школ {city_loc}.",
            ),
            "details": (
                "Стоимость строительства оценивается в {amount} млрд тенге.",
                "В новых школах будут кабинеты робототехники и бассейны.",
                "Сейчас многие школы города работают в три смены.",
                "Часть объектов строится за счёт частных инвесторов.",
            ),
            "quotes": (
                "Трёхсменное обучение должно уйти в прошлое",
                "Каждый ребёнок должен учиться в комфортных условиях",
            ),
        },
        "kk": {
            "titles": (
                "{city_loc} {date} дейін {n1} жаңа мектеп салынады",
                "{person}: {city_loc} оқушы орны тапшылығы {n2} орынға азаяды",
                "{org} {city_loc} {n1} мектеп ашты",
            ),
            "leads": (
                "{date} дейін {city_loc} {n2} оқушы орнына арналған {n1} жаңа мектеп ашылады, "
                "деп хабарлады {person}.",
                "{city_loc} {n1} мектеп пайдалануға беріледі, бұл орын тапшылығын {n2} "
                "орынға азайтады, деді {org}.",
                "{person} {date} {city_loc} {n1} мектеп салынып жатқанын айтты.",
            ),
            "details": (
                "Құрылыс құны {amount} млрд теңгеге бағаланады.",
                "Жаңа мектептерде робототехника кабинеттері мен бассейндер болады.",
                "Қазір қаладағы көп мектеп үш ауысымда жұмыс істейді.",
                "Нысандардың бір бөлігі жеке инвесторлар есебінен салынуда.",
            ),
            "quotes": (
                "Үш ауысымды оқу өткенде қалуы керек",
                "Әр бала жайлы жағдайда оқуы тиіс",
            ),
        },
        "en": {
            "titles": (
                "{n1} new schools to be built {city_loc} by {date}",
                "{person}: school place shortage {city_loc} to shrink by {n2}",
                "{org} opens {n1} schools {city_loc}",
            ),
            "leads": (
                "{n1} new schools with {n2} places will open {city_loc} by {date}, {person} said.",
                "{n1} schools will be commissioned {city_loc}, cutting the shortage of places "
                "by {n2}, {org} said.",
                "{person} spoke on {date} about the construction of {n1} schools {city_loc}.",
            ),
            "details": (
                "Construction is estimated at {amount} billion tenge.",
                "The new schools will have robotics classrooms and swimming pools.",
                "Many city schools now work in three shifts.",
                "Some of the buildings are financed by private investors.",
            ),
            "quotes": (
                "Three-shift schooling must become a thing of the past",
                "Every child should study in comfortable conditions",
            ),
        },
    },
]

FILLER = {
    "ru": (
        "Напомним, ранее в регионе уже принимались аналогичные меры.",
        "Ситуация находится на контроле местных исполнительных органов.",
        "Подробнее о ходе работ можно узнать на официальном сайте ведомства.",
        "Эксперты отмечают, что вопрос обсуждается уже несколько лет.",
        "В социальных сетях новость вызвала оживлённое обсуждение.",
        "Ранее на эту тему высказывались депутаты Мажилиса.",
        "Следите за новостями в нашем Telegram-канале.",
        "Жители отмечают, что изменения заметны уже сейчас.",
        "По словам специалистов, результаты станут понятны к концу года.",
        "Аналогичная программа ранее действовала в соседних областях.",
    ),
    "kk": (
        "Еске сала кетейік, бұған дейін өңірде осындай шаралар қабылданған.",
        "Жағдай жергілікті атқарушы органдардың бақылауында.",
        "Жұмыс барысы туралы толығырақ ведомствоның ресми сайтынан білуге болады.",
        "Сарапшылар бұл мәселе бірнеше жылдан бері талқыланып келе жатқанын айтады.",
        "Әлеуметтік желілерде жаңалық қызу талқыланды.",
        "Бұған дейін бұл тақырыпта Мәжіліс депутаттары пікір білдірген.",
        "Жаңалықтарды Telegram-арнамыздан оқыңыз.",
        "Тұрғындар өзгерістер қазірдің өзінде байқалатынын айтады.",
        "Мамандардың айтуынша, нәтижесі жыл соңына қарай белгілі болады.",
        "Осындай бағдарлама бұған дейін көрші облыстарда жүзеге асқан.",
    ),
    "en": (
        "Similar measures have previously been taken in the region.",
        "Local authorities say the situation is under control.",
        "More details are available on the official website of the agency.",
        "Experts note that the issue has been discussed for several years.",
        "The news sparked a lively discussion on social media.",
        "Members of the Mazhilis have previously spoken on the subject.",
        "Follow our Telegram channel for updates.",
        "Residents say the changes are already noticeable.",
        "Specialists say the results will be clear by the end of the year.",
        "A similar programme previously ran in neighbouring regions.",
    ),
}

LINK_TEXT = {
    "ru": ("Читайте также", "Подробнее", "Ранее сообщалось"),
    "kk": ("Оқи отырыңыз", "Толығырақ", "Бұған дейін хабарланған"),
    "en": ("Read also", "More", "Earlier"),
}

RU_TO_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "yo",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "_",
            "y",
            "_",
            "e",
            "yu",
            "ya",
            "a",
            "g",
            "k",
            "n",
            "o",
            "u",
            "u",
            "h",
            "i",
        ],
        strict=True,
    )
)


def latin(name: str) -> str:
    """A simple Latin transliteration of a Cyrillic name."""
    out = []
    for char in name:
        low = char.lower()
        mapped = RU_TO_LATIN.get(low)
        if mapped is None:
            out.append(char)
            continue
        mapped = "" if mapped == "_" else mapped
        out.append(mapped.capitalize() if char != low else mapped)
    return "".join(out)

"""htmlsource: HTML listing pages read with CSS selectors, local dates, main-text extraction.

The fixtures are tests/data/akorda-events.html (Russian), akorda-events-kz.html (Kazakh)
and article.html; their expected values are written here. Asia/Almaty is UTC+5 (one zone
for all Kazakhstan since March 2024), so local 14:30 is 09:30 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.errors import NotAFeedError, ParseError
from aggregator.htmlsource import (
    MAX_ITEMS,
    Selectors,
    extract_main_text,
    parse_html_page,
    parse_local_date,
    read_local_date,
)

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
"""17:00 on 25 November 2026 in Almaty."""
AKORDA = Selectors(
    item=".news-item", title="h3 a", link="h3 a", date=".date", summary=".lead", image="img"
)
SITE = "https://www.akorda.kz"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def page(body: str, head: str = "") -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


# -- the Akorda pages ---------------------------------------------------------------------

AKORDA_RU = [
    (
        "Глава государства принял Премьер-министра Олжаса Бектенова",
        "/ru/glava-gosudarstva-prinyal-premer-ministra-olzhasa-bektenova-2512345",
        "/assets/media/news/2026/11/25/bektenov.jpg",
        utc(2026, 11, 25, 9, 30),  # "25 ноября 2026, 14:30"
    ),
    (
        "Касым-Жомарт Токаев принял Председателя Национального Банка Тимура Сулейменова",
        "/ru/kasym-zhomart-tokaev-prinyal-predsedatelya-nacionalnogo-banka-2512346",
        "/assets/media/news/2026/11/25/natsbank.jpg",  # data-src, not the placeholder src
        utc(2026, 11, 25, 5, 0),  # "Сегодня, 10:00"
    ),
    (
        "Глава государства подписал Закон Республики Казахстан "
        "«О внесении изменений и дополнений в Бюджетный кодекс»",
        "/ru/glava-gosudarstva-podpisal-zakon-o-vnesenii-izmeneniy-v-byudzhetnyy-kodeks-2512347",
        "/assets/media/news/2026/11/24/zakon.jpg",
        utc(2026, 11, 24, 13, 20),  # "Вчера, 18:20"
    ),
    (
        "Состоялся телефонный разговор с Президентом Узбекистана Шавкатом Мирзиёевым",
        "/ru/sostoyalsya-telefonnyy-razgovor-s-prezidentom-uzbekistana-shavkatom-mirziyoevym-2512348",
        "/assets/media/news/2026/11/24/mirziyoyev.jpg",
        utc(2026, 11, 23, 19, 0),  # "24.11.2026": local midnight
    ),
    (
        "Президент выступил на пленарном заседании Совета иностранных инвесторов",
        "/ru/prezident-vystupil-na-zasedanii-soveta-inostrannyh-investorov-2512349",
        "/assets/media/news/2026/11/23/fii.jpg",
        utc(2026, 11, 22, 19, 0),  # "23 ноября 2026 года"
    ),
    (
        "Глава государства вручил государственные награды",
        # href="ru/…" resolves against <base href="https://www.akorda.kz/">, not the page
        "/ru/glava-gosudarstva-vruchil-gosudarstvennye-nagrady-2512350",
        None,
        utc(2026, 11, 21, 11, 45),  # "21 ноября 2026 г., 16:45"
    ),
]


def test_akorda_page_gives_six_entries() -> None:
    parsed = parse_html_page(
        (DATA / "akorda-events.html").read_bytes(),
        url=f"{SITE}/ru/events",
        selectors=AKORDA,
        now=NOW,
        content_type="text/html; charset=utf-8",
    )
    assert parsed.format == "html"
    assert parsed.title == "События — Официальный сайт Президента Республики Казахстан"
    assert parsed.link == f"{SITE}/ru/events"
    assert parsed.language == "ru"
    assert parsed.warnings == ()
    got = [(e.title, e.link, e.image, e.published) for e in parsed.entries]
    assert got == [
        (title, SITE + link, SITE + image if image else None, published)
        for title, link, image, published in AKORDA_RU
    ]
    assert all(e.guid == e.link for e in parsed.entries)
    assert all(e.base_url == f"{SITE}/" for e in parsed.entries)
    # "24.11.2026" and "23 ноября 2026 года" give a day, not a time of day
    assert [e.time_known for e in parsed.entries] == [True, True, True, False, False, True]
    assert parsed.entries[0].summary == (
        "Касым-Жомарт Токаев заслушал доклад об итогах социально-экономического развития "
        "страны за десять месяцев текущего года."
    )


def test_akorda_page_nav_and_footer_are_not_items() -> None:
    parsed = parse_html_page(
        (DATA / "akorda-events.html").read_bytes(),
        url=f"{SITE}/ru/events",
        selectors=AKORDA,
        now=NOW,
    )
    links = {e.link for e in parsed.entries}
    assert not links & {f"{SITE}/ru/events", f"{SITE}/ru/contacts", f"{SITE}/ru/events?page=2"}
    assert not any("©" in (e.title or "") + (e.summary or "") for e in parsed.entries)


def test_akorda_kazakh_page() -> None:
    parsed = parse_html_page(
        (DATA / "akorda-events-kz.html").read_bytes(),
        url=f"{SITE}/kz/events",
        selectors=AKORDA,
        timezone="Asia/Almaty",
        now=NOW,
    )
    assert parsed.language == "kk"
    assert [(e.title, e.published, e.image) for e in parsed.entries] == [
        (
            "Мемлекет басшысы Премьер-Министр Олжас Бектеновты қабылдады",
            utc(2026, 11, 25, 9, 30),  # "25 қараша 2026, 14:30"
            f"{SITE}/assets/media/news/2026/11/25/bektenov.jpg",
        ),
        (
            "Қасым-Жомарт Тоқаев Ұлттық Банк Төрағасы Тимур Сүлейменовті қабылдады",
            utc(2026, 11, 25, 4, 15),  # "Бүгін, 09:15"
            f"{SITE}/assets/media/news/2026/11/25/natsbank.jpg",  # data-src only
        ),
        (
            "Мемлекет басшысы «Бюджет кодексіне өзгерістер мен толықтырулар енгізу туралы» "
            "Заңға қол қойды",
            utc(2026, 11, 23, 19, 0),  # "Кеше": midnight of 24 November in Almaty
            f"{SITE}/assets/media/news/2026/11/24/zakon.jpg",
        ),
        (
            "Президент Шетелдік инвесторлар кеңесінің пленарлық отырысына қатысты",
            utc(2026, 11, 23, 6, 0),  # "2026 жылғы 23 қараша, 11:00"
            None,
        ),
    ]
    assert parsed.entries[0].link == (
        f"{SITE}/kz/memleket-basshysy-premer-ministr-olzhas-bektenovty-kabyldady-2512345"
    )


# -- items, links, images -------------------------------------------------------------------


def test_items_without_title_or_link_are_skipped() -> None:
    body = (
        '<div class="i"><h3><a href="/a">A</a></h3></div>'
        '<div class="i"><p>nothing here</p></div>'
        '<div class="i"><h3>Title only</h3></div>'
        '<div class="i"><a href="/link-only"></a></div>'
    )
    parsed = parse_html_page(
        page(body),
        url="https://example.kz/news/",
        selectors=Selectors(item=".i", title="h3"),
        now=NOW,
    )
    assert [(e.title, e.link) for e in parsed.entries] == [
        ("A", "https://example.kz/a"),
        ("Title only", None),
        (None, "https://example.kz/link-only"),
    ]


def test_link_selector_on_a_container_takes_the_link_inside() -> None:
    body = '<div class="i"><h3 class="t"><a href="x?id=1">T</a></h3></div>'
    parsed = parse_html_page(
        page(body),
        url="https://example.kz/news/",
        selectors=Selectors(item=".i", title=".t", link=".t"),
        now=NOW,
    )
    assert parsed.entries[0].link == "https://example.kz/news/x?id=1"


def test_non_http_links_and_data_images_are_dropped() -> None:
    body = (
        '<div class="i"><a href="javascript:void(0)">JS</a>'
        '<img src="data:image/gif;base64,R0lGOD"></div>'
        '<div class="i"><a href="mailto:press@akorda.kz">Mail</a>'
        '<figure><img src="//cdn.akorda.kz/p.jpg"></figure></div>'
    )
    parsed = parse_html_page(
        page(body),
        url="https://www.akorda.kz/ru/events",
        selectors=Selectors(item=".i", title="a", link="a", image="figure, img"),
        now=NOW,
    )
    assert [(e.title, e.link, e.image) for e in parsed.entries] == [
        ("JS", None, None),
        ("Mail", None, "https://cdn.akorda.kz/p.jpg"),
    ]


def test_item_with_only_an_unusable_link_is_skipped() -> None:
    body = '<div class="i"><a href="A:"></a></div><div class="i"><a href="/ok">OK</a></div>'
    parsed = parse_html_page(
        page(body), url=SITE, selectors=Selectors(item=".i", title="a"), now=NOW
    )
    assert [e.link for e in parsed.entries] == [f"{SITE}/ok"]


def test_time_datetime_attribute_and_content_html() -> None:
    body = (
        '<article class="i"><a href="/n/1">N</a>'
        '<time datetime="2026-11-25T14:30:00+05:00">недавно</time>'
        '<div class="body"><p>Первый <b>абзац</b></p></div></article>'
    )
    parsed = parse_html_page(
        page(body),
        url="https://example.kz/",
        selectors=Selectors(item=".i", title="a", date="time", content=".body"),
        now=NOW,
    )
    entry = parsed.entries[0]
    assert entry.published == utc(2026, 11, 25, 9, 30)
    assert entry.content == '<div class="body"><p>Первый <b>абзац</b></p></div>'


def test_at_most_500_items() -> None:
    body = "".join(f'<div class="i"><a href="/n/{n}">N{n}</a></div>' for n in range(MAX_ITEMS + 20))
    parsed = parse_html_page(
        page(body), url="https://example.kz/", selectors=Selectors(item=".i", title="a"), now=NOW
    )
    assert len(parsed.entries) == MAX_ITEMS == 500
    assert parsed.entries[-1].title == "N499"
    assert parsed.warnings == ("page has 520 items; read only the first 500",)


# -- encodings -----------------------------------------------------------------------------

CP1251_BODY = '<div class="i"><a href="/n">Глава государства</a></div>'


def test_charset_from_content_type() -> None:
    content = f"<html><body>{CP1251_BODY}</body></html>".encode("cp1251")
    parsed = parse_html_page(
        content,
        url="https://example.kz/",
        selectors=Selectors(item=".i", title="a"),
        now=NOW,
        content_type="text/html; charset=windows-1251",
    )
    assert parsed.entries[0].title == "Глава государства"


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1251">',
        '<meta http-equiv="Content-Type" content="text/html; charset=cp1251">',
    ],
)
def test_charset_from_meta(meta: str) -> None:
    content = f"<html><head>{meta}</head><body>{CP1251_BODY}</body></html>".encode("cp1251")
    parsed = parse_html_page(
        content, url="https://example.kz/", selectors=Selectors(item=".i", title="a"), now=NOW
    )
    assert parsed.entries[0].title == "Глава государства"


def test_undeclared_bad_bytes_are_read_as_utf8_with_replacement() -> None:
    content = page('<div class="i"><a href="/n">Акорда \xff</a></div>').replace(
        "\xff".encode(), b"\xff"
    )
    parsed = parse_html_page(
        content, url="https://example.kz/", selectors=Selectors(item=".i", title="a"), now=NOW
    )
    assert parsed.entries[0].title == "Акорда \ufffd"


# -- errors --------------------------------------------------------------------------------


def test_no_items_is_not_a_feed() -> None:
    with pytest.raises(NotAFeedError, match=r"no items matched selector '\.news-item'") as info:
        parse_html_page(
            (DATA / "article.html").read_bytes(),
            url=f"{SITE}/ru/x",
            selectors=AKORDA,
            now=NOW,
        )
    assert info.value.url == f"{SITE}/ru/x"


@pytest.mark.parametrize(
    ("selectors", "named"),
    [
        (Selectors(item=".news-item[", title="a"), "selectors.item: '.news-item['"),
        (Selectors(item=".news-item", title="h3 >> a"), "selectors.title: 'h3 >> a'"),
        (Selectors(item=".news-item", title="a", date="::text"), "selectors.date: '::text'"),
        (Selectors(item=".news-item", title="a", image=""), "selectors.image: ''"),
    ],
)
def test_invalid_selector_is_a_parse_error(selectors: Selectors, named: str) -> None:
    with pytest.raises(ParseError, match=named.replace("[", r"\[")) as info:
        parse_html_page(
            (DATA / "akorda-events.html").read_bytes(), url=SITE, selectors=selectors, now=NOW
        )
    assert not isinstance(info.value, NotAFeedError)


def test_items_without_any_title_or_link_are_not_a_feed() -> None:
    body = '<div class="news-item"><p>Без заголовка</p></div>'
    with pytest.raises(
        NotAFeedError, match=r"matched 1 item\(s\) on .* none had a title or a link"
    ):
        parse_html_page(page(body), url=SITE, selectors=AKORDA, now=NOW)


@pytest.mark.parametrize("content", [b"", b"   \n"])
def test_empty_page_is_a_parse_error(content: bytes) -> None:
    with pytest.raises(ParseError):
        parse_html_page(content, url=SITE, selectors=AKORDA, now=NOW)


def test_unknown_timezone_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="unknown timezone 'Asia/Almaata'"):
        parse_local_date("14:30", timezone="Asia/Almaata", now=NOW)
    with pytest.raises(ParseError, match="unknown timezone"):
        parse_html_page(
            (DATA / "akorda-events.html").read_bytes(),
            url=SITE,
            selectors=AKORDA,
            timezone="Nowhere/Town",
            now=NOW,
        )


# -- dates ---------------------------------------------------------------------------------

LATE_EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
"""01:00 on 25 November in Almaty, 24 November in UTC: "today" is the local day."""
NEW_YEAR = datetime(2027, 1, 2, 6, 0, tzinfo=UTC)

DATES = [
    ("25 ноября 2026, 14:30", NOW, utc(2026, 11, 25, 9, 30)),
    ("25 ноября 2026 г.", NOW, utc(2026, 11, 24, 19, 0)),
    ("25 ноября 2026 года", NOW, utc(2026, 11, 24, 19, 0)),
    ("25 қараша 2026", NOW, utc(2026, 11, 24, 19, 0)),
    ("25 караша 2026", NOW, utc(2026, 11, 24, 19, 0)),  # typed without Kazakh letters
    ("2026 жылғы 25 қараша, 14:30", NOW, utc(2026, 11, 25, 9, 30)),
    ("2026 ж. 25 қараша", NOW, utc(2026, 11, 24, 19, 0)),
    ("25.11.2026 14:30", NOW, utc(2026, 11, 25, 9, 30)),
    ("25.11.2026, 14:30:15", NOW, utc(2026, 11, 25, 9, 30, 15)),
    ("25/11/26", NOW, utc(2026, 11, 24, 19, 0)),
    ("14:30, 25 ноября 2026", NOW, utc(2026, 11, 25, 9, 30)),
    ("Опубликовано: 25 ноября 2026 в 14:30", NOW, utc(2026, 11, 25, 9, 30)),
    ("Сегодня, 14:30", NOW, utc(2026, 11, 25, 9, 30)),
    ("сегодня в 9:05", NOW, utc(2026, 11, 25, 4, 5)),
    ("СЕГОДНЯ 23:59", NOW, utc(2026, 11, 25, 18, 59)),
    ("Вчера, 18:00", NOW, utc(2026, 11, 24, 13, 0)),
    ("вчера", NOW, utc(2026, 11, 23, 19, 0)),
    ("позавчера, 12:00", NOW, utc(2026, 11, 23, 7, 0)),
    ("Бүгін, 14:30", NOW, utc(2026, 11, 25, 9, 30)),
    ("Кеше, 10:15", NOW, utc(2026, 11, 24, 5, 15)),
    ("кеше сағат 10:15", NOW, utc(2026, 11, 24, 5, 15)),
    ("14:30", NOW, utc(2026, 11, 25, 9, 30)),
    (" 9:05 ", NOW, utc(2026, 11, 25, 4, 5)),
    ("Сегодня, 00:30", LATE_EVENING, utc(2026, 11, 24, 19, 30)),
    ("Вчера, 23:00", LATE_EVENING, utc(2026, 11, 24, 18, 0)),
    ("25 ноября", NOW, utc(2026, 11, 24, 19, 0)),
    ("27 ноября", NOW, utc(2026, 11, 26, 19, 0)),  # 2 days ahead: still this year
    ("28 ноября", NOW, utc(2025, 11, 27, 19, 0)),  # 3 days ahead: last year
    ("31 декабря, 20:00", NEW_YEAR, utc(2026, 12, 31, 15, 0)),
    ("2 января", NEW_YEAR, utc(2027, 1, 1, 19, 0)),
    # No 29 February in 2025: the last one; Almaty was still UTC+6 then.
    ("29 февраля", datetime(2025, 3, 1, tzinfo=UTC), utc(2024, 2, 28, 18, 0)),
    ("2026-11-25T14:30:00+05:00", NOW, utc(2026, 11, 25, 9, 30)),
    ("2026-11-25T09:30:00Z", NOW, utc(2026, 11, 25, 9, 30)),
    ("2026-11-25T09:30:00.123456+00:00", NOW, utc(2026, 11, 25, 9, 30, 0, 123456)),
    ("2026-11-25 14:30", NOW, utc(2026, 11, 25, 9, 30)),  # no offset: the source's zone
    ("2026-11-25", NOW, utc(2026, 11, 24, 19, 0)),
    ("25 November 2026, 14:30", NOW, utc(2026, 11, 25, 9, 30)),
]


@pytest.mark.parametrize(("text", "now", "expected"), DATES)
def test_parse_local_date(text: str, now: datetime, expected: datetime) -> None:
    got = parse_local_date(text, timezone="Asia/Almaty", now=now)
    assert got == expected
    assert got is not None and got.tzinfo is UTC


def test_parse_local_date_uses_the_given_timezone() -> None:
    assert parse_local_date("25.11.2026 14:30", timezone="Europe/Moscow", now=NOW) == utc(
        2026, 11, 25, 11, 30
    )
    assert parse_local_date("Сегодня, 14:30", timezone="UTC", now=NOW) == utc(2026, 11, 25, 14, 30)


def test_naive_now_is_taken_as_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_local_date("Вчера, 18:00", timezone="Asia/Almaty", now=naive) == utc(
        2026, 11, 24, 13, 0
    )


MONTHS = [
    # genitive, nominative, abbreviation, Kazakh
    ("января", "январь", "янв.", "қаңтар"),
    ("февраля", "февраль", "фев.", "ақпан"),
    ("марта", "март", "мар.", "наурыз"),
    ("апреля", "апрель", "апр.", "сәуір"),
    ("мая", "май", "мая", "мамыр"),
    ("июня", "июнь", "июн.", "маусым"),
    ("июля", "июль", "июл.", "шілде"),
    ("августа", "август", "авг.", "тамыз"),
    ("сентября", "сентябрь", "сент.", "қыркүйек"),
    ("октября", "октябрь", "окт.", "қазан"),
    ("ноября", "ноябрь", "нояб.", "қараша"),
    ("декабря", "декабрь", "дек.", "желтоқсан"),
]


@pytest.mark.parametrize(
    ("word", "month"),
    [(word, n) for n, forms in enumerate(MONTHS, 1) for word in forms]
    + [(word.upper(), n) for n, forms in enumerate(MONTHS, 1) for word in forms[::3]]
    + [("мае", 5), ("қарашада", 11), ("Желтоқсанның", 12)],
)
def test_every_month_name(word: str, month: int) -> None:
    got = parse_local_date(f"5 {word} 2026, 12:00", timezone="Asia/Almaty", now=NOW)
    assert got == utc(2026, month, 5, 7, 0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "скоро",
        "ноябрь",
        "2026",
        "г.",
        "25 нябрь 2026",
        "32 ноября 2026",
        "29.02.2026",
        "25.13.2026",
        "25:61",
        "24:00",
        "вчера завтра",
        "сегодня или вчера",
        "Читать далее 14:30 минут",
        "2026-13-45",
        "0000-01-01",
        "25 ноября 1850",
        "1 000 000 тенге",
    ],
)
def test_unreadable_dates_are_none(text: str) -> None:
    assert parse_local_date(text, timezone="Asia/Almaty", now=NOW) is None


# -- main text -----------------------------------------------------------------------------


def test_extract_main_text_keeps_the_article_only() -> None:
    text = extract_main_text(
        (DATA / "article.html").read_text(encoding="utf-8"), url=f"{SITE}/ru/x"
    )
    assert text is not None
    paragraphs = text.splitlines()
    assert len(paragraphs) >= 6
    assert paragraphs[0].startswith(
        "Глава государства Касым-Жомарт Токаев провёл встречу с акимом Алматы Ерболатом Досаевым"
    )
    for phrase in (
        "валового регионального продукта",
        "модернизации инженерной инфраструктуры",
        "сейсмической устойчивости",
        "газомоторное топливо",
        "к отопительному сезону",
    ):
        assert phrase in text
    for noise in (
        "Лента событий",  # nav
        "Популярное",  # sidebar
        "Чарынский каньон",  # banner
        "Аль-Фараби",  # comment
        "Гость_2841",
        "Оставьте свой комментарий",
        "Все права защищены",  # footer
        "Поделиться",
    ):
        assert noise not in text


@pytest.mark.parametrize("html", ["", "  ", "<html><body></body></html>", "<p>a</p>"])
def test_extract_main_text_of_nothing_is_none(html: str) -> None:
    assert extract_main_text(html) is None


# -- properties ----------------------------------------------------------------------------

DATE_ALPHABET = st.sampled_from(
    [*"0123456789 .,:/-T+Z", "ноября", "қараша", "сегодня", "кеше", "жылғы", "г.", "мая"]
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text() | st.lists(DATE_ALPHABET, max_size=12).map("".join),
    now=st.datetimes(
        min_value=datetime(1901, 1, 1), max_value=datetime(2199, 1, 1), timezones=st.just(UTC)
    ),
)
def test_parse_local_date_never_raises(text: str, now: datetime) -> None:
    got = parse_local_date(text, timezone="Asia/Almaty", now=now)
    assert got is None or got.tzinfo is UTC


ITEM_HTML = st.builds(
    '<div class="news-item"><h3><a href="{}">{}</a></h3><span class="date">{}</span>'
    '<img data-src="{}"><p class="lead">{}</p></div>'.format,
    st.text(max_size=30),
    st.text(max_size=30),
    st.text(max_size=30) | st.lists(DATE_ALPHABET, max_size=8).map("".join),
    st.text(max_size=30),
    st.text(max_size=30),
)


TAG_SOUP = st.lists(
    st.sampled_from(
        [
            *"<>/=\"' &#;\x00",
            *("div", "a", "h3", "class=news-item", "href=", "data-src=", "http://["),
            *('<meta charset="utf-16">', '<base href="x:">', "<img ", ".date", "14:30"),
        ]
    ),
    max_size=60,
).map(lambda parts: "".join(parts).encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.binary(max_size=2000)
    | st.lists(ITEM_HTML, max_size=5).map(lambda items: "".join(items).encode())
    | TAG_SOUP,
    content_type=st.none()
    | st.sampled_from(["text/html", "text/html; charset=koi8-r", "x; charset=nope"]),
)
def test_parse_html_page_returns_or_raises_parse_error(
    content: bytes, content_type: str | None
) -> None:
    try:
        parsed = parse_html_page(
            content, url=f"{SITE}/ru/events", selectors=AKORDA, now=NOW, content_type=content_type
        )
    except ParseError:  # NotAFeedError included
        return
    assert 0 < len(parsed.entries) <= MAX_ITEMS
    for entry in parsed.entries:
        assert entry.title or entry.link
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        assert entry.published is None or entry.published.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "time_known"),
    [
        ("25 ноября 2026, 14:30", True),
        ("25 ноября 2026 г.", False),
        ("2026 жылғы 25 қараша", False),
        ("25.11.2026", False),
        ("Вчера", False),
        ("Сегодня, 9:05", True),
        ("14:30", True),
        ("2026-11-25", False),
        ("2026-11-25T14:30:00+05:00", True),
    ],
)
def test_a_date_says_whether_it_gave_the_time_of_day(text: str, time_known: bool) -> None:
    parsed = read_local_date(text, timezone="Asia/Almaty", now=NOW)
    assert parsed is not None and parsed.time_known is time_known
    assert parsed.moment == parse_local_date(text, timezone="Asia/Almaty", now=NOW)

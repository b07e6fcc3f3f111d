"""parse + normalize over the fixture feeds, data-driven from tests/data/expected.json."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import NotAFeedError, ParseError
from aggregator.models import Item
from aggregator.normalize import normalize_entry
from aggregator.parse import parse_feed

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))  # make_encodings, the charset fixtures generator
EXPECTED: dict[str, dict] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".xml": "application/xml",
    ".html": "text/html; charset=utf-8",
}
FEEDS = [name for name, facts in EXPECTED.items() if facts["count"]]


def items_of(name: str, content_type: str | None = None) -> list[Item]:
    path = DATA / name
    parsed = parse_feed(path.read_bytes(), content_type=content_type, url=None)
    return [normalize_entry(e, source_id="s", now=NOW) for e in parsed.entries]


@pytest.mark.parametrize("name", FEEDS)
def test_fixture_feed_gives_expected_items(name: str) -> None:
    facts = EXPECTED[name]
    items = items_of(name, CONTENT_TYPES[Path(name).suffix])
    assert len(items) == facts["count"]
    for item, expected in zip(items, facts["items"], strict=True):
        # No title in the feed: the start of the text stands in.
        assert item.title == (expected["title"] or item.text[: len(item.title)])
        assert item.title
        assert item.original_link == expected["link"]
        # No date in the feed: the first-seen (fetch) time stands in.
        assert item.published.isoformat() == (expected["published_utc"] or NOW.isoformat())
        assert item.guid == expected["guid"]
        if expected.get("author"):
            assert item.author == expected["author"]


def test_windows_1251_comes_out_as_cyrillic() -> None:
    items = items_of("cp1251.rss", "application/rss+xml; charset=windows-1251")
    assert items[0].title == EXPECTED["cp1251.rss"]["items"][0]["title"]
    assert all("Ð" not in item.text and "\ufffd" not in item.text for item in items)


def test_windows_1251_without_header_uses_the_xml_declaration() -> None:
    items = items_of("cp1251.rss", None)
    assert items[0].title == EXPECTED["cp1251.rss"]["items"][0]["title"]


def test_relative_links_are_resolved_against_xml_base() -> None:
    items = items_of("relative-links.atom", "application/atom+xml")
    for url in EXPECTED["relative-links.atom"]["items"][0]["content_urls"]:
        assert url in items[0].content_html
    assert 'href="/' not in items[0].content_html and 'src="img/' not in items[0].content_html


def test_hostile_markup_never_survives() -> None:
    facts = EXPECTED["hostile.rss"]
    items = items_of("hostile.rss", "application/rss+xml")
    for item in items:
        for needle in facts["forbidden"]:
            assert needle not in item.content_html.lower(), (item.title, needle)
        for pixel in facts["tracking_pixels"]:
            assert pixel not in item.content_html
    for item, expected in zip(items, facts["items"], strict=True):
        for text in expected["safe_text"]:
            assert text in item.content_html or text in item.text


def test_malformed_feed_keeps_what_parses_and_warns() -> None:
    parsed = parse_feed((DATA / "malformed.xml").read_bytes(), content_type="application/xml")
    assert len(parsed.entries) >= EXPECTED["malformed.xml"]["min_count"]
    assert parsed.warnings and "malformed" in parsed.warnings[0]
    assert parsed.entries[0].title == EXPECTED["malformed.xml"]["items"][0]["title"]


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(NotAFeedError, match="not a feed: got text/html"):
        parse_feed((DATA / "not-a-feed.html").read_bytes(), content_type="text/html")


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "application/rss+xml", "empty"),
        (b"   \n", None, "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "got image/png"),
        (b"{not json", "application/feed+json", "invalid JSON"),
        (b'{"title": "x"}', "application/json", "JSON Feed"),
        (b"plain words, no markup", "text/plain", "not a feed"),
    ],
)
def test_non_feeds_get_a_specific_error(
    body: bytes, content_type: str | None, message: str
) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(body, content_type=content_type)


def test_empty_channel_is_a_feed_with_no_entries() -> None:
    parsed = parse_feed((DATA / "empty.rss").read_bytes(), content_type="application/rss+xml")
    assert parsed.entries == ()
    assert parsed.title == EXPECTED["empty.rss"]["feed_title"]


def test_items_without_guid_get_link_or_hash_identity() -> None:
    items = items_of("no-guid.rss", "application/rss+xml")
    keys = [item.key for item in items]
    assert any(key.startswith("link:") for key in keys)
    assert any(key.startswith("hash:") for key in keys)
    assert all(item.title for item in items)
    # Re-parsing gives the same identities: the same item is never added twice.
    assert keys == [item.key for item in items_of("no-guid.rss", "application/rss+xml")]


def test_json_feed_fields() -> None:
    parsed = parse_feed((DATA / "tengrinews.json").read_bytes(), content_type=None)
    assert parsed.format == "json11"
    first = parsed.entries[0]
    assert first.published is not None and first.published.utcoffset() is not None
    assert first.image and first.categories


# -- formats --------------------------------------------------------------------------------
# Expectations beside the test: expected.json must list exactly the fixtures that
# tests/test_feedserver.py serves, so the newer fixtures are described here.

FORMATS = {
    # name: (format, feed title, [(guid, title, link, published UTC, author)])
    "rss091.xml": (
        "rss091n",
        "Steppe Wire",
        [
            (
                None,
                "Café Opens on the Left Bank",
                "https://steppe-wire.example/2026/11/cafe-opens",
                None,
                None,
            ),
            (
                None,
                "Rail Line Reopens After Repairs",
                "https://steppe-wire.example/2026/11/rail-line?utm_source=rss&utm_medium=feed",
                None,
                None,
            ),
        ],
    ),
    "rss092.xml": (
        "rss092",
        "Radio Shalqar Podcasts",
        [
            (
                None,
                "Evening Programme, 24 November",
                "https://shalqar.example/programmes/2026-11-24",
                None,
                None,
            )
        ],
    ),
    "rdf.xml": (
        "rss10",
        "Vlast.example — политика",
        [
            (
                "https://vlast.example/news/501",
                "Сенат одобрил поправки в Бюджетный кодекс",
                "https://vlast.example/news/501",
                "2026-11-24T05:15:00+00:00",
                "Марат Сейткали",
            ),
            (
                "https://vlast.example/news/500",
                "Мажилис рассмотрит законопроект о СМИ",
                "https://vlast.example/news/500",
                "2026-11-23T12:00:00+00:00",
                "Алия Касымова",
            ),
        ],
    ),
    "atom03.xml": (
        "atom03",
        "Old Atom Blog",
        [
            (
                "tag:old-atom.example,2026:/marathon",
                "Notes from the Almaty Marathon",
                "https://old-atom.example/2026/11/marathon",
                "2026-11-24T07:30:00+00:00",
                "Erlan B.",
            ),
            (
                "tag:old-atom.example,2026:/tyres",
                "Winter Tyres: What the Law Says",
                "https://old-atom.example/2026/11/tyres",
                "2026-11-22T09:00:00+00:00",
                "Erlan B.",
            ),
        ],
    ),
    "jsonfeed10.json": (
        "json10",
        "Orda.example",
        [
            (
                "https://orda.example/news/77001",
                "В Алматы запустили новый автобусный маршрут",
                "https://orda.example/news/77001",
                "2026-11-24T05:00:00+00:00",
                "Дина Омарова",
            ),
            (
                "77000",
                "Курс тенге на 24 ноября",
                "https://orda.example/news/77000",
                "2026-11-24T03:00:00+00:00",
                None,
            ),
        ],
    ),
    "yandex.rss": (
        "rss20",
        "KazTAG — Казахстанское телеграфное агентство",
        [
            (
                "https://kaztag.example/ru/news/natsbank-sokhranil-stavku",
                "Нацбанк Казахстана сохранил базовую ставку",
                "https://kaztag.example/ru/news/natsbank-sokhranil-stavku?utm_source=yxnews&utm_medium=desktop",
                "2026-11-24T10:00:00+00:00",
                "Ержан Абдулов",
            ),
            (
                "https://kaztag.example/ru/news/forum-startapov",
                "В Астане прошёл форум IT-стартапов",
                "https://kaztag.example/ru/news/forum-startapov",
                "2026-11-23T14:30:00+00:00",
                None,
            ),
        ],
    ),
    "media.rss": (
        "rss20",
        "Sputnik.example — Казахстан",
        [
            (
                "sputnik-20261124-sneg",
                "Фоторепортаж: первый снег в Алматы",
                "https://sputnik.example/20261124/sneg-almaty.html",
                "2026-11-24T03:00:00+00:00",
                "Асель Ахметова",
            ),
            (
                "sputnik-20261123-podcast",
                "Подкаст: итоги недели",
                "https://sputnik.example/20261123/podcast.html",
                "2026-11-23T14:00:00+00:00",
                "Редакция",
            ),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_gives_its_items(name: str) -> None:
    version, feed_title, expected = FORMATS[name]
    parsed = parse_feed((DATA / name).read_bytes(), content_type=CONTENT_TYPES[Path(name).suffix])
    assert parsed.format == version
    assert parsed.title == feed_title
    assert parsed.warnings == ()
    items = [normalize_entry(e, source_id="s", now=NOW) for e in parsed.entries]
    assert len(items) == len(expected)
    for item, (guid, title, link, published, author) in zip(items, expected, strict=True):
        assert (item.guid, item.title, item.original_link, item.author) == (
            guid,
            title,
            link,
            author,
        )
        assert item.published.isoformat() == (published or NOW.isoformat())


def test_feed_hints_ttl_and_syndication_period() -> None:
    def hints(name: str) -> tuple[int | None, int | None]:
        parsed = parse_feed((DATA / name).read_bytes())
        return parsed.ttl_minutes, parsed.update_period_minutes

    assert hints("yandex.rss") == (15, None)
    assert hints("media.rss") == (None, 30)  # hourly / 2
    assert hints("rdf.xml") == (None, 360)  # daily / 4
    assert hints("ulysmedia.rss")[1] is None


@pytest.mark.parametrize(
    ("channel", "ttl", "period"),
    [
        ("<ttl>-5</ttl><sy:updatePeriod>fortnightly</sy:updatePeriod>", None, None),
        ("<ttl>99999999999999999999</ttl><sy:updateFrequency>0</sy:updateFrequency>", None, 1440),
        ("<ttl> 60 </ttl><sy:updatePeriod>WEEKLY</sy:updatePeriod>", 60, 10080),
        (
            "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>120</sy:updateFrequency>",
            None,
            1,
        ),
    ],
)
def test_odd_feed_hints(channel: str, ttl: int | None, period: int | None) -> None:
    body = (
        '<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
        f"<title>H</title>{channel}<item><title>x</title></item></channel></rss>"
    ).encode()
    parsed = parse_feed(body)
    assert (parsed.ttl_minutes, parsed.update_period_minutes) == (ttl, period)


def test_content_encoded_dc_and_media() -> None:
    parsed = parse_feed((DATA / "media.rss").read_bytes(), content_type="application/rss+xml")
    first, second = parsed.entries
    assert first.content is not None and "<figure>" in first.content
    assert first.summary == "Город засыпало снегом за ночь."
    assert first.image == "https://sputnik.example/img/2026/sneg-thumb.jpg"
    assert [e.url for e in first.enclosures] == ["https://sputnik.example/video/sneg.mp4"]
    assert first.enclosures[0].type == "video/mp4" and first.enclosures[0].length == 5242880
    assert second.enclosures[0].type == "audio/mpeg" and second.enclosures[0].length == 7340032
    item = normalize_entry(first, source_id="s", now=NOW, feed_language=parsed.language)
    assert item.language == "ru"
    # data-src made the real image; the counter pixel is gone.
    assert 'src="https://sputnik.example/img/2026/sneg-1.jpg"' in item.content_html
    assert "counter.example" not in item.content_html and "placeholder" not in item.content_html
    assert "<figcaption>Проспект Абая утром</figcaption>" in item.content_html


def test_yandex_full_text_is_the_content() -> None:
    parsed = parse_feed((DATA / "yandex.rss").read_bytes(), content_type="application/rss+xml")
    first, second = parsed.entries
    assert first.content is not None and first.content.startswith("Национальный банк Казахстана")
    assert first.summary == "Базовая ставка осталась на уровне 16,5%."
    assert first.image == "https://kaztag.example/uploads/natsbank.jpg"
    assert second.content is None and second.image == "https://kaztag.example/uploads/forum.jpg"
    item = normalize_entry(first, source_id="s", now=NOW)
    assert item.link == "https://kaztag.example/ru/news/natsbank-sokhranil-stavku"
    assert "Следующее решение будет объявлено в январе." in item.text
    assert item.summary == "Базовая ставка осталась на уровне 16,5%."


def test_yandex_full_text_under_another_prefix() -> None:
    body = (
        (DATA / "yandex.rss")
        .read_bytes()
        .replace(b"yandex:", b"ya:")
        .replace(b"xmlns:yandex=", b"xmlns:ya=")
    )
    assert parse_feed(body).entries[0].content.startswith("Национальный банк")  # type: ignore[union-attr]


# -- charsets -----------------------------------------------------------------------------

ENCODED = ("Курсив — экономика Казахстана", "Нацбанк сохранил базовую ставку на уровне 16,5%")


@pytest.mark.parametrize(
    ("name", "content_type", "warning"),
    [
        ("koi8r.rss", None, None),
        ("koi8r.rss", "application/rss+xml; charset=koi8-r", None),
        # Header and declaration disagree: the content decides between them.
        ("koi8r.rss", "text/xml; charset=windows-1251", None),
        ("utf16le-bom.rss", None, None),
        ("utf16be-bom.rss", "application/rss+xml", None),
        # The BOM outranks a wrong header.
        ("utf16le-bom.rss", "application/rss+xml; charset=windows-1251", None),
        ("utf16le-nobom.rss", None, None),
        ("utf8-as-cp1251.rss", "application/rss+xml; charset=windows-1251", "UTF-8 though"),
        ("utf8-as-cp1251.rss", None, "UTF-8 though labelled cp1251"),
        ("cp1251-as-utf8.rss", "application/rss+xml; charset=utf-8", "decoded as cp1251"),
        ("cp1251-as-utf8.rss", None, "decoded as cp1251"),
        ("cp1251.rss", "application/rss+xml; charset=utf-8", "decoded as cp1251"),
        ("cp1251.rss", 'application/rss+xml; charset="bogus-charset"', "unknown charset"),
    ],
)
def test_every_charset_comes_out_as_cyrillic(
    name: str, content_type: str | None, warning: str | None
) -> None:
    parsed = parse_feed((DATA / name).read_bytes(), content_type=content_type)
    if name == "cp1251.rss":
        assert parsed.title == EXPECTED["cp1251.rss"]["feed_title"]
    else:
        assert (parsed.title, parsed.entries[0].title) == ENCODED
        assert parsed.entries[1].summary == "Высота ели — 25 метров, цена проекта 12 млн ₸."
    assert not any("malformed" in w for w in parsed.warnings), parsed.warnings
    if warning:
        assert any(warning in w for w in parsed.warnings), parsed.warnings
    else:
        assert parsed.warnings == ()


def test_charset_fixtures_match_their_generator() -> None:
    import make_encodings  # type: ignore[import-not-found]

    for name in make_encodings.FIXTURES:
        assert (DATA / name).read_bytes() == make_encodings.fixture_bytes(name), name


def test_json_feed_in_utf16_with_bom() -> None:
    body = (DATA / "jsonfeed10.json").read_text(encoding="utf-8").encode("utf-16")
    parsed = parse_feed(body, content_type="application/feed+json")
    assert parsed.entries[1].title == "Курс тенге на 24 ноября"


# -- UTF-32 (UCS-4) -------------------------------------------------------------------------

UTF32 = ("utf32le-bom.rss", "utf32be-bom.rss", "utf32le-nobom.rss", "utf32be-nobom.rss")


@pytest.mark.parametrize("name", UTF32)
def test_utf32_feeds_are_read_with_or_without_a_bom(name: str) -> None:
    import make_utf32  # type: ignore[import-not-found]

    parsed = parse_feed((DATA / name).read_bytes(), content_type="application/rss+xml")
    assert parsed.title == make_utf32.TITLE
    assert [(e.title, e.summary) for e in parsed.entries] == list(make_utf32.ITEMS)
    assert parsed.warnings == ()


def test_utf32_json_feed_without_a_bom() -> None:
    body = (DATA / "jsonfeed10.json").read_text(encoding="utf-8").encode("utf-32-be")
    parsed = parse_feed(body, content_type="application/feed+json")
    assert parsed.entries[1].title == "Курс тенге на 24 ноября"


def test_utf32_fixtures_match_their_generator() -> None:
    import make_utf32

    for name in make_utf32.FIXTURES:
        assert (DATA / name).read_bytes() == make_utf32.fixture_bytes(name), name

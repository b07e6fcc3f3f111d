"""OPML export/import and source ids (``aggregator.opml``)."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from aggregator.errors import ParseError
from aggregator.opml import MAX_ID_LENGTH, OpmlSource, parse_opml, render_opml, suggest_id

OPML_DIR = Path(__file__).parent / "data" / "opml"
NOW = datetime(2026, 11, 24, 15, 30, tzinfo=timezone(timedelta(hours=5)))
ID = re.compile(r"^[a-z0-9_-]+$")

#: What ``inoreader-export.opml`` holds, in document order.
INOREADER = [
    OpmlSource(
        name="Tengrinews.kz — Новости Казахстана",
        url="https://tengrinews.kz/news.rss",
        site="https://tengrinews.kz/",
        language="ru",
        category="Новости/Казахстан",
    ),
    OpmlSource(
        name="Kazinform — Қазақстан жаңалықтары",
        url="https://www.inform.kz/rss/kaz.xml",
        site="https://www.inform.kz/kz",
        language="kk",
        category="Новости/Казахстан",
    ),
    # no text: named by its title
    OpmlSource(name="Власть", url="https://vlast.kz/rss", category="Новости/Казахстан"),
    # xmlURL/htmlurl spelled differently, spaces around the URL, an escaped ampersand
    OpmlSource(
        name="The Astana Times & friends",
        url="https://astanatimes.com/feed/",
        site="https://astanatimes.com/",
        category="Новости/Мир",
    ),
    # an empty htmlUrl is no site
    OpmlSource(name="Ulysmedia.kz", url="https://ulysmedia.kz/rss/"),
    # neither text nor title: named by its URL
    OpmlSource(name="https://orda.kz/feed/", url="https://orda.kz/feed/"),
]


def read(name: str) -> bytes:
    return (OPML_DIR / name).read_bytes()


# -- import --------------------------------------------------------------------------------


def test_parse_export_of_another_reader() -> None:
    assert parse_opml(read("inoreader-export.opml")) == INOREADER


def test_parse_opml_1_in_windows_1251_with_category_attribute() -> None:
    assert parse_opml(read("opml1-feeds.opml")) == [
        OpmlSource(name="Zakon.kz", url="https://www.zakon.kz/rss/", category="Новости/Право"),
        OpmlSource(name="Informburo", url="https://informburo.kz/rss"),
    ]


def test_parse_namespaced_opml_and_feed_with_children() -> None:
    content = (
        b'<opml xmlns="http://example.com/opml" version="2.0"><body>'
        b'<outline text="Parent" xmlUrl="https://a.kz/rss">'
        b'<outline text="Child" xmlUrl="https://b.kz/rss"/></outline>'
        b"<!-- a comment --><?pi x?></body></opml>"
    )
    assert parse_opml(content) == [
        OpmlSource(name="Parent", url="https://a.kz/rss"),
        OpmlSource(name="Child", url="https://b.kz/rss"),
    ]


@pytest.mark.parametrize(
    "content",
    [b'<opml version="2.0"><head/></opml>', b'<opml version="2.0"><body/></opml>', b"<opml/>"],
)
def test_parse_opml_without_feeds(content: bytes) -> None:
    assert parse_opml(content) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "broken XML"),
        (b"   \n", "broken XML"),
        (b"<opml><body><outline text='a'></body></opml>", "broken XML"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "root element is <rss>"),
        (b"<!DOCTYPE html><html><body>Feeds</body></html>", "root element is <html>"),
        (b"Tengrinews,https://tengrinews.kz/news.rss\n", "broken XML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "broken XML"),
    ],
)
def test_not_opml_is_a_parse_error(content: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=r"not an OPML document|refused") as caught:
        parse_opml(content)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_feed_is_not_opml(data_dir: Path) -> None:
    with pytest.raises(ParseError, match=r"not an OPML document: the root element is <rss>"):
        parse_opml((data_dir / "ulysmedia.rss").read_bytes())


# -- hostile documents ----------------------------------------------------------------------


def test_billion_laughs_is_refused_without_expansion() -> None:
    with pytest.raises(ParseError, match="refused") as caught:
        parse_opml(read("billion-laughs.opml"))
    assert "lollollol" not in str(caught.value)


def test_xxe_is_refused_without_reading_the_file() -> None:
    with pytest.raises(ParseError, match="DOCTYPE") as caught:
        parse_opml(read("xxe-etc-passwd.opml"))
    assert "root:" not in str(caught.value)


@pytest.mark.parametrize(
    ("doctype", "target"),
    [
        ('<!DOCTYPE opml [<!ENTITY secret SYSTEM "{uri}">]>', "secret.txt"),
        ('<!DOCTYPE opml [<!ENTITY % remote SYSTEM "{uri}"> %remote;]>', "evil.dtd"),
        ('<!DOCTYPE opml SYSTEM "{uri}">', "evil.dtd"),
    ],
)
def test_external_entities_and_dtds_are_never_read(
    tmp_path: Path, doctype: str, target: str
) -> None:
    (tmp_path / "secret.txt").write_text("SECRET-MARKER", encoding="utf-8")
    (tmp_path / "evil.dtd").write_text('<!ENTITY secret "SECRET-MARKER">', encoding="utf-8")
    content = (
        '<?xml version="1.0"?>'
        + doctype.format(uri=(tmp_path / target).as_uri())
        + '<opml><body><outline text="x" xmlUrl="https://e.kz/rss">&secret;</outline>'
        "</body></opml>"
    ).encode()
    with pytest.raises(ParseError, match="refused") as caught:
        parse_opml(content)
    assert "SECRET-MARKER" not in str(caught.value)


def test_internal_entity_is_refused() -> None:
    content = (
        b'<!DOCTYPE opml [<!ENTITY name "Tengri">]>'
        b'<opml><body><outline text="&name;" xmlUrl="https://t.kz/rss"/></body></opml>'
    )
    with pytest.raises(ParseError, match="refused"):
        parse_opml(content)


# -- export --------------------------------------------------------------------------------


def test_render_is_opml_2() -> None:
    content = render_opml("Новости Казахстана", INOREADER, NOW)
    assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(content)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Новости Казахстана"
    assert root.findtext("head/dateCreated") == "Tue, 24 Nov 2026 15:30:00 +0500"
    feed = root.find("body/outline/outline/outline")
    assert feed is not None
    assert dict(feed.attrib) == {
        "type": "rss",
        "text": "Tengrinews.kz — Новости Казахстана",
        "title": "Tengrinews.kz — Новости Казахстана",
        "xmlUrl": "https://tengrinews.kz/news.rss",
        "htmlUrl": "https://tengrinews.kz/",
        "language": "ru",
    }
    ulys = root.find("body/outline[@xmlUrl='https://ulysmedia.kz/rss/']")
    assert ulys is not None and "htmlUrl" not in ulys.attrib and "language" not in ulys.attrib


def test_render_nests_categories_in_first_seen_order() -> None:
    root = etree.fromstring(render_opml("t", INOREADER, NOW))
    top = [outline.get("text") for outline in root.iterfind("body/outline")]
    assert top == ["Новости", "Ulysmedia.kz", "https://orda.kz/feed/"]
    inner = [outline.get("text") for outline in root.iterfind("body/outline/outline")]
    assert inner == ["Казахстан", "Мир"]


def test_render_naive_time_is_utc() -> None:
    root = etree.fromstring(render_opml("t", [], datetime(2026, 1, 2, 3, 4, 5)))
    assert root.findtext("head/dateCreated") == "Fri, 02 Jan 2026 03:04:05 +0000"


def test_render_escapes_everything() -> None:
    hostile = OpmlSource(
        name='<script>alert("x")</script> & Co \u0007',
        url="https://x.kz/rss?a=1&b=<2>&c='3'",
        site='https://x.kz/"quoted"',
        category="A & B/<C>",
    )
    content = render_opml('Title </title><evil attr="1">', [hostile], NOW)
    assert b"<script>" not in content and b"<evil" not in content
    root = etree.fromstring(content)
    assert root.findtext("head/title") == 'Title </title><evil attr="1">'
    assert parse_opml(content) == [
        OpmlSource(
            name='<script>alert("x")</script> & Co',  # the bell is no XML character
            url="https://x.kz/rss?a=1&b=<2>&c='3'",
            site='https://x.kz/"quoted"',
            category="A & B/<C>",
        )
    ]


def test_round_trip_of_an_export() -> None:
    content = render_opml("Подписки", INOREADER, NOW)
    assert parse_opml(content) == INOREADER
    assert render_opml("Подписки", parse_opml(content), NOW) == content


def test_a_source_without_a_public_feed_is_listed_by_its_site() -> None:
    local = [
        OpmlSource(name="Акорда", url=None, site="https://www.akorda.kz/ru/events"),
        OpmlSource(name="Региональные новости", url=None),
    ]
    root = etree.fromstring(render_opml("Демо", local, NOW))
    linked, bare = root.findall("body/outline")
    # OPML 2.0: type="rss" needs an xmlUrl; type="link" needs a url.
    assert dict(linked.attrib) == {
        "type": "link",
        "text": "Акорда",
        "title": "Акорда",
        "url": "https://www.akorda.kz/ru/events",
        "htmlUrl": "https://www.akorda.kz/ru/events",
    }
    assert dict(bare.attrib) == {"text": "Региональные новости", "title": "Региональные новости"}
    assert parse_opml(render_opml("Демо", local, NOW)) == []  # no feed to subscribe to


# -- suggest_id ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "url", "expected"),
    [
        ("Tengrinews.kz", "https://tengrinews.kz/news.rss", "tengrinews-kz"),
        ("Власть", "https://vlast.kz/rss", "vlast"),
        ("Егемен Қазақстан", "https://egemen.kz/rss", "egemen-qazaqstan"),
        ("Ұлттық ақпарат агенттігі", "https://x.kz", "ulttyq-aqparat-agenttigi"),
        ("Әділет, Өнер, Үміт, Ғылым, Һ", "https://x.kz", "adilet-oner-umit-gylym-h"),
        ("Шымкент Щит Жұлдыз Цесна Юг Я", "https://x.kz", "shymkent-shchit-zhuldyz-tsesna-yug-ya"),
        ("Café Résumé", "https://x.kz", "cafe-resume"),
        ("新华社", "https://www.xinhuanet.com/rss", "xinhuanet-com"),
        ("!!!", "", "source"),
        ("", "not a url", "source"),
        ("📰", "http://[::1", "source"),
    ],
)
def test_suggest_id(name: str, url: str, expected: str) -> None:
    assert suggest_id(name, url, set()) == expected


def test_suggest_id_counts_collisions() -> None:
    assert suggest_id("Vlast", "https://vlast.kz", {"vlast"}) == "vlast-2"
    assert suggest_id("Vlast", "https://vlast.kz", {"vlast", "vlast-2"}) == "vlast-3"


def test_suggest_id_stays_within_64_characters() -> None:
    name = "Очень длинное название казахстанского новостного агентства " * 3
    first = suggest_id(name, "", set())
    assert len(first) == MAX_ID_LENGTH and not first.endswith("-")
    second = suggest_id(name, "", {first})
    assert len(second) <= MAX_ID_LENGTH and second.endswith("-2") and second != first


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(),
    url=st.text() | st.from_regex(r"\Ahttps?://[a-z0-9.-]{0,20}/[a-z/]{0,10}\Z"),
    taken=st.sets(st.text(alphabet="abcdefgh-23", max_size=6)),
)
def test_suggest_id_is_always_valid_and_unique(name: str, url: str, taken: set[str]) -> None:
    suggested = suggest_id(name, url, taken)
    assert ID.fullmatch(suggested) and len(suggested) <= MAX_ID_LENGTH
    assert suggested not in taken


@settings(max_examples=100, deadline=None)
@given(names=st.lists(st.sampled_from(["Власть", "Vlast", "ВЛАСТЬ!", "vlast", ""]), max_size=30))
def test_suggest_id_many_times_gives_distinct_ids(names: list[str]) -> None:
    taken: set[str] = set()
    for name in names:
        taken.add(suggest_id(name, "https://vlast.kz/rss", taken))
    assert len(taken) == len(names)


# -- properties ----------------------------------------------------------------------------

_XML_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
_WORD = st.text(_XML_CHARS, min_size=1, max_size=12).filter(lambda s: s.strip() == s)
_SOURCES = st.builds(
    OpmlSource,
    name=_WORD,
    url=st.from_regex(r"\Ahttps://[a-z]{1,8}\.kz/[a-z0-9/?=&]{0,12}\Z"),
    site=st.none() | st.just("https://site.kz/"),
    language=st.none() | st.sampled_from(["ru", "kk", "en"]),
    category=st.none()
    | st.lists(_WORD.filter(lambda s: "/" not in s), min_size=1, max_size=3).map("/".join),
)


@settings(max_examples=150, deadline=None)
@given(title=st.text(), sources=st.lists(_SOURCES, max_size=8))
def test_render_then_parse_gives_the_same_sources(title: str, sources: list[OpmlSource]) -> None:
    parsed = parse_opml(render_opml(title, sources, NOW))
    # Feeds of one folder are written together: the same sources, grouped by folder.
    assert sorted(parsed, key=repr) == sorted(sources, key=repr)


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=300))
def test_parse_arbitrary_bytes_gives_a_list_or_a_parse_error(content: bytes) -> None:
    with contextlib.suppress(ParseError):
        assert isinstance(parse_opml(content), list)


@settings(max_examples=300, deadline=None)
@given(
    body=st.lists(
        st.sampled_from([*"<>/=\"' &;#!?[]%x", "outline", "xmlUrl", "opml", "body", "text"]),
        max_size=40,
    ).map("".join)
)
def test_parse_almost_opml_gives_a_list_or_a_parse_error(body: str) -> None:
    content = f'<?xml version="1.0"?><opml version="2.0"><body>{body}</body></opml>'.encode()
    try:
        sources = parse_opml(content)
    except ParseError:
        return
    assert all(isinstance(source, OpmlSource) and source.url for source in sources)

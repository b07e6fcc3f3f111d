"""Rendering the combined output: valid feeds that any reader accepts, with provenance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from aggregator.config import OutputSettings
from aggregator.models import Enclosure, OutputEntry, SourceRef, StoryMember
from aggregator.publish import SourceHealth, render_all, write_outputs

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = OutputSettings(
    title="Новости Казахстана", link="https://news.example.kz/", description="Лента", language="ru"
)
ULYS = SourceRef("ulysmedia", "Ulysmedia.kz", "https://ulysmedia.kz/rss/", "https://ulysmedia.kz/")
ATOM = "{http://www.w3.org/2005/Atom}"
RSS_ITEM_ELEMENTS = {
    "title",
    "link",
    "description",
    "author",
    "category",
    "comments",
    "enclosure",
    "guid",
    "pubDate",
    "source",
    "{http://purl.org/rss/1.0/modules/content/}encoded",
    "{http://purl.org/dc/elements/1.1/}creator",
}


def entry(n: int, **changes: object) -> OutputEntry:
    values: dict[str, object] = {
        "id": f"urn:uuid:00000000-0000-5000-8000-{n:012d}",
        "source": ULYS,
        "link": f"https://ulysmedia.kz/news/{n}/",
        "title": f"Токаев поздравил Алиева №{n}",
        "content_html": f"<p>Текст <b>{n}</b></p>",
        "summary": f"Текст {n}",
        "published": NOW - timedelta(hours=n),
        "updated": NOW - timedelta(hours=n),
        "author": "Айнұр Жұмабекова",
        "categories": ("Политика",),
        "enclosures": (Enclosure("https://ulysmedia.kz/a.mp3", "audio/mpeg", 1234),),
    }
    values.update(changes)
    return OutputEntry(**values)  # type: ignore[arg-type]


ENTRIES = [entry(1), entry(2)]
TENGRI = SourceRef("tengrinews", "Tengrinews.kz", "https://tengrinews.kz/news.rss")
KAZINFORM = SourceRef("kazinform", "Kazinform", "https://www.inform.kz/rss/rus.xml")


def story_entry() -> OutputEntry:
    members = (
        StoryMember(ULYS, "https://ulysmedia.kz/news/1/", "Токаев поздравил Алиева", NOW),
        StoryMember(
            TENGRI,
            "https://tengrinews.kz/x/2/",
            "Глава государства поздравил",
            NOW + timedelta(minutes=30),
        ),
        StoryMember(KAZINFORM, None, "Тоқаев құттықтады", NOW + timedelta(hours=1)),
    )
    return entry(1, members=members)


def test_other_outlets_are_listed_and_linked_in_every_format() -> None:
    outputs = render_all([story_entry()], SETTINGS, NOW)
    line = 'Также сообщают: <a href="https://tengrinews.kz/x/2/">Tengrinews.kz</a>, Kazinform'
    assert line in feedparser.parse(outputs.rss).entries[0].content[0].value
    assert line in feedparser.parse(outputs.atom).entries[0].content[0].value
    item = json.loads(outputs.json)["items"][0]
    assert line in item["content_html"]
    assert line in outputs.html.decode()
    assert item["_aggregator"]["story"] == item["id"]
    assert item["_aggregator"]["sources"] == [
        {
            "id": "ulysmedia",
            "name": "Ulysmedia.kz",
            "url": "https://ulysmedia.kz/news/1/",
            "published": NOW.isoformat(),
        },
        {
            "id": "tengrinews",
            "name": "Tengrinews.kz",
            "url": "https://tengrinews.kz/x/2/",
            "published": (NOW + timedelta(minutes=30)).isoformat(),
        },
        {
            "id": "kazinform",
            "name": "Kazinform",
            "url": None,
            "published": (NOW + timedelta(hours=1)).isoformat(),
        },
    ]


def test_other_outlets_label_follows_the_output_language() -> None:
    kazakh = SETTINGS.model_copy(update={"language": "kk"})
    english = SETTINGS.model_copy(update={"language": "en"})
    assert (
        "Сондай-ақ хабарлайды: "
        in json.loads(render_all([story_entry()], kazakh, NOW).json)["items"][0]["content_html"]
    )
    assert (
        "Also reported by: "
        in json.loads(render_all([story_entry()], english, NOW).json)["items"][0]["content_html"]
    )


def test_rss_is_valid_and_names_the_source() -> None:
    rss = render_all(ENTRIES, SETTINGS, NOW).rss
    root = etree.fromstring(rss)
    assert root.get("version") == "2.0"
    items = root.findall("channel/item")
    assert len(items) == 2
    for item, expected in zip(items, ENTRIES, strict=True):
        assert {child.tag for child in item} <= RSS_ITEM_ELEMENTS
        guid = item.find("guid")
        assert guid is not None and guid.text == expected.id and guid.get("isPermaLink") == "false"
        source = item.find("source")
        assert source is not None
        assert (source.get("url"), source.text) == (ULYS.url, ULYS.name)
    parsed = feedparser.parse(rss)
    assert not parsed.bozo and parsed.version == "rss20"
    assert parsed.entries[0].title == "Токаев поздравил Алиева №1"
    assert parsed.entries[0].author == "Айнұр Жұмабекова"


def test_atom_source_has_id_title_and_updated() -> None:
    atom = render_all(ENTRIES, SETTINGS, NOW).atom
    root = etree.fromstring(atom)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for element in entries:
        source = element.find(f"{ATOM}source")
        assert source is not None
        assert source.findtext(f"{ATOM}id") == ULYS.url
        assert source.findtext(f"{ATOM}title") == ULYS.name
        assert source.findtext(f"{ATOM}updated")
        assert element.findtext(f"{ATOM}author/{ATOM}name") == "Айнұр Жұмабекова"
    parsed = feedparser.parse(atom)
    assert not parsed.bozo and parsed.version == "atom10"
    assert parsed.entries[0].source.title == "Ulysmedia.kz"


def test_json_feed_carries_the_aggregator_extension() -> None:
    document = json.loads(render_all(ENTRIES, SETTINGS, NOW).json)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["feed_url"] == "https://news.example.kz/feed.json"
    first = document["items"][0]
    assert first["id"] == ENTRIES[0].id
    assert first["url"] == ENTRIES[0].link
    assert first["_aggregator"] == {
        "source": {"id": "ulysmedia", "name": "Ulysmedia.kz", "url": "https://ulysmedia.kz/rss/"},
        "story": ENTRIES[0].id,
        "sources": [],
    }
    assert first["authors"] == [{"name": "Айнұр Жұмабекова"}]
    assert first["attachments"][0]["url"] == "https://ulysmedia.kz/a.mp3"


def test_control_characters_never_break_the_xml() -> None:
    bad = entry(
        3,
        title="Заголовок\x0b с\x00 мусором",
        summary="a\x1fb",
        author="x\x08y",
        content_html="<p>\x0c</p>",
    )
    outputs = render_all([*ENTRIES, bad], SETTINGS, NOW)
    for document in (outputs.rss, outputs.atom):
        root = etree.fromstring(document)  # raises on any illegal character
        assert b"\x0b" not in document
        assert root is not None
    assert "Заголовок с мусором" in feedparser.parse(outputs.rss).entries[2].title


def test_empty_output_is_valid() -> None:
    outputs = render_all([], SETTINGS, NOW)
    assert feedparser.parse(outputs.rss).version == "rss20"
    assert feedparser.parse(outputs.atom).version == "atom10"
    assert json.loads(outputs.json)["items"] == []
    assert "Записей пока нет: источники ещё не загружались." in outputs.html.decode()


def test_html_page_escapes_and_shows_local_time() -> None:
    hostile = entry(4, title="<script>alert(1)</script>", summary="<img src=x onerror=1>")
    page = render_all([hostile], SETTINGS, NOW).html.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page
    assert 'name="viewport"' in page
    assert "Ulysmedia.kz" in page
    local = (NOW - timedelta(hours=4)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Almaty"))
    assert local.strftime("%Y-%m-%d %H:%M") in page
    assert "http://" not in page.split("<main>")[0].replace(SETTINGS.link, "")  # no external assets


def test_write_outputs_is_atomic_and_complete(tmp_path: Path) -> None:
    outputs = render_all(ENTRIES, SETTINGS, NOW)
    write_outputs(outputs, tmp_path / "public")
    names = sorted(p.name for p in (tmp_path / "public").iterdir())
    assert names == ["feed.atom", "feed.json", "feed.xml", "index.html"]  # no temp files left
    assert (tmp_path / "public" / "feed.xml").read_bytes() == outputs.rss


def test_write_outputs_reports_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "public"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(Exception, match="cannot write the output"):
        write_outputs(render_all(ENTRIES, SETTINGS, NOW), blocker)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"include": ("Алиева",)}, True),
        ({"include": ("спорт",)}, False),
        ({"exclude": ("Токаев",)}, False),
        ({"exclude": ("спорт",)}, True),  # "спорт" is not a word of "транспорт"
        ({"languages": ("kk",)}, False),
        ({"sources": ("ulysmedia",)}, True),
        ({"categories": ("политика",)}, True),
        ({"categories": ("Спорт",)}, False),
    ],
)
def test_filtered_output_matching(changes: dict[str, tuple[str, ...]], expected: bool) -> None:
    from aggregator.config import FilteredOutput
    from aggregator.publish import matches

    subject = entry(
        1,
        summary="Новый транспорт для Астаны",
        language="ru",
        members=(StoryMember(ULYS, None, "x", NOW),),
    )
    assert matches(subject, FilteredOutput(id="x", **changes)) is expected


# -- a source read from a local file publishes no path (issue 17, point 9)

LOCAL_WITH_LINK = SourceRef("akorda", "Акорда", "", "https://www.akorda.kz/ru/events")
LOCAL_BARE = SourceRef("regional", "Региональные новости", "")


def test_a_local_source_publishes_its_link_in_every_format() -> None:
    outputs = render_all([entry(1, source=LOCAL_WITH_LINK)], SETTINGS, NOW)
    rss_source = etree.fromstring(outputs.rss).find("channel/item/source")
    assert rss_source is not None and rss_source.get("url") == LOCAL_WITH_LINK.link
    atom_source = etree.fromstring(outputs.atom).find(f"{ATOM}entry/{ATOM}source")
    assert atom_source is not None
    assert atom_source.findtext(f"{ATOM}id") == "urn:aggregator:source:akorda"
    links = [(link.get("rel"), link.get("href")) for link in atom_source.findall(f"{ATOM}link")]
    assert links == [("alternate", LOCAL_WITH_LINK.link)]  # a website is not the feed (self)
    source = json.loads(outputs.json)["items"][0]["_aggregator"]["source"]
    assert source == {"id": "akorda", "name": "Акорда", "url": LOCAL_WITH_LINK.link}


def test_a_local_source_without_link_publishes_no_address() -> None:
    outputs = render_all([entry(1, source=LOCAL_BARE)], SETTINGS, NOW)
    assert etree.fromstring(outputs.rss).find("channel/item/source") is None  # url is required
    atom_source = etree.fromstring(outputs.atom).find(f"{ATOM}entry/{ATOM}source")
    assert atom_source is not None and atom_source.findall(f"{ATOM}link") == []
    assert json.loads(outputs.json)["items"][0]["_aggregator"]["source"]["url"] is None
    assert feedparser.parse(outputs.atom).version == "atom10"


def test_a_public_feed_is_the_atom_source_self_link_and_its_site_the_alternate() -> None:
    atom_source = etree.fromstring(render_all(ENTRIES, SETTINGS, NOW).atom).find(
        f"{ATOM}entry/{ATOM}source"
    )
    assert atom_source is not None
    links = [(link.get("rel"), link.get("href")) for link in atom_source.findall(f"{ATOM}link")]
    assert links == [("self", ULYS.url), ("alternate", ULYS.link)]


# -- the page speaks the output's language (issue 17, point 10)


@pytest.mark.parametrize(
    ("language", "updated", "empty"),
    [
        ("ru", "Обновлено 2026-11-25 17:00", "Записей пока нет"),
        ("kk", "Жаңартылды: 2026-11-25 17:00", "Әзірге жазба жоқ"),
        ("en", "Updated 2026-11-25 17:00", "No entries yet"),
    ],
)
def test_the_page_speaks_the_output_language(language: str, updated: str, empty: str) -> None:
    settings = SETTINGS.model_copy(update={"language": language})
    page = render_all([], settings, NOW).html.decode()
    assert f'<html lang="{language}">' in page
    assert updated in page and empty in page
    if language != "en":
        assert "Updated" not in page and "No entries" not in page


def test_an_entry_in_another_language_carries_its_own_lang() -> None:
    entries = [entry(1, language="ru"), entry(2, language="kk"), entry(3, language="en-US")]
    page = render_all(entries, SETTINGS, NOW).html.decode()
    assert f'<article id="{entries[0].id}">' in page
    assert f'<article id="{entries[1].id}" lang="kk">' in page
    assert f'<article id="{entries[2].id}" lang="en-US">' in page


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "Записей пока нет: не удалось загрузить источники (9 из 10)."),
        ("kk", "Әзірге жазба жоқ: дереккөздер жүктелмеді (10 ішінен 9)."),
        ("en", "No entries yet: 9 of 10 sources failed to fetch."),
    ],
)
def test_an_empty_page_after_failed_fetches_says_how_many_failed(language: str, text: str) -> None:
    settings = SETTINGS.model_copy(update={"language": language})
    page = render_all([], settings, NOW, SourceHealth(total=10, fetched=10, failed=9)).html
    assert text in page.decode()
    assert b'<a href="https://news.example.kz/status">' in page
    assert b"not been fetched" not in page and "не загружались".encode() not in page


def test_an_empty_page_after_successful_fetches_says_only_that_it_is_empty() -> None:
    page = render_all([], SETTINGS, NOW, SourceHealth(total=2, fetched=2, failed=0)).html
    assert '<p class="empty">Записей пока нет.</p>' in page.decode()


def test_an_entry_whose_source_gave_no_time_shows_its_date_alone() -> None:
    midnight = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 24 November, 00:00 in Almaty
    dated = entry(1, published=midnight, updated=midnight, time_known=False)
    timed = entry(2, published=midnight, updated=midnight)
    page = render_all([dated, timed], SETTINGS, NOW).html.decode()
    first, second = page.split("<article")[1:]
    assert '<time datetime="2026-11-24">2026-11-24</time>' in first and "00:00" not in first
    assert "2026-11-24 00:00</time>" in second

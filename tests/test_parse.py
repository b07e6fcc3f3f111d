"""parse + normalize over the fixture feeds, data-driven from tests/data/expected.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import NotAFeedError, ParseError
from aggregator.models import Item
from aggregator.normalize import normalize_entry
from aggregator.parse import parse_feed

DATA = Path(__file__).parent / "data"
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

"""Hostile and broken input: each fails its feed alone with a specific message, in bounded
time and memory; and a property test: whatever the bytes, a ``ParseError`` or valid items.

Fixtures live in tests/data/hostile/; the big ones are generated here at run time.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregator.errors import NotAFeedError, ParseError
from aggregator.models import Item, ParsedFeed
from aggregator.normalize import normalize_entry
from aggregator.parse import MAX_ITEMS, parse_feed

DATA = Path(__file__).parent / "data"
HOSTILE = DATA / "hostile"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RSS = "application/rss+xml"


def normalized(parsed: ParsedFeed) -> list[Item]:
    return [normalize_entry(e, source_id="s", now=NOW) for e in parsed.entries]


def measure(body: bytes, **kwargs: Any) -> tuple[object, float, int]:
    """(result or exception, seconds, peak bytes allocated) of one parse_feed call."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result: object = parse_feed(body, **kwargs)
    except ParseError as exc:
        result = exc
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def rss(items: str, *, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<rss version="2.0"><channel>'
        f"<title>T</title><link>https://t.example/</link>{items}</channel></rss>"
    ).encode()


# -- entity expansion and external entities ---------------------------------------------------


def test_billion_laughs_is_refused_fast_and_small() -> None:
    result, elapsed, peak = measure((HOSTILE / "billion-laughs.xml").read_bytes())
    assert isinstance(result, ParseError)
    assert "entity expansion" in str(result) and "'lol'" in str(result)
    assert elapsed < 2  # generous: an expansion would take minutes and gigabytes
    assert peak < 1_000_000


def test_quadratic_blowup_is_refused_fast_and_small() -> None:
    # 100 KB value × 50,000 references would expand to 5 GB.
    prolog = f'<!DOCTYPE rss [<!ENTITY a "{"A" * 100_000}">]>\n'
    body = rss("<item><title>" + "&a;" * 50_000 + "</title></item>", prolog=prolog)
    result, elapsed, peak = measure(body)
    assert isinstance(result, ParseError) and "entity 'a' with a text value" in str(result)
    assert elapsed < 2  # generous: an expansion would take minutes and gigabytes
    assert peak < 10 * len(body)


def test_parameter_entities_are_refused() -> None:
    with pytest.raises(ParseError, match="parameter entity %remote"):
        parse_feed((HOSTILE / "xxe-parameter.xml").read_bytes())


def test_character_reference_entities_are_allowed() -> None:
    prolog = '<!DOCTYPE rss [\n<!ENTITY dash "&#8212;">\n<!ENTITY tenge "&#x20B8;">\n]>\n'
    parsed = parse_feed(rss("<item><title>a &dash; 5 &tenge;</title></item>", prolog=prolog))
    assert parsed.entries[0].title == "a — 5 ₸"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-4f1c9a", encoding="utf-8")
    return path


def assert_secret_absent(secret: Path, body: bytes, content_type: str | None = RSS) -> str:
    """Parse and normalize ``body``; the secret appears in no output. Returns the outcome."""
    try:
        parsed = parse_feed(body, content_type=content_type)
        outcome = repr(parsed) + repr(normalized(parsed))
    except ParseError as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    assert secret.read_text(encoding="utf-8") not in outcome
    return outcome


def test_xxe_system_entity_never_reads_the_file(secret: Path) -> None:
    prolog = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    outcome = assert_secret_absent(secret, rss("<item><title>&xxe;</title></item>", prolog=prolog))
    assert "external entity 'xxe'" in outcome


def test_xxe_through_an_external_dtd_never_reads_the_file(secret: Path, tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY xxe SYSTEM "file://{secret}">', encoding="utf-8")
    prolog = f'<!DOCTYPE rss SYSTEM "file://{dtd}">\n'
    assert_secret_absent(secret, rss("<item><title>x&xxe;</title></item>", prolog=prolog))


def test_a_body_naming_a_file_is_not_opened(secret: Path) -> None:
    # feedparser.parse(bytes) opens bytes that name a file: parse_feed never lets it.
    for content_type in (RSS, None, "text/plain"):
        assert_secret_absent(secret, str(secret).encode(), content_type)


def test_doctype_hidden_after_a_comment_is_still_checked() -> None:
    body = rss("", prolog='<!-- <a> --><?pi x?>\n<!DOCTYPE rss [<!ENTITY x "&y;&y;">]>\n')
    with pytest.raises(ParseError, match="entity expansion"):
        parse_feed(body)


# -- size ------------------------------------------------------------------------------------


def test_ten_thousand_items_are_capped_with_a_warning() -> None:
    items = "".join(f"<item><title>Item {n}</title><guid>g{n}</guid></item>" for n in range(10_000))
    body = rss(items)
    result, elapsed, peak = measure(body, content_type=RSS)
    assert isinstance(result, ParsedFeed)
    assert len(result.entries) == MAX_ITEMS
    assert result.entries[0].title == "Item 0"
    assert "10,000 entries; kept the first 1,000" in result.warnings[0]
    del elapsed  # speed is the benchmarks' business (bench/), not a timed unit test's
    assert peak < 60 * len(body)
    assert len(parse_feed(body, max_items=50).entries) == 50


def test_oversized_body_is_refused() -> None:
    with pytest.raises(ParseError, match=r"feed too large: 2,001 bytes \(limit 2,000\)"):
        parse_feed(b"<" + b" " * 2000, max_bytes=2000)


def test_deep_nesting_is_survived() -> None:
    deep = "<div>" * 20_000 + "x" + "</div>" * 20_000
    body = rss(f"<item><title>Deep</title><description><![CDATA[{deep}]]></description></item>")
    items = normalized(parse_feed(body))
    assert items[0].title == "Deep"
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_feed(b"[" * 100_000 + b"]" * 100_000, content_type="application/feed+json")


# -- broken but readable: kept, with a warning -------------------------------------------------


def test_duplicate_guids_inside_one_feed_are_kept() -> None:
    parsed = parse_feed((HOSTILE / "duplicate-guids.rss").read_bytes(), content_type=RSS)
    assert [e.guid for e in parsed.entries] == ["dup-1"] * 3
    assert [e.title for e in parsed.entries] == ["First version", "Second version", "Third version"]


def test_items_without_guid_link_or_title_are_kept_and_named() -> None:
    parsed = parse_feed((HOSTILE / "bare-items.rss").read_bytes(), content_type=RSS)
    items = normalized(parsed)
    assert len(items) == 3
    assert items[0].title == "Only a description: no guid, no link, no title."
    assert all(item.title and item.key.startswith("hash:") for item in items)
    assert items[2].published == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "title", "warning"),
    [
        ("nul-bytes.rss", "Null in title", "removed 5 control characters"),
        ("control-chars.rss", "Bell and escape[31m red", "removed 7 control characters"),
        ("invalid-utf8.rss", "Заголовок с \ufffd битым байтом", "3 bytes invalid in utf-8"),
    ],
)
def test_bad_characters_are_removed_with_a_warning(name: str, title: str, warning: str) -> None:
    parsed = parse_feed((HOSTILE / name).read_bytes(), content_type=RSS)
    assert not any("malformed" in w for w in parsed.warnings)
    assert any(warning in w for w in parsed.warnings), parsed.warnings
    items = normalized(parsed)
    assert items[0].title == title
    assert items[1].title == "Clean title"
    for item in items:
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", item.title + item.text)


# -- not a feed: a specific message each ----------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("body", "content_type", "error", "message"),
    [
        (b"", RSS, NotAFeedError, "not a feed: the response body is empty"),
        (b"\xef\xbb\xbf \r\n", RSS, NotAFeedError, "not a feed: the response body is empty"),
        (PNG, RSS, NotAFeedError, "not a feed: the body is a PNG image"),
        (b"\xff\xd8\xff\xe0JFIF", None, NotAFeedError, "not a feed: the body is a JPEG image"),
        (b"%PDF-1.7\n", "application/xml", NotAFeedError, "the body is a PDF document"),
        (gzip.compress(rss("")), RSS, NotAFeedError, "gzip-compressed data"),
        (bytes(range(256)) * 8, None, NotAFeedError, "the body is binary data"),
        (PNG, "image/png", NotAFeedError, "not a feed: got image/png"),
        (
            b"<!DOCTYPE html><html><body>hi</body></html>",
            RSS,
            NotAFeedError,
            r"not a feed: got an HTML page \(served as application/rss\+xml\)",
        ),
        (b"<html><body>hi</body></html>", "text/html", NotAFeedError, "not a feed: got text/html"),
        (b"Fatal error: out of memory", RSS, ParseError, "neither XML nor JSON"),
        (b'{"items": {}}', "application/json", NotAFeedError, "JSON Feed 'items' list"),
        (b"<note><to>x</to></note>", RSS, ParseError, "no RSS/Atom root element"),
    ],
)
def test_non_feeds_fail_with_a_specific_message(
    body: bytes, content_type: str | None, error: type[ParseError], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_feed(body, content_type=content_type)


def test_json_feed_with_wrong_types_is_read_safely() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": ["not", "a", "string"],
        "items": [
            {"id": 42, "title": {"x": 1}, "tags": "oops", "authors": "nobody", "url": 5},
            {"id": True, "attachments": {"url": "x"}, "date_published": "yesterday-ish"},
            "not an object",
            {"title": "\ud800 lone surrogate", "content_html": "<p>ok</p>"},
        ],
    }
    parsed = parse_feed(json.dumps(document).encode(), content_type="application/feed+json")
    assert parsed.title is None and len(parsed.entries) == 3
    assert parsed.entries[0].guid == "42" and parsed.entries[0].categories == ()
    items = normalized(parsed)
    assert items[2].title == "lone surrogate"


# -- property test ---------------------------------------------------------------------------------

FUZZ_FIXTURES = [
    "ulysmedia.rss",
    "kazinform.atom",
    "tengrinews.json",
    "cp1251.rss",
    "hostile.rss",
    "rdf.xml",
    "atom03.xml",
    "yandex.rss",
    "media.rss",
    "utf16le-bom.rss",
    "utf32be-nobom.rss",
    "jsonfeed10.json",
]
FUZZ_BODIES = [(DATA / name).read_bytes() for name in FUZZ_FIXTURES]
SCRIPT_TAG = re.compile(r"<\s*script", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"<[^>]*=\s*[\"']?\s*javascript:", re.IGNORECASE)
INSERTS = st.one_of(
    st.sampled_from([b"<", b"&", b">", b"]]>", b"<![CDATA[", b"&#0;", b"&amp", b"\x00", b"\x1b"]),
    st.text(max_size=8).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=4),
)


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(FUZZ_BODIES)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(0, len(body) - 1)))
        if kind == "flip" and body:
            body[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del body[at:]
        elif kind == "insert":
            body[at:at] = draw(INSERTS)
        else:
            del body[at : at + draw(st.integers(1, 16))]
    return bytes(body)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(body=mutated_feeds(), content_type=st.sampled_from([None, RSS, "application/json"]))
def test_mutated_feeds_give_a_parse_error_or_valid_items(
    body: bytes, content_type: str | None
) -> None:
    try:
        parsed = parse_feed(body, content_type=content_type, url="https://fuzz.example/feed")
    except ParseError as exc:
        message = str(exc)
        assert message.startswith(("not a feed", "refused", "feed too large")), message
        return
    for item in normalized(parsed):
        assert item.title.strip()
        assert item.published.utcoffset() == timedelta(0)
        assert item.published <= NOW + timedelta(minutes=10)
        html = item.content_html
        assert not SCRIPT_TAG.search(html), html
        assert not EVENT_HANDLER.search(html), html
        assert not JS_URL.search(html), html
        assert item.link is None or item.link.startswith(("http://", "https://"))

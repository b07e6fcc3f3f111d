"""The lxml fast path and feedparser give identical items on every fixture feed it takes;
what it declines goes to feedparser."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import ParseError
from aggregator.models import Entry
from aggregator.normalize import normalize_entry
from aggregator.parse import parse_feed

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FEEDS = sorted(
    p for p in DATA.rglob("*") if p.suffix in (".rss", ".atom", ".xml") and "hostile" not in p.parts
)


def items(path: Path | bytes, fast: bool) -> tuple[str, list[object]]:
    body = path if isinstance(path, bytes) else path.read_bytes()
    parsed = parse_feed(body, url="https://example.kz/feed", fast_path=fast)
    normalized = [
        normalize_entry(e, source_id="s", now=NOW, feed_language=parsed.language)
        for e in parsed.entries
    ]
    return parsed.parser, [
        parsed.title,
        parsed.link,
        parsed.language,
        parsed.ttl_minutes,
        parsed.update_period_minutes,
        *normalized,
    ]


@pytest.mark.parametrize("path", FEEDS, ids=lambda p: p.name)
def test_fast_path_matches_feedparser(path: Path) -> None:
    try:
        parser, fast = items(path, fast=True)
        _, slow = items(path, fast=False)
    except ParseError:
        pytest.skip(f"{path.name} is not a feed")
    if parser != "fast":
        return  # declined: feedparser read it, nothing to compare
    assert fast == slow


MEDIA = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>Media</title><link>https://example.kz/</link>
<item><title>Thumbnail before content</title><link>https://example.kz/1</link>
<media:content url="https://example.kz/v.mp4" type="video/mp4" medium="video" fileSize="52"/>
<media:content url="https://example.kz/c.jpg" medium="image"/>
<media:thumbnail url="https://example.kz/t.jpg"/>
<enclosure url="https://example.kz/a.mp3" length="73" type="audio/mpeg"/>
<enclosure url="https://example.kz/a.mp3" length="74" type="audio/mpeg"/></item>
<item><title>Image enclosure only</title><link>https://example.kz/2</link>
<enclosure url="https://example.kz/e.png" length="9" type="image/png"/>
<media:content url="https://example.kz/v.mp4" type="video/mp4"/></item>
<item><title>Image content, no medium</title><link>https://example.kz/3</link>
<media:content url=" https://example.kz/i.jpg " type="image/jpeg"/>
<enclosure url="https://example.kz/b.mp3" type="audio/mpeg" length="x"/></item>
</channel></rss>"""


def test_media_and_enclosures_read_as_feedparser_reads_them() -> None:
    """No fixture feed with media elements takes the fast path (``media.rss`` has
    relative URLs): these items do, and read the same on both paths."""
    parser, fast = items(MEDIA, fast=True)
    _, slow = items(MEDIA, fast=False)
    assert parser == "fast"
    assert fast == slow


def test_fast_path_entries_are_whole_entries() -> None:
    """The fast path makes its entries without ``Entry.__init__``: each must have every
    field of ``Entry`` and equal the one ``Entry(...)`` makes of the same values."""
    names = {f.name for f in fields(Entry)}
    for path in FEEDS:
        try:
            parsed = parse_feed(path.read_bytes(), url="https://example.kz/feed")
        except ParseError:
            continue
        if parsed.parser == "fast":
            for entry in parsed.entries:
                assert set(vars(entry)) == names, path.name
                assert entry == Entry(**vars(entry)), path.name


def test_fast_path_covers_the_common_feeds() -> None:
    taken = []
    for path in FEEDS:
        try:
            parser, _ = items(path, fast=True)
        except ParseError:
            continue
        taken.append((path.name, parser))
    fast = {name for name, parser in taken if parser == "fast"}
    assert {"ulysmedia.rss", "astanatimes.rss", "kazinform.atom", "cp1251.rss"} <= fast, taken
    assert ("malformed.xml", "feedparser") in taken  # broken XML: the fallback keeps items
    print(
        f"\nfast path: {len(fast)} of {len(taken)} fixture feeds; feedparser: "
        f"{sorted(n for n, p in taken if p != 'fast')}"
    )


RSS = """<?xml version="1.0" encoding="{declared}"?>
<rss version="2.0"><channel><title>Лента</title><link>https://example.kz/</link>
<item><title>{title}</title><link>https://example.kz/a</link>
<description>{description}</description>
<pubDate>{date}</pubDate></item></channel></rss>"""


def rss(
    title: str = "Токаев поздравил Алиева",
    description: str = "Текст",
    date: str = "Thu, 26 Nov 2026 04:08:39 +0500",
    declared: str = "utf-8",
) -> bytes:
    return RSS.format(title=title, description=description, date=date, declared=declared).encode()


@pytest.mark.parametrize(
    ("title", "warning"),
    [("Нуль\x00 и звонок\x07", "removed 2 control characters"), ("Конец\uffff", "removed 1")],
)
def test_characters_xml_forbids_take_the_full_path(title: str, warning: str) -> None:
    parsed = parse_feed(rss(title=title), content_type="application/rss+xml; charset=utf-8")
    assert parsed.entries[0].title == title.translate({0: None, 7: None, 0xFFFF: None})
    assert any(warning in w for w in parsed.warnings), parsed.warnings


def test_a_legacy_declaration_on_a_utf8_body_is_not_read_as_utf8_directly() -> None:
    """The header says UTF-8 and the body is, the declaration says windows-1251: the text
    is UTF-8 (as the full path decides), not mojibake read by the declared charset."""
    body = rss(declared="windows-1251")
    parsed = parse_feed(body, content_type="application/rss+xml; charset=utf-8")
    assert parsed.entries[0].title == "Токаев поздравил Алиева"
    assert parsed.parser == "fast"


def test_an_unknown_charset_label_is_still_reported() -> None:
    parsed = parse_feed(rss(), content_type="application/rss+xml; charset=x-unheard-of")
    assert parsed.entries[0].title == "Токаев поздравил Алиева"
    assert any("unknown charset 'x-unheard-of'" in w for w in parsed.warnings), parsed.warnings


@pytest.mark.parametrize(
    "date",
    [
        "Thu, 26 Nov 2026 04:08:39 +0500",
        "Thu, 26 Nov 2026 04:08:39 -0330",
        "Thu, 26 Nov 2026 04:08:39 -0000",
        "Thu, 26 Nov 2026 04:08:39 GMT",
        "Thu, 26 nov 2026 04:08:39 +0000",
        "26 Nov 2026 04:08 +0300",
        "Thu, 6 Nov 2026 04:08:39 +0500",
        "Thu, 26 Nov 26 04:08:39 EST",
        "Thu, 26 Nov 2026 04:08:39 +0099",
    ],
)
def test_common_dates_read_as_the_email_module_reads_them(date: str) -> None:
    from email.utils import parsedate_to_datetime

    expected = parsedate_to_datetime(date)
    expected = expected.replace(tzinfo=UTC) if expected.tzinfo is None else expected
    parsed = parse_feed(rss(date=date))
    assert parsed.parser == "fast"
    assert parsed.entries[0].published == expected


@pytest.mark.parametrize(
    "date", ["Thu, 31 Feb 2026 04:08:39 +0500", "Thu, 26 Nov 2026 24:08:39 +0500", "вчера"]
)
def test_impossible_dates_are_left_to_feedparser(date: str) -> None:
    assert parse_feed(rss(date=date)).parser == "feedparser"


@pytest.mark.parametrize(
    ("description", "fast"),
    [
        ('&lt;a href="https://example.kz/b"&gt;b&lt;/a&gt;', True),
        ("&lt;img src=&quot;https://example.kz/i.jpg&quot;&gt;", True),
        ("<![CDATA[<a href='#top'>вверх</a> <img srcset='/i.jpg 2x'>]]>", True),
        ('&lt;a href="/b"&gt;b&lt;/a&gt;', False),
        ("<![CDATA[<img SRC=/i.jpg>]]>", False),
        ('&lt;a href = "https://example.kz/b"&gt;', False),
        ("&lt;img src=&#34;i.jpg&#34;&gt;", False),
    ],
)
def test_relative_urls_anywhere_send_the_feed_to_feedparser(description: str, fast: bool) -> None:
    parsed = parse_feed(rss(description=description))
    assert (parsed.parser == "fast") is fast
    assert parsed.entries[0].summary is not None


def test_a_relative_stylesheet_in_the_prolog_keeps_the_fast_path() -> None:
    body = rss().replace(b"?>\n", b'?>\n<?xml-stylesheet type="text/xsl" href="/rss.xsl"?>\n', 1)
    assert parse_feed(body).parser == "fast"


@pytest.mark.parametrize(
    ("body", "reads", "parser"),
    [
        # declined as received (an RSS <author>): cleaning would give the same bytes
        (rss().replace(b"<pubDate>", b"<author>a@b.kz (A)</author><pubDate>"), 1, "feedparser"),
        # unreadable as received (a NUL): cleaned, then the fast path reads it
        (rss(title="Нуль\x00"), 2, "fast"),
        (rss(), 1, "fast"),
    ],
)
def test_the_fast_path_reads_a_body_again_only_after_cleaning_it(
    monkeypatch: pytest.MonkeyPatch, body: bytes, reads: int, parser: str
) -> None:
    import aggregator.parse as parse_module

    real, calls = parse_module.parse_fast, []

    def counted(document: bytes) -> object:
        calls.append(len(document))
        return real(document)

    monkeypatch.setattr(parse_module, "parse_fast", counted)
    assert parse_feed(body).parser == parser
    assert len(calls) == reads

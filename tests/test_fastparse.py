"""The lxml fast path and feedparser give identical items on every fixture feed it takes;
what it declines goes to feedparser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import ParseError
from aggregator.normalize import normalize_entry
from aggregator.parse import parse_feed

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FEEDS = sorted(
    p for p in DATA.rglob("*") if p.suffix in (".rss", ".atom", ".xml") and "hostile" not in p.parts
)


def items(path: Path, fast: bool) -> tuple[str, list[object]]:
    parsed = parse_feed(path.read_bytes(), url="https://example.kz/feed", fast_path=fast)
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

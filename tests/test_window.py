"""Tests of aggregator.dedup.window: the story window decides as the pure decision does,
follows merges, edits and purges, and is filled by the store on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from aggregator.config import DedupConfig
from aggregator.dedup import (
    Candidate,
    CorpusStats,
    DedupSettings,
    StoryWindow,
    choose_stories,
    extract_features,
    index_keys,
    lookup_keys,
)
from aggregator.models import Item
from aggregator.pipeline import compute_story_keys, story_decision
from aggregator.storage import SourceRow, Store, items

EVAL_PATH = Path(__file__).parent / "data" / "stories" / "eval.json"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _eval_records() -> list[dict[str, str]]:
    records = json.loads(EVAL_PATH.read_text(encoding="utf-8"))["items"]
    return sorted(records, key=lambda r: (r["published"], r["id"]))


def test_the_window_decides_as_choose_stories() -> None:
    """Over the labelled set, in published order, with the same candidates and weights,
    the window's decision (profiles kept by item id) names the stories the pure
    decision names, item for item."""
    records = _eval_records()
    features = [extract_features(r["title"], r["text"], r["language"]) for r in records]
    published = [datetime.fromisoformat(r["published"]).astimezone(UTC) for r in records]
    stats = CorpusStats()
    for f in features:
        stats.add(f)
    settings = DedupSettings()
    window = StoryWindow(settings)
    postings: dict[str, list[int]] = {}
    story_of: list[str] = []
    joined = 0
    for n, (record, f) in enumerate(zip(records, features, strict=True)):
        shared: dict[int, int] = {}
        for key, weight in lookup_keys(index_keys(f), stats):
            for m in postings.get(key, ()):
                shared[m] = shared.get(m, 0) + weight
        ranked = sorted(shared, key=lambda m: (-shared[m], m))[: settings.max_candidates]
        candidates = [
            Candidate(story_of[m], records[m]["source"], published[m], features[m]) for m in ranked
        ]
        expected = choose_stories(f, record["source"], published[n], candidates, stats, settings)
        chosen = window.decide(f, record["source"], published[n], ranked, stats)
        assert chosen == expected, record["id"]
        story_of.append(chosen[0] if chosen else record["id"])
        joined += bool(chosen)
        window.add(n, story_of[n], record["source"], published[n], f.to_json())
        for key in index_keys(f):
            postings.setdefault(key, []).append(n)
    assert joined >= 50  # the set's retellings did fold


def test_the_window_follows_merges_edits_and_its_bound() -> None:
    window = StoryWindow(DedupSettings(), max_items=10)
    data = extract_features("Токаев принял Бектенова", "Токаев принял Бектенова.", "ru").to_json()
    for n in range(10):
        window.add(n, f"story-{n % 3}", "ulys", NOW, data)
    assert window.missing([0, 5, 42]) == [42]
    window.merged({"story-1", "story-2"}, "story-0")
    window.forget(3)
    assert window.missing([3]) == [3]
    window.add(10, "story-9", "ulys", NOW, data)
    window.add(11, "story-9", "ulys", NOW, data)  # past the bound: the oldest tenth goes
    assert window.missing([0, 1, 2, 10, 11]) == [0]
    assert len(window) == 10
    window.clear()
    assert len(window) == 0


def _retelling(n: int, source_id: str, title: str, text: str) -> Item:
    item = Item(
        source_id=source_id,
        key=f"guid:{n}",
        guid=str(n),
        link=f"https://{source_id}.kz/news/{n}/",
        original_link=None,
        title=title,
        content_html=f"<p>{text}</p>",
        text=text,
        summary=text,
        published=NOW - timedelta(hours=n),
        updated=None,
        author=None,
        categories=(),
        image=None,
        enclosures=(),
        language="ru",
        content_hash=f"h{n}",
    )
    return Item(**{**item.__dict__, "story_keys": compute_story_keys(item)})


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url)
    store.sync_sources(
        [
            SourceRow("ulys", "Ulysmedia.kz", "https://ulysmedia.kz/rss/"),
            SourceRow("tengri", "Tengrinews.kz", "https://tengrinews.kz/news.rss"),
        ]
    )
    yield store
    store.close()


def test_the_store_fills_the_window_and_empties_it_on_purge(store: Store) -> None:
    """Stored items enter the decision's window as they are stored (no row read again
    when they are candidates); a second store on the database, whose window is empty,
    reads them; a purge empties the window (SQLite may give their ids to new items)."""
    title = "Токаев назначил Бектенова премьер-министром Казахстана"
    text = (
        "Президент Касым-Жомарт Токаев подписал указ о назначении Олжаса Бектенова "
        "премьер-министром. Мажилис одобрил кандидатуру 6 февраля 2024 года."
    )
    decision = story_decision(store, DedupConfig())
    assert story_decision(store, DedupConfig()) is decision
    first = _retelling(2, "ulys", title, text)
    store.save_items(store.source_state("ulys"), [first], NOW, decide=decision)
    assert len(decision.window) == 1
    again = _retelling(1, "tengri", "Бектенов назначен премьер-министром", text)
    other = Store.open(store.url)
    try:
        fresh = story_decision(other, DedupConfig())
        other.save_items(other.source_state("tengri"), [again], NOW, decide=fresh)
        assert len(fresh.window) == 2  # the candidate read from the database, and the new item
    finally:
        other.close()
    with store.engine.connect() as connection:
        assert len(set(connection.scalars(sa.select(items.c.story_id)))) == 1  # one story
    store.purge(NOW + timedelta(days=30), keep=set())
    assert len(decision.window) == 0

"""Tests of aggregator.dedup.window: the story window decides as the pure decision does,
follows merges, edits and purges, and is filled by the store on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

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
from aggregator.models import Item, StoryKeys
from aggregator.pipeline import (
    StoryDecision,
    compute_story_keys,
    release_story_decision,
    story_decision,
)
from aggregator.storage import (
    CandidateRow,
    Settled,
    SourceRow,
    Store,
    TermCounts,
    Waiting,
    items,
    stories,
)
from aggregator.storage.storyindex import candidates

EVAL_PATH = Path(__file__).parent / "data" / "stories" / "eval.json"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TITLE = "Токаев назначил Бектенова премьер-министром Казахстана"
TEXT = (
    "Президент Касым-Жомарт Токаев подписал указ о назначении Олжаса Бектенова "
    "премьер-министром. Мажилис одобрил кандидатуру 6 февраля 2024 года."
)


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


def test_the_window_follows_merges_edits_and_time() -> None:
    """Members follow a merge; an edited item leaves the index; items published more
    than twice the window before the newest are dropped, and the window covers less."""
    window = StoryWindow(DedupSettings(window_hours=1.0), max_derived=4)
    data = extract_features(TITLE, TEXT, "ru").to_json()
    for n in range(10):
        window.add(n, f"story-{n % 3}", "ulys", NOW, data, [f"t:{n % 2}", "t:all"])
    window.cover(NOW - timedelta(hours=1), 9)
    assert window.missing([0, 5, 42]) == [42]
    assert window.ranked([("t:all", 1), ("t:0", 5)], NOW, 3) == [(0, 6), (2, 6), (4, 6)]
    window.merged({"story-1", "story-2"}, "story-0")
    assert window.decide(
        extract_features(TITLE, TEXT, "ru"),
        "tengri",
        NOW,
        list(range(10)),
        CorpusStats(),
    ) == ["story-0"]
    window.forget(0)
    assert window.ranked([("t:0", 5)], NOW, 3) == [(2, 5), (4, 5), (6, 5)]
    for n in range(10, 1034):  # 1,024 items later: the first ten are too old
        window.add(n, f"story-{n}", "ulys", NOW + timedelta(hours=3), data, ["t:late"])
    assert window.missing([1, 9, 10]) == [1, 9]
    assert window.covers(NOW + timedelta(hours=1))
    assert not window.covers(NOW)
    window.cover(NOW - timedelta(days=30), 1033)  # filled from long ago: not all is held
    assert window.covered_from == NOW + timedelta(hours=1)
    window.clear()
    assert len(window) == 0 and window.covered_from is None


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
    """Stored items enter the decision's window as they are stored; a second store on the
    database (another process) fills its window from the database, and the first one
    catches up with what the second stored; a purge empties the window (SQLite may give
    the purged items' ids to new ones)."""
    decision = story_decision(store, DedupConfig())
    assert story_decision(store, DedupConfig()) is decision
    first = _retelling(3, "ulys", TITLE, TEXT)
    store.save_items(store.source_state("ulys"), [first], NOW, decide=decision)
    assert len(decision.window) == 1
    again = _retelling(2, "tengri", "Бектенов назначен премьер-министром", TEXT)
    other = Store.open(store.url)
    try:
        fresh = story_decision(other, DedupConfig())
        fresh.window.fill_after = 0  # as in a process that has stored many items
        other.save_items(other.source_state("tengri"), [again], NOW, decide=fresh)
        assert len(fresh.window) == 2  # filled from the database, then the new item
        assert fresh.window.covered_from is not None
    finally:
        other.close()
    decision.window.fill_after = 0
    later = _retelling(1, "ulys", "Погода в Астане", "В Астане ожидается снег и ветер до 15 м/с.")
    store.save_items(store.source_state("ulys"), [later], NOW, decide=decision)
    assert len(decision.window) == 3  # caught up with the other writer's item
    with store.engine.connect() as connection:
        story_of = dict(connection.execute(sa.select(items.c.key, items.c.story_id)).all())
    assert story_of["guid:2"] == story_of["guid:3"] != story_of["guid:1"]
    store.purge(NOW + timedelta(days=30), keep=set())
    assert len(decision.window) == 0


def test_the_window_ranks_candidates_as_the_database_does(store: Store) -> None:
    """The in-memory lookup gives the database lookup's candidates, in its order (shared
    weight, then the earliest, then the smallest id), within the time window."""
    data = extract_features(TITLE, TEXT, "ru").to_json()
    keyed = [("t:rare",), ("t:common",), ("t:common", "t:both"), ("t:common",), ("t:rare",)]
    keyed += [("t:rare",)] * 5  # the last is 180 hours old: more than two windows
    stored = [
        replace(
            _retelling(n, "ulys", TITLE, TEXT),
            story_keys=StoryKeys(data, keys, ()),
            published=NOW - timedelta(hours=n * 20),
        )
        for n, keys in enumerate(keyed)
    ]
    store.save_items(store.source_state("ulys"), stored, NOW)
    window = StoryWindow(DedupSettings(), fill_after=0)
    lookup = [("t:rare", 500), ("t:common", 10), ("t:both", 7)]
    span = timedelta(hours=72)
    with store.engine.connect() as connection:
        for limit in (2, 3, 10):
            in_database = candidates(connection, lookup, NOW, span, limit)
            in_memory = candidates(connection, lookup, NOW, span, limit, window)
            assert in_memory == in_database
            # filled two windows back from the newest stored item, not from this lookup's
            # window only: a feed's older items, stored later, are looked up in memory too
            assert window.covered_from == NOW - 2 * span
        assert len(in_memory) == 4  # the fifth is 80 hours old
        older = NOW - timedelta(hours=60)
        assert window.covers(older - span)
        assert candidates(connection, lookup, older, span, 10, window) == candidates(
            connection, lookup, older, span, 10
        )


def test_a_new_store_fills_the_window_at_once(store: Store) -> None:
    """Filling an empty window costs nothing: the first lookup fills it (a cold refresh
    of a new store then never looks candidates up in the database)."""
    decision = story_decision(store, DedupConfig())
    store.save_items(
        store.source_state("ulys"), [_retelling(3, "ulys", TITLE, TEXT)], NOW, decide=decision
    )
    assert decision.window.covered_from is not None


def test_a_process_storing_few_items_does_not_read_the_window(store: Store) -> None:
    """Until its lookups in the database have taken as long as filling would, the window
    is not filled: the candidates come from the database and only they are read."""
    unrelated = [
        _retelling(n, "ulys", f"Новость {n} о погоде", f"В городе {n} ожидается снег.")
        for n in range(5, 9)
    ]
    store.save_items(store.source_state("ulys"), unrelated, NOW)  # stored by another run
    decision = story_decision(store, DedupConfig())
    decision.window.fill_cost = 60.0  # as if each stored item cost a minute to read
    first = _retelling(3, "ulys", TITLE, TEXT)
    again = _retelling(2, "tengri", "Бектенов назначен премьер-министром", TEXT)
    store.save_items(store.source_state("ulys"), [first], NOW, decide=decision)
    store.save_items(store.source_state("tengri"), [again], NOW, decide=decision)
    assert decision.window.covered_from is None
    assert len(decision.window) == 2  # the two it stored, none of the four before


def test_a_released_window_is_filled_again_from_the_store(store: Store) -> None:
    """``aggregator fetch`` drops the story window before it publishes (its memory goes
    back before natasha's models load); a later save gets a new window, filled from the
    database, so nothing stored is lost to the decision."""
    decision = story_decision(store, DedupConfig())
    store.save_items(
        store.source_state("ulys"), [_retelling(3, "ulys", TITLE, TEXT)], NOW, decide=decision
    )
    assert release_story_decision(store)
    assert not release_story_decision(store)  # none left: nothing for the caller to trim
    fresh = story_decision(store, DedupConfig())
    assert fresh is not decision and len(fresh.window) == 0
    again = _retelling(2, "tengri", "Бектенов назначен премьер-министром", TEXT)
    store.save_items(store.source_state("tengri"), [again], NOW, decide=fresh)
    with store.engine.connect() as connection:
        story_of = dict(connection.execute(sa.select(items.c.key, items.c.story_id)).all())
    assert story_of["guid:2"] == story_of["guid:3"]


_ADDED = st.lists(
    st.tuples(
        st.integers(-100, 100),  # hours from NOW
        st.sets(st.sampled_from(["k:a", "k:b", "k:c", "k:d", "k:e"]), max_size=4),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    added=_ADDED,
    forgotten=st.sets(st.integers(0, 39), max_size=10),
    keys=st.lists(st.tuples(st.sampled_from(["k:a", "k:b", "k:c", "k:x"]), st.integers(1, 900))),
    limit=st.integers(1, 8),
)
def test_ranked_is_the_summed_weights_within_the_window(
    added: list[tuple[int, set[str]]],
    forgotten: set[int],
    keys: list[tuple[str, int]],
    limit: int,
) -> None:
    """The in-memory lookup ranks as the database does: the summed weights of the keys
    an item shares, then the earliest published, then the smallest id; only items within
    the window of the new one, and none forgotten (whose places later items take)."""
    window = StoryWindow(DedupSettings(window_hours=72.0))
    data = extract_features(TITLE, TEXT, "ru").to_json()
    held: dict[int, tuple[datetime, set[str]]] = {}
    for n, (hours, item_keys) in enumerate(added):
        published = NOW + timedelta(hours=hours)
        window.add(n * 7, "story", "ulys", published, data, sorted(item_keys))
        held[n * 7] = (published, item_keys)
        if n in forgotten:
            window.forget(n * 7)
            del held[n * 7]
    shared = {
        item_id: sum(weight for key, weight in keys if key in item_keys)
        for item_id, (published, item_keys) in held.items()
        if any(key in item_keys for key, _ in keys) and abs(published - NOW) <= timedelta(hours=72)
    }
    expected = sorted(shared, key=lambda i: (-shared[i], held[i][0], i))[:limit]
    assert window.ranked(keys, NOW, limit) == [(i, shared[i]) for i in expected]


class _BreakingDecision(StoryDecision):
    """The real decision, broken for its first ``failures`` items (a bug, a lost
    connection): the story step fails after the items are stored."""

    def __init__(self, config: DedupConfig, failures: int) -> None:
        super().__init__(config)
        self.failures = failures

    def __call__(
        self, item: Waiting, candidates: Sequence[CandidateRow], counts: TermCounts
    ) -> list[str]:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("decision broke")
        return super().__call__(item, candidates, counts)


def _story_of(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        return dict(connection.execute(sa.select(items.c.key, items.c.story_id)).all())


def test_deferred_items_wait_as_their_own_stories_until_settled(store: Store) -> None:
    """Saved with ``defer``, items are stored at once, each its own story and nobody's
    candidate; ``settle`` decides them together. If it fails, nothing stored is lost and
    the items wait for the next ``settle``."""
    decision = _BreakingDecision(DedupConfig(), failures=1)
    first = _retelling(3, "ulys", TITLE, TEXT)
    again = _retelling(2, "tengri", "Бектенов назначен премьер-министром", TEXT)
    store.save_items(store.source_state("ulys"), [first], NOW, decide=decision, defer=True)
    store.save_items(store.source_state("tengri"), [again], NOW, decide=decision, defer=True)
    assert len(set(_story_of(store).values())) == 2
    assert decision.window.waiting_count() == 2 and len(decision.window) == 0
    assert store.latest_entries(10, {}) == []  # no output shows an undecided item
    with pytest.raises(RuntimeError, match="decision broke"):
        store.settle(decision, NOW)
    assert len(set(_story_of(store).values())) == 2  # rolled back: each its own story
    assert decision.window.waiting_count() == 2
    assert store.settle(decision, NOW) == Settled(items=2, founded=1)  # one joined
    story_of = _story_of(store)
    assert story_of["guid:2"] == story_of["guid:3"]
    assert decision.window.waiting_count() == 0 and len(decision.window) == 2
    with store.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(stories)) == 1


OTHER_EVENTS = [
    (
        "Погода в Астане: снег и ветер",
        "В Астане ожидается снег, ветер до 15 м/с, сообщил Казгидромет.",
    ),
    (
        "В Алматы открыли новую школу",
        "В Наурызбайском районе Алматы открылась школа на 1 200 мест.",
    ),
    ("Курс доллара вырос до 512 тенге", "На утренней сессии KASE доллар подорожал до 512,4 тенге."),
    ("В Шымкенте ремонтируют дороги", "До конца октября в Шымкенте отремонтируют 40 улиц."),
]


def test_a_story_is_judged_by_its_members_not_one_look_alike() -> None:
    """A story that an earlier error filled with other events does not draw in a
    retelling of one of its members: the new item is compared with the story's other
    members too (one look-alike shares its words, the rest do not). The same member
    alone in its story is joined."""
    features = [extract_features(TITLE, TEXT, "ru")]
    features += [extract_features(title, text, "ru") for title, text in OTHER_EVENTS]
    retelling = extract_features("Бектенов назначен премьер-министром", TEXT, "ru")
    stats = CorpusStats()
    for f in [*features, retelling]:
        stats.add(f)

    def joined(story_of: list[str]) -> list[str]:
        window = StoryWindow(DedupSettings())
        for n, (f, story_id) in enumerate(zip(features, story_of, strict=True)):
            source = f"outlet{n}"
            window.add(n + 1, story_id, source, NOW - timedelta(hours=n + 1), f.to_json())
        return window.decide(retelling, "tengri", NOW, [1], stats)

    assert joined(["alone", "b", "c", "d", "e"]) == ["alone"]
    assert joined(["mixed"] * 5) == []


def test_items_waiting_when_the_configuration_changes_are_still_decided(store: Store) -> None:
    """A new dedup configuration (a live reload) makes a new decision: the items the old
    one held waiting are decided by the new one, not left their own stories."""
    first = _retelling(3, "ulys", TITLE, TEXT)
    again = _retelling(2, "tengri", "Бектенов назначен премьер-министром", TEXT)
    old = story_decision(store, DedupConfig())
    store.save_items(store.source_state("ulys"), [first], NOW, decide=old, defer=True)
    store.save_items(store.source_state("tengri"), [again], NOW, decide=old, defer=True)
    new = story_decision(store, DedupConfig(max_candidates=30))
    assert new is not old and new.window.waiting_count() == 2
    assert store.settle(new, NOW) == Settled(items=2, founded=1)
    story_of = _story_of(store)
    assert story_of["guid:2"] == story_of["guid:3"]


def test_items_a_dead_process_left_waiting_are_decided_by_the_next(store: Store) -> None:
    """A process stores items to wait for their stories and is killed before deciding
    them: no output shows them. The next process's first decision finds them (stored
    within the window, their story without a row) and decides them with its own; one
    that another process decided meanwhile is left as it was decided."""
    first = _retelling(3, "ulys", TITLE, TEXT)
    again = _retelling(2, "tengri", "Бектенов назначен премьер-министром", TEXT)
    killed = StoryDecision(DedupConfig())
    store.save_items(store.source_state("ulys"), [first], NOW, decide=killed, defer=True)
    store.save_items(store.source_state("tengri"), [again], NOW, decide=killed, defer=True)
    assert store.latest_entries(10, {}) == []
    fresh = StoryDecision(DedupConfig())
    assert store.settle(fresh, NOW) == Settled(0, 0)  # without recover: its own items only
    assert store.settle(fresh, NOW, recover=True) == Settled(items=2, founded=1)
    assert len(store.latest_entries(10, {})) == 1
    assert len(set(_story_of(store).values())) == 1
    assert store.settle(killed, NOW) == Settled(0, 0)  # decided already: left alone
    assert len(store.latest_entries(10, {})) == 1

"""The store, on a real SQLite file and on the real PostgreSQL."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from aggregator import storage
from aggregator.models import Item, SourceRef, StoryKeys
from aggregator.storage import CandidateRow, SaveResult, SourceRow, Store, items, story_id_for
from aggregator.storage import store as store_module

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
REFS = {
    "ulys": SourceRef("ulys", "Ulysmedia.kz", "https://ulysmedia.kz/rss/"),
    "tengri": SourceRef("tengri", "Tengrinews.kz", "https://tengrinews.kz/news.rss"),
}


def item(n: int, source_id: str = "ulys", **changes: object) -> Item:
    base = Item(
        source_id=source_id,
        key=f"guid:{n}",
        guid=str(n),
        link=f"https://ulysmedia.kz/news/{n}/",
        original_link=f"https://ulysmedia.kz/news/{n}/?utm_source=rss",
        title=f"Новость №{n}",
        content_html=f"<p>Текст новости {n}</p>",
        text=f"Текст новости {n}",
        summary=f"Текст новости {n}",
        published=NOW - timedelta(hours=n),
        updated=None,
        author="Редакция",
        categories=("Политика",),
        image=None,
        enclosures=(),
        language="ru",
        content_hash=f"h{n}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


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


def test_open_twice_runs_migrations_once(database_url: str) -> None:
    Store.open(database_url).close()
    store = Store.open(database_url)
    with store.engine.connect() as connection:
        versions = connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    store.close()
    migrations = Path(__file__).parent.parent / "aggregator" / "migrations"
    versions_dir = sorted(p.name[:4] for p in (migrations / "versions").glob("0*.py"))
    assert versions == [versions_dir[-1]]  # at head, once


def test_wal_switch_waits_out_a_lock_sqlite_reports_at_once(tmp_path: Path) -> None:
    """Two processes opening a new database race to put it in WAL mode, and SQLite may
    answer the loser "locked" at once (a connection without a busy timeout stands in for
    it here): the switch is tried again until the other lets go."""
    import sqlite3

    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.3, holder.execute, ("COMMIT",)).start()
    loser = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    store_module._enable_wal(loser.cursor())
    assert loser.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    loser.close()
    holder.close()


def test_schema_head_is_the_head_alembic_reads() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(store_module.MIGRATIONS))
    assert store_module.schema_head() == ScriptDirectory.from_config(config).get_current_head()


def test_a_store_at_head_opens_without_loading_alembic(tmp_path: Path) -> None:
    # ``aggregator status`` and ``check`` open the store: Alembic only when it has work.
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code = (
        "import sys; from aggregator.storage import Store; "
        f"Store.open({url!r}).close(); print('alembic' in sys.modules)"
    )
    opened = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert [o.stdout.strip() for o in opened] == ["True", "False"]  # created, then at head


def test_save_is_idempotent_and_updates_changed_items(store: Store) -> None:
    state = store.source_state("ulys")
    first = store.save_items(state, [item(1), item(2), item(3)], NOW)
    assert (first.new, first.updated, first.unchanged) == (3, 0, 0)
    again = store.save_items(state, [item(1), item(2), item(3)], NOW)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    edited = item(2, title="Новость №2 (обновлено)", content_hash="h2-edited")
    later = NOW + timedelta(hours=1)
    changed = store.save_items(state, [item(1), edited, item(3)], later)
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 2)
    assert store.item_count() == 3
    entries = {e.id: e for e in store.latest_entries(10, REFS)}
    story = story_id_for("ulys", "guid:2")
    assert entries[story].title == "Новость №2 (обновлено)"
    assert entries[story].updated == later  # the id stays; `updated` moves


def test_same_guid_in_two_sources_is_two_items(store: Store) -> None:
    store.save_items(store.source_state("ulys"), [item(1)], NOW)
    store.save_items(store.source_state("tengri"), [item(1, source_id="tengri")], NOW)
    entries = store.latest_entries(10, REFS)
    assert len(entries) == 2
    assert {e.source.id for e in entries} == {"ulys", "tengri"}
    assert len({e.id for e in entries}) == 2


def test_duplicate_keys_in_one_batch_keep_the_first(store: Store) -> None:
    saved = store.save_items(
        store.source_state("ulys"), [item(1), item(1, title="второй с тем же guid")], NOW
    )
    assert saved.new == 1
    (entry,) = store.latest_entries(10, REFS)
    assert entry.title == "Новость №1"


def test_latest_entries_are_newest_first_and_limited(store: Store) -> None:
    store.save_items(store.source_state("ulys"), [item(n) for n in range(1, 8)], NOW)
    entries = store.latest_entries(5, REFS)
    assert [e.title for e in entries] == [f"Новость №{n}" for n in range(1, 6)]
    assert all(e.published.tzinfo is not None for e in entries)
    assert entries[0].source == REFS["ulys"]
    assert entries[0].categories == ("Политика",)


def test_whether_the_time_was_known_is_stored(store: Store) -> None:
    store.save_items(store.source_state("ulys"), [item(1, time_known=False), item(2)], NOW)
    entries = {e.title: e for e in store.latest_entries(10, REFS)}
    assert entries["Новость №1"].time_known is False
    assert entries["Новость №2"].time_known is True


def test_migration_0006_keeps_stored_items_and_takes_their_times_as_known(
    store: Store, database_url: str
) -> None:
    store.save_items(store.source_state("ulys"), [item(1), item(2)], NOW)
    config = AlembicConfig()
    config.set_main_option(
        "script_location", str(Path(storage.__file__).parent.parent / "migrations")
    )
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    store.close()
    reopened = Store.open(database_url)  # upgrades to the head again
    try:
        entries = reopened.latest_entries(10, REFS)
        assert [e.time_known for e in entries] == [True, True]
    finally:
        reopened.close()


def test_items_and_state_commit_together(store: Store) -> None:
    """A failing insert rolls back the source state written in the same transaction."""
    state = replace(store.source_state("ulys"), etag='"v1"', last_status=200)
    broken = item(1, title=None)  # violates NOT NULL
    with pytest.raises(sa.exc.IntegrityError):
        store.save_items(state, [broken], NOW)
    assert store.source_state("ulys").etag is None
    assert store.item_count() == 0


def test_due_sources_and_state_round_trip(store: Store) -> None:
    assert set(store.due_sources(["ulys", "tengri"], NOW)) == {"ulys", "tengri"}
    later = NOW + timedelta(minutes=10)
    store.record_failure(
        replace(
            store.source_state("ulys"), next_fetch_at=later, last_error="HTTP 500", error_count=2
        )
    )
    assert store.due_sources(["ulys", "tengri"], NOW) == ["tengri"]
    assert store.due_sources(["ulys"], later) == ["ulys"]
    state = store.source_state("ulys")
    assert (state.last_error, state.error_count, state.next_fetch_at) == ("HTTP 500", 2, later)
    store.record_failure(replace(state, disabled_reason="410 Gone"))
    assert store.due_sources(["ulys"], later) == []


def test_changed_config_url_resets_the_source_state(store: Store) -> None:
    store.record_failure(
        replace(
            store.source_state("ulys"),
            etag='"x"',
            error_count=3,
            current_url="https://new.ulysmedia.kz/rss/",
        )
    )
    store.sync_sources([SourceRow("ulys", "Ulysmedia", "https://ulysmedia.kz/feed/")])
    state = store.source_state("ulys")
    assert (state.url, state.etag, state.current_url, state.error_count) == (
        "https://ulysmedia.kz/feed/",
        None,
        None,
        0,
    )


def test_story_ids_are_stable_uuids() -> None:
    assert story_id_for("ulys", "guid:1") == story_id_for("ulys", "guid:1")
    assert story_id_for("ulys", "guid:1") != story_id_for("tengri", "guid:1")
    assert story_id_for("ulys", "guid:1").startswith("urn:uuid:")


def test_item_row_keeps_cyrillic_and_json_fields(store: Store) -> None:
    store.save_items(store.source_state("ulys"), [item(1, categories=("Политика", "Қоғам"))], NOW)
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(items)).one()
    assert row.title == "Новость №1"
    assert row.categories == '["Политика", "Қоғам"]'


def test_purge_deletes_old_stories_but_never_shown_ones(store: Store) -> None:
    state = store.source_state("ulys")
    old = [item(n, published=NOW - timedelta(days=100 + n)) for n in (1, 2, 3)]
    store.save_items(state, [*old, item(4)], NOW - timedelta(days=95))
    shown = story_id_for("ulys", "guid:1")
    purged = store.purge(NOW - timedelta(days=90), keep={shown})
    assert purged == 2
    remaining = {e.id for e in store.latest_entries(10, REFS)}
    assert remaining == {shown, story_id_for("ulys", "guid:4")}
    assert store.item_count() == 2
    with store.engine.connect() as connection:
        orphans = connection.execute(
            sa.text("SELECT count(*) FROM story_keys WHERE item_id NOT IN (SELECT id FROM items)")
        ).scalar()
    assert orphans == 0


def test_leases_let_workers_claim_different_sources(store: Store) -> None:
    lease = timedelta(minutes=5)
    first = store.claim_due(["ulys", "tengri"], NOW, "worker-a", lease, limit=1)
    second = store.claim_due(["ulys", "tengri"], NOW, "worker-b", lease, limit=5)
    assert len(first) == 1 and len(second) == 1 and set(first) != set(second)
    assert store.claim_due(["ulys", "tengri"], NOW, "worker-c", lease, limit=5) == []
    # A dead worker's lease expires; saving an outcome releases it at once.
    assert store.claim_due(["ulys", "tengri"], NOW + lease * 2, "worker-c", lease, 5) != []
    state = store.source_state(first[0])
    store.record_failure(replace(state, next_fetch_at=None))
    assert store.source_state(first[0]).lease_owner is None
    store.release_leases("worker-c")
    assert all(s.lease_owner is None for s in store.source_states())


class _RecordingDecider:
    """Looks candidates up by fixed (key, weight) pairs and records those it is given;
    joins no story."""

    members = None

    def __init__(self, keys: list[tuple[str, int]]) -> None:
        self.keys = keys
        self.given: list[list[CandidateRow]] = []

    def lookup_keys(self, item: Item, counts: object) -> list[tuple[str, int]]:
        return self.keys

    def stored_keys(self, item: Item, counts: object) -> list[str]:
        return list(item.story_keys.index_keys) if item.story_keys else []

    def __call__(self, item: Item, candidates: list[CandidateRow], counts: object) -> None:
        self.given.append(list(candidates))


def _keyed(*keys: str) -> StoryKeys:
    return StoryKeys(features="{}", index_keys=keys, term_keys=())


def test_candidates_rank_by_the_weight_of_the_keys_they_share(store: Store) -> None:
    """One rare key shared outranks one common key shared, whoever was published first
    (by the count of shared keys, the two earliest common-key items filled the list)."""
    decide = _RecordingDecider([("t:rare", 500), ("t:common", 10), ("t:both", 7)])
    stored = [
        item(1, story_keys=_keyed("t:rare")),  # the latest
        item(2, story_keys=_keyed("t:common")),
        item(3, story_keys=_keyed("t:common", "t:both")),
        item(4, story_keys=_keyed("t:common")),  # the earliest
    ]
    store.save_items(store.source_state("ulys"), stored, NOW, decide=decide)
    decide.given.clear()
    store.save_items(
        store.source_state("tengri"),
        [item(9, "tengri", story_keys=_keyed("t:rare"))],
        NOW,
        decide=decide,
        max_candidates=3,
    )
    with store.engine.connect() as connection:
        key_of = dict(connection.execute(sa.select(items.c.id, items.c.key)).all())
    ranked = [(key_of[row.item_id], row.shared_weight) for row in decide.given[0]]
    assert ranked == [("guid:1", 500), ("guid:3", 17), ("guid:4", 10)]


class _FailingDecider:
    """A story decider that breaks on one source's items (a bug, a database error)."""

    members = None

    def __init__(self, failing_source: str) -> None:
        self.failing_source = failing_source

    def lookup_keys(self, item: Item, counts: object) -> list[tuple[str, int]]:
        if item.source_id == self.failing_source:
            raise RuntimeError(f"decider broke on {item.source_id}")
        return []

    def stored_keys(self, item: Item, counts: object) -> list[str]:
        return []

    def __call__(self, item: Item, candidates: object, counts: object) -> None:
        return None


def test_group_commit_isolates_a_failing_save(store: Store) -> None:
    """Saves queued while another holds the write lock commit as one group; one of them
    failing must roll back nothing of the others."""
    keyed = StoryKeys(features="{}", index_keys=(), term_keys=("токаев",))
    decide = _FailingDecider("tengri")
    outcomes: dict[str, object] = {}

    def save(source_id: str, first: int) -> None:
        batch = [item(n, source_id, story_keys=keyed) for n in range(first, first + 3)]
        try:
            outcomes[source_id] = store.save_items(
                store.source_state(source_id),
                batch,
                NOW,
                decide=decide,
            )
        except RuntimeError as exc:
            outcomes[source_id] = exc

    with store._write_lock:  # both saves queue up behind this one
        threads = [
            threading.Thread(target=save, args=(s, f)) for s, f in (("ulys", 1), ("tengri", 10))
        ]
        for thread in threads:
            thread.start()
        while len(store._pending) < 2:
            threading.Event().wait(0.01)
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(outcomes["tengri"], RuntimeError)
    assert getattr(outcomes["ulys"], "new", None) == 3
    with store.engine.connect() as connection:
        stored = connection.execute(
            sa.select(items.c.source_id, sa.func.count()).group_by(items.c.source_id)
        ).all()
    assert dict(stored) == {"ulys": 3}
    assert store.source_state("ulys").last_new_item_at is not None
    assert store.source_state("tengri").last_new_item_at is None


class _MeetingDecider:
    """Holds each writer, after it read which items are stored and before it inserts the
    new ones, until the other writer got as far (or ``patience`` passed): the moment two
    processes saving one source at once collided."""

    members = None

    def __init__(self, barrier: threading.Barrier, patience: float) -> None:
        self.barrier = barrier
        self.patience = patience

    def lookup_keys(self, item: Item, counts: object) -> list[tuple[str, int]]:
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait(timeout=self.patience)
        return []

    def stored_keys(self, item: Item, counts: object) -> list[str]:
        return []

    def __call__(self, item: Item, candidates: object, counts: object) -> None:
        return None


def test_two_writers_saving_one_source_at_once_store_each_item_once(
    store: Store, database_url: str
) -> None:
    """Two stores on one database (as two processes: a ``fetch`` and the service) save
    the same new items at the same moment: each item is stored once, and neither save
    fails (on SQLite the writers take turns; everywhere the inserts are idempotent)."""
    other = Store.open(database_url)
    keyed = StoryKeys(features="{}", index_keys=(), term_keys=())
    batch = [item(n, story_keys=keyed) for n in range(1, 4)]
    decide = _MeetingDecider(threading.Barrier(2), patience=1.5)
    outcomes: list[object] = []

    def save(writer: Store) -> None:
        try:
            outcomes.append(
                writer.save_items(writer.source_state("ulys"), batch, NOW, decide=decide)
            )
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=save, args=(writer,)) for writer in (store, other)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        other.close()
    assert all(isinstance(outcome, SaveResult) for outcome in outcomes), outcomes
    assert sorted(outcome.new for outcome in outcomes) == [0, 3]  # type: ignore[union-attr]
    assert store.item_count() == 3
    assert store.source_state("ulys").error_count == 0


def test_a_late_save_keeps_the_lease_another_worker_took(store: Store) -> None:
    """A worker whose lease expired (it stalled) saves late: the source's new owner keeps
    its lease, so no third worker claims the source meanwhile; a save by a process that
    held no lease leaves it alone too."""
    lease = timedelta(seconds=15)
    assert store.claim_due(["ulys"], NOW, "worker-a", lease, 1) == ["ulys"]
    stalled = store.source_state("ulys")
    later = NOW + lease * 2
    assert store.claim_due(["ulys"], later, "worker-b", lease, 1) == ["ulys"]
    store.record_failure(replace(stalled, last_error="late"))
    assert store.source_state("ulys").lease_owner == "worker-b"
    store.record_failure(replace(stalled, lease_owner=None, last_error="fetch command"))
    assert store.source_state("ulys").lease_owner == "worker-b"
    store.record_failure(store.source_state("ulys"))  # worker-b's own save releases it
    assert store.source_state("ulys").lease_owner is None
    assert store.claim_due(["ulys"], later, "worker-c", lease, 1) == ["ulys"]

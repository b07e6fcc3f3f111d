"""The database: SQLAlchemy Core tables and queries; SQLite by default, PostgreSQL by URL.

The schema is created and upgraded by the Alembic migrations in ``migrations/`` on open.
Queries use no dialect-specific SQL. Each source's items and its fetch state are written
in one transaction (``save_items``), so a crash never leaves one without the other.

Several processes may write to one store. On SQLite a write transaction takes the
database's write lock when it begins (``BEGIN IMMEDIATE``), so writers take turns and what
one read before writing (the schema's version, which items are stored) stays true until
it commits. Everywhere an item is inserted with ``ON CONFLICT DO NOTHING``: a row another
writer stored first is left alone, never a failed save. A full disk is a
``DiskFullError``, one line, not the driver's error with its SQL.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from aggregator.errors import AggregatorError, DiskFullError, StoreError
from aggregator.models import Enclosure, Item, OutputEntry, SourceRef, StoryMember
from aggregator.storage.schema import UTCDateTime, items, sources, stories, story_keys
from aggregator.storage.storyindex import (
    CHUNK,
    CandidateRow,
    KeysOf,
    SharedCounts,
    StoredMembers,
    StoryDecider,
    TermCounts,
    Waiting,
    candidates,
    canonical_order,
    catch_up,
    create_stories,
    driver_many,
    driver_rows,
    index_items,
    markers,
    param_marker,
    refresh_stories,
    reindex_item,
    source_ref,
    stored,
    story_id_for,
    story_members,
    unsettled_items,
    waiting_items,
)

_CHUNK = CHUNK
DEFAULT_WINDOW = timedelta(hours=72)
MIGRATION_LOCK = 0x61676772  # "aggr": the advisory lock key of migrations
MIGRATIONS = Path(__file__).parent.parent / "migrations"
WRITE = "aggregator_write"
"""The execution option of a connection whose transactions write (``_sqlite_begin``)."""
POSTGRES_DISK_FULL = "53100"
NEARLY_FULL = 1024 * 1024
"""Free bytes under which a SQLite I/O error is taken for a full disk."""
"""SQLSTATE ``disk_full``."""
MOVE_STABLE_FETCHES = 3
MOVE_STABLE_TIME = timedelta(hours=24)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceRow:
    """A configured source as the store records it."""

    id: str
    name: str
    url: str
    priority: int = 0


_FRESH_START: dict[str, Any] = {
    "current_url": None,
    "lease_owner": None,
    "lease_until": None,
    "moved_url": None,
    "moved_count": 0,
    "moved_since": None,
    "etag": None,
    "last_modified": None,
    "disabled_reason": None,
    "next_fetch_at": None,
    "error_count": 0,
}


@dataclass(frozen=True)
class SourceState:
    """What the fetcher needs to know about a source, and what it reports back."""

    id: str
    name: str
    url: str
    current_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetch_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    error_kind: str | None = None
    error_count: int = 0
    next_fetch_at: datetime | None = None
    disabled_reason: str | None = None
    site_link: str | None = None
    last_new_item_at: datetime | None = None
    priority: int = 0
    next_fetch_reason: str | None = None
    moved_url: str | None = None
    moved_count: int = 0
    moved_since: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    notice: str | None = None
    """What the last document read warned about (oversized fields, repeated guids,
    charset trouble); None when it read cleanly."""
    item_count: int = 0

    def move_notice(self, now: datetime) -> str | None:
        """Advice once a permanent redirect has proved stable (3 fetches or 24 hours)."""
        if not self.moved_url or self.moved_url == self.url:
            return None
        stable = self.moved_count >= MOVE_STABLE_FETCHES or (
            self.moved_since is not None and now - self.moved_since >= MOVE_STABLE_TIME
        )
        if not stable:
            return None
        return f"moved permanently to {self.moved_url}: update its url in the config"


@dataclass(frozen=True)
class SaveResult:
    new: int
    updated: int
    unchanged: int
    new_stories: int = 0
    """How many of the new items founded a story (the rest joined one)."""


@dataclass(frozen=True)
class Settled:
    """What :meth:`Store.settle` decided: how many items, and how many founded a story."""

    items: int
    founded: int


T = TypeVar("T")


@dataclass
class _Job:
    """One thread's work for a group commit, and what came of it."""

    work: Callable[[Connection], Any]
    result: Any = None
    error: Exception | None = None
    done: bool = False


def database_url_for(path: Path) -> str:
    return f"sqlite:///{path}"


class Store:
    """The aggregator's database. Thread-safe for one writer at a time."""

    def __init__(self, url: str, *, engine_options: dict[str, Any] | None = None) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, engine_options or {})
        self._write_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: list[_Job] = []
        self.term_cache = SharedCounts()
        """Term frequencies of the story decision, kept across transactions."""
        self._windows: weakref.WeakSet[StoredMembers] = weakref.WeakSet()
        """The story deciders' windows this store has filled: emptied with a rollback
        (they may hold what was rolled back) and a purge."""

    @classmethod
    def open(cls, url: str, **engine_options: Any) -> Store:
        """Connect and bring the schema up to date.

        Raises:
            StoreError: the database cannot be opened or migrated.
        """
        store = cls(url, engine_options=engine_options)
        try:
            store.migrate()
        except sa.exc.SQLAlchemyError as exc:
            store.close()
            raise StoreError(f"cannot open the database {store.safe_url}: {exc}") from exc
        except AggregatorError:
            store.close()
            raise
        return store

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def migrate(self) -> None:
        """Bring the schema to the newest revision, in one transaction. Processes starting
        together take turns: on PostgreSQL an advisory lock held for the transaction, on
        SQLite the write lock its write transactions take at their start. A schema already
        at the newest revision is left alone without loading Alembic (~0.2 s of every
        command's start)."""
        with self._writing() as connection:
            _take_turns(connection)
            if _stored_revision(connection) == schema_head():
                return
            from alembic import command
            from alembic.config import Config as AlembicConfig

            config = AlembicConfig()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_lock, self._writing() as connection:
            yield connection

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction (on SQLite it holds the write lock from its start, see
        ``_sqlite_begin``); a full disk is raised as ``DiskFullError``."""
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{WRITE: True})
                with connection.begin():
                    yield connection
        except sa.exc.DBAPIError as exc:
            full = self._disk_full(exc)
            if full is not None:
                raise full from exc
            raise

    def _disk_full(self, exc: sa.exc.DBAPIError) -> DiskFullError | None:
        """The driver's error as a ``DiskFullError`` if it says that no space is left."""
        original = exc.orig
        if _sqlite_disk_full(getattr(original, "sqlite_errorname", ""), self.engine.url.database):
            where = self.engine.url.database or self.safe_url
        elif getattr(original, "sqlstate", None) == POSTGRES_DISK_FULL:
            where = f"{self.safe_url} (on the database server)"
        else:
            return None
        return DiskFullError(
            f"disk full: no space left to write the database {where}; free some space",
            path=where,
        )

    def _grouped(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a transaction, committed together with the work other threads
        queued meanwhile (group commit: the thread that gets the write lock runs all that
        is pending). Each ``work`` is still all or nothing: if any of a group fails, the
        group is rolled back and each of its works runs again in its own transaction, so
        that one failure harms no other source."""
        job = _Job(work)
        with self._pending_lock:
            self._pending.append(job)
        with self._write_lock:
            if not job.done:
                with self._pending_lock:
                    group, self._pending = self._pending, []
                self._run_group(group)
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    def _run_group(self, group: list[_Job]) -> None:
        try:
            with self._writing() as connection:
                for job in group:
                    job.result = job.work(connection)
        except Exception as exc:
            self._forget_cached()  # they may hold what was rolled back
            if len(group) == 1:
                group[0].error = exc
            else:
                for job in group:
                    try:
                        with self._writing() as connection:
                            job.result = job.work(connection)
                    except Exception as alone:
                        job.error = alone
                        self._forget_cached()
        finally:
            for job in group:
                job.done = True

    def _forget_cached(self) -> None:
        self.term_cache.clear()
        for window in list(self._windows):
            window.clear()

    def sources_in_error(self, ids: Sequence[str]) -> int:
        """How many of ``ids`` failed their last fetch (or are disabled)."""
        query = sa.select(sa.func.count()).where(
            sources.c.id.in_(list(ids)),
            sa.or_(sources.c.error_count > 0, sources.c.disabled_reason.is_not(None)),
        )
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    # -- sources ---------------------------------------------------------------------------

    def sync_sources(self, configured: Iterable[SourceRow]) -> None:
        """Make the sources table list the configured sources.

        A source whose URL changed in the config starts afresh: its redirect target,
        validators and disabled state are dropped. Sources removed from the config keep
        their rows (and items) but are no longer fetched. Workers starting together on one
        PostgreSQL take turns (the advisory lock of migrations), so that none of them
        inserts a row another has just inserted.
        """
        with self._write() as connection:
            _take_turns(connection)
            existing = {
                row.id: row
                for row in connection.execute(
                    sa.select(sources.c.id, sources.c.url, sources.c.name, sources.c.priority)
                )
            }
            for source in configured:
                row = existing.get(source.id)
                values = {"name": source.name, "url": source.url, "priority": source.priority}
                if row is None:
                    connection.execute(sources.insert().values(id=source.id, **values))
                elif row.url != source.url:
                    connection.execute(
                        sources.update()
                        .where(sources.c.id == source.id)
                        .values(**values, **_FRESH_START)
                    )
                elif (row.name, row.priority) != (source.name, source.priority):
                    connection.execute(
                        sources.update().where(sources.c.id == source.id).values(**values)
                    )

    def source_states(
        self, ids: Sequence[str] | None = None, *, counts: bool = True
    ) -> list[SourceState]:
        """States, with item counts for the status (``counts=False`` skips counting:
        that reads every item's index entry, too much for every publish)."""
        if not counts:
            plain = sa.select(sources).order_by(sources.c.id)
            if ids is not None:
                plain = plain.where(sources.c.id.in_(list(ids)))
            with self.engine.connect() as connection:
                return [SourceState(**row._asdict()) for row in connection.execute(plain)]
        counting = sa.select(items.c.source_id, sa.func.count().label("n"))
        if ids is not None:
            counting = counting.where(items.c.source_id.in_(list(ids)))
        counted = counting.group_by(items.c.source_id).subquery()
        query = (
            sa.select(sources, sa.func.coalesce(counted.c.n, 0).label("item_count"))
            .outerjoin(counted, counted.c.source_id == sources.c.id)
            .order_by(sources.c.id)
        )
        if ids is not None:
            query = query.where(sources.c.id.in_(list(ids)))
        with self.engine.connect() as connection:
            return [SourceState(**row._asdict()) for row in connection.execute(query)]

    def source_state(self, source_id: str) -> SourceState:
        """One source's state, without its item count (the refresh path: no scan)."""
        with self.engine.connect() as connection:
            row = connection.execute(_SOURCE_STATE, {"source_id": source_id}).first()
        if row is None:
            raise StoreError(f"unknown source {source_id!r}", source_id=source_id)
        return SourceState(**row._asdict())

    def due_sources(self, ids: Sequence[str], now: datetime) -> list[str]:
        """Of ``ids``, those not disabled whose next fetch time has come."""
        query = sa.select(sources.c.id).where(*_due(ids, now)).order_by(sources.c.next_fetch_at)
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def claim_due(
        self, ids: Sequence[str], now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[str]:
        """Claim up to ``limit`` due sources of ``ids`` for ``owner`` until ``now + lease``.

        With PostgreSQL, any number of workers share one database: ``FOR UPDATE SKIP
        LOCKED`` lets each claim different rows, and a dead worker's lease expires. The
        lease is renewed while the work runs (``renew_leases``) and released when the
        source's outcome is saved.
        """
        if not ids:
            return []
        due = (
            sa.select(sources.c.id)
            .where(
                *_due(ids, now),
                sa.or_(sources.c.lease_until.is_(None), sources.c.lease_until < now),
            )
            .order_by(sources.c.next_fetch_at, sources.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._write() as connection:
            claimed = list(connection.scalars(due))
            if claimed:
                connection.execute(
                    sources.update()
                    .where(sources.c.id.in_(claimed))
                    .values(lease_owner=owner, lease_until=now + lease)
                )
        return claimed

    def renew_leases(self, owner: str, ids: Sequence[str], until: datetime) -> int:
        """Extend ``owner``'s leases on ``ids`` to ``until`` (the heartbeat of work in
        flight); returns how many it still held (another worker may have taken a lease
        that expired)."""
        if not ids:
            return 0
        query = (
            sources.update()
            .where(sources.c.id.in_(list(ids)), sources.c.lease_owner == owner)
            .values(lease_until=until)
        )
        with self._write() as connection:
            return int(connection.execute(query).rowcount)

    def release_leases(self, owner: str | None = None) -> None:
        """Drop the leases of ``owner`` (all leases when None: a single SQLite scheduler
        starting up owns everything a crashed predecessor had claimed)."""
        query = sources.update().values(lease_owner=None, lease_until=None)
        if owner is not None:
            query = query.where(sources.c.lease_owner == owner)
        with self._write() as connection:
            connection.execute(query)

    def change_marker(self) -> tuple[object, object, object]:
        """Something that changes whenever items are added or edited, or join stories, by
        any worker (the newest item id, item change and story update, read from indexes)."""
        query = sa.select(
            sa.func.max(items.c.id),
            sa.func.max(items.c.changed_at),
            sa.select(sa.func.max(stories.c.updated)).scalar_subquery(),
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).one()
        return row[0], row[1], row[2]

    def next_due_time(self, ids: Sequence[str]) -> datetime | None:
        query = sa.select(sa.func.min(sources.c.next_fetch_at)).where(
            sources.c.id.in_(list(ids)), sources.c.disabled_reason.is_(None)
        )
        with self.engine.connect() as connection:
            value = connection.scalar(query)
        return UTCDateTime().process_result_value(value, self.engine.dialect) if value else None

    def record_failure(self, state: SourceState) -> None:
        """Store the outcome of a fetch that brought no items (an error or a 304)."""
        self._grouped(lambda connection: _update_source(connection, state))

    # -- items -----------------------------------------------------------------------------

    def save_items(
        self,
        state: SourceState,
        new_items: Sequence[Item],
        now: datetime,
        *,
        decide: StoryDecider | None = None,
        window: timedelta = DEFAULT_WINDOW,
        max_candidates: int = 50,
        defer: bool = False,
    ) -> SaveResult:
        """Store a source's items and its new fetch state, all or nothing (in one
        transaction, possibly shared with other sources' saves: see ``_grouped``).

        An item already stored (same source and key) is updated when its content changed
        and left alone otherwise; it never gets a second row, and stays in its story.
        Within one batch the first item of a key wins. A new item is stored as its own
        story; then it joins the story that ``decide`` picks among the candidates of the
        index (within ``window``), or keeps its own (see :meth:`settle`). With ``defer``
        (and a decider that holds a window) that decision waits for :meth:`settle`, which
        decides the items of several saves together, in one order.
        """
        unique = list({item.key: item for item in reversed(new_items)}.values())[::-1]
        members = decide.members if decide is not None else None
        if members is not None:
            self._windows.add(members)
        lookup = _Lookup(decide, window, max_candidates, members)
        return self._grouped(
            lambda connection: self._save(connection, state, unique, now, lookup, defer)
        )

    def _save(
        self,
        connection: Connection,
        state: SourceState,
        unique: Sequence[Item],
        now: datetime,
        lookup: _Lookup,
        defer: bool,
    ) -> SaveResult:
        known = _known_items(connection, state.id, [item.key for item in unique])
        new = [item for item in unique if item.key not in known]
        changed = [
            item for item in unique if item.key in known and known[item.key][1] != item.content_hash
        ]
        counts = TermCounts(connection, self.term_cache)
        if lookup.members is not None:
            catch_up(connection, lookup.members)
        keys_of = _keys_of(lookup, counts)
        for item in changed:
            _update_item(connection, known[item.key][0], item, now, lookup.members, keys_of)
        waiting = _insert_items(connection, new, now, counts, lookup)
        founded = len(waiting)
        if lookup.decide is not None:
            if defer and lookup.members is not None:
                founded = 0  # counted by ``settle``
            else:
                decidable = sorted((w for w in waiting if w.features), key=canonical_order)
                undecided = {item.item_id for item in decidable}
                settled = _settle(connection, decidable, undecided, counts, lookup, now)
                founded = len(waiting) - settled.items + settled.founded
        if waiting:
            state = replace(state, last_new_item_at=now)
        _update_source(connection, state)
        return SaveResult(
            new=len(waiting),
            updated=len(changed),
            unchanged=len(unique) - len(waiting) - len(changed),
            new_stories=founded,
        )

    def settle(
        self,
        decide: StoryDecider,
        now: datetime,
        *,
        window: timedelta = DEFAULT_WINDOW,
        max_candidates: int = 50,
        recover: bool = False,
    ) -> Settled:
        """Decide the stories of the items saved with ``defer`` (each its own story until
        now, with no row: no output shows them yet), all together in
        :func:`canonical_order`: the items of one refresh make the same stories whichever
        source answered first. If the transaction fails, they wait for the next call.
        With ``recover``, the items stored within ``window`` whose story has no row are
        decided too: a process (killed, or running beside this one) stored them to wait.
        An item decided meanwhile by another process is left as it decided."""
        members = decide.members
        if members is None or not (members.waiting_count() or recover):
            return Settled(0, 0)
        lookup = _Lookup(decide, window, max_candidates, members)
        taken: list[int] = []

        def work(connection: Connection) -> Settled:
            # taken under the write lock, which saves hold while they add waiting items
            # (once: a group that fails runs each work again, alone)
            if not taken:
                taken.extend(members.waiting())
                if recover:
                    held = set(taken)
                    stored = unsettled_items(connection, now - window)
                    orphans = [i for i in stored if i not in held]
                    for item_id in orphans:  # a fill may hold it as its own story's
                        members.forget(item_id)
                    taken.extend(orphans)
            counts = TermCounts(connection, self.term_cache)
            members.wait(taken)  # until each is decided
            found = waiting_items(connection, taken)  # read a page at a time
            undecided = set(taken)
            settled = _settle(connection, found, undecided, counts, lookup, now)
            # those not found were rolled back (their ids may come back for other items)
            members.wait(i for i in members.waiting() if i not in undecided)
            return settled

        try:
            return self._grouped(work)
        except Exception:
            members.wait(taken)
            raise

    def recent_published(self, source_id: str, limit: int = 20) -> list[datetime]:
        """Publication times of the source's newest items (for its publishing cadence)."""
        with self.engine.connect() as connection:
            return list(
                connection.scalars(_RECENT_PUBLISHED, {"source_id": source_id, "limit": limit})
            )

    def purge(self, before: datetime, keep: set[str]) -> int:
        """Delete the stories (with their items and index keys) whose every member is
        older than ``before``, except those in ``keep``; returns how many."""
        query = sa.select(stories.c.id).where(
            stories.c.published < before, stories.c.updated < before
        )
        with self.engine.connect() as connection:
            old = [story_id for story_id in connection.scalars(query) if story_id not in keep]
        if old:
            for story_window in list(self._windows):  # SQLite may reuse deleted items' ids
                story_window.clear()
        for start in range(0, len(old), _CHUNK):
            chunk = old[start : start + _CHUNK]
            with self._write() as connection:
                members = sa.select(items.c.id).where(items.c.story_id.in_(chunk))
                connection.execute(story_keys.delete().where(story_keys.c.item_id.in_(members)))
                connection.execute(stories.delete().where(stories.c.id.in_(chunk)))
                connection.execute(items.delete().where(items.c.story_id.in_(chunk)))
        return len(old)

    def known_hashes(self, source_id: str, keys: Sequence[str]) -> dict[str, str]:
        """Content hashes of the stored items of ``source_id`` among ``keys``."""
        with self.engine.connect() as connection:
            known = _known_items(connection, source_id, list(keys))
        return {key: content_hash for key, (_id, content_hash) in known.items()}

    def latest_entries(
        self, limit: int, sources_by_id: dict[str, SourceRef], *, offset: int = 0
    ) -> list[OutputEntry]:
        """The newest stories (``limit`` of them after ``offset``), each shown through its
        representative item."""
        query = (
            sa.select(
                stories.c.id.label("story_id"), stories.c.updated.label("story_updated"), items
            )
            .join(items, items.c.id == stories.c.representative_id)
            .order_by(stories.c.published.desc(), stories.c.id)
            .offset(offset)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            members = story_members(connection, [row.story_id for row in rows], sources_by_id)
        return [_output_entry(row, sources_by_id, members.get(row.story_id, ())) for row in rows]

    def save_credits(self, credits: Sequence[tuple[int, str]]) -> None:
        """Store the credited chains read for shown entries: (item id, encoded chain)."""
        if not credits:
            return
        statement = (
            items.update()
            .where(items.c.id == sa.bindparam("item_id"))
            .values(credits=sa.bindparam("chain"))
        )
        with self._write() as connection:  # a full disk: DiskFullError, one line
            connection.execute(statement, [{"item_id": i, "chain": c} for i, c in credits])

    def item_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(items)) or 0)


@functools.cache
def schema_head() -> str:
    """The newest migration's revision. Each file of ``migrations/versions`` is named
    after its revision (``0008_item_credits.py``: ``0008``) and revises the one before,
    so the highest name is the head (a test checks this against Alembic's own reading)."""
    names = (path.name for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
    return max(name.split("_", 1)[0] for name in names)


def _stored_revision(connection: Connection) -> str | None:
    """The schema revision Alembic recorded in the database (None: a new database)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    revision = connection.scalar(sa.text("SELECT max(version_num) FROM alembic_version"))
    return None if revision is None else str(revision)


def _make_engine(url: str, options: dict[str, Any]) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **options)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by ``_sqlite_begin``, not by the driver: it would begin one
    # only at the first INSERT, after the reads that the writes depend on.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    _enable_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


WAL_SWITCH_WAIT_S = 30.0
"""How long a connection tries to put a database in WAL mode (as long as the busy
timeout)."""


def _enable_wal(cursor: Any) -> None:
    """Put the database in WAL mode. Processes opening a new database at once race to
    switch it, and SQLite may tell the loser "database is locked" at once, without
    waiting for its busy timeout: wait and try again, as that timeout would."""
    deadline = time.monotonic() + WAL_SWITCH_WAIT_S
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _sqlite_disk_full(error_name: str, database: str | None) -> bool:
    """Whether a SQLite error means a full disk: SQLITE_FULL, or an I/O error where the
    database's file system has (almost) no room left (creating the shared-memory index
    of a WAL database on a full disk fails as SQLITE_IOERR_SHMSIZE, say)."""
    if error_name == "SQLITE_FULL":
        return True
    if not error_name.startswith("SQLITE_IOERR") or not database:
        return False
    try:
        free = shutil.disk_usage(Path(database).resolve().parent).free
    except OSError:
        return False
    return free < NEARLY_FULL


def _sqlite_begin(connection: Connection) -> None:
    """Begin a SQLite transaction: a writer's takes the write lock at once (``BEGIN
    IMMEDIATE``, waiting up to the busy timeout while another process writes), so that
    two writers never both read "not stored yet" and then both insert, and two processes
    creating one store never both run its migrations; a reader's takes a snapshot."""
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_STATE_FIELDS = tuple(
    name
    for name in SourceState.__dataclass_fields__
    if name not in ("id", "name", "url", "priority", "item_count", "lease_owner", "lease_until")
)
_HELD_BY_SAVER = sources.c.lease_owner == sa.bindparam("saver")
"""Whether the lease is the saving worker's own (one that expired and was taken by
another worker is not: the late save must not release the new owner's)."""
# Built once: building a statement per call cost more than running it.
_UPDATE_SOURCE = (
    sources.update()
    .where(sources.c.id == sa.bindparam("source_id"))
    .values(
        {
            **{name: sa.bindparam(f"new_{name}") for name in _STATE_FIELDS},
            "lease_owner": sa.case((_HELD_BY_SAVER, None), else_=sources.c.lease_owner),
            "lease_until": sa.case((_HELD_BY_SAVER, None), else_=sources.c.lease_until),
        }
    )
)
_SOURCE_STATE = sa.select(sources).where(sources.c.id == sa.bindparam("source_id"))
_RECENT_PUBLISHED = (
    sa.select(items.c.published)
    .where(items.c.source_id == sa.bindparam("source_id"))
    .order_by(items.c.published.desc())
    .limit(sa.bindparam("limit"))
)


@functools.lru_cache(maxsize=128)
def _known_items_sql(placeholder: str, keys: int) -> str:
    """A source's stored items among ``keys`` keys, through the driver (SQLAlchemy's
    expansion of the IN list cost ~0.4 ms a save)."""
    listed = markers(placeholder, keys)
    return (
        f"SELECT key, id, content_hash FROM items WHERE source_id = {placeholder} "
        f"AND key IN ({listed})"
    )


def _due(ids: Sequence[str], now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """Of ``ids``, the sources not disabled whose next fetch time has come."""
    return (
        sources.c.id.in_(list(ids)),
        sources.c.disabled_reason.is_(None),
        sa.or_(sources.c.next_fetch_at.is_(None), sources.c.next_fetch_at <= now),
    )


def _take_turns(connection: Connection) -> None:
    """On PostgreSQL, wait for other workers' set-up transactions (an advisory lock held
    until this transaction ends)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def _update_source(connection: Connection, state: SourceState) -> None:
    """Write a source's new state; this also releases its lease, if the lease is still
    the one ``state`` was claimed with."""
    values = {f"new_{name}": getattr(state, name) for name in _STATE_FIELDS}
    values.update(saver=state.lease_owner, source_id=state.id)
    connection.execute(_UPDATE_SOURCE, values)


def _known_items(
    connection: Connection, source_id: str, keys: list[str]
) -> dict[str, tuple[int, str]]:
    known: dict[str, tuple[int, str]] = {}
    placeholder = param_marker(connection)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        sql = _known_items_sql(placeholder, len(chunk))
        for key, item_id, content_hash in driver_rows(connection, sql, [source_id, *chunk]):
            known[key] = (item_id, content_hash)
    return known


def _item_values(item: Item) -> dict[str, Any]:
    return {
        "guid": item.guid,
        "link": item.link,
        "original_link": item.original_link,
        "title": item.title,
        "content_html": item.content_html,
        "text": item.text,
        "summary": item.summary,
        "author": item.author,
        "categories": json.dumps(list(item.categories), ensure_ascii=False),
        "image": item.image,
        "enclosures": json.dumps([e.__dict__ for e in item.enclosures], ensure_ascii=False),
        "language": item.language,
        "content_hash": item.content_hash,
        "published": item.published,
        "updated": item.updated,
        "time_known": item.time_known,
        "features": item.story_keys.features if item.story_keys else None,
        "credits": None,  # new or changed text: its credits are read when it is shown
    }


@dataclass(frozen=True)
class _Lookup:
    """How new items find their story: the decider, the time window, how many candidates,
    and the decider's window of stored items."""

    decide: StoryDecider | None
    window: timedelta
    limit: int
    members: StoredMembers | None


def _candidates(
    connection: Connection,
    item: Waiting,
    counts: TermCounts,
    lookup: _Lookup,
    undecided: set[int],
) -> list[CandidateRow]:
    """The candidates of a waiting item, none of ``undecided`` (the decider's window
    leaves them out by itself; without one they are read and dropped)."""
    decide = lookup.decide
    assert decide is not None
    keys = decide.lookup_keys(item, counts)
    extra = len(undecided) if lookup.members is None else 0
    found = candidates(
        connection, keys, item.published, lookup.window, lookup.limit + extra, lookup.members
    )
    return [row for row in found if row.item_id not in undecided][: lookup.limit]


def _settle(
    connection: Connection,
    waiting: Iterable[Waiting],
    undecided: set[int],
    counts: TermCounts,
    lookup: _Lookup,
    now: datetime,
) -> Settled:
    """Decide the stories of stored items, each its own story (without a row) until now,
    one at a time in :func:`canonical_order` (``waiting`` comes in it; ``undecided``:
    their ids): each against the stored items and those decided before it, never one
    still waiting. Items of one source never join the same story (an outlet reports an
    event once). When the decider names several stories, the others are merged into the
    first at once (the next item's candidates then see one story). Each decision is
    written at once: a lookup in the database, or the window's filling, may read the
    item again before the loop ends."""
    decide, members = lookup.decide, lookup.members
    assert decide is not None
    if members is not None:
        catch_up(connection, members)
    joined: set[str] = set()
    taken: dict[str, set[str]] = {}
    count = founded = 0
    ahead = getattr(decide, "ahead", None)  # see StoryDecider
    for item in waiting if ahead is None else ahead(waiting, len(undecided), counts):
        count += 1
        found = _candidates(connection, item, counts, lookup, undecided)
        undecided.discard(item.item_id)
        chosen = decide(item, found, counts) if found else None
        named = [] if chosen is None else [chosen] if isinstance(chosen, str) else list(chosen)
        own = taken.setdefault(item.source_id, set())
        stories = [s for s in dict.fromkeys(named) if s not in own]
        if len(stories) > 1:
            _merge_stories(connection, stories[0], stories[1:], members)
            joined.difference_update(stories[1:])
        if stories:
            story_id = stories[0]
            _move_item(connection, item.item_id, story_id)
            joined.add(story_id)
        else:
            story_id = item.story_id
            create_stories(connection, [(story_id, item.item_id, item.published, item.updated)])
            founded += 1
        own.add(story_id)
        if members is not None:
            members.add(
                item.item_id, story_id, item.source_id, item.published, item.features, item.keys
            )
    refresh_stories(connection, joined, now)
    return Settled(count, founded)


def _move_item(connection: Connection, item_id: int, story_id: str) -> None:
    placeholder = param_marker(connection)
    sql = f"UPDATE items SET story_id = {placeholder} WHERE id = {placeholder}"
    driver_many(connection, sql, [(story_id, item_id)])


def _merge_stories(
    connection: Connection, into: str, absorbed: Sequence[str], members: StoredMembers | None
) -> None:
    """Move the members of ``absorbed`` stories into ``into`` and drop their rows (its
    representative and times are refreshed with the new item's)."""
    connection.execute(items.update().where(items.c.story_id.in_(absorbed)).values(story_id=into))
    connection.execute(stories.delete().where(stories.c.id.in_(absorbed)))
    if members is not None:
        members.merged(set(absorbed), into)
    log.info("stories_merged into=%s absorbed=%s", into, ",".join(absorbed))


def _insert_items(
    connection: Connection,
    new: Sequence[Item],
    now: datetime,
    counts: TermCounts,
    lookup: _Lookup,
) -> list[Waiting]:
    """Store a batch of new items, each its own story, with their index keys and term
    counts in a few statements (one per table) instead of several per item. Those with
    features wait for their story's decision (:func:`_settle`): the decider's window
    holds them as waiting, nobody's candidate yet. An item another writer stored
    meanwhile is left out. Returns the items inserted."""
    if not new:
        return []
    story_ids = [story_id_for(item.source_id, item.key) for item in new]
    rows = [
        {
            "source_id": item.source_id,
            "key": item.key,
            "story_id": story_id,
            "first_seen": now,
            "changed_at": now,
            **_item_values(item),
        }
        for item, story_id in zip(new, story_ids, strict=True)
    ]
    id_of = _insert_rows(connection, rows)
    kept = [i for i, item in enumerate(new) if (item.source_id, item.key) in id_of]
    new = [new[i] for i in kept]
    story_ids = [story_ids[i] for i in kept]
    item_ids = [id_of[item.source_id, item.key] for item in new]
    keyed = list(zip(new, item_ids, strict=True))
    picked = index_items(connection, keyed, counts, _keys_of(lookup, counts))
    waiting = [
        Waiting(
            item_id,
            story_id,
            item.source_id,
            item.key,
            item.published,
            item.story_keys.features if item.story_keys else "",
            tuple(picked.get(item_id, ())),
            item.updated,
        )
        for item, story_id, item_id in zip(new, story_ids, item_ids, strict=True)
    ]
    # An item that waits for its decision gets its story's row then: until then no
    # output shows it (it may be about to join another story).
    decided = [w for w in waiting if lookup.decide is None or not w.features]
    create_stories(connection, [(w.story_id, w.item_id, w.published, w.updated) for w in decided])
    if lookup.members is not None:
        lookup.members.wait(w.item_id for w in waiting if w.features)
    return waiting


def _insert_rows(
    connection: Connection, rows: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], int]:
    """Insert item rows, multi-row statements through the driver; the ids of those
    inserted by (source, key), which is unique: RETURNING promises no order, and
    SQLAlchemy's per-row parameter handling of 21 columns cost more than the insert. A row
    whose (source, key) is already stored is skipped (``ON CONFLICT DO NOTHING``)."""
    names = tuple(rows[0])
    convert = [stored(items.c[name], connection) for name in names]
    per_statement = max(1, 30_000 // len(names))  # SQLite's limit on parameters is 32,766
    id_of: dict[tuple[str, str], int] = {}
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = [f(row[name]) for row in chunk for name, f in zip(names, convert, strict=True)]
        sql = _insert_items_sql(param_marker(connection), names, len(chunk))
        for source_id, key, item_id in driver_rows(connection, sql, values):
            id_of[source_id, key] = int(item_id)
    return id_of


@functools.lru_cache(maxsize=64)
def _insert_items_sql(placeholder: str, names: tuple[str, ...], rows: int) -> str:
    one = f"({markers(placeholder, len(names))})"
    columns = ", ".join(f'"{name}"' for name in names)
    return (
        f"INSERT INTO items ({columns}) VALUES {', '.join([one] * rows)} "
        'ON CONFLICT (source_id, "key") DO NOTHING RETURNING source_id, "key", id'
    )


def _keys_of(lookup: _Lookup, counts: TermCounts) -> KeysOf | None:
    """The decider's choice of the index keys worth storing (all, without a decider)."""
    decide = lookup.decide
    return (lambda item: decide.stored_keys(item, counts)) if decide is not None else None


def _update_item(
    connection: Connection,
    item_id: int,
    item: Item,
    now: datetime,
    members: StoredMembers | None,
    keys_of: KeysOf | None,
) -> None:
    connection.execute(
        items.update().where(items.c.id == item_id).values(changed_at=now, **_item_values(item))
    )
    reindex_item(connection, item, item_id, members, keys_of)
    story_id = connection.scalar(sa.select(items.c.story_id).where(items.c.id == item_id))
    refresh_stories(connection, [str(story_id)], now)


def _output_entry(
    row: Any, sources_by_id: dict[str, SourceRef], members: tuple[StoryMember, ...]
) -> OutputEntry:
    return OutputEntry(
        id=row.story_id,
        source=source_ref(row.source_id, sources_by_id),
        link=row.link,
        title=row.title,
        content_html=row.content_html,
        summary=row.summary,
        published=row.published,
        time_known=row.time_known,
        updated=max(row.story_updated, row.published),
        author=row.author,
        categories=tuple(json.loads(row.categories)),
        image=row.image,
        enclosures=tuple(Enclosure(**e) for e in json.loads(row.enclosures)),
        language=row.language,
        members=members,
        item_id=row.id,
        stored_credits=row.credits,
    )

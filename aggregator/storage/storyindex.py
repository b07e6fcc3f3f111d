"""Stories in the database: the candidate index, term frequencies, joining a story and
choosing its representative. The decision itself is a callback (``StoryDecider``) so that
storage stays free of the dedup logic.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler

from aggregator.models import Item, SourceRef, StoryMember
from aggregator.storage.schema import (
    DOCUMENTS,
    items,
    stories,
    story_keys,
    term_stats,
)

STORY_NAMESPACE = uuid.UUID("6f1c1d1e-8a53-4d0b-9a35-3c2f4a0b7e11")
"""Story ids are UUIDv5 of (source id, item key) of the item that founded the story: the
same item gives the same id after any crash or restart."""

CHUNK = 500


def story_id_for(source_id: str, key: str) -> str:
    """The id of the story an item founds: stable across restarts and re-fetches."""
    name = source_id + "\x1f" + key
    return f"urn:uuid:{uuid.uuid5(STORY_NAMESPACE, name)}"


class CandidateRow(NamedTuple):
    """A stored item sharing index keys with a new one (a tuple: one per candidate)."""

    item_id: int
    shared_weight: int
    """The summed weights of the keys it shares with the new item."""


class StoredMembers(Protocol):
    """What the story decision holds of stored items (its window, kept across
    transactions), as storage fills it and keeps it in step: every item published from
    a time on with the index keys stored for it (:func:`fill_window`, then each item as
    it is stored, and those other writers stored: :func:`catch_up`); merges, edits,
    rollbacks and purges. Outside the time it covers, storage looks candidates up in
    the database and hands it the rows it lacks."""

    last_item_id: int
    """The highest item id it holds: those above were stored since, by another writer."""
    covered_from: datetime | None
    """From when on it holds every stored item (None: not filled yet)."""

    def covers(self, since: datetime) -> bool:
        """Whether it holds every item published from ``since`` on."""

    def wants_filling(self, stored: Callable[[], int]) -> bool:
        """Whether to fill it now, before a lookup, when it covers nothing yet (a process
        that stores few items should not read the whole window first); ``stored()``
        counts the items a fill would read."""

    def looked_up(self, seconds: float) -> None:
        """A lookup was answered by the database, in ``seconds``."""

    def cover(self, since: datetime, last_item_id: int) -> None:
        """Every item from ``since`` on, and every item up to ``last_item_id``, is added."""

    def ranked(
        self, keys: Sequence[tuple[str, int]], published: datetime, limit: int
    ) -> Sequence[tuple[int, int]]:
        """The held items within its window of ``published`` sharing ``keys``, ranked as
        :func:`candidates` ranks them: (item id, shared weight)."""

    def missing(self, item_ids: Sequence[int]) -> Sequence[int]:
        """Which of ``item_ids`` it does not hold (nor waits for)."""

    def wait(self, item_ids: Iterable[int]) -> None:
        """These stored items wait for their story: nobody's candidate until then."""

    def is_waiting(self, item_id: int) -> bool:
        """Whether the item waits for its story."""

    def waiting(self) -> list[int]:
        """The waiting items, handed out for their decision (no longer waiting)."""

    def waiting_count(self) -> int:
        """How many items wait."""

    def add(
        self,
        item_id: int,
        story_id: str,
        source_id: str,
        published: datetime,
        data: str,
        keys: Sequence[str] = (),
    ) -> None:
        """Hold a stored item (``data``: its stored features; ``keys``: its index keys)."""

    def forget(self, item_id: int) -> None:
        """Drop an edited item."""

    def merged(self, absorbed: set[str], into: str) -> None:
        """Stories ``absorbed`` are now ``into``."""

    def clear(self) -> None:
        """Forget every item."""


class SharedCounts:
    """Document frequencies remembered across transactions: the weights of the story
    decision drift slowly, and reading thousands of counts per new item would dominate
    its cost. Emptied every ``max_age`` seconds (no count is older) and when it holds
    more than ``max_terms``; checked once per transaction, not per term."""

    def __init__(self, max_age: float = 600.0, max_terms: int = 200_000) -> None:
        self.max_age = max_age
        self.max_terms = max_terms
        self._values: dict[str, int] = {}
        self._since = time.monotonic()

    def values(self) -> dict[str, int]:
        """The remembered counts, for one transaction to read and add to."""
        now = time.monotonic()
        if now - self._since > self.max_age or len(self._values) > self.max_terms:
            self.clear()
        return self._values

    def clear(self) -> None:
        """Forget every count (after a rollback, a transaction's additions with them)."""
        self._values = {}
        self._since = time.monotonic()


class TermCounts:
    """Document frequencies read from ``term_stats``, fetched in batches and cached (the
    counts this transaction adds are applied to the cache too): in a ``SharedCounts``
    kept across transactions when given, else for this transaction."""

    def __init__(self, connection: Connection, shared: SharedCounts | None = None) -> None:
        self._connection = connection
        self._cache: dict[str, int] = shared.values() if shared is not None else {}
        self.corpus: object = shared if shared is not None else self
        """The store's counts this view reads: derived weights may be kept for it."""

    def prefetch(self, terms: Iterable[str]) -> None:
        cache = self._cache
        wanted = {t for t in terms if t not in cache}
        if DOCUMENTS not in cache:
            wanted.add(DOCUMENTS)
        if not wanted:
            return
        missing = sorted(wanted)
        placeholder = param_marker(self._connection)
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            rows = driver_rows(self._connection, _counts_sql(placeholder, len(chunk)), chunk)
            found = {row[0]: row[1] for row in rows}
            for term in chunk:
                cache[term] = int(found.get(term, 0))

    def document_count(self) -> int:
        return self.document_frequency(DOCUMENTS)

    def document_frequency(self, term: str) -> int:
        value = self._cache.get(term)
        if value is None:
            self.prefetch([term])
            value = self._cache[term]
        return value

    def increment_many(self, items_terms: Sequence[Sequence[str]]) -> None:
        """Count items: one more document for each item, one more for each of its terms
        (one upsert statement, in term order so that concurrent workers never deadlock)."""
        if not items_terms:
            return
        added = Counter(term for terms in items_terms for term in set(terms))
        added[DOCUMENTS] = len(items_terms)
        execute_rows(
            self._connection,
            _upsert_counts(self._connection.dialect.name),
            ("t", "n"),
            [(term, added[term]) for term in sorted(added)],
        )
        cache = self._cache
        for term, count in added.items():
            known = cache.get(term)
            if known is not None:
                cache[term] = known + count


@functools.cache
def _upsert_counts(dialect: str) -> sa.Insert:
    """``INSERT … ON CONFLICT (term) DO UPDATE SET df = df + n`` for this dialect."""
    # imported when counts are first written: a warm fetch writes none (~35 ms)
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(term_stats).values(term=sa.bindparam("t"), df=sa.bindparam("n"))
    return statement.on_conflict_do_update(
        index_elements=[term_stats.c.term],
        set_={"df": term_stats.c.df + statement.excluded.df},
    )


class Waiting(NamedTuple):
    """A stored item whose story is being decided: what the decision reads of it."""

    item_id: int
    story_id: str
    """Its own story, which it keeps unless it joins another."""
    source_id: str
    key: str
    published: datetime
    features: str
    """Its features as stored (JSON)."""
    keys: tuple[str, ...]
    """The index keys stored for it."""
    updated: datetime | None = None


def canonical_order(item: Waiting) -> tuple[datetime, str, str]:
    """The order in which waiting items are decided, the same whichever arrived first:
    publication time, then source and key."""
    return item.published, item.source_id, item.key


class StoryDecider(Protocol):
    """The story decision, as storage calls it inside the transaction."""

    members: StoredMembers | None
    """What it holds of stored items, which storage fills and keeps in step (None: it
    holds nothing, and is given the candidates' ids alone).

    It may also have ``ahead(waiting, count, counts) -> Iterator[Waiting]``: the items a
    settle is about to decide, handed back in their order (it may prepare their decisions
    ahead meanwhile)."""

    def lookup_keys(self, item: Waiting, counts: TermCounts) -> Sequence[tuple[str, int]]:
        """Which of the item's index keys to look candidates up by (the rare ones), each
        with its weight: candidates are ranked by the summed weights of those they share."""

    def stored_keys(self, item: Item, counts: TermCounts) -> Sequence[str]:
        """Which of the item's index keys to store (those a later lookup may use)."""

    def __call__(
        self, item: Waiting, candidates: Sequence[CandidateRow], counts: TermCounts
    ) -> str | Sequence[str] | None:
        """The story the item joins, or None; or the stories it joins, the others to be
        merged into the first (empty: none). ``candidates``: the best ranked first, each
        held by ``members`` (or left out) when the decider has them."""


def param_marker(connection: Connection) -> str:
    """The driver's positional parameter marker."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def markers(placeholder: str, count: int) -> str:
    """``count`` parameter markers for a list in SQL: "?, ?, ?"."""
    return ", ".join([placeholder] * count)


@functools.lru_cache(maxsize=512)
def _counts_sql(placeholder: str, terms: int) -> str:
    """The counts of ``terms`` terms. Plain SQL run through the driver (the same on
    SQLite and PostgreSQL), as SQLAlchemy's handling of this statement, run once or
    more per new item, cost more than running it."""
    return f"SELECT term, df FROM term_stats WHERE term IN ({markers(placeholder, terms)})"


@functools.lru_cache(maxsize=128)
def _shared_keys_sql(placeholder: str, keys: int) -> str:
    """The stored items of the window with the most weight of ``keys`` keys shared (the
    parameters: each key and its weight, then the keys again for the IN list): read from
    the primary key of ``story_keys`` alone. Plain SQL run through the driver (the same
    on SQLite and PostgreSQL): SQLAlchemy's handling of this one statement per new item
    cost more than running it."""
    weights = " ".join([f"WHEN {placeholder} THEN {placeholder}"] * keys)
    listed = markers(placeholder, keys)
    return (
        f"SELECT item_id, sum(CASE key {weights} END) AS shared, "
        "min(published) AS first_published "
        f"FROM story_keys WHERE key IN ({listed}) "
        f"AND published BETWEEN {placeholder} AND {placeholder} "
        f"GROUP BY item_id ORDER BY shared DESC, first_published, item_id LIMIT {placeholder}"
    )


@functools.lru_cache(maxsize=128)
def _candidate_items_sql(placeholder: str, ids: int) -> str:
    """What the decision reads of ``ids`` stored items (by primary key, through the
    driver: SQLAlchemy's expansion of the IN list cost ~0.4 ms a call)."""
    listed = markers(placeholder, ids)
    return (
        "SELECT id, story_id, source_id, published, features FROM items "
        f"WHERE id IN ({listed}) AND features IS NOT NULL"
    )


MAX_WAITING_READ = 1000
"""At most this many more rows are read by a lookup in the database to make up for the
items waiting for their story, which it leaves out."""


def candidates(
    connection: Connection,
    keys: Sequence[tuple[str, int]],
    published: datetime,
    window: timedelta,
    limit: int,
    members: StoredMembers | None = None,
) -> list[CandidateRow]:
    """Stored items within ``window`` of ``published`` sharing at least one of ``keys``
    (key, weight), the most weight shared first (then the earliest, then the smallest
    id), at most ``limit``. From ``members`` when it covers the window of ``published``
    (it is filled from the database when it asks to be); else an index-only lookup on (key,
    published), never a scan, and the rows of those ``members`` does not hold are read
    and handed to it (an item without features is not)."""
    if not keys:
        return []
    since = published - window
    if members is not None:
        if members.covered_from is None:
            # where a fill would start is read only when the window asks (once) or fills
            start = functools.cache(lambda: _fill_from(connection, since, window))
            if members.wants_filling(lambda: _fill_size(connection, start(), members)):
                fill_window(connection, members, start())
        if members.covers(since):
            return [CandidateRow(*found) for found in members.ranked(keys, published, limit)]
    started = time.perf_counter()
    to_driver = bound(story_keys.c.published, connection)
    placeholder = param_marker(connection)
    weighed = [value for pair in keys for value in pair]
    names = [key for key, _ in keys]
    window_bounds = (to_driver(since), to_driver(published + window))
    # the items waiting for their story are in the index but nobody's candidates yet
    waiting = min(members.waiting_count(), MAX_WAITING_READ) if members is not None else 0
    parameters = (*weighed, *names, *window_bounds, limit + waiting)
    rows = driver_rows(connection, _shared_keys_sql(placeholder, len(keys)), parameters)
    ranked = [CandidateRow(int(row[0]), int(row[1])) for row in rows]
    if members is not None:
        ranked = [row for row in ranked if not members.is_waiting(row.item_id)][:limit]
        load_members(connection, members.missing([row.item_id for row in ranked]), members)
        members.looked_up(time.perf_counter() - started)
    return ranked


def load_members(connection: Connection, item_ids: Sequence[int], members: StoredMembers) -> None:
    """Read what the story decision needs of ``item_ids`` (story, source, time, features)
    into ``members``, without their keys (they are outside the time it covers)."""
    to_time = loaded(items.c.published, connection)
    placeholder = param_marker(connection)
    for start in range(0, len(item_ids), CHUNK):
        chunk = item_ids[start : start + CHUNK]
        sql = _candidate_items_sql(placeholder, len(chunk))
        for item_id, story_id, source_id, when, features in driver_rows(connection, sql, chunk):
            members.add(int(item_id), story_id, source_id, to_time(when), features)


ALL_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""Where a window filled with every stored item covers from."""


def _fill_from(connection: Connection, since: datetime, window: timedelta) -> datetime:
    """Where to fill the window from: ``since``, or earlier, down to two windows before the
    newest stored item (all the window keeps), or all time when that is every stored item
    (a new store). A cold refresh stores a feed's history in no order of time: filled from
    the first lookup's time only, every older item after it was looked up in the
    database again."""
    row = connection.execute(
        sa.select(sa.func.min(items.c.published), sa.func.max(items.c.published))
    ).one()
    oldest: datetime | None = row[0]
    newest: datetime | None = row[1]
    if newest is None or oldest is None or oldest >= newest - 2 * window:
        return min(since, ALL_TIME)
    return min(since, newest - 2 * window)


def _stored_since(connection: Connection, since: datetime) -> int:
    return int(
        connection.scalar(
            sa.select(sa.func.count()).select_from(items).where(items.c.published >= since)
        )
        or 0
    )


def _fill_size(connection: Connection, since: datetime, members: StoredMembers) -> int:
    """How many items a fill from ``since`` reads: those stored but the waiting ones."""
    return max(0, _stored_since(connection, since) - members.waiting_count())


def fill_window(connection: Connection, members: StoredMembers, since: datetime) -> None:
    """Add every stored item published from ``since`` on, with its index keys."""
    last = connection.scalar(sa.select(sa.func.max(items.c.id))) or 0
    first = connection.scalar(sa.select(sa.func.min(items.c.id)).where(items.c.published >= since))
    if first is not None:
        _add_with_keys(connection, members, int(first) - 1, since)
    members.cover(since, int(last))


def catch_up(connection: Connection, members: StoredMembers) -> None:
    """Add the items stored since ``members`` was filled by other writers (another
    process on the same database), with their index keys. One indexed query per
    transaction; nothing to add when this process is the only writer."""
    if members.covered_from is not None:
        _add_with_keys(connection, members, members.last_item_id, members.covered_from)


def _add_with_keys(
    connection: Connection, members: StoredMembers, after: int, since: datetime
) -> None:
    """Add the items above id ``after`` published from ``since`` on, a page at a time
    (the window's 50,000 rows at once would hold their JSON texts all together), but the
    waiting ones: their features are not read (a cold refresh's items all wait)."""
    to_time = loaded(items.c.published, connection)
    placeholder = param_marker(connection)
    sql = (
        "SELECT id, story_id, source_id, published FROM items "
        f"WHERE id > {placeholder} AND published >= {placeholder} AND features IS NOT NULL "
        f"ORDER BY id LIMIT {CHUNK}"
    )
    from_time = stored(items.c.published, connection)(since)
    while rows := driver_rows(connection, sql, [after, from_time]):
        after = int(rows[-1][0])
        rows = [row for row in rows if not members.is_waiting(int(row[0]))]
        if not rows:
            continue
        features, keys = _features_and_keys(connection, [int(row[0]) for row in rows])
        for item_id, story_id, source_id, when in rows:
            item_id = int(item_id)
            members.add(
                item_id,
                story_id,
                source_id,
                to_time(when),
                features[item_id],
                keys.get(item_id, ()),
            )


_UNDECIDED = "NOT EXISTS (SELECT 1 FROM stories WHERE stories.id = items.story_id)"
"""An item waiting for its story: its story has no row (see :func:`waiting_items`)."""


def _features_and_keys(
    connection: Connection, item_ids: list[int]
) -> tuple[dict[int, str], dict[int, list[str]]]:
    """The stored features and index keys of up to :data:`CHUNK` items, by id (one
    statement each, the same for every page)."""
    listed = markers(param_marker(connection), CHUNK)
    padded = item_ids + [0] * (CHUNK - len(item_ids))
    features_sql = f"SELECT id, features FROM items WHERE id IN ({listed})"
    features = {int(i): data for i, data in driver_rows(connection, features_sql, padded)}
    keys: dict[int, list[str]] = {}
    keys_sql = f"SELECT item_id, key FROM story_keys WHERE item_id IN ({listed})"
    for item_id, key in driver_rows(connection, keys_sql, padded):
        keys.setdefault(int(item_id), []).append(key)
    return features, keys


def waiting_items(connection: Connection, item_ids: Sequence[int]) -> Iterator[Waiting]:
    """The stored items ``item_ids`` (those with features, and no story yet: another
    process may have decided some) in :func:`canonical_order`,
    their features read a page at a time (a cold refresh's 50,000 at once would hold
    their JSON texts together)."""
    to_time = loaded(items.c.published, connection)
    placeholder = param_marker(connection)
    heads_sql = (
        'SELECT id, story_id, source_id, "key", published, updated FROM items '
        f"WHERE id IN ({markers(placeholder, CHUNK)}) AND features IS NOT NULL "
        f"AND {_UNDECIDED}"
    )
    heads = []
    for start in range(0, len(item_ids), CHUNK):
        chunk = list(item_ids[start : start + CHUNK])
        for item_id, story_id, source_id, key, when, updated in driver_rows(
            connection, heads_sql, chunk + [0] * (CHUNK - len(chunk))
        ):
            changed = to_time(updated) if updated is not None else None
            heads.append((to_time(when), source_id, key, int(item_id), story_id, changed))
    heads.sort()
    for start in range(0, len(heads), CHUNK):
        page = heads[start : start + CHUNK]
        features, keys = _features_and_keys(connection, [head[3] for head in page])
        for published, source_id, key, item_id, story_id, updated in page:
            found = features.get(item_id)
            if found is not None:
                held = tuple(keys.get(item_id, ()))
                yield Waiting(item_id, story_id, source_id, key, published, found, held, updated)


def unsettled_items(connection: Connection, since: datetime) -> list[int]:
    """Items stored (changed) from ``since`` on whose story has no row: stored to wait for
    their story by a process that has not decided it (killed, or running beside)."""
    to_driver = stored(items.c.changed_at, connection)
    sql = (
        f"SELECT id FROM items WHERE changed_at >= {param_marker(connection)} "
        f"AND features IS NOT NULL AND {_UNDECIDED}"
    )
    rows = driver_rows(connection, sql, [to_driver(since)])
    return [int(row[0]) for row in rows]


KeysOf = Callable[[Item], Sequence[str]]
"""Which of an item's index keys to store (the decider's ``stored_keys``)."""


def index_items(
    connection: Connection,
    stored: Sequence[tuple[Item, int]],
    counts: TermCounts,
    keys_of: KeysOf | None = None,
) -> dict[int, list[str]]:
    """Add items' keys to the candidate index (``keys_of`` picks them, by default all of
    an item's index keys) and their terms to the counts; the keys stored, by item id."""
    keyed = [(item, item_id) for item, item_id in stored if item.story_keys is not None]
    picked = _insert_keys(connection, keyed, keys_of)
    counts.increment_many([item.story_keys.term_keys for item, _ in keyed])  # type: ignore[union-attr]
    return picked


def _insert_keys(
    connection: Connection, keyed: Sequence[tuple[Item, int]], keys_of: KeysOf | None
) -> dict[int, list[str]]:
    pick = keys_of or (lambda item: item.story_keys.index_keys if item.story_keys else ())
    to_driver = bound(story_keys.c.published, connection)
    picked = {item_id: list(dict.fromkeys(pick(item))) for item, item_id in keyed}
    rows = [
        (key, item_id, published)
        for item, item_id in keyed
        for published in (to_driver(item.published),)
        for key in picked[item_id]
    ]
    if rows:
        execute_rows(connection, _INSERT_KEYS, ("key", "item_id", "published"), rows)
    return picked


_INSERT_KEYS = story_keys.insert()
_compiled: dict[tuple[int, str], SQLCompiler] = {}


def execute_rows(
    connection: Connection,
    statement: sa.Insert,
    names: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """``executemany`` straight through the driver, the SQL compiled once per dialect:
    SQLAlchemy's per-row parameter processing cost more than the statements themselves.
    ``rows`` hold the values of the parameters ``names``, already in the driver's form
    (see :func:`bound`)."""
    key = (id(statement), connection.dialect.name)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = statement.compile(dialect=connection.dialect)
        _compiled[key] = compiled
    sql = str(compiled)
    if not compiled.positional:
        driver_many(connection, sql, [dict(zip(names, row, strict=True)) for row in rows])
    elif tuple(compiled.positiontup or ()) == names:
        driver_many(connection, sql, rows)
    else:
        order = [names.index(name) for name in compiled.positiontup or ()]
        driver_many(connection, sql, [tuple(row[i] for i in order) for row in rows])


def driver_rows(connection: Connection, sql: str, parameters: Sequence[Any]) -> list[Any]:
    """Run ``sql`` on the connection's DBAPI cursor, inside its transaction, and fetch
    all rows: SQLAlchemy's result set-up for a plain statement cost more than the
    statement (the candidate lookup and the counts, once or more per new item). Errors
    are SQLAlchemy's, as if it had run the statement."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(parameters))
        return list(cursor.fetchall())
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(exc, sql, parameters, connection) from exc
    finally:
        cursor.close()


def driver_many(connection: Connection, sql: str, rows: Sequence[Any]) -> None:
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(exc, sql, rows, connection) from exc
    finally:
        cursor.close()


def _wrapped(exc: Exception, sql: str, parameters: Any, connection: Connection) -> Exception:
    """The driver's error as SQLAlchemy raises it (``IntegrityError``, ``OperationalError``…)."""
    dbapi = connection.dialect.loaded_dbapi
    return sa.exc.DBAPIError.instance(sql, parameters, exc, dbapi.Error, dialect=connection.dialect)


def stored(column: sa.Column[Any], connection: Connection) -> Callable[[Any], Any]:
    """The conversion SQLAlchemy applies to a value of ``column`` on this database: the
    same stored form as the statements it runs itself."""
    process = column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return process if process is not None else _same


def loaded(column: sa.Column[Any], connection: Connection) -> Callable[[Any], Any]:
    """The conversion SQLAlchemy applies to a stored value of ``column`` when reading it
    (the reverse of :func:`stored`)."""
    type_ = column.type.dialect_impl(connection.dialect)
    process = type_.result_processor(connection.dialect, None)
    return process if process is not None else _same


def bound(column: sa.Column[Any], connection: Connection) -> Callable[[Any], Any]:
    """The column type's conversion of a value to the driver's form. On SQLite a time
    becomes the text sqlite3's default adapter makes of it (``isoformat(" ")``: the form
    ``story_keys`` has always held) once, not once per row it is written in."""
    process = column.type.bind_processor(connection.dialect)
    convert = process if process is not None else _same
    if connection.dialect.name != "sqlite":
        return convert
    return lambda value: _sqlite_text(convert(value))


def _sqlite_text(value: Any) -> Any:
    return value.isoformat(" ") if isinstance(value, datetime) else value


def _same(value: Any) -> Any:
    return value


def reindex_item(
    connection: Connection,
    item: Item,
    item_id: int,
    members: StoredMembers | None = None,
    keys_of: KeysOf | None = None,
) -> None:
    """Replace an edited item's index keys (its story stays, its counts are kept), in
    ``members`` too."""
    if members is not None:
        members.forget(item_id)
    connection.execute(story_keys.delete().where(story_keys.c.item_id == item_id))
    picked = _insert_keys(connection, [(item, item_id)], keys_of)
    if members is not None and item.story_keys is not None:
        story_id = connection.scalar(sa.select(items.c.story_id).where(items.c.id == item_id))
        features = item.story_keys.features
        keys = picked[item_id]
        members.add(item_id, str(story_id), item.source_id, item.published, features, keys)


def create_stories(
    connection: Connection, founders: Sequence[tuple[str, int, datetime, datetime | None]]
) -> None:
    """One story per founding item: (story id, item id, published, updated)."""
    to_driver = stored(stories.c.published, connection)
    rows = [
        (story_id, item_id, to_driver(published), to_driver(updated or published))
        for story_id, item_id, published, updated in founders
    ]
    if rows:
        execute_rows(
            connection, _INSERT_STORIES, ("id", "representative_id", "published", "updated"), rows
        )


_INSERT_STORIES = stories.insert()


@functools.lru_cache(maxsize=CHUNK)
def _story_members_sql(placeholder: str, stories: int) -> str:
    """The members of ``stories`` stories, each story's in the order of the
    representative policy (plain SQL through the driver, like :func:`_counts_sql`)."""
    listed = markers(placeholder, stories)
    return (
        "SELECT items.story_id, items.id, items.published FROM items "
        "JOIN sources ON sources.id = items.source_id "
        f"WHERE items.story_id IN ({listed}) "
        "ORDER BY items.story_id, sources.priority DESC, items.published, items.id"
    )


def refresh_stories(connection: Connection, story_ids: Iterable[str], now: datetime) -> None:
    """After members joined or changed: pick each story's representative by policy and
    move its ``updated``; its ``published`` is its earliest member's. Two statements for
    any number of stories, on the driver (times stay in its form: they sort as times).

    Policy: the member of the highest-priority source, then the earliest published, then
    the first stored.
    """
    wanted = sorted(set(story_ids))
    placeholder = param_marker(connection)
    updated = stored(stories.c.updated, connection)(now)
    update = (
        f"UPDATE stories SET representative_id = {placeholder}, published = {placeholder}, "
        f"updated = {placeholder} WHERE id = {placeholder}"
    )
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        members: dict[str, list[Any]] = {}
        for story_id, item_id, published in driver_rows(
            connection, _story_members_sql(placeholder, len(chunk)), chunk
        ):
            members.setdefault(story_id, []).append((item_id, published))
        rows = [
            (found[0][0], min(published for _, published in found), updated, story_id)
            for story_id, found in members.items()
        ]
        if rows:
            driver_many(connection, update, rows)


def story_members(
    connection: Connection, story_ids: list[str], sources_by_id: dict[str, SourceRef]
) -> dict[str, tuple[StoryMember, ...]]:
    """Every member of each story, earliest first."""
    found: dict[str, list[StoryMember]] = {}
    for start in range(0, len(story_ids), CHUNK):
        query = (
            sa.select(
                items.c.story_id, items.c.source_id, items.c.link, items.c.title, items.c.published
            )
            .where(items.c.story_id.in_(story_ids[start : start + CHUNK]))
            .order_by(items.c.published, items.c.id)
        )
        for row in connection.execute(query):
            found.setdefault(row.story_id, []).append(
                StoryMember(
                    source=source_ref(row.source_id, sources_by_id),
                    link=row.link,
                    title=row.title,
                    published=row.published,
                )
            )
    return {story_id: tuple(members) for story_id, members in found.items()}


def source_ref(source_id: str, sources_by_id: dict[str, SourceRef]) -> SourceRef:
    return sources_by_id.get(source_id) or SourceRef(id=source_id, name=source_id, url="")

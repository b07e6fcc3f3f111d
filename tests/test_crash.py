"""Crash safety of ``aggregator run``: SIGKILL at random moments, restart, same output.

The promise (``aggregator.storage.store``): a source's items and its fetch state are
committed in one transaction, and a story's id is derived from the item that founded it.
So a crash at any point (migrations, fetching, mid-transaction, publishing) followed by a
restart must give a sound database, every item stored exactly once, and no output entry
whose id changed.

The test serves 30 generated feeds (Russian-looking text, some items retold by other
outlets so stories form, a few feeds slow), then kills the real service with SIGKILL
at seeded random moments, checking the SQLite file after each kill. Each round bumps a
``round`` query parameter in every source URL (the server ignores it): the store treats
a changed URL as a fresh source and fetches it at once, so every round re-fetches and
re-ingests rather than idling on the 1h interval. Feeds also grow round by round, so
rounds keep inserting new items and joining stories. A final run ingests everything and
the output is checked against what the feeds list and what earlier outputs said.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from feedserver import FeedServer, free_port, start_aggregator

pytestmark = pytest.mark.slow

SEED = 20261124
FEEDS = 30
ITEMS = 40
KILLS = 21
SLOW_EVERY = 6  # every 6th feed is served through /slow/ with a 0.3 s delay
RETOLD = 0.2  # share of items that retell another outlet's story
KILL_AFTER = (0.05, 1.5)  # seconds, uniformly, after the moment kill_once() counts from
FINAL_TIMEOUT = 90.0
"""How long the restarted service may take to store and publish everything: ~20 s on a
quiet machine; with both cores taken by other work a publish of 1,200 items took 5-6 s
and 45 s ran out (the test waits only as long as it needs)."""


def _words(text: str) -> list[str]:
    return text.split()


# Real words, so that lemmatizing stays cheap (pymorphy caches known words; made-up words
# go through its slow guesser), and a made-up name or two per story to tell stories apart.
WORDS = _words(
    "правительство министерство акимат область город район село компания предприятие завод "
    "проект программа бюджет строительство дорога школа больница жители граждане специалисты "
    "депутаты эксперты сотрудники рабочие фермеры студенты пенсионеры водители врачи учителя "
    "заявил сообщил отметил подчеркнул объявил рассказал предложил поручил утвердил провел "
    "открыл запустил завершил начал продолжил обсудил рассмотрел подписал выделил получил "
    "новый крупный местный государственный региональный международный важный дополнительный "
    "современный социальный экономический зимний весенний ближайший прошлый текущий "
    "год месяц неделя день сезон период срок этап часть объем уровень рост снижение цена "
    "тариф зарплата пособие кредит инвестиции налог закон решение вопрос задача план итог "
    "ремонт модернизация реконструкция отопление водоснабжение электричество газ транспорт "
    "автобус поезд аэропорт рынок магазин продукты урожай зерно мясо молоко скот пастбище "
    "погода снег мороз ветер дождь паводок пожар авария происшествие проверка суд полиция "
    "конкурс выставка фестиваль чемпионат турнир команда спортсмен победа медаль книга театр"
)
NAMES = _words(
    "Асхат Ерлан Нурлан Даурен Серик Марат Жанибек Арман Тимур Алихан Ермек Канат Болат "
    "Айдос Руслан Данияр Еркин Галым Мурат Санжар Азамат Олжас Берик Кайрат Айгерим Динара"
)
SYLLABLES = _words(
    "ка ра но ста ли ви де жу мо за бы ло тер ган ме ро ку сен ток ар ин ба ша зе ре"
)
CITIES = _words(
    "Алматы Астана Шымкент Караганда Актобе Тараз Павлодар Семей Атырау Костанай Кызылорда "
    "Уральск Петропавловск Актау Туркестан Кокшетау Талдыкорган Жезказган Экибастуз Темиртау"
)


# -- feeds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenItem:
    """One item as a feed lists it."""

    guid: str
    link: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime


@dataclass(frozen=True)
class GenFeed:
    """One outlet: its id, name and items, newest first once rendered."""

    id: str
    name: str
    items: tuple[GenItem, ...]


def _sentence(rng: random.Random, words: int, vocabulary: list[str], names: list[str]) -> str:
    chosen = [rng.choice(vocabulary) for _ in range(words)]
    chosen.insert(rng.randrange(len(chosen)), rng.choice(names))
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + "."


@dataclass(frozen=True)
class Event:
    """What happened, as the outlet that first reported it wrote it."""

    outlet: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime


def new_event(rng: random.Random, outlet: str, published: datetime) -> Event:
    """A fresh event: a title and ~3 KB of paragraphs about a person, a company, a city
    and a number, in words of its own (a sample of ``WORDS``), so that events differ."""
    vocabulary = rng.sample(WORDS, 24)
    made_up = ["".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() for _ in range(2)]
    names = [
        f"{rng.choice(NAMES)} {made_up[0]}ов",
        f"ТОО «{made_up[1]}»",
        rng.choice(CITIES),
        f"{rng.randint(2, 990)} {rng.choice(['млн тенге', 'человек', 'км', 'процентов'])}",
    ]
    title = _sentence(rng, rng.randint(5, 8), vocabulary, names).rstrip(".")
    paragraphs = tuple(
        " ".join(_sentence(rng, rng.randint(8, 14), vocabulary, names) for _ in range(4))
        for _ in range(5)
    )
    return Event(outlet, title, paragraphs, published)


def retell(rng: random.Random, event: Event, outlet: str) -> Event:
    """Another outlet's version, a little later: title words and paragraphs reordered,
    and a credit line."""
    words = event.title.split()
    rng.shuffle(words)
    paragraphs = list(event.paragraphs)
    rng.shuffle(paragraphs)
    credit = f"Об этом сообщает {event.outlet}."
    later = event.published + timedelta(minutes=rng.randint(5, 90))
    return Event(outlet, " ".join(words).capitalize(), (*paragraphs, credit), later)


def generate_feeds(seed: int = SEED) -> list[GenFeed]:
    """``FEEDS`` outlets of ``ITEMS`` items each; about ``RETOLD`` of them retellings of
    another outlet's event. Deterministic for a seed (dates aside: they follow the clock)."""
    rng = random.Random(seed)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=60)
    originals: list[Event] = []
    feeds: list[GenFeed] = []
    for number in range(FEEDS):
        fid, name = f"f{number:02d}", f"Агентство {number:02d}"
        items = []
        for n in range(ITEMS):
            others = [e for e in originals if e.outlet != name]
            if others and rng.random() < RETOLD:
                told = retell(rng, rng.choice(others), name)
            else:
                told = new_event(rng, name, base + timedelta(minutes=rng.randint(0, 55 * 60)))
                originals.append(told)
            link = f"https://{fid}.example.kz/news/{n:03d}"
            items.append(
                GenItem(f"{fid}-{n:03d}", link, told.title, told.paragraphs, told.published)
            )
        feeds.append(GenFeed(fid, name, tuple(items)))
    return feeds


def render_rss(feed: GenFeed, count: int) -> bytes:
    """RSS 2.0 of the feed's first ``count`` items, newest first."""
    shown = sorted(feed.items[:count], key=lambda i: i.published, reverse=True)
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f'<guid isPermaLink="false">{i.guid}</guid>'
        f"<pubDate>{format_datetime(i.published)}</pubDate>"
        f"<description>{escape(''.join(f'<p>{p}</p>' for p in i.paragraphs))}</description>"
        "</item>\n"
        for i in shown
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(feed.name)}</title><link>https://{feed.id}.example.kz/</link>"
        f"<description>Новости {escape(feed.name)}</description><language>ru</language>\n"
        f"{entries}</channel></rss>\n"
    ).encode()


def shown_count(round_no: int) -> int:
    """How many items each feed lists in a round: growing, all of them from round 10."""
    return min(ITEMS, 20 + 2 * round_no)


def serve_round(server: FeedServer, feeds: list[GenFeed], round_no: int) -> None:
    for feed in feeds:
        server.set_file(f"{feed.id}.rss", render_rss(feed, shown_count(round_no)))


def write_config(path: Path, server: FeedServer, feeds: list[GenFeed], round_no: int) -> None:
    """feeds.yaml; each round changes every source URL (see the module docstring)."""
    lines = [
        "store: store",
        "output: {title: Краш-тест, link: 'http://127.0.0.1/', language: ru, max_items: 5000}",
        "fetch: {allow_private_addresses: true, host_spacing: 0s, concurrency: 8,"
        " interval: 1h, timeout: 10s}",
        "sources:",
    ]
    for index, feed in enumerate(feeds):
        route = "slow" if index % SLOW_EVERY == 0 else "feeds"
        url = server.url(f"/{route}/{feed.id}.rss?delay=0.3&round={round_no}")
        lines.append(f"  - {{id: {feed.id}, name: '{feed.name}', url: '{url}'}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the service ----------------------------------------------------------------------------


def start_service(workdir: Path, port: int, log: Path) -> subprocess.Popen[str]:
    with log.open("w", encoding="utf-8") as out:
        return start_aggregator(workdir, port, output=out)


def wait_for_log(log: Path, *texts: str, timeout: float = 15.0) -> None:
    """Wait until one of ``texts`` appears in ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text("utf-8", "replace")
        if any(text in content for text in texts):
            return
        time.sleep(0.01)
    raise AssertionError(f"none of {texts} in {log} after {timeout}s")


def temp_outputs(store: Path) -> set[Path]:
    """Temporary files of output writes (``publish._atomic_write``) cut short by a kill."""
    return set((store / "public").glob(".*.tmp"))


def stage_of(log_text: str, sources: int, cut_writes: int) -> str:
    """Where a kill landed, as far as the log and the output folder tell."""
    if cut_writes:
        return "writing the output"
    if "scheduler_started" not in log_text:
        return "startup"
    done = log_text.count(" fetched source_id=") + log_text.count(" fetch_failed ")
    if done == 0:
        return "fetching, none stored"
    if done < sources:
        return "fetching, some stored"
    return "all stored (publishing or idle)"


# -- the database ---------------------------------------------------------------------------


def open_db(path: Path) -> sqlite3.Connection:
    """Read-only, so that the restart, not this check, recovers the WAL."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        connection = sqlite3.connect(path)
    return connection


def db_problems(path: Path, settled: bool = True) -> list[str]:
    """Everything wrong with the database after a crash (empty: sound). Unless
    ``settled``, items stored to wait for their story (whose story has no row yet: no
    output shows them) are allowed: the next process decides them."""
    if not path.exists():
        return []
    connection = open_db(path)
    try:
        return _db_problems(connection, settled)
    finally:
        connection.close()


def _db_problems(db: sqlite3.Connection, settled: bool = True) -> list[str]:
    problems = []
    integrity = db.execute("PRAGMA integrity_check").fetchall()
    if integrity != [("ok",)]:
        problems.append(f"integrity_check: {integrity}")
    if fk := db.execute("PRAGMA foreign_key_check").fetchall():
        problems.append(f"foreign_key_check: {fk[:5]}")
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"items", "stories", "sources", "term_stats"} <= tables:
        return problems  # killed before the migrations finished: nothing more to check
    queries = {
        "duplicate (source_id, key)": "SELECT source_id, key, count(*) FROM items"
        " GROUP BY source_id, key HAVING count(*) > 1",
        "item in a missing story": "SELECT id, story_id FROM items"
        " WHERE story_id NOT IN (SELECT id FROM stories)"
        + ("" if settled else " AND features IS NULL"),
        "story without items": "SELECT id FROM stories"
        " WHERE id NOT IN (SELECT story_id FROM items)",
        "items of a source never fetched": "SELECT DISTINCT source_id FROM items"
        " WHERE source_id IN (SELECT id FROM sources WHERE last_fetch_at IS NULL)",
    }
    for name, query in queries.items():
        if rows := db.execute(query).fetchall():
            problems.append(f"{name}: {rows[:5]}")
    documents = db.execute("SELECT df FROM term_stats WHERE term = ' documents'").fetchone()
    with_features = db.execute("SELECT count(*) FROM items WHERE features IS NOT NULL").fetchone()
    if (documents[0] if documents else 0) != with_features[0]:
        problems.append(f"term_stats documents {documents} != items with features {with_features}")
    return problems


def stored_keys(path: Path) -> Counter[tuple[str, str]]:
    connection = open_db(path)
    try:
        return Counter(connection.execute("SELECT source_id, key FROM items").fetchall())
    finally:
        connection.close()


# -- the output -----------------------------------------------------------------------------


def member_ids(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(source id, item url) of every member of every entry → the entry's id."""
    found: dict[tuple[str, str], str] = {}
    for entry in document["items"]:
        for member in entry["_aggregator"]["sources"]:
            found[member["id"], member["url"]] = entry["id"]
    return found


def read_output(path: Path) -> dict[str, Any] | None:
    """The published feed.json on disk (written atomically), if any."""
    if not path.exists():
        return None
    return json.loads(path.read_bytes())  # type: ignore[no-any-return]


def wait_for_all(base: str, db: Path, expected: int, timeout: float) -> dict[str, Any]:
    """Poll until the DB holds ``expected`` items and /feed.json shows all of them."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            document = httpx.get(f"{base}/feed.json", timeout=5).json()
        except (httpx.TransportError, ValueError) as exc:
            last = exc
            continue
        shown = sum(len(e["_aggregator"]["sources"]) for e in document["items"])
        last = (sum(stored_keys(db).values()), shown)
        if last == (expected, expected):
            return document  # type: ignore[no-any-return]
    raise AssertionError(f"not all {expected} items stored and published: (db, feed) = {last}")


# -- the test -------------------------------------------------------------------------------


def kill_once(tmp_path: Path, round_no: int, rng: random.Random) -> str:
    """Start the service, SIGKILL it at a random moment, return where the kill landed.

    Startup (imports, migrations, the first publish) takes about a second and the first
    commit comes a second or two later, so a third of the rounds count the delay from the
    start, a third from the scheduler's start (fetching, parsing) and a third from the
    first stored source (more commits, publishing).
    """
    log = tmp_path / f"run-{round_no:02d}.log"
    temp_before = temp_outputs(tmp_path / "store")
    process = start_service(tmp_path, free_port(), log)
    try:
        if round_no % 3 == 1:
            wait_for_log(log, "scheduler_started")
        elif round_no % 3 == 2:
            wait_for_log(log, " fetched source_id=", " fetch_failed ")
        time.sleep(rng.uniform(*KILL_AFTER))
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    cut_writes = len(temp_outputs(tmp_path / "store") - temp_before)
    return stage_of(log.read_text("utf-8", "replace"), FEEDS, cut_writes)


def kill_rounds(
    tmp_path: Path, server: FeedServer, feeds: list[GenFeed], rng: random.Random
) -> tuple[dict[tuple[str, str], str], Counter[str]]:
    """``KILLS`` rounds of start and SIGKILL, checking the database after each.

    Returns the (source, url) → entry id pairs seen in any output written before a kill
    (asserting they never changed), and where the kills landed.
    """
    db, output = tmp_path / "store/aggregator.db", tmp_path / "store/public/feed.json"
    seen: dict[tuple[str, str], str] = {}
    stages: Counter[str] = Counter()
    for round_no in range(KILLS):
        serve_round(server, feeds, round_no)
        write_config(tmp_path / "feeds.yaml", server, feeds, round_no)
        stages[kill_once(tmp_path, round_no, rng)] += 1
        problems = db_problems(db, settled=False)
        assert problems == [], f"after kill {round_no}: see run-{round_no:02d}.log"
        document = read_output(output) or {"items": []}
        for pair, entry_id in member_ids(document).items():
            assert seen.setdefault(pair, entry_id) == entry_id, f"{pair} changed id"
    return seen, stages


def test_sigkill_at_any_moment_then_restart_gives_the_same_output(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    started = time.monotonic()
    feeds = generate_feeds()
    seen, stages = kill_rounds(tmp_path, fresh_server, feeds, random.Random(SEED))
    print(f"\n{KILLS} kills in {time.monotonic() - started:.1f}s: {dict(stages)}")

    final_round = KILLS
    serve_round(fresh_server, feeds, final_round)
    write_config(tmp_path / "feeds.yaml", fresh_server, feeds, final_round)
    db = tmp_path / "store" / "aggregator.db"
    port = free_port()
    process = start_service(tmp_path, port, tmp_path / "final.log")
    try:
        expected = {(f.id, f"guid:{i.guid}") for f in feeds for i in f.items}
        document = wait_for_all(f"http://127.0.0.1:{port}", db, len(expected), FINAL_TIMEOUT)
        stored = stored_keys(db)
        assert set(stored) == expected and max(stored.values()) == 1
        assert db_problems(db) == []

        ids = Counter(entry["id"] for entry in document["items"])
        assert [i for i, n in ids.items() if n > 1] == []
        pairs = Counter(
            (m["id"], m["url"]) for e in document["items"] for m in e["_aggregator"]["sources"]
        )
        assert set(pairs) == {(f.id, i.link) for f in feeds for i in f.items}
        assert max(pairs.values()) == 1
        entry_pairs = Counter(
            (e["_aggregator"]["source"]["id"], e["url"]) for e in document["items"]
        )
        assert max(entry_pairs.values()) == 1
        assert len(ids) < len(expected), "retold items should have formed stories"

        final = member_ids(document)
        changed = {p: (old, final[p]) for p, old in seen.items() if final.get(p, old) != old}
        # The one change allowed: a whole story merged into another when an item showed
        # them one event (its id gone, all its members under the other's).
        merged = {
            p
            for p, (old, new) in changed.items()
            if old not in ids
            and all(final.get(q, new) == new for q, was in seen.items() if was == old)
        }
        assert set(changed) == merged, "entries changed their id after a crash"
        assert seen, "no output was published before any kill"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    print(f"total {time.monotonic() - started:.1f}s, {len(ids)} stories, {len(seen)} ids tracked")


def descendants(pid: int) -> set[int]:
    """Processes started by ``pid`` and by them, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_killed_service_leaves_no_parsing_processes(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    """SIGKILL gives the service no chance to stop its parsing pool: the pool's processes
    must notice on their own, or every crash leaves ~120 MB behind for good."""
    feeds = generate_feeds()
    serve_round(fresh_server, feeds, 0)
    write_config(tmp_path / "feeds.yaml", fresh_server, feeds, 0)
    log = tmp_path / "run.log"
    process = start_service(tmp_path, free_port(), log)
    try:
        wait_for_log(log, " fetched source_id=")
        helpers = descendants(process.pid)
        assert helpers, "the pool was not started"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(running(pid) for pid in helpers):
        time.sleep(0.1)
    assert [pid for pid in helpers if running(pid)] == []

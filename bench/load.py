"""Output serving under load while sources keep being fetched.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 50] [--feeds 200] [--items 10]
                                   [--no-gzip] [--seed 7]

Generates ``--feeds`` RSS feeds and serves them from ``tests/feedserver.py`` on
127.0.0.1; starts the real service (``python -m aggregator run``) in a temporary folder
with ``interval: 5s, min_interval: 1s``; waits until every source was fetched once; then,
for ``--seconds``, runs ``--clients`` concurrent clients (asyncio, one keep-alive
``httpx.AsyncClient`` each, gzip accepted unless ``--no-gzip``) requesting ``/feed.xml``,
``/feed.atom``, ``/feed.json`` and ``/``, half of the requests with ``If-None-Match`` of
the ETag they last saw. Meanwhile a "newsroom" thread adds an item to a random feed four
times a second, so fetches bring new items and the service stores and republishes.

Reports requests/s, errors (a status other than 200/304, or an exception), latency
p50/p95/p99, and whether fetching kept going: a thread samples every source's
``last_fetch_at`` in the database twice a second and counts the fetches completed, the
sources fetched and the longest time with none. Exits 1 on any error, on a stall (over
``STALL_GAP`` seconds without a fetch or, for runs of 30 s and more, a source not fetched
during the load) or if the service does not exit 0 on SIGTERM; 2 if it never got ready.
All traffic stays on 127.0.0.1; every loop is bounded by a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.sax.saxutils import escape

import httpx

ROOT = Path(__file__).resolve().parent.parent
PATHS = ("/feed.xml", "/feed.atom", "/feed.json", "/")
OK_STATUSES = (200, 304)
STALL_GAP = 10.0  # seconds without a single fetch completed: the fetching stalled
NEWS_EVERY = 0.25  # seconds between two new items in some feed
WARMUP_TIMEOUT = 300.0
SAMPLE_EVERY = 0.5  # seconds between two looks at the sources' last_fetch_at
WORDS = str.split(
    "правительство министерство акимат область город район компания завод проект программа "
    "бюджет строительство дорога школа больница жители специалисты депутаты эксперты заявил "
    "сообщил отметил объявил рассказал утвердил открыл запустил завершил новый крупный местный "
    "государственный важный год месяц неделя сезон уровень рост цена тариф зарплата кредит "
    "налог закон решение вопрос план ремонт отопление транспорт автобус аэропорт рынок урожай"
)


def load_feedserver() -> ModuleType:
    """``tests/feedserver.py``, imported by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("feedserver", ROOT / "tests" / "feedserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["feedserver"] = module
    spec.loader.exec_module(module)
    return module


# -- feeds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsItem:
    guid: str
    title: str
    body: str
    published: datetime


@dataclass
class Newsroom:
    """The feeds' items; ``publish_one`` adds an item to a random feed and serves it."""

    server: Any
    feeds: int
    rng: random.Random
    items: dict[int, list[NewsItem]] = field(default_factory=dict)
    serial: int = 0

    def item(self, when: datetime) -> NewsItem:
        self.serial += 1
        words = [self.rng.choice(WORDS) for _ in range(60)]
        name = "".join(self.rng.choice("аеиоукнрстлм") for _ in range(7)).capitalize()
        title = f"{name}: {' '.join(words[:7])}"
        body = "".join(f"<p>{name} {' '.join(words[i : i + 20])}.</p>" for i in range(0, 60, 20))
        return NewsItem(f"item-{self.serial}", title, body, when)

    def fill(self, per_feed: int, now: datetime) -> None:
        """``per_feed`` items a feed, 20 s apart (so the service polls every few seconds)."""
        for feed in range(self.feeds):
            self.items[feed] = [self.item(now - timedelta(seconds=20 * k)) for k in range(per_feed)]
            self.serve(feed)

    def publish_one(self, now: datetime) -> None:
        feed = self.rng.randrange(self.feeds)
        self.items[feed] = [self.item(now), *self.items[feed][:-1]]
        self.serve(feed)

    def serve(self, feed: int) -> None:
        self.server.set_file(f"b{feed:04d}.rss", render_rss(feed, self.items[feed]))


def render_rss(feed: int, items: list[NewsItem]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title>"
        f"<link>https://b{feed:04d}.example.kz/{i.guid}</link>"
        f'<guid isPermaLink="false">{i.guid}</guid>'
        f"<pubDate>{format_datetime(i.published)}</pubDate>"
        f"<description>{escape(i.body)}</description></item>\n"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Лента {feed}</title><link>https://b{feed:04d}.example.kz/</link>"
        f"<description>Нагрузочный тест</description><language>ru</language>\n"
        f"{entries}</channel></rss>\n"
    ).encode()


def newsroom_thread(newsroom: Newsroom, stop: threading.Event, deadline: float) -> None:
    while not stop.wait(NEWS_EVERY) and time.monotonic() < deadline:
        newsroom.publish_one(datetime.now(UTC))


# -- the service ----------------------------------------------------------------------------


def write_config(workdir: Path, server: Any, feeds: int) -> None:
    lines = [
        "store: store",
        "output: {title: Нагрузка, link: 'http://127.0.0.1/', language: ru}",
        "fetch: {allow_private_addresses: true, host_spacing: 0s, per_host: 16,"
        " concurrency: 16, interval: 5s, min_interval: 1s, timeout: 10s}",
        "sources:",
    ]
    for feed in range(feeds):
        url = server.url(f"/feeds/b{feed:04d}.rss")
        lines.append(f"  - {{id: b{feed:04d}, name: Лента {feed}, url: '{url}'}}")
    (workdir / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    with (workdir / "service.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "aggregator", "run", "--port", str(port)],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)},
        )


def stop_service(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait(timeout=10)


def last_fetches(db: Path) -> dict[str, str]:
    """Each source's ``last_fetch_at`` as stored (empty before the migrations ran)."""
    if not db.exists():
        return {}
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute("SELECT id, last_fetch_at FROM sources").fetchall()
    except sqlite3.OperationalError:
        return {}  # the migrations have not created the table yet
    finally:
        connection.close()
    return {source: at for source, at in rows if at}


@dataclass
class FetchWatch:
    """Samples ``last_fetch_at`` of every source: how many fetches completed, which
    sources were fetched, and the longest time in which none was."""

    db: Path
    before: dict[str, str] = field(default_factory=dict)
    fetches: int = 0
    sources: set[str] = field(default_factory=set)
    longest_gap: float = 0.0

    def run(self, stop: threading.Event, deadline: float) -> None:
        self.before = last = last_fetches(self.db)
        progress = time.monotonic()
        while not stop.wait(SAMPLE_EVERY) and time.monotonic() < deadline:
            now = last_fetches(self.db)
            moved = {source for source, at in now.items() if last.get(source) != at}
            if moved:
                progress = time.monotonic()
            self.fetches += len(moved)
            self.sources |= moved
            self.longest_gap = max(self.longest_gap, time.monotonic() - progress)
            last = now


def wait_for_warmup(process: subprocess.Popen[bytes], db: Path, feeds: int) -> float:
    """Wait until every source was fetched once; return how long that took."""
    started = time.monotonic()
    deadline = started + WARMUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}")
        if len(last_fetches(db)) >= feeds:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"not every source was fetched within {WARMUP_TIMEOUT:.0f}s")


# -- the clients ----------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    by_path: Counter[str] = field(default_factory=Counter)
    requests: int = 0


async def one_request(
    client: httpx.AsyncClient, path: str, etag: str | None, stats: Stats
) -> str | None:
    """One GET; returns the ETag to remember."""
    headers = {"If-None-Match": etag} if etag else {}
    started = time.perf_counter()
    stats.requests += 1
    try:
        response = await client.get(path, headers=headers)
    except httpx.HTTPError as exc:
        stats.errors[type(exc).__name__] += 1
        return None
    stats.latencies.append(time.perf_counter() - started)
    stats.statuses[response.status_code] += 1
    stats.by_path[path] += 1
    if response.status_code not in OK_STATUSES:
        stats.errors[f"HTTP {response.status_code} {path}"] += 1
    return response.headers.get("etag") or etag


async def client_loop(
    base: str, deadline: float, rng: random.Random, stats: Stats, gzip: bool
) -> None:
    etags: dict[str, str] = {}
    headers = {} if gzip else {"Accept-Encoding": "identity"}
    async with httpx.AsyncClient(base_url=base, timeout=10.0, headers=headers) as client:
        while time.monotonic() < deadline:
            path = rng.choice(PATHS)
            conditional = etags.get(path) if rng.random() < 0.5 else None
            etag = await one_request(client, path, conditional, stats)
            if etag:
                etags[path] = etag


async def run_load(args: argparse.Namespace, base: str) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + args.seconds
    await asyncio.gather(
        *(
            client_loop(base, deadline, random.Random(args.seed + n), stats, args.gzip)
            for n in range(args.clients)
        )
    )
    return stats


# -- the report -----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print("-" * (width + 24))
    for name, value in rows:
        print(f"{name:<{width}}  {value:>20}")
    print("-" * (width + 24))


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--feeds", type=int, default=200, help="sources to fetch")
    parser.add_argument("--items", type=int, default=10, help="items in each feed")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-gzip",
        dest="gzip",
        action="store_false",
        help="clients ask for identity encoding (default: gzip, as httpx and browsers do)",
    )
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, workdir: Path) -> int:
    feedserver = load_feedserver()
    server = feedserver.FeedServer(workdir / "empty")
    server.start()
    stop = threading.Event()
    process: subprocess.Popen[bytes] | None = None
    try:
        newsroom = Newsroom(server, args.feeds, random.Random(args.seed))
        newsroom.fill(args.items, datetime.now(UTC))
        write_config(workdir, server, args.feeds)
        port = free_port()
        process = start_service(workdir, port)
        db = workdir / "store" / "aggregator.db"
        warmup = wait_for_warmup(process, db, args.feeds)
        print(
            f"{args.feeds} sources fetched once in {warmup:.1f}s; loading for {args.seconds:.0f}s"
        )

        load_deadline = time.monotonic() + args.seconds + 5
        watch = FetchWatch(db)
        threads = [
            threading.Thread(target=newsroom_thread, args=(newsroom, stop, load_deadline)),
            threading.Thread(target=watch.run, args=(stop, load_deadline)),
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        stats = asyncio.run(run_load(args, f"http://127.0.0.1:{port}"))
        elapsed = time.monotonic() - started
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    finally:
        stop.set()
        exit_code = stop_service(process) if process else None
        server.stop()
    return summarize(
        args, stats, elapsed, watch, newsroom.serial - args.feeds * args.items, exit_code
    )


def summarize(
    args: argparse.Namespace,
    stats: Stats,
    elapsed: float,
    watch: FetchWatch,
    new_items: int,
    exit_code: int | None,
) -> int:
    """Print the table; return the exit code (1: an error or a stall)."""
    errors = sum(stats.errors.values())
    refetched = len(watch.sources)
    stalled = watch.longest_gap > STALL_GAP or (args.seconds >= 30 and refetched < args.feeds)
    report(
        [
            ("clients / seconds", f"{args.clients} / {elapsed:.1f}"),
            ("requests", f"{stats.requests}"),
            ("requests/s", f"{stats.requests / elapsed:.0f}"),
            ("200 / 304", f"{stats.statuses[200]} / {stats.statuses[304]}"),
            ("errors", f"{errors}"),
            ("latency p50 ms", f"{percentile(stats.latencies, 0.50) * 1000:.1f}"),
            ("latency p95 ms", f"{percentile(stats.latencies, 0.95) * 1000:.1f}"),
            ("latency p99 ms", f"{percentile(stats.latencies, 0.99) * 1000:.1f}"),
            ("latency max ms", f"{max(stats.latencies, default=0) * 1000:.1f}"),
            ("fetches during load", f"{watch.fetches} ({watch.fetches / elapsed:.1f}/s)"),
            ("longest fetch gap s", f"{watch.longest_gap:.1f}"),
            ("sources re-fetched", f"{refetched} / {args.feeds}"),
            ("new items in feeds", f"{new_items}"),
            ("service exit (SIGTERM)", f"{exit_code}"),
        ]
    )
    for kind, count in stats.errors.most_common(10):
        print(f"error: {kind} × {count}")
    if stalled:
        print(f"STALL: no fetch for {watch.longest_gap:.1f}s (limit {STALL_GAP:.0f}s) or")
        print(f"       only {refetched} of {args.feeds} sources fetched during the load")
    return 1 if errors or stalled or exit_code != 0 else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aggregator-load-") as tmp:
        workdir = Path(tmp)
        (workdir / "empty").mkdir()
        try:
            return measure(args, workdir)
        except RuntimeError as exc:
            print(f"load.py: {exc}; service log follows", file=sys.stderr)
            log = workdir / "service.log"
            if log.exists():
                print(log.read_text("utf-8", "replace")[-4000:], file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())

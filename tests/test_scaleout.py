"""Several `aggregator run` processes on one PostgreSQL: each source is fetched by one
worker at a time, and every worker's output shows what any of them stored."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from feedserver import FeedServer, free_port, start_aggregator

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FEEDS = [
    "ulysmedia.rss",
    "kazinform.atom",
    "tengrinews.json",
    "astanatimes.rss",
    "cp1251.rss",
    "no-guid.rss",
]


def test_two_workers_share_one_postgresql(
    tmp_path: Path, fresh_server: FeedServer, postgres_url: str
) -> None:
    sources = "".join(
        f"  - id: s{n}\n    name: Source {n}\n    url: {fresh_server.url('/slow/' + name)}"
        "?delay=0.3\n"
        for n, name in enumerate(FEEDS)
    )
    workers = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "feeds.yaml").write_text(
            f"database: {postgres_url}\nfetch:\n  allow_private_addresses: true\n"
            f"  host_spacing: 0s\n  interval: 1h\nsources:\n{sources}",
            encoding="utf-8",
        )
        port = free_port()
        process = start_aggregator(folder, port)
        workers.append((process, f"http://127.0.0.1:{port}"))
    try:
        expected = 6 + 5 + 5 + 5 + 4 + 4  # items served; a few fold into stories
        deadline = time.monotonic() + 40
        counts: list[int] = []
        while time.monotonic() < deadline:
            try:
                counts = [
                    len(httpx.get(f"{base}/feed.json", timeout=3).json()["items"])
                    for _, base in workers
                ]
            except (httpx.TransportError, ValueError):
                counts = []
            if counts and min(counts) >= expected - 4 and len(set(counts)) == 1:
                break
            time.sleep(0.3)
        assert counts and len(set(counts)) == 1, counts  # both show the same output
        for name in FEEDS:
            fetched = len(fresh_server.requests(f"/slow/{name}"))
            assert fetched == 1, f"{name} fetched {fetched} times by the two workers"
    finally:
        outputs = []
        for process, _ in workers:
            process.send_signal(signal.SIGTERM)
            outputs.append(process.communicate(timeout=20)[0])
    assert all(p.returncode == 0 for p, _ in workers), outputs
    logs = "\n".join(outputs)
    assert logs.count(" fetched ") == len(FEEDS), logs


def _leases(url: str) -> dict[str, str]:
    """Which worker holds each leased source, read from the shared database (none while
    no worker has created the tables)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, lease_owner FROM sources WHERE lease_owner IS NOT NULL")
            )
            return dict(rows.all())  # type: ignore[arg-type]
    except sa.exc.ProgrammingError:
        return {}
    finally:
        engine.dispose()


def _fetched(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT id FROM sources WHERE last_success_at IS NOT NULL")
            return set(connection.scalars(query))
    finally:
        engine.dispose()


def test_a_killed_workers_sources_are_fetched_by_another_within_30_seconds(
    tmp_path: Path, fresh_server: FeedServer, postgres_url: str
) -> None:
    """Three workers; the one holding the most leases is SIGKILLed while its fetches are
    in flight. Its leases, renewed by a heartbeat only while it lives, expire soon after,
    and the other workers fetch every source it held within 30 s."""
    sources = "".join(
        f"  - id: s{n}\n    name: Source {n}\n"
        f"    url: {fresh_server.url('/slow/' + FEEDS[n % len(FEEDS)])}?delay=2&n={n}\n"
        for n in range(9)
    )
    workers = []
    for name in ("a", "b", "c"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "feeds.yaml").write_text(
            f"database: {postgres_url}\nfetch:\n  allow_private_addresses: true\n"
            "  host_spacing: 0s\n  per_host: 16\n  concurrency: 2\n  timeout: 20s\n"
            f"  interval: 1h\n  parse_workers: 0\nsources:\n{sources}",
            encoding="utf-8",
        )
        workers.append(start_aggregator(folder, free_port(), output=subprocess.DEVNULL))
    by_pid = {process.pid: process for process in workers}
    try:
        deadline = time.monotonic() + 60
        held: dict[str, str] = {}
        while time.monotonic() < deadline and not held:
            held = _leases(postgres_url)
            time.sleep(0.1)
        assert held, "no worker claimed a source in 60 s"
        owners = Counter(held.values())
        victim_owner = owners.most_common(1)[0][0]
        victim = by_pid[int(victim_owner.split(":")[1])]
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        orphans = {source for source, owner in held.items() if owner == victim_owner}
        while time.monotonic() - killed_at < 30 and not orphans <= _fetched(postgres_url):
            time.sleep(0.5)
        late = orphans - _fetched(postgres_url)
        assert not late, f"{sorted(late)} of the killed worker not fetched 30 s after its death"
    finally:
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=30)

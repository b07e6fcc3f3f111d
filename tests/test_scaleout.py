"""Several `aggregator run` processes on one PostgreSQL: each source is fetched by one
worker at a time, and every worker's output shows what any of them stored."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest
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

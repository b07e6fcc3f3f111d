"""Faults an operator meets: a full disk, several writers on one SQLite store, a port in
use — each against the real command, its real store and the local feed server."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from feedserver import FeedServer, free_port, start_aggregator

pytestmark = pytest.mark.slow

FEEDS = {
    "ulysmedia": "ulysmedia.rss",
    "kazinform": "kazinform.atom",
    "tengrinews": "tengrinews.json",
    "astanatimes": "astanatimes.rss",
}


def write_config(
    folder: Path, server: FeedServer, *, route: str = "/feeds/", extra: str = ""
) -> Path:
    """A feeds.yaml in ``folder`` with the four fixture outlets behind ``route``."""
    sources = "".join(
        f"  - id: {sid}\n    name: {sid.title()}\n    url: {server.url(route + name)}\n"
        for sid, name in FEEDS.items()
    )
    path = folder / "feeds.yaml"
    path.write_text(
        "store: store\noutput:\n  title: Тест\n  link: http://127.0.0.1:1/\n"
        "fetch:\n  allow_private_addresses: true\n  host_spacing: 0s\n  interval: 1h\n"
        f"  parse_workers: 0\n{extra}sources:\n{sources}",
        encoding="utf-8",
    )
    return path


def aggregator(folder: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aggregator", *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def source_errors(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, last_error FROM sources WHERE last_error IS NOT NULL")
        return dict(rows.fetchall())


def duplicate_items(database: Path) -> int:
    with sqlite3.connect(database) as db:
        query = "SELECT count(*) - count(DISTINCT source_id || ' ' || key) FROM items"
        return int(db.execute(query).fetchone()[0])


# -- several writers on one SQLite store -----------------------------------------------------


@pytest.mark.parametrize("round_no", [1, 2])
def test_concurrent_fetches_on_a_new_store_take_turns(
    tmp_path: Path, fresh_server: FeedServer, round_no: int
) -> None:
    """Two ``fetch`` on a store that does not exist yet: the migrations run once, under a
    lock, and the items are stored once, with no source in error."""
    write_config(tmp_path, fresh_server, route="/slow/")
    runs = [aggregator(tmp_path, "fetch") for _ in range(2)]
    results = [finish(run) for run in runs]
    outputs = "\n".join(output for _, output in results)
    for needle in ("Traceback", "UNIQUE constraint", "locked", "already exists", "internal error"):
        assert needle not in outputs, outputs
    assert [code for code, _ in results] == [0, 0], outputs
    database = tmp_path / "store" / "aggregator.db"
    assert source_errors(database) == {}
    assert duplicate_items(database) == 0


def test_fetch_while_the_service_holds_the_store(tmp_path: Path, fresh_server: FeedServer) -> None:
    """A ``fetch`` while ``run`` fetches the same sources: the writers take turns, the
    inserts are idempotent, and no source is marked in error."""
    write_config(tmp_path, fresh_server, route="/slow/")
    port = free_port()
    service = start_aggregator(tmp_path, port)
    try:
        deadline = time.monotonic() + 30
        while not fresh_server.requests() and time.monotonic() < deadline:
            time.sleep(0.05)  # the service has started fetching (each answer takes 1 s)
        codes_outputs = [finish(aggregator(tmp_path, "fetch")) for _ in range(2)]
    finally:
        service.terminate()
        service_output, _ = service.communicate(timeout=30)
    outputs = "\n".join(output for _, output in codes_outputs) + service_output
    for needle in ("Traceback", "UNIQUE constraint", "locked", "internal error"):
        assert needle not in outputs, outputs
    assert [code for code, _ in codes_outputs] == [0, 0], outputs
    database = tmp_path / "store" / "aggregator.db"
    assert source_errors(database) == {}
    assert duplicate_items(database) == 0


# -- a port in use ---------------------------------------------------------------------------


def test_a_port_in_use_is_one_clear_line_and_exit_1(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    """Another process listens on the port: one line that says so and what to do, exit 1,
    and nothing started ("serving" never logged, no traceback)."""
    write_config(tmp_path, fresh_server)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = finish(start_aggregator(tmp_path, port), timeout=60)
    assert code == 1, output
    assert f"port {port} is in use; set --port" in output
    assert "serving" not in output and "Traceback" not in output, output
    assert not fresh_server.requests()  # no source was fetched either

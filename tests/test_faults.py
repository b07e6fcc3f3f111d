"""Faults an operator meets: a full disk, several writers on one SQLite store, a port in
use — each against the real command, its real store and the local feed server."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest
from feedserver import FeedServer, free_port, rss_document, start_aggregator

pytestmark = pytest.mark.slow

FEEDS = {
    "ulysmedia": "ulysmedia.rss",
    "kazinform": "kazinform.atom",
    "tengrinews": "tengrinews.json",
    "astanatimes": "astanatimes.rss",
}


def write_config(
    folder: Path,
    server: FeedServer,
    *,
    route: str = "/feeds/",
    extra: str = "",
    interval: str = "1h",
) -> Path:
    """A feeds.yaml in ``folder`` with the four fixture outlets behind ``route``."""
    sources = "".join(
        f"  - id: {sid}\n    name: {sid.title()}\n    url: {server.url(route + name)}\n"
        for sid, name in FEEDS.items()
    )
    path = folder / "feeds.yaml"
    path.write_text(
        "store: store\noutput:\n  title: Тест\n  link: http://127.0.0.1:1/\n"
        "fetch:\n  allow_private_addresses: true\n  host_spacing: 0s\n"
        f"  interval: {interval}\n"
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
    """Two ``fetch`` started with ``run``, all three fetching the same sources (each answer
    takes 1 s, so their saves meet): the writers take turns, the inserts are idempotent,
    and no source is marked in error."""
    write_config(tmp_path, fresh_server, route="/slow/")
    assert finish(aggregator(tmp_path, "status"))[0] == 0  # the store exists: no migrations
    service = start_aggregator(tmp_path, free_port())
    fetches = [aggregator(tmp_path, "fetch") for _ in range(2)]
    try:
        codes_outputs = [finish(fetch) for fetch in fetches]
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


# -- a full disk -----------------------------------------------------------------------------

TMPFS_SIZE = "2m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs mounted at ``tmp_path/store``: the store on a disk that fills up."""
    mount_point = tmp_path / "store"
    mount_point.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root; this test runs as a user")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here to fill: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill ``folder``'s file system to the last byte, then free ``leave`` bytes of it;
    the file that does it (delete it to free the space)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        assert write_until_full(handle) == errno.ENOSPC
    assert shutil.disk_usage(folder).free < 4096, "the disk did not fill up"
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def write_until_full(handle: BinaryIO) -> int | None:
    """Write zeros until the write fails; its errno."""
    try:
        while handle.write(b"\0" * 4096):
            pass
    except OSError as exc:
        return exc.errno
    return None


def serve_big_news(server: FeedServer) -> set[str]:
    """Ulysmedia now serves 20 new items of ~12 KB each (more than the disk has left);
    their ids in the JSON Feed's ``url``s."""
    items = [
        (
            f"full-{n}",
            f"Новость при полном диске №{n}",
            "Текст новости. " * 150,
            "Wed, 25 Nov 2026 10:00:00 +0500",
        )
        for n in range(20)
    ]
    server.set_file("ulysmedia.rss", rss_document("ulysmedia.kz", items))
    return {f"https://ulysmedia.kz/full-{n}" for n in range(20)}


def outputs(store: Path) -> dict[str, bytes]:
    public = store / "public"
    return {path.name: path.read_bytes() for path in sorted(public.glob("*")) if path.is_file()}


def shown_links(store: Path) -> set[str]:
    document = json.loads((store / "public" / "feed.json").read_bytes())
    return {item["url"] for item in document["items"]}


def assert_one_clear_line(output: str) -> None:
    lines = [line for line in output.splitlines() if "disk full: " in line]
    assert lines and all(
        line.startswith(("error: disk full: ", "│")) or "disk full" in line for line in lines
    ), output
    for needle in ("Traceback", "internal error", "[SQL", "PublishError", "sqlite3", "Errno"):
        assert needle not in output, output


def test_a_full_disk_is_one_line_exit_1_and_the_outputs_stay(
    tmp_path: Path, fresh_server: FeedServer, small_disk: Path
) -> None:
    """The store's disk is full to the last byte: ``fetch`` and ``publish`` each say so
    in one line and exit 1; the output files are the last good ones, byte for byte."""
    write_config(tmp_path, fresh_server)
    code, output = finish(aggregator(tmp_path, "fetch"))
    assert code == 0, output
    before = outputs(small_disk)
    assert set(before) >= {"feed.xml", "feed.atom", "feed.json", "index.html"}
    serve_big_news(fresh_server)
    fill(small_disk)
    for command in ("fetch", "publish"):
        code, output = finish(aggregator(tmp_path, command))
        assert code == 1, output
        assert output.startswith("error: disk full: ") and output.count("\n") == 1, output
        assert_one_clear_line(output)
        assert outputs(small_disk) == before  # the last good outputs are kept


def test_a_disk_that_fills_while_storing_items(
    tmp_path: Path, fresh_server: FeedServer, small_disk: Path
) -> None:
    """The disk fills while a fetch stores new items: one clear "disk full" error (not an
    "internal error" with SQL), exit 1, the outputs still the last good ones; once space
    is freed, the next fetch stores the items."""
    write_config(tmp_path, fresh_server)
    assert finish(aggregator(tmp_path, "fetch"))[0] == 0
    shown = shown_links(small_disk)
    wanted = serve_big_news(fresh_server)
    filler = fill(small_disk, leave=96 * 1024)
    code, output = finish(aggregator(tmp_path, "fetch"))
    assert code == 1, output
    assert_one_clear_line(output)
    assert shown_links(small_disk) == shown
    for name in ("feed.xml", "feed.atom", "index.html"):
        assert (small_disk / "public" / name).read_bytes().rstrip().endswith(b">"), name
    errors = source_errors(small_disk / "aggregator.db")
    assert all(error.startswith("disk full: ") for error in errors.values()), errors
    filler.unlink()
    code, output = finish(aggregator(tmp_path, "fetch"))
    assert code == 0, output
    assert wanted & shown_links(small_disk)


def test_the_service_keeps_serving_on_a_full_disk_and_retries(
    tmp_path: Path, fresh_server: FeedServer, small_disk: Path
) -> None:
    """``run`` on a disk that fills: what cannot be stored is logged in one line, the
    service keeps serving the last good output, and once space is freed it stores the
    news by itself."""
    write_config(tmp_path, fresh_server, interval="2s", extra="  min_interval: 1s\n")
    first = [
        (f"first-{n}", f"Первая новость №{n}", "Текст.", "Wed, 25 Nov 2026 09:00:00 +0500")
        for n in range(3)
    ]
    fresh_server.set_file("ulysmedia.rss", rss_document("ulysmedia.kz", first))  # no ttl
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "service.log"  # beside the store, not on its small disk
    with open(log, "w", encoding="utf-8") as sink:
        service = start_aggregator(tmp_path, port, output=sink)
    try:
        shown = wait_for_links(base, lambda links: "https://ulysmedia.kz/first-2" in links)
        wanted = serve_big_news(fresh_server)
        filler = fill(small_disk, leave=96 * 1024)
        time.sleep(6)  # fetches that cannot be stored, and their retries
        served = httpx.get(f"{base}/feed.json", timeout=5)
        assert served.status_code == 200
        assert {item["url"] for item in served.json()["items"]} == shown
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        filler.unlink()
        wait_for_links(base, lambda links: bool(wanted & links), log=log)
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)
    output = log.read_text(encoding="utf-8")
    assert service.returncode == 0, output
    assert "disk full: " in output, output
    assert "Traceback" not in output and "internal error" not in output, output


def wait_for_links(
    base: str, done: Callable[[set[str]], bool], timeout: float = 40, log: Path | None = None
) -> set[str]:
    """The links the service's JSON Feed shows, once ``done`` says they are enough."""
    deadline = time.monotonic() + timeout
    links: set[str] = set()
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError, ValueError):
            document = httpx.get(f"{base}/feed.json", timeout=5).json()
            links = {item["url"] for item in document["items"]}
            if done(links):
                return links
        time.sleep(0.3)
    logged = log.read_text(encoding="utf-8") if log else ""
    raise AssertionError(f"the service did not show what was wanted in {timeout}s: {logged}")

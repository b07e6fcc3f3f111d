"""The real service: ``aggregator run`` as a subprocess on a free port."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from feedserver import FeedServer, free_port, start_aggregator

pytestmark = pytest.mark.slow


@pytest.fixture
def service(
    tmp_path: Path, fresh_server: FeedServer
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    (tmp_path / "feeds.yaml").write_text(
        f"""\
store: store
output:
  title: Новости Казахстана
  link: http://127.0.0.1/
  language: ru
fetch:
  allow_private_addresses: true
  host_spacing: 0s
  timeout: 3s
  interval: 1h
sources:
  - id: ulysmedia
    name: Ulysmedia.kz
    url: {fresh_server.url("/feeds/ulysmedia.rss")}
  - id: kazinform
    name: Kazinform
    url: {fresh_server.url("/feeds/kazinform.atom")}
  - id: tengrinews
    name: Tengrinews.kz
    url: {fresh_server.url("/feeds/tengrinews.json")}
  - id: offline
    name: Offline
    url: http://127.0.0.1:9/feed.xml
""",
        encoding="utf-8",
    )
    port = free_port()
    process = start_aggregator(tmp_path, port)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def wait_for_items(base: str, count: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base}/feed.json", timeout=2)
            if response.status_code == 200:
                last = response.json()
                if len(last["items"]) >= count:  # type: ignore[index]
                    return last  # type: ignore[return-value]
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"the service did not publish {count} items in {timeout}s: {last!r}")


def test_run_serves_the_combined_feed_and_stops_on_sigterm(
    service: tuple[subprocess.Popen[str], str],
) -> None:
    process, base = service
    # 16 items, 13 stories: the fare rise twice in Russian, Aliyev's birthday greeting
    # and the base rate in Russian and Kazakh
    document = wait_for_items(base, 13)
    assert len(document["items"]) == 13
    assert {i["_aggregator"]["source"]["id"] for i in document["items"]} == {
        "ulysmedia",
        "kazinform",
        "tengrinews",
    }
    assert any("Токаев" in item["title"] for item in document["items"])
    assert any("Қарағанды" in item["title"] for item in document["items"])  # Kazakh intact

    rss = httpx.get(f"{base}/feed.xml")
    assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(rss.content)
    assert not parsed.bozo and len(parsed.entries) == 13
    assert all(entry.source.title for entry in parsed.entries)

    atom = feedparser.parse(httpx.get(f"{base}/feed.atom").content)
    assert not atom.bozo and len(atom.entries) == 13
    assert {e.source.title for e in atom.entries} == {"Ulysmedia.kz", "Kazinform", "Tengrinews.kz"}

    page = httpx.get(f"{base}/")
    assert page.status_code == 200 and "Новости Казахстана" in page.text

    etag = rss.headers["etag"]
    assert httpx.get(f"{base}/feed.xml", headers={"If-None-Match": etag}).status_code == 304
    gzipped = httpx.get(f"{base}/feed.xml", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers.get("content-encoding") == "gzip"
    assert httpx.get(f"{base}/healthz").status_code == 200

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert time.monotonic() - started < 10
    assert "source_id=offline" in output and "fetch_failed" in output  # logged, not fatal
    assert "Traceback" not in output


def test_run_serves_an_empty_valid_feed_before_any_fetch(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "sources:\n  - id: offline\n    name: Offline\n    url: https://offline.invalid/rss\n",
        encoding="utf-8",
    )
    port = free_port()
    process = start_aggregator(tmp_path, port)
    try:
        document = wait_for_items(f"http://127.0.0.1:{port}", 0)
        assert document["items"] == []
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
        assert process.returncode == 0, output
        assert "DNS lookup failed for offline.invalid" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def wait_for_text(url: str, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        try:
            body = httpx.get(url, timeout=2).text
        except httpx.TransportError:
            body = ""
        if text in body:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {url} after {timeout}s: {body[:2000]}")


def test_after_failed_fetches_the_page_and_status_say_so_in_the_output_language(
    tmp_path: Path,
) -> None:
    port = free_port()
    (tmp_path / "feeds.yaml").write_text(
        f"""\
output:
  link: http://127.0.0.1:{port}/
  language: ru
fetch:
  allow_private_addresses: true
  timeout: 2s
sources:
  - {{id: first, name: Первый, url: "http://127.0.0.1:9/one.xml"}}
  - {{id: second, name: Второй, url: "http://127.0.0.1:9/two.xml"}}
""",
        encoding="utf-8",
    )
    process = start_aggregator(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        page = wait_for_text(f"{base}/", "не удалось загрузить источники (2 из 2)")
        assert f'<a href="{base}/status">' in page
        assert "not been fetched" not in page and "Updated" not in page
        status = httpx.get(f"{base}/status").text
        assert '<html lang="ru">' in status and "<h1>Состояние</h1>" in status
        assert "Источников: 2, с ошибками: 2." in status
        for english in ("next fetch", "last error", "failing", "Status"):
            assert english not in status
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
        assert process.returncode == 0, output
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

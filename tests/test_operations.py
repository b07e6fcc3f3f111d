"""Operating the service: live configuration, status, health, metrics, logs, outputs,
paging, WebSub and the single-scheduler lock — against the real running process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from feedserver import FeedServer, free_port, start_aggregator

pytestmark = pytest.mark.slow


def config_text(server: FeedServer, sources: list[str], extra: str = "") -> str:
    feeds = {
        "ulysmedia": ("Ulysmedia.kz", "/feeds/ulysmedia.rss"),
        "kazinform": ("Kazinform", "/feeds/kazinform.atom"),
        "tengrinews": ("Tengrinews.kz", "/feeds/tengrinews.json"),
        "astanatimes": ("The Astana Times", "/feeds/astanatimes.rss"),
    }
    body = "".join(
        f"  - id: {sid}\n    name: {feeds[sid][0]}\n    url: {server.url(feeds[sid][1])}\n"
        for sid in sources
    )
    return (
        "store: store\noutput:\n  title: Тест\n  link: http://127.0.0.1:1/\n  max_items: 5\n"
        "fetch:\n  allow_private_addresses: true\n  host_spacing: 0s\n  interval: 1h\n"
        f"{extra}sources:\n{body}"
    )


class Service:
    def __init__(self, directory: Path, *args: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = start_aggregator(directory, self.port, *args)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.base + path, timeout=5, **kwargs)  # type: ignore[arg-type]

    def wait(self, check: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except (httpx.TransportError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"condition not met in {timeout}s")

    def items(self, path: str = "/feed.json") -> list[dict]:
        return list(self.get(path).json()["items"])

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=20)
        return self.process.returncode, output


@pytest.fixture
def started(tmp_path: Path, fresh_server: FeedServer) -> Iterator[Callable[..., Service]]:
    running: list[Service] = []

    def start(*args: str, sources: list[str] | None = None, extra: str = "") -> Service:
        config = tmp_path / "feeds.yaml"
        if sources is not None:
            config.write_text(config_text(fresh_server, sources, extra), encoding="utf-8")
        service = Service(tmp_path, *args)
        running.append(service)
        return service

    yield start
    for service in running:
        if service.process.poll() is None:
            service.process.kill()
            service.process.communicate()


def test_config_edits_apply_live_and_bad_edits_keep_the_last_good(
    started: Callable[..., Service], tmp_path: Path, fresh_server: FeedServer
) -> None:
    service = started(sources=["ulysmedia"])
    service.wait(lambda: len(service.items()) == 5)
    config = tmp_path / "feeds.yaml"
    config.write_text(config_text(fresh_server, ["ulysmedia", "kazinform"]), encoding="utf-8")
    service.wait(
        lambda: any(i["_aggregator"]["source"]["id"] == "kazinform" for i in service.items())
    )
    served_before = [r.route for r in fresh_server.requests()].count("/feeds/ulysmedia.rss")

    config.write_text("sources:\n  - id: broken\n    url: htp://nope\n", encoding="utf-8")
    service.wait(lambda: "В файле конфигурации ошибка" in service.get("/status").text)
    status = service.get("/status").text
    assert "sources.broken.url" in status and "ulysmedia" in status  # last good still shown
    assert service.get("/healthz").status_code == 200
    check = subprocess.run(
        [sys.executable, "-m", "aggregator", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 2 and "sources.broken.url" in check.stderr

    config.write_text(config_text(fresh_server, ["kazinform"]), encoding="utf-8")
    service.wait(lambda: "В файле конфигурации ошибка" not in service.get("/status").text)
    assert "ulysmedia" not in service.get("/status").text
    # The other source's state survived every reload: it was never fetched again.
    assert [r.route for r in fresh_server.requests()].count("/feeds/ulysmedia.rss") == served_before
    code, output = service.stop()
    assert code == 0, output
    assert "config_invalid" in output and "config_reloaded" in output


def test_status_health_metrics_and_json_logs(started: Callable[..., Service]) -> None:
    service = started("--log-format", "json", sources=["ulysmedia", "tengrinews"])
    service.wait(lambda: len(service.items()) >= 5)
    status = service.get("/status")
    assert status.status_code == 200 and "text/html" in status.headers["content-type"]
    for text in ("ulysmedia", "tengrinews", "следующая загрузка (причина)", "(publishes every ~"):
        assert text in status.text
    assert service.get("/healthz").text == "ok\n"
    opml = service.get("/sources.opml")
    assert opml.headers["content-type"].startswith("text/x-opml")
    assert b"Tengrinews.kz" in opml.content and b"xmlUrl=" in opml.content
    service.get("/feed.xml")
    metrics = service.get("/metrics").text
    for name in (
        'aggregator_fetches_total{outcome="ok"}',
        "aggregator_fetch_duration_seconds_bucket",
        "aggregator_items_ingested_total 1",
        "aggregator_stories_created_total",
        "aggregator_sources_in_error 0",
        "aggregator_publish_duration_seconds_count",
        'aggregator_output_requests_total{path="/feed.xml",status="200"}',
    ):
        assert name in metrics, name
    code, output = service.stop()
    assert code == 0
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    fetched = [e for e in events if e["event"] == "fetched"]
    assert {e["source_id"] for e in fetched} == {"ulysmedia", "tengrinews"}
    assert all(isinstance(e["duration_ms"], int) and e["status"] == 200 for e in fetched)


def test_second_scheduler_on_one_store_refuses(started: Callable[..., Service]) -> None:
    first = started(sources=["ulysmedia"])
    first.wait(lambda: first.get("/healthz").status_code == 200)
    second = started()
    output, _ = second.process.communicate(timeout=30)  # exits by itself
    code = second.process.returncode
    assert code == 1
    assert "another 'aggregator run'" in output and str(first.process.pid) in output
    assert first.get("/healthz").status_code == 200
    assert first.stop()[0] == 0


def test_filtered_outputs_paging_and_websub(
    started: Callable[..., Service], fresh_server: FeedServer
) -> None:
    extra = (
        f"websub_hub: {fresh_server.url('/hub')}\n"
        "outputs:\n  - id: english\n    languages: [en]\n"
        "  - id: almaty\n    include: [Алматы]\n    exclude: [спорт]\n"
    )
    service = started(sources=["ulysmedia", "astanatimes", "tengrinews"], extra=extra)
    # 5 English items; Astana Times' report of the base rate folds into Ulysmedia's
    # earlier Russian one, whose entry is Russian
    service.wait(lambda: len(service.items("/feeds/english.json")) == 4)
    # The English source may be stored (and published) before the others: wait for them.
    service.wait(lambda: "next_url" in service.get("/feed.json").json())
    english = service.items("/feeds/english.json")
    assert {i["_aggregator"]["source"]["id"] for i in english} == {"astanatimes"}
    almaty = service.items("/feeds/almaty.json")
    assert almaty and all("Алматы" in (i["title"] + i["summary"]) for i in almaty)
    assert service.get("/feeds/nope.xml").status_code == 404

    first = feedparser.parse(service.get("/feed.atom").content)
    links = {link.rel: link.href for link in first.feed.links}
    assert links["next"].endswith("/feed.atom?page=2") and links["hub"] == fresh_server.url("/hub")
    page2 = service.get("/feed.atom?page=2")
    assert page2.status_code == 200
    second = feedparser.parse(page2.content)
    assert {link.rel for link in second.feed.links} >= {"previous", "first", "self"}
    ids_1 = {e.id for e in first.entries}
    ids_2 = {e.id for e in second.entries}
    assert ids_1 and ids_2 and not ids_1 & ids_2  # the next page goes on, older
    rss2 = feedparser.parse(service.get("/feed.xml?page=2").content)
    assert {e.id for e in rss2.entries} == ids_2
    json1 = service.get("/feed.json").json()
    assert json1["next_url"].endswith("/feed.json?page=2") and json1["hubs"][0]["type"] == "WebSub"
    assert service.get("/feed.xml?page=0").status_code == 400
    etag = service.get("/feed.xml?page=2").headers["etag"]
    time.sleep(1.1)  # an older page is dated by the publish, not by the request
    assert service.get("/feed.xml?page=2", headers={"If-None-Match": etag}).status_code == 304

    # The outputs changed after the first fetch, so the hub was pinged (a POST).
    service.wait(lambda: any(r.method == "POST" for r in fresh_server.requests("/hub")))
    code, _output = service.stop()
    assert code == 0

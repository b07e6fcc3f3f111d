"""The pipeline end to end: fixture server → fetch → parse → normalize → store → output."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedserver import FeedServer

from aggregator import scheduler as scheduler_module
from aggregator.config import Settings, load_settings
from aggregator.fetch import Fetcher
from aggregator.pipeline import SourceOutcome, refresh_source
from aggregator.publish import publish
from aggregator.scheduler import Service, refresh_many, sync_sources
from aggregator.status import source_notice
from aggregator.storage import Store

DATA = Path(__file__).parent / "data"
FEEDS = {
    "ulysmedia": ("Ulysmedia.kz", "/feeds/ulysmedia.rss"),
    "kazinform": ("Kazinform", "/feeds/kazinform.atom"),
    "tengrinews": ("Tengrinews.kz", "/feeds/tengrinews.json"),
    "regional": ("Время", "/feeds/cp1251.rss"),
    "astanatimes": ("The Astana Times", "/feeds/relative-links.atom"),
}
BROKEN = {
    "missing": ("Missing", "/status/404"),
    "failing": ("Failing", "/status/500"),
    "webpage": ("Web page", "/feeds/not-a-feed.html"),
    "slow": ("Slow", "/slow/ulysmedia.rss?delay=5"),
}


def write_config(tmp_path: Path, server: FeedServer, sources: dict[str, tuple[str, str]]) -> Path:
    lines = [
        "store: store",
        "output:\n  title: Тест\n  link: http://127.0.0.1:8080/\n  max_items: 100",
        "fetch:\n  allow_private_addresses: true\n  host_spacing: 0s\n  timeout: 2s",
        "sources:",
    ]
    for source_id, (name, path) in sources.items():
        lines.append(f"  - id: {source_id}\n    name: {name}\n    url: {server.url(path)}")
    config = tmp_path / "feeds.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def open_env(
    tmp_path: Path, server: FeedServer, sources: dict[str, tuple[str, str]]
) -> tuple[Settings, Store]:
    """A config of ``sources`` on the fixture server, and its opened store."""
    settings = load_settings(write_config(tmp_path, server, sources))
    settings.store_dir.mkdir(parents=True)
    store = Store.open(settings.database_url)
    sync_sources(store, settings)
    return settings, store


@pytest.fixture
def env(tmp_path: Path, fresh_server: FeedServer) -> Iterator[tuple[Settings, Store]]:
    settings, store = open_env(tmp_path, fresh_server, FEEDS | BROKEN)
    yield settings, store
    store.close()


def refresh(
    settings: Settings, store: Store, ids: list[str] | None = None
) -> dict[str, SourceOutcome]:
    sources = [s for s in settings.sources if ids is None or s.id in ids]

    async def go() -> list[SourceOutcome]:
        async with Fetcher(settings.config.fetch) as fetcher:
            return await refresh_many(sources, settings, store, fetcher)

    return {o.source_id: o for o in asyncio.run(go())}


def test_good_sources_land_and_bad_ones_fail_alone(env: tuple[Settings, Store]) -> None:
    settings, store = env
    outcomes = refresh(settings, store)
    for source_id in FEEDS:
        assert outcomes[source_id].error is None, outcomes[source_id]
        assert outcomes[source_id].new > 0
    assert "404" in (outcomes["missing"].error or "")
    assert "500" in (outcomes["failing"].error or "")
    assert "not a feed" in (outcomes["webpage"].error or "")
    assert "timed out" in (outcomes["slow"].error or "")
    states = {s.id: s for s in store.source_states()}
    assert states["missing"].error_count == 1 and states["missing"].last_status == 404
    assert states["ulysmedia"].item_count == 6 and states["ulysmedia"].last_error is None
    assert states["missing"].next_fetch_at is not None


def test_refetch_uses_validators_and_adds_nothing(
    env: tuple[Settings, Store], fresh_server: FeedServer
) -> None:
    settings, store = env
    refresh(settings, store, list(FEEDS))
    count = store.item_count()
    fresh_server.clear()
    outcomes = refresh(settings, store, list(FEEDS))
    assert all(o.status == 304 and o.new == 0 for o in outcomes.values()), outcomes
    assert store.item_count() == count
    for request in fresh_server.requests():
        assert request.header("If-None-Match"), request.path


def test_changed_item_is_updated_not_duplicated(
    env: tuple[Settings, Store], fresh_server: FeedServer
) -> None:
    settings, store = env
    refresh(settings, store, ["ulysmedia"])
    original = fresh_server.content("ulysmedia.rss") or b""
    old_title = "Токаев поздравил Алиева с днём рождения"
    new_title = "Токаев поздравил Алиева с 65-летием"
    assert old_title.encode() in original
    fresh_server.set_file("ulysmedia.rss", original.replace(old_title.encode(), new_title.encode()))
    outcome = refresh(settings, store, ["ulysmedia"])["ulysmedia"]
    assert (outcome.new, outcome.updated) == (0, 1)
    assert store.item_count() == 6
    titles = [e.title for e in store.latest_entries(100, {})]
    assert new_title in titles and old_title not in titles


def test_output_names_every_source(env: tuple[Settings, Store]) -> None:
    settings, store = env
    refresh(settings, store, list(FEEDS))
    outputs = publish(store, settings, datetime.now(UTC))
    document = json.loads(outputs.json)
    items = document["items"]
    assert len(items) == sum(1 for _ in store.latest_entries(100, {}))
    names = {item["_aggregator"]["source"]["name"] for item in items}
    assert names == {name for name, _ in FEEDS.values()}
    for item in items:
        source = item["_aggregator"]["source"]
        assert source["url"].startswith("http://127.0.0.1:")
        assert source["id"] in FEEDS
    titles = " ".join(item["title"] for item in items)
    assert "Токаев" in titles and "Қарағанды" in titles  # Russian and Kazakh intact
    assert (settings.public_dir / "feed.xml").read_bytes() == outputs.rss
    assert (settings.public_dir / "index.html").exists()


def test_gone_source_is_disabled(tmp_path: Path, fresh_server: FeedServer) -> None:
    settings, store = open_env(tmp_path, fresh_server, {"gone": ("Gone", "/status/410")})
    outcome = refresh(settings, store)["gone"]
    assert "410" in (outcome.error or "")
    assert store.source_state("gone").disabled_reason
    assert store.due_sources(["gone"], datetime(2100, 1, 1, tzinfo=UTC)) == []
    store.close()


def test_throttled_source_waits_for_retry_after(tmp_path: Path, fresh_server: FeedServer) -> None:
    settings, store = open_env(
        tmp_path, fresh_server, {"busy": ("Busy", "/status/429?retry_after=7200")}
    )
    refresh(settings, store)
    state = store.source_state("busy")
    assert state.next_fetch_at is not None and state.last_fetch_at is not None
    # Retry-After counts from the response, a few ms before last_fetch_at is taken.
    assert (state.next_fetch_at - state.last_fetch_at).total_seconds() >= 7199
    store.close()


def test_permanent_redirect_is_followed_and_reported_once_stable(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    settings, store = open_env(
        tmp_path, fresh_server, {"moved": ("Moved", "/redirect/301/ulysmedia.rss")}
    )
    refresh(settings, store)
    state = store.source_state("moved")
    assert state.current_url == fresh_server.url("/feeds/ulysmedia.rss")
    assert state.move_notice(datetime.now(UTC)) is None  # not yet proven stable
    for _ in range(2):
        refresh(settings, store)
    requested = [r.route for r in fresh_server.requests()]
    assert requested.count("/redirect/301/ulysmedia.rss") == 1  # the new URL is used
    notice = store.source_state("moved").move_notice(datetime.now(UTC))
    assert notice and fresh_server.url("/feeds/ulysmedia.rss") in notice
    store.close()


def test_temporary_redirect_never_changes_the_url(tmp_path: Path, fresh_server: FeedServer) -> None:
    settings, store = open_env(
        tmp_path, fresh_server, {"temp": ("Temp", "/redirect/302/ulysmedia.rss")}
    )
    refresh(settings, store)
    refresh(settings, store)
    state = store.source_state("temp")
    assert state.current_url is None and state.moved_url is None
    assert [r.route for r in fresh_server.requests()].count("/redirect/302/ulysmedia.rss") == 2
    store.close()


def test_retry_after_is_scoped_to_its_source(tmp_path: Path, fresh_server: FeedServer) -> None:
    """A 429 from one feed of a host must not pause the host's other feeds."""
    settings = load_settings(
        write_config(
            tmp_path,
            fresh_server,
            {
                "busy": ("Busy", "/status/429?retry_after=7200"),
                "fine": ("Fine", "/feeds/ulysmedia.rss"),
            },
        )
    )
    settings.store_dir.mkdir(parents=True)
    store = Store.open(settings.database_url)
    sync_sources(store, settings)
    refresh(settings, store)
    busy, fine = store.source_state("busy"), store.source_state("fine")
    assert busy.next_fetch_at and fine.next_fetch_at and busy.last_fetch_at
    assert busy.next_fetch_at - busy.last_fetch_at >= timedelta(minutes=119)
    assert "Retry-After" in (busy.next_fetch_reason or "")
    assert fine.next_fetch_at < busy.next_fetch_at
    assert "Retry-After" not in (fine.next_fetch_reason or "")
    store.close()


def test_feed_ttl_raises_the_next_fetch(tmp_path: Path, fresh_server: FeedServer) -> None:
    feed = (fresh_server.content("ulysmedia.rss") or b"").replace(
        b"<ttl>15</ttl>", b"<ttl>180</ttl>", 1
    )
    assert b"<ttl>180</ttl>" in feed
    fresh_server.set_file("ttl.rss", feed)
    settings, store = open_env(tmp_path, fresh_server, {"ttl": ("TTL", "/feeds/ttl.rss")})
    refresh(settings, store)
    state = store.source_state("ttl")
    assert state.next_fetch_at and state.last_fetch_at
    assert state.next_fetch_at - state.last_fetch_at >= timedelta(minutes=160)
    assert "ttl 3h" in (state.next_fetch_reason or "")
    store.close()


def one_guid_feed(count: int, *, repeat_first: int = 0, links: bool = True) -> bytes:
    """An RSS feed of ``count`` different items that all carry one guid (a CMS that gives
    every item the site's address), and ``repeat_first`` exact copies of the first item."""
    items = []
    for number in [*range(count), *([0] * repeat_first)]:
        link = f"<link>https://qazaq.example/news/{number}</link>" if links else ""
        items.append(
            f"<item><title>Жаңалық №{number}: әкімдік жиналысы</title>{link}"
            f"<guid isPermaLink='false'>https://qazaq.example/</guid>"
            f"<description>Мәтін {number}: облыс әкімі {number} мектеп ашты.</description>"
            f"<pubDate>Wed, 25 Nov 2026 10:{number % 60:02d}:00 +0500</pubDate></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Qazaq</title><link>https://qazaq.example/</link>{''.join(items)}"
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize("links", [True, False])
def test_items_sharing_one_guid_are_told_apart_with_a_notice(
    tmp_path: Path, fresh_server: FeedServer, links: bool
) -> None:
    fresh_server.set_file("one-guid.rss", one_guid_feed(200, repeat_first=3, links=links))
    settings, store = open_env(tmp_path, fresh_server, {"qazaq": ("Qazaq", "/feeds/one-guid.rss")})
    outcome = refresh(settings, store)["qazaq"]
    assert outcome.error is None and outcome.new == 200, outcome
    state = store.source_state("qazaq")
    assert "200 items share one guid" in (state.notice or ""), state
    fallback = "link" if links else "hash"
    assert f"identified by {fallback}" in (state.notice or "")
    assert "share one guid" in source_notice(state, datetime.now(UTC))
    # Fetched again (unchanged): nothing new, nothing updated.
    fresh_server.set_file("one-guid.rss", one_guid_feed(200, repeat_first=3, links=links))
    again = refresh(settings, store)["qazaq"]
    assert (again.new, again.updated) == (0, 0), again
    assert store.item_count() == 200
    store.close()


def test_a_notice_is_cleared_when_the_feed_is_mended(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    fresh_server.set_file("one-guid.rss", one_guid_feed(3))
    settings, store = open_env(tmp_path, fresh_server, {"qazaq": ("Qazaq", "/feeds/one-guid.rss")})
    refresh(settings, store)
    assert store.source_state("qazaq").notice
    fresh_server.set_file("one-guid.rss", (DATA / "ulysmedia.rss").read_bytes())
    refresh(settings, store)
    assert store.source_state("qazaq").notice is None
    store.close()


def oversized_feed() -> bytes:
    """One item with a 5 MB title and 1.2 million characters of content, and an ordinary
    item."""
    title = "Үкімет отырысы " * 180_000  # ~5 MB of UTF-8
    paragraph = "<p>Облыс әкімі <b>жаңа мектеп</b> ашты, дейді <a href='/a'>Kazinform</a>.</p>"
    content = paragraph * (1_200_000 // len(paragraph))
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>Big</title>"
        "<link>https://big.example/</link>"
        f"<item><title>{title}</title><link>https://big.example/1</link>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
        "<item><title>Қысқа жаңалық</title><link>https://big.example/2</link>"
        "<description>Қысқа мәтін.</description></item>"
        "</channel></rss>"
    ).encode()


def test_oversized_fields_are_cut_in_every_output_with_a_notice(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    fresh_server.set_file("big.rss", oversized_feed())
    settings, store = open_env(tmp_path, fresh_server, {"big": ("Big", "/feeds/big.rss")})
    outcome = refresh(settings, store)["big"]
    assert outcome.error is None and outcome.new == 2, outcome
    outputs = publish(store, settings, datetime.now(UTC))
    for name in ("rss", "atom", "json", "html"):
        size = len(getattr(outputs, name))
        # ~1 MB of content escaped and in UTF-8, once; before the caps, 12.5 MB.
        assert size < 2_000_000, (name, size)
    titles = [item["title"] for item in json.loads(outputs.json)["items"]]
    long_title = max(titles, key=len)
    assert len(long_title) <= 1000 and long_title.endswith("…")
    assert long_title[:-1].split()[-1] in ("Үкімет", "отырысы")  # cut at a word
    notice = store.source_state("big").notice or ""
    assert "1 title cut to 1,000 characters" in notice, notice
    assert "1 content cut to 1,000,000 characters" in notice, notice
    store.close()


def test_a_stop_during_a_publish_lets_it_finish_without_a_traceback(
    tmp_path: Path,
    fresh_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SIGTERM arriving while a tick publishes (in a thread): the scheduler's shutdown
    cancels its jobs, but the publish goes on to the end, ``stop`` waits for it, and
    nothing is logged as an exception."""
    settings, store = open_env(tmp_path, fresh_server, {"ulysmedia": FEEDS["ulysmedia"]})
    publishing, release = threading.Event(), threading.Event()
    finished: list[int] = []

    def gated_publish(store: Store, settings: Settings, now: datetime) -> object:
        if finished:  # the start's publish has run: hold the tick's until released
            publishing.set()
            release.wait(10)
        outputs = real_publish(store, settings, now)
        finished.append(1)
        return outputs

    real_publish = scheduler_module.publish_if_changed
    monkeypatch.setattr(scheduler_module, "publish_if_changed", gated_publish)

    async def go() -> None:
        service = Service(settings, store, tick=timedelta(milliseconds=200))
        await service.start()
        await asyncio.to_thread(publishing.wait, 20)  # a tick publishes what it fetched
        stopping = asyncio.create_task(service.stop())
        await asyncio.sleep(0.3)
        assert not stopping.done()  # stop waits for the publish under way
        release.set()
        await stopping

    with caplog.at_level(logging.INFO):
        asyncio.run(go())
    store.close()
    assert publishing.is_set() and len(finished) >= 2
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_a_restart_or_a_reload_that_changes_no_output_renders_nothing(
    tmp_path: Path, fresh_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The service publishes on start and after a config reload; when nothing the outputs
    show changed (a restart, an edit of fetch settings) it renders nothing and the files
    keep their mtimes (so readers keep their ETags)."""
    settings, store = open_env(tmp_path, fresh_server, {"ulysmedia": FEEDS["ulysmedia"]})
    feed = settings.public_dir / "feed.xml"

    def publishes() -> int:
        return sum(1 for r in caplog.records if r.getMessage() == "published")

    async def go() -> None:
        async with Fetcher(settings.config.fetch) as fetcher:
            await refresh_many(settings.sources, settings, store, fetcher)
        first = Service(settings, store, tick=timedelta(hours=1))
        await first.start()
        await first.stop()
        assert publishes() == 1
        stamp = feed.stat().st_mtime_ns
        again = Service(settings, store, tick=timedelta(hours=1))
        await again.start()  # a restart on the same store
        assert (publishes(), feed.stat().st_mtime_ns) == (1, stamp)
        text = settings.path.read_text(encoding="utf-8")
        settings.path.write_text(text.replace("timeout: 2s", "timeout: 3s"), encoding="utf-8")
        assert await again.reload_if_changed()
        await again.tick()
        assert (publishes(), feed.stat().st_mtime_ns) == (1, stamp)
        settings.path.write_text(text.replace("title: Тест", "title: Другое"), encoding="utf-8")
        assert await again.reload_if_changed()
        await again.tick()
        assert publishes() == 2
        assert "<title>Другое</title>" in feed.read_text(encoding="utf-8")
        await again.stop()

    with caplog.at_level(logging.INFO):
        asyncio.run(go())
    store.close()


def test_items_decided_by_a_later_tick_are_published_by_it(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    """A refresh that ends after a tick decided its stories leaves its items waiting (no
    output shows them yet). The next tick decides them and publishes, though no refresh
    ended since."""
    settings, store = open_env(tmp_path, fresh_server, {"ulysmedia": FEEDS["ulysmedia"]})
    feed = settings.public_dir / "feed.json"

    async def go() -> None:
        service = Service(settings, store, tick=timedelta(hours=1))
        async with Fetcher(settings.config.fetch) as fetcher:
            source = settings.sources[0]
            outcome = await refresh_source(source, settings, fetcher, store, settle=False)
        assert outcome.new > 0
        publish(store, settings, datetime.now(UTC))  # as a tick would, before it ended
        assert json.loads(feed.read_text(encoding="utf-8"))["items"] == []
        await service.tick()  # no refresh is due: nothing changes but the decision
        assert len(json.loads(feed.read_text(encoding="utf-8"))["items"]) == outcome.new
        await service.stop()

    asyncio.run(go())
    store.close()

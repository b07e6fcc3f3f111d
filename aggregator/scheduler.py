"""The service's clock: APScheduler jobs that refresh due sources, publish on change,
purge old items and reload the configuration.

One "tick" job runs every few seconds: it reloads ``feeds.yaml`` if the file changed (an
invalid edit is reported and the last good configuration keeps running), asks the store
which sources are due and starts a refresh for each that is not in flight, at most
``fetch.concurrency`` at once. The output is re-rendered at most once per tick, and only
after a refresh changed something (debounced). A daily job purges what is older than
``retention`` and no longer shown.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from aggregator import logs, metrics
from aggregator.config import Settings, SourceConfig, load_settings
from aggregator.errors import AggregatorError, ConfigError
from aggregator.fetch import Fetcher
from aggregator.pipeline import (
    Clock,
    SourceOutcome,
    refresh_source,
    settle_stories,
    shutdown_pools,
    utc_now,
)
from aggregator.publish import KINDS, output_views, publish_if_changed, shown_story_ids
from aggregator.registry import enabled_sources, sync_sources
from aggregator.storage import SourceState, Store

log = logging.getLogger(__name__)

__all__ = ["Service", "enabled_sources", "refresh_many", "sync_sources"]

TICK = timedelta(seconds=2)
PURGE_EVERY = timedelta(days=1)
LEASE = timedelta(seconds=15)
"""How long a claimed source stays this worker's without a heartbeat: a dead worker's
sources are claimed by another within about this (plus a tick)."""
PUBLISH_RETRY = timedelta(seconds=30)
"""After a failed publish (a full disk), how long until the next try."""
HEARTBEAT = timedelta(seconds=3)
"""How often the leases of the sources being refreshed are renewed (a fifth of LEASE:
a few beats may be late without losing one)."""


async def refresh_many(
    sources: Sequence[SourceConfig],
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    clock: Clock = utc_now,
) -> list[SourceOutcome]:
    """Refresh several sources concurrently (bounded); one failure never stops the rest.
    Their states are read in one query, not one each."""
    limit = asyncio.Semaphore(settings.config.fetch.concurrency)
    ids = [source.id for source in sources]
    states = await asyncio.to_thread(_states_by_id, store, ids)

    async def one(source: SourceConfig) -> SourceOutcome:
        async with limit:
            state = states.get(source.id)
            return await refresh_source(
                source, settings, fetcher, store, clock, state, settle=False
            )

    try:
        return list(await asyncio.gather(*(one(source) for source in sources)))
    finally:
        await asyncio.to_thread(settle_stories, store, settings.config.dedup)


def _states_by_id(store: Store, ids: Sequence[str]) -> dict[str, SourceState]:
    """The stored states of ``ids`` (one query), in the order of ``ids``."""
    found = {state.id: state for state in store.source_states(ids, counts=False)}
    return {source_id: found[source_id] for source_id in ids if source_id in found}


class Service:
    """The scheduler half of ``aggregator run``."""

    def __init__(self, settings: Settings, store: Store, *, tick: timedelta = TICK) -> None:
        self.settings = settings
        self.store = store
        self.tick_interval = tick
        self.fetcher = Fetcher(settings.config.fetch)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.config_error: str | None = None
        self._config_stamp = _stamp(settings.path)
        self._retired: list[Fetcher] = []
        self._in_flight: dict[str, asyncio.Task[SourceOutcome]] = {}
        self._limit = asyncio.Semaphore(settings.config.fetch.concurrency)
        self._dirty = False
        self._stopping = False
        self._published_digest = ""
        self._marker: tuple[object, ...] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[object]] = set()
        """The scheduled jobs' bodies now running: ``stop`` lets them finish."""
        self._publish_after = 0.0
        """``time.monotonic()`` before which no publish is tried again after a failure."""
        self._tick_error: str | None = None
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """This process's name on the leases it takes."""

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running) and not self._stopping

    async def start(self) -> None:
        """Register sources, publish what the store has, and start the jobs."""
        await asyncio.to_thread(sync_sources, self.store, self.settings)
        if self.settings.config.database is None:
            # SQLite: one scheduler per store (the lock file), so every lease left is a
            # crashed predecessor's.
            await asyncio.to_thread(self.store.release_leases)
        await self._settle(recover=True)  # what a killed predecessor left undecided
        await self._publish()
        self.scheduler.add_job(
            self._job,
            "interval",
            args=[self.tick],
            seconds=self.tick_interval.total_seconds(),
            next_run_time=utc_now(),
            id="tick",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.add_job(
            self._job,
            "interval",
            args=[self.purge],
            seconds=PURGE_EVERY.total_seconds(),
            next_run_time=utc_now() + timedelta(minutes=1),
            id="purge",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        self._heartbeat_task = asyncio.create_task(self._heartbeat())
        logs.event(
            log, logging.INFO, "scheduler_started", sources=len(enabled_sources(self.settings))
        )

    async def _job(self, body: Callable[[], Awaitable[object]]) -> None:
        """Run a scheduled job's body as a task of its own. A shutdown cancels the
        scheduler's jobs; the body, maybe halfway through a publish in a thread, goes on
        and ``stop`` waits for it, so nothing is cut short and no traceback is logged."""
        task: asyncio.Task[object] = asyncio.ensure_future(body())
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not self._stopping:
                raise

    async def tick(self) -> None:
        """Reload the config if it changed, start refreshes of the due sources, and
        publish if the last refreshes changed anything. A store that refuses (a full disk)
        is logged once, and the next tick tries again: the service keeps serving."""
        if self._stopping:
            return
        try:
            await self._tick()
        except AggregatorError as exc:
            if exc.message != self._tick_error:
                logs.event(log, logging.ERROR, "tick_failed", error=exc.message)
            self._tick_error = exc.message
        else:
            if self._tick_error is not None:
                logs.event(log, logging.INFO, "tick_recovered")
            self._tick_error = None

    async def _tick(self) -> None:
        await self.reload_if_changed()
        sources = {s.id: s for s in enabled_sources(self.settings)}
        room = self.settings.config.fetch.concurrency * 2 - len(self._in_flight)
        candidates = [source_id for source_id in sources if source_id not in self._in_flight]
        claimed = await asyncio.to_thread(self._claim, candidates, room) if room > 0 else {}
        for source_id, state in claimed.items():
            task = asyncio.create_task(self._refresh(sources[source_id], state))
            self._in_flight[source_id] = task
        if self.settings.config.database is not None:
            await self._notice_other_workers()
        await self._settle()
        if self._dirty and time.monotonic() >= self._publish_after:
            self._dirty = False
            await self._publish()

    async def _settle(self, recover: bool = False) -> None:
        """Decide the stories of the items the refreshes since the last tick stored, all
        together (the same stories whichever source answered first); the outputs show
        them from the next publish on (a refresh may have ended after the last one)."""
        settle = functools.partial(settle_stories, recover=recover)
        settled = await asyncio.to_thread(settle, self.store, self.settings.config.dedup)
        if settled.items:
            self._dirty = True

    def _claim(self, candidates: Sequence[str], room: int) -> dict[str, SourceState]:
        """Claim up to ``room`` due sources; their states, read together."""
        ids = self.store.claim_due(candidates, utc_now(), self.worker_id, self._lease(), room)
        return _states_by_id(self.store, ids) if ids else {}

    def _lease(self) -> timedelta:
        """How long a claimed source stays ours unless the heartbeat renews it."""
        return LEASE

    async def _heartbeat(self) -> None:
        """Renew the leases of the sources in flight every ``HEARTBEAT``: a lease lasts as
        long as its work, however long, and expires within ``LEASE`` of this process's
        death (a SIGKILL, a crash, a lost machine), when another worker takes it."""
        while True:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            ids = list(self._in_flight)
            if not ids:
                continue
            try:
                await asyncio.to_thread(
                    self.store.renew_leases, self.worker_id, ids, utc_now() + self._lease()
                )
            except Exception as exc:  # the next beat tries again; the work goes on
                logs.event(log, logging.WARNING, "lease_renewal_failed", error=str(exc))

    async def _notice_other_workers(self) -> None:
        """With a shared database other workers store items too: publish when the
        store changed, whoever changed it."""
        marker = await asyncio.to_thread(self.store.change_marker)
        if marker != self._marker:
            self._marker = marker
            self._dirty = True

    async def reload_if_changed(self) -> bool:
        """Apply ``feeds.yaml`` if it changed on disk; True when a new one was applied."""
        stamp = _stamp(self.settings.path)
        if stamp == self._config_stamp:
            return False
        self._config_stamp = stamp
        try:
            new = await asyncio.to_thread(load_settings, self.settings.path)
        except ConfigError as exc:
            self.config_error = str(exc)
            metrics.CONFIG_RELOADS.labels("invalid").inc()
            logs.event(
                log,
                logging.ERROR,
                "config_invalid",
                path=str(self.settings.path),
                problems=len(exc.problems),
                error=str(exc),
            )
            return False
        await self._apply(new)
        return True

    async def _apply(self, new: Settings) -> None:
        old = self.settings
        if new.config.fetch != old.config.fetch:
            self._retired.append(self.fetcher)
            self.fetcher = Fetcher(new.config.fetch)
        self.settings = new
        self.config_error = None
        await asyncio.to_thread(sync_sources, self.store, new)
        self._dirty = True  # titles, names and outputs may have changed
        metrics.CONFIG_RELOADS.labels("applied").inc()
        added = {s.id for s in new.sources} - {s.id for s in old.sources}
        removed = {s.id for s in old.sources} - {s.id for s in new.sources}
        logs.event(
            log,
            logging.INFO,
            "config_reloaded",
            sources=len(new.sources),
            added=",".join(sorted(added)) or None,
            removed=",".join(sorted(removed)) or None,
        )

    async def _refresh(self, source: SourceConfig, state: SourceState) -> SourceOutcome:
        try:
            async with self._limit:
                outcome = await refresh_source(
                    source, self.settings, self.fetcher, self.store, state=state, settle=False
                )
            if outcome.changed or _health_changed(state, outcome):
                self._dirty = True
            return outcome
        finally:
            self._in_flight.pop(source.id, None)

    async def _publish(self) -> None:
        """Render the outputs if what they show changed (``publish_if_changed``)."""
        started = time.perf_counter()
        try:
            outputs = await asyncio.to_thread(
                publish_if_changed, self.store, self.settings, utc_now()
            )
        except AggregatorError as exc:  # a full disk: the files there stay; try again later
            self._dirty = True
            self._publish_after = time.monotonic() + PUBLISH_RETRY.total_seconds()
            logs.event(log, logging.ERROR, "publish_failed", error=exc.message)
            return
        except Exception:
            logs.event(log, logging.ERROR, "publish_failed")
            log.exception("publish_failed")
            return
        elapsed = time.perf_counter() - started
        if outputs is None:
            logs.event(log, logging.DEBUG, "publish_unchanged", duration_ms=round(elapsed * 1000))
            return
        metrics.PUBLISH_SECONDS.observe(elapsed)
        digest = hashlib.sha256(outputs.rss).hexdigest()
        logs.event(
            log,
            logging.INFO,
            "published",
            path=str(self.settings.public_dir),
            duration_ms=round(elapsed * 1000),
        )
        if digest != self._published_digest and self._published_digest:
            await self._ping_hub()
        self._published_digest = digest

    async def _ping_hub(self) -> None:
        """WebSub (W3C, §7): tell the hub that the outputs changed."""
        hub = self.settings.config.websub_hub
        if not hub:
            return
        urls = [
            view.url(kind)
            for view, _ in output_views(self.settings).values()
            for kind in KINDS
            if kind != "html"
        ]
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(hub, data={"hub.mode": "publish", "hub.url": urls})
            logs.event(log, logging.INFO, "websub_ping", hub=hub, status=response.status_code)
        except httpx.HTTPError as exc:
            logs.event(log, logging.WARNING, "websub_ping_failed", hub=hub, error=str(exc))

    async def purge(self) -> int:
        """Delete items and stories older than ``retention`` that no output shows."""
        before = utc_now() - self.settings.config.retention
        keep = await asyncio.to_thread(shown_story_ids, self.store, self.settings)
        purged = await asyncio.to_thread(self.store.purge, before, keep)
        logs.event(log, logging.INFO, "purged", stories=purged, before=before.isoformat())
        return purged

    async def stop(self, deadline: float = 10.0) -> None:
        """Stop claiming work, let refreshes in flight finish (up to ``deadline`` seconds),
        publish what they brought, and close the connections."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._jobs:
            await asyncio.wait(list(self._jobs), timeout=deadline)
        heartbeat = self._heartbeat_task
        pending = list(self._in_flight.values())
        if pending:
            _done, not_done = await asyncio.wait(pending, timeout=deadline)
            for task in not_done:
                task.cancel()
            if not_done:
                await asyncio.wait(not_done, timeout=2)
        if heartbeat is not None:
            heartbeat.cancel()
        try:
            await asyncio.to_thread(self.store.release_leases, self.worker_id)
        except AggregatorError as exc:  # a full disk: the leases expire by themselves
            logs.event(log, logging.ERROR, "leases_not_released", error=exc.message)
        await self._settle()
        if self._dirty:
            await self._publish()
        for fetcher in [self.fetcher, *self._retired]:
            await fetcher.aclose()
        await asyncio.to_thread(shutdown_pools)
        logs.event(log, logging.INFO, "scheduler_stopped")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _health_changed(before: SourceState, outcome: SourceOutcome) -> bool:
    """Whether a refresh changed what an empty page says of the sources (fetched for the
    first time, started or stopped failing): then the outputs are published again."""
    return before.last_fetch_at is None or bool(before.error_count) != bool(outcome.error)

"""The service's clock: APScheduler jobs that refresh due sources and publish on change.

One "tick" job runs every few seconds, asks the store which sources are due, and starts a
refresh for each that is not already in flight, at most ``fetch.concurrency`` at once.
The output is re-rendered after refreshes that changed something, at most once per tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from aggregator.config import Settings, SourceConfig
from aggregator.fetch import Fetcher
from aggregator.pipeline import Clock, SourceOutcome, refresh_source, utc_now
from aggregator.publish import publish
from aggregator.storage import SourceRow, Store

log = logging.getLogger(__name__)

TICK = timedelta(seconds=2)


def enabled_sources(settings: Settings) -> list[SourceConfig]:
    return [source for source in settings.sources if source.enabled]


def sync_sources(store: Store, settings: Settings) -> None:
    """Register the configured sources in the store."""
    store.sync_sources(
        SourceRow(s.id, s.name, settings.source_location(s), s.priority) for s in settings.sources
    )


async def refresh_many(
    sources: Sequence[SourceConfig],
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    clock: Clock = utc_now,
) -> list[SourceOutcome]:
    """Refresh several sources concurrently (bounded); one failure never stops the rest."""
    limit = asyncio.Semaphore(settings.config.fetch.concurrency)

    async def one(source: SourceConfig) -> SourceOutcome:
        async with limit:
            return await refresh_source(source, settings, fetcher, store, clock)

    return list(await asyncio.gather(*(one(source) for source in sources)))


class Service:
    """The scheduler half of ``aggregator run``."""

    def __init__(self, settings: Settings, store: Store, *, tick: timedelta = TICK) -> None:
        self.settings = settings
        self.store = store
        self.tick_interval = tick
        self.fetcher = Fetcher(settings.config.fetch)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._in_flight: dict[str, asyncio.Task[SourceOutcome]] = {}
        self._limit = asyncio.Semaphore(settings.config.fetch.concurrency)
        self._dirty = False
        self._stopping = False

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running) and not self._stopping

    async def start(self) -> None:
        """Register sources, publish what the store has, and start the tick job."""
        await asyncio.to_thread(sync_sources, self.store, self.settings)
        await self._publish()
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_interval.total_seconds(),
            next_run_time=utc_now(),
            id="tick",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        log.info("scheduler_started sources=%d", len(enabled_sources(self.settings)))

    async def tick(self) -> None:
        """Start refreshes of the due sources; publish if the last ones changed anything."""
        if self._stopping:
            return
        sources = {s.id: s for s in enabled_sources(self.settings)}
        due = await asyncio.to_thread(self.store.due_sources, list(sources), utc_now())
        for source_id in due:
            if source_id not in self._in_flight:
                task = asyncio.create_task(self._refresh(sources[source_id]))
                self._in_flight[source_id] = task
        if self._dirty:
            self._dirty = False
            await self._publish()

    async def _refresh(self, source: SourceConfig) -> SourceOutcome:
        try:
            async with self._limit:
                outcome = await refresh_source(source, self.settings, self.fetcher, self.store)
            if outcome.changed:
                self._dirty = True
            return outcome
        finally:
            self._in_flight.pop(source.id, None)

    async def _publish(self) -> None:
        try:
            await asyncio.to_thread(publish, self.store, self.settings, utc_now())
            log.info("published path=%s", self.settings.public_dir)
        except Exception:
            log.exception("publish_failed")

    async def stop(self, deadline: float = 10.0) -> None:
        """Stop claiming work, let refreshes in flight finish (up to ``deadline`` seconds),
        publish what they brought, and close the connections."""
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        pending = list(self._in_flight.values())
        if pending:
            _done, not_done = await asyncio.wait(pending, timeout=deadline)
            for task in not_done:
                task.cancel()
            if not_done:
                await asyncio.wait(not_done, timeout=2)
        if self._dirty:
            await self._publish()
        await self.fetcher.aclose()
        log.info("scheduler_stopped")

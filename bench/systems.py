"""The systems under test, one refresh per process so each has its own CPU time and RSS.

    python bench/systems.py ours   --workdir W --urls URLS.json --phase cold [--concurrency 16]
    python bench/systems.py reader --workdir W --urls URLS.json --phase cold [--workers 16]

Prints one JSON object: wall and CPU seconds of the refresh, peak RSS, items stored,
statuses, and (ours) the time of ``publish``. ``cold`` starts from an empty database in
``W``; ``warm`` refreshes the database a cold run left there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Measure:
    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def measured() -> Iterator[Measure]:
    """Wall and process CPU (user + sys, all threads) of the block."""
    result = Measure()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage.ru_utime + usage.ru_stime
    wall0 = time.perf_counter()
    try:
        yield result
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result.wall = time.perf_counter() - wall0
        result.cpu = usage.ru_utime + usage.ru_stime - cpu0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class RunResult:
    system: str
    phase: str
    wall: float
    cpu: float
    items: int
    new_items: int
    statuses: dict[str, int]
    peak_rss_mb: float = 0.0
    publish_wall: float | None = None
    publish_cpu: float | None = None
    setup_wall: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def items_per_s(self) -> float:
        return self.new_items / self.wall if self.wall > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "items_per_s": self.items_per_s}


# -- ours --------------------------------------------------------------------------------


def write_config(
    workdir: Path, urls: list[tuple[str, str, str]], concurrency: int = 16, *, one_host: bool = True
) -> Path:
    """A feeds.yaml in ``workdir`` for the (id, name, url) sources; returns its path.

    ``one_host``: every feed is on 127.0.0.1, so ``per_host`` is lifted to the concurrency;
    with feeds spread over many loopback addresses the default ``per_host`` stays.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    fetch = {
        "allow_private_addresses": "true",
        "concurrency": str(concurrency),
        "timeout": "60s",
        # Bench feeds are on loopback addresses; in real life each is its own host. reader
        # keeps no per-host spacing, and on one host per-host politeness would serialize
        # the whole run.
        "host_spacing": "0s",
    }
    if one_host:
        fetch["per_host"] = str(min(concurrency, 64))
    known = _fetch_fields()
    lines = ["store: store", "output:", "  max_items: 100", "fetch:"]
    lines += [f"  {key}: {value}" for key, value in fetch.items() if key in known]
    lines.append("sources:")
    for source_id, name, url in urls:
        lines += [
            f"  - id: {source_id}",
            f"    name: {json.dumps(name, ensure_ascii=False)}",
            f"    url: {url}",
        ]
    path = workdir / "feeds.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fetch_fields() -> set[str]:
    from aggregator.config import FetchSettings

    return set(FetchSettings.model_fields)


def run_ours(config: Path, phase: str) -> RunResult:
    """One refresh of every source with our pipeline (dedup on), then ``publish``; the
    process set up as ``aggregator`` sets itself up (malloc arenas, GC thresholds)."""
    from aggregator.config import load_settings
    from aggregator.fetch import Fetcher
    from aggregator.memory import collect_cycles_less_often, limit_malloc_arenas
    from aggregator.publish import publish
    from aggregator.scheduler import enabled_sources, refresh_many, sync_sources
    from aggregator.storage import Store

    limit_malloc_arenas()
    collect_cycles_less_often()
    settings = load_settings(config)
    with measured() as setup:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.database_url)
        sync_sources(store, settings)
        before = store.item_count()
    sources = enabled_sources(settings)

    async def refresh() -> list[Any]:
        async with Fetcher(settings.config.fetch) as fetcher:
            return await refresh_many(sources, settings, store, fetcher)

    try:
        with measured() as work:
            outcomes = asyncio.run(refresh())
        with measured() as pub:
            publish(store, settings, datetime.now(UTC))
        items = store.item_count()
    finally:
        store.close()
    statuses = Counter("error" if o.error else str(o.status) for o in outcomes)
    return RunResult(
        system="ours",
        phase=phase,
        wall=work.wall,
        cpu=work.cpu,
        items=items,
        new_items=items - before,
        statuses=dict(statuses),
        publish_wall=pub.wall,
        publish_cpu=pub.cpu,
        setup_wall=setup.wall,
        extra={"errors": [o.error for o in outcomes if o.error][:5]},
    )


# -- reader ------------------------------------------------------------------------------


def run_reader(workdir: Path, urls: list[str], phase: str, workers: int) -> RunResult:
    """One ``update_feeds(workers=N)`` of the lemon24/reader library on the same feeds."""
    from reader import make_reader

    workdir.mkdir(parents=True, exist_ok=True)
    with measured() as setup:
        reader = make_reader(str(workdir / "reader.sqlite"))
        for url in urls:
            reader.add_feed(url, exist_ok=True)
        before = reader.get_entry_counts().total or 0
    try:
        with measured() as work:
            statuses = _reader_update(reader, workers)
        items = reader.get_entry_counts().total or 0
    finally:
        reader.close()
    return RunResult(
        system="reader",
        phase=phase,
        wall=work.wall,
        cpu=work.cpu,
        items=items,
        new_items=items - before,
        statuses=statuses,
        setup_wall=setup.wall,
        extra={"workers": workers},
    )


def _reader_update(reader: Any, workers: int) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for result in reader.update_feeds_iter(scheduled=False, workers=workers):
        value = result.value
        if value is None:
            counts["not_modified"] += 1
        elif isinstance(value, Exception):
            counts["error"] += 1
        else:
            counts["updated"] += 1
    return dict(counts)


def _inline_threads() -> None:
    """Run ``asyncio.to_thread`` work inline on the loop's thread (for profiling only)."""

    async def inline(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    asyncio.to_thread = inline  # type: ignore[assignment]


# -- command line ------------------------------------------------------------------------


def _load_urls(path: Path) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in json.loads(path.read_text(encoding="utf-8"))]  # type: ignore[misc]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run one refresh of one system.")
    parser.add_argument("system", choices=("ours", "reader"))
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--urls", type=Path, required=True, help="JSON [[id, name, url], ...]")
    parser.add_argument("--phase", default="cold")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=16, help="reader: update threads")
    parser.add_argument("--profile", type=Path, help="ours: write cProfile stats here")
    args = parser.parse_args(argv)
    for name in ("aggregator", "reader"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    sources = _load_urls(args.urls)
    run: Callable[[], RunResult]
    if args.system == "ours":
        config = args.workdir / "feeds.yaml"
        if not config.exists():
            write_config(args.workdir, sources, args.concurrency)

        def run() -> RunResult:
            return run_ours(config, args.phase)
    else:

        def run() -> RunResult:
            return run_reader(
                args.workdir, [url for _, _, url in sources], args.phase, args.workers
            )

    if args.profile:
        import cProfile

        _inline_threads()  # cProfile sees only the thread it runs in
        profiler = cProfile.Profile()
        result = profiler.runcall(run)
        profiler.dump_stats(str(args.profile))
    else:
        result = run()
    result.peak_rss_mb = peak_rss_mb()
    json.dump(result.to_json(), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

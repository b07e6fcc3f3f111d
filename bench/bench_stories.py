"""The story step at scale: per-item cost of the candidate lookup and the decision with
10k, 100k and 1M items stored in SQLite (issue 4), and the process's memory.

Run: .venv/bin/python bench/bench_stories.py [--sizes 10000,100000,1000000] [--db PATH]

Items arrive at a constant rate (``--per-day``, default 3,000: about 1,000 feeds × 3 a
day), as a long-running service accumulates them: a bigger store holds more days, not more
items per day. The stored items get synthetic story features (a Zipf vocabulary, names,
numbers and the day's date), written straight into the tables the pipeline fills
(``items``, ``stories``, ``story_keys``, ``term_stats``). Each probe is a new item (half
of them retellings of a stored item of the last 3 days, half fresh); its story step is
exactly what ``Store.save_items`` runs: ``candidates()`` (the indexed lookup) and the
pipeline's ``StoryDecision``; the probe is rolled back so the store does not grow.

Two figures per size, in one fresh process, after the decision's story window is filled
from the database (every item of the last 72 hours, timed apart: ``fill_window_s``):
cold (its first probes make every candidate's sets, shapes and profiles) and warm (after
2,000 more probes, untimed, as in a service that has been running). ``--per-day 17000``
puts 50,000 items in one 72-hour window.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from aggregator import dedup
from aggregator.config import DedupConfig
from aggregator.memory import collect_cycles_less_often, limit_malloc_arenas
from aggregator.pipeline import StoryDecision
from aggregator.storage import (
    SourceRow,
    Store,
    TermCounts,
    Waiting,
    items,
    stories,
    story_keys,
)
from aggregator.storage.schema import DOCUMENTS, term_stats
from aggregator.storage.storyindex import candidates, fill_window, story_id_for

START = datetime(2025, 1, 1, tzinfo=UTC)
VOCABULARY = 50_000
SOURCES = 200
WARM_UP = 2000
"""New items probed, untimed, between the cold and the warm figures."""


class Generator:
    """Synthetic items whose features look like real ones (sizes and skew)."""

    def __init__(self, seed: int, per_day: int) -> None:
        self.rng = random.Random(seed)
        self.per_day = per_day
        weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
        self.words = [f"w{n}" for n in range(VOCABULARY)]
        self.cumulative = list(_accumulate(weights))

    def terms(self, count: int) -> set[str]:
        return set(self.rng.choices(self.words, cum_weights=self.cumulative, k=count))

    def features(
        self, published: datetime, base: dedup.StoryFeatures | None = None
    ) -> dedup.StoryFeatures:
        rng = self.rng
        if base is not None:  # a retelling: most of the base's terms, some new ones
            keep = lambda values: frozenset(v for v in values if rng.random() < 0.7)  # noqa: E731
            terms = keep(base.terms) | frozenset(self.terms(10))
            return dedup.StoryFeatures(
                "ru",
                terms,
                keep(base.title) | frozenset(self.terms(3)),
                base.names,
                base.numbers,
                base.dates,
                base.skeletons,
                base.simhash ^ rng.getrandbits(20),
            )
        names = frozenset(f"n{rng.randrange(20_000)}" for _ in range(3))
        return dedup.StoryFeatures(
            language="ru",
            terms=frozenset(self.terms(60)) | names,
            title=frozenset(self.terms(6)),
            names=names,
            numbers=frozenset(str(rng.randrange(10_000)) for _ in range(2)),
            dates=frozenset({published.strftime("%m%d")}),
            skeletons=frozenset(f"k{rng.randrange(20_000)}" for _ in range(2)),
            simhash=rng.getrandbits(64),
        )

    def published(self, index: int) -> datetime:
        return START + timedelta(days=index / self.per_day, seconds=self.rng.randrange(3600))


def _accumulate(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def fill(store: Store, generator: Generator, start: int, stop: int) -> None:
    """Store items ``start``..``stop`` (bulk, one transaction per 20k)."""
    now = datetime.now(UTC)
    df: dict[str, int] = {}
    for chunk_start in range(start, stop, 20_000):
        chunk = range(chunk_start, min(stop, chunk_start + 20_000))
        item_rows, story_rows, key_rows = [], [], []
        for n in chunk:
            published = generator.published(n)
            features = generator.features(published)
            source = f"s{n % SOURCES}"
            story = story_id_for(source, f"guid:{n}")
            item_rows.append(
                {
                    "id": n + 1,
                    "source_id": source,
                    "key": f"guid:{n}",
                    "story_id": story,
                    "title": f"item {n}",
                    "content_html": "",
                    "text": "",
                    "summary": "",
                    "content_hash": str(n),
                    "published": published,
                    "first_seen": now,
                    "changed_at": now,
                    "features": features.to_json(),
                }
            )
            story_rows.append(
                {
                    "id": story,
                    "representative_id": n + 1,
                    "published": published,
                    "updated": published,
                }
            )
            key_rows += [
                {"key": key, "item_id": n + 1, "published": published}
                for key in dedup.index_keys(features)
            ]
            for term in dedup.term_keys(features):
                df[term] = df.get(term, 0) + 1
        with store.engine.begin() as connection:
            connection.execute(items.insert(), item_rows)
            connection.execute(stories.insert(), story_rows)
            connection.execute(story_keys.insert(), key_rows)
    with store.engine.begin() as connection:
        existing = dict(connection.execute(sa.select(term_stats.c.term, term_stats.c.df)).all())
        connection.execute(term_stats.delete())
        merged = {**existing}
        for term, count in df.items():
            merged[term] = merged.get(term, 0) + count
        merged[DOCUMENTS] = existing.get(DOCUMENTS, 0) + (stop - start)
        connection.execute(term_stats.insert(), [{"term": t, "df": c} for t, c in merged.items()])


def probe(
    store: Store, generator: Generator, stored: int, count: int, decision: StoryDecision
) -> dict[str, float]:
    """Median microseconds of the lookup and of the decision for ``count`` new items, and
    of the step's CPU time (this thread's: robust to other processes sharing the cores,
    which stretch the wall-clock figures)."""
    window = timedelta(hours=72)
    lookups, decisions, found, cpu = [], [], [], []
    latest = generator.published(stored)
    for n in range(count):
        base = None
        if n % 2 == 0:
            with store.engine.connect() as connection:
                row = connection.execute(
                    sa.select(items.c.features).where(
                        items.c.id == stored - generator.rng.randrange(1, 3 * generator.per_day)
                    )
                ).first()
            base = dedup.StoryFeatures.from_json(row[0]) if row else None
        features = generator.features(latest, base)
        item = _probe_item(features, latest, n)
        with store.engine.connect() as connection, connection.begin() as transaction:
            counts = TermCounts(connection, store.term_cache)
            cpu_started = time.thread_time()
            started = time.perf_counter()
            keys = decision.lookup_keys(item, counts)
            rows = candidates(
                connection,
                keys,
                latest,
                window,
                decision.settings.max_candidates,
                decision.members,
            )
            middle = time.perf_counter()
            decision(item, rows, counts)
            ended = time.perf_counter()
            cpu.append((time.thread_time() - cpu_started) * 1e6)
            transaction.rollback()
        lookups.append((middle - started) * 1e6)
        decisions.append((ended - middle) * 1e6)
        found.append(len(rows))
    return {
        "lookup_us": statistics.median(lookups),
        "decide_us": statistics.median(decisions),
        "step_us": statistics.median(a + b for a, b in zip(lookups, decisions, strict=True)),
        "candidates": statistics.mean(found),
        "step_cpu_us": statistics.median(cpu),
    }


def _probe_item(features: dedup.StoryFeatures, published: datetime, n: int) -> Waiting:
    """A new item as the story step decides it (stored, its story not decided yet)."""
    key = f"guid:probe{n}"
    story_id = story_id_for("probe", key)
    keys = tuple(dedup.index_keys(features))
    return Waiting(0, story_id, "probe", key, published, features.to_json(), keys)


def probe_in_subprocess(args: argparse.Namespace, database: Path, stored: int) -> dict[str, float]:
    """Probe in a fresh process, so that its peak RSS is the story step's alone."""
    command = [
        sys.executable,
        __file__,
        "--probe-only",
        str(stored),
        "--db",
        str(database),
        "--probes",
        str(args.probes),
        "--per-day",
        str(args.per_day),
        "--seed",
        str(args.seed + stored),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def peak_rss_mb() -> float:
    """This process's peak RSS since exec (VmHWM): ru_maxrss would also count the pages
    the parent had when it forked us, i.e. the filling process's memory."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe_in_this_process(args: argparse.Namespace) -> None:
    limit_malloc_arenas()  # set up as the service's process is
    collect_cycles_less_often()
    store = Store.open(f"sqlite:///{args.db}")
    generator = Generator(args.seed, args.per_day)
    decision = StoryDecision(DedupConfig())
    started = time.perf_counter()
    with store.engine.connect() as connection:  # what a new process does on its first item
        since = generator.published(args.probe_only) - timedelta(hours=72)
        fill_window(connection, decision.window, since)
    fill_window_s = time.perf_counter() - started
    figures = probe(store, generator, args.probe_only, args.probes, decision)
    # Warm: after WARM_UP more new items, as in a service that has been running (the
    # window's candidates read and parsed, their weights and counts remembered).
    probe(store, generator, args.probe_only, WARM_UP, decision)
    warm = probe(store, generator, args.probe_only, args.probes, decision)
    figures.update({f"warm_{name}": value for name, value in warm.items()})
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["fill_window_s"] = fill_window_s
    figures["window_items"] = len(decision.window)
    store.close()
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--per-day", type=int, default=3000)
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--probe-only", type=int, default=None, metavar="STORED", help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.probe_only is not None:
        probe_in_this_process(args)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="bench-stories-"))
    database = args.db or folder / "stories.db"
    store = Store.open(f"sqlite:///{database}")
    store.sync_sources(
        [SourceRow(f"s{n}", f"Source {n}", f"https://s{n}.kz/rss") for n in range(SOURCES)]
        + [SourceRow("probe", "Probe", "https://p.kz/")]
    )
    generator = Generator(args.seed, args.per_day)
    results, stored = [], 0
    for size in sizes:
        started = time.perf_counter()
        fill(store, generator, stored, size)
        stored = size
        fill_s = time.perf_counter() - started
        figures = probe_in_subprocess(args, database, size)
        results.append(
            {
                "stored": size,
                **figures,
                "fill_s": fill_s,
                "db_mb": database.stat().st_size / 1e6,
            }
        )
        print(json.dumps(results[-1]), flush=True)
    base = results[0]["step_us"]
    print(
        f"\n{'stored':>9} {'lookup µs':>10} {'decide µs':>10} {'step µs':>9} {'×10k':>6} "
        f"{'warm lookup':>12} {'warm decide':>12} {'warm step':>10} "
        f"{'cands':>6} {'RSS MB':>7} {'DB MB':>7} {'window':>7} {'fill s':>6} "
        f"{'CPU µs':>8} {'warm CPU':>8}"
    )
    for row in results:
        print(
            f"{row['stored']:>9,} {row['lookup_us']:>10.0f} {row['decide_us']:>10.0f} "
            f"{row['step_us']:>9.0f} {row['step_us'] / base:>6.2f} "
            f"{row['warm_lookup_us']:>12.0f} {row['warm_decide_us']:>12.0f} "
            f"{row['warm_step_us']:>10.0f} {row['candidates']:>6.1f} "
            f"{row['peak_rss_mb']:>7.0f} {row['db_mb']:>7.0f} "
            f"{row['window_items']:>7,} {row['fill_window_s']:>6.1f} "
            f"{row['step_cpu_us']:>8.0f} {row['warm_step_cpu_us']:>8.0f}"
        )
    store.close()


if __name__ == "__main__":
    main()

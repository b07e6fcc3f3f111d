"""The parse stage alone: CPU time of ``parse_feed`` over ``lxml.etree.fromstring``'s on
the bench corpus's XML feeds (issue 16: within 2×), and of parse + normalize per item.

    .venv/bin/python bench/bench_parse.py --corpus /tmp/corpus [--passes 5] [--normalize]

The corpus is made by ``bench/corpus.py`` (1000 × 10 when the folder is empty). CPU time
(``time.process_time``), the least of ``--passes`` interleaved passes of each after a
warm-up: the machine is shared, and the least disturbed pass is the one that counts.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from math import inf
from pathlib import Path

from lxml import etree

from aggregator.normalize import normalize_entry
from aggregator.parse import parse_feed

sys.path.insert(0, str(Path(__file__).parent))

import corpus

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def load_xml(root: Path, limit_mb: float) -> list[tuple[bytes, str]]:
    """The XML feeds among the corpus's first ``limit_mb`` MB, as ``run.py`` takes them."""
    if not (root / "manifest.json").exists():
        corpus.generate(root, feeds=1000, items=10)
    rows = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["feed_list"]
    docs: list[tuple[bytes, str]] = []
    size = 0
    for row in rows:
        if size >= limit_mb * 1e6:
            break
        body = (root / row["path"]).read_bytes()
        size += len(body)
        if row["format"] != "json":
            docs.append((body, row["content_type"]))
    return docs


def cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--parse-mb", type=float, default=30.0)
    p.add_argument("--passes", type=int, default=5)
    p.add_argument("--normalize", action="store_true", help="also time parse + normalize")
    p.add_argument("--profile", action="store_true", help="cProfile one pass of parse_feed")
    args = p.parse_args(argv)
    xml = load_xml(args.corpus, args.parse_mb)

    def ours() -> None:
        for body, content_type in xml:
            parse_feed(body, content_type=content_type)

    def lxml() -> None:
        for body, _ in xml:
            etree.fromstring(body)

    def stage() -> None:
        for body, content_type in xml:
            parsed = parse_feed(body, content_type=content_type)
            for entry in parsed.entries:
                normalize_entry(entry, source_id="s", now=NOW, feed_language=parsed.language)

    parsed = [parse_feed(b, content_type=ct) for b, ct in xml]  # warm-up
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(ours)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    best = {"parse_feed": inf, "lxml": inf, "parse+normalize": inf}
    for _ in range(args.passes):
        best["parse_feed"] = min(best["parse_feed"], cpu_seconds(ours))
        best["lxml"] = min(best["lxml"], cpu_seconds(lxml))
        if args.normalize:
            best["parse+normalize"] = min(best["parse+normalize"], cpu_seconds(stage))
    entries = sum(len(f.entries) for f in parsed)
    fast = sum(f.parser == "fast" for f in parsed)
    mb = sum(len(b) for b, _ in xml) / 1e6
    print(f"{len(xml)} XML feeds ({fast} on the fast path), {entries:,} entries, {mb:.1f} MB")
    for name, seconds in best.items():
        if seconds < inf:
            print(f"{name}: {seconds * 1e3:.0f} ms CPU ({seconds / entries * 1e6:.1f} µs/entry)")
    print(f"parse_feed / lxml: {best['parse_feed'] / best['lxml']:.2f}×")


if __name__ == "__main__":
    main()

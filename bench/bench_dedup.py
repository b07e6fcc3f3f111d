"""Per-item cost of aggregator.dedup: extract_features and choose_story (50 candidates).

Run: .venv/bin/python bench/bench_dedup.py
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.dedup import Candidate, CorpusStats, DedupSettings, choose_story, extract_features

EVAL = Path(__file__).parent.parent / "tests" / "data" / "stories" / "eval.json"


def main() -> None:
    raw = json.loads(EVAL.read_text(encoding="utf-8"))["items"]
    t0 = time.perf_counter()
    feats = [extract_features(r["title"], r["text"], r["language"]) for r in raw]
    cold = (time.perf_counter() - t0) / len(raw)
    t0 = time.perf_counter()
    for r in raw:
        extract_features(r["title"], r["text"], r["language"])
    warm = (time.perf_counter() - t0) / len(raw)
    stats = CorpusStats()
    for f in feats:
        stats.add(f)
    now = datetime(2025, 11, 25, tzinfo=UTC)
    config = DedupSettings()
    candidates = [
        Candidate(f"s{i}", f"src{i}", now - timedelta(hours=1), feats[i % len(feats)])
        for i in range(config.max_candidates)
    ]
    rounds = 3
    t0 = time.perf_counter()
    for _ in range(rounds):
        for f in feats:
            choose_story(f, "new", now, candidates, stats, config)
    decide = (time.perf_counter() - t0) / (rounds * len(feats))
    print(f"extract_features: {cold * 1e3:.2f} ms/item cold cache, {warm * 1e3:.3f} ms warm")
    print(f"choose_story vs {len(candidates)} candidates: {decide * 1e3:.3f} ms/item")


if __name__ == "__main__":
    main()

"""Smoke test of the benchmark suite (bench/): corpus → server → our cold and warm refresh.

Runs our side only (``reader`` is not installed in CI); the full comparison is
``python bench/run.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_cold_then_warm_refresh(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus
        import systems
        from server import CorpusServer
    finally:
        sys.path.remove(str(ROOT / "bench"))

    manifest = corpus.generate(tmp_path / "corpus", feeds=5, items=5, seed=3)
    truth = json.loads((tmp_path / "corpus" / "truth.json").read_text(encoding="utf-8"))
    assert len(truth) == 25

    with CorpusServer(tmp_path / "corpus") as server:
        urls = [(f["id"], f["name"], server.url(f["path"])) for f in manifest["feed_list"]]
        config = systems.write_config(tmp_path / "ours", urls, concurrency=4)

        cold = systems.run_ours(config, "cold")
        assert cold.statuses == {"200": 5}
        assert cold.items == cold.new_items == 25
        assert cold.publish_wall is not None

        server.reset_counts()
        warm = systems.run_ours(config, "warm")
        assert warm.statuses == {"304": 5}
        assert warm.new_items == 0
        assert server.snapshot().get("304") == 5


def test_the_shipped_story_scorer_is_what_its_script_trains(tmp_path: Path) -> None:
    """aggregator/data/story_scorer.json is reproduced by bench/train_story_scorer.py from
    the labelled items in the repository: the weights never drift from their source."""
    import subprocess

    out = tmp_path / "scorer.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "train_story_scorer.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    shipped = ROOT / "aggregator" / "data" / "story_scorer.json"
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        shipped.read_text(encoding="utf-8")
    )

"""Smoke test of the benchmark suite (bench/): corpus → server → our cold and warm refresh.

The refresh test runs our side only (``reader`` is not installed in CI); the whole-process
test needs the bench extra and is skipped without it. The full comparison is
``python bench/run.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

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


def test_bench_processes_side_by_side_with_reader(tmp_path: Path) -> None:
    """``bench/run.py --processes`` on a tiny corpus: both systems' cold and warm whole
    processes are timed, and each stored every item (cold: every feed 200, warm: 304)."""
    import subprocess

    pytest.importorskip("reader", reason="the bench extra (reader) is not installed")
    out = tmp_path / "processes.json"
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--processes"]
    command += ["--feeds", "4", "--items", "3", "--runs", "1", "--hosts", "4"]
    command += ["--corpus", str(tmp_path / "corpus"), "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)  # a hang guard

    report = json.loads(out.read_text(encoding="utf-8"))
    for system in ("ours", "reader"):
        for phase, status in (("cold", "200"), ("warm", "304")):
            row = report["summary"][f"{system}:{phase}"]
            assert row["wall"] > 0 and row["cpu"] > 0 and row["max_rss_mb"] > 0
            assert row["peak_rss_mb"] is None or row["peak_rss_mb"] > 0
            assert row["items"] == 12, (system, phase)
            assert row["statuses"][status] == 4, (system, phase)
    assert set(report["ratios"]) == {"cold", "warm"}
    assert report["machine"]["versions"]["reader"]

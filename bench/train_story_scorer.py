"""Train the story scorer: a logistic regression over pair features, from items we
labelled ourselves; writes ``aggregator/data/story_scorer.json``.

Run: .venv/bin/python bench/train_story_scorer.py [--out PATH] [--check]

The items are ``tests/data/stories/eval.json`` and ``bench/story_train.json`` (same
format: ``id``, ``source``, ``language``, ``title``, ``text``, ``published``, ``event``;
items of one ``event`` report one event; an event id's prefix before the first ``-`` is
its family, whose other events are the hard negatives). The pairs are those the story
step can see: two items of different sources within 72 hours. Features are computed by
the package's own :func:`aggregator.dedup.features_of_pair`, with document
frequencies over all the items.

The fit is L2-regularised logistic regression by Newton's method (numpy), positives
and negatives weighted to equal totals. Each model's threshold (one model for
pairs in one language, one for pairs in two) is the middle of the plateau of the best
F0.7 over out-of-fold predictions (folds by event family, so a family's hard negatives are never
seen in training and test at once); the weights written are fitted on all pairs.
``--check`` prints the fitted weights and the out-of-fold figures without writing;
``--extra PATH`` trains on another file of items too, such as
``bench/story_train_same_day.json`` (same-day hard negatives, tried in session 11 and not
in the shipped model: bench/RESULTS.md says why).
"""

from __future__ import annotations

import argparse
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from aggregator.dedup import extract_features, features_of_pair, stats_from
from aggregator.dedup.scorer import FEATURES
from aggregator.dedup.values import DedupSettings

ROOT = Path(__file__).parent.parent
SOURCES = (ROOT / "tests" / "data" / "stories" / "eval.json", ROOT / "bench" / "story_train.json")
OUT = ROOT / "aggregator" / "data" / "story_scorer.json"
WINDOW_HOURS = 72.0
L2 = 1.0
FOLDS = 5
BETA = 0.7
"""Precision of pairs weighs more than recall: the story step joins every story an item
links, so a pair missed is often joined through a third item, while a wrong link merges
two stories whole."""
PLATEAU = 0.03
"""F-beta this close to the best counts as the best (see :func:`best_threshold`): the
thresholds that maximise F1 (0.60 here) or F0.7 (0.89) sit at the ends of a flat
plateau, and moved the dev split of others' labels between precision 0.92 / recall 0.91
and 1.00 / 0.70."""


def load_items(extra: tuple[Path, ...] = ()) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for path in SOURCES + extra:
        items += json.loads(path.read_text(encoding="utf-8"))["items"]
    return items


def pairs(items: list[dict[str, object]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features, labels and the family of each pair within the window."""
    features = [
        extract_features(str(i["title"]), str(i["text"]), str(i["language"])) for i in items
    ]
    published = [datetime.fromisoformat(str(i["published"])).astimezone(UTC) for i in items]
    stats = stats_from(features)
    settings = DedupSettings()
    rows, labels, families = [], [], []
    for a, b in itertools.combinations(range(len(items)), 2):
        hours = abs((published[a] - published[b]).total_seconds()) / 3600
        if hours > WINDOW_HOURS or items[a]["source"] == items[b]["source"]:
            continue
        rows.append(features_of_pair(features[a], features[b], hours, stats, settings))
        labels.append(float(items[a]["event"] == items[b]["event"]))
        families.append(_family(items[a]) + "|" + _family(items[b]))
    return np.array(rows), np.array(labels), families


def _family(item: dict[str, object]) -> str:
    return str(item["event"]).split("-")[0]


def fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2-regularised logistic regression, positives and negatives weighted alike."""
    positive = y.sum()
    sample = np.where(y == 1, len(y) / (2 * positive), len(y) / (2 * (len(y) - positive)))
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (sample * (p - y)) + L2 * w
        hessian = (x.T * (sample * p * (1 - p))) @ x + L2 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def out_of_fold(x: np.ndarray, y: np.ndarray, families: list[str]) -> np.ndarray:
    """Each pair's probability from a model fitted without its families."""
    names = sorted({f for pair in families for f in pair.split("|")})
    fold_of = {name: n % FOLDS for n, name in enumerate(names)}
    predicted = np.zeros(len(y))
    for fold in range(FOLDS):
        held = np.array([any(fold_of[f] == fold for f in pair.split("|")) for pair in families])
        w = fit(x[~held], y[~held])
        predicted[held] = 1.0 / (1.0 + np.exp(-(x[held] @ w)))
    return predicted


def best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The middle of the probabilities whose F-beta of the pairs is within ``PLATEAU`` of
    the best: out of fold F-beta is flat over a wide range, and its middle is the choice
    least moved by text that scores a little higher or lower than ours."""
    grid = np.arange(0.30, 0.97, 0.01)
    scores = []
    for t in grid:
        precision, recall = _pairwise(p >= t, y)
        f = (1 + BETA**2) * precision * recall / (BETA**2 * precision + recall) if recall else 0.0
        scores.append(f)
    best = max(scores)
    near = [float(t) for t, f in zip(grid, scores, strict=True) if f >= best - PLATEAU]
    return (min(near) + max(near)) / 2


def _pairwise(linked: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    hit = float((linked & (y == 1)).sum())
    said = float(linked.sum())
    return (hit / said if said else 1.0), (hit / y.sum() if y.sum() else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="print, do not write")
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        help="another file of items to train on too (to try it: see bench/RESULTS.md)",
    )
    args = parser.parse_args()
    items = load_items(tuple(args.extra))
    x, y, families = pairs(items)
    print(f"{len(items)} items, {len(y)} pairs ({int(y.sum())} positive)")
    cross = x[:, FEATURES.index("cross_language")] == 1
    models = {}
    for kind, rows in (("same", ~cross), ("cross", cross)):
        xs, ys = x[rows], y[rows]
        fs = [f for f, keep in zip(families, rows, strict=True) if keep]
        oof = out_of_fold(xs, ys, fs)
        threshold = best_threshold(oof, ys)
        precision, recall = _pairwise(oof >= threshold, ys)
        w = fit(xs, ys)
        print(
            f"{kind}: {len(ys)} pairs ({int(ys.sum())} positive), out of fold: threshold "
            f"{threshold:.2f} precision {precision:.3f} recall {recall:.3f}"
        )
        for name, weight in zip(FEATURES, w, strict=True):
            print(f"  {name:24} {weight:+.3f}")
        models[kind] = {
            "weights": [round(float(v), 5) for v in w],
            "threshold": round(threshold, 2),
            "trained_on": {"pairs": len(ys), "positive": int(ys.sum())},
            "out_of_fold": {"precision": round(precision, 3), "recall": round(recall, 3)},
        }
    if args.check:
        return
    model = {
        "description": "Story scorer: logistic weights over pair features, one model for "
        "pairs in one language and one for pairs in two, written by "
        "bench/train_story_scorer.py from our own labelled items; do not edit by hand.",
        "features": list(FEATURES),
        "items": len(items),
        "models": models,
    }
    args.out.write_text(json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()

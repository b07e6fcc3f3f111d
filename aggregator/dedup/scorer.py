"""The learned pairwise scorer: a logistic regression over pair features.

The weights live in ``aggregator/data/story_scorer.json``, written by
``bench/train_story_scorer.py`` from pairs of items that we labelled ourselves
(``tests/data/stories/eval.json`` and ``bench/story_train.json``). The file names its
features; a file whose names differ from :data:`FEATURES` is refused, so a model and the
code that computes its features cannot drift apart.
"""

from __future__ import annotations

import functools
import json
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

FEATURES: tuple[str, ...] = (
    "same_language",
    "body",
    "title",
    "lead",
    "names",
    "cast_conflict",
    "title_name_conflict",
    "near_copy",
    "numbers_both",
    "numbers_share",
    "lead_numbers_conflict",
    "names_and_lead",
    "title_numbers_conflict",
    "dates_agree",
    "dates_conflict",
    "years_conflict",
    "hours",
    "close_and_alike",
    "cross_language",
    "cross",
    "cross_shared",
    "cross_few",
    "evidence",
    "predicate_shared",
    "predicate_conflict",
)
"""What :func:`aggregator.dedup.decision.pair_features` returns, in this order."""


@dataclass(frozen=True)
class Model:
    """Logistic weights over :data:`FEATURES` and the probability at which two items are
    one event (chosen by the training script on held-out folds, not by hand)."""

    weights: tuple[float, ...]
    threshold: float

    def probability(self, features: Sequence[float]) -> float:
        """P(same event) of one pair's features."""
        z = sum(map(operator.mul, self.weights, features))
        if z < -30.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def upper_probability(self, features: Sequence[float], free: bool = False) -> float:
        """An upper bound of the probability when the features of :data:`BOUNDED` (with
        ``free``, of :data:`FREE_BOUNDED`) hold upper bounds of their values (each is at
        least 0, so a negative weight's least contribution is at 0)."""
        weights = self._free_weights if free else self._upper_weights
        z = sum(map(operator.mul, weights, features))
        return 0.0 if z < -30.0 else 1.0 / (1.0 + math.exp(-z))

    @functools.cached_property
    def _upper_weights(self) -> tuple[float, ...]:
        """The weights with those of :data:`BOUNDED` at least 0 (see
        :meth:`upper_probability`, which runs for every candidate)."""
        return tuple(max(w, 0.0) if i in _BOUNDED_AT else w for i, w in enumerate(self.weights))

    @functools.cached_property
    def _free_weights(self) -> tuple[float, ...]:
        """The weights with those of :data:`FREE_BOUNDED` at least 0."""
        return tuple(max(w, 0.0) if i in _FREE_AT else w for i, w in enumerate(self.weights))


BOUNDED = ("body", "title", "lead", "names", "names_and_lead", "close_and_alike")
"""The features that cost most (weighed set intersections): a first pass bounds them."""
_BOUNDED_AT = frozenset(FEATURES.index(name) for name in BOUNDED)
FREE_BOUNDED = (*BOUNDED, "cast_conflict", "cross")
"""Every feature that needs term weights: a pass before any item is profiled bounds them
all (at 1)."""
_FREE_AT = frozenset(FEATURES.index(name) for name in FREE_BOUNDED)
_CROSS = FEATURES.index("cross_language")


@dataclass(frozen=True)
class Scorer:
    """Two models: pairs in one language, and pairs in two (which share only names,
    figures and dates, so the same weights would not fit both)."""

    same: Model
    cross: Model

    def model(self, features: Sequence[float]) -> Model:
        """The model of a pair (by its ``cross_language`` feature)."""
        return self.cross if features[_CROSS] else self.same


def scorer_from_json(data: str) -> Scorer:
    """A :class:`Scorer` from the training script's JSON; ``ValueError`` when its features
    are not :data:`FEATURES` or a value is missing."""
    try:
        raw = json.loads(data)
        names = tuple(raw["features"])
        models = {
            kind: Model(
                tuple(float(w) for w in raw["models"][kind]["weights"]),
                float(raw["models"][kind]["threshold"]),
            )
            for kind in ("same", "cross")
        }
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"invalid story scorer JSON: {e}") from e
    if names != FEATURES or any(len(m.weights) != len(FEATURES) for m in models.values()):
        raise ValueError(
            f"story scorer features {names} are not {FEATURES}: run bench/train_story_scorer.py"
        )
    return Scorer(models["same"], models["cross"])


@functools.cache
def default_scorer() -> Scorer:
    """The shipped model (``aggregator/data/story_scorer.json``)."""
    path = resources.files("aggregator").joinpath("data/story_scorer.json")
    return scorer_from_json(path.read_text(encoding="utf-8"))

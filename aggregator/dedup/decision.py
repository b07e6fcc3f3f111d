"""The decision: term weights, pair scores and evidence, :func:`similarity` and
:func:`choose_story`."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from aggregator.dedup.keys import CorpusStats, _is_year
from aggregator.dedup.values import Candidate, DedupSettings, StoryFeatures, TermStats


class _Weights:
    """BM25 IDF per term. Weights are shared across decisions while the number of stored
    items stays within 2% of the one they were computed for (they drift slowly, and
    recomputing a logarithm per term per candidate dominated the decision)."""

    _shared: dict[str, float] = {}  # noqa: RUF012 (deliberately shared)
    _shared_n = 0
    _totals: dict[tuple[int, int, float], tuple[frozenset[str], frozenset[str], float]] = {}  # noqa: RUF012

    def __init__(self, stats: TermStats) -> None:
        self._stats = stats
        self._n = max(stats.document_count(), 1)
        if abs(self._n - _Weights._shared_n) > 0.02 * max(_Weights._shared_n, 50):
            _Weights._shared = {}
            _Weights._totals = {}
            _Weights._shared_n = self._n
        self._cache = _Weights._shared
        if len(self._cache) > 500_000:
            self._cache.clear()
        if len(_Weights._totals) > 50_000:
            _Weights._totals.clear()

    def __call__(self, term: str) -> float:
        weight = self._cache.get(term)
        if weight is None:
            df = min(self._stats.document_frequency(term), self._n)
            weight = math.log(1.0 + (self._n - df + 0.5) / (df + 0.5))
            self._cache[term] = weight
        return weight

    def total(self, terms: Iterable[str], boosted: frozenset[str], boost: float) -> float:
        get = self._cache.get
        total = 0.0
        for term in terms:
            weight = get(term)
            if weight is None:
                weight = self(term)
            total += weight * boost if term in boosted else weight
        return total

    def own_total(self, terms: frozenset[str], names: frozenset[str], boost: float) -> float:
        """``total(terms, names, boost)`` remembered for these very sets: a stored item's
        norm is needed again for every new item it is a candidate of."""
        key = (id(terms), id(names), boost)
        hit = _Weights._totals.get(key)
        if hit is not None and hit[0] is terms and hit[1] is names:
            return hit[2]
        total = self.total(terms, names, boost)
        _Weights._totals[key] = (terms, names, total)  # the sets are kept: ids stay unique
        return total


def _cosine(
    a: frozenset[str],
    b: frozenset[str],
    names: frozenset[str],
    weights: _Weights,
    boost: float,
    own: tuple[frozenset[str], frozenset[str]] | None = None,
) -> float:
    """IDF-weighted cosine of two term sets, names boosted. With ``own`` (each side's own
    names), a side's norm is its cached norm over its own names plus the boost of its
    terms that only the other side names: the same value, far fewer additions."""
    shared = a & b
    if not shared:
        return 0.0
    overlap = weights.total(shared, names, boost)
    if own is None:
        norm_a = weights.total(a, names, boost)
        norm_b = weights.total(b, names, boost)
    else:
        norm_a = _norm(a, own[0], names, weights, boost)
        norm_b = _norm(b, own[1], names, weights, boost)
    norm = math.sqrt(norm_a * norm_b)
    return overlap / norm if norm else 0.0


def _norm(
    terms: frozenset[str],
    own: frozenset[str],
    names: frozenset[str],
    weights: _Weights,
    boost: float,
) -> float:
    extra = terms & (names - own)
    base = weights.own_total(terms, own, boost)
    return base + (boost - 1.0) * sum(weights(t) for t in extra) if extra else base


@functools.lru_cache(maxsize=8192)
def _weighed(features: StoryFeatures) -> tuple[frozenset[str], frozenset[str]]:
    """The body and title term sets a pair score weighs (numbers prefixed with #)."""
    return (
        features.terms | _prefixed(features.numbers, "#"),
        features.title | _prefixed(features.title_numbers, "#"),
    )


def _prefixed(values: frozenset[str], prefix: str) -> frozenset[str]:
    return frozenset(prefix + v for v in values)


def _salient(numbers: frozenset[str]) -> frozenset[str]:
    """Numbers that identify an event: not years, not single digits."""
    return frozenset(n for n in numbers if not _is_year(n) and (len(n) > 1 or "." in n))


@functools.lru_cache(maxsize=100_000)
def _rounded(number: str) -> tuple[str, ...]:
    """A number and its whole roundings: "71,12%" and "более 71%" agree."""
    if "." not in number:
        return (number,)
    value = float(number)
    return (number, str(math.floor(value)), str(round(value)))


def _loose(numbers: frozenset[str]) -> set[str]:
    return {r for n in numbers for r in _rounded(n)}


def _evidence(a: StoryFeatures, b: StoryFeatures, s: DedupSettings) -> float:
    """Multiplier from dates and numbers: < 1 when they disagree, > 1 when they agree."""
    factor = 1.0
    if a.dates and b.dates and not a.dates & b.dates:
        factor *= s.date_conflict
    na, nb = _salient(a.numbers), _salient(b.numbers)
    if na and nb:
        shared = _loose(na) & _loose(nb)
        if not shared:
            factor *= s.number_conflict
        else:
            factor *= 1.0 + s.number_bonus * min(1.0, len(shared) / min(len(na), len(nb)))
    only_a = (a.title & a.names) - b.names
    only_b = (b.title & b.names) - a.names
    if only_a and only_b and a.language == b.language:
        factor *= s.name_conflict  # "жителей Тараза" vs "жителей Атырау"
    ta, tb = _salient(a.title_numbers), _salient(b.title_numbers)
    if ta and tb and (not _loose(ta) & _loose(nb | tb) or not _loose(tb) & _loose(na | ta)):
        factor *= s.number_conflict
    return factor


def _cast(a: StoryFeatures, b: StoryFeatures, weights: _Weights, s: DedupSettings) -> float:
    """Retellings keep the event's people and places. Two items that each name at least
    three rare ones (weight above the median) and share none report different events,
    however alike their wording ("инфляция составила…" quoting different officials)."""
    rare_a = {n for n in a.names if weights(n) >= _RARE_NAME}
    rare_b = {n for n in b.names if weights(n) >= _RARE_NAME}
    if len(rare_a) >= 3 and len(rare_b) >= 3 and not rare_a & rare_b:
        return s.cast_conflict
    return 1.0


_RARE_NAME = 4.0
"""BM25 IDF above which a name is rare (in ~2% of items or fewer)."""


def _pair_score(a: StoryFeatures, b: StoryFeatures, weights: _Weights, s: DedupSettings) -> float:
    if a.language != b.language:
        return _cross_language_score(a, b, weights, s)
    # A near-copy needs no term weights, but formulaic reports are near-copies of each
    # other too ("Курс доллара на 25 ноября"), so dates and numbers still apply.
    evidence = _evidence(a, b, s) * _cast(a, b, weights, s)
    if bin(a.simhash ^ b.simhash).count("1") <= s.near_copy_bits and evidence >= 1.0:
        return 1.0  # a near-copy that no date, number or name contradicts
    names = a.names | b.names
    body_a, title_a = _weighed(a)
    body_b, title_b = _weighed(b)
    own = (a.names, b.names)
    body = _cosine(body_a, body_b, names, weights, s.name_boost, own)
    title = _cosine(title_a, title_b, names, weights, s.name_boost, own)
    score = s.body_weight * body + (1.0 - s.body_weight) * title
    return min(1.0, score * evidence)


def _cross_language_score(
    a: StoryFeatures, b: StoryFeatures, weights: _Weights, s: DedupSettings
) -> float:
    """Names (skeletons), numbers and dates: all that survives translation."""
    keys_a = _prefixed(a.skeletons, "~") | _prefixed(_salient(a.numbers), "#")
    keys_b = _prefixed(b.skeletons, "~") | _prefixed(_salient(b.numbers), "#")
    if len(keys_a & keys_b) < 3:
        return 0.0
    score = _cosine(keys_a, keys_b, frozenset(), weights, 1.0)
    return min(1.0, score * _evidence(a, b, s))


def similarity(
    a: StoryFeatures, b: StoryFeatures, stats: TermStats, settings: DedupSettings
) -> float:
    """0..1 score that ``a`` and ``b`` report the same event (time not considered)."""
    return max(0.0, min(1.0, _pair_score(a, b, _Weights(stats), settings)))


def _hours_apart(x: datetime, y: datetime) -> float:
    return abs((x - y).total_seconds()) / 3600.0


def _time_factor(hours: float, settings: DedupSettings) -> float:
    """Retellings follow within hours; a day or more apart is weak evidence against."""
    return 1.0 if hours <= 20.0 else 1.0 - settings.day_penalty * min(hours / 24.0, 3.0) / 3.0


def _story_scores(
    new: StoryFeatures,
    new_published: datetime,
    candidates: Iterable[Candidate],
    weights: _Weights,
    settings: DedupSettings,
) -> Iterator[tuple[str, float, float]]:
    """(story, score, score relative to its threshold) of each candidate."""
    for cand in candidates:
        score = _pair_score(new, cand.features, weights, settings)
        score *= _time_factor(_hours_apart(new_published, cand.published), settings)
        limit = settings.threshold
        if new.language != cand.features.language:
            limit = settings.cross_language_threshold
        yield cand.story_id, score, score / limit


def choose_story(
    new: StoryFeatures,
    new_source_id: str,
    new_published: datetime,
    candidates: Sequence[Candidate],
    stats: TermStats,
    settings: DedupSettings,
) -> str | None:
    """The story_id the new item joins, or None for a new story.

    Only candidates within ``settings.window_hours`` of ``new_published`` count, and
    never one of the new item's own source. With ``settings.exclusive_sources`` a story
    that already holds an item of this source is not joined either: an outlet reports
    an event once, so a second item of it is a follow-up or another event. A story's
    score is its best-scoring member; ties go to the earlier candidate in the sequence.
    """
    in_window = [
        c
        for c in candidates[: settings.max_candidates]
        if _hours_apart(new_published, c.published) <= settings.window_hours
    ]
    blocked = {c.story_id for c in in_window if c.source_id == new_source_id}
    if not settings.exclusive_sources:
        blocked = set()
    others = [c for c in in_window if c.source_id != new_source_id and c.story_id not in blocked]
    scores: dict[str, list[tuple[float, float]]] = {}
    weights = _Weights(stats)
    for story_id, score, ratio in _story_scores(new, new_published, others, weights, settings):
        scores.setdefault(story_id, []).append((score, ratio))
    # A story qualifies on a member above the threshold, but only if the new item also
    # agrees with its members on the whole: one look-alike must not chain other events.
    best = {
        story_id: max(score for score, ratio in found if ratio >= 1.0)
        for story_id, found in scores.items()
        if any(ratio >= 1.0 for _, ratio in found)
        and sum(ratio for _, ratio in found) / len(found) >= settings.linkage
    }
    if not best:
        return None
    return max(best, key=lambda sid: best[sid])


def stats_from(features: Iterable[StoryFeatures]) -> CorpusStats:
    """A :class:`CorpusStats` over the given items (for tests and benchmarks)."""
    stats = CorpusStats()
    for f in features:
        stats.add(f)
    return stats

"""The decision: term weights, pair scores and evidence, :func:`similarity` and
:func:`choose_story`."""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aggregator.dedup.keys import CorpusStats, _is_year
from aggregator.dedup.values import Candidate, DedupSettings, StoryFeatures, TermStats

_RARE_NAME = 4.0
"""BM25 IDF above which a name is rare (in ~2% of items or fewer)."""
_MIN_CROSS = 3
"""Shared name skeletons and numbers below which two languages' items score 0."""
_MAX_ITEMS = 8192
"""How many items' shapes and profiles are kept (as many as the candidate caches
of storage and the pipeline hold; more costs memory for few hits)."""


@dataclass(frozen=True)
class _Shape:
    """The weight-free part of what a pair score needs of one item: its weighed term
    sets and its event-identifying numbers (computed once per item)."""

    features: StoryFeatures
    numbers: frozenset[str]
    """The body's numbers, prefixed with #: weighed with its terms (``features.terms``)."""
    title: frozenset[str]
    body_names: frozenset[str]
    title_names: frozenset[str]
    salient: frozenset[str]
    loose: frozenset[str]
    title_salient: frozenset[str]
    title_loose: frozenset[str]
    salient_all: frozenset[str]
    """The salient body and title numbers together."""
    loose_all: frozenset[str]
    """Their roundings."""
    cross: frozenset[str]
    """Name skeletons and salient numbers: what survives translation."""


_shapes: dict[int, _Shape] = {}
_V = TypeVar("_V")


def _make_room(cache: dict[int, Any]) -> None:
    """Past ``_MAX_ITEMS``, drop the least recently used tenth (dicts keep insertion
    order, and a hit moves its entry to the end: see :func:`_recent`)."""
    if len(cache) > _MAX_ITEMS:
        for key in list(itertools.islice(cache, _MAX_ITEMS // 10)):
            del cache[key]


def _recent(cache: dict[int, _V], key: int) -> _V | None:
    """The entry of ``key``, moved to the end (the most recently used): the same items
    are candidates again and again while others are seen once. Dropping the oldest
    entries instead, while the parsed features were kept by use, made 88,700 shapes for
    67,000 parsed features at 20,000 items (71,700 now)."""
    found = cache.pop(key, None)
    if found is not None:
        cache[key] = found
    return found


def _shape(f: StoryFeatures) -> _Shape:
    found = _recent(_shapes, id(f))
    if found is not None and found.features is f:
        return found
    _make_room(_shapes)
    numbers = _prefixed(f.numbers, "#")
    salient, title_salient = _salient(f.numbers), _salient(f.title_numbers)
    loose = _loose(salient)
    # Most items state few figures and none in the title: share the sets then (a shape
    # is made for every candidate the caches no longer hold).
    if title_salient:
        title_loose, salient_all = _loose(title_salient), salient | title_salient
        loose_all = _loose(salient_all)
    else:
        title_loose, salient_all, loose_all = title_salient, salient, loose
    salient_numbers = numbers if len(salient) == len(f.numbers) else _prefixed(salient, "#")
    made = _Shape(
        features=f,
        numbers=numbers,
        title=f.title | _prefixed(f.title_numbers, "#") if f.title_numbers else f.title,
        body_names=f.terms & f.names,
        title_names=f.title & f.names,
        salient=salient,
        loose=loose,
        title_salient=title_salient,
        title_loose=title_loose,
        salient_all=salient_all,
        loose_all=loose_all,
        cross=_prefixed(f.skeletons, "~") | salient_numbers if f.skeletons else salient_numbers,
    )
    _shapes[id(f)] = made  # the shape keeps its features alive: ids stay unique
    return made


@dataclass(slots=True)
class _Profile:
    """An item's shape with its sums of weights for one weight generation (each split
    into all terms and its own names, so that a norm with any name boost is one
    multiplication)."""

    shape: _Shape
    body_sum: float
    body_names_sum: float
    title_sum: float
    title_names_sum: float
    cross_sum: float
    rare_names: frozenset[str]


class _Weights:
    """BM25 IDF per term, and each item's :class:`_Profile`. Both are shared across
    decisions while the number of stored items stays within 5% of the one they were
    computed for: weights drift slowly (5% more items add ~0.05 to every rare term's
    weight, ~1% of it), and recomputing them per candidate dominated the decision."""

    _shared: dict[str, float] = {}  # noqa: RUF012 (deliberately shared)
    _shared_n = 0
    _profiles: dict[int, _Profile] = {}  # noqa: RUF012

    def __init__(self, stats: TermStats) -> None:
        self._stats = stats
        self._n = max(stats.document_count(), 1)
        stale = abs(self._n - _Weights._shared_n) > 0.02 * max(_Weights._shared_n, 50)
        if stale or len(_Weights._shared) > 500_000:
            _Weights._shared = {}
            _Weights._profiles = {}
            _Weights._shared_n = self._n
        _make_room(_Weights._profiles)
        self._cache = _Weights._shared

    def __call__(self, term: str) -> float:
        weight = self._cache.get(term)
        if weight is None:
            self._fill((term,))
            weight = self._cache[term]
        return weight

    def _fill(self, *groups: Iterable[str]) -> None:
        """Weigh the terms not weighed yet (``__call__`` inlined: profiles need many)."""
        cache, n, log = self._cache, self._n, math.log
        frequency = self._stats.document_frequency
        for terms in groups:
            for term in terms:
                if term not in cache:
                    df = min(frequency(term), n)
                    cache[term] = log(1.0 + (n - df + 0.5) / (df + 0.5))

    def sum(self, terms: Iterable[str]) -> float:
        """Sum of weights of terms already weighed (those of profiled items)."""
        return sum(map(self._cache.__getitem__, terms))

    def profiled(self, features: StoryFeatures) -> _Profile | None:
        found = _recent(_Weights._profiles, id(features))
        return found if found is not None and found.shape.features is features else None

    def profile(self, features: StoryFeatures) -> _Profile:
        found = self.profiled(features)
        if found is not None:
            return found
        shape = _shape(features)
        self._fill(features.terms, shape.numbers, shape.title, shape.cross, features.names)
        weight = self._cache.__getitem__
        made = _Profile(
            shape=shape,
            body_sum=self.sum(features.terms) + self.sum(shape.numbers),
            body_names_sum=self.sum(shape.body_names),
            title_sum=self.sum(shape.title),
            title_names_sum=self.sum(shape.title_names),
            cross_sum=self.sum(shape.cross),
            rare_names=frozenset(n for n in features.names if weight(n) >= _RARE_NAME),
        )
        _Weights._profiles[id(features)] = made
        return made


def _prefixed(values: frozenset[str], prefix: str) -> frozenset[str]:
    return frozenset(map(sys.intern, [prefix + v for v in values]))  # shared, like the terms


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


def _loose(numbers: frozenset[str]) -> frozenset[str]:
    """The numbers and their roundings (whole numbers are their own: the same set)."""
    if "." not in "".join(numbers):
        return numbers
    return frozenset([r for n in numbers for r in _rounded(n)])


def _agreeing(
    exact_a: frozenset[str],
    loose_a: frozenset[str],
    exact_b: frozenset[str],
    loose_b: frozenset[str],
) -> frozenset[str]:
    """Numbers of either side that the other states exactly or rounded ("71,12%" and
    "более 71%"). Two roundings alone do not agree: 6,4% and 6,8% both round down to 6."""
    return (exact_a & loose_b) | (exact_b & loose_a)


def _evidence(a: _Shape, b: _Shape, s: DedupSettings) -> float:
    """Multiplier from dates and numbers: < 1 when they disagree, > 1 when they agree."""
    fa, fb = a.features, b.features
    factor = 1.0
    if fa.dates and fb.dates and not fa.dates & fb.dates:
        factor *= s.date_conflict
    if a.salient and b.salient:
        shared = _agreeing(a.salient, a.loose, b.salient, b.loose)
        if not shared:
            factor *= s.number_conflict
        else:
            smaller = min(len(a.salient), len(b.salient))
            factor *= 1.0 + s.number_bonus * min(1.0, len(shared) / smaller)
    if fa.language == fb.language and a.title_names - fb.names and b.title_names - fa.names:
        factor *= s.name_conflict  # "жителей Тараза" vs "жителей Атырау"
    if (
        a.title_salient
        and b.title_salient
        and (
            not _agreeing(a.title_salient, a.title_loose, b.salient_all, b.loose_all)
            or not _agreeing(b.title_salient, b.title_loose, a.salient_all, a.loose_all)
        )
    ):
        factor *= s.number_conflict
    return factor


def _cast(a: _Profile, b: _Profile, s: DedupSettings) -> float:
    """Retellings keep the event's people and places. Two items that each name at least
    three rare ones (weight above the median) and share none report different events,
    however alike their wording ("инфляция составила…" quoting different officials)."""
    if len(a.rare_names) >= 3 and len(b.rare_names) >= 3 and not a.rare_names & b.rare_names:
        return s.cast_conflict
    return 1.0


def _pair_score(pa: _Profile, pb: _Profile, weights: _Weights, s: DedupSettings) -> float:
    a, b = pa.shape, pb.shape
    fa, fb = a.features, b.features
    if fa.language != fb.language:
        return _cross_language_score(pa, pb, weights, s)
    # A near-copy needs no term weights, but formulaic reports are near-copies of each
    # other too ("Курс доллара на 25 ноября"), so dates and numbers still apply.
    evidence = _evidence(a, b, s) * _cast(pa, pb, s)
    if (fa.simhash ^ fb.simhash).bit_count() <= s.near_copy_bits and evidence >= 1.0:
        return 1.0  # a near-copy that no date, number or name contradicts
    extra = s.name_boost - 1.0
    only_b, only_a = fb.names - fa.names, fa.names - fb.names
    body_overlap, title_overlap = _overlaps(a, b, weights, extra)
    body = _cosine(
        body_overlap,
        pa.body_sum + extra * (pa.body_names_sum + weights.sum(fa.terms & only_b)),
        pb.body_sum + extra * (pb.body_names_sum + weights.sum(fb.terms & only_a)),
    )
    title = _cosine(
        title_overlap,
        pa.title_sum + extra * (pa.title_names_sum + weights.sum(a.title & only_b)),
        pb.title_sum + extra * (pb.title_names_sum + weights.sum(b.title & only_a)),
    )
    score = s.body_weight * body + (1.0 - s.body_weight) * title
    return min(1.0, score * evidence)


def _overlaps(a: _Shape, b: _Shape, weights: _Weights, extra: float) -> tuple[float, float]:
    """Weight of the body and of the title terms two items share, names boosted by
    ``extra`` (a name on either side counts): the numerators of the pair score and of
    its bound."""
    fa, fb = a.features, b.features
    names = fa.names | fb.names
    terms = fa.terms & fb.terms
    body = (
        weights.sum(terms) + weights.sum(a.numbers & b.numbers) + extra * weights.sum(terms & names)
    )
    title_terms = a.title & b.title
    return body, weights.sum(title_terms) + extra * weights.sum(title_terms & names)


def _cosine(overlap: float, norm_a: float, norm_b: float) -> float:
    """Weighted cosine of two term sets from the weight of their shared terms and each
    side's sum of weights (names boosted on all three alike)."""
    norm = math.sqrt(norm_a * norm_b)
    return overlap / norm if overlap and norm else 0.0


def _cross_language_score(a: _Profile, b: _Profile, weights: _Weights, s: DedupSettings) -> float:
    """Names (skeletons), numbers and dates: all that survives translation."""
    shared = a.shape.cross & b.shape.cross
    if len(shared) < _MIN_CROSS:
        return 0.0
    score = _cosine(weights.sum(shared), a.cross_sum, b.cross_sum)
    return min(1.0, score * _evidence(a.shape, b.shape, s))


def similarity(
    a: StoryFeatures, b: StoryFeatures, stats: TermStats, settings: DedupSettings
) -> float:
    """0..1 score that ``a`` and ``b`` report the same event (time not considered)."""
    weights = _Weights(stats)
    score = _pair_score(weights.profile(a), weights.profile(b), weights, settings)
    return max(0.0, min(1.0, score))


def _hours_apart(x: datetime, y: datetime) -> float:
    return abs((x - y).total_seconds()) / 3600.0


def _time_factor(hours: float, settings: DedupSettings) -> float:
    """Retellings follow within hours; a day or more apart is weak evidence against."""
    return 1.0 if hours <= 20.0 else 1.0 - settings.day_penalty * min(hours / 24.0, 3.0) / 3.0


def _score_bound(
    pa: _Profile, b: _Shape, weights: _Weights, s: DedupSettings, needed: float = 0.0
) -> float:
    """An upper bound of ``_pair_score`` that needs no weights of ``b``'s own: a shared
    term weighs the same on both sides and ``b`` holds them all, so its norm is at least
    the overlap, and a cosine at most sqrt(overlap / the new item's own norm). Evidence
    without the cast (which only lowers a score) bounds the rest.

    The overlap is worked out only when the evidence alone, at the largest overlap
    ratio (the names' boost can lift it to sqrt(boost)), reaches ``needed``: dates and
    numbers that disagree rule out most candidates of one topic, however alike their
    wording (73% of the bench corpus's candidates)."""
    a = pa.shape
    fa, fb = a.features, b.features
    if fa.language != fb.language:
        return 1.0
    evidence = _evidence(a, b, s)
    if (fa.simhash ^ fb.simhash).bit_count() <= s.near_copy_bits and evidence >= 1.0:
        return 1.0
    at_most = evidence * math.sqrt(max(s.name_boost, 1.0 / s.name_boost))
    if at_most < needed:
        return at_most
    extra = s.name_boost - 1.0
    body, title = _overlaps(a, b, weights, extra)
    own_body = pa.body_sum + extra * pa.body_names_sum
    own_title = pa.title_sum + extra * pa.title_names_sum
    bound = s.body_weight * math.sqrt(body / own_body if own_body else 0.0) + (
        1.0 - s.body_weight
    ) * math.sqrt(title / own_title if own_title else 0.0)
    return min(1.0, bound * evidence)


def _hopeful_stories(
    new: _Profile,
    new_published: datetime,
    candidates: Iterable[Candidate],
    weights: _Weights,
    settings: DedupSettings,
) -> set[str]:
    """The stories of which some candidate may reach the threshold: only their members
    are scored in full (most candidates share a rare key and little else, and a full
    score needs the candidate's own weights)."""
    hopeful = set()
    limit = settings.threshold * (1.0 - 1e-9)  # margin for rounding
    for cand in candidates:
        if cand.story_id in hopeful:
            continue
        if new.shape.features.language != cand.features.language:
            # fewer than three shared names and numbers score 0 across languages
            if len(new.shape.cross & _shape(cand.features).cross) >= _MIN_CROSS:
                hopeful.add(cand.story_id)
            continue
        time_factor = _time_factor(_hours_apart(new_published, cand.published), settings)
        needed = limit / time_factor if time_factor > 0 else math.inf
        if _score_bound(new, _shape(cand.features), weights, settings, needed) >= needed:
            hopeful.add(cand.story_id)
    return hopeful


def _story_scores(
    new: StoryFeatures,
    new_published: datetime,
    candidates: Iterable[Candidate],
    weights: _Weights,
    settings: DedupSettings,
) -> Iterator[tuple[str, float, float]]:
    """(story, score, score relative to its threshold) of each candidate."""
    profile = weights.profile(new)
    for cand in candidates:
        score = _pair_score(profile, weights.profile(cand.features), weights, settings)
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
    hopeful = _hopeful_stories(weights.profile(new), new_published, others, weights, settings)
    others = [c for c in others if c.story_id in hopeful]
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

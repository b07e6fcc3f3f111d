"""The decision: term weights, pair scores and evidence, :func:`similarity` and
:func:`choose_story`."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from aggregator.dedup.keys import CorpusStats, _is_year
from aggregator.dedup.scorer import Model, default_scorer
from aggregator.dedup.text import MIN_EVIDENCE, name_skeleton
from aggregator.dedup.values import Candidate, DedupSettings, StoryFeatures, TermStats

_RARE_NAME = 4.0
"""BM25 IDF above which a name is rare (in ~2% of items or fewer)."""
_MAX_SHARED = 6
"""Shared name skeletons and figures of two languages' items counted at most."""
_FEW_SHARED = 3
"""Fewer shared name skeletons and figures than this is a feature of its own: two
languages' items close in time that share one name are rarely one event."""


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
    lead_salient: frozenset[str]
    """The salient numbers of the lead (title and first sentences)."""
    lead_loose: frozenset[str]
    lead_dates: frozenset[str]
    """The dates the lead states (``MMDD``): when the report says it happened."""
    latest_year: str
    """The latest year the item names, or ""."""
    title_skeletons: frozenset[str]


def shape_of(f: StoryFeatures) -> _Shape:
    """The weight-free part of an item's profile (the :class:`StoryWindow` keeps it per
    stored item, across weight generations)."""
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
    return _Shape(
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
        lead_salient=(lead := _salient(frozenset(t[1:] for t in f.lead if t.startswith("#")))),
        lead_loose=_loose(lead),
        lead_dates=frozenset(t[1:] for t in f.lead if t.startswith("@")),
        latest_year=max((n for n in f.numbers if _is_year(n)), default=""),
        title_skeletons=frozenset(k for k in map(name_skeleton, f.title & f.names) if k),
    )


@dataclass(slots=True)
class _Profile:
    """An item's shape with its sums of weights for one weight generation (each split
    into all terms and its own names, so that a norm with any name boost is one
    multiplication)."""

    shape: _Shape
    body_sum: float
    title_sum: float
    cross_sum: float
    lead_sum: float
    names_sum: float
    rare_names: frozenset[str]


_WEIGHTS_HOLD = 0.10
"""Weights (and the profiles made with them) are kept while the count of items stays
within this share of theirs. At 2% a cold refresh of 10,000 items made ~120 generations,
each profiling every candidate again; at 10% the bench corpus's stories and the dev
split's figures did not change."""


class _Weights:
    """BM25 IDF per term, computed once per term for one count of stored items. A
    :class:`~aggregator.dedup.window.StoryWindow` keeps one across decisions (with its
    items' profiles) while the number of stored items stays within
    :data:`_WEIGHTS_HOLD` of the one it was made for (:meth:`holds_for`): weights drift
    slowly (10% more items add ~0.1 to every rare term's weight, ~1.5% of it, and less to
    the cosines, ratios of sums of weights), and recomputing them per candidate dominated
    the decision."""

    def __init__(self, stats: TermStats) -> None:
        self._stats = stats
        self._n = max(stats.document_count(), 1)
        self._cache: dict[str, float] = {}
        self.corpus: object = getattr(stats, "corpus", stats)
        """Whose counts these are: another store's (or corpus's) must not reuse them."""
        # rare: in at most 3 items while the store is small (a weight of 4 is then more
        # than any name can reach), else in ~2% of them or fewer
        self.rare = min(_RARE_NAME, math.log(1.0 + (self._n - 3 + 0.5) / 3.5))

    @classmethod
    def given(cls, documents: int) -> _Weights:
        """Weights that another process makes (:meth:`give`) for ``documents`` items and
        this one takes (:meth:`take`): a term not given is not weighed (``KeyError``)."""
        return cls(_NotGiven(documents))

    def give(self, features: Iterable[StoryFeatures]) -> dict[str, float]:
        """The weights of every term of ``features`` that a profile reads (weighed now
        when not yet): what another process needs to weigh them exactly as this one."""
        terms: set[str] = set()
        for f in features:
            terms.update(f.terms, f.title, f.names, f.lead)
            terms.update(_prefixed(f.numbers | f.title_numbers, "#"))
            terms.update(_prefixed(f.skeletons, "~"))
        self._fill(frozenset(terms))
        cache = self._cache
        return {term: cache[term] for term in terms}

    def take(self, given: dict[str, float]) -> None:
        """Weights another process gave (see :meth:`give`)."""
        self._cache.update(given)

    @property
    def documents(self) -> int:
        return self._n

    def holds_for(self, stats: TermStats) -> bool:
        """Whether these weights may serve a decision reading ``stats``: the same
        corpus, its count of items within :data:`_WEIGHTS_HOLD` of theirs, not too many
        terms weighed."""
        n = max(stats.document_count(), 1)
        same = getattr(stats, "corpus", stats) is self.corpus
        near = abs(n - self._n) <= _WEIGHTS_HOLD * max(self._n, 50)
        return same and near and len(self._cache) < 500_000

    def reading(self, stats: TermStats) -> None:
        """Weigh the terms not weighed yet from ``stats`` (this transaction's view of the
        same corpus; see :meth:`holds_for`)."""
        self._stats = stats

    def __call__(self, term: str) -> float:
        weight = self._cache.get(term)
        if weight is None:
            self._fill(frozenset((term,)))
            weight = self._cache[term]
        return weight

    def _fill(self, *groups: frozenset[str]) -> None:
        """Weigh the terms not weighed yet (``__call__`` inlined: profiles need many; a
        set's difference with the cache is taken in C)."""
        cache, n, log = self._cache, self._n, math.log
        frequency = self._stats.document_frequency
        for terms in groups:
            for term in terms.difference(cache):
                df = min(frequency(term), n)
                cache[term] = log(1.0 + (n - df + 0.5) / (df + 0.5))

    def sum(self, terms: Iterable[str]) -> float:
        """Sum of weights of terms already weighed (those of profiled items)."""
        return sum(map(self._cache.__getitem__, terms))

    def profile(self, features: StoryFeatures, shape: _Shape | None = None) -> _Profile:
        """The item's sums of weights (``shape``: its :func:`shape_of`, if kept)."""
        shape = shape if shape is not None else shape_of(features)
        self._fill(
            features.terms, shape.numbers, shape.title, shape.cross, features.names, features.lead
        )
        weight, rare, total = self._cache.__getitem__, self.rare, self.sum
        return _Profile(
            shape=shape,
            body_sum=total(features.terms) + total(shape.numbers),
            title_sum=total(shape.title),
            cross_sum=total(shape.cross),
            lead_sum=total(features.lead),
            names_sum=total(features.names),
            rare_names=frozenset([n for n in features.names if weight(n) >= rare]),
        )


class _NotGiven:
    """The counts of :meth:`_Weights.given`: the number of items, and no term."""

    def __init__(self, documents: int) -> None:
        self._documents = documents

    def document_count(self) -> int:
        return self._documents

    def document_frequency(self, term: str) -> int:
        raise KeyError(f"term {term!r} was not weighed by the deciding process")


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


def _cosine(overlap: float, norm_a: float, norm_b: float) -> float:
    """Weighted cosine of two term sets from the weight of their shared terms and each
    side's sum of weights (names boosted on all three alike), at most 1: sums of floats
    in another order can put the overlap of identical sets a rounding error above."""
    norm = math.sqrt(norm_a * norm_b)
    return min(overlap / norm, 1.0) if overlap and norm else 0.0


@dataclass(slots=True)
class _PairEvidence:
    """What a pair's features need of its two items but no term weight: computed once a
    pair, then completed with bounds of the weighed cosines (:data:`FREE`,
    :data:`RATIO`) or with the cosines themselves (:data:`EXACT`)."""

    same: bool
    title_names: float
    """Each title names someone the other item never mentions (skeletons across
    languages)."""
    near_copy: float
    figures: list[float]
    lead_conflict: float
    time: float
    cross_shared: frozenset[str]
    evidence: float
    predicate: tuple[float, float]
    """A verb of the leads shared; verbs on both sides and none shared."""


FREE, RATIO, EXACT = "free", "ratio", "exact"
"""How the weighed features of a pair are filled in (:func:`_complete`): at their upper
bound of 1 (no profile needed), bounded by the ratio of the two sides' sums of weights
(no intersection needed), or computed."""


def pair_evidence(a: _Shape, b: _Shape, hours: float, s: DedupSettings) -> _PairEvidence:
    """The weight-free part of the features of two items ``hours`` apart."""
    fa, fb = a.features, b.features
    same = fa.language == fb.language
    if same:
        title_names = bool(a.title_names - fb.names and b.title_names - fa.names)
        near_copy = (fa.simhash ^ fb.simhash).bit_count() <= s.near_copy_bits
        cross_shared: frozenset[str] = frozenset()
    else:  # across languages only the title's names say something of the wording
        skeletons_a, skeletons_b = fa.skeletons, fb.skeletons
        title_names = bool(a.title_skeletons - skeletons_b and b.title_skeletons - skeletons_a)
        near_copy = False
        cross_shared = a.cross & b.cross
    return _PairEvidence(
        same=same,
        title_names=float(title_names),
        near_copy=float(near_copy),
        figures=_figures(a, b),
        lead_conflict=_lead_conflict(a, b),
        time=min(1.0, math.log1p(hours) / math.log1p(72.0)),
        cross_shared=cross_shared,
        evidence=min(1.0, math.log1p(min(len(fa.terms), len(fb.terms))) / math.log1p(100.0)),
        predicate=_predicate(fa.predicates, fb.predicates),
    )


def _predicate(a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
    """Whether two leads share a verb, and whether both have verbs but none in common
    (another event of the same people is told with another verb more often than a
    retelling is)."""
    if not (a and b):
        return 0.0, 0.0
    shared = not a.isdisjoint(b)
    return float(shared), float(not shared)


def _complete(
    e: _PairEvidence,
    how: str,
    pa: _Profile | None = None,
    pb: _Profile | None = None,
    weights: _Weights | None = None,
) -> list[float]:
    """The features of a pair (in the order of :data:`aggregator.dedup.scorer.FEATURES`)
    from its weight-free part and, unless ``how`` is :data:`FREE`, both profiles: with
    :data:`FREE` and :data:`RATIO` the features of
    :data:`aggregator.dedup.scorer.BOUNDED` (and with :data:`FREE` those of
    :data:`aggregator.dedup.scorer.FREE_BOUNDED`) hold upper bounds."""
    body = title = lead = names = cast = cross = 0.0
    if how == FREE:
        if e.same:
            body = title = lead = names = cast = 1.0
        else:
            cross = 1.0
    else:
        assert pa is not None and pb is not None and weights is not None
        if e.same:
            body, title, lead, names = (
                _wording_bounds(pa, pb) if how == RATIO else _wording(pa, pb, weights)
            )
            cast = float(_cast_conflict(pa, pb))
        else:
            cross = _cosine(weights.sum(e.cross_shared), pa.cross_sum, pb.cross_sum)
    figures, time = e.figures, e.time
    if e.same:
        tail = [0.0, 0.0, 0.0, 0.0]
    else:
        count = len(e.cross_shared)
        tail = [1.0, cross, min(count, _MAX_SHARED) / _MAX_SHARED, float(count < _FEW_SHARED)]
    return [
        1.0 if e.same else 0.0,
        body,
        title,
        lead,
        names,
        cast,
        e.title_names,
        e.near_copy,
        *figures[:2],
        e.lead_conflict,
        names * lead,
        *figures[2:],
        time,
        (1.0 - time) * max(body, cross),
        *tail,
        e.evidence,
        *e.predicate,
    ]


def _wording(pa: _Profile, pb: _Profile, weights: _Weights) -> tuple[float, float, float, float]:
    """Same-language cosines: body, title, lead and names (IDF-weighted; names weigh
    through their own cosine)."""
    a, b = pa.shape, pb.shape
    fa, fb = a.features, b.features
    shared = weights.sum(fa.terms & fb.terms) + weights.sum(a.numbers & b.numbers)
    return (
        _cosine(shared, pa.body_sum, pb.body_sum),
        _cosine(weights.sum(a.title & b.title), pa.title_sum, pb.title_sum),
        _cosine(weights.sum(fa.lead & fb.lead), pa.lead_sum, pb.lead_sum),
        _cosine(weights.sum(fa.names & fb.names), pa.names_sum, pb.names_sum),
    )


def _wording_bounds(pa: _Profile, pb: _Profile) -> tuple[float, float, float, float]:
    """:func:`_wording` with each cosine replaced by a bound that needs no intersection:
    the shared weight is at most the smaller side's sum, so a cosine is at most the
    square root of the ratio of the two sums."""
    return (
        _ratio_bound(pa.body_sum, pb.body_sum),
        _ratio_bound(pa.title_sum, pb.title_sum),
        _ratio_bound(pa.lead_sum, pb.lead_sum),
        _ratio_bound(pa.names_sum, pb.names_sum),
    )


def _cast_conflict(pa: _Profile, pb: _Profile) -> bool:
    """Each item names three rare names or more, and none of them is the other's."""
    return len(pa.rare_names) >= 3 and len(pb.rare_names) >= 3 and not pa.rare_names & pb.rare_names


def _ratio_bound(x: float, y: float) -> float:
    return math.sqrt(min(x, y) / max(x, y)) if x > 0 and y > 0 else 0.0


def _lead_conflict(a: _Shape, b: _Shape) -> float:
    """Figures of the leads that disagree (what each report says first)."""
    return float(
        bool(
            a.lead_salient
            and b.lead_salient
            and not _agreeing(a.lead_salient, a.lead_loose, b.salient_all, b.loose_all)
            and not _agreeing(b.lead_salient, b.lead_loose, a.salient_all, a.loose_all)
        )
    )


def _figures(a: _Shape, b: _Shape) -> list[float]:
    """Figures and dates: both sides quote figures, the share of the fewer that the other
    states too, title figures the other never states, explicit dates that agree or
    disagree, years that disagree ("в 2020 году" against "в 2021 году")."""
    fa, fb = a.features, b.features
    both = bool(a.salient and b.salient)
    share = 0.0
    if both:
        agreeing = _agreeing(a.salient, a.loose, b.salient, b.loose)
        share = min(1.0, len(agreeing) / min(len(a.salient), len(b.salient)))
    title_conflict = bool(
        a.title_salient
        and b.title_salient
        and (
            not _agreeing(a.title_salient, a.title_loose, b.salient_all, b.loose_all)
            or not _agreeing(b.title_salient, b.title_loose, a.salient_all, a.loose_all)
        )
    )
    dates_agree = bool(fa.dates & fb.dates)
    # Only the dates of the leads disagree: a report's later dates are often background
    # ("the contest ran from 25 September to 10 October").
    dates_conflict = bool(
        a.lead_dates
        and b.lead_dates
        and not a.lead_dates & fb.dates
        and not b.lead_dates & fa.dates
    )
    years_conflict = bool(a.latest_year and b.latest_year and a.latest_year != b.latest_year)
    return [
        float(both),
        share,
        float(title_conflict),
        float(dates_agree),
        float(dates_conflict),
        float(years_conflict),
    ]


def pair_features(
    pa: _Profile,
    pb: _Profile,
    hours: float,
    weights: _Weights,
    s: DedupSettings,
    bound: bool = False,
) -> list[float]:
    """The features of a pair, in the order of :data:`aggregator.dedup.scorer.FEATURES`.
    Items in different languages are compared on what survives translation: name
    skeletons, figures and dates. With ``bound``, the costly same-language cosines are
    upper bounds (see :data:`aggregator.dedup.scorer.BOUNDED`)."""
    evidence = pair_evidence(pa.shape, pb.shape, hours, s)
    return _complete(evidence, RATIO if bound else EXACT, pa, pb, weights)


def features_of_pair(
    a: StoryFeatures, b: StoryFeatures, hours: float, stats: TermStats, settings: DedupSettings
) -> list[float]:
    """:func:`pair_features` of two items ``hours`` apart (for training and inspection)."""
    weights = _Weights(stats)
    return pair_features(weights.profile(a), weights.profile(b), hours, weights, settings)


def _probability(
    pa: _Profile, pb: _Profile, hours: float, weights: _Weights, s: DedupSettings
) -> tuple[float, float]:
    """The learned probability of one event, and the threshold of its model."""
    features = pair_features(pa, pb, hours, weights, s)
    model = default_scorer().model(features)
    return model.probability(features), model.threshold


def similarity(
    a: StoryFeatures, b: StoryFeatures, stats: TermStats, settings: DedupSettings
) -> float:
    """0..1: the learned probability that ``a`` and ``b`` report the same event, as if
    published at the same time."""
    weights = _Weights(stats)
    return _probability(weights.profile(a), weights.profile(b), 0.0, weights, settings)[0]


def _hours_apart(x: datetime, y: datetime) -> float:
    return abs((x - y).total_seconds()) / 3600.0


def _threshold(own: float, same_language: bool, settings: DedupSettings) -> float:
    """The model's threshold, or the configured one."""
    configured = settings.threshold if same_language else settings.cross_language_threshold
    return configured if configured is not None else own


def has_evidence(features: StoryFeatures) -> bool:
    """Whether an item says enough to join a story: an item without title or text, or
    with only boilerplate, stays its own story."""
    return len(features.terms) >= MIN_EVIDENCE


MERGE_LINKED_STORIES = True
"""Join every qualifying story, merging them, or only the earliest. A story is merged
into the first only when the two stories' own members are one event too
(:func:`_one_event`): merging on the new item's links alone raised recall on the shared
dev split but chained the bench corpus's templated events into stories of hundreds of
items (pairwise precision at 200 × 50: 0.047 with such merging, 0.218 without)."""


def choose_stories(
    new: StoryFeatures,
    new_source_id: str,
    new_published: datetime,
    candidates: Sequence[Candidate],
    stats: TermStats,
    settings: DedupSettings,
) -> list[str]:
    """The stories the new item joins: none (it founds one), one, or several that it
    shows to be one event, which the caller merges into the first.

    Only candidates within ``settings.window_hours`` of ``new_published`` count, never one
    of the new item's own source, and none without evidence (:func:`has_evidence`). With
    ``settings.exclusive_sources`` a story that already holds an item of this source is
    not joined either: an outlet reports an event once, so a second item of it is a
    follow-up or another event. Each candidate gets the learned probability of one event
    (:mod:`aggregator.dedup.scorer`); a story qualifies when one of its members reaches
    its model's threshold and its members' mean share of the threshold reaches
    ``settings.linkage`` (one look-alike must not chain other events).

    The story the item links most strongly (its best member's share of the threshold)
    is chosen first. With :data:`MERGE_LINKED_STORIES`, every other qualifying story
    that is one event with it is joined too (whichever of three retellings comes last
    links the other two); otherwise none. A story sharing an outlet with one already
    chosen is left out (an outlet reports an event once). The stories are returned with
    the one of the earliest member (then the smallest id) first, so that a merged story
    keeps the id readers saw first.
    """
    if not has_evidence(new):
        return []
    weights = _Weights(stats)
    shaped = [
        Shaped(c, shape, functools.partial(weights.profile, c.features, shape))
        for c in candidates
        for shape in (shape_of(c.features),)
    ]
    new_shape = shape_of(new)
    return choose_among(
        new_shape,
        functools.partial(weights.profile, new, new_shape),
        new_source_id,
        new_published,
        shaped,
        weights,
        settings,
    )


class Shaped(NamedTuple):
    """A candidate as :func:`choose_among` takes it: its shape, a function that profiles
    it with the decision's weights, and whether a profile with them is made already (the
    first bound, which needs none, is then skipped)."""

    candidate: Candidate
    shape: _Shape
    profile: Callable[[], _Profile]
    profiled: bool = False
    scored: PairScore | None = None
    """Its pair with the new item, scored ahead (see :mod:`aggregator.dedup.ahead`)."""


class PairScore(NamedTuple):
    """What the decision needs of one pair, whatever the stories: whether the new item
    may reach the threshold with it (a bound), and if so its share of the threshold."""

    hopeful: bool
    ratio: float | None


_BOUND_SLACK = 1e-9
"""A pair is ruled out by a bound this far below its threshold at least (sums of floats
in another order differ by rounding errors)."""


def choose_among(
    new: _Shape,
    new_profile: Callable[[], _Profile],
    new_source_id: str,
    new_published: datetime,
    candidates: Sequence[Shaped],
    weights: _Weights,
    settings: DedupSettings,
    companions: Callable[[set[str]], Sequence[Shaped]] | None = None,
) -> list[str]:
    """:func:`choose_stories` over items already shaped, each with a function that
    profiles it with ``weights`` (what a :class:`~aggregator.dedup.window.StoryWindow`
    runs with the shapes and profiles it keeps). An item not profiled yet is profiled
    only when its pair passes a first bound that needs no weight (:data:`FREE`).
    ``companions``: the other members of the given stories; a story some candidate may
    join is then judged by its members, not only by those that share the new item's
    words (one look-alike in a story of other events must not draw the item in)."""
    if not has_evidence(new.features):
        return []
    in_window = _in_window(candidates[: settings.max_candidates], new_published, settings)
    blocked = _blocked(in_window, new_source_id, settings)
    about = (new_source_id, new_published)
    own = functools.cache(new_profile)
    pairs: list[tuple[Shaped, _Pair | None]] = []
    hopeful: set[str] = set()
    for shaped in in_window:
        scored = shaped.scored
        pair = None if scored is not None else _pair(new, shaped, *about, blocked, settings)
        if (pair is None and scored is None) or shaped.candidate.story_id in blocked:
            continue
        pairs.append((shaped, pair))
        story_id = shaped.candidate.story_id
        if story_id in hopeful:
            continue
        if scored is not None:
            if scored.hopeful:
                hopeful.add(story_id)
        elif pair is not None and _hopeful(pair, shaped.profiled, own, weights):
            hopeful.add(story_id)
    if companions is not None and hopeful:
        others = _in_window(companions(hopeful), new_published, settings)
        hopeful -= _blocked(others, new_source_id, settings)
        for shaped in others:
            pair = _pair(new, shaped, *about, blocked, settings)
            if pair is not None:
                pairs.append((shaped, pair))
    # Only stories of which some member may reach the threshold are scored in full.
    found: dict[str, list[float]] = {}
    profiled: dict[str, list[tuple[Candidate, _Profile]]] = {}
    for shaped, pair in pairs:
        c = shaped.candidate
        if c.story_id in hopeful:
            ratio = shaped.scored.ratio if shaped.scored is not None else None
            if ratio is None:
                pair = pair or _pair(new, shaped, *about, blocked, settings)
                assert pair is not None  # scored ahead: comparable
                ratio = _ratio(pair, own, weights)
            found.setdefault(c.story_id, []).append(ratio)
            profiled.setdefault(c.story_id, []).append((c, shaped.profile()))
    return _chosen(found, profiled, weights, settings)


def score_pair(
    new: _Shape,
    new_profile: Callable[[], _Profile],
    new_source_id: str,
    new_published: datetime,
    shaped: Shaped,
    weights: _Weights,
    settings: DedupSettings,
) -> PairScore | None:
    """The new item's pair with one candidate as :func:`choose_among` scores it, made
    ahead of the decision (None: not comparable). Whether the candidate's story blocks
    the item is the decision's to say (it depends on the stories)."""
    if not has_evidence(new.features):
        return None
    pair = _pair(new, shaped, new_source_id, new_published, set(), settings)
    if pair is None:
        return None
    if not _hopeful(pair, shaped.profiled, new_profile, weights):
        return PairScore(False, None)  # its ratio is rarely needed (another member's hope)
    return PairScore(True, _ratio(pair, new_profile, weights))


def _hopeful(pair: _Pair, profiled: bool, own: Callable[[], _Profile], weights: _Weights) -> bool:
    """Whether the pair may reach its threshold: a first bound needs no weight
    (:data:`FREE`, skipped when the candidate is profiled already), the second no
    intersection (:data:`RATIO`)."""
    _, profile, evidence, model, threshold = pair
    if not profiled:
        free = model.upper_probability(_complete(evidence, FREE), free=True)
        if free < threshold - _BOUND_SLACK:
            return False
    loose = _complete(evidence, RATIO, own(), profile(), weights)
    return model.upper_probability(loose) >= threshold


def _ratio(pair: _Pair, own: Callable[[], _Profile], weights: _Weights) -> float:
    """The pair's probability as a share of its threshold."""
    _, profile, evidence, model, threshold = pair
    p = model.probability(_complete(evidence, EXACT, own(), profile(), weights))
    return p / threshold


def _in_window(
    candidates: Sequence[Shaped], published: datetime, settings: DedupSettings
) -> list[Shaped]:
    return [
        shaped
        for shaped in candidates
        if _hours_apart(published, shaped.candidate.published) <= settings.window_hours
    ]


def _blocked(candidates: Sequence[Shaped], source_id: str, settings: DedupSettings) -> set[str]:
    """The stories holding an item of ``source_id``, not to be joined by another of its
    items (with ``settings.exclusive_sources``)."""
    if not settings.exclusive_sources:
        return set()
    return {s.candidate.story_id for s in candidates if s.candidate.source_id == source_id}


_Pair = tuple[Candidate, Callable[[], _Profile], _PairEvidence, Model, float]


def _pair(
    new: _Shape,
    shaped: Shaped,
    source_id: str,
    published: datetime,
    blocked: set[str],
    settings: DedupSettings,
) -> _Pair | None:
    """A candidate's weight-free evidence, model and threshold (None: not comparable)."""
    c = shaped.candidate
    if c.source_id == source_id or c.story_id in blocked or not has_evidence(c.features):
        return None
    evidence = pair_evidence(new, shaped.shape, _hours_apart(published, c.published), settings)
    scorer = default_scorer()
    model = scorer.same if evidence.same else scorer.cross
    threshold = _threshold(model.threshold, evidence.same, settings)
    return c, shaped.profile, evidence, model, threshold


def _chosen(
    found: dict[str, list[float]],
    profiled: dict[str, list[tuple[Candidate, _Profile]]],
    weights: _Weights,
    settings: DedupSettings,
) -> list[str]:
    """The stories an item joins, from each story's members' shares of their threshold
    (``found``): the one it links most strongly, then those one event with it."""
    qualifying = [
        story_id
        for story_id, ratios in found.items()
        if max(ratios) >= 1.0 and sum(ratios) / len(ratios) >= settings.linkage
    ]
    # The story the item links most strongly anchors the choice: the others join only
    # when they are one event with it.
    qualifying.sort(key=lambda sid: (-max(found[sid]), sid))
    chosen: list[str] = []
    outlets: set[str] = set()
    for story_id in qualifying:
        sources = {c.source_id for c, _ in profiled[story_id]}
        if settings.exclusive_sources and sources & outlets:
            continue
        if chosen and not (
            MERGE_LINKED_STORIES
            and _one_event(profiled[chosen[0]], profiled[story_id], weights, settings)
        ):
            continue
        chosen.append(story_id)
        outlets |= sources
    # A merged story keeps the id readers saw first: the earliest member's story leads.
    earliest = {sid: min(c.published for c, _ in profiled[sid]) for sid in chosen}
    return sorted(chosen, key=lambda sid: (earliest[sid], sid))


def _one_event(
    first: Sequence[tuple[Candidate, _Profile]],
    other: Sequence[tuple[Candidate, _Profile]],
    weights: _Weights,
    settings: DedupSettings,
) -> bool:
    """Whether two stories that a new item links are one event by their own members (the
    ones the new item was compared with): one of their pairs reaches its threshold and
    their mean share of the threshold reaches ``settings.linkage``, as a new item must
    to join a story. A third item
    linking two events of one template (the same words, other figures) does not make
    them one: their own members disagree."""
    scorer = default_scorer()
    ratios = []
    for a, pa in first:
        for b, pb in other:
            if a.source_id == b.source_id:
                return False  # an outlet reports an event once
            features = pair_features(
                pa, pb, _hours_apart(a.published, b.published), weights, settings
            )
            model = scorer.model(features)
            same_language = a.features.language == b.features.language
            ratios.append(
                model.probability(features) / _threshold(model.threshold, same_language, settings)
            )
    return bool(ratios) and max(ratios) >= 1.0 and sum(ratios) / len(ratios) >= settings.linkage


Weights = _Weights
"""Public names of what the window keeps per item and per weight generation (the private
ones stay, so that changes to the pair features merge)."""
Profile = _Profile
Shape = _Shape


def choose_story(
    new: StoryFeatures,
    new_source_id: str,
    new_published: datetime,
    candidates: Sequence[Candidate],
    stats: TermStats,
    settings: DedupSettings,
) -> str | None:
    """The story the new item joins first (see :func:`choose_stories`), or None."""
    chosen = choose_stories(new, new_source_id, new_published, candidates, stats, settings)
    return chosen[0] if chosen else None


def stats_from(features: Iterable[StoryFeatures]) -> CorpusStats:
    """A :class:`CorpusStats` over the given items (for tests and benchmarks)."""
    stats = CorpusStats()
    for f in features:
        stats.add(f)
    return stats

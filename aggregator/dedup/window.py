"""The story window: the stored items a new one is compared with, in memory, compact.

A new item is compared with stored items of the last days; the same stored items are
candidates of many new ones. :class:`StoryWindow` holds every stored item of the time
window it covers, by item id:

* **Compact features.** An item's terms, title, names, figures, dates, skeletons and
  lead are ids into one vocabulary shared by all items, in one ``int32`` array (with
  the offsets of its fields), its SimHash and language beside them: ~1 KB an item where
  Python sets cost ~15 KB. A candidate's sets are made again from the ids when the
  decision needs them (cheaper than parsing JSON), and kept for the most recently used
  items with what the decision derives from them (shape, profile).
* **The index.** The index keys storage stored for each item (``story_keys``), as
  posting lists of the items' slots (:class:`_Slots`): a new item's candidates are ranked
  in memory by the weights of the keys they share, as the database's lookup ranks them
  (:meth:`StoryWindow.ranked`).
* **The decision.** :func:`~aggregator.dedup.decision.choose_among` over the ranked
  candidates, with the term weights and the profiles it keeps.

Storage persists the items and fills the window once it asks to be filled
(:meth:`StoryWindow.wants_filling`): all items from a time on (:meth:`StoryWindow.cover`),
then each item as it is stored, and the items other
writers stored (ids above :attr:`StoryWindow.last_item_id`). It keeps the window in step
with merges (:meth:`StoryWindow.merged`), edits (:meth:`StoryWindow.forget`, then
:meth:`StoryWindow.add`), rollbacks and purges (:meth:`StoryWindow.clear`). An item
older than what the window covers is looked up in the database instead, whose rows the
window takes without their keys (:meth:`StoryWindow.missing`, :meth:`StoryWindow.add`).
"""

from __future__ import annotations

import functools
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from aggregator.dedup.decision import (
    PairScore,
    Profile,
    Shape,
    Shaped,
    Weights,
    choose_among,
    score_pair,
    shape_of,
)
from aggregator.dedup.values import Candidate, DedupSettings, StoryFeatures, TermStats

_FIELDS = ("t", "h", "n", "d", "m", "k", "q", "e", "v")
"""The term fields of :meth:`StoryFeatures.to_json`, in the order they are packed."""


class Ahead(NamedTuple):
    """A new item's pairs scored ahead (see :mod:`aggregator.dedup.ahead`), by candidate
    id, and the weights they were scored with."""

    scores: Mapping[int, PairScore]
    weights: Weights


FILL_AFTER = 1000
"""Lookups answered by the database after which the window is filled whatever it holds
(see :meth:`StoryWindow.wants_filling`)."""
MAX_COMPANIONS = 20
"""At most this many members of a candidate's story are compared with a new item besides
the candidates themselves (see :meth:`StoryWindow._companions`)."""
FILL_SECONDS_PER_ITEM = 1e-4
"""What filling the window costs per item read (``bench/bench_stories.py``: 50,000 items
in ~5 s)."""


class _Vocabulary:
    """Every term of the window's items once, by id (the strings shared by all items)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._terms: list[str] = []

    def __len__(self) -> int:
        return len(self._terms)

    def encode(self, fields: Iterable[Iterable[str]]) -> tuple[npt.NDArray[np.int32], bytes]:
        """The ids of each field's terms in one array, and the fields' lengths."""
        ids, terms = self._ids, self._terms
        packed: list[int] = []
        lengths = bytearray()
        for values in fields:
            before = len(packed)
            for term in values:
                found = ids.get(term)
                if found is None:
                    found = ids[term] = len(terms)
                    terms.append(term)
                packed.append(found)
            lengths += min(len(packed) - before, 65535).to_bytes(2, "little")
        return np.array(packed, dtype=np.int32), bytes(lengths)

    def decode(self, ids: npt.NDArray[np.int32], lengths: bytes) -> list[frozenset[str]]:
        """The fields' term sets back from :meth:`encode`."""
        terms = self._terms
        values = [terms[i] for i in ids.tolist()]
        fields, start = [], 0
        for n in range(0, len(lengths), 2):
            end = start + int.from_bytes(lengths[n : n + 2], "little")
            fields.append(frozenset(values[start:end]))
            start = end
        return fields


class _Slots:
    """Dense numbers for the window's items, with each one's id and publication time in
    arrays: the index's postings hold slots, so that a lookup sums and filters the items
    it finds as arrays (:meth:`StoryWindow.ranked`). A forgotten item's slot is taken
    again by a later one."""

    def __init__(self) -> None:
        self._free: list[int] = []
        self._used = 0
        self.item = np.zeros(1024, dtype=np.int64)
        self.when = np.full(1024, np.nan)
        """Seconds since the epoch; NaN for a free slot (inside no time range)."""

    def take(self, item_id: int, published: datetime) -> int:
        slot = self._free.pop() if self._free else self._used
        if slot == self._used:
            self._used += 1
            if slot == len(self.item):
                self.item = np.concatenate([self.item, np.zeros_like(self.item)])
                self.when = np.concatenate([self.when, np.full(len(self.when), np.nan)])
        self.item[slot] = item_id
        self.when[slot] = published.timestamp()
        return slot

    def release(self, slot: int) -> None:
        self.when[slot] = np.nan
        self._free.append(slot)


@dataclass(slots=True)
class _Member:
    """One stored item as the window holds it."""

    story_id: str
    source_id: str
    published: datetime
    language: str
    simhash: int
    ids: npt.NDArray[np.int32]
    lengths: bytes
    keys: tuple[str, ...]
    """The index keys it is found by (none for an item read outside the covered time)."""
    slot: int
    """Its place in the window's :class:`_Slots`, which its index keys' postings hold."""


@dataclass(slots=True)
class _Derived:
    """What the decision derives from one item, for the most recently used items."""

    features: StoryFeatures
    shape: Shape
    profile: Profile | None = None
    generation: int = -1
    """The weight generation ``profile`` was made in."""


class StoryWindow:
    """The stored items of the story window with their index keys, the term weights, and
    the decision over them (see the module's docstring).

    ``max_derived``: how many items' sets, shapes and profiles are kept (the most
    recently used); ``fill_after`` and ``fill_cost``: see :meth:`wants_filling`. Items
    published more than twice the window before the newest one are dropped, and the
    window then covers less."""

    def __init__(
        self, settings: DedupSettings, max_derived: int = 8192, fill_after: int = FILL_AFTER
    ) -> None:
        self.settings = settings
        self.max_derived = max_derived
        self.fill_after = fill_after
        self._span = timedelta(hours=settings.window_hours)
        self._members: dict[int, _Member] = {}
        self._stories: dict[str, dict[int, None]] = {}
        """The held members of each story, by story id (in the order added)."""
        self._postings: dict[str, int | list[int]] = {}
        """Items' slots (:class:`_Slots`) by index key; a key of one item (most SimHash
        bands) holds its slot alone (a list costs ~90 bytes more)."""
        self._slots = _Slots()
        self._vocabulary = _Vocabulary()
        self._derived: dict[int, _Derived] = {}
        self._weights: Weights | None = None
        self._generation = 0
        self._fresh: dict[str, StoryFeatures] = {}
        """New items' features parsed for their decision, by their stored form: they
        are added once stored, and need not be parsed again."""
        self._decided: _Derived | None = None
        """The last new item's shape and profile, made for its decision: kept when it is
        added next."""
        self.covered_from: datetime | None = None
        """From when on the window holds every stored item (None: not filled yet)."""
        self._newest: datetime | None = None
        self._dropped_before: datetime | None = None
        """Items published before this were dropped (see :meth:`_moved_on`)."""
        self._added = 0
        self._lookups = 0
        self._lookup_seconds = 0.0
        self._fill_size: int | None = None
        self.fill_cost = FILL_SECONDS_PER_ITEM
        self.last_item_id = 0
        """The highest item id added: storage adds the items other writers stored above
        it."""
        self._waiting: dict[int, None] = {}
        """Stored items whose story is not decided yet (:meth:`wait`)."""

    def __len__(self) -> int:
        return len(self._members)

    @property
    def vocabulary_size(self) -> int:
        return len(self._vocabulary)

    # -- kept in step by storage ---------------------------------------------------------

    def wants_filling(self, stored: Callable[[], int]) -> bool:
        """Whether storage should fill the window now, before a lookup: once the lookups
        in the database have taken as long as filling would (``stored()``: how many
        items it would read, asked once; :data:`FILL_SECONDS_PER_ITEM` each), or after
        ``fill_after`` of them. A process that stores a few items into a large store, such
        as one ``aggregator fetch`` of one feed, looks them up in the database; a cold
        refresh of a new store fills at once, when filling costs nothing. ``fill_cost``
        is :data:`FILL_SECONDS_PER_ITEM` unless set."""
        if self._lookups >= self.fill_after:
            return True
        if self._fill_size is None:
            self._fill_size = stored()
        return self._lookup_seconds >= (self._fill_size + self._added) * self.fill_cost

    def looked_up(self, seconds: float) -> None:
        """Storage looked candidates up in the database, taking ``seconds``."""
        self._lookups += 1
        self._lookup_seconds += seconds

    def covers(self, since: datetime) -> bool:
        """Whether the window holds every stored item published from ``since`` on."""
        return self.covered_from is not None and since >= self.covered_from

    def cover(self, since: datetime, last_item_id: int) -> None:
        """Storage has added every item published from ``since`` on, and every item up
        to ``last_item_id``."""
        covered = since if self.covered_from is None else min(self.covered_from, since)
        if self._dropped_before is not None:  # what was dropped meanwhile is not held
            covered = max(covered, self._dropped_before)
        self.covered_from = covered
        self.last_item_id = max(self.last_item_id, last_item_id)

    def missing(self, item_ids: Sequence[int]) -> list[int]:
        """Which of ``item_ids`` the window does not hold (nor waits for)."""
        members, waiting = self._members, self._waiting
        return [i for i in item_ids if i not in members and i not in waiting]

    def wait(self, item_ids: Iterable[int]) -> None:
        """Storage stored these items, each its own story for now: they are nobody's
        candidate until :meth:`waiting` hands them out for their decision, all together
        in one order (the items of one refresh make the same stories whichever outlet
        answered first)."""
        for item_id in item_ids:
            self._waiting[item_id] = None
            self.last_item_id = max(self.last_item_id, item_id)

    def is_waiting(self, item_id: int) -> bool:
        return item_id in self._waiting

    def waiting_count(self) -> int:
        return len(self._waiting)

    def waiting(self) -> list[int]:
        """The items waiting for their story, no longer waiting (storage decides them)."""
        found, self._waiting = list(self._waiting), {}
        return found

    def add(
        self,
        item_id: int,
        story_id: str,
        source_id: str,
        published: datetime,
        data: str,
        keys: Sequence[str] = (),
    ) -> None:
        """Hold a stored item: ``data`` its features as stored, ``keys`` the index keys
        stored for it."""
        if item_id in self._members:
            self.forget(item_id)
        self._waiting.pop(item_id, None)
        fresh = self._fresh.pop(data, None)
        if fresh is not None:
            language, simhash = fresh.language, fresh.simhash
            fields: list[Iterable[str]] = [
                fresh.terms,
                fresh.title,
                fresh.names,
                fresh.numbers,
                fresh.dates,
                fresh.skeletons,
                fresh.title_numbers,
                fresh.lead,
                fresh.predicates,
            ]
        else:
            raw = json.loads(data)
            language, simhash = str(raw["l"]), int(raw["s"], 16)
            fields = [raw.get(name, ()) for name in _FIELDS]
        ids, lengths = self._vocabulary.encode(fields)
        held = tuple(map(sys.intern, dict.fromkeys(keys)))  # one string per key
        slot = self._slots.take(item_id, published)
        story_id = sys.intern(story_id)
        self._stories.setdefault(story_id, {})[item_id] = None
        self._members[item_id] = _Member(
            story_id,
            sys.intern(source_id),
            published,
            language,
            simhash,
            ids,
            lengths,
            held,
            slot,
        )
        postings = self._postings
        for key in held:
            found = postings.get(key)
            if found is None:
                postings[key] = slot
            elif isinstance(found, int):
                postings[key] = [found, slot]
            else:
                found.append(slot)
        if fresh is not None:
            self._keep(item_id, self._derived_of(fresh))
        self.last_item_id = max(self.last_item_id, item_id)
        self._moved_on(published)

    def forget(self, item_id: int) -> None:
        """Drop an item (edited: storage adds it again with its new features)."""
        member = self._members.pop(item_id, None)
        self._derived.pop(item_id, None)
        if member is None:
            return
        story = self._stories.get(member.story_id)
        if story is not None:
            story.pop(item_id, None)
            if not story:
                del self._stories[member.story_id]
        slot = member.slot
        self._slots.release(slot)
        postings = self._postings
        for key in member.keys:
            found = postings.get(key)
            if isinstance(found, list):
                found.remove(slot)
                if len(found) == 1:
                    postings[key] = found[0]
            elif found == slot:
                del postings[key]

    def merged(self, absorbed: set[str], into: str) -> None:
        """Stories ``absorbed`` are now ``into``: their members follow."""
        target = self._stories.setdefault(sys.intern(into), {})
        for story_id in absorbed - {into}:
            for item_id in self._stories.pop(story_id, {}):
                self._members[item_id].story_id = sys.intern(into)
                target[item_id] = None

    def clear(self) -> None:
        """Forget everything (after a rollback or a purge): storage fills it again."""
        self._members.clear()
        self._stories.clear()
        self._postings.clear()
        self._slots = _Slots()
        self._derived.clear()
        self._fresh.clear()
        self._decided = None
        self._vocabulary = _Vocabulary()
        self._weights = None
        self.covered_from = self._newest = self._dropped_before = None
        self.last_item_id = 0

    def _moved_on(self, published: datetime) -> None:
        """Past every 1,024 items added, drop those published more than twice the window
        before the newest: no new item within a window of the newest compares with
        them."""
        if self._newest is None or published > self._newest:
            self._newest = published
        self._added += 1
        if self._added % 1024:
            return
        cutoff = self._newest - 2 * self._span
        dropped = [i for i, m in self._members.items() if m.published < cutoff]
        if not dropped:
            return
        for item_id in dropped:
            self.forget(item_id)
        self._dropped_before = cutoff
        if self.covered_from is not None and self.covered_from < cutoff:
            self.covered_from = cutoff

    # -- the lookup and the decision -----------------------------------------------------

    def ranked(
        self, keys: Sequence[tuple[str, int]], published: datetime, limit: int
    ) -> list[tuple[int, int]]:
        """The held items within the window of ``published`` sharing at least one of
        ``keys`` (key, weight), with the summed weights of those they share: the most
        first, then the earliest published, then the smallest id (as the database's
        lookup ranks them), at most ``limit``. Summed and sorted as arrays: with 50,000
        items held a lookup reads ~1,000 postings (summed in Python, 38 s of a 210 s
        profile of a cold 1000 × 50 refresh)."""
        postings = self._postings
        found = [
            ((hit,) if isinstance(hit, int) else hit, weight)
            for key, weight in keys
            if (hit := postings.get(key)) is not None
        ]
        if not found:
            return []
        counts = [len(hit) for hit, _ in found]
        slots = np.fromiter(
            itertools.chain.from_iterable(hit for hit, _ in found),
            dtype=np.int64,
            count=sum(counts),
        )
        weights = np.repeat(np.array([weight for _, weight in found], dtype=np.int64), counts)
        slots, at = np.unique(slots, return_inverse=True)
        sums = np.bincount(at, weights=weights).astype(np.int64)
        when = self._slots.when[slots]
        low, high = (published - self._span).timestamp(), (published + self._span).timestamp()
        inside = (when >= low) & (when <= high)
        item_ids, sums, when = self._slots.item[slots[inside]], sums[inside], when[inside]
        best = np.lexsort((item_ids, when, -sums))[:limit]
        return list(zip(item_ids[best].tolist(), sums[best].tolist(), strict=True))

    def features(self, data: str) -> StoryFeatures:
        """A new item's features, parsed from their stored form (kept until it is added:
        a new item is likely the next one's candidate)."""
        found = self._fresh.get(data)
        if found is None:
            if len(self._fresh) > 1000:  # items decided but never stored (a rollback)
                self._fresh.clear()
            found = self._fresh[data] = StoryFeatures.from_json(data)
        return found

    def decide(
        self,
        new: StoryFeatures,
        source_id: str,
        published: datetime,
        candidate_ids: Sequence[int],
        stats: TermStats,
        ahead: Ahead | None = None,
    ) -> list[str]:
        """The stories the new item joins (see :func:`~aggregator.dedup.choose_stories`)
        among the held items ``candidate_ids`` (the best ranked first), weighing terms by
        ``stats``. ``ahead``: its pairs scored ahead (used if scored with these weights)."""
        weights = self._weights_for(stats)
        scores = ahead.scores if ahead is not None and ahead.weights is weights else {}
        ranked = candidate_ids[: self.settings.max_candidates]
        shaped = [s for s in (self._shaped(i, weights, scores) for i in ranked) if s is not None]
        derived = self._derived_of(new)
        own = functools.partial(self._profile, derived, weights)

        def companions(story_ids: set[str]) -> list[Shaped]:
            chosen = self._companions(story_ids, ranked)
            found = (self._shaped(i, weights, scores) for i in chosen)
            return [s for s in found if s is not None]

        return choose_among(
            derived.shape, own, source_id, published, shaped, weights, self.settings, companions
        )

    def weights_for(self, stats: TermStats) -> Weights:
        """The weights a decision reading ``stats`` now weighs terms by."""
        return self._weights_for(stats)

    def score_ahead(
        self,
        new: StoryFeatures,
        source_id: str,
        published: datetime,
        candidate_ids: Sequence[int],
        weights: Weights,
    ) -> dict[int, PairScore]:
        """The new item's pairs with the held items ``candidate_ids``, scored as
        :meth:`decide` would score them with ``weights`` (see
        :mod:`aggregator.dedup.ahead`), by candidate id."""
        derived = self._derived_of(new)
        own = functools.cache(functools.partial(self._profile, derived, weights))
        found = {}
        for item_id in candidate_ids[: self.settings.max_candidates]:
            shaped = self._shaped(item_id, weights)
            if shaped is None:
                continue
            score = score_pair(
                derived.shape, own, source_id, published, shaped, weights, self.settings
            )
            if score is not None:
                found[item_id] = score
        return found

    def _companions(self, story_ids: set[str], candidate_ids: Sequence[int]) -> list[int]:
        """The members of the stories ``story_ids`` that are not candidates (the latest
        :data:`MAX_COMPANIONS` of each)."""
        seen = set(candidate_ids)
        found = []
        for story_id in sorted(story_ids):
            held = self._stories.get(story_id, {})
            found += [i for i in itertools.islice(reversed(held), MAX_COMPANIONS) if i not in seen]
        return found

    def _shaped(
        self, item_id: int, weights: Weights, scores: Mapping[int, PairScore] | None = None
    ) -> Shaped | None:
        member = self._members.get(item_id)
        if member is None:
            return None
        derived = self._derive(item_id, member)
        candidate = Candidate(member.story_id, member.source_id, member.published, derived.features)
        profile = functools.partial(self._profile, derived, weights)
        profiled = derived.generation == self._generation
        scored = scores.get(item_id) if scores else None
        return Shaped(candidate, derived.shape, profile, profiled, scored)

    def _derived_of(self, new: StoryFeatures) -> _Derived:
        """A new item's derived values, made once for its decision and its adding."""
        decided = self._decided
        if decided is None or decided.features is not new:
            decided = self._decided = _Derived(new, shape_of(new))
        return decided

    def _weights_for(self, stats: TermStats) -> Weights:
        weights = self._weights
        if weights is None or not weights.holds_for(stats):
            weights = self._weights = Weights(stats)
            self._generation += 1
        else:
            weights.reading(stats)
        return weights

    def _derive(self, item_id: int, member: _Member) -> _Derived:
        found = self._derived.pop(item_id, None)
        if found is None:
            terms, title, names, numbers, dates, skeletons, title_numbers, lead, verbs = (
                self._vocabulary.decode(member.ids, member.lengths)
            )
            features = StoryFeatures(
                member.language,
                terms,
                title,
                names,
                numbers,
                dates,
                skeletons,
                member.simhash,
                title_numbers,
                lead,
                verbs,
            )
            found = _Derived(features, shape_of(features))
        self._keep(item_id, found)  # the most recently used last (dicts keep order)
        return found

    def _keep(self, item_id: int, derived: _Derived) -> None:
        """Keep an item's derived values; past ``max_derived``, drop the least recently
        used tenth."""
        if len(self._derived) >= self.max_derived:
            for old in list(itertools.islice(self._derived, self.max_derived // 10)):
                del self._derived[old]
        self._derived[item_id] = derived

    def _profile(self, derived: _Derived, weights: Weights) -> Profile:
        if derived.profile is None or derived.generation != self._generation:
            derived.profile = weights.profile(derived.features, derived.shape)
            derived.generation = self._generation
        return derived.profile

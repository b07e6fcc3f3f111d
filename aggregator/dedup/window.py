"""The story window: what the decision keeps of stored items, in one object.

A new item is compared with stored items of the last days; the same stored items are
candidates of many new ones. :class:`StoryWindow` keeps, by item id, what the decision
reads of each (story, source, time, features) and what it derives from them (the
weight-free shape, and the profile of the current weight generation), with the weights
themselves. Storage persists the items and reloads those the window does not hold
(:meth:`StoryWindow.missing`, :meth:`StoryWindow.add`), and keeps the window in step
with what it writes: a merge (:meth:`StoryWindow.merged`), an edit
(:meth:`StoryWindow.forget`), a rollback or a purge (:meth:`StoryWindow.clear`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aggregator.dedup.decision import Profile, Shape, Weights, choose_among, shape_of
from aggregator.dedup.values import Candidate, DedupSettings, StoryFeatures, TermStats


@dataclass(slots=True)
class _Member:
    """One stored item as the window holds it; what is derived is made on first use."""

    story_id: str
    source_id: str
    published: datetime
    data: str
    """The features as stored (JSON), parsed on first use."""
    features: StoryFeatures | None = None
    shape: Shape | None = None
    profile: Profile | None = None
    generation: int = -1
    """The weight generation ``profile`` was made in."""


class StoryWindow:
    """Stored items the story decision compares new ones with, by item id, with what the
    decision derives from them and the term weights. Bounded: beyond ``max_items`` the
    least recently used tenth is dropped (storage reloads an item dropped when it is a
    candidate again)."""

    def __init__(self, settings: DedupSettings, max_items: int = 8192) -> None:
        self.settings = settings
        self.max_items = max_items
        self._members: dict[int, _Member] = {}
        self._weights: Weights | None = None
        self._generation = 0
        self._fresh: dict[str, StoryFeatures] = {}
        """New items' features parsed for their decision, by their stored form: they
        are added once stored, and need not be parsed again."""

    def __len__(self) -> int:
        return len(self._members)

    def missing(self, item_ids: Sequence[int]) -> list[int]:
        """Which of ``item_ids`` the window does not hold."""
        return [item_id for item_id in item_ids if item_id not in self._members]

    def add(
        self, item_id: int, story_id: str, source_id: str, published: datetime, data: str
    ) -> None:
        """Hold a stored item (``data``: its features as stored)."""
        if len(self._members) >= self.max_items:
            for old in list(itertools.islice(self._members, self.max_items // 10)):
                del self._members[old]
        member = _Member(story_id, source_id, published, data)
        member.features = self._fresh.pop(data, None)
        self._members[item_id] = member

    def forget(self, item_id: int) -> None:
        """Drop an item (edited: its features changed)."""
        self._members.pop(item_id, None)

    def merged(self, absorbed: set[str], into: str) -> None:
        """Stories ``absorbed`` are now ``into``: their members follow."""
        for member in self._members.values():
            if member.story_id in absorbed:
                member.story_id = into

    def clear(self) -> None:
        """Forget everything (after a rollback or a purge)."""
        self._members.clear()
        self._fresh.clear()
        self._weights = None

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
    ) -> list[str]:
        """The stories the new item joins (see :func:`~aggregator.dedup.choose_stories`)
        among the held items ``candidate_ids`` (the best ranked first), weighing terms by
        ``stats``."""
        weights = self._weights_for(stats)
        pairs = []
        for item_id in candidate_ids:
            member = self._recent(item_id)
            if member is not None:
                pairs.append((self._candidate(member), self._profile(member, weights)))
        return choose_among(
            weights.profile(new), source_id, published, pairs, weights, self.settings
        )

    def _weights_for(self, stats: TermStats) -> Weights:
        weights = self._weights
        if weights is None or not weights.holds_for(stats):
            weights = self._weights = Weights(stats)
            self._generation += 1
        else:
            weights.reading(stats)
        return weights

    def _recent(self, item_id: int) -> _Member | None:
        """The member, moved to the end (the most recently used: dicts keep order)."""
        member = self._members.pop(item_id, None)
        if member is not None:
            self._members[item_id] = member
        return member

    @staticmethod
    def _parsed(member: _Member) -> StoryFeatures:
        if member.features is None:
            member.features = StoryFeatures.from_json(member.data)
        return member.features

    def _candidate(self, member: _Member) -> Candidate:
        return Candidate(member.story_id, member.source_id, member.published, self._parsed(member))

    def _profile(self, member: _Member, weights: Weights) -> Profile:
        if member.profile is None or member.generation != self._generation:
            features = self._parsed(member)
            if member.shape is None:
                member.shape = shape_of(features)
            member.profile = weights.profile(features, member.shape)
            member.generation = self._generation
        return member.profile

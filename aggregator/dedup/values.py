"""The values of the story decision: settings, an item's features, term statistics and
candidates."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol


@dataclass(frozen=True)
class DedupSettings:
    """Tunables of the story decision (the learned weights live in
    ``aggregator/data/story_scorer.json``)."""

    window_hours: float = 72.0
    threshold: float | None = None
    """Probability of one event to join a story; None: the trained scorer's threshold."""
    cross_language_threshold: float | None = None
    """The same for two languages' items; None: the scorer's."""
    linkage: float = 0.5
    """A story joins only if the mean probability over its candidate members reaches this
    share of the threshold (against chaining)."""
    near_copy_bits: int = 3
    exclusive_sources: bool = True
    max_candidates: int = 20


@dataclass(frozen=True)
class StoryFeatures:
    """What the decision needs of one item; stored as JSON beside the item.

    ``terms`` holds body and title lemmas (names included), ``title`` the title's
    lemmas, ``names`` the capitalized ones, ``numbers`` normalized figures, ``dates``
    ``MMDD`` strings, ``skeletons`` language-neutral keys of the names, ``lead`` the
    lemmas that tell what happened.
    """

    language: str
    terms: frozenset[str]
    title: frozenset[str]
    names: frozenset[str]
    numbers: frozenset[str]
    dates: frozenset[str]
    skeletons: frozenset[str]
    simhash: int
    title_numbers: frozenset[str] = field(default_factory=frozenset)
    lead: frozenset[str] = field(default_factory=frozenset)
    """The lemmas of the title and the first sentences, names left out: the event's
    predicate ("назначил", "приговорил", "won"), not its people; and their figures,
    prefixed with #, and dates (``MMDD``), prefixed with @."""
    predicates: frozenset[str] = field(default_factory=frozenset)
    """The verbs of the lead (Russian infinitives; none in other languages): what
    happened, apart from the words around it."""

    def to_json(self) -> str:
        """Serialize compactly (sorted lists, short keys) for a database text column."""
        data = {
            "l": self.language,
            "t": sorted(self.terms),
            "h": sorted(self.title),
            "n": sorted(self.names),
            "d": sorted(self.numbers),
            "m": sorted(self.dates),
            "k": sorted(self.skeletons),
            "s": format(self.simhash, "x"),
            "q": sorted(self.title_numbers),
            "e": sorted(self.lead),
            "v": sorted(self.predicates),
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str) -> StoryFeatures:
        """Inverse of :meth:`to_json`; raises ``ValueError`` on malformed data."""
        try:
            raw = json.loads(data)
            return cls(
                language=str(raw["l"]),
                terms=_shared(raw["t"]),
                title=_shared(raw["h"]),
                names=_shared(raw["n"]),
                numbers=_shared(raw["d"]),
                dates=_shared(raw["m"]),
                skeletons=_shared(raw["k"]),
                simhash=int(raw["s"], 16),
                title_numbers=_shared(raw.get("q", ())),
                lead=_shared(raw.get("e", ())),
                predicates=_shared(raw.get("v", ())),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as e:
            raise ValueError(f"invalid story features JSON: {e}") from e


def _shared(values: list[str]) -> frozenset[str]:
    """A set of terms whose strings are shared with every other item's (interned): the
    decision keeps thousands of items' features, mostly the same words."""
    return frozenset(map(sys.intern, values))


class TermStats(Protocol):
    """Document frequencies of terms (see :func:`term_keys`)."""

    def document_count(self) -> int: ...

    def document_frequency(self, term: str) -> int: ...


class Candidate(NamedTuple):
    """A stored item that may belong to the same story as a new one (a tuple: made
    for every candidate of every new item)."""

    story_id: str
    source_id: str
    published: datetime
    features: StoryFeatures

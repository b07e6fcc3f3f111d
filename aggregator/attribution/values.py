"""The values attribution passes around: known sources, credits, story members, results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

_EMPTY: Mapping[str, str] = MappingProxyType({})


def _frozen_forms() -> Mapping[str, str]:
    return _EMPTY


@dataclass(frozen=True)
class KnownSource:
    """A source that credits can be matched to.

    ``forms`` holds grammatical forms given by config: Russian cases ("acc", "gen", …),
    the display name in other languages ("kk", "en") and the Kazakh dative ("kk_dat").
    ``kind`` is "outlet" (passes news on) or "institution" (makes it).
    """

    id: str | None
    name: str
    aliases: tuple[str, ...] = ()
    forms: Mapping[str, str] = field(default_factory=_frozen_forms)
    kind: str = "outlet"

    def __post_init__(self) -> None:
        if not isinstance(self.forms, MappingProxyType):
            object.__setattr__(self, "forms", MappingProxyType(dict(self.forms)))

    def __hash__(self) -> int:
        return hash((self.id, self.name, self.aliases, self.kind))


@dataclass(frozen=True)
class Credit:
    """One credited name: dictionary form, matched configured id, and its role."""

    name: str
    source_id: str | None
    role: str  # "reports" or "cites"


@dataclass(frozen=True)
class StoryMember:
    """Another item of the same story, as far as attribution needs it."""

    source_id: str
    name: str
    url: str | None
    published: datetime


@dataclass(frozen=True)
class Attribution:
    """The attribution of one entry, and its line in the output language."""

    publisher: KnownSource
    publisher_url: str | None
    credited: tuple[Credit, ...]
    origin_name: str
    origin_source_id: str | None
    origin_url: str | None
    line: str

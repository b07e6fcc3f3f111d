"""What is not evidence of an event (``data/story_evidence.json``), and the text without it.

Most of the 27 patterns match nowhere in a given item, yet each ``sub`` tries every
position of up to 2,500 characters (a leading ``\\S+`` or an alternation has no literal
prefix for the regex engine to skip to). Each pattern therefore carries *cues*: literals
one of which every match contains, read from the parsed pattern. A pattern whose cues are
all absent from the lowercased text is not run; the result is the same, only cheaper.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

try:  # CPython's regex parser (private; no stub: sre_parse is its deprecated alias)
    _PARSER: Any = importlib.import_module("re._parser")
    _C: Any = importlib.import_module("re._constants")
except ImportError:  # another Python: no cues, every pattern runs (the same result)
    _PARSER = _C = None

_UNCASED_MATCHES = re.compile(
    "[\u00b5\u0130\u0131\u017f\u0345-\u03ff\u1c80-\u1c8f\u1e9b\ua64a\ua64b\ufb05\ufb06]"
)
"""Letters that ``re.IGNORECASE`` matches to a letter they do not lowercase to (dotless ı
to i, ſ to s, Cyrillic ᲃ to с, Greek variants), and İ, which lowercases to two letters.
In a text with one, a literal may match where its lowercase is not found in the
lowercased text, so every pattern is run (a test checks this set over all of Unicode)."""


@dataclass(frozen=True)
class Rule:
    """One pattern and its cues: lowercase literals, no spaces, one of which each match
    contains; empty when the pattern has none, and it is always run."""

    pattern: re.Pattern[str]
    cues: tuple[str, ...]

    def applies(self, lowered: str | None) -> bool:
        """Whether the pattern may match a text whose lowercase is ``lowered`` (None:
        not known)."""
        return lowered is None or not self.cues or any(map(lowered.__contains__, self.cues))


@functools.cache
def rules() -> tuple[Rule, ...]:
    """The patterns of ``data/story_evidence.json``, most specific first."""
    raw = json.loads(
        resources.files("aggregator").joinpath("data/story_evidence.json").read_text("utf-8")
    )
    order = ("boilerplate", "dateline", "publisher", "attribution", "stock")
    flags = re.IGNORECASE | re.MULTILINE
    return tuple(
        Rule(re.compile(pattern, flags), cues(pattern, flags))
        for kind in order
        for pattern in raw[kind]
    )


def evidence_text(text: str) -> str:
    """The text without what tells nothing of the event: who reports and whom they cite
    ("передает Ulysmedia.kz со ссылкой на Акорду", "деп хабарлайды", "reports, citing"),
    datelines ("Москва. 9 июля. INTERFAX.RU -"), outlets' names, site boilerplate
    ("Ссылка скопирована") and stock titles ("глава государства"). Two outlets citing one
    body share those words whatever they report.

    A blanked match leaves a space, so a cue (which has none) found in no part of the
    text is in no later text either: the cues are looked up once, in the original."""
    lowered = None if _UNCASED_MATCHES.search(text) else text.lower()
    for rule in rules():
        if rule.applies(lowered):
            text = rule.pattern.sub(" ", text)
    return text


def cues(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """Lowercase literals without spaces, one of which every match of ``pattern``
    contains; () when no such set is found (or the regex parser is not CPython's)."""
    if _PARSER is None:
        return ()
    return _sequence_cues(list(_PARSER.parse(pattern, flags))) or ()


def _sequence_cues(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """The most selective cues of a sequence: every one of its required parts is
    in each match, so any part's cues will do; the one whose shortest cue is longest."""
    found = [*_fixed_cues(items), *(_item_cues(op, arg) for op, arg in items)]
    candidates = [c for c in found if c]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(map(len, c)), -len(c)))


def _fixed_cues(items: list[tuple[Any, Any]]) -> list[tuple[str, ...] | None]:
    """Cues of each run of items that spell a few fixed strings ("\\.(?:kz|ru)" spells
    ".kz" and ".ru"): the longest word of each string."""
    runs: list[list[tuple[Any, Any]]] = [[]]
    for op, arg in items:
        if _spellings(op, arg) is None:
            runs.append([])
        else:
            runs[-1].append((op, arg))
    found = []
    for run in runs:
        words = [_longest_word(s) for s in _sequence_spellings(run) or ()]
        found.append(tuple(dict.fromkeys(words)) if words and all(words) else None)
    return found


def _longest_word(spelling: str) -> str:
    words = [
        word.lower()
        for word in spelling.split(" ")
        if not _UNCASED_MATCHES.search(word) and len(word.lower()) == len(word)
    ]
    return max(words, key=len, default="")


_MAX_SPELLINGS = 64


def _sequence_spellings(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """Every string the sequence matches, when they are at most 64 and fixed."""
    spelled: tuple[str, ...] = ("",)
    for op, arg in items:
        tails = _spellings(op, arg)
        if tails is None:
            return None
        spelled = tuple(head + tail for head in spelled for tail in tails)
        if len(spelled) > _MAX_SPELLINGS:
            return None
    return spelled


def _spellings(op: Any, arg: Any) -> tuple[str, ...] | None:
    if op is _C.LITERAL:
        return (chr(arg),)
    if op is _C.SUBPATTERN:
        return _sequence_spellings(list(arg[-1]))
    if op is _C.BRANCH:
        return _union([_sequence_spellings(list(branch)) for branch in arg[1]])
    return None


def _item_cues(op: Any, arg: Any) -> tuple[str, ...] | None:
    if op is _C.SUBPATTERN:
        return _sequence_cues(list(arg[-1]))
    if op is _C.BRANCH:
        return _union([_sequence_cues(list(branch)) for branch in arg[1]])
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and arg[0] >= 1:
        return _sequence_cues(list(arg[2]))
    return None


def _union(branches: list[tuple[str, ...] | None]) -> tuple[str, ...] | None:
    """The strings of every branch of an alternation, or None when a branch has none."""
    if any(b is None for b in branches):
        return None
    return tuple(dict.fromkeys(s for b in branches if b for s in b))

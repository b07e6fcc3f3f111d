"""Matching names found in text to known sources: name_key, SourceDirectory, credit_key."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from aggregator.attribution.builtin import BUILTIN_SOURCES
from aggregator.attribution.morphology import _latin_to_cyrillic
from aggregator.attribution.values import KnownSource

_KK_TO_RU = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІё", "агкноуухиАГКНОУУХИе")
_SUFFIX_LIST = (
    "ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "нын", "нин", "дын", "дин", "тын",
    "тин", "ой", "ей", "ую", "юю", "ая", "яя", "ое", "ее", "ом", "ем", "ам", "ям", "ах", "ях",
    "ов", "ев", "ый", "ий", "ых", "их", "га", "ге", "ка", "ке", "на", "не", "а", "я", "у", "ю",
    "ы", "и", "е", "о", "ь", "й",
)  # fmt: skip
_SUFFIXES = sorted(_SUFFIX_LIST, key=len, reverse=True)
_KEY_STOP = frozenset((
    "рк", "кр", "кр", "р", "республик", "казахстан", "the", "of", "пресс", "служб", "баспасоз",
    "кызмет", "press", "service", "сайт", "портал", "агентств", "агенттиг", "издани", "газет",
    "телеканал", "корреспондент", "тилшис", "город", "калас", "official", "website", "offic",
))  # fmt: skip
_DOMAIN = re.compile(r"\.(?:kz|ru|com|org|net|info|kg|uz|az)\b", re.IGNORECASE)


def _stem(token: str) -> str:
    for _ in range(2):
        for suffix in _SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                token = token[: -len(suffix)]
                break
        else:
            break
    return token


def name_key(name: str) -> str:
    """An inflection- and script-tolerant key: 'Акорду', 'Ақорда', 'Aqorda' -> 'акорд'."""
    text = _DOMAIN.sub("", name.casefold()).translate(_KK_TO_RU)
    tokens = re.findall(r"[^\W_]+", text.replace("'s", ""))
    stems = [_stem(_latin_to_cyrillic(t)) for t in tokens]
    kept = [
        s for t, s in zip(tokens, stems, strict=True) if t not in _KEY_STOP and s not in _KEY_STOP
    ]
    return " ".join(kept or stems)


class SourceDirectory:
    """Matches names found in text to known sources via names and aliases.

    Matching is case-insensitive and tolerant of inflection and script: 'Акорду',
    'Акорды', 'Ақорда', 'Akorda' all match Акорда. Configured sources win over built-ins
    with the same key.
    """

    def __init__(self, sources: Iterable[KnownSource], include_builtin: bool = True) -> None:
        self._by_key: dict[str, KnownSource] = {}
        configured = list(sources)
        for source in configured:
            self._add(source, overwrite=True)
        if include_builtin:
            for source in BUILTIN_SOURCES:
                self._add(source, overwrite=False)
        self.fingerprint = _fingerprint(configured, include_builtin)
        """Changes when the names it knows change: stored chains are keyed by it."""

    def _add(self, source: KnownSource, overwrite: bool) -> None:
        for text in (source.name, *source.aliases):
            key = name_key(text)
            if key and (overwrite or key not in self._by_key):
                self._by_key[key] = source

    def match(self, name: str) -> KnownSource | None:
        """The known source ``name`` refers to, or None."""
        key = name_key(name)
        return self._by_key.get(key) if key else None

    def __len__(self) -> int:
        return len(set(map(id, self._by_key.values())))


def _fingerprint(configured: list[KnownSource], include_builtin: bool) -> str:
    described = sorted(
        repr((s.id, s.name, s.aliases, sorted(s.forms.items()), s.kind)) for s in configured
    )
    text = "\n".join([*described, f"builtin={include_builtin}:{len(BUILTIN_SOURCES)}"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def credit_key(name: str, directory: SourceDirectory) -> str:
    """Identity of a credited name: its known source, else its normalized key."""
    known = directory.match(name)
    return f"src:{known.name}" if known is not None else f"key:{name_key(name)}"

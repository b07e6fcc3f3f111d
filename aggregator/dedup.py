"""Which story an item joins: features, candidate keys and the decision (pure logic).

Outlets retell rather than copy, so the decision compares what a retelling keeps:

* **Lemmas.** Russian words are lemmatized with pymorphy3 ("Токаева", "Токаеву" ->
  "токаев"); Kazakh words go through a light suffix stripper (case, possessive and plural
  endings); English words through a small suffix stripper. Capitalized words (names,
  places, organizations) are stemmed by their ending so that an unknown surname in any
  case gives one term. Function words are dropped.
* **Names, numbers and dates.** Capitalized words are kept as a separate set and weigh
  more. Numbers are normalized ("1,5" -> "1.5", "7 820 000" -> "7820000"), dates in the
  three languages become ``MMDD`` ("25 ноября", "25 қарашада", "Nov. 25" -> "1125").
* **Rarity.** Every term is weighted by its BM25 inverse document frequency, read from a
  :class:`TermStats` (an in-memory :class:`CorpusStats` here; a table of term -> df in
  the database). :func:`term_keys` lists the terms whose df an item increments.
* **Title.** The same weighted overlap over the title's terms.
* **Near-copies.** A 64-bit SimHash over lemma 3-shingles; a Hamming distance of at most
  ``settings.near_copy_bits`` counts as a copy whatever the rest says.

The score of a pair (:func:`similarity`) is ``body_weight * body + (1 - body_weight) *
title`` where each part is an IDF-weighted cosine of two term sets, then adjusted by
evidence that retellings rarely violate: explicit dates that disagree, numbers that
disagree (both texts quote figures and share none) and publication days that are far
apart multiply the score down; shared rare numbers add a bonus. Items in different
languages are compared on names (as a transliterated consonant skeleton), numbers and
dates only.

Candidates come from an index, never a scan: :func:`index_keys` gives an item's keys
(dates, numbers, title terms, names and SimHash bands, at most ``MAX_INDEX_KEYS``); the
caller stores them and, for a new item, fetches the stored items of the time window
sharing at least one key, ranked by the number of shared keys, at most
``settings.max_candidates`` of them. :func:`choose_story` then picks the story.

Measured on the hand-labeled set in ``tests/data/stories/eval.json`` (162 items, 55
events, 51 multi-item events, ru/kk/en), items processed in published order with
incremental stats: see ``tests/test_dedup.py`` for the current figures (pairwise
precision/recall) and ``bench/bench_dedup.py`` for the cost per item.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import pymorphy3

__all__ = [
    "MAX_INDEX_KEYS",
    "Candidate",
    "CorpusStats",
    "DedupSettings",
    "StoryFeatures",
    "TermStats",
    "all_terms",
    "choose_story",
    "detect_language",
    "extract_features",
    "index_keys",
    "lookup_keys",
    "similarity",
    "term_keys",
]

MAX_INDEX_KEYS = 32
_LEAD_CHARS = 2500  # retellings share the lead; the tail adds noise and cost
_MAX_KEY_LEN = 64


@dataclass(frozen=True)
class DedupSettings:
    """Tunables of the story decision; the defaults are those found on the eval set."""

    window_hours: float = 72.0
    threshold: float = 0.16
    body_weight: float = 0.7
    name_boost: float = 1.5
    date_conflict: float = 0.25
    number_conflict: float = 0.35
    name_conflict: float = 0.5
    """Each title names someone or somewhere the other item never mentions."""
    linkage: float = 0.5
    """A story joins only if the mean score over its candidate members reaches this share
    of the threshold (against chaining)."""
    cast_conflict: float = 0.3
    """Both items name several rare people or places, and share none of them."""
    number_bonus: float = 0.15
    day_penalty: float = 0.25
    cross_language_threshold: float = 0.4
    near_copy_bits: int = 3
    exclusive_sources: bool = True
    max_candidates: int = 20


@dataclass(frozen=True)
class StoryFeatures:
    """What the decision needs of one item; stored as JSON beside the item.

    ``terms`` holds body and title lemmas (names included), ``title`` the title's
    lemmas, ``names`` the capitalized ones, ``numbers`` normalized figures, ``dates``
    ``MMDD`` strings, ``skeletons`` language-neutral keys of the names.
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
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str) -> StoryFeatures:
        """Inverse of :meth:`to_json`; raises ``ValueError`` on malformed data."""
        try:
            raw = json.loads(data)
            return cls(
                language=str(raw["l"]),
                terms=frozenset(raw["t"]),
                title=frozenset(raw["h"]),
                names=frozenset(raw["n"]),
                numbers=frozenset(raw["d"]),
                dates=frozenset(raw["m"]),
                skeletons=frozenset(raw["k"]),
                simhash=int(raw["s"], 16),
                title_numbers=frozenset(raw.get("q", ())),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as e:
            raise ValueError(f"invalid story features JSON: {e}") from e


class TermStats(Protocol):
    """Document frequencies of terms (see :func:`term_keys`)."""

    def document_count(self) -> int: ...

    def document_frequency(self, term: str) -> int: ...


class CorpusStats:
    """In-memory :class:`TermStats`, for tests and evaluation."""

    def __init__(self) -> None:
        self._count = 0
        self._df: dict[str, int] = {}

    def add(self, features: StoryFeatures) -> None:
        """Count one stored item."""
        self._count += 1
        df = self._df
        for term in term_keys(features):
            df[term] = df.get(term, 0) + 1

    def document_count(self) -> int:
        return self._count

    def document_frequency(self, term: str) -> int:
        return self._df.get(term, 0)


@dataclass(frozen=True)
class Candidate:
    """A stored item that may belong to the same story as a new one."""

    story_id: str
    source_id: str
    published: datetime
    features: StoryFeatures


# --------------------------------------------------------------------------- text

_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_NUMBER_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
_SENTENCE_END_RE = re.compile(r"[.!?…:»\"]\s*$")
_KK_LETTERS = frozenset("әғқңөұүһі")

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "январ jan қаңтар",
        "феврал feb ақпан",
        "март mar наурыз",
        "апрел apr сәуір",
        "ма may мамыр",
        "июн jun маусым",
        "июл jul шілде",
        "август aug тамыз",
        "сентябр sep қыркүйек",
        "октябр oct қазан",
        "ноябр nov қараша",
        "декабр dec желтоқсан",
    ),
    start=1,
):
    for _n in _names.split():
        _MONTHS[_n] = _i
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_RE = re.compile(rf"\b(\d{{1,2}})[-\s]+({_MONTH_ALT})\w*\.?", re.IGNORECASE)
_MONTH_DAY_RE = re.compile(rf"\b({_MONTH_ALT})\w*\.?\s+(\d{{1,2}})\b(?![.,:]\d)", re.IGNORECASE)
_NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(?:\d{4}|\d{2})\b")
_TIME_RE = re.compile(r"\b\d{1,2}:\d{2}\b")


def _words(text: str) -> list[str]:
    return text.split()


_RU_DROP_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO", "PRED"})
_NAME_TAGS = ("Name", "Surn", "Patr", "Geox", "Orgn", "Trad")
_RU_STOP = frozenset(
    _words(
        "это этот тот такой весь свой который также год время один два три быть мочь сообщить "
        "сообщать передавать заявить отметить рассказать сказать данные слово словам ранее "
        "днём вчера сегодня новый"
    )
)
_KK_STOP = frozenset(
    _words(
        "және мен бен пен да де та те бұл осы сол ол оның олар деп деді бойынша үшін туралы "
        "сондай-ақ ақ жыл жылы бір екі болды болып бар жоқ еді дейін кейін бері арқылы ал "
        "бірақ немесе ғана тағы қатысты атап өтті жөнінде жөніндегі хабарлайды мәлімдеді "
        "айтты айтуынша мәліметінше сәйкес қазір кезде"
    )
)
_EN_STOP = frozenset(
    _words(
        "a an the and or but of to in on at by for with from as is are was were be been has "
        "have had it its this that these those which who he she they their his her will would "
        "can could said says also after before over about into than more most some such not "
        "no up out new nov oct jan feb mar apr jun jul aug sep dec reports reported p m"
    )
)
_KK_SUFFIXES = tuple(
    sorted(
        _words(
            "лар лер дар дер тар тер сын сін ын ін ымыз іміз ыңыз іңіз мыз міз ңыз ңіз сы сі ың "
            "ің ы і ның нің дың дің тың тің ға ге қа ке на не ны ні ды ді ты ті да де та те нда "
            "нде дан ден тан тен нан нен мен бен пен ғы гі қы кі дағы дегі тағы тегі ндағы ндегі "
            "ша ше ған ген қан кен"
        ),
        key=len,
        reverse=True,
    )
)
_RU_ENDINGS = tuple(
    sorted(
        _words(
            "иями ями ами иях ях ах ией ей ой ою ом ем ым им ый ий ое ее ого его ому ему ая яя ую "
            "юю ые ие ых их ия ии ию ью а я у ю е ы и о й ь"
        ),
        key=len,
        reverse=True,
    )
)
_TRANSLIT = str.maketrans(
    {
        "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
        "ё": "e", "ж": "j", "з": "z", "и": "i", "й": "", "і": "i", "к": "k", "қ": "k",
        "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h",
        "ц": "c", "ч": "c", "ш": "s", "щ": "s", "ъ": "", "ы": "y", "ь": "", "э": "e",
        "ю": "u", "я": "a", "x": "ks", "q": "k", "c": "k", "w": "v",
    }
)  # fmt: skip


@functools.cache
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def detect_language(text: str) -> str:
    """Cheap guess among 'kk', 'ru' and 'en' from the letters used."""
    cyrillic = latin = kazakh = 0
    for ch in text[:2000].lower():
        if "а" <= ch <= "я" or ch == "ё":
            cyrillic += 1
        elif ch in _KK_LETTERS:
            kazakh += 1
        elif "a" <= ch <= "z":
            latin += 1
    if kazakh and kazakh * 40 >= cyrillic:
        return "kk"
    return "ru" if cyrillic + kazakh > latin else "en"


def _strip_endings(word: str, endings: Sequence[str], min_stem: int, rounds: int) -> str:
    for _ in range(rounds):
        for end in endings:
            if word.endswith(end) and len(word) - len(end) >= min_stem:
                word = word[: -len(end)]
                break
        else:
            break
    return word


@functools.lru_cache(maxsize=200_000)
def _stem_kk(word: str) -> str:
    return _strip_endings(word, _KK_SUFFIXES, 3, 3)


@functools.lru_cache(maxsize=100_000)
def _stem_en(word: str) -> str:
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for end, keep in (("ing", 5), ("ed", 4), ("es", 5), ("s", 3)):
        if word.endswith(end) and len(word) - len(end) >= keep - 2 and not word.endswith("ss"):
            if end == "s" and word.endswith(("us", "is")):
                return word
            return word[: -len(end)]
    return word


@functools.lru_cache(maxsize=200_000)
def _stem_ru(word: str) -> str:
    """Cut one inflectional ending, so that a lemma and a capitalized form agree."""
    return _strip_endings(word, _RU_ENDINGS, 3, 1)


@functools.lru_cache(maxsize=200_000)
def _lemma_ru(word: str) -> tuple[str, bool]:
    """Lowercased word -> (lemma or "" for a function word, looks like a proper name)."""
    morph = _morph()
    try:
        parses = morph.parse(word)
    except (KeyError, ValueError):  # pymorphy3 fails on some non-Cyrillic letters (U+17000…)
        return word, False
    best = parses[0]
    if best.tag.POS in _RU_DROP_POS:
        return "", False
    named = (
        not morph.word_is_known(word)
        or any(tag in p.tag for p in parses[:3] for tag in _NAME_TAGS)
        # a surname read as a plural genitive ("Токаев" -> "токай")
        or ({"plur", "gent"} in best.tag and word.endswith(("ов", "ев", "ин", "ын")))
    )
    lemma = best.normal_form.replace("ё", "е")
    return ("" if lemma in _RU_STOP else lemma), named


def _skeleton(term: str) -> str:
    """Language-neutral key of a name: its transliterated consonants, first five."""
    latin = term.translate(_TRANSLIT)
    consonants = [ch for ch in latin if ch.isalpha() and ch not in "aeiouyjh"]
    return "".join(consonants[:5]) if len(consonants) >= 3 else ""


# ----------------------------------------------------------------------- features


@dataclass
class _Tokens:
    terms: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)


def _term_of(token: str, language: str, capitalized: bool, initial: bool) -> tuple[str, bool]:
    """One token -> (term or "", is a name)."""
    low = token.lower().replace("’", "'")
    if language == "ru" and not low.isascii():
        lemma, named = _lemma_ru(low)
        if not lemma:
            return "", False
        if capitalized and named:
            # Names unknown to the dictionary get poor lemmas: cut their ending instead.
            return _stem_ru(low.replace("ё", "е")), True
        return lemma, capitalized and not initial
    if language == "kk" and not low.isascii():
        if low in _KK_STOP:
            return "", False
        stem = _stem_kk(low)
        return ("", False) if stem in _KK_STOP else (stem, capitalized and not initial)
    if low in _EN_STOP or len(low) < 2:
        return "", False
    return _stem_en(low), capitalized and not initial


def _tokenize(text: str, language: str) -> _Tokens:
    out = _Tokens()
    previous_end = 0
    for match in _WORD_RE.finditer(text):
        token = match.group()
        gap = text[previous_end : match.start()]
        initial = previous_end == 0 or bool(_SENTENCE_END_RE.search(gap))
        previous_end = match.end()
        capitalized = token[0].isupper() or (len(token) > 1 and token.isupper())
        term, named = _term_of(token, language, capitalized, initial)
        if term:
            out.terms.append(term)
            if named:
                out.names.add(term)
    return out


def _extract_dates(text: str) -> tuple[set[str], str]:
    """Dates as MMDD, and the text with them (and clock times) blanked out."""
    dates: set[str] = set()

    def add(day: str, month: int) -> str:
        if 1 <= int(day) <= 31 and 1 <= month <= 12:
            dates.add(f"{month:02d}{int(day):02d}")
        return " "

    def month_of(word: str) -> int:
        low = word.lower()
        return next((n for prefix, n in _MONTHS.items() if low.startswith(prefix)), 0)

    text = _NUMERIC_DATE_RE.sub(lambda m: add(m.group(1), int(m.group(2))), text)
    text = _DAY_MONTH_RE.sub(lambda m: add(m.group(1), month_of(m.group(2))), text)
    text = _MONTH_DAY_RE.sub(lambda m: add(m.group(2), month_of(m.group(1))), text)
    return dates, _TIME_RE.sub(" ", text)


def _extract_numbers(text: str) -> set[str]:
    numbers = set()
    for match in _NUMBER_RE.finditer(text):
        raw = re.sub(r"[ \u00a0\u202f]", "", match.group()).replace(",", ".")
        if "." in raw:
            raw = raw.rstrip("0").rstrip(".")
        raw = raw.lstrip("0") or "0"
        numbers.add(raw)
    return numbers


def _simhash(terms: Sequence[str]) -> int:
    shingles = [" ".join(terms[i : i + 3]) for i in range(max(len(terms) - 2, 1))]
    values = [
        int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for shingle in shingles
    ]
    half = len(values) / 2
    # A bit is set when more than half of the shingles' hashes have it (the same result
    # as summing ±1 per bit, with one pass per bit over ints instead of 64 per shingle).
    return sum(1 << bit for bit in range(64) if sum(v >> bit & 1 for v in values) > half)


def extract_features(title: str, text: str, language: str | None) -> StoryFeatures:
    """Features of one item.

    Args:
        title: the item's title, plain text.
        text: the item's plain text (HTML already stripped); only its lead is read.
        language: 'ru', 'kk', 'en', or None to detect it cheaply; other values are
            treated as 'en'-like (no morphology).
    """
    body = f"{title}.\n{text[:_LEAD_CHARS]}"
    lang = language or detect_language(body)
    title_dates, title_rest = _extract_dates(title)
    dates, rest = _extract_dates(body)
    numbers = _extract_numbers(rest)
    tokens = _tokenize(rest, lang)
    title_tokens = _tokenize(title_rest, lang)
    names = tokens.names | title_tokens.names
    return StoryFeatures(
        language=lang,
        terms=frozenset(tokens.terms),
        title=frozenset(title_tokens.terms) | {f"@{d}" for d in title_dates},
        names=frozenset(names),
        numbers=frozenset(numbers),
        dates=frozenset(dates),
        skeletons=frozenset(s for s in map(_skeleton, names) if s),
        simhash=_simhash(tokens.terms),
        title_numbers=frozenset(_extract_numbers(title_rest)),
    )


# --------------------------------------------------------------------- index keys


@functools.lru_cache(maxsize=8192)
def all_terms(features: StoryFeatures) -> frozenset[str]:
    """The terms the decision weighs for an item (``term_keys`` unsorted, uncut);
    cached, as the same stored items are candidates again and again."""
    keys = set(features.terms)
    keys.update(features.title)
    keys.update("#" + n for n in features.numbers | features.title_numbers)
    keys.update("@" + d for d in features.dates)
    keys.update("~" + s for s in features.skeletons)
    return frozenset(keys)


def term_keys(features: StoryFeatures) -> list[str]:
    """Terms whose document frequency grows by one when the item is stored (sorted)."""
    keys = set(features.terms)
    keys.update(f"#{n}" for n in features.numbers)
    keys.update(f"@{d}" for d in features.dates)
    keys.update(f"~{s}" for s in features.skeletons)
    return sorted(k[:_MAX_KEY_LEN] for k in keys)


def _is_year(number: str) -> bool:
    return len(number) == 4 and number.isdigit() and 1900 <= int(number) <= 2100


def index_keys(features: StoryFeatures) -> list[str]:
    """Keys for the candidate index, at most ``MAX_INDEX_KEYS``, deterministic.

    In order of priority: SimHash bands (4 x 16 bits, for near-copies), dates, title
    terms and numbers, name skeletons (they match across languages), body names, other
    non-year numbers. Rank the fetched candidates by the number of shared keys.
    """
    bands = [f"s{i}:{features.simhash >> (16 * i) & 0xFFFF:04x}" for i in range(4)]
    ordered: list[str] = bands
    ordered += [f"d:{d}" for d in sorted(features.dates)]
    ordered += [f"t:{t}" for t in sorted(features.title) if not t.startswith("@")]
    ordered += [f"n:{n}" for n in sorted(features.title_numbers) if not _is_year(n)]
    ordered += [f"k:{s}" for s in sorted(features.skeletons)]
    ordered += [f"t:{t}" for t in sorted(features.names - features.title)]
    ordered += [f"n:{n}" for n in sorted(features.numbers) if not _is_year(n)]
    unique = list(dict.fromkeys(k[:_MAX_KEY_LEN] for k in ordered))
    return unique[:MAX_INDEX_KEYS]


_KEY_TERM_PREFIX = {"t": "", "d": "@", "n": "#", "k": "~"}


def lookup_keys(
    keys: Sequence[str],
    stats: TermStats,
    max_keys: int = 16,
    max_share: float = 0.02,
    max_df: int = 1000,
) -> list[str]:
    """The index keys worth looking candidates up by: the rarest ``max_keys``, without
    dates (every item of a day carries its date) and without keys in more than
    ``max_share`` of all items or more than ``max_df`` of them (a common word would fetch
    thousands of rows that the decision then rejects; the absolute cap keeps the rows a
    key fetches within the time window flat as the store grows). SimHash bands count as
    rare. With fewer than 1,000 items the frequencies say little and every key but the
    dates is used."""
    total = stats.document_count()
    usable = [key for key in keys if not key.startswith("d:")]
    if total < 1000:
        return usable
    limit = min(max_share * total, max_df)
    ranked = []
    for key in usable:
        kind, _, value = key.partition(":")
        prefix = _KEY_TERM_PREFIX.get(kind)
        df = 0 if prefix is None else stats.document_frequency(prefix + value)
        if df <= limit:
            ranked.append((df, key))
    ranked.sort()
    return [key for _df, key in ranked[:max_keys]]


# --------------------------------------------------------------------- similarity


class _Weights:
    """BM25 IDF per term. Weights are shared across decisions while the number of stored
    items stays within 2% of the one they were computed for (they drift slowly, and
    recomputing a logarithm per term per candidate dominated the decision)."""

    _shared: dict[str, float] = {}  # noqa: RUF012 (deliberately shared)
    _shared_n = 0

    def __init__(self, stats: TermStats) -> None:
        self._stats = stats
        self._n = max(stats.document_count(), 1)
        if abs(self._n - _Weights._shared_n) > 0.02 * max(_Weights._shared_n, 50):
            _Weights._shared = {}
            _Weights._shared_n = self._n
        self._cache = _Weights._shared
        if len(self._cache) > 500_000:
            self._cache.clear()

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


def _cosine(
    a: frozenset[str],
    b: frozenset[str],
    names: frozenset[str],
    weights: _Weights,
    boost: float,
) -> float:
    shared = a & b
    if not shared:
        return 0.0
    overlap = weights.total(shared, names, boost)
    norm = math.sqrt(weights.total(a, names, boost) * weights.total(b, names, boost))
    return overlap / norm if norm else 0.0


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
    body = _cosine(
        a.terms | _prefixed(a.numbers, "#"), b.terms | _prefixed(b.numbers, "#"),
        names, weights, s.name_boost,
    )  # fmt: skip
    title = _cosine(
        a.title | _prefixed(a.title_numbers, "#"), b.title | _prefixed(b.title_numbers, "#"),
        names, weights, s.name_boost,
    )  # fmt: skip
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


# ----------------------------------------------------------------------- decision


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

"""Text analysis (evidence first: :mod:`.evidence`): tokens, lemmas and stems,
names, numbers, dates, SimHash and :func:`extract_features`."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pymorphy3

from aggregator.dedup.evidence import evidence_text
from aggregator.dedup.values import StoryFeatures

_LEAD_CHARS = 2500  # retellings share the lead; the tail adds noise and cost

_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_WORD_SPLIT_RE = re.compile(f"({_WORD_RE.pattern})")
_NUMBER_RE = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])"
    # a compound figure is one figure: a score ("41-1-1", "6:4"), an issue ("выпуск 1-10")
    r"|(?<![\w.,\-–:/])\d{1,4}(?:[\-–:/]\d{1,4})+(?![\w.,\-–:/]?\d)"
    r"|\d+(?:[.,]\d+)?"
)
_SENTENCE_ENDS = frozenset('.!?…:»"')
_NO_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")
"""Thousands' separators of a figure ("12 500"), dropped."""
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+(?=[^\W\d_a-zа-яё])|\n+")
_LEAD_SENTENCES = 2
"""Sentences of the text (after the title) whose words tell the event: its predicate."""
MIN_EVIDENCE = 4
"""Distinct terms below which an item says too little to join any story."""
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
# "\b\d{1,2}" written "\d(?<=(?<!\w)\d)\d?": the same matches, but a pattern that starts
# with a digit lets the regex engine skip to the next digit instead of testing a word
# boundary at every position (2x faster).
_FIGURE_START = r"\d(?<=(?<!\w)\d)"
_DAY_MONTH_RE = re.compile(rf"({_FIGURE_START}\d?)[-\s]+({_MONTH_ALT})\w*\.?", re.IGNORECASE)
_MONTH_FIRST = "".join(sorted({c for m in _MONTHS for c in (m[0].lower(), m[0].upper())}))
# The lookahead adds nothing the names do not require, but lets the regex engine drop a
# position on one character test instead of trying every name (2.4x faster).
_MONTH_DAY_RE = re.compile(
    rf"\b(?=[{_MONTH_FIRST}])({_MONTH_ALT})\w*\.?\s+(\d{{1,2}})\b(?![.,:]\d)", re.IGNORECASE
)
_NUMERIC_DATE_RE = re.compile(rf"({_FIGURE_START}\d?)\.(\d{{1,2}})\.(?:\d{{4}}|\d{{2}})\b")
_TIME_RE = re.compile(rf"{_FIGURE_START}\d?:\d{{2}}\b")
_DIGIT_RE = re.compile(r"\d")
_ASIDE_RE = re.compile(r"\b([^\W\d_][\w-]*)\s*\((?=[^()]{0,40}\d)[^()]{1,40}\)")
"""A parenthesis with a figure right after a word: "Головкин (41-1-1, 36 КО)" and
"Нукенова (31 год)" state an attribute of whom they follow (a record, an age), which
changes from one report to the next, not a figure of the event. Only those after a
capitalized word are dropped (:func:`_without_asides`)."""


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
        "ё": "e", "ж": "z", "з": "z", "и": "i", "й": "", "і": "i", "к": "k", "қ": "k",
        "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "k", "һ": "h",
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


@functools.lru_cache(maxsize=100_000)
def _is_verb_ru(lemma: str) -> bool:
    """Whether a Russian lemma is a verb's: pymorphy3 gives a verb's forms, participles
    and gerunds their infinitive as lemma."""
    try:
        return bool(_morph().parse(lemma)[0].tag.POS == "INFN")
    except (KeyError, ValueError):  # as in _lemma_ru: some non-Cyrillic letters
        return False


def name_skeleton(term: str) -> str:
    """Language-neutral key of a name: its transliterated consonants, first five."""
    latin = term.translate(_TRANSLIT)
    consonants = [ch for ch in latin if ch.isalpha() and ch not in "aeiouyjh"]
    return "".join(consonants[:5]) if len(consonants) >= 3 else ""


# ----------------------------------------------------------------------- features


@dataclass
class _Tokens:
    terms: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)


class _Term(NamedTuple):
    """What a token gives whatever its place: its term ("" for none), its term when it
    is written capitalized and read as a name (Russian names: "" for none), and whether
    it is written capitalized."""

    term: str
    name: str
    capitalized: bool


@functools.lru_cache(maxsize=200_000)
def _term_of(token: str, language: str) -> _Term:
    """One token -> its ``_Term``; cached, as news wording repeats (the sentence start,
    which only decides whether a capitalized term is a name, is left to the caller)."""
    capitalized = token[0].isupper() or (len(token) > 1 and token.isupper())
    low = token.lower().replace("’", "'")
    if language == "ru" and not low.isascii():
        lemma, named = _lemma_ru(low)
        if not lemma:
            return _Term("", "", capitalized)
        # Names unknown to the dictionary get poor lemmas: cut their ending instead.
        return _Term(lemma, _stem_ru(low.replace("ё", "е")) if named else "", capitalized)
    if language == "kk" and not low.isascii():
        stem = "" if low in _KK_STOP else _stem_kk(low)
        return _Term("" if stem in _KK_STOP else stem, "", capitalized)
    if low in _EN_STOP or len(low) < 2:
        return _Term("", "", capitalized)
    return _Term(_stem_en(low), "", capitalized)


def _tokenize(text: str, language: str) -> _Tokens:
    out = _Tokens()
    parts = _WORD_SPLIT_RE.split(text)  # [gap, word, gap, word, …, gap]: one pass in C
    for i in range(1, len(parts), 2):
        term, name, capitalized = _term_of(parts[i], language)
        if term and capitalized and name:
            out.terms.append(name)
            out.names.add(name)
        elif term:
            out.terms.append(term)
            # A capitalized word is a name but where any word is: at a sentence start.
            if capitalized and i > 1 and not _ends_sentence(parts[i - 1]):
                out.names.add(term)
    return out


def _ends_sentence(gap: str) -> bool:
    """Whether the text between two words ends a sentence (then spaces). A straight
    quote ends one only after a sentence's end ('."'): before a word it opens a quote,
    often a name ('станциясы "Балқаш"', 'госкорпорация "Росатом"')."""
    gap = gap.rstrip()  # str.isspace() spaces, as the regex's \s
    if gap.endswith('"'):
        gap = gap[:-1].rstrip()
    return bool(gap) and gap[-1] in _SENTENCE_ENDS


def _extract_dates(text: str) -> tuple[set[str], str]:
    """Dates as MMDD, and the text with them (and clock times) blanked out."""
    dates: set[str] = set()
    if not _DIGIT_RE.search(text):  # every pattern needs a digit (titles often have none)
        return dates, text

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
    for figure in _NUMBER_RE.findall(text):
        raw = figure.translate(_NO_GROUP_SPACES).replace(",", ".")
        if "." in raw:
            raw = raw.rstrip("0").rstrip(".")
        raw = raw.lstrip("0") or "0"
        numbers.add(raw)
    return numbers


def _simhash(terms: Sequence[str]) -> int:
    """64-bit SimHash of the term 3-shingles: a bit is set when more than half of the
    shingles' hashes have it (counted over the hashes' bits with numpy)."""
    if len(terms) >= 3:
        triples = zip(terms[:-2], terms[1:-1], terms[2:], strict=True)
        shingles = [f"{a} {b} {c}" for a, b, c in triples]
    else:
        shingles = [" ".join(terms)]
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(s.encode(), digest_size=8).digest() for s in shingles])
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 8), axis=1)
    majority = bits.sum(axis=0) * 2 > len(shingles)
    return int.from_bytes(np.packbits(majority).tobytes(), "big")


def extract_features(title: str, text: str, language: str | None) -> StoryFeatures:
    """Features of one item.

    Args:
        title: the item's title, plain text.
        text: the item's plain text (HTML already stripped); only its lead is read.
        language: 'ru', 'kk', 'en', or None to detect it cheaply; other values are
            treated as 'en'-like (no morphology).
    """
    lang = language or detect_language(f"{title}.\n{text[:_LEAD_CHARS]}")
    title, text = (
        _without_asides(evidence_text(title)),
        _without_asides(evidence_text(text[:_LEAD_CHARS])),
    )
    body = f"{title}.\n{text}"
    title_dates, title_rest = _extract_dates(title)
    dates, rest = _extract_dates(body)
    numbers = _extract_numbers(rest)
    tokens = _tokenize(rest, lang)
    title_tokens = _tokenize(title_rest, lang)
    lead_dates, lead_rest = _extract_dates(_lead(title, text))
    lead_tokens = _tokenize(lead_rest, lang)
    lead_numbers = {f"#{n}" for n in _extract_numbers(lead_rest)}
    lead_numbers |= {f"@{d}" for d in lead_dates}
    names = tokens.names | title_tokens.names
    lead_words = frozenset(lead_tokens.terms) - names
    return StoryFeatures(
        language=lang,
        terms=frozenset(tokens.terms),
        title=frozenset(title_tokens.terms) | {f"@{d}" for d in title_dates},
        names=frozenset(names),
        numbers=frozenset(numbers),
        dates=frozenset(dates),
        skeletons=frozenset(s for s in map(name_skeleton, names) if s),
        simhash=_simhash(tokens.terms),
        title_numbers=frozenset(_extract_numbers(title_rest)),
        lead=lead_words | lead_numbers,
        predicates=frozenset(filter(_is_verb_ru, lead_words)) if lang == "ru" else frozenset(),
    )


def _without_asides(text: str) -> str:
    """The text without the figures in parentheses after a name (see :data:`_ASIDE_RE`)."""
    if "(" not in text:
        return text
    return _ASIDE_RE.sub(lambda m: m.group(1) if m.group(1)[0].isupper() else m.group(0), text)


def _lead(title: str, text: str) -> str:
    """The title and the text's first sentences (the text's own first line when it only
    repeats the title): where a report says what happened."""
    sentences = [s for s in _SENTENCE_SPLIT_RE.split(text.strip()) if s.strip()]
    if sentences and title.strip() and sentences[0].strip().rstrip(".") == title.strip():
        sentences = sentences[1:]
    return f"{title}.\n" + " ".join(sentences[:_LEAD_SENTENCES])

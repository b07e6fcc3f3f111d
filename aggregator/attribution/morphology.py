"""Russian and Kazakh word forms: inflect, lemmatize, kazakh_dative; word shapes.

The only state is the lazily created pymorphy3 analyzer and ``lru_cache`` caches of its
answers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pymorphy3


@functools.lru_cache(maxsize=1)
def _morph() -> Any:
    """The pymorphy3 analyzer, created once on first use (it takes ~0.3 s)."""
    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=65536)
def _parses(word: str) -> tuple[Any, ...]:
    try:
        return tuple(_morph().parse(word))
    except (KeyError, ValueError):  # pymorphy3 fails on some non-Cyrillic letters (U+17000…)
        return ()


_CASES = {
    "nom": "nomn",
    "nomn": "nomn",
    "gen": "gent",
    "gent": "gent",
    "dat": "datv",
    "datv": "datv",
    "acc": "accs",
    "accs": "accs",
    "ins": "ablt",
    "abl": "ablt",
    "ablt": "ablt",
    "loc": "loct",
    "loct": "loct",
    "prep": "loct",
}
_CYRILLIC_WORD = re.compile(r"^[А-Яа-яЁё][а-яё]*(?:-[А-Яа-яЁё][а-яё]*)?$")
_KAZAKH_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")


def _is_declinable_word(word: str) -> bool:
    """A Russian word pymorphy can decline: Cyrillic, not an abbreviation, no Kazakh letters."""
    return bool(_CYRILLIC_WORD.match(word)) and not _KAZAKH_LETTERS.intersection(word)


def _is_latin(word: str) -> bool:
    return bool(re.search(r"[A-Za-z]", word)) and not re.search(r"[А-Яа-яЁё]", word)


def _is_namey(word: str) -> bool:
    """Could start or continue a proper name: capitalized, quoted, Latin, digits."""
    return word[:1].isupper() or word[:1] in '«"“' or word[:1].isdigit() or _is_latin(word)


def _restore_case(original: str, word: str) -> str:
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _nominative_parse(word: str, pos: str) -> Any | None:
    """The parse of ``word`` as a nominative ``pos`` whose dictionary form is the word itself.

    This is what defeats pymorphy's traps: 'Акорда' is first read as the genitive of
    'акорд'; we want the reading whose normal form is 'акорда'.
    """
    low = word.lower().replace("ё", "е")
    candidates = [p for p in _parses(word.lower()) if pos == p.tag.POS and p.tag.case == "nomn"]
    for p in candidates:
        itself = p.normal_form.replace("ё", "е") == low or p.word.replace("ё", "е") == low
        if itself and (pos != "NOUN" or p.tag.number != "plur" or len(candidates) == 1):
            return p
    return candidates[0] if candidates else None


def _accusative_noun(word: str, parse: Any) -> str:
    """Accusative of an organisation's head noun, read as inanimate."""
    if "Fixd" in parse.tag or parse.tag.number == "plur" or parse.tag.gender != "femn":
        return word  # inanimate masculine, neuter, plural and indeclinable: acc = nom
    for end, new in (("а", "у"), ("я", "ю")):
        if word.endswith(end):
            return word[: -len(end)] + new
    return word  # feminine in -ь


def _accusative_adjective(word: str, gender: str | None) -> str:
    if gender == "femn":
        for end, new in (("ая", "ую"), ("яя", "юю")):
            if word.endswith(end):
                return word[: -len(end)] + new
    return word


def _inflect_word(word: str, parse: Any, grammeme: str) -> str:
    if grammeme == "nomn":
        return word
    target = {grammeme}
    if parse.tag.POS == "ADJF":
        target |= {parse.tag.gender or "plur", "sing" if parse.tag.gender else "plur"}
        if grammeme == "accs" and parse.tag.gender in ("masc", None):
            target.add("inan")
    form = parse.inflect(target)
    if form is not None and parse.tag.POS == "ADJF" and not form.word.startswith(word.lower()[:-2]):
        # 'высшая' shares its lexeme with 'высокий'/'высочайший': keep the same stem.
        stem = word.lower()[:-2]
        same = [f for f in parse.lexeme if f.word.startswith(stem) and target <= f.tag.grammemes]
        form = same[0] if same else None
    return _restore_case(word, form.word) if form is not None else word


def _split_words(name: str) -> list[str]:
    return name.split(" ")


def _head_span(words: Sequence[str]) -> tuple[list[Any], int] | None:
    """Parses of leading agreeing adjectives and the head noun, or None."""
    parses: list[Any] = []
    for i, word in enumerate(words[:5]):
        if not _is_declinable_word(word):
            return None
        adj = _nominative_parse(word, "ADJF")
        noun = _nominative_parse(word, "NOUN")
        last = i == len(words) - 1
        adjectival = word.endswith(("ая", "яя", "ый", "ий", "ой", "ое", "ее", "ые", "ие"))
        if noun is not None and (adj is None or last or not adjectival):
            return [*parses, noun], i
        if adj is None:
            return None
        parses.append(adj)
    return None


def _substantivized(words: Sequence[str]) -> bool:
    """'Уполномоченный по правам человека': an adjective used as a noun (a person)."""
    if len(words) < 2 or not _is_declinable_word(words[0]) or words[0][-2:] not in ("ый", "ий"):
        return False
    if _nominative_parse(words[0], "ADJF") is None or _nominative_parse(words[0], "NOUN"):
        return False
    return words[1].lower() in ("по", "при")


_PERSON_GRAMMEMES = ("Name", "Surn", "Patr")


def _person_word(word: str) -> Any | None:
    """The nominative parse of a first name, surname or patronymic, or None."""
    if not _is_declinable_word(word) or not word[:1].isupper():
        return None
    for p in _parses(word.lower()):
        if p.tag.case == "nomn" and any(g in p.tag for g in _PERSON_GRAMMEMES):
            return p
    return None


def _role_noun(word: str) -> bool:
    """A role written in lower case ("представитель", "вице-министр"), animate, not a name."""
    parse = _animate_head(word)
    return (
        parse is not None
        and word[:1].islower()
        and not any(g in parse.tag for g in (*_PERSON_GRAMMEMES, "Geox", "Orgn"))
    )


def _animate_head(word: str) -> Any | None:
    for p in _parses(word.lower()):
        if p.tag.POS == "NOUN" and p.tag.case == "nomn" and "anim" in p.tag:
            return p
    return None


def _person_phrase(words: Sequence[str], grammeme: str) -> str | None:
    """A person with their role ("официальный представитель МЧС Руслан Иманкулов") in
    ``grammeme``; people are animate, so their accusative is their genitive. The role's
    head and its adjectives change, genitive dependents stay, the name changes. None when
    the phrase names no person."""
    target = "gent" if grammeme == "accs" else grammeme
    names = [i for i, w in enumerate(words) if _person_word(w) is not None]
    first_noun = next((i for i, w in enumerate(words[:4]) if _nominative_parse(w, "NOUN")), None)
    head = first_noun if first_noun is not None and _role_noun(words[first_noun]) else None
    if head is None or not names or names[-1] < len(words) - 2:
        return None  # a bare name: left as written rather than guessed (Ажар is a woman)
    out = list(words)
    noun = _animate_head(words[head])
    if noun is not None:
        for i in range(head):
            adj = _nominative_parse(words[i], "ADJF")
            if adj is not None:
                form = adj.inflect({target, noun.tag.gender or "masc", "sing"})
                out[i] = _restore_case(words[i], form.word) if form else words[i]
        form = noun.inflect({target, noun.tag.number or "sing"})
        out[head] = _restore_case(words[head], form.word) if form else words[head]
    for i in names:
        parse = _person_word(words[i])
        if i <= head or parse is None:
            continue
        form = parse.inflect({target})
        out[i] = _restore_case(words[i], form.word) if form else words[i]
        if i + 1 < len(words) and i + 1 not in names and "masc" in parse.tag:
            out[i + 1] = _masculine_surname(words[i + 1], target)
    return " ".join(out)


def _bare_name(words: Sequence[str]) -> bool:
    """'Ажар Гиният', 'Бауыржан Сыздыков': a first name and a surname, nothing else."""
    first = _person_word(words[0])
    return (
        first is not None
        and "Name" in first.tag
        and 2 <= len(words) <= 3
        and all(w[:1].isupper() for w in words)
    )


def _masculine_surname(word: str, grammeme: str) -> str:
    """A surname the dictionary does not know, after a man's first name: 'Сыздыков' →
    'Сыздыкова' (Russian and Kazakh surnames in -ов/-ев/-ин decline alike)."""
    if grammeme in ("gent", "accs") and re.search(r"[А-Яа-яЁё](?:ов|ев|ёв|ин|ын)$", word):
        return word + "а"
    return word


@functools.lru_cache(maxsize=8192)
def _inflect_cached(name: str, grammeme: str) -> str:
    words = _split_words(name)
    person = _person_phrase(words, grammeme)
    if person is not None:
        return person
    if _bare_name(words):
        return name  # a bare personal name stays as written: its gender is a guess
    if _substantivized(words):
        # A person's title: animate, so its accusative is its genitive.
        adj = _nominative_parse(words[0], "ADJF")
        target = "gent" if grammeme == "accs" else grammeme
        return " ".join([_inflect_word(words[0], adj, target), *words[1:]])
    found = _head_span(words)
    if found is None:
        return name
    parses, head = found
    noun = parses[-1]
    if "Fixd" in noun.tag:
        return name
    if "Geox" in noun.tag and head + 1 < len(words) and _is_namey(words[head + 1]):
        return name  # 'Астана Су Арнасы', 'Астана ТВ': a compound proper name
    out = list(words)
    for i, parse in enumerate(parses):
        if grammeme == "accs":
            out[i] = (
                _accusative_noun(words[i], parse)
                if i == head
                else _accusative_adjective(words[i], noun.tag.gender)
            )
        else:
            out[i] = _inflect_word(words[i], parse, grammeme)
    return " ".join(out)


def inflect(name: str, case: str, forms: Mapping[str, str] | None = None) -> str:
    """Russian case form of a source name.

    Args:
        name: the name in its dictionary (nominative) form.
        case: 'nom', 'gen', 'dat', 'acc', 'ins', 'loct' (pymorphy names work too).
        forms: configured forms; ``forms[case]`` wins over the analyzer.

    Only the head noun and the adjectives agreeing with it before it change:
    'Генеральная прокуратура' -> 'Генеральную прокуратуру', 'акимат Алматы' unchanged.
    Abbreviations, Latin and Kazakh names, quoted and indeclinable names stay as they are;
    organisations are inanimate. Unknown case names raise ValueError.
    """
    if forms:
        for key in (case, _CASES.get(case, case)):
            if key in forms:
                return forms[key]
    if case not in _CASES:
        raise ValueError(f"unknown case {case!r}; use one of {sorted(_CASES)}")
    if not name.strip():
        return name
    return _inflect_cached(name, _CASES[case])


_ADJ_ENDINGS = (
    "ыми",
    "ими",
    "ого",
    "его",
    "ому",
    "ему",
    "ой",
    "ей",
    "ую",
    "юю",
    "ым",
    "им",
    "ом",
    "ем",
    "ых",
    "их",
    "ая",
    "яя",
    "ые",
    "ие",
    "ое",
    "ее",
    "ый",
    "ий",
)


def _adjective_nominative(word: str, gender: str | None, number: str | None) -> str:
    """Nominative of an adjective by its ending; pymorphy would turn 'Высшую' into 'Высочайшая'."""
    for ending in _ADJ_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            break
    else:
        return word
    hushing = stem[-1:] in "жшчщцкгх"
    soft = ending[:1] in "еяюи" and not hushing
    if number == "plur" or gender is None:
        new = "ие" if soft or hushing else "ые"
    elif gender == "femn":
        new = "яя" if soft else "ая"
    elif gender == "neut":
        new = "ее" if soft else "ое"
    else:
        new = "ий" if soft or stem[-1:] in "кгхжшчщ" else "ый"
    return stem + new


@functools.lru_cache(maxsize=8192)
def _lemmatize_cached(name: str, grammeme: str) -> str:
    words = _split_words(name)
    out = list(words)
    for i, word in enumerate(words[:5]):
        if not _is_declinable_word(word):
            break
        parses = [p for p in _parses(word.lower()) if p.tag.case == grammeme]
        parses = [p for p in parses if p.tag.POS in ("NOUN", "ADJF")]
        if not parses:
            break
        sing = [p for p in parses if p.tag.number == "sing" and "anim" not in p.tag] or parses
        best = sing[0]
        if best.tag.POS == "ADJF":
            out[i] = _adjective_nominative(word, best.tag.gender, best.tag.number)
        else:
            form = best.inflect({"nomn"} | ({"sing"} if best.tag.number == "sing" else set()))
            if form is None:
                break
            out[i] = _restore_case(word, form.word)
        if best.tag.POS == "NOUN":
            break
    return " ".join(out)


def lemmatize(name: str, case: str) -> str:
    """Dictionary form of a Russian name found in ``case``: 'Акорду' (acc) -> 'Акорда'.

    The head noun and adjectives before it go back to the nominative; genitive dependents
    stay ('пресс-службы Минздрава' -> 'пресс-служба Минздрава').
    """
    grammeme = _CASES.get(case, "nomn")
    if grammeme == "nomn" or not name:
        return name
    return _lemmatize_cached(name, grammeme)


# --------------------------------------------------------------------------- transliteration

_LATIN_DIGRAPHS = (("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ya", "я"))
_LATIN_TO_RU = str.maketrans(
    {
        "a": "а", "ä": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г",
        "ğ": "г", "h": "х", "i": "и", "ı": "ы", "j": "ж", "k": "к", "l": "л", "m": "м",
        "n": "н", "ñ": "н", "o": "о", "ö": "о", "p": "п", "q": "к", "r": "р", "s": "с",
        "ş": "ш", "ç": "ч", "t": "т", "u": "у", "ū": "у", "ü": "у", "v": "в", "w": "у",
        "x": "х", "y": "ы", "z": "з",
    }
)  # fmt: skip


def _latin_to_cyrillic(token: str) -> str:
    for latin, cyr in _LATIN_DIGRAPHS:
        token = token.replace(latin, cyr)
    return token.translate(_LATIN_TO_RU)


# --------------------------------------------------------------------------- kazakh dative

_KK_BACK = set("аоұыуяюёАОҰЫУЯЮЁ")
_KK_FRONT = set("әөүіеэиӘӨҮІЕЭИ")
_KK_VOICELESS = set("кқпстфхцчшщ")
_KK_DEVOICED = set("бвгд")
# How Kazakh reads the last letter of an abbreviation spelled out, for its suffix.
_LETTER_NAMES = {
    "Б": "бэ", "В": "вэ", "Г": "гэ", "Д": "дэ", "Ж": "жэ", "З": "зэ", "К": "ка", "Қ": "қа",
    "Л": "эл", "М": "эм", "Н": "эн", "П": "пэ", "Р": "эр", "С": "эс", "Т": "тэ", "Ф": "эф",
    "Х": "ха", "Ц": "цэ", "Ч": "чэ", "Ш": "ша", "Ң": "ың", "Ғ": "ғы", "Һ": "һа", "Щ": "ща",
}  # fmt: skip
_DIGIT_NAMES = ("нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
_TENS_NAMES = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")
_LATIN_READING = (
    (r"\.kz$", "кейзет"),
    (r"\.(?:com|az|uz|kg|ru)$", "ком"),
    (r"times$", "таймс"),
    (r"news$", "ньюс"),
    (r"media$", "медиа"),
    (r"press$", "пресс"),
)


def _number_reading(digits: str) -> str:
    n = int(digits[-3:] or "0")
    if n % 10:
        return _DIGIT_NAMES[n % 10]
    if n % 100:
        return _TENS_NAMES[(n % 100) // 10]
    return "жүз" if n else "нөл"


def _reading(name: str) -> tuple[str, bool]:
    """A rough Kazakh reading of the end of a name, and whether a hyphen is needed."""
    last = name.rstrip(' .»"”').split(" ")[-1] if name.strip() else name
    if not last:
        return "а", True
    if last[-1].isdigit():
        return _number_reading(re.sub(r"\D", "", last) or "0"), True
    if _is_latin(last):
        low = last.lower()
        for pattern, reading in _LATIN_READING:
            if re.search(pattern, low):
                return reading, True
        return _latin_to_cyrillic(re.sub(r"[^a-zäöüğıñşçū]", "", low)) or "а", True
    letters = re.sub(r"[^А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]", "", last)
    if len(letters) > 1 and letters.isupper():
        vowels = _KK_BACK | _KK_FRONT
        as_word = bool(vowels.intersection(letters)) and (
            letters[-1] in vowels or letters[-2] in vowels or letters[-1] == letters[-2]
        )
        if not as_word:
            return _LETTER_NAMES.get(letters[-1], letters[-1].lower()), True
        return letters.lower(), True
    return letters.lower() or "а", not last[-1:].isalpha()


def kazakh_dative(name: str, forms: Mapping[str, str] | None = None) -> str:
    """The Kazakh dative of a name: 'Ақорда' -> 'Ақордаға', 'ТАСС' -> 'ТАСС-қа'.

    -ға/-ге after vowels and voiced consonants, -қа/-ке after voiceless ones and devoiced
    б/в/г/д, -на/-не after the possessive -ы/-і of a compound name; back or front vowel by
    the last vowel. A hyphen joins the suffix to abbreviations, Latin names and numbers.
    A configured ``kk_dat`` form wins.
    """
    if forms and "kk_dat" in forms:
        return forms["kk_dat"]
    reading, hyphen = _reading(name)
    vowels = [c for c in reading if c in _KK_BACK or c in _KK_FRONT]
    front = bool(vowels) and vowels[-1] in _KK_FRONT
    end = reading.rstrip("ьъ")[-1:] or "а"
    compound = " " in name.strip() and not hyphen
    if compound and end in "ыі" and len(reading) > 2 and reading[-2] not in _KK_BACK | _KK_FRONT:
        suffix = "не" if front else "на"
    elif end in _KK_VOICELESS or end in _KK_DEVOICED:
        suffix = "ке" if front else "қа"
    else:
        suffix = "ге" if front else "ға"
    base = name.rstrip()
    return f"{base}-{suffix}" if hyphen else f"{base}{suffix}"


# ------------------------------------------------------------- Kazakh in the Arabic script

# Töte jazu, the Arabic-script Kazakh of China's Kazakhs (and of Egemen's version for them):
# letter by letter, back vowels by default; the hamza ء marks a word of front vowels.
_ARABIC_KK = {
    "ا": "а", "ә": "ә", "ب": "б", "ۆ": "в", "ۋ": "у", "گ": "г", "ع": "ғ", "د": "д", "ە": "е",
    "ج": "ж", "ز": "з", "ي": "й", "ك": "к", "ق": "қ", "ل": "л", "م": "м", "ن": "н", "ڭ": "ң",
    "و": "о", "پ": "п", "ر": "р", "س": "с", "ت": "т", "ۇ": "ұ", "ف": "ф", "ح": "х", "ھ": "һ",
    "چ": "ч", "ش": "ш", "ى": "ы", "،": ",", "؛": ";", "؟": "?", "ٴ": "", "ء": "",
}  # fmt: skip
_FRONT = str.maketrans({"а": "ә", "о": "ө", "ұ": "ү", "ы": "і"})
_I_AFTER_CONSONANT = re.compile(r"(?<=[бвгғджзклмнңпрстфхһчш])й")
_ARABIC_WORD = re.compile(r"[\u0600-\u06ff]+")


def arabic_to_cyrillic(text: str) -> str:
    """Kazakh written in the Arabic script, in Cyrillic: 'دەپ حابارلايدى' → 'деп хабарлайды'."""

    def word(m: re.Match[str]) -> str:
        letters = "".join(_ARABIC_KK.get(ch, ch) for ch in m.group(0))
        letters = _I_AFTER_CONSONANT.sub("и", letters)  # ي is й after a vowel, и elsewhere
        front = "ء" in m.group(0) or "ٴ" in m.group(0) or "е" in letters
        return letters.translate(_FRONT) if front else letters

    return _ARABIC_WORD.sub(word, text)

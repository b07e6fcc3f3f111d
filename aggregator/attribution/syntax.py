"""Russian reporting sentences read through a syntax parse (natasha: slovnet over navec).

A sentence is parsed only when it holds a reporting cue (a cheap prefilter). The source
is then read off the dependency tree, not off word order:

* the subject of a reporting verb, with its role and appositions: "сообщил официальный
  представитель КЧС МВД РК Руслан Иманкулов";
* a place of reporting: "сообщили в пресс-службе аэропорта", "добавили в Акорде";
* the outlet in the dative: "сообщил ТАСС", "корреспонденту Tengrinews.kz сообщил";
* the genitive of a source noun after "по"/"согласно": "по данным МЧС", "по словам Y";
* the object of "со ссылкой на" / "ссылаясь на";
* a container of an impersonal report: "говорится в сообщении Акорды".

Each phrase comes back in the nominative, head and agreeing words inflected, dependents
kept ("полковника полиции Куттыбая Садыкова" → "полковник полиции Куттыбай Садыков").
The cue words live in ``aggregator/data/attribution_cues.toml``.

The models load once per process (about 2 s) and parse about 15 ms a sentence.
"""

from __future__ import annotations

import functools
import re
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

from aggregator.attribution.morphology import _adjective_nominative, _parses, _restore_case

REPORTER, CITED, PRIMARY = 0, 1, 2
_MAX_WORDS = 12
_CUE = re.compile(
    r"(?i)сообщ|переда[её]т|передают|передал|пиш[еу]т|(?:на)?писал|заяв|рассказ|поясн|уточн|"
    r"отмети|отмеча|подтверд|информ|добавил|комментир|озвучи|опубликова|публику|размести|"
    r"разместил|предупред|ответил|объяви|привод|ссылк|ссылаясь|данным|словам|сведениям|"
    r"расч[её]там|подсч[её]там|оценк|говорится|сказано|указыва|известно"
)
_SKIP_RELS = frozenset(
    {"acl", "acl:relcl", "advcl", "conj", "cc", "parataxis", "punct", "case", "mark", "obl"}
)
_AGREEING = frozenset({"amod", "appos", "flat:name", "flat", "det", "nummod"})
_FEATS_CASE = {"Nom": "nomn", "Gen": "gent", "Dat": "datv", "Acc": "accs", "Ins": "ablt"}
_FEATS_CASE |= {"Loc": "loct", "Par": "gent", "Voc": "nomn"}
_QUOTE = re.compile(r"«[^«»]*(?:«[^«»]*»[^«»]*)*»|\"[^\"]{12,}\"|“[^”]*”|„[^“]*“")
_NO_YO = str.maketrans("ёЁ", "еЕ")
_GENDERS = {"Masc": "masc", "Fem": "femn", "Neut": "neut"}
_QUALIFIERS = frozenset({"страна", "республика", "казахстан"})


@dataclass(frozen=True)
class Found:
    """A source phrase read off a sentence: dictionary form, chain level, offset."""

    name: str
    level: int
    pos: int
    outlet: bool  # named as a media outlet (head noun or verb says so)


@dataclass(frozen=True)
class _Cues:
    report_verbs: frozenset[str]
    outlet_verbs: frozenset[str]
    impersonal_verbs: frozenset[str]
    source_nouns: frozenset[str]
    container_nouns: frozenset[str]
    outlet_heads: frozenset[str]
    not_sources: frozenset[str]
    vague: frozenset[str]
    anonymous: frozenset[str]
    demonstratives: frozenset[str]
    place_only_verbs: frozenset[str]
    body_heads: frozenset[str]


@functools.cache
def cues() -> _Cues:
    """The Russian cue lexicon, read once from the package data."""
    text = resources.files("aggregator").joinpath("data/attribution_cues.toml").read_text("utf-8")
    table = tomllib.loads(text)["ru"]
    return _Cues(**{key: frozenset(table[key]) for key in _Cues.__dataclass_fields__})


T = TypeVar("T")
_models_lock = threading.Lock()


def load_models() -> None:
    """Load natasha's models now, in the reading process (the bench, before timing)."""
    _in_reading_process(_models)


def _models() -> tuple[Any, Any, Any, Any]:
    """natasha's models, loaded once per process even when two threads ask at once
    (about 2 s and 250 MB: twice would be felt)."""
    with _models_lock:
        return _load_models()


@functools.cache
def _load_models() -> tuple[Any, Any, Any, Any]:
    """natasha's segmenter, morphology, syntax and NER models (shipped in its package)."""
    from natasha import (  # imported here: loading takes seconds, most commands need none
        NewsEmbedding,
        NewsMorphTagger,
        NewsNERTagger,
        NewsSyntaxParser,
        Segmenter,
    )

    embedding = NewsEmbedding()
    return (
        Segmenter(),
        NewsMorphTagger(embedding),
        NewsSyntaxParser(embedding),
        NewsNERTagger(embedding),
    )


def has_cue(text: str) -> bool:
    """Whether ``text`` holds a Russian reporting cue worth a parse."""
    return bool(_CUE.search(text))


@dataclass(frozen=True)
class _Token:
    id: str
    text: str
    start: int
    stop: int
    pos: str
    rel: str
    head: str
    feats: dict[str, str]
    ner: str | None

    @functools.cached_property
    def lemma(self) -> str:
        """Dictionary form, read as the part of speech the tagger gave."""
        parses = _parses(self.text.lower())
        wanted = {"VERB": ("VERB", "INFN", "PRTS", "PRTF", "GRND"), "NOUN": ("NOUN",)}
        kinds = wanted.get(self.pos, ())
        for p in parses:
            if p.tag.POS in kinds:
                return str(p.normal_form).replace("ё", "е")
        return str(parses[0].normal_form).replace("ё", "е") if parses else self.text.lower()


def read(text: str) -> list[Found]:
    """Every source phrase the Russian sentences of ``text`` credit, in text order."""
    return list(read_many([text])[0])


_BATCH_SENTENCES = 256
_CACHE_SIZE = 4096
_cache: OrderedDict[str, tuple[Found, ...]] = OrderedDict()
_cache_lock = threading.Lock()


def read_many(texts: Sequence[str]) -> list[tuple[Found, ...]]:
    """``read`` for many texts at once: their cue sentences go through the models in
    batches, about ten times faster per sentence than a document per text. A service
    publishes the same entries again and again, so each text's reading is kept (LRU)."""
    results: list[tuple[Found, ...] | None] = [_cached(t) for t in texts]
    pending = [
        (i, offset, sentence)
        for i, text in enumerate(texts)
        if results[i] is None
        for offset, sentence in _cue_sentences(text)
    ]
    found: dict[int, list[Found]] = {}
    if pending:
        for i, item in _in_reading_process(_read_pending, pending):
            found.setdefault(i, []).append(item)
    for i, text in enumerate(texts):
        if results[i] is None:
            results[i] = tuple(sorted(found.get(i, []), key=lambda f: f.pos))
            _remember(text, results[i] or ())
    return [r or () for r in results]


def _cached(text: str) -> tuple[Found, ...] | None:
    if not has_cue(text):
        return ()
    with _cache_lock:  # a publish and a page request may read at once, in two threads
        hit = _cache.get(text)
        if hit is not None:
            _cache.move_to_end(text)
        return hit


def _remember(text: str, found: tuple[Found, ...]) -> None:
    with _cache_lock:
        _cache[text] = found
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def _in_reading_process(job: Callable[..., T], *args: Any) -> T:
    """Run ``job`` in the reading process, where natasha's models live (this process
    never loads them). A reading process that died (killed, out of memory) is replaced
    once."""
    from aggregator.workers import reading_process, shutdown_reading_process

    try:
        return reading_process().submit(job, *args).result()
    except BrokenProcessPool:
        shutdown_reading_process()
        return reading_process().submit(job, *args).result()


def _read_pending(pending: Sequence[tuple[int, int, str]]) -> list[tuple[int, Found]]:
    """In the reading process: (text index, found) for (text index, offset, cue sentence),
    the sentences parsed in batches."""
    return [
        found
        for start in range(0, len(pending), _BATCH_SENTENCES)
        for found in _parse_batch(pending[start : start + _BATCH_SENTENCES])
    ]


def _parse_batch(batch: Sequence[tuple[int, int, str]]) -> Iterator[tuple[int, Found]]:
    """(text index, found) for a batch of (text index, offset, cue sentence)."""
    segmenter, morph, syntax, ner = _models()
    from natasha import Doc

    joined, starts = _joined(batch)
    doc = Doc(joined)
    doc.segment(segmenter)
    doc.tag_morph(morph)
    doc.parse_syntax(syntax)
    doc.tag_ner(ner)
    entity = {t.start: span.type for span in doc.spans for t in span.tokens}
    for sent in doc.sents:
        for f in _sentence(sent.text, _tokens(sent, entity)):
            i, pos = _original(starts, sent.start + f.pos)
            yield i, Found(f.name, f.level, pos, f.outlet)


def _joined(batch: Sequence[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, int]]]:
    """The sentences as one text the segmenter splits where they were split: each starts
    with a capital and ends with a stop (lengths kept but for an added stop). Also
    (start in the joined text, text index, start in that text) for each."""
    parts: list[str] = []
    starts: list[tuple[int, int, int]] = []
    length = 0
    for i, offset, sentence in batch:
        text = sentence.translate(_NO_YO)  # the models learnt "передает", not "передаёт"
        text = text[:1].upper() + text[1:]
        if text.rstrip()[-1:] not in (".", "!", "?", "…", "»", '"'):
            text = text.rstrip() + "."
        starts.append((length, i, offset))
        parts.append(text)
        length += len(text) + 1
    return " ".join(parts), starts


def _original(starts: list[tuple[int, int, int]], joined_at: int) -> tuple[int, int]:
    """(text index, offset in that text) of a position of the joined text."""
    base, index, origin = starts[0]
    for start, i, offset in starts:
        if start > joined_at:
            break
        base, index, origin = start, i, offset
    return index, origin + (joined_at - base)


def _cue_sentences(text: str) -> Iterator[tuple[int, str]]:
    from razdel import sentenize

    offset = 0
    for block in text.split("\n"):
        for sentence in sentenize(block):
            if has_cue(sentence.text):
                yield offset + sentence.start, sentence.text
        offset += len(block) + 1


def _tokens(sent: Any, entity: dict[int, str]) -> list[_Token]:
    """A sentence's tokens, their offsets made relative to the sentence."""
    return [
        _Token(
            t.id, t.text, t.start - sent.start, t.stop - sent.start, t.pos, t.rel, t.head_id,
            dict(t.feats or {}), entity.get(t.start),
        )
        for t in sent.tokens
    ]  # fmt: skip


class _Tree:
    """A parsed sentence: tokens by id, children by head."""

    def __init__(self, sentence: str, tokens: Sequence[_Token]) -> None:
        self.sentence = sentence
        self.tokens = list(tokens)
        self.by_id = {t.id: t for t in tokens}
        self.children: dict[str, list[_Token]] = {}
        for t in tokens:
            self.children.setdefault(t.head, []).append(t)
        self.quotes = [(m.start(), m.end()) for m in _QUOTE.finditer(sentence)]

    def kids(self, token: _Token, *rels: str) -> list[_Token]:
        return [c for c in self.children.get(token.id, []) if not rels or c.rel in rels]

    def preposition(self, token: _Token) -> str:
        marks = [c.text.lower() for c in self.kids(token, "case")]
        return " ".join(marks)

    def quoted(self, token: _Token) -> bool:
        """Whether ``token`` stands inside a quotation (someone's words, not a report)."""
        return any(start < token.start < stop for start, stop in self.quotes)

    def negated(self, token: _Token) -> bool:
        return any(c.text.lower() == "не" for c in self.kids(token))


def _sentence(sentence: str, tokens: Sequence[_Token]) -> list[Found]:
    tree, c = _Tree(sentence, tokens), cues()
    found: list[Found] = []
    for token in tree.tokens:
        lemma = token.lemma if token.pos in ("VERB", "NOUN") else ""
        if token.pos == "VERB" and not tree.negated(token) and not tree.quoted(token):
            if lemma in c.report_verbs or lemma in c.place_only_verbs:
                found += _verb_sources(tree, token, lemma in c.outlet_verbs)
            if lemma in c.impersonal_verbs and not tree.kids(token, "nsubj"):
                found += _container_sources(tree, token)
            if lemma in ("ссылаться", "сослаться"):
                found += _phrases(tree, _objects_with(tree, token, "на"), CITED)
        elif token.pos == "NOUN":
            found += _noun_sources(tree, token, lemma)
        elif token.text.lower() == "известно":
            found += _phrases(tree, tree.kids(token, "iobj"), REPORTER, outlet=True, case="Dat")
    return found


def _verb_sources(tree: _Tree, verb: _Token, outlet_verb: bool) -> list[Found]:
    c = cues()
    found: list[Found] = []
    if tree.kids(verb, "nsubj:pass") or verb.feats.get("Voice") == "Pass":
        return _container_sources(tree, verb)  # "информация размещена на сайте Y"
    if verb.lemma not in c.place_only_verbs:
        subjects = tree.kids(verb, "nsubj") or _postposed_subject(tree, verb)
        found += _phrases(tree, subjects, REPORTER if outlet_verb else PRIMARY)
    return found + _dative_outlets(tree, verb) + _places(tree, verb)


def _dative_outlets(tree: _Tree, verb: _Token) -> list[Found]:
    """'сообщил ТАСС', 'корреспонденту Tengrinews.kz сообщил': the outlet told."""
    found: list[Found] = []
    for dative in tree.kids(verb, "iobj", "obl"):
        if dative.feats.get("Case") != "Dat" or tree.preposition(dative):
            continue
        target = dative
        if dative.lemma in ("корреспондент", "журналист", "собкор"):
            inner = tree.kids(dative, "nmod", "appos", "flat:foreign")
            target = inner[0] if inner else dative
        if target is not dative or _is_outlet_name(target):
            found += _phrases(tree, [target], REPORTER, outlet=True)
    return found


def _places(tree: _Tree, verb: _Token) -> list[Found]:
    """'сообщили в пресс-службе аэропорта', 'добавили в Акорде', 'в сообщении Y'."""
    c = cues()
    found: list[Found] = []
    for place in tree.kids(verb, "obl"):
        if tree.preposition(place) not in ("в", "во") or place.feats.get("Case") != "Loc":
            continue
        if place.lemma in c.container_nouns:
            found += _container_owner(tree, place)
        elif place.lemma not in c.not_sources and _source_like(place):
            found += _phrases(tree, [place], PRIMARY)
    return found


def _postposed_subject(tree: _Tree, verb: _Token) -> list[_Token]:
    """The subject after the verb when the parse lost its link ("сообщил на заседании
    вице-министр …", "передаёт «24KZ»"): the first nominative or named word of the clause."""
    for token in tree.tokens:
        if token.start <= verb.start:
            continue
        if token.text in (",", ";", ":", "—", "–") or token.pos == "VERB":
            return []
        if token.pos in ("NOUN", "PROPN") and token.feats.get("Case") == "Nom":
            return [token]
        if token.ner in ("ORG", "PER") or token.pos == "X":
            return [token]
    return []


def _container_sources(tree: _Tree, verb: _Token) -> list[Found]:
    found: list[Found] = []
    for place in tree.kids(verb, "obl"):
        if tree.preposition(place) in ("в", "во", "на") and place.lemma in cues().container_nouns:
            found += _container_owner(tree, place)
    return found


def _container_owner(tree: _Tree, container: _Token) -> list[Found]:
    """'в сообщении Акорды' → Акорда; 'в своём Telegram-канале' names nobody."""
    owners = [
        k
        for k in tree.kids(container, "nmod", "appos", "flat:foreign")
        if not tree.preposition(k) and k.feats.get("Case") in (None, "Gen", "Nom")
    ]
    return _phrases(tree, owners[:1], PRIMARY)


def _noun_sources(tree: _Tree, noun: _Token, lemma: str) -> list[Found]:
    c = cues()
    prep = tree.preposition(noun)
    if lemma == "ссылка" and prep in ("со", "с"):
        cited = _objects_with(tree, noun, "на") or _object_after(tree, noun, "на")
        return _phrases(tree, cited, CITED)
    if lemma in c.source_nouns and (prep in ("по", "согласно") or _after_word(tree, noun)):
        owners = [
            k for k in tree.kids(noun, "nmod") if not tree.preposition(k) and _genitive(k)
        ] or _object_after(tree, noun, "")
        return _phrases(tree, owners[:1], PRIMARY)
    return []


def _object_after(tree: _Tree, token: _Token, preposition: str) -> list[_Token]:
    """Where the parse attached the object elsewhere: the phrase right after ``token``
    (after ``preposition`` when given), found by position, its head the word its
    modifiers lead to."""
    after = [t for t in tree.tokens if t.start > token.start]
    if preposition:
        if not after or after[0].text.lower() != preposition:
            return []
        after = after[1:]
    for t in after[:4]:
        if t.pos in ("ADJ", "DET", "NUM"):
            continue
        if t.pos in ("NOUN", "PROPN", "X"):
            return [t] if preposition or _genitive(t) else []
        return []
    return []


def _after_word(tree: _Tree, noun: _Token) -> bool:
    """'согласно данным Y' parses 'согласно' as an adverb; 'если верить информации Y'."""
    before = tree.sentence[: noun.start].split()[-2:]
    words = [w.lower().strip(",") for w in before]
    return bool(words) and (words[-1] in ("согласно", "верить") or words[-1:] == ["по"])


def _genitive(token: _Token) -> bool:
    return token.feats.get("Case") in ("Gen", None) or token.pos in ("PROPN", "X")


def _objects_with(tree: _Tree, token: _Token, preposition: str) -> list[_Token]:
    return [
        k
        for k in tree.kids(token, "nmod", "obl", "obj")
        if tree.preposition(k).endswith(preposition)
    ]


def _is_place(token: _Token) -> bool:
    """A geographical name ("в Казахстане"), as the dictionary knows them."""
    return any("Geox" in p.tag for p in _parses(token.text.lower()))


def _source_like(token: _Token) -> bool:
    """A place that can be a source: a named organisation, a proper name, a body."""
    if token.ner in ("ORG", "PER"):
        return True
    if token.pos in ("PROPN", "X"):
        return token.ner != "LOC" or not _is_place(token)
    return token.lemma.startswith(("пресс-служб", "министерств", "акимат", "департамент")) or (
        token.lemma in cues().body_heads
    )


def _is_outlet_name(token: _Token) -> bool:
    return token.ner == "ORG" or token.pos in ("PROPN", "X")


def _phrases(
    tree: _Tree, heads: Sequence[_Token], level: int, *, outlet: bool = False,
    case: str | None = None,
) -> list[Found]:  # fmt: skip
    out: list[Found] = []
    for head in heads:
        name = _phrase(tree, head, case)
        if name is None:
            continue
        is_outlet = outlet or head.lemma in cues().outlet_heads
        if is_outlet and level == PRIMARY:
            level = REPORTER
        out.append(Found(name, level, head.start, is_outlet))
    return out


def _phrase(tree: _Tree, head: _Token, case: str | None = None) -> str | None:
    """The noun phrase of ``head`` in the nominative, or None when it names nobody."""
    c = cues()
    if head.pos == "PRON" or head.lemma in c.vague or head.text.lower() in c.vague:
        return None
    if head.lemma in c.outlet_heads:
        inner = tree.kids(head, "nmod", "appos", "flat:foreign")
        named = [k for k in inner if (k.pos in ("PROPN", "X") or k.ner) and not tree.preposition(k)]
        if named:
            head = named[0]
    if head.lemma in c.source_nouns or head.lemma in c.container_nouns:
        owners = [k for k in tree.kids(head, "nmod") if not tree.preposition(k)]
        if not owners:
            return None
        head = owners[0]  # "со ссылкой на данные БНС": the source is БНС
    if any(k.lemma in c.demonstratives for k in tree.kids(head, "det", "amod")):
        return None  # "этот документ": points back, names nobody
    members = _members(tree, head)
    if not members:
        return None
    words = _nominative(tree, head, members, case)
    name = _span_text(tree, members, words).strip(" ,.:;—–-")
    if not any(ch.isalpha() for ch in name) or len(name) > 120:
        return None
    if len(members) == 1 and not _names_someone(head):
        return None
    return name


def _names_someone(head: _Token) -> bool:
    """A one-word phrase is a source when it is a name, or a body or role of people."""
    if head.ner == "PER" and _first_name_only(head):
        return False  # "— сообщила Альмира": a private person, not a source
    if head.pos in ("PROPN", "X") or head.ner or (head.text[:1].isupper() and head.start > 0):
        return True
    if head.lemma in cues().anonymous:
        return True
    if head.feats.get("Animacy") == "Anim":
        return head.feats.get("Number") == "Plur"  # "сейсмологи"; "министр" alone is anaphoric
    return head.lemma in cues().body_heads


def _first_name_only(token: _Token) -> bool:
    parses = _parses(token.text.lower())
    return bool(parses) and "Name" in parses[0].tag and "Surn" not in parses[0].tag


def _members(tree: _Tree, head: _Token) -> list[_Token]:
    """The head's contiguous phrase: modifiers, genitives, names; no clauses."""
    keep: set[str] = {head.id}
    dropped: set[str] = set()
    stack = [head]
    while stack:
        node = stack.pop()
        for child in tree.kids(node):
            if child.id in keep or child.id in dropped:
                continue
            if _outside_phrase(tree, child, node is head):
                continue
            if child.lemma in _QUALIFIERS and not tree.kids(child):
                dropped.add(child.id)  # "министр транспорта страны": the country adds nothing
                continue
            keep.add(child.id)
            stack.append(child)
    run = _contiguous(tree, keep | dropped, head)
    return [t for t in run if t.id in keep][:_MAX_WORDS]


def _outside_phrase(tree: _Tree, child: _Token, of_head: bool) -> bool:
    """Clauses, and the head's own preposition, are not part of a name; a preposition or
    a conjunct inside it is ("Агентство по атомной энергии", "торговли и интеграции")."""
    if child.rel == "punct":
        return not _inner_punct(tree, child)
    if child.rel in ("case", "conj", "cc"):
        return of_head
    return child.rel in _SKIP_RELS


def _inner_punct(tree: _Tree, token: _Token) -> bool:
    """Dots of a domain ('Tengrinews.kz') and quotes of a name ('«Новости»') belong."""
    return token.text in (".", "«", "»", '"', "“", "”") and _glued(tree, token)


def _glued(tree: _Tree, token: _Token) -> bool:
    s = tree.sentence
    if token.text == ".":
        return token.start > 0 and token.stop < len(s) and s[token.stop : token.stop + 1].isalpha()
    return True


def _contiguous(tree: _Tree, ids: set[str], head: _Token) -> list[_Token]:
    """The run of tokens in ``ids`` around the head with no foreign token in between."""
    index = {t.id: i for i, t in enumerate(tree.tokens)}
    lo = hi = index[head.id]
    while lo > 0 and tree.tokens[lo - 1].id in ids:
        lo -= 1
    while hi + 1 < len(tree.tokens) and tree.tokens[hi + 1].id in ids:
        hi += 1
    run = tree.tokens[lo : hi + 1]
    while run and run[-1].text in ("«", '"', "“", "."):
        run.pop()
    while run and run[0].text in ("»", '"', "”", "."):
        run.pop(0)
    return run


def _nominative(
    tree: _Tree, head: _Token, members: list[_Token], known_case: str | None = None
) -> dict[str, str]:
    """Words to change: the head and the words agreeing with it, to the nominative.
    ``known_case`` overrides the tagger where the construction fixes the case."""
    case = known_case or head.feats.get("Case")
    if case in (None, "Nom"):
        return {}
    agreeing = _agreeing(tree, head, {t.id for t in members})
    grammeme = _FEATS_CASE.get(case or "", "gent")
    out: dict[str, str] = {}
    for token in agreeing:
        if token.feats.get("Case") == case or (known_case and token is head):
            out[token.id] = _to_nominative(token, grammeme, head.feats.get("Gender", ""))
    return out


def _agreeing(tree: _Tree, head: _Token, ids: set[str]) -> list[_Token]:
    found, stack = [head], [head]
    while stack:
        node = stack.pop()
        for child in tree.kids(node, *_AGREEING):
            if child.id in ids:
                found.append(child)
                stack.append(child)
    return found


def _to_nominative(token: _Token, grammeme: str, head_gender: str) -> str:
    word = token.text
    if not re.fullmatch(r"[А-Яа-яЁё-]+", word):
        return word
    plural = token.feats.get("Number") == "Plur"
    if token.pos == "ADJ":  # by its ending: pymorphy turns "Высшую" into "Высочайшая"
        number = "plur" if plural else "sing"
        return _adjective_nominative(word, _GENDERS.get(head_gender), number)
    for parse in _parses(word.lower()):
        if parse.tag.case != grammeme or parse.tag.POS not in ("NOUN", "ADJF", "PRTF", "NPRO"):
            continue
        if (parse.tag.number == "plur") != plural and parse.tag.number is not None:
            continue
        wanted = {"nomn"} | ({"plur"} if plural else {"sing"})
        gender = _GENDERS.get(head_gender)
        if parse.tag.POS in ("ADJF", "PRTF") and gender and not plural:
            wanted.add(gender)
        form = parse.inflect(wanted)
        if form is not None:
            return _keep_shape(word, form.word)
    return word


def _keep_shape(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    return _restore_case(original, word)


def _span_text(tree: _Tree, members: list[_Token], words: dict[str, str]) -> str:
    """The members' text as written, with the changed words put in."""
    parts: list[str] = []
    for i, token in enumerate(members):
        if i:
            gap = tree.sentence[members[i - 1].stop : token.start]
            parts.append(" " if gap else "")
        parts.append(words.get(token.id, token.text))
    return "".join(parts)

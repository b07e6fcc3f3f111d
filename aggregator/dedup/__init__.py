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
(numbers, title terms, names and SimHash bands, at most ``MAX_INDEX_KEYS``); the
caller stores them and, for a new item, fetches the stored items of the time window
sharing at least one of its :func:`lookup_keys`, ranked by the summed weights (IDF)
of the keys they share, at most ``settings.max_candidates`` of them.
:func:`choose_story` then picks the story.

Measured on the hand-labeled set in ``tests/data/stories/eval.json`` (162 items, 55
events, 51 multi-item events, ru/kk/en), items processed in published order with
incremental stats: see ``tests/test_dedup.py`` for the current figures (pairwise
precision/recall) and ``bench/bench_dedup.py`` for the cost per item.

Layout (each module imports only modules listed above it, so there are no cycles):

* ``values`` - DedupSettings, StoryFeatures, TermStats and Candidate.
* ``text`` - tokens, lemmas (pymorphy3), stems, numbers, dates, SimHash,
  detect_language and extract_features.
* ``keys`` - MAX_INDEX_KEYS, term_keys, index_keys, lookup_keys and
  CorpusStats (it counts term_keys).
* ``decision`` - term weights, pair scores and evidence, similarity, choose_story and
  stats_from.
"""

from __future__ import annotations

from aggregator.dedup.decision import choose_stories, choose_story, has_evidence, similarity
from aggregator.dedup.decision import stats_from as stats_from
from aggregator.dedup.keys import (
    MAX_INDEX_KEYS,
    CorpusStats,
    index_keys,
    lookup_keys,
    stored_keys,
    term_keys,
)
from aggregator.dedup.text import detect_language, extract_features
from aggregator.dedup.values import Candidate, DedupSettings, StoryFeatures, TermStats

__all__ = [
    "MAX_INDEX_KEYS",
    "Candidate",
    "CorpusStats",
    "DedupSettings",
    "StoryFeatures",
    "TermStats",
    "choose_stories",
    "choose_story",
    "detect_language",
    "extract_features",
    "has_evidence",
    "index_keys",
    "lookup_keys",
    "similarity",
    "stored_keys",
    "term_keys",
]

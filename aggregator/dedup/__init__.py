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
  ``settings.near_copy_bits`` is a feature of the pair.

**Evidence only.** Before features are taken, :func:`evidence_text` blanks what says
nothing of the event: who reports and whom they cite, datelines, outlets' names,
boilerplate and stock titles (patterns in ``aggregator/data/story_evidence.json``). An
item left with fewer than ``MIN_EVIDENCE`` terms joins no story (:func:`has_evidence`).

**The decision is learned.** :func:`decision.pair_features` describes a pair: body,
title, lead (the predicate: title and first sentences without names) and names
cosines, conflicting casts and title names, figures that agree or not (in the lead, in
the title, anywhere), dates and years, hours apart, and across languages the overlap of
name skeletons and figures. :mod:`scorer` turns them into a probability with logistic
weights (one model for pairs in one language, one for two) trained by
``bench/train_story_scorer.py`` on pairs we labelled ourselves; its thresholds come with
it. :func:`similarity` is that probability.

Candidates come from an index, never a scan: :func:`index_keys` gives an item's keys
(numbers, title terms, names and SimHash bands, at most ``MAX_INDEX_KEYS``); the
caller stores them and, for a new item, fetches the stored items of the time window
sharing at least one of its :func:`lookup_keys`, ranked by the summed weights (IDF)
of the keys they share, at most ``settings.max_candidates`` of them.
:func:`choose_stories` then names the stories the item joins: every story with a member
above the threshold (and the mean over its members not far below it), the first one
kept and the others merged into it, so that the answer does not depend on the order in
which the items arrive.

Measured on news labelled by others with ``bench/eval_stories.py FILE`` (through the
real pipeline; figures in ``bench/RESULTS.md``), on our own set (which trains the
scorer) by ``tests/test_dedup.py``, and the cost per item by ``bench/bench_stories.py``.

Layout (each module imports only modules listed above it, so there are no cycles):

* ``values`` - DedupSettings, StoryFeatures, TermStats and Candidate.
* ``evidence`` - evidence_text: the patterns of ``data/story_evidence.json``, each run
  only when its cues (literals every match contains) are in the text.
* ``text`` - tokens, lemmas (pymorphy3), stems, numbers, dates, SimHash,
  detect_language and extract_features.
* ``keys`` - MAX_INDEX_KEYS, term_keys, index_keys, lookup_keys and
  CorpusStats (it counts term_keys).
* ``scorer`` - FEATURES and the learned models (``data/story_scorer.json``).
* ``decision`` - term weights, pair features, similarity, has_evidence,
  choose_stories, choose_story and stats_from.
* ``window`` - StoryWindow: the stored items a running service compares new ones with,
  what the decision derives from them and the weights, by item id, in one object.
* ``ahead`` - ScoresAhead: a large settle's pairs scored in a helper process (a window
  of its own) ahead of the decisions, which take the scores and decide as without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aggregator import lazy

if TYPE_CHECKING:
    from aggregator.dedup.decision import (
        choose_stories,
        choose_story,
        features_of_pair,
        has_evidence,
        similarity,
    )
    from aggregator.dedup.decision import stats_from as stats_from
    from aggregator.dedup.evidence import evidence_text
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
    from aggregator.dedup.window import StoryWindow

_MODULES: dict[str, tuple[str, ...]] = {
    "decision": (
        "choose_stories",
        "choose_story",
        "features_of_pair",
        "has_evidence",
        "similarity",
        "stats_from",
    ),
    "keys": (
        "MAX_INDEX_KEYS",
        "CorpusStats",
        "index_keys",
        "lookup_keys",
        "stored_keys",
        "term_keys",
    ),
    "evidence": ("evidence_text",),
    "text": (
        "detect_language",
        "extract_features",
    ),
    "values": (
        "Candidate",
        "DedupSettings",
        "StoryFeatures",
        "TermStats",
    ),
    "window": ("StoryWindow",),
}
"""Where each public name lives: it is imported from there when first read (see
:mod:`aggregator.lazy`)."""
__getattr__ = lazy.exports(
    __name__, {name: module for module, names in _MODULES.items() for name in names}
)

__all__ = [
    "MAX_INDEX_KEYS",
    "Candidate",
    "CorpusStats",
    "DedupSettings",
    "StoryFeatures",
    "StoryWindow",
    "TermStats",
    "choose_stories",
    "choose_story",
    "detect_language",
    "evidence_text",
    "extract_features",
    "features_of_pair",
    "has_evidence",
    "index_keys",
    "lookup_keys",
    "similarity",
    "stored_keys",
    "term_keys",
]

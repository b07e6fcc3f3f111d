"""Who reports a news item and whom it cites, found in its text; the attribution line.

Kazakhstan outlets credit their sources in a few fixed turns of phrase: "…, передаёт
Ulysmedia.kz со ссылкой на Акорду", "по данным Минздрава", "… деп хабарлайды Kazinform",
"Ақордаға сілтеме жасап", "according to the Ministry of Energy". This package finds the
credited chain (outermost first), resolves each name to its dictionary form and, where
possible, to a known source, picks the origin, and writes one attribution line in the
output's language with the right grammatical case.

Everything here is pure: values in, values out. The only state is the lazily created
pymorphy3 analyzer and ``lru_cache`` caches of its answers.

Decisions (documented here because readers of the output rely on them):

* The chain is ordered by level, then by position: the outlet that passes the news on
  ("передаёт X", "X reports", "деп хабарлайды X") first, then whom it cites ("со ссылкой на",
  "citing", "сілтеме жасап"), then where the facts come from ("по данным", "сообщили в",
  press services, "according to"). A reporter that is an institution or a press service
  ("сообщает пресс-служба Минздрава") counts as a primary source, not as an outlet.
* Several credited names are all shown, in chain order, joined by a conjunction:
  "со ссылкой на ТАСС и Минэнерго", "ТАСС-қа және Энергетика министрлігіне сілтеме жасап",
  "citing TASS and the Ministry of Energy". Each name carries its own case ending.
* Kazakh dative: -ға/-ге after vowels and voiced consonants, -қа/-ке after voiceless ones
  (final б, в, г, д are devoiced), -на/-не after the 3rd person possessive (-ы/-і, -сы/-сі)
  of a compound name ("министрлігіне"); back or front by the last vowel. Names in Latin
  script, abbreviations and names ending in a digit take the suffix after a hyphen, chosen
  by a rough reading of the name ("Reuters-ке", "ТАСС-қа", "Хабар 24-ке"); a source's
  configured ``kk_dat`` form wins.
* A credit of the publisher itself ("передаёт Ulysmedia.kz" in Ulysmedia's own item) is
  not a citation: it is dropped before the origin is chosen.

Layout (each module imports only modules listed above it, so there are no cycles):

* ``values`` - the frozen values: KnownSource, Credit, StoryMember, Attribution.
* ``builtin`` - the built-in directory of Kazakhstan outlets and institutions.
* ``morphology`` - Russian inflection and lemmatization (pymorphy3), the Kazakh dative.
* ``directory`` - name_key, SourceDirectory and credit_key: matching names to sources.
* ``syntax`` - Russian sentences read off natasha's dependency parse.
* ``datelines`` - credits written as layout: datelines, by-lines, source labels.
* ``extract`` - the cue grammar of Kazakh and English, and find_credits.
* ``render`` - DEFAULT_TEMPLATES, render_line and attribute.
* ``stored`` - a chain as stored with its item, keyed by reader version and directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aggregator import lazy

if TYPE_CHECKING:
    from aggregator.attribution.builtin import BUILTIN_SOURCES
    from aggregator.attribution.directory import SourceDirectory, credit_key, name_key
    from aggregator.attribution.extract import find_credits, find_credits_many, found_level
    from aggregator.attribution.morphology import inflect, kazakh_dative, lemmatize
    from aggregator.attribution.render import DEFAULT_TEMPLATES, attribute, render_line
    from aggregator.attribution.stored import (
        READER_VERSION,
        decode_credits,
        encode_credits,
        reading_key,
    )
    from aggregator.attribution.values import Attribution, Credit, KnownSource, StoryMember

_MODULES: dict[str, tuple[str, ...]] = {
    "builtin": ("BUILTIN_SOURCES",),
    "directory": (
        "SourceDirectory",
        "credit_key",
        "name_key",
    ),
    "extract": (
        "find_credits",
        "find_credits_many",
        "found_level",
    ),
    "morphology": (
        "inflect",
        "kazakh_dative",
        "lemmatize",
    ),
    "render": (
        "DEFAULT_TEMPLATES",
        "attribute",
        "render_line",
    ),
    "stored": (
        "READER_VERSION",
        "decode_credits",
        "encode_credits",
        "reading_key",
    ),
    "values": (
        "Attribution",
        "Credit",
        "KnownSource",
        "StoryMember",
    ),
}
"""Where each public name lives: it is imported from there when first read (see
:mod:`aggregator.lazy`)."""
__getattr__ = lazy.exports(
    __name__, {name: module for module, names in _MODULES.items() for name in names}
)

__all__ = [
    "BUILTIN_SOURCES",
    "DEFAULT_TEMPLATES",
    "READER_VERSION",
    "Attribution",
    "Credit",
    "KnownSource",
    "SourceDirectory",
    "StoryMember",
    "attribute",
    "credit_key",
    "decode_credits",
    "encode_credits",
    "find_credits",
    "find_credits_many",
    "found_level",
    "inflect",
    "kazakh_dative",
    "lemmatize",
    "name_key",
    "reading_key",
    "render_line",
]

"""The largest title, summary and content an item keeps, and how a longer one is cut.

A feed may carry a 5 MB title or megabytes of markup in one item (by mistake or to
harm); copied whole, it reaches every output and every reader. The caps are generous
for news: a title of 1,000 characters, a summary of 10,000, content of 1,000,000
characters of sanitized HTML (a long article with its markup is under 100,000). Text is
cut at a word and ends with "…"; HTML is cut between tags and entities, then sanitized
again, which closes what the cut left open. Pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MAX_BYTES = 16 * 1024 * 1024
"""Feed bodies larger than this are refused (the fetcher's own limit is usually lower)."""

ELLIPSIS = "…"
_WORD_SEARCH = 100
"""How far back from the cap a cut looks for a space."""


@dataclass(frozen=True)
class FieldCaps:
    """The largest fields an item keeps, in characters."""

    title: int = 1000
    summary: int = 10_000
    """The feed's summary (when the item also has content; the stored summary is a lead
    of a few hundred characters made from it)."""
    content: int = 1_000_000
    """Sanitized HTML."""
    raw_factor: int = 4
    """A raw field is cut to this many times its cap before it is cleaned, so that
    cleaning a huge field costs no more than cleaning a capped one."""


FIELD_CAPS = FieldCaps()
"""The caps every item gets."""


def clip_text(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters; else cut at the last space within
    reach of the limit (or at the limit), with an ellipsis, ``limit`` characters at most."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ", len(cut) - _WORD_SEARCH)
    if space > 0:
        cut = cut[:space]
    return cut.rstrip(" ,;:—-") + ELLIPSIS


def html_prefix(markup: str, limit: int) -> str:
    """The start of ``markup``, under ``limit`` characters, cut outside any tag or
    character reference and, when one is near, at a space; with an ellipsis. It may leave
    elements open: the sanitizer closes them."""
    if len(markup) <= limit:
        return markup
    cut = markup[: limit - len(ELLIPSIS)]
    tag = cut.rfind("<")
    if tag > cut.rfind(">"):
        cut = cut[:tag]
    reference = cut.rfind("&")
    if reference > cut.rfind(";") and len(cut) - reference <= 32:
        cut = cut[:reference]
    space = cut.rfind(" ", max(cut.rfind(">"), len(cut) - _WORD_SEARCH))
    if space > 0:
        cut = cut[:space]
    return cut + ELLIPSIS


def cut_note(cut_fields: Iterable[str], caps: FieldCaps = FIELD_CAPS) -> str | None:
    """One line for the source's status from the names of the fields cut in one document
    (one name per item and field), e.g. "2 titles cut to 1,000 characters"; None when
    nothing was cut."""
    counts = Counter(cut_fields)
    parts = [
        f"{counts[field]:,} {field}{'' if counts[field] == 1 else 's'} cut to "
        f"{getattr(caps, field):,} characters{' of HTML' if field == 'content' else ''}"
        for field in ("title", "summary", "content")
        if counts[field]
    ]
    return "; ".join(parts) or None

"""Items told apart inside one document when their feed gives several the same identity.

An item is identified inside its source by its guid, else its canonical link, else a hash
of its title and text (``normalize.identity_key``). Some feeds break the first rule: a CMS
that writes the site's address as every item's guid, or every link pointing at the home
page. Keyed as given, 200 different items would be stored as one. So, within one
document, a guid shared by items of different content no longer identifies them: they
fall back to their links; links shared the same way fall back to the hash. Items that
repeat with the same content are still one item. Pure: items in, items and notes out.

The fallback is decided per document, so a feed that always repeats its guid gives the
same keys at every fetch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aggregator.models import Item
from aggregator.normalize import identity_key


def distinct_identities(items: Sequence[Item]) -> tuple[list[Item], tuple[str, ...]]:
    """``items`` with the keys that different items of the document share replaced by
    the next identity (guid → link → hash), and a note for the source's status per
    fallback made."""
    result, notes = list(items), []
    for kind in ("guid", "link"):
        shared = _shared_keys(result, f"{kind}:")
        if not shared:
            continue
        moved = [_next_identity(item, kind) if item.key in shared else item for item in result]
        notes.append(_note(kind, shared, result, moved))
        result = moved
    return result, tuple(notes)


def _shared_keys(items: Sequence[Item], prefix: str) -> dict[str, int]:
    """The keys starting with ``prefix`` that items of different content share, each with
    how many different items share it."""
    contents: dict[str, set[str]] = {}
    for item in items:
        if item.key.startswith(prefix):
            contents.setdefault(item.key, set()).add(item.content_hash)
    return {key: len(seen) for key, seen in contents.items() if len(seen) > 1}


def _next_identity(item: Item, kind: str) -> Item:
    if kind == "guid" and item.link:
        return replace(item, key=f"link:{item.link}")
    return replace(item, key=identity_key(None, None, item.title, item.text))


def _note(kind: str, shared: dict[str, int], before: list[Item], after: list[Item]) -> str:
    """E.g. "200 items share one guid ('https://site/') with different content;
    identified by link instead"."""
    count = sum(shared.values())
    keys = "one" if len(shared) == 1 else f"{len(shared):,}"
    example = next(iter(shared)).split(":", 1)[1][:80]
    fallbacks = sorted(
        {new.key.split(":", 1)[0] for old, new in zip(before, after, strict=True) if old != new}
    )
    plural = "" if len(shared) == 1 else "s"
    return (
        f"{count:,} items share {keys} {kind}{plural} ({example!r}) with different content; "
        f"identified by {' or '.join(fallbacks)} instead"
    )

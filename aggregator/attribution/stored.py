"""A credited chain as stored with its item, so that a text is read once.

The stored value carries the key it was read under: the reader's version and the
fingerprint of the directory it matched names against. A new reader, or a changed
``feeds.yaml`` (other sources or aliases), changes the key, and the chain is read again
the next time the item is shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aggregator.attribution.values import Credit

if TYPE_CHECKING:
    from aggregator.attribution.directory import SourceDirectory

READER_VERSION = 2
"""Raise when what the reader finds changes; stored chains are then read again."""


def reading_key(directory: SourceDirectory) -> str:
    """What a stored chain must have been read under to be used as it is."""
    return f"{READER_VERSION}:{directory.fingerprint}"


def encode_credits(credits: Sequence[Credit], key: str) -> str:
    """The chain as stored: ``{"key": …, "credits": [[name, source_id, role], …]}``."""
    rows = [[c.name, c.source_id, c.role] for c in credits]
    return json.dumps({"key": key, "credits": rows}, ensure_ascii=False)


def decode_credits(stored: str | None, key: str) -> tuple[Credit, ...] | None:
    """The stored chain when it was read under ``key``; None when it must be read again
    (never stored, another version or directory, or unreadable)."""
    if not stored:
        return None
    try:
        data = json.loads(stored)
        if data.get("key") != key:
            return None
        return tuple(
            Credit(str(n), s if s is None else str(s), str(r)) for n, s, r in data["credits"]
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None

"""The database: SQLAlchemy Core tables and queries; SQLite by default, PostgreSQL by URL.

``schema`` holds the tables, ``store`` the ``Store`` (sources, items, output queries),
``storyindex`` the candidate index and story bookkeeping.
"""

from __future__ import annotations

from aggregator.storage.schema import (
    items,
    metadata,
    sources,
    stories,
    story_keys,
    term_stats,
)
from aggregator.storage.store import SaveResult, Settled, SourceRow, SourceState, Store
from aggregator.storage.storyindex import (
    CandidateRow,
    SharedCounts,
    StoredMembers,
    StoryDecider,
    TermCounts,
    Waiting,
    story_id_for,
)

__all__ = [
    "CandidateRow",
    "SaveResult",
    "Settled",
    "SharedCounts",
    "SourceRow",
    "SourceState",
    "Store",
    "StoredMembers",
    "StoryDecider",
    "TermCounts",
    "Waiting",
    "items",
    "metadata",
    "sources",
    "stories",
    "story_id_for",
    "story_keys",
    "term_stats",
]

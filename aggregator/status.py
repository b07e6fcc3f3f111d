"""What the operator sees of each source, as the status table (CLI) and page (/status)
show it: one definition of the columns and the notices, worded from ``labels``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aggregator.labels import label

if TYPE_CHECKING:
    from aggregator.storage import SourceState

COLUMNS = (
    "source",
    "last_fetch",
    "http",
    "items",
    "last_new_item",
    "errors",
    "next_fetch",
    "notice",
)
"""The keys of the columns, in order; ``column_title`` words them."""


def column_title(column: str, language: str | None = "en") -> str:
    """A column's heading in ``language``."""
    return label(f"status.col.{column}", language)


def when(value: datetime | None, language: str | None = "en", *, compact: bool = False) -> str:
    """A time in UTC (``compact``: month, day and minute only, for narrow terminals), or
    "never" in ``language``."""
    if value is None:
        return label("status.never", language)
    utc = value.astimezone(UTC)
    return utc.strftime("%m-%d %H:%M") if compact else utc.strftime("%Y-%m-%d %H:%M:%S UTC")


def source_notice(state: SourceState, now: datetime, language: str | None = "en") -> str:
    """What a user should know of a source: disabled, its last error, what its last
    document warned about, a stable move."""
    notes = []
    if state.disabled_reason:
        notes.append(label("status.disabled", language, reason=state.disabled_reason))
    elif state.last_error:
        notes.append(state.last_error)
    if state.notice:
        notes.append(state.notice)
    move = state.move_notice(now)
    if move:
        notes.append(move)
    return "; ".join(notes)


def status_cells(
    state: SourceState, now: datetime, language: str | None = "en", *, compact: bool = False
) -> dict[str, str]:
    """One source's cell of every column of ``COLUMNS``, by column key."""
    next_fetch = when(state.next_fetch_at, language, compact=compact)
    if state.next_fetch_reason:
        next_fetch += f" ({state.next_fetch_reason})"
    return {
        "source": state.id,
        "last_fetch": when(state.last_fetch_at, language, compact=compact),
        "http": str(state.last_status or "–"),
        "items": str(state.item_count),
        "last_new_item": when(state.last_new_item_at, language, compact=compact),
        "errors": str(state.error_count),
        "next_fetch": next_fetch,
        "notice": source_notice(state, now, language),
    }


def failing(state: SourceState) -> bool:
    return bool(state.error_count or state.disabled_reason)

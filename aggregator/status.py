"""What the operator sees of each source, as the status table (CLI) and page (/status)
show it: one definition of the columns and the notices."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregator.storage import SourceState

COLUMNS = (
    "source",
    "last fetch",
    "HTTP",
    "items",
    "last new item",
    "errors",
    "next fetch (why)",
    "last error / notice",
)


def when(value: datetime | None) -> str:
    """A time in UTC, or "never"."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


def source_notice(state: SourceState, now: datetime) -> str:
    """What a user should know of a source: disabled, its last error, what its last
    document warned about, a stable move."""
    notes = []
    if state.disabled_reason:
        notes.append(f"DISABLED: {state.disabled_reason}")
    elif state.last_error:
        notes.append(state.last_error)
    if state.notice:
        notes.append(state.notice)
    move = state.move_notice(now)
    if move:
        notes.append(move)
    return "; ".join(notes)


def status_cells(state: SourceState, now: datetime) -> list[str]:
    """The row of ``COLUMNS`` for one source."""
    next_fetch = when(state.next_fetch_at)
    if state.next_fetch_reason:
        next_fetch += f" ({state.next_fetch_reason})"
    return [
        state.id,
        when(state.last_fetch_at),
        str(state.last_status or "–"),
        str(state.item_count),
        when(state.last_new_item_at),
        str(state.error_count),
        next_fetch,
        source_notice(state, now),
    ]


def failing(state: SourceState) -> bool:
    return bool(state.error_count or state.disabled_reason)

"""The configured sources as the store records them: which are fetched, and their rows.

Apart from ``scheduler`` so that commands which only read or register sources
(``aggregator status``, ``fetch``) do not import the service's stacks."""

from __future__ import annotations

from aggregator.config import Settings, SourceConfig
from aggregator.storage import SourceRow, Store


def enabled_sources(settings: Settings) -> list[SourceConfig]:
    return [source for source in settings.sources if source.enabled]


def sync_sources(store: Store, settings: Settings) -> None:
    """Register the configured sources in the store."""
    store.sync_sources(
        SourceRow(s.id, s.name, settings.source_location(s), s.priority) for s in settings.sources
    )

"""The republished output: the newest stories → RSS 2.0, Atom 1.0, JSON Feed 1.1 and an
HTML page, for the combined output and each filtered output of ``outputs:``.

Rendering is pure (``render_all`` takes values and returns bytes); ``publish`` reads the
store, attributes every entry and writes the files atomically. ``publish_if_changed`` does
that only when the inputs changed since the last publish (``inputs``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from aggregator import attribution
from aggregator.config import FilteredOutput, OutputSettings, Settings
from aggregator.models import OutputEntry, SourceRef
from aggregator.publish import inputs
from aggregator.publish.files import Outputs, write_outputs
from aggregator.publish.page import SourceHealth, render_html
from aggregator.publish.provenance import (
    attribute_entries,
    attribute_entry,
    other_outlets,
    source_directory,
    with_provenance,
)
from aggregator.publish.view import KINDS, View, output_file
from aggregator.storage import SourceState, Store

__all__ = [
    "KINDS",
    "Outputs",
    "SourceHealth",
    "View",
    "attribute_entries",
    "attribute_entry",
    "other_outlets",
    "output_file",
    "output_views",
    "publish",
    "publish_if_changed",
    "render_all",
    "render_view",
    "shown_story_ids",
    "source_directory",
    "source_health",
    "source_refs",
    "write_outputs",
]

FILTER_WINDOW = 2000
"""How many of the newest stories a filtered output chooses from."""


def render_all(
    entries: Sequence[OutputEntry],
    view: View | OutputSettings,
    now: datetime,
    health: SourceHealth | None = None,
) -> Outputs:
    """Every format of one view of the given (already attributed) entries; ``health``
    is what an empty HTML page says of the sources."""
    # feedgen and lxml load here, not with the package: an unchanged publish skips them
    from aggregator.publish.feeds import render_atom, render_json_feed, render_rss

    view = view if isinstance(view, View) else View(view)
    shown = [with_provenance(entry, view.settings.language) for entry in entries]
    return Outputs(
        view=view,
        rss=render_rss(shown, view, now),
        atom=render_atom(shown, view, now),
        json=render_json_feed(shown, view),
        html=render_html(entries, view, now, health),
    )


def output_views(settings: Settings) -> dict[str, tuple[View, FilteredOutput | None]]:
    """Every output by id (``""`` for the combined one), as its first page."""
    base = settings.config.output
    hub = settings.config.websub_hub
    views: dict[str, tuple[View, FilteredOutput | None]] = {"": (View(base, hub=hub), None)}
    for output in settings.config.outputs:
        own = base.model_copy(
            update={
                "title": output.title or f"{base.title}: {output.id}",
                "description": output.description or base.description,
                "max_items": output.max_items or base.max_items,
            }
        )
        views[output.id] = (View(own, path=f"feeds/{output.id}", hub=hub), output)
    return views


@dataclass(frozen=True)
class _Names:
    """What every rendering of one publish shares: how sources are named, and the
    directory attribution matches credits against (built once, not per output)."""

    refs: dict[str, SourceRef]
    directory: attribution.SourceDirectory
    health: SourceHealth


def _names(store: Store, settings: Settings) -> _Names:
    states = store.source_states(counts=False)
    return _Names(
        _refs(states, settings), source_directory(settings), source_health(states, settings)
    )


def source_health(states: Sequence[SourceState], settings: Settings) -> SourceHealth:
    """How the configured, enabled sources fared (failing: an error since the last
    success, or disabled by the service)."""
    enabled = {s.id for s in settings.sources if s.enabled}
    mine = [state for state in states if state.id in enabled]
    return SourceHealth(
        total=len(mine),
        fetched=sum(1 for s in mine if s.last_fetch_at is not None),
        failed=sum(1 for s in mine if s.error_count or s.disabled_reason),
    )


def render_view(
    store: Store,
    settings: Settings,
    output_id: str,
    page: int,
    now: datetime,
    names: _Names | None = None,
) -> Outputs | None:
    """One page of one output, rendered from the store (None: no such output)."""
    views = output_views(settings)
    if output_id not in views:
        return None
    names = names or _names(store, settings)
    view, output = views[output_id]
    size = view.settings.max_items
    entries = _entries(store, names.refs, output, (page - 1) * size, size + 1)
    view = View(view.settings, view.path, page, len(entries) > size, view.hub)
    shown = attribute_entries(entries[:size], names.directory, settings)
    store.save_credits(_newly_read(entries[:size], shown))
    return render_all(shown, view, now, names.health)


def _newly_read(
    before: Sequence[OutputEntry], after: Sequence[OutputEntry]
) -> list[tuple[int, str]]:
    """The credited chains this rendering read from text, to store with their items."""
    return [
        (new.item_id, new.stored_credits)
        for old, new in zip(before, after, strict=True)
        if new.item_id is not None
        and new.stored_credits is not None
        and new.stored_credits != old.stored_credits
    ]


def publish(store: Store, settings: Settings, now: datetime) -> Outputs:
    """Render the first page of every output and write its files; returns the combined
    output's.

    Raises:
        PublishError: the output folder cannot be written.
    """
    stamp, refs, health = _inputs(store, settings)
    return _publish(store, settings, now, _Names(refs, source_directory(settings), health), stamp)


def publish_if_changed(store: Store, settings: Settings, now: datetime) -> Outputs | None:
    """``publish``, unless nothing the outputs are rendered from changed since the last
    publish and all its files are still there: then None, and the files are left as they
    are (their mtimes, and so the ETags readers hold, too).

    Raises:
        PublishError: the output folder cannot be written.
    """
    stamp, refs, health = _inputs(store, settings)
    if stamp == inputs.recorded(settings.public_dir) and _all_written(settings):
        return None
    return _publish(store, settings, now, _Names(refs, source_directory(settings), health), stamp)


def _inputs(store: Store, settings: Settings) -> tuple[str, dict[str, SourceRef], SourceHealth]:
    """The fingerprint of the inputs, with the source refs and health it covers (the
    attribution directory, costly to build, is not needed: the config and the code it is
    made of are in the fingerprint). The change marker is read first: an item stored
    while the rendering runs makes the next fingerprint differ."""
    marker = store.change_marker()
    states = store.source_states(counts=False)
    refs, health = _refs(states, settings), source_health(states, settings)
    return inputs.fingerprint(settings, marker, refs, health), refs, health


def _publish(store: Store, settings: Settings, now: datetime, names: _Names, stamp: str) -> Outputs:
    inputs.forget(settings.public_dir)
    combined: Outputs | None = None
    for output_id in output_views(settings):
        rendered = render_view(store, settings, output_id, 1, now, names)
        assert rendered is not None
        write_outputs(rendered, settings.public_dir)
        combined = combined or rendered
    assert combined is not None
    inputs.record(settings.public_dir, stamp)
    return combined


def _all_written(settings: Settings) -> bool:
    """Whether every file of every output's first page is in the public folder."""
    return all(
        (settings.public_dir / view.file(kind)).is_file()
        for view, _ in output_views(settings).values()
        for kind in KINDS
    )


def shown_story_ids(store: Store, settings: Settings) -> set[str]:
    """The ids of the stories on the first page of any output (never purged)."""
    shown: set[str] = set()
    refs = source_refs(store, settings)
    for view, output in output_views(settings).values():
        shown.update(e.id for e in _entries(store, refs, output, 0, view.settings.max_items))
    return shown


def _entries(
    store: Store,
    refs: dict[str, SourceRef],
    output: FilteredOutput | None,
    offset: int,
    limit: int,
) -> list[OutputEntry]:
    if output is None:
        return store.latest_entries(limit, refs, offset=offset)
    chosen = [e for e in store.latest_entries(FILTER_WINDOW, refs) if matches(e, output)]
    return chosen[offset : offset + limit]


def matches(entry: OutputEntry, output: FilteredOutput) -> bool:
    """Whether an entry belongs in a filtered output."""
    if output.sources and not {m.source.id for m in entry.members} & set(output.sources):
        return False
    if output.languages and entry.language not in output.languages:
        return False
    if output.categories and not {c.casefold() for c in entry.categories} & {
        c.casefold() for c in output.categories
    }:
        return False
    text = " ".join((entry.title, entry.summary, *entry.categories))
    if output.include and not any(_has_word(text, word) for word in output.include):
        return False
    return not any(_has_word(text, word) for word in output.exclude)


def _has_word(text: str, word: str) -> bool:
    """Whether a word starts in ``text`` (so "спорт" matches "спорта" but not
    "транспорт": inflected forms count, other words that contain it do not)."""
    return re.search(rf"(?<!\w){re.escape(word)}", text, re.IGNORECASE) is not None


def source_refs(store: Store, settings: Settings) -> dict[str, SourceRef]:
    """How the output names each source: configured name, feed URL, site link."""
    return _refs(store.source_states(counts=False), settings)


def _refs(states: Sequence[SourceState], settings: Settings) -> dict[str, SourceRef]:
    """Only public (http/https) addresses: a source read from a local file publishes no
    filesystem path anywhere; its configured ``link`` stands in, or nothing."""
    refs = {}
    for state in states:
        site = _public(state.site_link)
        try:
            source = settings.source(state.id)
        except KeyError:
            refs[state.id] = SourceRef(
                id=state.id, name=state.name, url=_public(state.url) or "", link=site
            )
            continue
        refs[state.id] = SourceRef(
            id=source.id,
            name=source.name,
            url=_public(source.url) or "",
            link=source.link or site,
        )
    return refs


def _public(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL a reader can follow, else None."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None

"""Managing sources: discover a feed from a page URL and check it before it is added;
OPML import and export. The Python API behind ``aggregator sources`` and ``opml``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from aggregator import feedsfile
from aggregator.config import Settings
from aggregator.discover import discover_feeds, feed_title
from aggregator.errors import AggregatorError, NotAFeedError
from aggregator.fetch import Fetcher
from aggregator.opml import OpmlSource, parse_opml, render_opml, suggest_id
from aggregator.parse import parse_feed


@dataclass(frozen=True)
class FoundFeed:
    url: str
    title: str | None
    entries: int


async def find_feed(url: str, settings: Settings) -> FoundFeed:
    """The feed at ``url``, or the first working feed its page links to.

    Raises:
        FetchError: the page cannot be fetched.
        NotAFeedError: neither the page nor anything it links to is a readable feed.
    """
    async with Fetcher(settings.config.fetch) as fetcher:
        page = await fetcher.fetch(url)
        candidates = discover_feeds(page.content, url=page.url, content_type=page.content_type)
        problems = []
        for candidate in candidates:
            try:
                found = page if candidate.url == page.url else await fetcher.fetch(candidate.url)
                parsed = parse_feed(found.content, content_type=found.content_type, url=found.url)
            except AggregatorError as exc:
                problems.append(f"{candidate.url}: {exc}")
                continue
            title = parsed.title or feed_title(found.content) or candidate.title
            return FoundFeed(candidate.url, title, len(parsed.entries))
    tried = "; ".join(problems) or "the page links to no feed"
    raise NotAFeedError(f"no feed found at {url} ({tried})", url=url)


def new_source_entry(
    found: FoundFeed, settings: Settings, source_id: str | None, name: str | None
) -> dict[str, object]:
    """The feeds.yaml entry for a found feed: a unique id and a display name."""
    taken = {s.id for s in settings.sources}
    display = name or found.title or urlsplit(found.url).hostname or found.url
    return {
        "id": source_id or suggest_id(display, found.url, taken),
        "name": display,
        "url": found.url,
    }


def add_found(path: Path, entry: dict[str, object]) -> None:
    """Append the entry to the config file, keeping its comments and order."""
    feedsfile.add_source(path, entry)


def import_opml(path: Path, content: bytes, settings: Settings) -> list[str]:
    """Add every feed of an OPML document not already configured; returns the new ids."""
    taken = {s.id for s in settings.sources}
    entries: list[dict[str, object]] = []
    for source in parse_opml(content):
        if source.url is None:  # parse_opml yields only outlines with an xmlUrl
            continue
        source_id = suggest_id(source.name, source.url, taken)
        taken.add(source_id)
        entry: dict[str, object] = {"id": source_id, "name": source.name, "url": source.url}
        if source.language:
            entry["language"] = source.language
        entries.append(entry)
    return feedsfile.add_sources(path, entries)


def export_opml(settings: Settings) -> bytes:
    """The configured sources as OPML 2.0, each with its website (``link``) when
    configured. A local-file source is listed without its path: it has no ``xmlUrl``,
    only its name and website."""
    sources = [
        OpmlSource(
            name=s.name,
            url=s.url if urlsplit(s.url).scheme in ("http", "https") else None,
            site=s.link,
            language=s.language,
        )
        for s in settings.sources
    ]
    return render_opml(settings.config.output.title, sources, datetime.now(UTC))

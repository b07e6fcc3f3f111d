"""Plain values passed between the stages, named for the stage that makes them.

``FetchResult`` (fetch) → ``ParsedFeed`` of ``Entry`` (parse) → ``Item`` (normalize)
→ stored, grouped into stories → ``OutputEntry`` (what publish renders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FetchResult:
    """What one HTTP request (or a local file read) gave for a source."""

    url: str
    """The URL that answered, after redirects."""
    status: int
    content: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    permanent_redirect: str | None = None
    """Where a 301/308 chain finally led, when it did."""
    cache_control: str | None = None
    expires: str | None = None
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class Enclosure:
    url: str
    type: str | None = None
    length: int | None = None


@dataclass(frozen=True)
class Entry:
    """One entry as the feed states it, before normalization.

    Dates are timezone-aware when the feed gave an offset, naive when it gave none.
    """

    guid: str | None = None
    link: str | None = None
    title: str | None = None
    summary: str | None = None
    content: str | None = None
    """HTML (or text) of the full content when the feed has it."""
    published: datetime | None = None
    updated: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    image: str | None = None
    enclosures: tuple[Enclosure, ...] = ()
    language: str | None = None
    base_url: str | None = None
    """The base for relative URLs in this entry (xml:base, else the feed's link)."""
    time_known: bool = True
    """False when ``published`` is a day the source wrote without a time of day."""


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its own facts and its entries."""

    format: str
    """``rss20``, ``atom10``, ``json11``, ``html``…"""
    title: str | None = None
    link: str | None = None
    language: str | None = None
    ttl_minutes: int | None = None
    update_period_minutes: int | None = None
    entries: tuple[Entry, ...] = ()
    warnings: tuple[str, ...] = ()
    parser: str = "feedparser"
    """Which reader took the document: ``fast`` (lxml), ``feedparser``, ``json``, ``html``."""


@dataclass(frozen=True)
class StoryKeys:
    """What the story decision stores of an item: its features (JSON), the keys of the
    candidate index and the terms whose document frequency it increments."""

    features: str
    index_keys: tuple[str, ...]
    term_keys: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    """A normalized item of one source, ready to store."""

    source_id: str
    key: str
    """Identity inside the source: ``guid:…``, ``link:…`` or ``hash:…``."""
    guid: str | None
    link: str | None
    """Canonical absolute link (tracking parameters removed)."""
    original_link: str | None
    title: str
    content_html: str
    """Sanitized HTML."""
    text: str
    """Plain text derived from the content."""
    summary: str
    """A short plain-text lead."""
    published: datetime
    """UTC; the first-seen time when the feed gives none."""
    updated: datetime | None
    author: str | None
    categories: tuple[str, ...]
    image: str | None
    enclosures: tuple[Enclosure, ...]
    language: str | None
    content_hash: str
    """Hash of what a reader sees; a change means the item was edited."""
    story_keys: StoryKeys | None = None
    time_known: bool = True
    """False when the source gave the day of ``published`` but not its time."""


@dataclass(frozen=True)
class SourceRef:
    """A source as the output names it."""

    id: str
    name: str
    url: str
    """The source's public (http/https) feed URL; ``""`` when it has none (a local file)."""
    link: str | None = None
    """The source's website, when known."""


@dataclass(frozen=True)
class StoryMember:
    """One member item of a story, as the output lists it."""

    source: SourceRef
    link: str | None
    title: str
    published: datetime


@dataclass(frozen=True)
class Credited:
    """A name the text credits, in dictionary form, with the source it matched."""

    name: str
    source_id: str | None = None


@dataclass(frozen=True)
class Provenance:
    """Where an output entry comes from: who publishes it, whom it credits, the origin,
    and the line that says so in the output's language."""

    line: str
    publisher: SourceRef
    publisher_url: str | None
    """The publisher's own item."""
    credited: tuple[Credited, ...] = ()
    origin_name: str = ""
    origin_source_id: str | None = None
    origin_url: str | None = None


@dataclass(frozen=True)
class OutputEntry:
    """One entry of the combined output: a story shown through its representative item."""

    id: str
    """Stable, globally unique; never changes once published."""
    source: SourceRef
    link: str | None
    title: str
    content_html: str
    summary: str
    published: datetime
    updated: datetime
    author: str | None = None
    categories: tuple[str, ...] = ()
    image: str | None = None
    enclosures: tuple[Enclosure, ...] = ()
    language: str | None = None
    time_known: bool = True
    """False when the source gave the day of ``published`` but not its time of day."""
    members: tuple[StoryMember, ...] = field(default=())
    """Every member of the story, the representative included."""
    provenance: Provenance | None = None
    item_id: int | None = None
    """The representative item's row, where its credited chain is stored."""
    stored_credits: str | None = None
    """The credited chain read from the text before (``attribution.encode_credits``)."""

"""Output entries → RSS 2.0 and Atom 1.0 (feedgen), JSON Feed 1.1 and an HTML page.

Rendering is pure (``render_*`` take values, return bytes); ``write_outputs`` writes the
files atomically (a temporary file in the same folder, then a rename), so a static web
server never serves half a file.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.html
from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from aggregator import USER_AGENT, __version__, attribution
from aggregator.config import OutputSettings, Settings
from aggregator.errors import PublishError
from aggregator.models import Credited, OutputEntry, Provenance, SourceRef, StoryMember
from aggregator.normalize import html_to_text, strip_xml_illegal
from aggregator.storage import Store

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
OUTPUT_FILES = {
    "rss": "feed.xml",
    "atom": "feed.atom",
    "json": "feed.json",
    "html": "index.html",
}


@dataclass(frozen=True)
class Outputs:
    rss: bytes
    atom: bytes
    json: bytes
    html: bytes

    def files(self) -> dict[str, bytes]:
        return {OUTPUT_FILES[kind]: getattr(self, kind) for kind in OUTPUT_FILES}


def render_all(entries: Sequence[OutputEntry], settings: OutputSettings, now: datetime) -> Outputs:
    """Every output format for the same entries."""
    with_others = [with_provenance(entry, settings.language) for entry in entries]
    return Outputs(
        rss=render_rss(with_others, settings, now),
        atom=render_atom(with_others, settings, now),
        json=render_json_feed(with_others, settings),
        html=render_html(entries, settings, now),
    )


ALSO_REPORTED = {"ru": "Также сообщают", "kk": "Сондай-ақ хабарлайды", "en": "Also reported by"}


def other_outlets(entry: OutputEntry) -> list[StoryMember]:
    """The story's members from other outlets than the shown one, one per outlet."""
    seen = {entry.source.id}
    others = []
    for member in entry.members:
        if member.source.id not in seen:
            seen.add(member.source.id)
            others.append(member)
    return others


def other_outlets_html(entry: OutputEntry, language: str) -> str:
    """``<p>Также сообщают: <a href=…>Tengrinews.kz</a>, Kazinform</p>``, or ""."""
    others = other_outlets(entry)
    if not others:
        return ""
    links = ", ".join(
        f'<a href="{html.escape(m.link)}">{html.escape(m.source.name)}</a>'
        if m.link
        else html.escape(m.source.name)
        for m in others
    )
    label = ALSO_REPORTED.get(language, ALSO_REPORTED["en"])
    return f'<p class="also">{label}: {links}</p>'


def with_provenance(entry: OutputEntry, language: str) -> OutputEntry:
    """The entry with its attribution line and the other outlets of its story after its
    content, as readers show it."""
    footer = attribution_html(entry.provenance) + other_outlets_html(entry, language)
    return replace(entry, content_html=entry.content_html + footer) if footer else entry


def attribution_html(provenance: Provenance | None) -> str:
    """The attribution line as a paragraph, the publisher's and the origin's names linked
    to their items when we have them."""
    if provenance is None or not provenance.line:
        return ""
    line = html.escape(provenance.line)
    line = _link_first(line, html.escape(provenance.publisher.name), provenance.publisher_url)
    if provenance.origin_url and provenance.origin_name != provenance.publisher.name:
        line = _link_inflected(line, provenance.origin_name, provenance.origin_url)
    return (
        f'<p class="attribution">{line}.</p>'
        if not line.endswith(".")
        else (f'<p class="attribution">{line}</p>')
    )


def _link_first(text: str, name: str, url: str | None) -> str:
    start = text.find(name)
    if not url or start < 0:
        return text
    link = f'<a href="{html.escape(url)}">{name}</a>'
    return text[:start] + link + text[start + len(name) :]


def _link_inflected(text: str, name: str, url: str) -> str:
    """Link ``name`` in whatever case the line put it: match the stem of its first word
    (the line declines names: "Акорда" stands as "Акорду"), searching from the end."""
    words = html.escape(name).split()
    stem = words[0][: max(3, len(words[0]) - 2)]
    start = text.rfind(stem)
    if start < 0 or "<a " in text[start:]:
        return text
    end = start
    for _ in words:
        space = text.find(" ", end + 1)
        end = len(text) if space < 0 else space
    link = f'<a href="{html.escape(url)}">{text[start:end]}</a>'
    return text[:start] + link + text[end:]


def write_outputs(outputs: Outputs, public_dir: Path) -> None:
    """Write the output files atomically.

    Raises:
        PublishError: the folder cannot be written.
    """
    try:
        public_dir.mkdir(parents=True, exist_ok=True)
        for name, content in outputs.files().items():
            _atomic_write(public_dir / name, content)
    except OSError as exc:
        raise PublishError(f"cannot write the output to {public_dir}: {exc}") from exc


def _atomic_write(path: Path, content: bytes) -> None:
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(content)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def feed_url(settings: OutputSettings, kind: str) -> str:
    return settings.link.rstrip("/") + "/" + OUTPUT_FILES[kind]


# -- RSS and Atom ------------------------------------------------------------------------


class _AtomSource(BaseEntryExtension):  # type: ignore[misc]
    """Atom ``<source>`` (RFC 4287 §4.2.11) with id, title, link and updated, which
    feedgen does not write itself."""

    def __init__(self) -> None:
        self.source: tuple[str, str, str | None, datetime] | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.source is None:
            return entry
        source_id, title, link, updated = self.source
        # feedgen writes Atom elements unqualified under a default xmlns; so do we.
        element = etree.SubElement(entry, "source")
        etree.SubElement(element, "id").text = source_id
        etree.SubElement(element, "title").text = title
        if link:
            etree.SubElement(element, "link", rel="self", href=link)
        etree.SubElement(element, "updated").text = updated.isoformat()
        return entry


def _generator(
    entries: Sequence[OutputEntry], settings: OutputSettings, kind: str, now: datetime
) -> FeedGenerator:
    feed = FeedGenerator()
    feed.load_extension("dc")
    feed.id(settings.link)
    feed.title(_xml_safe(settings.title))
    feed.subtitle(_xml_safe(settings.description))
    feed.link(href=feed_url(settings, kind), rel="self")
    feed.link(href=settings.link, rel="alternate")
    feed.language(settings.language)
    feed.author({"name": settings.title})
    feed.generator("aggregator", __version__, USER_AGENT.split("(+")[-1].rstrip(")"))
    feed.updated(max((e.updated for e in entries), default=now))
    feed.lastBuildDate(now)
    for entry in entries:
        _add_entry(feed, entry, kind)
    return feed


def _add_entry(feed: FeedGenerator, entry: OutputEntry, kind: str) -> None:
    item = feed.add_entry(order="append")
    item.id(entry.id)
    item.guid(entry.id, permalink=False)
    item.title(_xml_safe(entry.title))
    if entry.link:
        item.link(href=entry.link, rel="alternate")
    item.published(entry.published)
    item.updated(entry.updated)
    item.description(_xml_safe(entry.summary) or _xml_safe(entry.title))
    if entry.content_html:
        item.content(_xml_safe(entry.content_html), type="html")
    for category in entry.categories:
        item.category(term=_xml_safe(category))
    for enclosure in entry.enclosures[:1]:  # RSS 2.0 allows one enclosure per item
        item.enclosure(enclosure.url, str(enclosure.length or 0), enclosure.type or "")
    if kind == "rss":
        _rss_provenance(item, entry)
    else:
        _atom_provenance(item, entry)


def _rss_provenance(item: Any, entry: OutputEntry) -> None:
    """RSS 2.0 ``<source url>`` of the outlet and ``dc:creator`` for the author."""
    if entry.source.url:
        item.source(url=entry.source.url, title=_xml_safe(entry.source.name))
    if entry.author:
        item.dc.dc_creator(_xml_safe(entry.author))


def _atom_provenance(item: Any, entry: OutputEntry) -> None:
    """Atom ``<author>`` and ``<source>`` with id, title, link and updated."""
    if entry.author:
        item.author({"name": _xml_safe(entry.author)})
    item.register_extension("aggregator_source", _AtomSource, atom=True, rss=False)
    item.aggregator_source.source = (
        entry.source.url or f"urn:aggregator:source:{entry.source.id}",
        _xml_safe(entry.source.name),
        entry.source.link or entry.source.url or None,
        entry.updated,
    )


def render_rss(entries: Sequence[OutputEntry], settings: OutputSettings, now: datetime) -> bytes:
    """RSS 2.0: each item with a non-permalink guid, ``<source url>`` and ``dc:creator``."""
    feed = _generator(entries, settings, "rss", now)
    feed.description(_xml_safe(settings.description))
    return bytes(feed.rss_str(pretty=True))


def render_atom(entries: Sequence[OutputEntry], settings: OutputSettings, now: datetime) -> bytes:
    """Atom 1.0: each entry with an ``<source>`` naming its outlet."""
    return bytes(_generator(entries, settings, "atom", now).atom_str(pretty=True))


# -- JSON Feed ---------------------------------------------------------------------------


def render_json_feed(entries: Sequence[OutputEntry], settings: OutputSettings) -> bytes:
    """JSON Feed 1.1 with an ``_aggregator`` extension object on every item."""
    document = {
        "version": JSON_FEED_VERSION,
        "title": settings.title,
        "home_page_url": settings.link,
        "feed_url": feed_url(settings, "json"),
        "description": settings.description,
        "language": settings.language,
        "items": [_json_item(entry) for entry in entries],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _json_item(entry: OutputEntry) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.id}
    if entry.link:
        item["url"] = entry.link
    item.update(
        title=entry.title,
        content_html=entry.content_html or html.escape(entry.summary),
        summary=entry.summary,
        date_published=entry.published.isoformat(),
        date_modified=entry.updated.isoformat(),
    )
    optional = {
        "authors": [{"name": entry.author}] if entry.author else None,
        "tags": list(entry.categories) or None,
        "image": entry.image,
        "language": entry.language,
        "attachments": [
            {
                k: v
                for k, v in (
                    ("url", e.url),
                    ("mime_type", e.type or "application/octet-stream"),
                    ("size_in_bytes", e.length),
                )
                if v is not None
            }
            for e in entry.enclosures
        ]
        or None,
    }
    item.update({key: value for key, value in optional.items() if value})
    item["_aggregator"] = {
        "source": {"id": entry.source.id, "name": entry.source.name, "url": entry.source.url},
        "story": entry.id,
        "sources": [
            {
                "id": m.source.id,
                "name": m.source.name,
                "url": m.link,
                "published": m.published.isoformat(),
            }
            for m in entry.members
        ],
        **_json_provenance(entry.provenance),
    }
    return item


def _json_provenance(provenance: Provenance | None) -> dict[str, Any]:
    if provenance is None:
        return {}
    publisher = provenance.publisher
    return {
        "publisher": {"id": publisher.id, "name": publisher.name, "url": provenance.publisher_url},
        "credited": [{"name": c.name, "source": c.source_id} for c in provenance.credited],
        "origin": {
            "name": provenance.origin_name,
            "source": provenance.origin_source_id,
            "url": provenance.origin_url,
        },
        "line": provenance.line,
    }


# -- HTML --------------------------------------------------------------------------------

_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#f6f7f9;color:#1d2330}
header,main{max-width:46rem;margin:0 auto;padding:1rem}
header h1{font-size:1.5rem;margin:.5rem 0 0}header p{color:#5a6272;margin:.25rem 0}
nav a{margin-right:1rem;font-size:.9rem}
article{background:#fff;border-radius:10px;padding:1rem 1.2rem;margin:0 0 .8rem;
box-shadow:0 1px 2px rgba(0,0,0,.06)}
article h2{font-size:1.1rem;margin:0 0 .3rem}a{color:#1a56db;text-decoration:none}
a:hover{text-decoration:underline}.meta{color:#5a6272;font-size:.85rem}
article p{margin:.4rem 0 0}.empty{color:#5a6272}.also{font-size:.85rem;color:#5a6272}
@media (prefers-color-scheme:dark){body{background:#111418;color:#e5e7eb}
article{background:#1b1f26}a{color:#8ab4ff}.meta,header p{color:#9aa3b2}}
"""


def render_html(entries: Sequence[OutputEntry], settings: OutputSettings, now: datetime) -> bytes:
    """A readable, responsive page of the latest entries; no external assets, no script."""
    zone = _zone(settings.timezone)
    articles = "\n".join(_html_article(entry, zone, settings.language) for entry in entries)
    body = articles or '<p class="empty">No entries yet: the sources have not been fetched.</p>'
    esc = html.escape
    page = f"""<!DOCTYPE html>
<html lang="{esc(settings.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(settings.title)}</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="feed.xml">
<link rel="alternate" type="application/atom+xml" title="Atom" href="feed.atom">
<link rel="alternate" type="application/feed+json" title="JSON Feed" href="feed.json">
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{esc(settings.title)}</h1>
<p>{esc(settings.description)}</p>
<nav><a href="feed.xml">RSS</a><a href="feed.atom">Atom</a><a href="feed.json">JSON Feed</a></nav>
<p class="meta">Updated {esc(now.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"))}</p>
</header>
<main>
{body}
</main>
</body>
</html>
"""
    return page.encode("utf-8")


def _html_article(entry: OutputEntry, zone: ZoneInfo, language: str) -> str:
    esc = html.escape
    title = esc(entry.title)
    heading = f'<a href="{esc(entry.link)}">{title}</a>' if entry.link else title
    when = entry.published.astimezone(zone)
    source = esc(entry.source.name)
    return (
        f'<article id="{esc(entry.id)}">\n<h2>{heading}</h2>\n'
        f'<div class="meta">{source} · <time datetime="{when.isoformat()}">'
        f"{when:%Y-%m-%d %H:%M}</time></div>\n"
        f"<p>{esc(entry.summary)}</p>\n{attribution_html(entry.provenance)}"
        f"{other_outlets_html(entry, language)}</article>"
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _xml_safe(text: str) -> str:
    """Strip what XML 1.0 forbids; one bad character must not break the whole feed."""
    return strip_xml_illegal(text)


def publish(store: Store, settings: Settings, now: datetime) -> Outputs:
    """Render the newest entries from the store and write every output file.

    Raises:
        PublishError: the output folder cannot be written.
    """
    refs = source_refs(store, settings)
    entries = store.latest_entries(settings.config.output.max_items, refs)
    directory = source_directory(settings)
    entries = [attribute_entry(entry, directory, settings) for entry in entries]
    outputs = render_all(entries, settings.config.output, now)
    write_outputs(outputs, settings.public_dir)
    return outputs


def source_refs(store: Store, settings: Settings) -> dict[str, SourceRef]:
    """How the output names each source: configured name, feed URL, site link."""
    refs = {}
    for state in store.source_states():
        try:
            source = settings.source(state.id)
        except KeyError:
            refs[state.id] = SourceRef(
                id=state.id, name=state.name, url=state.url, link=state.site_link
            )
            continue
        url = settings.source_location(source)
        public_url = url if url.startswith(("http://", "https://")) else ""
        refs[state.id] = SourceRef(
            id=source.id, name=source.name, url=public_url, link=state.site_link
        )
    return refs


# -- attribution -------------------------------------------------------------------------


def source_directory(settings: Settings) -> attribution.SourceDirectory:
    """The names texts may credit: the configured sources (with their aliases and forms),
    the extra names of ``attribution.known`` and, unless switched off, the built-in
    directory of Kazakhstan outlets and institutions."""
    config = settings.config.attribution
    known = [
        attribution.KnownSource(id=s.id, name=s.name, aliases=s.aliases, forms=s.forms)
        for s in settings.sources
    ]
    known += [
        attribution.KnownSource(id=None, name=k.name, aliases=k.aliases, forms=k.forms, kind=k.kind)
        for k in config.known
    ]
    return attribution.SourceDirectory(known, include_builtin=config.builtin)


def attribute_entry(
    entry: OutputEntry, directory: attribution.SourceDirectory, settings: Settings
) -> OutputEntry:
    """The entry with its provenance: who publishes it, whom its text credits, the origin
    (the last credited name, else an earlier outlet of its story, else the publisher)."""
    paragraphs = paragraphs_of(entry.content_html) or [entry.summary]
    publisher = _publisher(entry, settings)
    members = [
        attribution.StoryMember(m.source.id, m.source.name, m.link, m.published)
        for m in entry.members
    ]
    found = attribution.attribute(
        publisher,
        entry.link,
        entry.title,
        paragraphs[0],
        paragraphs[-1],
        directory,
        settings.config.output.language,
        members,
        entry.published,
        settings.config.attribution.templates or None,
    )
    provenance = Provenance(
        line=found.line,
        publisher=entry.source,
        publisher_url=entry.link,
        credited=tuple(Credited(c.name, c.source_id) for c in found.credited),
        origin_name=found.origin_name,
        origin_source_id=found.origin_source_id,
        origin_url=found.origin_url,
    )
    return replace(entry, provenance=provenance)


def _publisher(entry: OutputEntry, settings: Settings) -> attribution.KnownSource:
    try:
        source = settings.source(entry.source.id)
    except KeyError:
        return attribution.KnownSource(id=entry.source.id, name=entry.source.name)
    return attribution.KnownSource(
        id=source.id, name=source.name, aliases=source.aliases, forms=source.forms
    )


def paragraphs_of(content_html: str) -> list[str]:
    """The plain text of each block (paragraph, list item, heading) of an HTML fragment."""
    if not content_html.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(content_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return [html_to_text(content_html)]
    blocks = [
        html_to_text(lxml.html.tostring(b, encoding="unicode"))
        for b in root.iter("p", "li", "h1", "h2", "h3", "h4", "blockquote")
    ]
    blocks = [b for b in blocks if b]
    return blocks or [html_to_text(content_html)]

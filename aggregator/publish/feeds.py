"""Output entries → RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1 (pure).

Each feed links to itself, to the HTML page, to its other pages (RFC 5005 §3 paged feeds:
``first``, ``previous``, ``next``; pages shift as news arrives, so they are not archives)
and to the WebSub hub when one is configured.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from aggregator import USER_AGENT, __version__
from aggregator.models import OutputEntry, Provenance
from aggregator.normalize import strip_xml_illegal
from aggregator.publish.view import View

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_NS = "http://www.w3.org/2005/Atom"


class _AtomSource(BaseEntryExtension):  # type: ignore[misc]
    """Atom ``<source>`` (RFC 4287 §4.2.11) with id, title, links and updated, which
    feedgen does not write itself."""

    def __init__(self) -> None:
        self.source: AtomSource | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.source is None:
            return entry
        # feedgen writes Atom elements unqualified under a default xmlns; so do we.
        element = etree.SubElement(entry, "source")
        etree.SubElement(element, "id").text = self.source.id
        etree.SubElement(element, "title").text = self.source.title
        if self.source.feed:
            etree.SubElement(element, "link", rel="self", href=self.source.feed)
        if self.source.site:
            etree.SubElement(element, "link", rel="alternate", href=self.source.site)
        etree.SubElement(element, "updated").text = self.source.updated.isoformat()
        return entry


@dataclass(frozen=True)
class AtomSource:
    """What an Atom ``<source>`` says: the outlet's feed is its ``self`` link, its
    website its ``alternate`` link (either may be unknown)."""

    id: str
    title: str
    feed: str | None
    site: str | None
    updated: datetime


class _ChannelLinks(BaseExtension):  # type: ignore[misc]
    """``atom:link`` elements in an RSS channel (paging, hub): feedgen writes only the
    self link there."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []

    def extend_rss(self, rss: Any) -> Any:
        channel = rss[0]
        for rel, href in self.links:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", rel=rel, href=href)
        return rss


def feed_links(view: View, kind: str) -> list[tuple[str, str]]:
    """(rel, href) of the links beside self and alternate: hub and pages."""
    links = [("hub", view.hub)] if view.hub else []
    if view.page > 1 or view.has_next:
        links.append(("first", view.url(kind, 1)))
    if view.page > 1:
        links.append(("previous", view.url(kind, view.page - 1)))
    if view.has_next:
        links.append(("next", view.url(kind, view.page + 1)))
    return links


def _generator(
    entries: Sequence[OutputEntry], view: View, kind: str, now: datetime
) -> FeedGenerator:
    settings = view.settings
    feed = FeedGenerator()
    feed.load_extension("dc")
    feed.id(view.url(kind, 1))
    feed.title(_xml_safe(settings.title))
    feed.subtitle(_xml_safe(settings.description))
    feed.link(href=view.url(kind), rel="self")
    if kind == "atom":
        for rel, href in feed_links(view, kind):
            feed.link(href=href, rel=rel)
    else:
        feed.register_extension("channel_links", _ChannelLinks, atom=False, rss=True)
        feed.channel_links.links = feed_links(view, kind)
    feed.link(href=view.url("html"), rel="alternate")  # last: RSS <link> takes the last
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
    """RSS 2.0 ``<source url>`` of the outlet (its feed, else its website; RSS requires
    the url, so an outlet with neither has no ``<source>``) and ``dc:creator``."""
    url = entry.source.url or entry.source.link
    if url:
        item.source(url=url, title=_xml_safe(entry.source.name))
    if entry.author:
        item.dc.dc_creator(_xml_safe(entry.author))


def _atom_provenance(item: Any, entry: OutputEntry) -> None:
    """Atom ``<author>`` and ``<source>`` with id, title, link and updated."""
    if entry.author:
        item.author({"name": _xml_safe(entry.author)})
    item.register_extension("aggregator_source", _AtomSource, atom=True, rss=False)
    item.aggregator_source.source = AtomSource(
        id=entry.source.url or f"urn:aggregator:source:{entry.source.id}",
        title=_xml_safe(entry.source.name),
        feed=entry.source.url or None,
        site=entry.source.link,
        updated=entry.updated,
    )


def render_rss(entries: Sequence[OutputEntry], view: View, now: datetime) -> bytes:
    """RSS 2.0: each item with a non-permalink guid, ``<source url>`` and ``dc:creator``."""
    feed = _generator(entries, view, "rss", now)
    feed.description(_xml_safe(view.settings.description))
    return bytes(feed.rss_str(pretty=True))


def render_atom(entries: Sequence[OutputEntry], view: View, now: datetime) -> bytes:
    """Atom 1.0: each entry with an ``<source>`` naming its outlet."""
    return bytes(_generator(entries, view, "atom", now).atom_str(pretty=True))


def render_json_feed(entries: Sequence[OutputEntry], view: View) -> bytes:
    """JSON Feed 1.1 with an ``_aggregator`` extension object on every item."""
    settings = view.settings
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": settings.title,
        "home_page_url": view.url("html", 1),
        "feed_url": view.url("json"),
        "description": settings.description,
        "language": settings.language,
    }
    if view.has_next:
        document["next_url"] = view.url("json", view.page + 1)
    if view.hub:
        document["hubs"] = [{"type": "WebSub", "url": view.hub}]
    document["items"] = [_json_item(entry) for entry in entries]
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
        "source": {
            "id": entry.source.id,
            "name": entry.source.name,
            "url": entry.source.url or entry.source.link,
        },
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


def _xml_safe(text: str) -> str:
    """Strip what XML 1.0 forbids; one bad character must not break the whole feed."""
    return strip_xml_illegal(text)

"""Finding the feed of a site from one fetched page (pure: bytes in, candidates out).

A page names its feeds with ``<link rel="alternate" type="application/rss+xml" href>``
(the RSS autodiscovery convention, https://www.rssboard.org/rss-autodiscovery; Atom and
JSON Feed 1.1 §"Discovery" use the same element with their media types). When a page
names none, the paths most sites serve their feed at are offered as guesses, for the
caller to try one by one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from aggregator.errors import ParseError
from aggregator.parse import decode_document, parse_feed

#: Alternate-link media types that name a feed, as the type we report.
FEED_LINK_TYPES = {
    "application/rss+xml": "application/rss+xml",
    "application/atom+xml": "application/atom+xml",
    "application/feed+json": "application/feed+json",
    "application/json": "application/json",
}
#: Where sites commonly serve their feed, tried when a page names none.
FALLBACK_PATHS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml")

_ATOM_NAMESPACES = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")
_RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]{1,40})", re.I)
# WordPress advertises its REST API as rel="alternate" type="application/json" on every
# page; those documents are posts and pages, not feeds.
_NOT_FEED_PATHS = ("/wp-json/",)


@dataclass(frozen=True)
class DiscoveredFeed:
    """A feed a page points to (or the page itself, when it is a feed)."""

    url: str
    title: str | None
    type: str | None
    """The media type, e.g. ``application/rss+xml``; ``None`` for a guess."""
    guessed: bool = False
    """Not named by the page: a common path that may or may not exist."""


def discover_feeds(content: bytes, *, url: str, content_type: str | None) -> list[DiscoveredFeed]:
    """The feeds ``content`` (fetched from ``url``) is or names, best first.

    * A feed (RSS, Atom, RDF or JSON Feed) is returned itself, with its title.
    * Otherwise the page's alternate links to feeds, made absolute (``<base href>``
      honoured), in page order, without repeats.
    * Otherwise :data:`FALLBACK_PATHS` on the page's host, marked ``guessed``.

    Never raises: unreadable bytes simply name no feed.
    """
    kind = _feed_kind(content, content_type)
    if kind is not None:
        return [DiscoveredFeed(url=url, title=feed_title(content), type=kind)]
    found = _unique(_alternate_links(content, url=url, content_type=content_type))
    return found or _fallbacks(url)


def feed_title(content: bytes) -> str | None:
    """The title of a feed document (RSS, Atom, RDF, JSON Feed), or ``None``.

    For naming a new source; ``None`` when the bytes are no readable feed or have no title.
    """
    try:
        title = parse_feed(content).title
    except ParseError:
        return None
    title = " ".join((title or "").split())
    return title or None


# -- is it a feed? -------------------------------------------------------------------------


def _feed_kind(content: bytes, content_type: str | None) -> str | None:
    """The media type of ``content`` when it is a feed, from its root element or JSON."""
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        return "application/feed+json" if _is_json_feed(content) else None
    return _xml_feed_kind(_root_name(content))


def _is_json_feed(content: bytes) -> bool:
    """JSON Feed 1.0/1.1: an object whose ``version`` is ``https://jsonfeed.org/version/…``."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    version = document.get("version") if isinstance(document, dict) else None
    return isinstance(version, str) and "//jsonfeed.org/version/" in version


def _root_name(content: bytes) -> tuple[str | None, str] | None:
    """(namespace, local name) of the root element, read without parsing further."""
    # Only the first start tag is read: a feed broken further down is still a feed. The
    # bytes go in small pieces, so a parser that reads ahead (lxml 6) stops at the root.
    # Entities are never expanded and nothing is loaded (billion laughs, XXE).
    parser = etree.XMLPullParser(
        events=("start",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    # The DOCTYPE goes first: only the root's name is wanted, and libxml2 2.14 refuses a
    # document whose declarations could amplify, even unexpanded.
    body = _DOCTYPE.sub(b"", content.lstrip(b" \t\r\n")[:_ROOT_SEARCH_BYTES], count=1)
    for start in range(0, len(body), 512):
        try:
            parser.feed(body[start : start + 512])
        except (etree.LxmlError, ValueError, LookupError):
            return _first_start(parser)  # broken after its root: still that kind of document
        found = _first_start(parser)
        if found is not None:
            return found
    return None


def _first_start(parser: etree.XMLPullParser) -> tuple[str | None, str] | None:
    for _event, element in parser.read_events():
        if isinstance(element, etree._Element):  # "start" events carry the element
            qname = etree.QName(element)
            return qname.namespace, qname.localname
    return None


_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)
_ROOT_SEARCH_BYTES = 64 * 1024
"""How far into a document its root element is looked for (past a long DTD or comments)."""


def _xml_feed_kind(root: tuple[str | None, str] | None) -> str | None:
    if root is None:
        return None
    namespace, name = root
    if name == "rss" and namespace is None:
        return "application/rss+xml"
    if name == "feed" and namespace in _ATOM_NAMESPACES:
        return "application/atom+xml"
    if name == "RDF" and namespace == _RDF_NAMESPACE:
        return "application/rdf+xml"
    return None


# -- links in a page -----------------------------------------------------------------------


def _alternate_links(
    content: bytes, *, url: str, content_type: str | None
) -> Iterator[DiscoveredFeed]:
    document = _html(content, content_type)
    if document is None:
        return
    base = _base_url(document, url)
    for link in document.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        media_type = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or media_type not in FEED_LINK_TYPES:
            continue
        target = _absolute(base, link.get("href"))
        if target is None or any(part in urlsplit(target).path for part in _NOT_FEED_PATHS):
            continue
        title = " ".join((link.get("title") or "").split()) or None
        yield DiscoveredFeed(url=target, title=title, type=FEED_LINK_TYPES[media_type])


def _html(content: bytes, content_type: str | None) -> etree._Element | None:
    """The page as an lxml HTML tree, decoded by HTTP charset, ``<meta charset>``, content."""
    if not _has_charset(content_type) and (meta := _META_CHARSET.search(content[:4096])):
        content_type = f"text/html; charset={meta.group(1).decode('ascii')}"
    text, _warnings = decode_document(content, content_type)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(_without_xml_declaration(text))
    except (etree.LxmlError, ValueError):
        return None


def _has_charset(content_type: str | None) -> bool:
    return "charset" in (content_type or "").lower()


def _without_xml_declaration(text: str) -> str:
    # lxml refuses str input that declares an encoding (XHTML pages sometimes do).
    return re.sub(r"\A\s*<\?xml[^>]*\?>", "", text, count=1)


def _base_url(document: etree._Element, url: str) -> str:
    for base in document.iter("base"):
        href = base.get("href")
        if href and href.strip():
            return urljoin(url, href.strip())
    return url


def _absolute(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base`` when it is an http(s) URL, else ``None``."""
    if not href or not href.strip():
        return None
    try:
        target = urljoin(base, href.strip())
        parts = urlsplit(target)
    except ValueError:
        return None
    return target if parts.scheme in ("http", "https") and parts.hostname else None


def _unique(feeds: Iterator[DiscoveredFeed]) -> list[DiscoveredFeed]:
    seen: set[str] = set()
    unique = []
    for feed in feeds:
        if feed.url not in seen:
            seen.add(feed.url)
            unique.append(feed)
    return unique


def _fallbacks(url: str) -> list[DiscoveredFeed]:
    candidates = (_absolute(url, path) for path in FALLBACK_PATHS)
    return [
        DiscoveredFeed(url=candidate, title=None, type=None, guessed=True)
        for candidate in candidates
        if candidate is not None and candidate != url
    ]

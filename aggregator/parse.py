"""Bytes → ``ParsedFeed``: feedparser for RSS 0.9x/1.0/2.0 and Atom, our own reader for
JSON Feed 1.0/1.1. Raw feedparser dicts never leave this module.

Raises ``NotAFeedError`` for HTML pages, images and empty bodies; keeps what parses of a
malformed feed and records a warning.
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
from dateutil import parser as dateparser

from aggregator.errors import NotAFeedError, ParseError
from aggregator.models import Enclosure, Entry, ParsedFeed

_JSON_TYPES = ("application/feed+json", "application/json")


def parse_feed(
    content: bytes, *, content_type: str | None = None, url: str | None = None
) -> ParsedFeed:
    """Parse a feed document of any supported format.

    Args:
        content: the body as received.
        content_type: the HTTP Content-Type header, used for the charset and the format.
        url: where it came from, the base for relative links.

    Raises:
        NotAFeedError: the body is empty, HTML or another non-feed type.
        ParseError: the body claims to be a feed but cannot be read at all.
    """
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if not head:
        raise NotAFeedError("not a feed: the response body is empty")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if head in (b"{", b"[") or media_type in _JSON_TYPES:
        return parse_json_feed(content)
    _refuse_binary(content, media_type)
    return _parse_xml_feed(content, content_type, url)


def _refuse_binary(content: bytes, media_type: str) -> None:
    if media_type.startswith(("image/", "audio/", "video/")) or (
        media_type in ("application/pdf", "application/zip", "application/octet-stream")
        and not content.lstrip().startswith(b"<")
    ):
        raise NotAFeedError(f"not a feed: got {media_type}")


def _parse_xml_feed(content: bytes, content_type: str | None, url: str | None) -> ParsedFeed:
    headers = {"content-type": content_type} if content_type else {}
    if url:
        headers["content-location"] = url
    parsed = feedparser.parse(
        content, response_headers=headers, sanitize_html=False, resolve_relative_uris=True
    )
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        raise _not_a_feed(content, content_type, parsed)
    feed = parsed.feed
    warnings = (f"malformed feed: {parsed.get('bozo_exception')}",) if parsed.get("bozo") else ()
    return ParsedFeed(
        format=version or "unknown",
        title=_text(feed.get("title")),
        link=feed.get("link"),
        language=_language(feed.get("language")),
        ttl_minutes=_int(feed.get("ttl")),
        entries=tuple(_entry(entry, feed.get("link") or url) for entry in parsed.entries),
        warnings=warnings,
    )


def _not_a_feed(content: bytes, content_type: str | None, parsed: Any) -> ParseError:
    start = content[:512].lower()
    media_type = (content_type or "").split(";")[0].strip()
    if b"<html" in start or b"<!doctype html" in start or media_type == "text/html":
        return NotAFeedError(f"not a feed: got {media_type or 'an HTML page'}")
    reason = parsed.get("bozo_exception")
    return ParseError(f"not a feed: no RSS/Atom root element ({reason or 'unknown format'})")


def _entry(raw: Any, feed_link: str | None) -> Entry:
    return Entry(
        guid=_text(raw.get("id")),
        link=_text(raw.get("link")),
        title=_text(raw.get("title")),
        summary=raw.get("summary"),
        content=_content(raw),
        # dict.get: feedparser's own get maps updated to published with a warning.
        published=_struct_time(dict.get(raw, "published_parsed"))
        or _struct_time(dict.get(raw, "updated_parsed")),
        updated=_struct_time(dict.get(raw, "updated_parsed")),
        author=_text(raw.get("author")),
        categories=tuple(t["term"] for t in raw.get("tags", ()) if t.get("term")),
        image=_image(raw),
        enclosures=tuple(_enclosures(raw)),
        language=_language(raw.get("language")),
        base_url=raw.get("link") or feed_link,
    )


def _content(raw: Any) -> str | None:
    contents = raw.get("content") or []
    html = [c for c in contents if "html" in (c.get("type") or "")]
    chosen = (html or contents or [None])[0]
    return chosen.get("value") if chosen else None


def _image(raw: Any) -> str | None:
    for key in ("media_thumbnail", "media_content"):
        for media in raw.get(key) or []:
            medium = media.get("medium") or media.get("type") or "image"
            if media.get("url") and "image" in medium:
                return str(media["url"])
    for link in raw.get("links") or []:
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            return str(link["href"])
    image = raw.get("image")
    return str(image["href"]) if isinstance(image, Mapping) and image.get("href") else None


def _enclosures(raw: Any) -> list[Enclosure]:
    found = []
    for link in raw.get("links") or []:
        if link.get("rel") == "enclosure" and link.get("href"):
            found.append(
                Enclosure(
                    url=link["href"], type=link.get("type") or None, length=_int(link.get("length"))
                )
            )
    return found


def _struct_time(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def parse_json_feed(content: bytes) -> ParsedFeed:
    """A JSON Feed 1.0/1.1 document (https://jsonfeed.org/version/1.1).

    Raises:
        ParseError: not JSON, or not a JSON Feed object.
    """
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a feed: invalid JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise NotAFeedError("not a feed: JSON without a JSON Feed 'items' list")
    version = str(document.get("version", ""))
    feed_link = _text(document.get("home_page_url"))
    entries = tuple(
        _json_item(item, feed_link) for item in document["items"] if isinstance(item, dict)
    )
    return ParsedFeed(
        format="json11" if version.endswith("1.1") else "json10",
        title=_text(document.get("title")),
        link=feed_link,
        language=_language(document.get("language")),
        entries=entries,
    )


def _json_item(item: dict[str, Any], feed_link: str | None) -> Entry:
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
    attachments = [a for a in item.get("attachments") or [] if isinstance(a, dict)]
    return Entry(
        guid=_text(item.get("id")),
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")),
        summary=_text(item.get("summary")),
        content=_text(item.get("content_html")) or _text(item.get("content_text")),
        published=_rfc3339(item.get("date_published")) or _rfc3339(item.get("date_modified")),
        updated=_rfc3339(item.get("date_modified")),
        author=", ".join(str(n) for n in names) or None,
        categories=tuple(str(t) for t in item.get("tags") or [] if isinstance(t, str | int)),
        image=_text(item.get("image")) or _text(item.get("banner_image")),
        enclosures=tuple(
            Enclosure(
                url=str(a["url"]),
                type=_text(a.get("mime_type")),
                length=_int(a.get("size_in_bytes")),
            )
            for a in attachments
            if a.get("url")
        ),
        language=_language(item.get("language")),
        base_url=_text(item.get("url")) or feed_link,
    )


def _rfc3339(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dateparser.isoparse(value.strip())
    except (ValueError, OverflowError):
        try:
            return dateparser.parse(value)
        except (ValueError, OverflowError):
            return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _language(value: object) -> str | None:
    text = _text(value)
    return text.split("-")[0].split("_")[0].lower()[:8] if text else None

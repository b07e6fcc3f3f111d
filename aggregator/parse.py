"""Bytes → ``ParsedFeed``: feedparser for RSS 0.9x/1.0/2.0 and Atom 0.3/1.0, our own reader
for JSON Feed 1.0/1.1. Raw feedparser dicts never leave this module.

The steps, each cheap before the expensive one:

1. guards on the raw bytes: empty, too large, a known binary signature (image, PDF, gzip…);
2. the charset, by trust: BOM (or the zero bytes of BOM-less UTF-16 and UTF-32), then the
   HTTP ``charset``, then the XML declaration, then the content itself (valid UTF-8 wins
   over a legacy label; charset-normalizer only when the declared charset fails or two
   labels disagree); the text is re-encoded to UTF-8 with a fixed XML declaration, and
   characters XML forbids (NUL, C0 controls) are removed;
3. guards on the text: an HTML page, a DOCTYPE declaring entities (billion laughs,
   quadratic blowup, XXE) is refused before any XML parser sees it;
4. feedparser (strict, else its loose parser) on an in-memory stream, never a path or URL.

Memory is bounded: a body over ``max_bytes`` (default 16 MiB) is refused; no entity is
ever expanded (only declarations of a single character reference pass step 3) and no
external resource is ever read, so the working set is linear in the body. Measured peak
(tracemalloc): ~11× the body for many short items (feedparser's dicts dominate), ~5× for
long articles; so ≤ ~180 MiB at the default limit and ~10 MiB for a 1 MB feed. At most
``max_items`` entries (default 1000) are returned.

Raises ``NotAFeedError`` for HTML pages, images, binary data and empty bodies and
``ParseError`` for refused or unreadable documents; keeps what parses of a malformed feed
and records a warning.
"""

from __future__ import annotations

import calendar
import codecs
import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeGuard

import feedparser
from charset_normalizer import from_bytes
from dateutil import parser as dateparser

from aggregator.caps import MAX_BYTES
from aggregator.errors import NotAFeedError, ParseError
from aggregator.fastparse import Unreadable, parse_fast
from aggregator.models import Enclosure, Entry, ParsedFeed

MAX_ITEMS = 1000
"""Entries kept from one document; the rest are dropped with a warning."""

_JSON_TYPES = ("application/feed+json", "application/json")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_BOMLESS_UTF16 = re.compile(rb"\A(?:(<\x00[\x21-\x7e]\x00)|(\x00<\x00[\x21-\x7e]))")
# UTF-32 (UCS-4) without a BOM: the three zero bytes of each ASCII character of the
# document's start (``<?xml``, ``<rss``, ``{"``) say the byte order (XML 1.0 Appendix F.1).
_BOMLESS_UTF32 = re.compile(
    rb"\A(?:((?:[\t\n\r\x20-\x7e]\x00\x00\x00){2})|((?:\x00\x00\x00[\t\n\r\x20-\x7e]){2}))"
)
# Labels of UTF-32 that Python's codecs do not know (feedparser's corpus uses them).
_UCS4_LABELS = {
    "ucs-4": "utf-32",
    "ucs4": "utf-32",
    "iso-10646-ucs-4": "utf-32",
    "ucs-4le": "utf-32-le",
    "ucs-4be": "utf-32-be",
}
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"RIFF", "a RIFF file (WebP image or audio)"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data (the Content-Encoding was not undone)"),
)
_BOMS_ONLY = tuple(bom for bom, _ in _BOMS)
# Spaces, the XML declaration, processing instructions and comments, then an RSS or Atom
# root: no DOCTYPE (nothing to refuse), no HTML.
_ROOT_IS_FEED = re.compile(rb"(?:\s+|<\?.{0,300}?\?>|<!--.*?-->)*<(?:rss|feed)[\s>]", re.DOTALL)
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))
# Codecs Python knows that no feed uses and that would turn text into markup.
_REFUSED_CODECS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "utf-7", "undefined"}
)
_XML_DECL_ENCODING = re.compile(rb"\A\s*<\?xml\s[^>]{0,200}?encoding\s*=\s*[\"']([^\"'>]{1,40})")
_XML_DECL = re.compile(r"\A\s*<\?xml\s[^>]{0,300}?\?>")
_ENCODING_PSEUDO_ATTR = re.compile(r"encoding\s*=\s*([\"'])[^\"'>]*\1")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NON_SPACE = re.compile(r"\S")
_ENTITY_DECL = re.compile(r"<!ENTITY\s+(%\s*)?([^\s\"'>]+)\s+(\"[^\"]*\"|'[^']*'|[A-Z]+)")
_CHAR_REF = re.compile(r"&#(?:[0-9]{1,7}|x[0-9a-fA-F]{1,6});")
_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200, "yearly": 525600}
_YANDEX_NS = ("http://news.yandex.ru", "http://news.yandex.ru/")


def parse_feed(
    content: bytes,
    *,
    content_type: str | None = None,
    url: str | None = None,
    max_items: int = MAX_ITEMS,
    max_bytes: int = MAX_BYTES,
    fast_path: bool = True,
) -> ParsedFeed:
    """Parse a feed document of any supported format.

    Args:
        content: the body as received.
        content_type: the HTTP Content-Type header, used for the charset and the format.
        url: where it came from, the base for relative links.
        max_items: entries kept; more are dropped with a warning.
        max_bytes: larger bodies are refused.

    Raises:
        NotAFeedError: the body is empty, HTML, an image or other binary data.
        ParseError: the body is too large, declares entities (entity expansion, XXE), or
            claims to be a feed but cannot be read at all.
    """
    if len(content) > max_bytes:
        raise ParseError(f"feed too large: {len(content):,} bytes (limit {max_bytes:,})")
    media_type = (content_type or "").split(";")[0].strip().lower()
    _refuse_binary(content, media_type)
    if fast_path and _plain_utf8_feed(content, content_type):
        try:
            fast = parse_fast(content)
        except Unreadable:
            pass  # the full path cleans the text, and the fast path tries again
        else:
            if _trusted(fast, content):
                return _finish(fast, (), max_items)
            fast_path = False  # declined: cleaning gives these same bytes, so feedparser
    text, warnings = decode_document(content, content_type)
    start = text.lstrip()[:1]
    if not start:
        raise NotAFeedError("not a feed: the response body is empty")
    if start in "{[" or (start != "<" and media_type in _JSON_TYPES):
        parsed = replace(_json_feed(text), parser="json")
    else:
        if "<" not in text[:4096]:
            raise ParseError("not a feed: the body is neither XML nor JSON (no markup found)")
        parsed = _parse_xml_feed(text, content_type, url, fast_path)
    return _finish(parsed, tuple(warnings), max_items)


def _plain_utf8_feed(content: bytes, content_type: str | None) -> bool:
    """UTF-8 RSS or Atom with no DOCTYPE, which the fast path may read as received: no
    decoding, cleaning and re-encoding first. lxml refuses what that would have changed
    (invalid UTF-8, characters XML forbids: ``Unreadable``)."""
    if not _ROOT_IS_FEED.match(content) or content.startswith(_BOMS_ONLY):
        return False
    notes: list[str] = []  # an unknown or refused label: the full path records it
    header, declared = _header_charset(content_type, notes), _xml_charset(content, notes)
    return not notes and (header or "utf-8") == "utf-8" and (declared or "utf-8") == "utf-8"


def _finish(parsed: ParsedFeed, warnings: tuple[str, ...], max_items: int) -> ParsedFeed:
    entries = parsed.entries
    if len(entries) > max_items:
        warnings += (f"feed has {len(entries):,} entries; kept the first {max_items:,}",)
        entries = entries[:max_items]
    return ParsedFeed(
        format=parsed.format,
        title=parsed.title,
        link=parsed.link,
        language=parsed.language,
        ttl_minutes=parsed.ttl_minutes,
        update_period_minutes=parsed.update_period_minutes,
        entries=entries,
        warnings=warnings + parsed.warnings,
        parser=parsed.parser,
    )


def _refuse_binary(content: bytes, media_type: str) -> None:
    if media_type.startswith(("image/", "audio/", "video/")) or (
        media_type in ("application/pdf", "application/zip", "application/octet-stream")
        and not content.lstrip().startswith(b"<")
    ):
        raise NotAFeedError(f"not a feed: got {media_type}")
    for magic, what in _MAGIC:
        if content.startswith(magic):
            raise NotAFeedError(f"not a feed: the body is {what}")
    head = content[:4096]
    if len(head.translate(None, _NOT_CONTROL)) > len(head) // 10 and not _utf16_or_32(head):
        raise NotAFeedError("not a feed: the body is binary data (many control bytes)")


def _utf16_or_32(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or bool(
        _BOMLESS_UTF16.match(head) or _BOMLESS_UTF32.match(head)
    )


# -- charset ---------------------------------------------------------------------------


def decode_document(content: bytes, content_type: str | None = None) -> tuple[str, list[str]]:
    """The body as text, by the order of trust BOM → HTTP charset → XML declaration →
    content; characters XML 1.0 forbids are removed. Returns the text and warnings."""
    text, warnings = _decode(content, content_type)
    text, removed = _XML_ILLEGAL.subn("", text)
    if removed:
        warnings.append(f"removed {removed:,} control characters (NUL, C0) that XML forbids")
    return text, warnings


def _decode(content: bytes, content_type: str | None) -> tuple[str, list[str]]:
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return _lenient(content[len(bom) :], encoding)
    if match := _BOMLESS_UTF32.match(content):
        return _lenient(content, "utf-32-le" if match.group(1) else "utf-32-be")
    if match := _BOMLESS_UTF16.match(content):
        return _lenient(content, "utf-16-le" if match.group(1) else "utf-16-be")
    warnings: list[str] = []
    header = _header_charset(content_type, warnings)
    declared = _xml_charset(content, warnings)
    labels = list(dict.fromkeys(c for c in (header, declared) if c)) or ["utf-8"]
    if labels[0] != "utf-8" and not content.isascii() and (utf8 := _strict(content, "utf-8")):
        warnings.append(f"the body is UTF-8 though labelled {labels[0]}")
        return utf8, warnings
    if len(labels) == 2 and "utf-8" not in labels:
        # Two legacy labels disagree: let the content choose between them.
        chosen = _detect(content, labels) or labels[0]
        labels = [chosen, *(label for label in labels if label != chosen)]
    for label in labels:
        text = _strict(content, label)
        if text is not None:
            if label != labels[0]:
                warnings.append(f"the body is not {labels[0]}; decoded as {label} (declared)")
            return text, warnings
        if label == "utf-8" and _mostly_utf8(content):
            text, more = _lenient(content, "utf-8")
            return text, warnings + more
    detected = _detect(content, None)
    if detected:
        warnings.append(f"the body is not {labels[0]}; decoded as {detected} (detected)")
        text, more = _lenient(content, detected)
        return text, warnings + more
    text, more = _lenient(content, "utf-8")
    return text, [*warnings, f"unknown charset (not {labels[0]})", *more]


def _header_charset(content_type: str | None, warnings: list[str]) -> str | None:
    """The ``charset`` parameter of a Content-Type (or a bare label), normalized."""
    if not content_type:
        return None
    if "/" in content_type or "=" in content_type:
        match = re.search(r"charset\s*=\s*[\"']?([^\"';\s]+)", content_type, re.IGNORECASE)
        return _codec(match.group(1), warnings) if match else None
    return _codec(content_type, warnings)


def _xml_charset(content: bytes, warnings: list[str]) -> str | None:
    match = _XML_DECL_ENCODING.match(content[:512])
    return _codec(match.group(1).decode("ascii", "replace"), warnings) if match else None


def _codec(label: str, warnings: list[str]) -> str | None:
    label = _UCS4_LABELS.get(label.strip().lower(), label)
    try:
        info = codecs.lookup(label.strip())
    except LookupError:
        warnings.append(f"unknown charset {label.strip()[:40]!r} ignored")
        return None
    name = info.name
    if name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        warnings.append(f"charset {label.strip()[:40]!r} refused")
        return None
    return "utf-8" if name == "utf-8-sig" else name


def _strict(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _lenient(content: bytes, encoding: str) -> tuple[str, list[str]]:
    text = content.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    if bad:
        return text, [f"{bad:,} bytes invalid in {encoding} were replaced with U+FFFD"]
    return text, []


def _mostly_utf8(content: bytes) -> bool:
    """Valid UTF-8 but for a few stray bytes: keep it, do not re-detect the whole body."""
    text = content.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for char in text if char > "\x7f") - bad
    return good >= 10 * bad


def _detect(content: bytes, candidates: list[str] | None) -> str | None:
    """charset-normalizer's guess, among ``candidates`` when given (the slow path)."""
    best = from_bytes(content, cp_isolation=candidates).best()
    return _codec(best.encoding, []) if best is not None else None


def _utf8_document(text: str) -> bytes:
    """UTF-8 bytes with the XML declaration saying so."""
    if match := _XML_DECL.match(text):
        fixed = _ENCODING_PSEUDO_ATTR.sub('encoding="utf-8"', match.group(0))
        text = fixed + text[match.end() :]
    return text.encode("utf-8", errors="replace")


# -- XML ----------------------------------------------------------------------------------


def _trusted(fast: ParsedFeed | None, document: bytes) -> TypeGuard[ParsedFeed]:
    """The fast path read the document: it did not decline, and an empty answer is not
    a document whose entries were begun but none read (a truncated body)."""
    return fast is not None and bool(
        fast.entries or (b"<item" not in document and b"<entry" not in document)
    )


def _parse_xml_feed(
    text: str, content_type: str | None, url: str | None, fast_path: bool = True
) -> ParsedFeed:
    doctype, root = _prolog(text)
    if doctype is not None:
        _refuse_entities(doctype)
    media_type = (content_type or "").split(";")[0].strip().lower()
    if root.lower().startswith("<html") or (doctype or "")[:14].lower() == "<!doctype html":
        raise NotAFeedError(f"not a feed: got {_html_label(media_type)}")
    document = _utf8_document(text)
    if doctype is None and fast_path:
        try:
            fast = parse_fast(document)
        except Unreadable:
            fast = None  # feedparser's loose parser keeps what it can
        if _trusted(fast, document):
            return fast
    headers = {"content-type": "application/xml; charset=utf-8"}
    if url:
        headers["content-location"] = url
    # A stream, never bytes: feedparser opens bytes that name a file or a URL.
    parsed = feedparser.parse(
        io.BytesIO(document),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=True,
    )
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        raise _not_a_feed(text, media_type, parsed)
    feed = parsed.feed
    warnings = (f"malformed feed: {parsed.get('bozo_exception')}",) if parsed.get("bozo") else ()
    # Atom (RFC 4287 §4.2.1, and 0.3 before it): entries inherit the feed's author.
    feed_author = _text(feed.get("author")) if version.startswith("atom") else None
    full_text_keys = [
        f"{prefix}_full-text"
        for prefix, uri in (parsed.get("namespaces") or {}).items()
        if uri in _YANDEX_NS
    ]
    return ParsedFeed(
        format=version or "unknown",
        title=_text(feed.get("title")),
        link=_text(feed.get("link")),
        language=_language(feed.get("language")),
        ttl_minutes=_minutes(_int(feed.get("ttl"))),
        update_period_minutes=_update_period(feed),
        entries=tuple(
            _entry(entry, feed.get("link") or url, full_text_keys, feed_author)
            for entry in parsed.entries
        ),
        warnings=warnings,
    )


def _prolog(text: str) -> tuple[str | None, str]:
    """The DOCTYPE declaration (to its end) and the start of the root element.

    Only what XML allows before the root is skipped (spaces, the declaration, processing
    instructions, comments): a DOCTYPE after anything else never reaches an XML parser
    as a DOCTYPE, because expat stops at the first error.
    """
    pos, doctype = 0, None
    while True:
        found = _NON_SPACE.search(text, pos)
        pos = found.start() if found else len(text)
        if text.startswith("<?", pos):
            end, skip = text.find("?>", pos), 2
        elif text.startswith("<!--", pos):
            end, skip = text.find("-->", pos + 4), 3
        elif text.startswith("<!DOCTYPE", pos) and doctype is None:
            end, skip = _doctype_end(text, pos), 0
            doctype = text[pos:end]
        else:
            return doctype, text[pos : pos + 16]
        if end < 0:
            return doctype, ""
        pos = end + skip


def _doctype_end(text: str, pos: int) -> int:
    """Index after the DOCTYPE at ``pos``: after ``]>`` when it has an internal subset."""
    quote = ""
    for index in range(pos, min(len(text), pos + 4096)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ">":
            return index + 1
        elif char == "[":
            close = re.compile(r"\]\s*>").search(text, index)
            return close.end() if close else len(text)
    return min(len(text), pos + 4096)


def _refuse_entities(doctype: str) -> None:
    """Only ``<!ENTITY name "&#NNN;">`` may be declared: anything else can expand (billion
    laughs, quadratic blowup) or read a file or URL (XXE)."""
    declared = _ENTITY_DECL.findall(doctype)
    if doctype.count("<!ENTITY") > len(declared):
        raise ParseError("refused: the DOCTYPE has a malformed entity declaration")
    for parameter, name, value in declared:
        if parameter:
            raise ParseError(f"refused: the DOCTYPE declares parameter entity %{name[:40]}")
        if value in ("SYSTEM", "PUBLIC") or value[:1] not in "\"'":
            raise ParseError(
                f"refused: the DOCTYPE declares external entity {name[:40]!r} "
                "(SYSTEM/PUBLIC: would read a file or URL)"
            )
        if not _CHAR_REF.fullmatch(value[1:-1]):
            raise ParseError(
                f"refused: the DOCTYPE declares entity {name[:40]!r} with a text value "
                "(entity expansion attack: billion laughs / quadratic blowup)"
            )


def _html_label(media_type: str) -> str:
    if media_type in ("text/html", "application/xhtml+xml"):
        return media_type
    return f"an HTML page (served as {media_type})" if media_type else "an HTML page"


def _not_a_feed(text: str, media_type: str, parsed: Any) -> ParseError:
    start = text[:512].lower()
    if "<html" in start or "<!doctype html" in start or media_type == "text/html":
        return NotAFeedError(f"not a feed: got {_html_label(media_type)}")
    reason = parsed.get("bozo_exception")
    return ParseError(f"not a feed: no RSS/Atom root element ({reason or 'unknown format'})")


def _entry(
    raw: Any, feed_link: str | None, full_text_keys: list[str], feed_author: str | None
) -> Entry:
    return Entry(
        guid=_text(raw.get("id")),
        link=_text(raw.get("link")),
        title=_text(raw.get("title")),
        summary=_text(raw.get("summary")),
        content=_content(raw) or _full_text(raw, full_text_keys),
        # dict.get: feedparser's own get maps updated to published with a warning.
        published=_struct_time(dict.get(raw, "published_parsed"))
        or _struct_time(dict.get(raw, "updated_parsed")),
        updated=_struct_time(dict.get(raw, "updated_parsed")),
        author=_text(raw.get("author")) or feed_author,
        categories=tuple(
            str(t["term"]).strip() for t in raw.get("tags") or () if _text(t.get("term"))
        ),
        image=_image(raw),
        enclosures=tuple(_enclosures(raw)),
        language=_language(raw.get("language")),
        base_url=_text(raw.get("link")) or feed_link,
    )


def _content(raw: Any) -> str | None:
    contents = [c for c in raw.get("content") or [] if _text(c.get("value"))]
    html = [c for c in contents if "html" in (c.get("type") or "")]
    chosen = (html or contents or [None])[0]
    return str(chosen["value"]) if chosen else None


def _full_text(raw: Any, keys: list[str]) -> str | None:
    """Yandex.News ``<yandex:full-text>``: the article's full text."""
    return next((text for key in keys if (text := _text(dict.get(raw, key)))), None)


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
    """RSS ``<enclosure>``, Atom ``rel="enclosure"`` and non-image ``media:content``."""
    found: dict[str, Enclosure] = {}
    for link in raw.get("links") or []:
        if link.get("rel") == "enclosure" and _text(link.get("href")):
            url = str(link["href"]).strip()
            found[url] = Enclosure(url, _text(link.get("type")), _int(link.get("length")))
    for media in raw.get("media_content") or []:
        medium = media.get("medium") or media.get("type") or "image"
        media_url = _text(media.get("url"))
        if media_url and "image" not in medium and media_url not in found:
            found[media_url] = Enclosure(
                media_url, _text(media.get("type")), _int(media.get("filesize"))
            )
    return list(found.values())


def _update_period(feed: Any) -> int | None:
    """RSS 1.0 syndication module: ``sy:updatePeriod`` (default daily) divided by
    ``sy:updateFrequency`` (default 1), in minutes."""
    period_name = _text(feed.get("sy_updateperiod"))
    frequency = _int(feed.get("sy_updatefrequency"))
    if period_name is None and frequency is None:
        return None
    period = _PERIOD_MINUTES.get((period_name or "daily").lower())
    if period is None:
        return None
    return _minutes(max(1, period // max(1, frequency or 1)))


def _minutes(value: int | None) -> int | None:
    return value if value is not None and 0 < value <= _PERIOD_MINUTES["yearly"] else None


def _struct_time(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


# -- JSON Feed ----------------------------------------------------------------------------


def parse_json_feed(content: bytes) -> ParsedFeed:
    """A JSON Feed 1.0/1.1 document (https://jsonfeed.org/version/1.1).

    Raises:
        ParseError: not JSON, or not a JSON Feed object.
    """
    text, _ = decode_document(content, "utf-8")
    return _json_feed(text)


def _json_feed(text: str) -> ParsedFeed:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not a feed: invalid JSON ({exc})") from exc
    except RecursionError as exc:
        raise ParseError("not a feed: JSON nested too deeply") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise NotAFeedError("not a feed: JSON without a JSON Feed 'items' list")
    version = _str(document.get("version")) or ""
    feed_link = _str(document.get("home_page_url"))
    entries = tuple(
        _json_item(item, feed_link) for item in document["items"] if isinstance(item, dict)
    )
    return ParsedFeed(
        format="json11" if version.rstrip("/").endswith("1.1") else "json10",
        title=_str(document.get("title")),
        link=feed_link,
        language=_language(_str(document.get("language"))),
        entries=entries,
    )


def _json_item(item: dict[str, Any], feed_link: str | None) -> Entry:
    authors = _list(item.get("authors")) or [item.get("author")]
    names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
    attachments = [a for a in _list(item.get("attachments")) if isinstance(a, dict)]
    return Entry(
        guid=_str(item.get("id")),
        link=_str(item.get("url")) or _str(item.get("external_url")),
        title=_str(item.get("title")),
        summary=_str(item.get("summary")),
        content=_str(item.get("content_html")) or _str(item.get("content_text")),
        published=_rfc3339(item.get("date_published")) or _rfc3339(item.get("date_modified")),
        updated=_rfc3339(item.get("date_modified")),
        author=", ".join(n for n in names if n) or None,
        categories=tuple(t for t in map(_str, _list(item.get("tags"))) if t),
        image=_str(item.get("image")) or _str(item.get("banner_image")),
        enclosures=tuple(
            Enclosure(url=url, type=_str(a.get("mime_type")), length=_int(a.get("size_in_bytes")))
            for a in attachments
            if (url := _str(a.get("url")))
        ),
        language=_language(_str(item.get("language"))),
        base_url=_str(item.get("url")) or feed_link,
    )


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    """A JSON string or number as text; objects, lists and booleans are not text."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return _text(value)


def _rfc3339(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()[:64]
    try:
        return dateparser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            return dateparser.parse(value)
        except (ValueError, OverflowError, TypeError):
            return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: object) -> int | None:
    try:
        text = str(value).strip()
        return int(text) if len(text) <= 18 else None
    except (TypeError, ValueError):
        return None


def _language(value: object) -> str | None:
    text = _text(value)
    return text.split("-")[0].split("_")[0].lower()[:8] if text else None

"""``Entry`` → ``Item``: UTC dates, canonical URLs, sanitized HTML, plain text, language,
and the item's identity inside its source. Pure: the caller passes ``now``.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
import nh3
from lxml import etree

from aggregator.models import Enclosure, Entry, Item

FUTURE_SKEW = timedelta(minutes=10)
"""Dates further ahead than this are clamped to the fetch time."""

_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "yclid",
        "ysclid",
        "_openstat",
        "from",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "spm",
        "cmpid",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
_LATIN = re.compile("[a-zA-Z]")


def normalize_entry(
    entry: Entry, *, source_id: str, now: datetime, default_language: str | None = None
) -> Item:
    """Make a stored ``Item`` of a parsed entry.

    Args:
        entry: as parsed.
        source_id: the source it came from; identity is per source.
        now: the fetch time (UTC), used for missing and future dates.
        default_language: the feed's or the source's language, used when the entry has none.
    """
    base = entry.base_url or entry.link
    original_link = absolute_url(entry.link, base)
    link = canonical_url(original_link) if original_link else None
    content_html = sanitize_html(entry.content or entry.summary or "", base)
    text = html_to_text(content_html)
    summary_source = entry.summary if entry.content and entry.summary else content_html
    summary = _lead(html_to_text(sanitize_html(summary_source or "", base)))
    title = clean_text(html_to_text(entry.title or "")) or _lead(text, 90) or "(untitled)"
    return Item(
        source_id=source_id,
        key=identity_key(entry.guid, link, title, text),
        guid=clean_text(entry.guid or "") or None,
        link=link,
        original_link=original_link,
        title=title,
        content_html=content_html,
        text=text,
        summary=summary,
        published=utc_date(entry.published or entry.updated, now),
        updated=utc_date(entry.updated, now) if entry.updated else None,
        author=clean_text(entry.author or "") or None,
        categories=tuple(dict.fromkeys(c for c in map(clean_text, entry.categories) if c)),
        image=absolute_url(entry.image, base),
        enclosures=tuple(_absolute_enclosures(entry.enclosures, base)),
        language=entry.language or default_language or detect_language(f"{title} {text}"),
        content_hash=_hash(title, content_html, link or ""),
    )


def identity_key(guid: str | None, link: str | None, title: str, text: str) -> str:
    """Identity inside a source: the guid, else the canonical link, else a content hash."""
    if guid and guid.strip():
        return f"guid:{guid.strip()}"
    if link:
        return f"link:{link}"
    return f"hash:{_hash(title, text)}"


def utc_date(value: datetime | None, now: datetime) -> datetime:
    """Any date → aware UTC; naive dates are taken as UTC; missing → ``now``;
    dates more than ``FUTURE_SKEW`` ahead → ``now``."""
    if value is None:
        return now
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return now if aware > now + FUTURE_SKEW else aware


def absolute_url(url: str | None, base: str | None) -> str | None:
    """``url`` resolved against ``base``; None for empty or non-http(s) results."""
    if not url or not url.strip():
        return None
    resolved = urljoin(base or "", url.strip())
    return resolved if urlsplit(resolved).scheme in ("http", "https", "file") else None


def canonical_url(url: str) -> str:
    """Lowercased scheme and host, no fragment, no tracking parameters (utm_*, fbclid…)."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    netloc = parts.netloc.lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if parts.scheme.lower() == scheme and netloc.endswith(port):
            netloc = netloc.removesuffix(port)
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def sanitize_html(fragment: str, base: str | None = None) -> str:
    """HTML reduced to a safe allowlist, relative URLs made absolute, lazy images loaded,
    tracking pixels dropped. Never returns markup that can run script."""
    fragment = _XML_ILLEGAL.sub("", fragment)
    if not fragment.strip():
        return ""
    prepared = _prepare(fragment, base) if "<" in fragment else html.escape(fragment)
    return nh3.clean(
        prepared,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_SAFE_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def _prepare(fragment: str, base: str | None) -> str:
    """lxml pass before nh3: URLs absolute, data-src → src, 1×1 images removed."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return fragment
    for element in root.iter("script", "style"):
        element.drop_tree()
    for img in list(root.iter("img")):
        lazy = next((img.get(a) for a in _LAZY_SRC if img.get(a)), None)
        if lazy and (not img.get("src") or img.get("src", "").startswith("data:")):
            img.set("src", lazy)
        if _is_pixel(img):
            img.drop_tree()
    if base:
        root.make_links_absolute(base, resolve_base_href=True, handle_failures="discard")
    return _inner_html(root)


def _inner_html(root: lxml.html.HtmlElement) -> str:
    parts = [html.escape(root.text or "")]
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in root)
    return "".join(parts)


def _is_pixel(img: lxml.html.HtmlElement) -> bool:
    return img.get("width", "").strip() in ("0", "1") and img.get("height", "").strip() in (
        "0",
        "1",
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded, whitespace folded."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    stripped = nh3.clean(
        re.sub(r"<(br|/p|/li|/h\d|/div|/blockquote)\b[^>]*>", r" \g<0>", fragment), tags=set()
    )
    return clean_text(html.unescape(stripped))


def clean_text(text: str) -> str:
    """Invisible characters and XML-illegal controls removed, NBSP and runs of whitespace
    folded to one space; typographic quotes are kept."""
    text = _XML_ILLEGAL.sub("", _INVISIBLE.sub("", text.replace("\u00a0", " ")))
    return _SPACES.sub(" ", text).strip()


def strip_xml_illegal(text: str) -> str:
    """Remove the characters XML 1.0 forbids (C0 controls but tab, LF and CR)."""
    return _XML_ILLEGAL.sub("", text)


def detect_language(text: str) -> str | None:
    """A cheap script-based guess: Kazakh letters → kk, Cyrillic → ru, Latin → en."""
    sample = text[:2000]
    if _KAZAKH_LETTERS.search(sample) and len(_KAZAKH_LETTERS.findall(sample)) >= 2:
        return "kk"
    cyrillic, latin = len(_CYRILLIC.findall(sample)), len(_LATIN.findall(sample))
    if not cyrillic and not latin:
        return None
    return "ru" if cyrillic >= latin else "en"


def _lead(text: str, limit: int = 300) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:—-") + "…"


def _absolute_enclosures(enclosures: Iterable[Enclosure], base: str | None) -> Iterable[Enclosure]:
    for enclosure in enclosures:
        url = absolute_url(enclosure.url, base)
        if url:
            yield Enclosure(url=url, type=enclosure.type, length=enclosure.length)


def _hash(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]

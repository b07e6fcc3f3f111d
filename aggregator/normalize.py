"""``Entry`` → ``Item``: UTC dates, canonical URLs, sanitized HTML, plain text, language,
and the item's identity inside its source. Pure: the caller passes ``now``.

Language detection uses py3langid (a small naive-Bayes model, ~4.5 MB) when it is
installed, and a script-based guess otherwise; Kazakh is told apart from Russian by its
letters (ә ғ қ ң ө ұ ү һ і) before any model is asked, and Latin-script Kazakh (the 2018
and 2021 alphabets) by its letters too, since the model does not know it.
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib
import re
import string
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import lxml.html
import nh3
from lxml import etree

from aggregator.caps import FIELD_CAPS, FieldCaps, clip_text, html_prefix
from aggregator.languages import ALIASES
from aggregator.models import Enclosure, Entry, Item

FUTURE_SKEW = timedelta(minutes=10)
"""Dates further ahead than this are clamped to the fetch time."""

_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "yclid",
        "ysclid",
        "_openstat",
        "from",
        "mc_cid",
        "mc_eid",
        "mc_tc",
        "igshid",
        "igsh",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "spm",
        "cmpid",
        "_ga",
        "_gl",
        "rb_clid",
        "s_cid",
        "xtor",
        "wickedid",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "__twitter_impression",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")

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
    # srcset is only kept after _prepare has checked every candidate URL (nh3 does not).
    "img": {"src", "srcset", "sizes", "alt", "title", "width", "height"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "abbr": {"title"},
}
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_INVISIBLE_OR_CONTROL = re.compile(f"[{_INVISIBLE.pattern[1:-1]}{_CONTROL.pattern[1:-1]}]")
_BLOCK_TAG = re.compile(
    r"<(?:/?(?:p|li|h\d|div|blockquote|tr|td|th|figcaption|figure|ul|ol|table|dt|dd)|br|hr)\b[^>]*>",
    re.IGNORECASE,
)
_PARAGRAPHS = re.compile(r"\n\s*\n")
_DIMENSION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*\Z")
_STYLE_SIZE = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d+(?:\.\d+)?)px", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WIDTH_DESCRIPTOR = re.compile(r"(\d+)w\Z")

# Letters only Kazakh has among the Cyrillic alphabets we meet (і alone is also Ukrainian
# and Belarusian; ғ/қ also Uzbek, which has ў/ҳ that Kazakh lacks).
_KAZAKH_LETTERS = re.compile("[әғқңөұүһӘҒҚҢӨҰҮҺ]")
_KAZAKH_I = re.compile("[іІ]")
_UZBEK_LETTERS = re.compile("[ўҳЎҲ]")
_UKRAINIAN_LETTERS = re.compile("[їєґЇЄҐ]")
_ASCII_LETTERS = string.ascii_letters.encode()
_LATIN_LEADS = (b"\xc3", b"\xc4", b"\xc5", b"\xc6", b"\xc7", b"\xc8")  # U+00C0-023F
_LATIN_C9 = re.compile(b"\xc9[\x80-\x8f]")  # U+0240-024F
_KAZAKH_LATIN = re.compile("[áńóúýäñū]")
_Q_WITHOUT_U = re.compile("q(?!u)")
_CYRILLIC_LANGUAGES = ("ru", "kk", "uk", "be", "bg", "sr", "mk", "ky", "tt", "ba", "mn")
_MIN_MODEL_LETTERS = 40
_MODEL_CHARS = 600
# Russian's alphabet is а-я and ё; every other candidate has letters outside it (і ў ј ѓ ө
# ү ң…) but Bulgarian, which lacks ы, э and ё.
_NOT_RUSSIAN = re.compile("[\u0400\u0402-\u040f\u0450\u0452-\u04ff]")
_ONLY_RUSSIAN = re.compile("[ыэёЫЭЁ]")
_PLAINLY_RUSSIAN_LETTERS = 200
_ENGLISH_WORDS = frozenset(
    ["the", "of", "and", "to", "in", "is", "was", "for", "that", "with", "on", "by", "from"]
)
_WORD = re.compile(r"[A-Za-z]+")


def normalize_entry(
    entry: Entry,
    *,
    source_id: str,
    now: datetime,
    default_language: str | None = None,
    feed_language: str | None = None,
    caps: FieldCaps = FIELD_CAPS,
) -> Item:
    """Make a stored ``Item`` of a parsed entry (see ``normalize_capped``)."""
    item, _cut = normalize_capped(
        entry,
        source_id=source_id,
        now=now,
        default_language=default_language,
        feed_language=feed_language,
        caps=caps,
    )
    return item


def normalize_capped(
    entry: Entry,
    *,
    source_id: str,
    now: datetime,
    default_language: str | None = None,
    feed_language: str | None = None,
    caps: FieldCaps = FIELD_CAPS,
) -> tuple[Item, tuple[str, ...]]:
    """Make a stored ``Item`` of a parsed entry, and name the fields cut to ``caps``.

    Args:
        entry: as parsed.
        source_id: the source it came from; identity is per source.
        now: the fetch time (UTC), used for missing and future dates.
        default_language: the source's configured language (or the feed's, when the caller
            has merged them), used when neither the entry nor ``feed_language`` has one.
        feed_language: the feed's declared language.
        caps: the largest title, summary and content kept.

    Returns:
        The item, and the names of its fields that were longer than their caps
        (``title``, ``summary``, ``content``).
    """
    cut: list[str] = []
    base = entry.base_url or entry.link
    original_link = absolute_url(entry.link, base)
    link = canonical_url(original_link) if original_link else None
    body = without_footer(entry.content or entry.summary or "")
    content_html = _capped_html(body, base, caps, cut)
    text = html_to_text(content_html)
    if entry.content and entry.summary:
        summary_html = _raw(without_footer(entry.summary), caps.summary, "summary", cut)
        summary = _lead(html_to_text(sanitize_html(summary_html, base)))
    else:  # the summary is the content's lead: sanitized and read once
        summary = _lead(text)
    title = _capped_title(entry.title or "", caps, cut) or _lead(text, 90) or "(untitled)"
    language = item_language(f"{title} {text}", entry.language, feed_language, default_language)
    item = Item(
        source_id=source_id,
        key=identity_key(entry.guid and clean_text(entry.guid), link, title, text),
        guid=clean_text(entry.guid or "") or None,
        link=link,
        original_link=original_link,
        title=title,
        content_html=content_html,
        text=text,
        summary=summary,
        published=utc_date(entry.published or entry.updated, now),
        time_known=entry.time_known or entry.published is None,
        updated=utc_date(entry.updated, now) if entry.updated else None,
        author=clean_text(entry.author or "") or None,
        categories=tuple(dict.fromkeys(c for c in map(clean_text, entry.categories) if c)),
        image=absolute_url(entry.image, base),
        enclosures=tuple(_absolute_enclosures(entry.enclosures, base)),
        language=language,
        content_hash=_hash(title, content_html, link or ""),
    )
    return item, tuple(dict.fromkeys(cut))


def _raw(markup: str, limit: int, field: str, cut: list[str]) -> str:
    """A raw field cut to ``limit`` (outside tags), noting ``field`` in ``cut`` if it was."""
    if len(markup) <= limit:
        return markup
    cut.append(field)
    return html_prefix(markup, limit)


def _capped_title(raw: str, caps: FieldCaps, cut: list[str]) -> str:
    title = clean_text(html_to_text(_raw(raw, caps.title * caps.raw_factor, "title", cut)))
    if len(title) > caps.title:
        cut.append("title")
        title = clip_text(title, caps.title)
    return title


def _capped_html(markup: str, base: str | None, caps: FieldCaps, cut: list[str]) -> str:
    """Sanitized HTML of at most about ``caps.content`` characters. Huge raw markup is
    cut first (sanitizing it costs more than the rest of the feed); the sanitized markup
    is then cut between tags and sanitized again, which closes the elements the cut left
    open (a margin leaves room for their end tags)."""
    limit = caps.content
    sanitized = sanitize_html(_raw(markup, limit * caps.raw_factor, "content", cut), base)
    if len(sanitized) > limit:
        cut.append("content")
        margin = min(4096, limit // 10)
        sanitized = sanitize_html(html_prefix(sanitized, limit - margin))
    return sanitized


def identity_key(guid: str | None, link: str | None, title: str, text: str) -> str:
    """Identity inside a source: the guid, else the canonical link, else a content hash."""
    if guid and guid.strip():
        return f"guid:{guid.strip()}"
    if link:
        return f"link:{link}"
    return f"hash:{_hash(title, text)}"


# -- feed footers ----------------------------------------------------------------------------

# WordPress (with Yoast SEO, its default RSS footer) ends every description and content with
# "The post <a>Title</a> appeared first on <a>Site</a>." — the Russian translation reads
# "Сообщение … появились сначала на …", other themes "Запись … впервые появилась на …".
# It repeats the title and the site's name: noise in a summary and in the story decision.
_FOOTER_START = r"(?:The post|Сообщение|Запись)"
_FOOTER_MIDDLE = r"(?:appeared first on|появил(?:ись|ось|ась) сначала на|впервые появилась на)"
# The title between: no other footer start and no paragraph end (so the match begins at
# the footer, not at an earlier "The post office…"); the site after: no sentence end.
_FOOTER_TITLE = rf"(?:(?!{_FOOTER_START}\s|</p>).){{1,1000}}?"
_FOOTER_PARAGRAPH = re.compile(
    rf"<p>\s*{_FOOTER_START}\s{_FOOTER_TITLE}\s{_FOOTER_MIDDLE}\s"
    r"(?:(?!</p>|\.\s).){1,500}?</p>\s*$",
    re.IGNORECASE | re.DOTALL,
)
_FOOTER_TAIL = re.compile(
    rf"\s*{_FOOTER_START}\s{_FOOTER_TITLE}\s{_FOOTER_MIDDLE}\s(?:(?!\.\s).){{1,500}}?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def without_footer(fragment: str) -> str:
    """The fragment (HTML or text) without WordPress's closing "The post … appeared first
    on …" line: its own paragraph, or the end of the last one."""
    if (
        "appeared first" not in fragment
        and "сначала на" not in fragment
        and ("впервые появилась" not in fragment)
    ):
        return fragment
    without = _FOOTER_PARAGRAPH.sub("", fragment)
    return without if without != fragment else _FOOTER_TAIL.sub("", fragment)


# -- dates ----------------------------------------------------------------------------------


def utc_date(value: datetime | None, now: datetime) -> datetime:
    """Any date → aware UTC; naive dates are taken as UTC; missing → ``now``;
    dates more than ``FUTURE_SKEW`` ahead → ``now``."""
    if value is None:
        return now
    try:
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        # Year 1 or 9999 with an offset: outside what UTC can hold, so not a real date.
        return now
    return now if aware > now + FUTURE_SKEW else aware


# -- URLs -------------------------------------------------------------------------------------


def absolute_url(url: str | None, base: str | None) -> str | None:
    """``url`` resolved against ``base``; None for empty, unparsable or non-http(s) results
    (``file:`` only under a ``file:`` base, for local sources)."""
    if not url or not url.strip():
        return None
    url = re.sub(r"[\t\r\n]", "", clean_text(url))
    try:
        resolved = urljoin(base or "", url)
        scheme = urlsplit(resolved).scheme.lower()
    except ValueError:
        return None
    if scheme in ("http", "https"):
        return resolved
    if scheme == "file" and (base or "").lower().startswith("file:"):
        return resolved
    return None


def canonical_url(url: str) -> str:
    """Lowercased scheme and host, default port dropped, no fragment, no tracking
    parameters (utm_*, fbclid, gclid, yclid, _openstat, from…); the other parameters keep
    their order and their exact encoding."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    userinfo, _, host = parts.netloc.rpartition("@")
    host = host.lower()
    if (scheme, port) in (("http", 80), ("https", 443)):
        host = host.rsplit(":", 1)[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    query = "&".join(
        segment for segment in parts.query.split("&") if segment and not _is_tracking(segment)
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _is_tracking(segment: str) -> bool:
    name = unquote_plus(segment.split("=", 1)[0]).lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


# -- HTML ---------------------------------------------------------------------------------------


def sanitize_html(fragment: str, base: str | None = None) -> str:
    """HTML reduced to a safe allowlist, relative URLs made absolute, lazy images loaded,
    tracking pixels dropped; plain text becomes paragraphs. Never returns markup that can
    run script."""
    fragment = _CONTROL.sub("", fragment)
    if not fragment.strip():
        return ""
    with_srcset = True
    if "<" in fragment:
        prepared = _prepare(fragment, base)
        if prepared is None:  # lxml could not read it: nh3 alone, without srcset
            prepared = fragment
            with_srcset = False
    else:
        prepared = _text_to_html(fragment)
    return _cleaner(with_srcset).clean(prepared).strip()


@functools.cache
def _cleaner(with_srcset: bool) -> nh3.Cleaner:
    """The allowlist as a reusable nh3 cleaner (building one per call cost more than
    cleaning a typical item). ``srcset`` only where ``_prepare`` checked it."""
    attributes = {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}
    if not with_srcset:
        attributes["img"].discard("srcset")
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes=attributes,
        url_schemes=set(_SAFE_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _text_to_html(text: str) -> str:
    """Plain text (or entity-escaped text) → paragraphs."""
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(text) if p.strip()]
    if len(paragraphs) <= 1:
        return html.escape(text, quote=False)
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def _prepare(fragment: str, base: str | None) -> str | None:
    """lxml pass before nh3: URLs absolute, data-src → src, srcset checked, 1×1 images
    removed, ``<base>`` ignored. None when lxml cannot read the fragment."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    for element in list(root.iter("script", "style", "base")):
        element.drop_tree()
    lazy_sources = set()
    for img in list(root.iter("img")):
        lazy_sources |= _load_lazy(img)
        _check_srcset(img, base)
        if urlsplit(img.get("src") or "").scheme.lower() not in ("", "http", "https"):
            del img.attrib["src"]  # javascript:, data: (nh3 would leave an empty <img>)
        if _is_pixel(img) or not (img.get("src") or img.get("srcset")):
            img.drop_tree()
    for noscript in list(root.iter("noscript")):
        # Lazy-load markup repeats the image in <noscript>: keep one copy.
        if lazy_sources and all(i.get("src") in lazy_sources for i in noscript.iter("img")):
            noscript.drop_tree()
        else:
            noscript.drop_tag()
    if base:
        try:
            _make_links_absolute(root, base)
        except ValueError:  # a joined URL lxml cannot hold
            return None
    _sort_attributes(root)
    return _inner_html(root)


_LINK_ATTRIBUTES = ("href", "src", "cite")
"""The URL attributes the allowlist keeps (srcset apart: ``_check_srcset``)."""


def _make_links_absolute(root: lxml.html.HtmlElement, base: str) -> None:
    """lxml's ``make_links_absolute(base, handle_failures="discard")`` for the attributes
    sanitizing keeps: each value stripped and joined to ``base``, dropped when it cannot
    be. lxml's own also rewrites CSS, ``<meta>`` and ``<object>`` links that sanitizing
    drops anyway, and cost a third of normalizing an item."""
    for element in root.iter():
        attributes = element.attrib
        for name in _LINK_ATTRIBUTES:
            value = attributes.get(name)
            if value is None:
                continue
            try:
                joined = urljoin(base, value.strip())
            except ValueError:
                del attributes[name]
                continue
            if joined != value:
                attributes[name] = joined


def _sort_attributes(root: lxml.html.HtmlElement) -> None:
    """One attribute order whatever the parser did (feedparser re-serializes HTML with
    sorted attributes, the fast path keeps the feed's): the sanitized HTML and so the
    content hash do not depend on which parser read the feed."""
    for element in root.iter():
        if len(element.attrib) > 1:
            ordered = sorted(element.attrib.items())
            element.attrib.clear()
            element.attrib.update(ordered)


def _load_lazy(img: lxml.html.HtmlElement) -> set[str]:
    lazy = next((value for a in _LAZY_SRC if (value := (img.get(a) or "").strip())), None)
    if lazy:
        img.set("src", lazy)
    lazy_srcset = next((img.get(a) for a in _LAZY_SRCSET if (img.get(a) or "").strip()), None)
    if lazy_srcset:
        img.set("srcset", lazy_srcset)
    return {lazy} if lazy else set()


def _check_srcset(img: lxml.html.HtmlElement, base: str | None) -> None:
    """Keep the srcset candidates with http(s) URLs that are not 1-pixel wide."""
    raw = img.get("srcset")
    if raw is None:
        return
    kept = []
    for url, descriptor in _srcset_candidates(raw):
        absolute = absolute_url(url, base)
        width = _WIDTH_DESCRIPTOR.match(descriptor)
        if absolute is None or not absolute.startswith(("http://", "https://")):
            continue
        if width and int(width.group(1)) <= 1:
            continue
        kept.append(f"{absolute} {descriptor}".strip())
    if kept:
        img.set("srcset", ", ".join(kept))
        if not img.get("src"):
            img.set("src", kept[0].split()[0])
    else:
        del img.attrib["srcset"]


def _srcset_candidates(value: str) -> list[tuple[str, str]]:
    """The HTML "parse a srcset attribute" algorithm, reduced: (URL, descriptor) pairs."""
    candidates, pos, size = [], 0, len(value)
    while pos < size:
        while pos < size and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < size and not value[pos].isspace():
            pos += 1
        url, descriptor = value[start:pos], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma = value.find(",", pos)
            end = size if comma < 0 else comma
            descriptor, pos = value[pos:end].strip(), end + 1
        if url:
            candidates.append((url, descriptor))
    return candidates


def _inner_html(root: lxml.html.HtmlElement) -> str:
    parts = [html.escape(root.text or "")]
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in root)
    return "".join(parts)


def _is_pixel(img: lxml.html.HtmlElement) -> bool:
    """A tracking pixel: at most 1×1 (attributes or inline style), 0 in either dimension,
    or hidden by its style."""
    style = img.get("style") or ""
    if _HIDDEN_STYLE.search(style):
        return True
    sizes = {name.lower(): float(number) for name, number in _STYLE_SIZE.findall(style)}
    width = sizes.get("width", _dimension(img.get("width")))
    height = sizes.get("height", _dimension(img.get("height")))
    if width == 0 or height == 0:
        return True
    return width is not None and height is not None and width <= 1 and height <= 1


def _dimension(value: str | None) -> float | None:
    match = _DIMENSION.match(value or "")
    return float(match.group(1)) if match else None


# -- text ----------------------------------------------------------------------------------------


_NO_TAGS = nh3.Cleaner(tags=set())
"""Every tag removed, text kept (built once: building cost more than cleaning)."""


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded, whitespace folded."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    stripped = _NO_TAGS.clean(_BLOCK_TAG.sub(r" \g<0>", _CONTROL.sub("", fragment)))
    return clean_text(html.unescape(stripped))


def clean_text(text: str) -> str:
    """Invisible characters (soft hyphen, zero-width, bidi controls) and control characters
    removed, NBSP and runs of whitespace folded to one space; typographic quotes are kept."""
    # One pass for both classes (removing a character cannot join two others into one),
    # and str.split() for \s+ (both are str.isspace()): half the cost of three subs.
    return " ".join(_INVISIBLE_OR_CONTROL.sub("", text).split())


def strip_xml_illegal(text: str) -> str:
    """Remove the characters XML 1.0 forbids (C0 controls but tab, LF and CR, surrogates)."""
    return _XML_ILLEGAL.sub("", text)


# -- language ----------------------------------------------------------------------------------


def language_code(value: str | None) -> str | None:
    """A BCP 47 tag or a common mistake for one → its primary language: ``ru-RU`` → ``ru``,
    ``kz``/``kaz``/``kk-Latn`` → ``kk``."""
    if not value or not value.strip():
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()[:8]
    if not primary.isalpha():
        return None
    return ALIASES.get(primary, primary)


def item_language(text: str, *declared: str | None) -> str | None:
    """The item's language, decided by its own text; what the item, the feed and the
    source declare (in that order) are priors, used where the text leaves it open.

    The text overrides them on strong evidence only: Kazakh letters (a Kazakh item in a
    feed declared Russian), another script (an English item in a Russian feed), or a
    long Cyrillic text without a single Kazakh letter (a Russian item of a source
    configured as Kazakh)."""
    prior = next((code for code in map(language_code, declared) if code), None)
    detected = detect_language(text)
    if prior is None or detected is None:
        return detected or prior
    return detected if _evident(text, detected, prior) else prior


def _evident(text: str, detected: str, prior: str) -> bool:
    sample = text[:2000]
    if detected == "kk":
        return True  # only Kazakh letters make detect_language say so
    if _script(detected) != _script(prior):
        return True
    kazakh = _KAZAKH_LETTERS.findall(sample)
    return detected == "ru" and not kazakh and _count_cyrillic(sample) >= 80


def _script(language: str) -> str:
    return "cyrl" if language in _CYRILLIC_LANGUAGES or language == "kk" else "latn"


def detect_language(text: str) -> str | None:
    """Guess the language of ``text``: Kazakh (Cyrillic or Latin) by its letters, then the
    py3langid model when installed and the text is long enough, else by script
    (Cyrillic → ru, Latin → en)."""
    sample = text[:2000]
    data = sample.encode("utf-8", "surrogatepass")
    cyrillic, latin = _count_cyrillic(data), _count_latin(data)
    if not cyrillic and not latin:
        return None
    if cyrillic >= latin:
        return _cyrillic_language(sample, cyrillic)
    if _is_latin_kazakh(sample):
        return "kk"
    if _plainly_english(sample):
        return "en"
    guess = _model_guess(sample[:_MODEL_CHARS], None) if latin >= _MIN_MODEL_LETTERS else None
    return guess or "en"


def _cyrillic_language(sample: str, letters: int) -> str:
    kazakh = len(_KAZAKH_LETTERS.findall(sample))
    if _kazakh_letters_suffice(sample, kazakh, letters) and not _UZBEK_LETTERS.search(sample):
        return "kk"
    if _UKRAINIAN_LETTERS.search(sample):
        return "uk"
    if _plainly_russian(sample):
        return "ru"
    guess = (
        _model_guess(sample[:_MODEL_CHARS], _CYRILLIC_LANGUAGES)
        if letters >= _MIN_MODEL_LETTERS
        else None
    )
    return guess or "ru"


def _kazakh_letters_suffice(sample: str, kazakh: int, letters: int) -> bool:
    """Kazakh letters (ә ғ қ ң ө ұ ү һ) enough for Kazakh text: two, or one with і, and at
    least one in 40 Cyrillic letters. Kazakh prose has 3.5% or more of them, Russian news
    that quotes a Kazakh name ("Балқаш") or title 1.6% or less (on every evaluation and
    training text; dedup's cheap guess draws the same line)."""
    if kazakh < 2 and not (kazakh and _KAZAKH_I.search(sample)):
        return False
    return kazakh * 40 >= letters


def _plainly_russian(sample: str) -> bool:
    """Long Cyrillic text in Russian's alphabet alone, with letters Bulgarian lacks: the
    model is not asked (it cost most of normalizing an item) since it says Russian then.
    On the corpus and test texts with at least 200 such letters where the model reads,
    no other language got more than 0.01 of its weight (0.8 would decide); Bulgarian,
    the one alphabet inside Russian's, does not write ы, э or ё."""
    window = sample[:_MODEL_CHARS]
    return (
        _count_cyrillic(window) >= _PLAINLY_RUSSIAN_LETTERS
        and len(_ONLY_RUSSIAN.findall(window)) >= 2
        and not _NOT_RUSSIAN.search(sample)
    )


def _plainly_english(sample: str) -> bool:
    """Long Latin text without a letter beyond ASCII's, English's function words a sixth
    of its words and "the" among them: the model is not asked, since it says English
    then (as :func:`_plainly_russian`)."""
    window = sample[:_MODEL_CHARS]
    data = window.encode("utf-8", "surrogatepass")
    if _count_latin(data) - _count_ascii_letters(data) or _count_ascii_letters(data) < 200:
        return False
    words = [w.lower() for w in _WORD.findall(window)]
    common = sum(1 for w in words if w in _ENGLISH_WORDS)
    return "the" in words and common * 6 >= len(words)


def _count_ascii_letters(data: bytes) -> int:
    return len(data) - len(data.translate(None, _ASCII_LETTERS))


def _count_cyrillic(text: str | bytes) -> int:
    """Letters of the Cyrillic block (U+0400-04FF) in ``text`` (or its UTF-8): exactly
    the characters led by bytes D0-D3, and counting bytes is 5x faster than a regex's
    findall."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return sum(map(data.count, (b"\xd0", b"\xd1", b"\xd2", b"\xd3")))


def _count_latin(data: bytes) -> int:
    """Latin letters (a-z, A-Z, U+00C0-024F) in UTF-8 ``data``, counted by bytes."""
    ascii_letters = _count_ascii_letters(data)
    extended = sum(map(data.count, _LATIN_LEADS)) + len(_LATIN_C9.findall(data))
    return ascii_letters + extended


def _is_latin_kazakh(sample: str) -> bool:
    """Kazakh in the 2018 Latin alphabet (á ǵ ń ó ú ý, ı) or the 2021 one (ä ñ ū, ı):
    ǵ alone, or those letters with ı or with q not followed by u (Qazaqstan)."""
    lower = sample.lower()
    if "ǵ" in lower:
        return True
    if not _KAZAKH_LATIN.search(lower):
        return False
    return "ı" in lower or len(_Q_WITHOUT_U.findall(lower)) >= 2


def _model_guess(sample: str, candidates: tuple[str, ...] | None) -> str | None:
    """The model's answer when it is confident (≥ 0.8 among the candidates)."""
    identifier = _identifier()
    if identifier is None:
        return None
    ranked = identifier.rank(sample)
    if candidates:
        ranked = [(lang, p) for lang, p in ranked if lang in candidates]
    total = sum(p for _, p in ranked) or 1.0
    if not ranked or ranked[0][1] / total < 0.8:
        return None
    return str(ranked[0][0])


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier with probabilities, loaded once; None when not installed."""
    try:
        langid = importlib.import_module("py3langid.langid")
    except ImportError:
        return None
    loader = getattr(langid.LanguageIdentifier, "from_model_file", None) or getattr(
        langid.LanguageIdentifier, "from_pickled_model", None
    )
    return loader(langid.MODEL_FILE, norm_probs=True) if loader else None


# -- helpers ---------------------------------------------------------------------------------------


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

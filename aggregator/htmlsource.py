"""Sources without a feed: an HTML listing page read with CSS selectors.

Pure: bytes and values in, a ``ParsedFeed`` out; no network, no clock (``now`` is passed
in). Three parts:

* :func:`parse_html_page` — the items of a listing page (``selectors.item``) become
  ``Entry`` values with absolute links and images and UTC dates;
* :func:`parse_local_date` — dates as Kazakhstan news sites write them, in Russian,
  Kazakh or digits ("25 ноября 2026, 14:30", "2026 жылғы 25 қараша", "Вчера, 18:00");
* :func:`extract_main_text` — the article text of a full page (trafilatura).

Raises ``ParseError`` (an invalid selector, an unreadable page, an unknown timezone) and
``NotAFeedError`` (the item selector matches nothing).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.html
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from aggregator.errors import NotAFeedError, ParseError
from aggregator.models import Entry, ParsedFeed

MAX_ITEMS = 500
"""At most this many entries are read from one page."""

# Attributes that lazy-loading scripts read the real image address from, before ``src``
# (which then often holds a placeholder).
_IMAGE_ATTRS = ("data-src", "data-lazy-src", "data-original", "src")


@dataclass(frozen=True)
class Selectors:
    """CSS selectors for one HTML source; all but ``item`` are relative to an item.

    ``link`` takes the element's ``href``, ``image`` its ``data-src``/``src``, ``content``
    its HTML, the others its text.
    """

    item: str
    title: str
    link: str | None = None
    date: str | None = None
    summary: str | None = None
    image: str | None = None
    content: str | None = None


# -- the page --------------------------------------------------------------------------


def parse_html_page(
    content: bytes,
    *,
    url: str,
    selectors: Selectors,
    timezone: str = "Asia/Almaty",
    now: datetime,
    content_type: str | None = None,
) -> ParsedFeed:
    """The items of an HTML listing page as a ``ParsedFeed(format="html")``.

    Each entry has its link made absolute (against ``<base href>``, else ``url``), the
    link as guid, folded title and summary text, an absolute image and ``published`` as
    an aware UTC datetime (or None). Items with neither title nor link are skipped; at most
    :data:`MAX_ITEMS` are read.

    Args:
        content: the page as received.
        url: the page's URL, the base for relative links.
        selectors: where the items and their parts are.
        timezone: the IANA zone the site writes its dates in.
        now: the current time, for "today"/"yesterday" dates.
        content_type: the HTTP Content-Type header, for the charset.

    Raises:
        ParseError: a selector is invalid, the timezone unknown or the page unreadable.
        NotAFeedError: the item selector matches nothing on the page, or no item it
            matches has a title or a link.
    """
    compiled = _compile_all(selectors)
    zone_of(timezone)  # fail on a bad timezone even when no item has a date
    root = _document(content, content_type)
    base = _base_url(root, url)
    items = _elements(compiled["item"](root))
    if not items:
        raise NotAFeedError(
            f"no items matched selector {selectors.item!r} on {url}: "
            "check selectors.item for this source in feeds.yaml",
            url=url,
        )
    entries: list[Entry] = []
    for item in items:
        entry = _entry(item, compiled, base=base, timezone=timezone, now=now)
        if entry is not None:
            entries.append(entry)
        if len(entries) == MAX_ITEMS:
            break
    if not entries:
        raise NotAFeedError(
            f"selector {selectors.item!r} matched {len(items)} item(s) on {url} but none had "
            "a title or a link: check selectors.title and selectors.link in feeds.yaml",
            url=url,
        )
    return ParsedFeed(
        format="html",
        title=_first_text(root, ".//title"),
        link=url,
        language=_language(root.get("lang")),
        entries=tuple(entries),
        warnings=_warnings(len(items), len(entries)),
    )


def _compile_all(selectors: Selectors) -> dict[str, CSSSelector]:
    """Every selector given, compiled; the first invalid one raises ``ParseError``."""
    compiled: dict[str, CSSSelector] = {}
    for name in ("item", "title", "link", "date", "summary", "image", "content"):
        expression = getattr(selectors, name)
        if expression is not None:
            compiled[name] = _compile(name, expression)
    return compiled


def _compile(name: str, expression: str) -> CSSSelector:
    try:
        return CSSSelector(expression)
    except (SelectorError, ValueError) as exc:
        raise ParseError(
            f"selectors.{name}: {expression!r} is not a valid CSS selector ({exc})"
        ) from exc


def _document(content: bytes, content_type: str | None) -> lxml.html.HtmlElement:
    """Decode by the Content-Type charset, else ``<meta charset>``, else UTF-8, and parse.

    The text is decoded here (bad bytes replaced) and handed to lxml as clean UTF-8, so
    libxml2 never guesses an encoding of its own.
    """
    encoding = _charset(content_type) or _meta_charset(content) or "utf-8"
    text = content.decode(encoding, errors="replace").replace("\x00", "\ufffd")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"not an HTML page: {exc}") from exc


_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET_PARAM.search(content_type or "")
    return _known_encoding(match.group(1), in_meta=False) if match else None


def _meta_charset(content: bytes) -> str | None:
    """The ``<meta charset>`` or ``http-equiv`` charset in the first 4 KiB (HTML §13.2.3.2)."""
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    match = _META_CHARSET.search(content[:4096])
    return (
        _known_encoding(match.group(1).decode("ascii", "replace"), in_meta=True) if match else None
    )


def _known_encoding(name: str, *, in_meta: bool) -> str | None:
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return None
    # A page whose ASCII <meta> we could read is not UTF-16 (HTML §13.2.3.2 prescan).
    return "utf-8" if in_meta and codec.name.startswith("utf-16") else codec.name


def _base_url(root: lxml.html.HtmlElement, url: str) -> str:
    """The ``<base href>`` resolved against the page URL, else the page URL."""
    for base in root.iter("base"):
        resolved = _absolute(url, base.get("href") or "")
        if resolved:
            return resolved
    return url


def _warnings(matched: int, kept: int) -> tuple[str, ...]:
    if matched > kept and kept == MAX_ITEMS:
        return (f"page has {matched} items; read only the first {MAX_ITEMS}",)
    return ()


# -- one item --------------------------------------------------------------------------


def _entry(
    item: etree._Element,
    compiled: dict[str, CSSSelector],
    *,
    base: str,
    timezone: str,
    now: datetime,
) -> Entry | None:
    """One item as an ``Entry``, or None when it has neither title nor link."""
    title = _text(_select(item, compiled, "title"))
    href = _link(item, compiled)
    link = _absolute(base, href) if href else None
    if not title and not link:
        return None
    published = _date(_select(item, compiled, "date"), timezone=timezone, now=now)
    return Entry(
        guid=link,
        link=link,
        title=title,
        summary=_text(_select(item, compiled, "summary")),
        content=_html(_select(item, compiled, "content")),
        published=published.moment if published else None,
        image=_image(_select(item, compiled, "image"), base),
        base_url=base,
        time_known=published.time_known if published else True,
    )


def _select(
    item: etree._Element, compiled: dict[str, CSSSelector], name: str
) -> etree._Element | None:
    """The first element the named selector finds in the item (None if not configured)."""
    selector = compiled.get(name)
    if selector is None:
        return None
    found = _elements(selector(item))
    return found[0] if found else None


def _link(item: etree._Element, compiled: dict[str, CSSSelector]) -> str | None:
    """The ``href`` of the link element (or of the first link inside it).

    Without a link selector, the item itself when it is a link, else its first link.
    """
    element = _select(item, compiled, "link") if "link" in compiled else item
    if element is None:
        return None
    href = element.get("href")
    if href is None:
        inner = next((e for e in element.iterdescendants() if e.get("href")), None)
        href = None if inner is None else inner.get("href")
    return (href or "").strip() or None


def _image(element: etree._Element | None, base: str) -> str | None:
    """The real address of the image: a lazy-loading attribute before ``src``."""
    if element is None:
        return None
    if element.tag != "img":
        element = next(element.iterdescendants("img"), None)
        if element is None:
            return None
    for attribute in _IMAGE_ATTRS:
        value = (element.get(attribute) or "").strip()
        if value and not value.startswith("data:"):
            return _absolute(base, value)
    return None


def _date(element: etree._Element | None, *, timezone: str, now: datetime) -> LocalDate | None:
    """The item's date: a ``<time datetime>`` attribute first, else the element's text."""
    if element is None:
        return None
    for candidate in (element.get("datetime"), _text(element)):
        if candidate:
            parsed = read_local_date(candidate, timezone=timezone, now=now)
            if parsed is not None:
                return parsed
    return None


def _absolute(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None unless the result is an http(s) URL."""
    try:
        resolved = urljoin(base, href.strip())
        scheme = urlsplit(resolved).scheme
    except ValueError:  # e.g. an invalid IPv6 host "http://[x"
        return None
    return resolved if scheme in ("http", "https") else None


def _text(element: etree._Element | None) -> str | None:
    """The element's text with whitespace folded, or None when empty."""
    if element is None:
        return None
    text = " ".join(str(element.xpath("string()")).split())
    return text or None


def _html(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    markup = etree.tostring(element, method="html", encoding="unicode", with_tail=False)
    return markup.strip() or None


def _elements(result: object) -> list[etree._Element]:
    """The elements of an XPath/CSS result (which lxml types as any XPath value)."""
    if not isinstance(result, list):
        return []
    return [node for node in result if isinstance(node, etree._Element)]


def _first_text(root: lxml.html.HtmlElement, path: str) -> str | None:
    return _text(root.find(path))


def _language(value: str | None) -> str | None:
    text = (value or "").strip()
    return text.split("-")[0].split("_")[0].lower()[:8] or None


# -- dates -----------------------------------------------------------------------------


def zone_of(name: str) -> ZoneInfo:
    """The IANA timezone ``name``.

    Raises:
        ParseError: no such timezone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ParseError(
            f"unknown timezone {name!r}: use an IANA name such as 'Asia/Almaty'"
        ) from exc


@dataclass(frozen=True)
class LocalDate:
    """A date read from a page: the moment in UTC, and whether the page gave its time of
    day (a day alone is taken at midnight, which the output must not show as "00:00")."""

    moment: datetime
    time_known: bool


def parse_local_date(text: str, *, timezone: str, now: datetime) -> datetime | None:
    """A date as a Russian, Kazakh or numeric news page writes it, as an aware UTC datetime.

    Understood: "25 ноября 2026, 14:30", "25 ноября 2026 г.", "25 қараша 2026",
    "2026 жылғы 25 қараша, 14:30", "25.11.2026 14:30", "Сегодня, 14:30", "сегодня в 9:05",
    "Вчера, 18:00", "вчера", "Бүгін, 14:30", "Кеше, 10:15", "14:30" (today), "25 ноября"
    (this year, or last year when that would be more than 2 days ahead of ``now``) and
    ISO 8601. Month names in any case form and abbreviated ("янв."), either language,
    any letter case. A date without a time is taken at midnight; one without an offset is
    in ``timezone``. A naive ``now`` is taken as UTC.

    Returns:
        The moment in UTC, or None when the text is not a date we can read.

    Raises:
        ParseError: ``timezone`` is not a known IANA name.
    """
    parsed = read_local_date(text, timezone=timezone, now=now)
    return parsed.moment if parsed else None


def read_local_date(text: str, *, timezone: str, now: datetime) -> LocalDate | None:
    """Like ``parse_local_date``, saying too whether the text gave the time of day.

    Raises:
        ParseError: ``timezone`` is not a known IANA name.
    """
    zone = zone_of(timezone)
    now_utc = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    today = now_utc.astimezone(zone).date()
    folded = _fold(text)
    if not folded or len(folded) > 200:
        return None
    iso = _iso(folded, zone)
    if iso is not None:
        return LocalDate(iso, time_known=len(folded) > len("2026-11-25"))
    clock, rest = _clock(folded)
    day = _day(rest, today)
    if day is None or (clock is None and isinstance(day, _NoDate)):
        return None
    if isinstance(day, _NoDate):
        day = today
    moment = _to_utc(day, clock or time(0, 0), zone)
    return LocalDate(moment, time_known=clock is not None) if moment else None


# Kazakh letters folded to their Russian look-alikes, so that "қараша" and "караша"
# (common where the Kazakh keyboard is missing) read the same; "ё" to "е"; Latin "i".
_FOLD = str.maketrans("қңәөұүһіiғё", "кнаоуухииге")


def _fold(text: str) -> str:
    return " ".join(text.lower().translate(_FOLD).split())


def _iso(text: str, zone: ZoneInfo) -> datetime | None:
    """ISO 8601 / RFC 3339 ("2026-11-25T14:30:00+05:00", "2026-11-25 14:30")."""
    if not re.match(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return _utc(parsed)


_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])")


def _clock(text: str) -> tuple[time | None, str]:
    """The time of day in the text (first "HH:MM[:SS]"), and the text without it."""
    match = _TIME.search(text)
    if match is None:
        return None, text
    hour, minute, second = (int(g or 0) for g in match.groups())
    return time(hour, minute, second), text[: match.start()] + " " + text[match.end() :]


class _NoDate:
    """Marks a text that names no day at all (just a time: "14:30" is today)."""


_NO_DATE = _NoDate()

_RELATIVE_DAYS = {
    "сегодня": 0,
    "бугин": 0,  # бүгін
    "today": 0,
    "вчера": 1,
    "кеше": 1,
    "yesterday": 1,
    "позавчера": 2,
}

# Words that may stand around a date without changing it ("в 9:05", "2026 г.",
# "2026 года", "2026 жылғы", "Опубликовано:", "сағат 14:30").
_FILLER = re.compile(
    r"\b(?:в|во|года?|г|ж|жылгы|жыл|сагат|published|updated|опубликовано|обновлено"
    r"|жарияланды|at|on)\b|[,.:;|/—–()-]"
)


def _day(rest: str, today: date) -> date | _NoDate | None:
    """The calendar day the text names, ``_NO_DATE`` when it names none, None if unreadable."""
    for reader in (_relative_day, _numeric_day, _named_day):
        day = reader(rest, today)
        if day is not None:
            return day
    return _NO_DATE if not re.search(r"\w", _FILLER.sub(" ", rest)) else None


def _relative_day(text: str, today: date) -> date | None:
    words = _FILLER.sub(" ", text).split()
    if len(words) == 1 and words[0] in _RELATIVE_DAYS:
        return today - timedelta(days=_RELATIVE_DAYS[words[0]])
    return None


_NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d])")


def _numeric_day(text: str, today: date) -> date | None:
    """ "25.11.2026", "25/11/26" (day first, as in Kazakhstan and Russia)."""
    match = _NUMERIC.search(text)
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    return _make_date(year + 2000 if year < 100 else year, month, day)


_MONTH_WORD = r"([a-zа-я]+)\.?"
_DAY_MONTH = re.compile(r"(?<!\d)(\d{1,2})\s+" + _MONTH_WORD + r"(?:\s+(\d{4}))?(?!\d)")
_YEAR_DAY_MONTH = re.compile(r"(?<!\d)(\d{4})\s*(?:жылгы|жыл|ж\.?)?\s+(\d{1,2})\s+" + _MONTH_WORD)


def _named_day(text: str, today: date) -> date | None:
    """ "25 ноября 2026", "25 қараша", "2026 жылғы 25 қараша"."""
    match = _YEAR_DAY_MONTH.search(text)
    if match is not None:
        year, day, word = int(match.group(1)), int(match.group(2)), match.group(3)
        month = _month(word)
        return _make_date(year, month, day) if month else None
    match = _DAY_MONTH.search(text)
    if match is None:
        return None
    month = _month(match.group(2))
    if month is None:
        return None
    day = int(match.group(1))
    if match.group(3):
        return _make_date(int(match.group(3)), month, day)
    return _yearless(month, day, today)


def _yearless(month: int, day: int, today: date) -> date | None:
    """This year's day, or last year's when this year's is more than 2 days ahead."""
    this_year = _make_date(today.year, month, day)
    if this_year is not None and this_year - today <= timedelta(days=2):
        return this_year
    return _make_date(today.year - 1, month, day)


# Stems after folding (see _FOLD): Russian in every case form, Kazakh (which declines
# after the full word: "қарашада", "қарашаның"), English; and the usual abbreviations.
_MONTH_STEMS = (
    ("январ", 1), ("феврал", 2), ("март", 3), ("апрел", 4), ("июн", 6), ("июл", 7),
    ("август", 8), ("сентябр", 9), ("октябр", 10), ("ноябр", 11), ("декабр", 12),
    ("кантар", 1), ("акпан", 2), ("наурыз", 3), ("сауир", 4), ("мамыр", 5), ("маусым", 6),
    ("шилде", 7), ("тамыз", 8), ("кыркуйек", 9), ("казан", 10), ("караша", 11),
    ("желтоксан", 12),
    ("january", 1), ("february", 2), ("march", 3), ("april", 4), ("june", 6), ("july", 7),
    ("august", 8), ("september", 9), ("october", 10), ("november", 11), ("december", 12),
)  # fmt: skip
_MONTH_WORDS = {
    "май": 5, "мая": 5, "мае": 5, "маю": 5, "маем": 5, "may": 5,
    "янв": 1, "фев": 2, "февр": 2, "мар": 3, "апр": 4, "авг": 8, "сен": 9, "сент": 9,
    "окт": 10, "ноя": 11, "нояб": 11, "дек": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip


def _month(word: str) -> int | None:
    """The month a (folded) word names, in any case form or abbreviated."""
    if word in _MONTH_WORDS:
        return _MONTH_WORDS[word]
    for stem, month in _MONTH_STEMS:
        if word.startswith(stem):
            return month
    return None


def _make_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when it does not exist or lies outside 1900–2200."""
    if not 1900 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    return _utc(datetime.combine(day, clock, tzinfo=zone))


def _utc(moment: datetime) -> datetime | None:
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# -- full articles ---------------------------------------------------------------------


def extract_main_text(html: str, *, url: str | None = None) -> str | None:
    """The main text of an article page, without navigation, comments or tables.

    Uses trafilatura in its precision mode; paragraphs are separated by newlines.

    Args:
        html: the page's markup.
        url: where it came from (helps trafilatura with site-specific rules).

    Returns:
        The text, or None when no main text was found.
    """
    if not html.strip():
        return None
    # Imported here: trafilatura is heavy and only the full-text path needs it.
    import trafilatura

    text = trafilatura.extract(
        html,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
    )
    if not isinstance(text, str):
        return None
    return text.strip() or None

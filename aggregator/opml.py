"""OPML 2.0 export and OPML 1.0/2.0 import of subscription lists (pure: values in, values out).

OPML is how feed readers exchange their subscriptions (http://opml.org/spec2.opml): a
``<body>`` of ``<outline>`` elements, a feed being an outline with an ``xmlUrl``
attribute, folders being outlines that hold others. Folders become the ``category`` of
the feeds inside them, as a ``/``-joined path (the convention of the spec's own
``category`` attribute), and are written back as nested outlines.

Also :func:`suggest_id`: a ``feeds.yaml`` source id made from a name or a URL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from lxml import etree

from aggregator.errors import ParseError

#: The longest id ``feeds.yaml`` accepts (``SourceConfig.id``).
MAX_ID_LENGTH = 64

# Characters XML 1.0 forbids (C0 controls but tab/newline/return, lone surrogates, the
# two non-characters): lxml refuses them, so they are dropped from what we write.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_ID = re.compile(r"[^a-z0-9]+")

# Russian, Ukrainian and Kazakh Cyrillic → ASCII Latin. Russian follows the common
# passport-style romanization (ж→zh, х→kh, ц→ts, щ→shch); the Kazakh letters follow the
# 2021 Kazakh Latin alphabet without its diacritics (ә→a, ғ→g, қ→q, ң→n, ө→o, ұ/ү→u,
# һ→h, і→i), so ``Қазақстан`` becomes ``qazaqstan``.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    "і": "i",
    "є": "ye", "ї": "yi", "ґ": "g",
}  # fmt: skip
_TRANSLITERATION = str.maketrans(_CYRILLIC)


@dataclass(frozen=True)
class OpmlSource:
    """One feed of an OPML subscription list."""

    name: str
    url: str | None
    """The ``xmlUrl``: the feed. None for a source with no public feed (read from a local
    file), written as a link to its site (``type="link"``), or as a bare outline."""
    site: str | None = None
    """The ``htmlUrl``: the site's home page."""
    language: str | None = None
    category: str | None = None
    """The folder path, outermost first, joined with ``/`` (``Новости/Казахстан``)."""


# -- export --------------------------------------------------------------------------------


def render_opml(title: str, sources: Sequence[OpmlSource], now: datetime) -> bytes:
    """An OPML 2.0 document listing ``sources``, UTF-8 encoded.

    Sources with a ``category`` are written inside nested folder outlines, folders and
    feeds in the order they first appear. Characters XML cannot hold are dropped.

    Args:
        title: the ``<head><title>``.
        sources: the feeds.
        now: the ``dateCreated`` (RFC 822, as OPML 2.0 asks); a naive time is taken as UTC.
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_text(title)
    created = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    etree.SubElement(head, "dateCreated").text = format_datetime(created)
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    _render_folder(body, _folder_tree(sources))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@dataclass
class _Folder:
    """A category while rendering: its feeds and sub-folders in first-seen order."""

    children: list[OpmlSource | tuple[str, _Folder]] = field(default_factory=list)
    folders: dict[str, _Folder] = field(default_factory=dict)

    def folder(self, name: str) -> _Folder:
        if name not in self.folders:
            self.folders[name] = _Folder()
            self.children.append((name, self.folders[name]))
        return self.folders[name]


def _folder_tree(sources: Sequence[OpmlSource]) -> _Folder:
    top = _Folder()
    for source in sources:
        folder = top
        for name in _category_path(source.category):
            folder = folder.folder(name)
        folder.children.append(source)
    return top


def _category_path(category: str | None) -> list[str]:
    return [part.strip() for part in (category or "").split("/") if part.strip()]


def _render_folder(parent: etree._Element, folder: _Folder) -> None:
    for child in folder.children:
        if isinstance(child, OpmlSource):
            _render_feed(parent, child)
        else:
            name, sub = child
            outline = etree.SubElement(parent, "outline", text=_xml_text(name))
            outline.set("title", _xml_text(name))
            _render_folder(outline, sub)


def _render_feed(parent: etree._Element, source: OpmlSource) -> None:
    # OPML 2.0: type="rss" requires xmlUrl; type="link" requires url (an http address).
    outline = etree.SubElement(parent, "outline")
    kind = "rss" if source.url else "link" if source.site else None
    for attribute, value in (
        ("type", kind),
        ("text", source.name),
        ("title", source.name),
        ("xmlUrl", source.url),
        ("url", source.site if kind == "link" else None),
        ("htmlUrl", source.site),
        ("language", source.language),
    ):
        if value:
            outline.set(attribute, _xml_text(value))


def _xml_text(value: str) -> str:
    return _XML_ILLEGAL.sub("", value)


# -- import --------------------------------------------------------------------------------


def parse_opml(content: bytes) -> list[OpmlSource]:
    """The feeds of an OPML 1.0 or 2.0 document, folders flattened into ``category``.

    Only outlines with an ``xmlUrl`` are feeds; a feed missing its ``text`` is named by
    its ``title``, then by its URL. Attribute names are matched case-insensitively
    (``xmlurl``, ``xmlURL`` occur in the wild).

    Raises:
        ParseError: the bytes are not well-formed XML, the root is not ``<opml>``, or the
            document has a DOCTYPE (OPML never needs one; refused, not expanded, because
            entities can explode in size or read local files).
    """
    root = _parse_xml(content)
    if not isinstance(root.tag, str) or etree.QName(root).localname != "opml":
        raise ParseError(f"not an OPML document: the root element is <{_tag_name(root)}>")
    if _has_doctype(root):
        raise ParseError(
            "refused: the OPML document has a DOCTYPE (entity declarations could expand "
            "without bound or read local files); export it again without one"
        )
    body = next((child for child in root if _localname(child) == "body"), None)
    return [] if body is None else list(_outlines(body, ()))


def _parse_xml(content: bytes) -> etree._Element:
    # No entity is expanded, no DTD or URL is loaded: a hostile file cannot grow in
    # memory (billion laughs) or pull in a local file or a URL (XXE).
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        if "entit" in str(exc).lower():
            raise ParseError(f"refused: the OPML document uses XML entities: {exc}") from exc
        raise ParseError(f"not an OPML document: broken XML: {exc}") from exc
    except (etree.LxmlError, ValueError) as exc:
        raise ParseError(f"not an OPML document: {exc}") from exc
    if root is None:
        raise ParseError("not an OPML document: the file is empty")
    return root


def _has_doctype(root: etree._Element) -> bool:
    info = root.getroottree().docinfo
    return info.internalDTD is not None or bool(getattr(info, "doctype", ""))


def _outlines(parent: etree._Element, path: tuple[str, ...]) -> Iterator[OpmlSource]:
    for outline in parent:
        if _localname(outline) != "outline":
            continue
        attributes = {str(key).lower(): str(value).strip() for key, value in outline.items()}
        url = attributes.get("xmlurl", "")
        if url:
            yield _source(attributes, url, path)
            yield from _outlines(outline, path)
        else:
            name = attributes.get("text") or attributes.get("title")
            yield from _outlines(outline, (*path, name) if name else path)


def _source(attributes: dict[str, str], url: str, path: tuple[str, ...]) -> OpmlSource:
    category = "/".join(path) or _category_attribute(attributes.get("category", ""))
    return OpmlSource(
        name=attributes.get("text") or attributes.get("title") or url,
        url=url,
        site=attributes.get("htmlurl") or None,
        language=attributes.get("language") or None,
        category=category or None,
    )


def _category_attribute(value: str) -> str:
    """The first path of OPML 2.0's ``category`` attribute (``/News/Kazakhstan,/Daily``)."""
    first = value.split(",")[0]
    return "/".join(part.strip() for part in first.split("/") if part.strip())


def _localname(element: etree._Element) -> str | None:
    return etree.QName(element).localname if isinstance(element.tag, str) else None


def _tag_name(element: etree._Element) -> str:
    return (_localname(element) or "?")[:40]


# -- ids -----------------------------------------------------------------------------------


def suggest_id(name: str, url: str, taken: set[str]) -> str:
    """A source id for ``feeds.yaml`` made from ``name``, unique among ``taken``.

    Cyrillic (Russian and Kazakh letters) is transliterated and accents are dropped; a
    name with nothing left (Chinese, emoji, punctuation) gives way to the URL's host
    (``www.`` dropped), then to ``source``. Collisions get ``-2``, ``-3``…; the result
    always matches ``^[a-z0-9_-]+$`` and is at most 64 characters long.
    """
    base = _slug(name) or _slug(_host(url)) or "source"
    candidate = base[:MAX_ID_LENGTH].rstrip("-")
    number = 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: MAX_ID_LENGTH - len(suffix)].rstrip("-") + suffix
    return candidate


def _slug(text: str) -> str:
    latin = text.lower().translate(_TRANSLITERATION)
    ascii_only = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    return _NOT_ID.sub("-", ascii_only.lower()).strip("-")


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")

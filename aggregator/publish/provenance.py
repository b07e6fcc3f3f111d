"""Provenance of output entries: the attribution line, credited chain and origin (through
``aggregator.attribution``), and the other outlets of each story."""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import replace

from aggregator import attribution
from aggregator.config import Settings
from aggregator.labels import label
from aggregator.models import Credited, OutputEntry, Provenance, StoryMember


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
    return f'<p class="also">{html.escape(label("page.also_reported", language))}: {links}</p>'


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


def source_directory(settings: Settings) -> attribution.SourceDirectory:
    """The names texts may credit: the configured sources (with their aliases and forms),
    the extra names of ``attribution.known`` and, unless switched off, the built-in
    directory of Kazakhstan outlets and institutions."""
    config = settings.config.attribution
    known = [
        _with_builtin(s.id, s.name, s.aliases, s.forms, config.builtin) for s in settings.sources
    ]
    known += [
        attribution.KnownSource(id=None, name=k.name, aliases=k.aliases, forms=k.forms, kind=k.kind)
        for k in config.known
    ]
    return attribution.SourceDirectory(known, include_builtin=config.builtin)


def _with_builtin(
    source_id: str, name: str, aliases: tuple[str, ...], forms: dict[str, str], builtin: bool
) -> attribution.KnownSource:
    """A configured source, completed by the built-in entry of the same outlet or
    institution when there is one (its Kazakh and English names, its other aliases);
    what the config says wins."""
    known = _builtin_directory().match(name) if builtin else None
    if known is None:
        return attribution.KnownSource(id=source_id, name=name, aliases=aliases, forms=forms)
    merged_aliases = tuple(dict.fromkeys((*aliases, *known.aliases)))
    return attribution.KnownSource(
        id=source_id,
        name=name,
        aliases=merged_aliases,
        forms={**known.forms, **forms},
        kind=known.kind,
    )


@functools.lru_cache(maxsize=1)
def _builtin_directory() -> attribution.SourceDirectory:
    return attribution.SourceDirectory([], include_builtin=True)


def attribute_entries(
    entries: Sequence[OutputEntry], directory: attribution.SourceDirectory, settings: Settings
) -> list[OutputEntry]:
    """``attribute_entry`` for a page of entries: the texts not read yet under the current
    key are read together, in batches, then each entry is attributed."""
    key = attribution.reading_key(directory)
    unread = [e for e in entries if attribution.decode_credits(e.stored_credits, key) is None]
    fresh = {
        id(e): attribution.encode_credits(credits, key)
        for e, credits in zip(unread, _read(unread, directory), strict=True)
    }
    read = [replace(e, stored_credits=fresh[id(e)]) if id(e) in fresh else e for e in entries]
    return [attribute_entry(e, directory, settings) for e in read]


def _read(
    entries: Sequence[OutputEntry], directory: attribution.SourceDirectory
) -> list[tuple[attribution.Credit, ...]]:
    """The credited chains of entries' texts: title, first and last paragraph."""
    texts = []
    for entry in entries:
        paragraphs = paragraphs_of(entry.content_html) or [entry.summary]
        texts.append((entry.title, paragraphs[0], paragraphs[-1], entry.language))
    return [tuple(c) for c in attribution.find_credits_many(texts, directory)]


def attribute_entry(
    entry: OutputEntry, directory: attribution.SourceDirectory, settings: Settings
) -> OutputEntry:
    """The entry with its provenance: who publishes it, whom its text credits, the origin
    (the last credited name, else an earlier outlet of its story, else the publisher)."""
    key = attribution.reading_key(directory)
    credits = attribution.decode_credits(entry.stored_credits, key)
    if credits is None:  # never read, or read by another reader or directory
        (credits,) = _read([entry], directory)
        entry = replace(entry, stored_credits=attribution.encode_credits(credits, key))
    publisher = _publisher(entry, settings)
    members = [
        attribution.StoryMember(m.source.id, m.source.name, m.link, m.published)
        for m in entry.members
    ]
    found = attribution.attribute(
        publisher,
        entry.link,
        entry.title,
        "",  # the text is read already: the chain is given below
        "",
        directory,
        settings.config.output.language,
        members,
        entry.published,
        settings.config.attribution.templates or None,
        text_language=entry.language,
        credits=credits,
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
    import lxml.html  # only when rendering: an unchanged publish does not load lxml
    from lxml import etree

    from aggregator.normalize import html_to_text

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

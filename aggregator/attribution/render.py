"""The attribution line: templates per language, render_line and attribute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from aggregator.attribution.directory import SourceDirectory, credit_key
from aggregator.attribution.extract import find_credits
from aggregator.attribution.morphology import inflect, kazakh_dative
from aggregator.attribution.values import (
    _EMPTY,
    Attribution,
    Credit,
    KnownSource,
    StoryMember,
)

DEFAULT_TEMPLATES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "ru": MappingProxyType(
            {
                "cited": "Передаёт {publisher} со ссылкой на {credited}",
                "plain": "Сообщает {publisher}",
                "story": "Сообщает {publisher}; первоисточник — {origin}",
                "and": "и",
            }
        ),
        "kk": MappingProxyType(
            {
                "cited": "{publisher} {credited} сілтеме жасап хабарлайды",
                "plain": "{publisher} хабарлайды",
                "story": "{publisher} хабарлайды; алғашқы дереккөз — {origin}",
                "and": "және",
            }
        ),
        "en": MappingProxyType(
            {
                "cited": "{publisher} reports, citing {credited}",
                "plain": "Reported by {publisher}",
                "story": "Reported by {publisher}; first reported by {origin}",
                "and": "and",
            }
        ),
    }
)


def _display(
    name: str, language: str, directory: SourceDirectory | None
) -> tuple[str, Mapping[str, str]]:
    known = directory.match(name) if directory is not None else None
    forms = known.forms if known is not None else _EMPTY
    if known is not None and language in forms and name == known.name:
        return forms[language], forms
    return name, forms


def _join(items: Sequence[str], conjunction: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _credited_text(
    language: str, names: Sequence[str], directory: SourceDirectory | None, conjunction: str
) -> str:
    rendered: list[str] = []
    for name in names:
        shown, forms = _display(name, language, directory)
        if language == "ru":
            rendered.append(inflect(shown, "acc", forms))
        elif language == "kk":
            rendered.append(
                kazakh_dative(shown, forms if shown != name or "kk_dat" in forms else None)
            )
        else:
            rendered.append(shown)
    return _join(rendered, conjunction)


def _lang(language: str) -> str:
    base = (language or "ru").lower().split("-")[0].split("_")[0]
    return base if base in DEFAULT_TEMPLATES else "ru"


def render_line(
    language: str,
    publisher_name: str,
    credited_names: Sequence[str],
    directory: SourceDirectory | None = None,
    templates: Mapping[str, Mapping[str, str]] | None = None,
    origin_name: str | None = None,
) -> str:
    """The attribution line in ``language`` ('ru', 'kk', 'en'; others fall back to 'ru').

    With credited names: the 'cited' template, names in the case the language needs
    (Russian accusative after "на", Kazakh dative before "сілтеме жасап"), joined by the
    language's conjunction. Without: 'story' when ``origin_name`` (an earlier outlet of the
    story) is given, else 'plain'. Template keys: publisher, credited, origin.
    """
    lang = _lang(language)
    table = {**DEFAULT_TEMPLATES[lang], **((templates or {}).get(lang) or {})}
    publisher, _ = _display(publisher_name, lang, directory)
    if credited_names:
        credited = _credited_text(lang, credited_names, directory, table.get("and", "and"))
        return table["cited"].format(publisher=publisher, credited=credited, origin=credited)
    if origin_name:
        origin, _ = _display(origin_name, lang, directory)
        return table["story"].format(publisher=publisher, origin=origin, credited=origin)
    return table["plain"].format(publisher=publisher, credited="", origin="")


def _origin_from_story(
    publisher: KnownSource, members: Sequence[StoryMember], published: datetime | None
) -> StoryMember | None:
    others = [m for m in members if m.source_id != publisher.id]
    if not others or published is None:
        return None
    try:
        earliest = min(others, key=lambda m: m.published)
        return earliest if earliest.published < published else None
    except TypeError:  # naive and aware datetimes mixed: no safe comparison
        return None


def attribute(
    publisher: KnownSource,
    publisher_url: str | None,
    title: str,
    lead: str,
    last_paragraph: str,
    directory: SourceDirectory,
    language: str,
    story_members: Sequence[StoryMember] = (),
    published: datetime | None = None,
    templates: Mapping[str, Mapping[str, str]] | None = None,
    text_language: str | None = None,
    credits: Sequence[Credit] | None = None,
) -> Attribution:
    """Attribute one entry.

    ``language`` is the output's: it picks the line's template. Which grammar reads the
    text is decided by the text's own letters, ``text_language`` (the item's detected or
    declared language) serving only as a prior. ``credits``: the chain read before
    (stored with the item), so the text is not read again.

    The credited chain comes from the text (credits of the publisher itself dropped).
    Origin: the last name of the chain; if the text credits no one, the earliest other
    member of the story when it was published before this item (``published``);
    otherwise the publisher itself. The line uses the output language's template.
    """
    pub_key = credit_key(publisher.name, directory)
    chain = tuple(
        c
        for c in (
            credits
            if credits is not None
            else find_credits(title, lead, last_paragraph, directory, text_language)
        )
        if credit_key(c.name, directory) != pub_key
        and (c.source_id is None or c.source_id != publisher.id)
    )
    story_origin = None if chain else _origin_from_story(publisher, story_members, published)
    if chain:
        origin_name, origin_id, origin_url = chain[-1].name, chain[-1].source_id, None
        for member in story_members:
            if origin_id is not None and member.source_id == origin_id:
                origin_url = member.url
    elif story_origin is not None:
        origin_name, origin_id = story_origin.name, story_origin.source_id
        origin_url = story_origin.url
    else:
        origin_name, origin_id, origin_url = publisher.name, publisher.id, publisher_url
    line = render_line(
        language,
        publisher.name,
        [c.name for c in chain],
        directory,
        templates,
        origin_name=story_origin.name if story_origin is not None else None,
    )
    return Attribution(
        publisher=publisher,
        publisher_url=publisher_url,
        credited=chain,
        origin_name=origin_name,
        origin_source_id=origin_id,
        origin_url=origin_url,
        line=line,
    )

"""The HTML page of an output: a clean, responsive list of stories with their attribution
lines, other outlets and times in the output's timezone; no script, no external assets."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aggregator.labels import label
from aggregator.models import OutputEntry
from aggregator.publish.provenance import attribution_html, other_outlets_html
from aggregator.publish.view import View

_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#f6f7f9;color:#1d2330}
header,main{max-width:46rem;margin:0 auto;padding:1rem}
header h1{font-size:1.5rem;margin:.5rem 0 0}header p{color:#5a6272;margin:.25rem 0}
nav a{margin-right:1rem;font-size:.9rem}
article{background:#fff;border-radius:10px;padding:1rem 1.2rem;margin:0 0 .8rem;
box-shadow:0 1px 2px rgba(0,0,0,.06)}
article h2{font-size:1.1rem;margin:0 0 .3rem}a{color:#1a56db;text-decoration:none}
a:hover{text-decoration:underline}.meta{color:#5a6272;font-size:.85rem}
article p{margin:.4rem 0 0}.empty{color:#5a6272}.also{font-size:.85rem;color:#5a6272}
@media (prefers-color-scheme:dark){body{background:#111418;color:#e5e7eb}
article{background:#1b1f26}a{color:#8ab4ff}.meta,header p{color:#9aa3b2}}
"""


@dataclass(frozen=True)
class SourceHealth:
    """How the sources fared, for what an empty page says: how many there are, how many
    have been fetched at least once, how many are failing now."""

    total: int = 0
    fetched: int = 0
    failed: int = 0


def render_html(
    entries: Sequence[OutputEntry],
    view: View,
    now: datetime,
    health: SourceHealth | None = None,
) -> bytes:
    """A readable, responsive page of the latest entries, worded in the output's language;
    no external assets, no script.

    Args:
        health: what an empty page says of the sources (failed ones, with a link to
            ``/status``); None: nothing is known of them.
    """
    settings = view.settings
    zone = _zone(settings.timezone)
    articles = "\n".join(_html_article(entry, zone, settings.language) for entry in entries)
    body = articles or _empty(view, health)
    esc = html.escape
    page = f"""<!DOCTYPE html>
<html lang="{esc(settings.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(settings.title)}</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="{esc(view.relative("rss"))}">
<link rel="alternate" type="application/atom+xml" title="Atom" href="{esc(view.relative("atom"))}">
<link rel="alternate" type="application/feed+json" title="JSON Feed" \
href="{esc(view.relative("json"))}">
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{esc(settings.title)}</h1>
<p>{esc(settings.description)}</p>
<nav><a href="{esc(view.relative("rss"))}">RSS</a><a href="{esc(view.relative("atom"))}">Atom</a>\
<a href="{esc(view.relative("json"))}">JSON Feed</a></nav>
<p class="meta">{esc(_updated(now, zone, settings.language))}</p>
</header>
<main>
{body}
</main>
</body>
</html>
"""
    return page.encode("utf-8")


def _updated(now: datetime, zone: ZoneInfo, language: str) -> str:
    return label("page.updated", language, time=now.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"))


def _empty(view: View, health: SourceHealth | None) -> str:
    """What a page without entries says: that N sources failed (linking to the status
    page), that nothing was fetched yet, or just that there is nothing yet."""
    language = view.settings.language
    if health is not None and health.failed:
        text = label("page.empty_failed", language, failed=health.failed, total=health.total)
        status_url = html.escape(view.settings.link.rstrip("/") + "/status")
        see = html.escape(label("page.see_status", language))
        return f'<p class="empty">{html.escape(text)} <a href="{status_url}">{see}</a>.</p>'
    key = "page.empty" if health is not None and health.fetched else "page.empty_unfetched"
    return f'<p class="empty">{html.escape(label(key, language))}</p>'


def _html_article(entry: OutputEntry, zone: ZoneInfo, language: str) -> str:
    esc = html.escape
    title = esc(entry.title)
    heading = f'<a href="{esc(entry.link)}">{title}</a>' if entry.link else title
    when = entry.published.astimezone(zone)
    source = esc(entry.source.name)
    return (
        f'<article id="{esc(entry.id)}"{_lang_attribute(entry.language, language)}>\n'
        f"<h2>{heading}</h2>\n"
        f'<div class="meta">{source} · {_time(when, entry.time_known)}</div>\n'
        f"<p>{esc(entry.summary)}</p>\n{attribution_html(entry.provenance)}"
        f"{other_outlets_html(entry, language)}</article>"
    )


def _time(when: datetime, time_known: bool) -> str:
    """The entry's time; only its date when the source gave no time of day (not the
    "00:00" a day alone is stored at)."""
    if not time_known:
        return f'<time datetime="{when:%Y-%m-%d}">{when:%Y-%m-%d}</time>'
    return f'<time datetime="{when.isoformat()}">{when:%Y-%m-%d %H:%M}</time>'


def _lang_attribute(entry_language: str | None, page_language: str) -> str:
    """`` lang="kk"`` when the entry's language differs from the page's (so readers and
    screen readers pronounce and hyphenate it right), else nothing."""
    if not entry_language or _primary(entry_language) == _primary(page_language):
        return ""
    return f' lang="{html.escape(entry_language)}"'


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-", 1)[0].lower()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")

"""The HTML page of an output: a clean, responsive list of stories with their attribution
lines, other outlets and times in the output's timezone; no script, no external assets."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def render_html(entries: Sequence[OutputEntry], view: View, now: datetime) -> bytes:
    """A readable, responsive page of the latest entries; no external assets, no script."""
    settings = view.settings
    zone = _zone(settings.timezone)
    articles = "\n".join(_html_article(entry, zone, settings.language) for entry in entries)
    body = articles or '<p class="empty">No entries yet: the sources have not been fetched.</p>'
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
<p class="meta">Updated {esc(now.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"))}</p>
</header>
<main>
{body}
</main>
</body>
</html>
"""
    return page.encode("utf-8")


def _html_article(entry: OutputEntry, zone: ZoneInfo, language: str) -> str:
    esc = html.escape
    title = esc(entry.title)
    heading = f'<a href="{esc(entry.link)}">{title}</a>' if entry.link else title
    when = entry.published.astimezone(zone)
    source = esc(entry.source.name)
    return (
        f'<article id="{esc(entry.id)}">\n<h2>{heading}</h2>\n'
        f'<div class="meta">{source} · <time datetime="{when.isoformat()}">'
        f"{when:%Y-%m-%d %H:%M}</time></div>\n"
        f"<p>{esc(entry.summary)}</p>\n{attribution_html(entry.provenance)}"
        f"{other_outlets_html(entry, language)}</article>"
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")

"""Generate the benchmark corpus: many news feeds with retold stories and their ground truth.

    python bench/corpus.py --feeds 1000 --items 50 --out DIR [--seed 7] [--retold 0.2]

Writes ``DIR/feeds/<id>.<ext>`` (RSS 2.0 mostly, Atom, JSON Feed 1.1, and RSS in
windows-1251), ``DIR/manifest.json`` (the feeds: id, name, language, format, path,
content type) and ``DIR/truth.json`` (item guid → event id). About ``--retold`` of the
items are retellings of another feed's item: another title, reordered and reworded
sentences, an extra quote and an attribution line, as outlets do. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, str(Path(__file__).parent))

import corpus_text as txt

LANGUAGES = (("ru", 0.6), ("kk", 0.2), ("en", 0.2))
FORMATS = (("rss", 0.7), ("atom", 0.12), ("json", 0.1), ("rss1251", 0.08))
EXTENSIONS = {"rss": "rss", "atom": "atom", "json": "json", "rss1251": "rss"}
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "rss1251": "application/rss+xml; charset=windows-1251",
}
ALMATY = timezone(timedelta(hours=5))
BASE_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=ALMATY)
SPAN = timedelta(days=5)
DOMAIN_WORDS = [
    "news",
    "zhanalyk",
    "habar",
    "info",
    "times",
    "today",
    "post",
    "vesti",
    "qazaq",
    "kz-media",
    "daily",
    "press",
    "report",
    "aqparat",
    "orda",
    "dala",
    "tengri",
    "bugin",
]


@dataclass(frozen=True)
class Feed:
    id: str
    name: str
    language: str
    format: str
    domain: str
    guid_style: str
    full_content: bool

    @property
    def path(self) -> str:
        return f"feeds/{self.id}.{EXTENSIONS[self.format]}"


@dataclass
class Event:
    id: str
    topic: int
    facts: dict[str, Any]
    published: datetime


@dataclass
class ItemSpec:
    serial: int
    feed: Feed
    event: Event
    published: datetime
    retold: bool
    guid: str = ""
    link: str = ""
    fields: dict[str, str] = field(default_factory=dict)


# -- feeds and events --------------------------------------------------------------------


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def make_feeds(count: int, rng: random.Random) -> list[Feed]:
    feeds = []
    for index in range(count):
        language = _weighted(rng, LANGUAGES)
        fmt = _weighted(rng, FORMATS)
        if fmt == "rss1251" and language == "kk":
            fmt = "rss"  # windows-1251 has no Kazakh letters
        word = rng.choice(DOMAIN_WORDS)
        city = txt.CITIES[index % len(txt.CITIES)][4].lower().replace("-", "")
        domain = f"{word}-{city}{index}.kz"
        name = f"{word.capitalize()} {txt.CITIES[index % len(txt.CITIES)][0]} №{index}"
        feeds.append(
            Feed(
                id=f"f{index:04d}",
                name=name,
                language=language,
                format=fmt,
                domain=domain,
                guid_style=rng.choice(("permalink", "urn", "serial")),
                full_content=rng.random() < 0.7,
            )
        )
    return feeds


def make_event(serial: int, rng: random.Random) -> Event:
    topic = rng.randrange(len(txt.TOPICS))
    orgs: tuple[int, ...] = txt.TOPICS[topic]["orgs"]  # type: ignore[assignment]
    city, city2 = rng.sample(range(len(txt.CITIES)), 2)
    published = BASE_TIME + SPAN * rng.random()
    facts = {
        "first": rng.randrange(len(txt.FIRST_NAMES)),
        "last": rng.randrange(len(txt.SURNAMES)),
        "city": city,
        "city2": city2,
        "org": rng.choice(orgs),
        "n1": rng.randint(3, 48),
        "n2": rng.randint(120, 25000),
        "pct": rng.randint(11, 199) / 10,
        "amount": rng.randint(12, 3500) / 10,
        "first2": rng.randrange(len(txt.FIRST_NAMES)),
        "last2": rng.randrange(len(txt.SURNAMES)),
        "company": (
            "".join(rng.sample(txt.SYLLABLES, 2)).capitalize()
            + " "
            + rng.choice(txt.COMPANY_SUFFIXES)
        ),
        "day": published.day,
        "month": published.month,
    }
    return Event(f"e{serial:06d}", topic, facts, published)


def plan_items(
    feeds: list[Feed], per_feed: int, retold: float, rng: random.Random
) -> list[ItemSpec]:
    """Assign every item slot an event: its own, or (for ``retold`` of them) another's."""
    slots = [(feed, i) for feed in feeds for i in range(per_feed)]
    rng.shuffle(slots)
    n_retold = round(len(slots) * retold)
    originals, retellings = slots[n_retold:], slots[:n_retold]
    items: list[ItemSpec] = []
    by_language: dict[str, list[ItemSpec]] = {code: [] for code, _ in LANGUAGES}
    for serial, (feed, _) in enumerate(originals):
        event = make_event(serial, rng)
        spec = ItemSpec(serial, feed, event, event.published, retold=False)
        items.append(spec)
        by_language[feed.language].append(spec)
    taken = {(spec.feed.id, spec.event.id) for spec in items}
    serial = len(items)
    for feed, _ in retellings:
        origin = _pick_origin(feed, by_language, taken, rng)
        if origin is None:
            event = make_event(serial, rng)
            items.append(ItemSpec(serial, feed, event, event.published, retold=False))
        else:
            delay = timedelta(minutes=rng.uniform(15, 600))
            items.append(ItemSpec(serial, feed, origin.event, origin.published + delay, True))
            taken.add((feed.id, origin.event.id))
        serial += 1
    return items


def _pick_origin(
    feed: Feed,
    by_language: dict[str, list[ItemSpec]],
    taken: set[tuple[str, str]],
    rng: random.Random,
) -> ItemSpec | None:
    language = feed.language if rng.random() < 0.9 else rng.choice(list(by_language))
    pool = by_language[language] or by_language[feed.language]
    hot = max(1, len(pool) // 50)  # the big stories of the week: retold many times
    for _ in range(8):
        if not pool:
            return None
        origin = pool[rng.randrange(hot)] if rng.random() < 0.3 else rng.choice(pool)
        if origin.feed.id != feed.id and (feed.id, origin.event.id) not in taken:
            return origin
    return None


# -- text --------------------------------------------------------------------------------


def _number(value: float, language: str) -> str:
    text = f"{value:g}"
    return text if language == "en" else text.replace(".", ",")


def render_fields(event: Event, language: str, outlet: str) -> dict[str, str]:
    f = event.facts
    first, last = txt.FIRST_NAMES[f["first"]], txt.SURNAMES[f["last"]]
    city, city2 = txt.CITIES[f["city"]], txt.CITIES[f["city2"]]
    org = txt.ORGS[f["org"]]
    month = txt.MONTHS[language].split()[f["month"] - 1]
    values = {"n1": str(f["n1"]), "n2": str(f["n2"]), "outlet": outlet}
    person2 = f"{txt.FIRST_NAMES[f['first2']]} {txt.SURNAMES[f['last2']]}"
    values["person2"] = txt.latin(person2) if language == "en" else person2
    values["company"] = txt.latin(f["company"]) if language == "en" else f["company"]
    values["pct"] = _number(f["pct"], language)
    values["amount"] = _number(f["amount"], language)
    if language == "ru":
        values |= {
            "person": f"{first} {last}",
            "person_acc": f"{first}а {last}а",
            "city": city[0],
            "city_loc": city[1],
            "city_gen": _ru_genitive(city[0]),
            "city2": city2[0],
            "org": org[0],
            "org_gen": org[1],
            "org_loc": org[2],
            "date": f"{f['day']} {month}",
        }
    elif language == "kk":
        values |= {
            "person": f"{first} {last}",
            "city": city[2],
            "city_loc": city[3],
            "city2": city2[2],
            "org": org[3],
            "date": f"{f['day']} {month}",
        }
    else:
        name = f"{txt.latin(first)} {txt.latin(last)}"
        values |= {
            "person": name,
            "city": city[4],
            "city_loc": f"in {city[4]}",
            "city2": city2[4],
            "org": org[4],
            "date": f"{month} {f['day']}",
        }
    for key, fallback in (("person_acc", "person"), ("city_gen", "city"), ("org_gen", "org")):
        values.setdefault(key, values[fallback])
    values.setdefault("org_loc", values["org"])
    return values


def _ru_genitive(city: str) -> str:
    if city in txt.RU_CITY_GENITIVE:
        return txt.RU_CITY_GENITIVE[city]
    return city if city[-1] in "аеиоуыэюя" else city + "а"


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Written:
    title: str
    lead: str
    html: str


def write_item(spec: ItemSpec, rng: random.Random) -> Written:
    """Title, lead and HTML body of one item; a retelling picks other wordings."""
    language = spec.feed.language
    topic: dict[str, tuple[str, ...]] = txt.TOPICS[spec.event.topic][language]  # type: ignore[assignment]
    outlet = rng.choice(txt.OUTLETS[language].split())
    values = render_fields(spec.event, language, outlet)
    base = int(spec.event.id[1:])  # the original's wording depends on the event only
    t_index, l_index = base % 3, (base // 3) % 3
    details = list(topic["details"])
    quotes = list(topic["quotes"])
    if spec.retold:
        t_index = (t_index + 1 + rng.randrange(2)) % 3
        l_index = (l_index + 1 + rng.randrange(2)) % 3
        rng.shuffle(details)
        details = details[: rng.randint(2, 4)]
        quote: str | None = rng.choice(quotes)
    else:
        quote = quotes[base % 2] if base % 2 else None
    title = _sentence_case(topic["titles"][t_index].format(**values))
    lead = _sentence_case(topic["leads"][l_index].format(**values))
    if spec.retold:
        note = rng.choice(txt.ATTRIBUTION[language]).format(**values)
        lead = f"{lead.rstrip('.')}, {note}"
    people = txt.PEOPLE_LINES[language]
    line = people[(base + (1 + rng.randrange(2) if spec.retold else 0)) % len(people)]
    body = [_sentence_case(d.format(**values)) for d in details]
    body.insert(rng.randrange(2) if spec.retold else 0, line.format(**values))
    html = _html(spec, rng, lead, body, quote, values["person"], title)
    return Written(title, lead, html)


def _html(
    spec: ItemSpec,
    rng: random.Random,
    lead: str,
    body: list[str],
    quote: str | None,
    person: str,
    title: str,
) -> str:
    language = spec.feed.language
    domain = spec.feed.domain
    dateline = ""
    if rng.random() < 0.4:
        city = spec.event.facts["city"]
        name = txt.CITIES[city][4 if language == "en" else (2 if language == "kk" else 0)]
        dateline = f"<strong>{escape(name.upper())}.</strong> "
    parts = [f"<p>{dateline}{escape(lead)}</p>", f"<p>{escape(' '.join(body[:2]))}</p>"]
    if rng.random() < 0.6:
        parts.append(
            f'<figure><img src="https://{domain}/media/{spec.serial}.jpg" alt={quoteattr(title)}'
            f' width="800" height="450"><figcaption>© {domain}</figcaption></figure>'
        )
    if quote:
        parts.append(
            f"<blockquote><p>«{escape(quote)}», — {txt.SAID[language]} {escape(person)}.</p>"
            "</blockquote>"
        )
    if body[2:]:
        parts.append(f"<p>{escape(' '.join(body[2:]))}</p>")
    target = rng.randint(700, 2500)
    size = sum(len(p.encode()) for p in parts)
    for _ in range(12):
        if size >= target:
            break
        para = _filler(rng, language, domain)
        parts.append(para)
        size += len(para.encode())
    return "\n".join(parts)


def _filler(rng: random.Random, language: str, domain: str) -> str:
    sentences = " ".join(rng.sample(txt.FILLER[language], 2))
    link = rng.choice(txt.LINK_TEXT[language])
    href = f"https://{domain}/news/{rng.randint(100000, 999999)}"
    return f'<p>{escape(sentences)} <a href="{href}">{escape(link)}</a></p>'


def item_link(spec: ItemSpec, rng: random.Random) -> tuple[str, str]:
    """(the canonical URL, the URL as the feed gives it: often with tracking parameters)."""
    p = spec.published
    url = (
        f"https://{spec.feed.domain}/{spec.feed.language}/news/{p:%Y/%m/%d}/"
        f"{spec.event.id}-{spec.serial}"
    )
    roll = rng.random()
    if roll < 0.4:
        return url, f"{url}?utm_source=rss&utm_medium=feed&utm_campaign=news"
    if roll < 0.55:
        token = "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789", k=24))
        return url, f"{url}?fbclid=IwAR{token}&utm_source=facebook"
    return url, url


def item_guid(spec: ItemSpec, canonical: str) -> str:
    style = spec.feed.guid_style
    if spec.feed.format == "atom":
        return f"tag:{spec.feed.domain},2026:{spec.serial}"
    if style == "permalink":
        return canonical
    if style == "urn":
        return f"urn:{spec.feed.domain}:news:{spec.serial}"
    return str(1_000_000 + spec.serial)


# -- documents ---------------------------------------------------------------------------


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_rss(feed: Feed, entries: list[tuple[ItemSpec, Written]], cp1251: bool) -> bytes:
    wrap = escape if cp1251 else _cdata
    out = [
        f'<?xml version="1.0" encoding="{"windows-1251" if cp1251 else "utf-8"}"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{escape(feed.name)}</title><link>https://{feed.domain}/</link>",
        f"<description>{escape(feed.name)}</description><language>{feed.language}</language>",
        f"<lastBuildDate>{format_datetime(entries[0][0].published)}</lastBuildDate>",
    ]
    for spec, w in entries:
        permalink = "true" if spec.guid == spec.fields["canonical"] else "false"
        out.append(
            f"<item><title>{escape(w.title)}</title><link>{escape(spec.link)}</link>"
            f'<guid isPermaLink="{permalink}">{escape(spec.guid)}</guid>'
            f"<pubDate>{format_datetime(spec.published)}</pubDate>"
            f"<category>{escape(spec.fields['category'])}</category>"
        )
        if feed.full_content:
            out.append(f"<description>{wrap(w.lead)}</description>")
            out.append(f"<content:encoded>{wrap(w.html)}</content:encoded>")
        else:
            out.append(f"<description>{wrap(w.html)}</description>")
        if spec.serial % 3 == 0:
            out.append(
                f'<enclosure url="https://{feed.domain}/media/{spec.serial}.jpg" '
                f'length="{40000 + spec.serial % 9000}" type="image/jpeg"/>'
            )
        out.append("</item>")
    out.append("</channel></rss>\n")
    text = "\n".join(out)
    if cp1251:
        return text.encode("cp1251", errors="xmlcharrefreplace")
    return text.encode()


def render_atom(feed: Feed, entries: list[tuple[ItemSpec, Written]]) -> bytes:
    updated = entries[0][0].published.isoformat()
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed.language}">',
        f"<title>{escape(feed.name)}</title><id>https://{feed.domain}/</id>",
        f'<link rel="alternate" href="https://{feed.domain}/"/><updated>{updated}</updated>',
    ]
    for spec, w in entries:
        stamp = spec.published.isoformat()
        out.append(
            f"<entry><id>{escape(spec.guid)}</id><title>{escape(w.title)}</title>"
            f'<link rel="alternate" href={quoteattr(spec.link)}/>'
            f"<published>{stamp}</published><updated>{stamp}</updated>"
            f"<author><name>{escape(feed.name)}</name></author>"
            f"<category term={quoteattr(spec.fields['category'])}/>"
            f'<summary type="text">{escape(w.lead)}</summary>'
            f'<content type="html">{escape(w.html)}</content></entry>'
        )
    out.append("</feed>\n")
    return "\n".join(out).encode()


def render_json(feed: Feed, entries: list[tuple[ItemSpec, Written]]) -> bytes:
    items = [
        {
            "id": spec.guid,
            "url": spec.link,
            "title": w.title,
            "summary": w.lead,
            "content_html": w.html,
            "date_published": spec.published.isoformat(),
            "tags": [spec.fields["category"]],
            "image": f"https://{feed.domain}/media/{spec.serial}.jpg",
        }
        for spec, w in entries
    ]
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.name,
        "home_page_url": f"https://{feed.domain}/",
        "feed_url": f"https://{feed.domain}/feed.json",
        "language": feed.language,
        "authors": [{"name": feed.name}],
        "items": items,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


def render_feed(feed: Feed, entries: list[tuple[ItemSpec, Written]]) -> bytes:
    if feed.format == "atom":
        return render_atom(feed, entries)
    if feed.format == "json":
        return render_json(feed, entries)
    return render_rss(feed, entries, cp1251=feed.format == "rss1251")


# -- the corpus --------------------------------------------------------------------------


CATEGORIES = {
    "ru": ("Экономика", "Общество", "Регионы", "Происшествия", "Политика"),
    "kk": ("Экономика", "Қоғам", "Аймақ", "Оқиға", "Саясат"),
    "en": ("Economy", "Society", "Regions", "Incidents", "Politics"),
}


def generate(
    out: Path, feeds: int = 1000, items: int = 50, seed: int = 7, retold: float = 0.2
) -> dict[str, Any]:
    """Write the corpus into ``out``; return the manifest."""
    rng = random.Random(seed)
    feed_list = make_feeds(feeds, rng)
    plan = plan_items(feed_list, items, retold, rng)
    by_feed: dict[str, list[tuple[ItemSpec, Written]]] = {f.id: [] for f in feed_list}
    truth: dict[str, str] = {}
    for spec in plan:
        item_rng = random.Random(seed * 1_000_003 + spec.serial)
        canonical, spec.link = item_link(spec, item_rng)
        spec.guid = item_guid(spec, canonical)
        language = spec.feed.language
        spec.fields = {
            "canonical": canonical,
            "category": CATEGORIES[language][spec.event.topic % 5],
        }
        by_feed[spec.feed.id].append((spec, write_item(spec, item_rng)))
        truth[spec.guid] = spec.event.id
    (out / "feeds").mkdir(parents=True, exist_ok=True)
    manifest_feeds = []
    total = 0
    for feed in feed_list:
        entries = sorted(by_feed[feed.id], key=lambda e: e[0].published, reverse=True)
        body = render_feed(feed, entries)
        (out / feed.path).write_bytes(body)
        total += len(body)
        manifest_feeds.append(_manifest_row(feed, len(entries), len(body)))
    manifest = {
        "seed": seed,
        "feeds": feeds,
        "items_per_feed": items,
        "retold_fraction": retold,
        "bytes": total,
        "events": len(set(truth.values())),
        "feed_list": manifest_feeds,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=0))
    return manifest


def _manifest_row(feed: Feed, entries: int, size: int) -> dict[str, Any]:
    content_type = CONTENT_TYPES[feed.format]
    if feed.format == "rss1251" and int(feed.id[1:]) % 2:
        content_type = "application/rss+xml"  # only the XML declaration names the charset
    return {
        "id": feed.id,
        "name": feed.name,
        "language": feed.language,
        "format": feed.format,
        "path": feed.path,
        "content_type": content_type,
        "items": entries,
        "bytes": size,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--retold", type=float, default=0.2, help="fraction of retold items")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = generate(args.out, args.feeds, args.items, args.seed, args.retold)
    elapsed = time.perf_counter() - started
    print(
        f"{args.feeds} feeds × {args.items} items, {manifest['events']} events, "
        f"{manifest['bytes'] / 1e6:.1f} MB → {args.out} in {elapsed:.1f}s"
    )


if __name__ == "__main__":
    main()

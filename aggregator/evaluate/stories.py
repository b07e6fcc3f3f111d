"""Story folding measured on labelled records, through the real pipeline.

Run: ``aggregator eval stories FILE [--order SEED] [--quiet]`` (or
``.venv/bin/python bench/eval_stories.py FILE …``).

FILE is JSON Lines in the shared evaluation format (``record_id``, ``cluster_id``,
``kind``, ``topic_group``, ``hard_negative_of``, ``url``, ``domain``, ``lang``, ``date``,
``title``, ``text``, ``uncertain``). Each outlet domain becomes one RSS 2.0 file, listed
as a source of a fresh ``feeds.yaml`` in a temporary folder; the sources are refreshed as
``aggregator fetch`` refreshes them (one ``refresh_many``), or, with ``--order SEED``, one
at a time in a shuffled order within one refresh (to see whether arrival order changes
the answer), or with ``--each`` too, each in a refresh of its own (its stories decided
before the next outlet's items arrive). The stories are read back from the published
``feed.json`` (``_aggregator.sources``).

Records without a date get one placed so that a topic group's events keep their order and
spacing: an event's day is its earliest dated member's, else the date in its cluster id;
undated hard negatives are spread evenly over the 66 hours after the first event they must
not join (inside its 72-hour window, not at one instant); gaps between a group's days over
8 days are shortened to 8. Members of one event are spread over the day, an hour apart.

Scored as the evaluation's README says: pairwise precision over every pair put in one
story, recall over same-language positive pairs, cross-language recall apart; pairs with
an ``uncertain`` record are left out. Wrong and missed pairs are listed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aggregator.config import Settings, load_settings
from aggregator.fetch import Fetcher
from aggregator.pipeline import refresh_source, settle_stories, shutdown_pools
from aggregator.publish import publish
from aggregator.scheduler import refresh_many, sync_sources
from aggregator.storage import Store

MAX_GAP = timedelta(days=8)
_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


@dataclass(frozen=True)
class Record:
    id: str
    cluster: str
    kind: str
    group: str
    negative_of: tuple[str, ...]
    url: str
    domain: str
    lang: str
    date: str | None
    title: str | None
    text: str
    uncertain: bool


def load(path: Path) -> list[Record]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        records.append(
            Record(
                id=r["record_id"],
                cluster=r["cluster_id"],
                kind=r.get("kind", "same_event"),
                group=r.get("topic_group", r["cluster_id"]),
                negative_of=tuple(r.get("hard_negative_of") or ()),
                url=r["url"],
                domain=r["domain"],
                lang=r["lang"],
                date=r.get("date"),
                title=r.get("title"),
                text=r["text"],
                uncertain=bool(r.get("uncertain")),
            )
        )
    return records


def _day(value: str | None, full_only: bool) -> datetime | None:
    match = _DATE_RE.search(value or "")
    if not match:
        return None
    year, month, day = match.groups()
    if day is None and full_only:
        return None
    return datetime(int(year), int(month), int(day or 1), tzinfo=UTC)


def place_dates(records: Sequence[Record]) -> dict[str, datetime]:
    """record id -> the published time it is served with (see the module docstring)."""
    members: dict[str, list[Record]] = {}
    for r in records:
        members.setdefault(r.cluster, []).append(r)
    event_day: dict[str, datetime] = {}
    for cluster, rs in members.items():
        dated = [d for r in rs if (d := _day(r.date, full_only=True)) is not None]
        day = min(dated) if dated else _day(cluster, full_only=False)
        if day is not None and not (rs[0].kind == "hard_negative" and not dated):
            event_day[cluster] = day
    undated: dict[datetime, list[str]] = {}
    for cluster, rs in members.items():
        if cluster not in event_day:
            anchors = [event_day[c] for c in rs[0].negative_of if c in event_day]
            anchor = min(anchors) if anchors else datetime(2025, 1, 1, tzinfo=UTC)
            undated.setdefault(anchor, []).append(cluster)
    for anchor, clusters in undated.items():
        # spread evenly over the 66 hours after the event's morning, so that they sit
        # within the window of the event and of each other, not at one instant
        step = timedelta(hours=66) / (len(clusters) + 1)
        for n, cluster in enumerate(sorted(clusters), start=1):
            event_day[cluster] = anchor + n * step
    placed: dict[str, datetime] = {}
    for cluster, rs in members.items():
        for n, r in enumerate(rs):
            own = _day(r.date, full_only=True)
            placed[r.id] = (own or event_day[cluster]) + timedelta(hours=8 + n)
    return _shorten_gaps(records, placed)


def _shorten_gaps(records: Sequence[Record], placed: dict[str, datetime]) -> dict[str, datetime]:
    by_group: dict[str, list[str]] = {}
    for r in records:
        by_group.setdefault(r.group, []).append(r.id)
    out: dict[str, datetime] = {}
    for ids in by_group.values():
        ordered = sorted(ids, key=lambda i: (placed[i], i))
        shift = timedelta(0)
        out[ordered[0]] = placed[ordered[0]]
        for previous, current in itertools.pairwise(ordered):
            gap = placed[current] - placed[previous]
            if gap > MAX_GAP:
                shift += gap - MAX_GAP
            out[current] = placed[current] - shift
    return out


def write_feeds(records: Sequence[Record], dates: dict[str, datetime], folder: Path) -> list[str]:
    """One RSS file per domain, a ``feeds.yaml`` listing them; returns the source ids."""
    by_domain: dict[str, list[Record]] = {}
    for r in records:
        by_domain.setdefault(r.domain, []).append(r)
    lines = [
        "store: store",
        "output:\n  max_items: 10000",
        "fetch:\n  host_spacing: 0s\n  parse_workers: 0",
        "sources:",
    ]
    ids = []
    for n, (domain, rs) in enumerate(sorted(by_domain.items())):
        source_id = f"s{n:03d}"
        ids.append(source_id)
        (folder / f"{source_id}.rss").write_bytes(_rss(domain, rs, dates))
        name = json.dumps(domain)
        lines.append(f"  - id: {source_id}\n    name: {name}\n    url: {source_id}.rss")
    (folder / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def _rss(domain: str, records: Sequence[Record], dates: dict[str, datetime]) -> bytes:
    items = []
    for r in records:
        title = f"<title>{escape(r.title)}</title>" if r.title else ""
        link = escape(_link(r))
        items.append(
            f"<item><guid>{link}</guid><link>{link}</link>{title}"
            f"<description>{escape(r.text)}</description>"
            f"<pubDate>{format_datetime(dates[r.id])}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(domain)}</title><link>https://{escape(domain)}/</link>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


def _link(record: Record) -> str:
    """The item's link: the record's own address would lose its query to the link
    cleaner, and the stories are mapped back to records by link."""
    return f"https://{record.domain}/eval/{record.id}"


def fold(records: Sequence[Record], order: int | None, each: bool = False) -> dict[str, str]:
    """record id -> story id, from the published feed.json."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ids = write_feeds(records, place_dates(records), folder)
        settings = load_settings(folder / "feeds.yaml")
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.database_url)
        try:
            sync_sources(store, settings)
            asyncio.run(_refresh(settings, store, ids, order, each))
            publish(store, settings, datetime.now(UTC))
            feed = json.loads((settings.public_dir / "feed.json").read_text(encoding="utf-8"))
        finally:
            store.close()
            shutdown_pools()
    by_url = {_link(r): r.id for r in records}
    story_of = {}
    for entry in feed["items"]:
        ext = entry["_aggregator"]
        for member in ext.get("sources") or [{"url": entry.get("url")}]:
            if member.get("url") in by_url:
                story_of[by_url[member["url"]]] = ext.get("story") or entry["id"]
    lost = [r.id for r in records if r.id not in story_of]
    if lost:
        raise SystemExit(f"records missing from feed.json (refresh failed?): {lost}")
    return story_of


async def _refresh(
    settings: Settings, store: Store, ids: list[str], order: int | None, each: bool
) -> None:
    sources = [s for s in settings.sources if s.id in ids]
    async with Fetcher(settings.config.fetch) as fetcher:
        if order is None:
            await refresh_many(sources, settings, store, fetcher)
            return
        random.Random(order).shuffle(sources)
        for source in sources:
            await refresh_source(source, settings, fetcher, store, settle=each)
        settle_stories(store, settings.config.dedup)


@dataclass
class Tally:
    hit: int = 0
    wrong: int = 0
    missed: int = 0

    def precision(self) -> float:
        return self.hit / (self.hit + self.wrong) if self.hit + self.wrong else 1.0

    def recall(self) -> float:
        return self.hit / (self.hit + self.missed) if self.hit + self.missed else 1.0


def score(
    records: Sequence[Record], story_of: dict[str, str]
) -> tuple[Tally, Tally, Tally, list[str]]:
    """(same-language, cross-language, all pairs, error lines)."""
    same, cross, every = Tally(), Tally(), Tally()
    lines = []
    for a, b in itertools.combinations(records, 2):
        if a.uncertain or b.uncertain:
            continue
        truth = a.cluster == b.cluster
        joined = story_of.get(a.id, a.id) == story_of.get(b.id, b.id)
        if not truth and not joined:
            continue
        tally = same if a.lang == b.lang else cross
        for t in (tally, every):
            t.hit += truth and joined
            t.wrong += joined and not truth
            t.missed += truth and not joined
        if truth != joined:
            kind = "WRONG " if joined else "MISSED"
            where = "same" if a.lang == b.lang else "cross"
            lines.append(f"{kind} {where:5} {a.id} ~ {b.id}  {_short(a)} | {_short(b)}")
    return same, cross, every, sorted(lines)


def by_language(records: Sequence[Record], story_of: dict[str, str]) -> dict[str, Tally]:
    """Same-language pairs' tallies per language (see :func:`score`)."""
    tallies: dict[str, Tally] = {}
    for a, b in itertools.combinations(records, 2):
        if a.uncertain or b.uncertain or a.lang != b.lang:
            continue
        truth = a.cluster == b.cluster
        joined = story_of.get(a.id, a.id) == story_of.get(b.id, b.id)
        tally = tallies.setdefault(a.lang, Tally())
        tally.hit += truth and joined
        tally.wrong += joined and not truth
        tally.missed += truth and not joined
    return {lang: t for lang, t in sorted(tallies.items()) if t.hit + t.wrong + t.missed}


def _short(r: Record) -> str:
    return f"[{r.lang}] " + (r.title or r.text).replace("\n", " ")[:48]


def report(path: Path, order: int | None = None, quiet: bool = False, each: bool = False) -> str:
    """The figures of the records in ``path`` (see the module docstring), and unless
    ``quiet`` the wrong and missed pairs, as text."""
    records = load(path)
    story_of = fold(records, order, each)
    same, cross, every, lines = score(records, story_of)
    languages = "".join(
        f"  {lang}: precision {t.precision():.3f} ({t.hit}/{t.hit + t.wrong}) "
        f"recall {t.recall():.3f} ({t.hit}/{t.hit + t.missed})\n"
        for lang, t in by_language(records, story_of).items()
    )
    head = (
        f"{len(records)} records, {len(set(story_of.values()))} stories\n"
        f"same-language: precision {same.precision():.3f} ({same.hit}/{same.hit + same.wrong}) "
        f"recall {same.recall():.3f} ({same.hit}/{same.hit + same.missed})\n"
        f"{languages}"
        f"cross-language recall {cross.recall():.3f} ({cross.hit}/{cross.hit + cross.missed}), "
        f"wrong {cross.wrong}\n"
        f"all pairs: precision {every.precision():.3f} recall {every.recall():.3f}"
    )
    return head if quiet else "\n".join([head, *lines])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--order", type=int, default=None, help="refresh sources one by one")
    parser.add_argument("--each", action="store_true", help="with --order: a refresh each")
    parser.add_argument("--quiet", action="store_true", help="figures only")
    args = parser.parse_args(argv)
    print(report(args.file, args.order, args.quiet, args.each))
    return 0

"""Attribution measured on labelled sentences, through the real pipeline.

Run: ``aggregator eval attribution FILE [--misses]`` (or
``.venv/bin/python bench/eval_attribution.py FILE …``).

Each case's text is served as the description of one item of a feed named "Тестовая лента"
(neutral numbered titles, no ``<language>``), beside Акорда, Ulysmedia.kz, Kazinform,
Tengrinews.kz, Zakon.kz and NUR.KZ configured with aliases. One ``aggregator fetch`` runs
in a fresh process on a fresh store, and ``_aggregator.credited`` / ``origin`` of
feed.json are scored per language as the labelling README describes: precision = asserted
positives whose origin matches / all asserted (negatives included); recall = asserted
positives whose origin matches / positives. Cases marked ``uncertain`` are left out.
The file is read by path and never copied: the texts are third parties'.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

FEED_NAME = "Тестовая лента"
SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("akorda", "Акорда", ("Akorda", "Ақорда", "Aqorda", "пресс-служба Акорды")),
    ("ulysmedia", "Ulysmedia.kz", ("Ulysmedia", "Улысмедиа")),
    ("kazinform", "Kazinform", ("Казинформ", "Qazinform", "Inform.kz", "Kazinform News Agency")),
    ("tengrinews", "Tengrinews.kz", ("Tengrinews", "Тенгриньюс")),
    ("zakon", "Zakon.kz", ("Закон.кз", "Zakon")),
    ("nur", "NUR.KZ", ("НУР.КЗ", "Nur.kz")),
)
_FUNCTION_WORDS = frozenset(
    [
        "и",
        "в",
        "во",
        "на",
        "по",
        "при",
        "с",
        "со",
        "от",
        "для",
        "of",
        "the",
        "a",
        "an",
        "and",
        "at",
        "in",
        "on",
        "for",
        "to",
        "by",
        "из",
        "о",
        "об",
        "к",
        "ко",
        "за",
        "республики",
        "республика",
        "республикасы",
        "рк",
        "кр",
        "казахстана",
        "казахстан",
        "казахстанский",
        "republic",
        "kazakhstan",
        "kazakh",
        "қазақстан",
        "қр",
    ]
)
_GENERIC = frozenset(
    [
        "пресс",
        "служба",
        "служб",
        "пресс-служба",
        "министерство",
        "министр",
        "ministry",
        "minister",
        "press",
        "service",
        "department",
        "департамент",
        "управление",
        "агентство",
        "agency",
        "комитет",
        "committee",
        "президент",
        "president",
        "официальный",
        "представитель",
        "official",
        "spokesperson",
        "глава",
        "head",
        "сайт",
        "website",
        "telegram",
        "канал",
        "канале",
        "channel",
        "баспасөз",
        "қызметі",
        "source",
        "источник",
    ]
)


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    text: str
    expected: tuple[str, ...]  # accepted origins; empty for a negative


def load_cases(path: Path) -> list[Case]:
    """The scored cases of a labelled JSONL file (uncertain ones left out)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        if raw.get("uncertain"):
            continue
        label = None if raw.get("negative") else (raw.get("origin") or raw.get("reporter"))
        cases.append(Case(raw["id"], raw["lang"], raw["text"], _alternatives(label)))
    return cases


def _alternatives(label: str | None) -> tuple[str, ...]:
    """'ТАСС (which cites Минэнерго)' accepts 'ТАСС' and 'Минэнерго'."""
    if not label:
        return ()
    inside = re.findall(r"\(([^)]*)\)", label)
    outside = re.sub(r"\([^)]*\)", " ", label).strip()
    alts = [outside] + [re.sub(r"^(?:which|who)\s+cites\s+", "", s).strip() for s in inside]
    return tuple(a for a in alts if a)


# -- name matching, as the README says --------------------------------------------------------


def _words(name: str) -> list[str]:
    text = name.lower().replace("ё", "е")
    text = re.sub(r"[\"«»“”„'`]", " ", text).replace("-", " ")
    return [w for w in re.findall(r"[^\W_]+(?:\.[^\W_]+)*", text) if w not in _FUNCTION_WORDS]


def _word_match(a: str, b: str) -> bool:
    return a[:5] == b[:5]


def _contained(small: list[str], big: list[str]) -> bool:
    return all(any(_word_match(w, v) for v in big) for w in small)


def names_match(found: str, label: str, resolve: Any) -> bool:
    """Loose match of a found name against a label (see the module docstring)."""
    a, b = _words(found), _words(label)
    if a and b and len(a) == len(b) and _contained(a, b):
        return True
    if a and _contained(a, b) and len(b) - len(a) <= 4 and any(w not in _GENERIC for w in a):
        return True
    known_a, known_b = resolve(found), resolve(label)
    return known_a is not None and known_a == known_b


def _resolver() -> Any:
    from aggregator.attribution import KnownSource, SourceDirectory

    directory = SourceDirectory(
        [KnownSource(id=i, name=n, aliases=a) for i, n, a in SOURCES], include_builtin=False
    )

    def resolve(name: str) -> str | None:
        known = directory.match(name)
        return known.id if known is not None else None

    return resolve


# -- the pipeline run ------------------------------------------------------------------------


def _rss(title: str, items: list[tuple[str, str, str, datetime]]) -> str:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{html.escape(title)}</title><link>https://test.example/</link>",
        "<description>eval</description>",
    ]
    for guid, item_title, text, when in items:
        parts.append(
            f"<item><title>{html.escape(item_title)}</title>"
            f"<link>https://test.example/{guid}</link><guid>{guid}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{html.escape(text)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts)


def _config(sources: list[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "store": "store",
            "output": {"title": "Eval", "language": "ru", "max_items": 1000},
            "fetch": {"host_spacing": "0s"},
            "sources": sources,
        },
        ensure_ascii=False,
    )


def run_pipeline(cases: list[Case], workdir: Path) -> dict[str, dict[str, Any]]:
    """Serve the cases as one feed, fetch once, and return feed.json's items by case id."""
    base = datetime(2025, 11, 1, 9, tzinfo=UTC)
    items = [
        (f"case-{c.id}", f"Сообщение {n + 1}", c.text, base + timedelta(minutes=n))
        for n, c in enumerate(cases)
    ]
    (workdir / "test.rss").write_text(_rss(FEED_NAME, items), encoding="utf-8")
    sources: list[dict[str, Any]] = [{"id": "test", "name": FEED_NAME, "url": "test.rss"}]
    for source_id, name, aliases in SOURCES:
        (workdir / f"{source_id}.rss").write_text(_rss(name, []), encoding="utf-8")
        sources.append(
            {"id": source_id, "name": name, "url": f"{source_id}.rss", "aliases": list(aliases)}
        )
    config = workdir / "feeds.yaml"
    config.write_text(_config(sources), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "aggregator", "--config", str(config), "fetch"],
        check=False,
        capture_output=True,
    )
    feed = json.loads((workdir / "store" / "public" / "feed.json").read_text(encoding="utf-8"))
    by_title = {c_title: c.id for (_, c_title, _, _), c in zip(items, cases, strict=True)}
    out: dict[str, dict[str, Any]] = {}
    for item in feed["items"]:
        case_id = by_title.get(item.get("title", ""))
        if case_id is not None:
            out[case_id] = item["_aggregator"]
    return out


# -- scoring ---------------------------------------------------------------------------------


@dataclass
class Tally:
    asserted: int = 0
    correct: int = 0
    positives: int = 0

    def line(self, lang: str) -> str:
        p = self.correct / self.asserted if self.asserted else 0.0
        r = self.correct / self.positives if self.positives else 0.0
        return (
            f"{lang}: precision {p:.2f} ({self.correct}/{self.asserted}), "
            f"recall {r:.2f} ({self.correct}/{self.positives})"
        )


def score(
    cases: list[Case], found: dict[str, dict[str, Any]], resolve: Any
) -> tuple[dict[str, Tally], list[str]]:
    """Per-language tallies and one line per miss or wrong credit."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    misses: list[str] = []
    for case in cases:
        ext = found.get(case.id, {})
        credited = ext.get("credited") or []
        origin = (ext.get("origin") or {}).get("name") if credited else None
        tally = tallies[case.lang]
        tally.positives += bool(case.expected)
        tally.asserted += origin is not None
        ok = origin is not None and any(names_match(origin, e, resolve) for e in case.expected)
        tally.correct += ok
        if ok or (origin is None and not case.expected):
            continue
        names = " > ".join(c["name"] for c in credited) or "-"
        want = " | ".join(case.expected) or "(negative)"
        misses.append(f"{case.id} [{case.lang}] want {want!r}; got {names!r}: {case.text[:160]}")
    return dict(tallies), misses


def report(path: Path, misses: bool = False) -> str:
    """Per-language precision and recall of the credited origin, and the misses."""
    cases = load_cases(path)
    with tempfile.TemporaryDirectory() as tmp:
        found = run_pipeline(cases, Path(tmp))
    tallies, missed = score(cases, found, _resolver())
    lines = [tallies[lang].line(lang) for lang in ("ru", "kk", "en") if lang in tallies]
    if misses:
        lines += ["", f"{len(missed)} misses:", *missed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    print(report(args.file, args.misses))
    return 0

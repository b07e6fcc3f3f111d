"""The benchmark of issue 7: our aggregator against lemon24/reader on one local corpus.

    python bench/run.py [--feeds 1000 --items 50 --runs 3] [--quick] [--profile]

Generates a corpus (``corpus.py``), serves it from 127.0.0.1 (``server.py``) and runs
each system in a fresh subprocess (``systems.py``) for: a cold refresh (all 200), a warm
refresh (all 304) and a cold refresh with 50–250 ms latency per request. Then: dedup
precision/recall of our stories against the corpus truth, output serving requests/s of
our app vs a minimal Starlette endpoint (``serving.py``), and the parse stage in MB/s.
Prints rich tables and writes ``bench/results.json``. See ``bench/README.md``.

``--processes`` is the other view (``processes.py``): whole processes, ``aggregator
fetch`` against a reader job, from spawn to exit, cold then warm; it writes
``bench/results-processes-<feeds>x<items>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from math import comb, inf
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import processes  # noqa: E402
import serving  # noqa: E402
from server import CorpusServer, ServerOptions  # noqa: E402

PHASES = ("cold", "warm", "latency")
LATENCY = (0.05, 0.25)
RUN_TIMEOUT = 3600.0
PARSE_PASSES = 3
"""The parse stage is timed this many times (ours and lxml interleaved); the best counts."""


@dataclass(frozen=True)
class Plan:
    feeds: int
    items: int
    runs: int
    seed: int
    concurrency: int
    reader_workers: tuple[int, ...]
    load_seconds: float
    connections: int
    parse_mb: float
    with_reader: bool
    profile: bool
    profile_feeds: int


def parse_args(argv: list[str] | None) -> tuple[Plan, argparse.Namespace]:
    p = argparse.ArgumentParser(description="Benchmark our aggregator against reader.")
    p.add_argument("--feeds", type=int, default=1000)
    p.add_argument("--items", type=int, default=50)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="20 feeds × 10 items, 1 run, 4 s load")
    p.add_argument("--concurrency", type=int, default=16, help="our fetch.concurrency")
    p.add_argument("--reader-workers", default="1,16", help="reader workers to try")
    p.add_argument("--load-seconds", type=float, default=10.0)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--parse-mb", type=float, default=30.0, help="corpus MB for the parse stage")
    p.add_argument("--no-reader", action="store_true", help="skip reader (not installed?)")
    p.add_argument("--profile", action="store_true", help="cProfile our cold refresh")
    p.add_argument("--profile-feeds", type=int, default=200)
    p.add_argument("--corpus", type=Path, help="reuse/keep the corpus in this folder")
    p.add_argument("--out", type=Path, help="results JSON (default: bench/results*.json)")
    p.add_argument(
        "--processes",
        action="store_true",
        help="whole processes instead: `aggregator fetch` vs a reader job, cold then warm",
    )
    p.add_argument("--hosts", type=int, default=50, help="--processes: loopback addresses")
    args = p.parse_args(argv)
    if args.quick:
        args.feeds, args.items, args.runs, args.load_seconds = 20, 10, 1, 4.0
    workers = tuple(int(w) for w in args.reader_workers.split(",") if w.strip())
    with_reader = not args.no_reader and _has_reader()
    plan = Plan(
        args.feeds,
        args.items,
        max(1, args.runs),
        args.seed,
        args.concurrency,
        workers,
        args.load_seconds,
        args.connections,
        args.parse_mb,
        with_reader,
        args.profile,
        args.profile_feeds,
    )
    return plan, args


def _has_reader() -> bool:
    try:
        metadata.version("reader")
    except metadata.PackageNotFoundError:
        return False
    return True


# -- one refresh in a subprocess ---------------------------------------------------------


def run_system(
    system: str, workdir: Path, urls: Path, phase: str, *, concurrency: int, workers: int
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(HERE / "systems.py"),
        system,
        "--workdir",
        str(workdir),
        "--urls",
        str(urls),
        "--phase",
        phase,
        "--concurrency",
        str(concurrency),
        "--workers",
        str(workers),
    ]
    for attempt in range(3):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
        if done.returncode == 0:
            return json.loads(done.stdout.strip().splitlines()[-1])
        if "ImportError" not in done.stderr or attempt == 2:
            break
        time.sleep(20)  # a tree being edited: the next attempt may import again
    raise RuntimeError(f"{system} {phase} failed:\n{done.stderr[-3000:]}")


class Runner:
    """Runs the refresh phases of each system against the in-process server."""

    def __init__(self, plan: Plan, server: CorpusServer, urls: Path, tmp: Path) -> None:
        self.plan = plan
        self.server = server
        self.urls = urls
        self.tmp = tmp
        self.results: list[dict[str, Any]] = []

    def phase(self, system: str, workdir: Path, phase: str, workers: int, run: int) -> None:
        self.server.options.latency = LATENCY if phase == "latency" else (0.0, 0.0)
        self.server.reset_counts()
        result = run_system(
            system,
            workdir,
            self.urls,
            "warm" if phase == "warm" else "cold",
            concurrency=self.plan.concurrency,
            workers=workers,
        )
        result |= {"phase": phase, "run": run, "workers": workers, "server": self.server.snapshot()}
        self.results.append(result)
        label = f"{system}{'/' + str(workers) if system == 'reader' else ''}"
        print(
            f"  run {run + 1} {label:<10} {phase:<8} {result['wall']:8.2f}s wall "
            f"{result['cpu']:8.2f}s cpu {result['items']:>7} items {result['statuses']}",
            flush=True,
        )

    def one_run(self, run: int, reader_workers: Iterable[int]) -> None:
        ours = self.tmp / f"ours-{run}"
        for phase in ("cold", "warm"):
            self.phase("ours", ours, phase, self.plan.concurrency, run)
        self.phase("ours", self.tmp / f"ours-lat-{run}", "latency", self.plan.concurrency, run)
        for workers in reader_workers:
            workdir = self.tmp / f"reader-{workers}-{run}"
            for phase in ("cold", "warm"):
                self.phase("reader", workdir, phase, workers, run)
            lat = self.tmp / f"reader-lat-{workers}-{run}"
            self.phase("reader", lat, "latency", workers, run)
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(lat, ignore_errors=True)
        if run > 0:
            shutil.rmtree(ours, ignore_errors=True)
        shutil.rmtree(self.tmp / f"ours-lat-{run}", ignore_errors=True)

    def all_runs(self) -> list[int]:
        """Every run; reader settings that lose by 1.5× in run 1 are not repeated."""
        workers = list(self.plan.reader_workers) if self.plan.with_reader else []
        pruned: list[int] = []
        for run in range(self.plan.runs):
            self.one_run(run, workers)
            if run == 0 and len(workers) > 1:
                keep = self._competitive(workers)
                pruned = [w for w in workers if w not in keep]
                workers = keep
        return pruned

    def _competitive(self, workers: list[int]) -> list[int]:
        walls: dict[int, float] = {}
        for r in self.results:
            if r["system"] == "reader":
                walls[r["workers"]] = walls.get(r["workers"], 0.0) + r["wall"]
        best = min(walls.values())
        return [w for w in workers if walls[w] <= 1.5 * best]


# -- summaries ---------------------------------------------------------------------------


def summarize(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Medians per (system, phase); for reader the workers setting with the best wall."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in results:
        workers = r["workers"] if r["system"] == "reader" else 0
        groups.setdefault((r["system"], r["phase"], workers), []).append(r)
    medians = {key: _median_of(rows) for key, rows in groups.items()}
    summary: dict[str, dict[str, Any]] = {}
    for (system, phase, workers), row in medians.items():
        key = f"{system}:{phase}"
        tried = summary.get(key, {}).get("tried", {})
        tried[str(workers)] = row["wall"]
        if key not in summary or row["wall"] < summary[key]["wall"]:
            summary[key] = row | {"workers": workers or None}
        summary[key]["tried"] = tried
    return summary


def _median_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": len(rows)}
    for field in ("wall", "cpu", "peak_rss_mb", "items_per_s", "items", "new_items"):
        out[field] = statistics.median(r[field] for r in rows)
    for field in ("publish_wall", "publish_cpu"):
        values = [r[field] for r in rows if r.get(field) is not None]
        out[field] = statistics.median(values) if values else None
    statuses: Counter[str] = Counter()
    for r in rows:
        statuses.update(r["statuses"])
    out["statuses"] = dict(statuses)
    server: Counter[str] = Counter()
    for r in rows:
        server.update({k: v for k, v in r["server"].items() if k != "bytes_sent"})
    out["server"] = dict(server)
    return out


def ratios(summary: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    out = {}
    for phase in PHASES:
        ours, theirs = summary.get(f"ours:{phase}"), summary.get(f"reader:{phase}")
        if not ours or not theirs:
            continue
        out[phase] = {
            field: (ours[field] / theirs[field]) if theirs[field] else None
            for field in ("wall", "cpu", "peak_rss_mb", "items_per_s")
        }
    return out


# -- dedup quality -----------------------------------------------------------------------


def dedup_quality(db: Path, truth: dict[str, str]) -> dict[str, Any]:
    """Pairwise precision/recall of our stories against the corpus events."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT source_id, guid, story_id FROM items").fetchall()
    pairs = [(truth[guid], story) for _, guid, story in rows if guid in truth]
    events = Counter(e for e, _ in pairs)
    stories = Counter(s for _, s in pairs)
    both = Counter(pairs)
    true_pairs = sum(comb(n, 2) for n in events.values())
    found_pairs = sum(comb(n, 2) for n in stories.values())
    correct = sum(comb(n, 2) for n in both.values())
    precision = correct / found_pairs if found_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "items": len(rows),
        "matched_to_truth": len(pairs),
        "events": len(events),
        "stories": len(stories),
        "true_pairs": true_pairs,
        "found_pairs": found_pairs,
        "correct_pairs": correct,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


# -- parse stage -------------------------------------------------------------------------


def parse_stage(root: Path, limit_mb: float) -> dict[str, Any]:
    """MB/s of ``parse_feed`` vs ``lxml.etree.fromstring`` on the same XML feeds."""
    from lxml import etree

    from aggregator.models import ParsedFeed
    from aggregator.parse import parse_feed

    rows = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["feed_list"]
    docs: list[tuple[bytes, str, str]] = []
    size = 0
    for row in rows:
        if size >= limit_mb * 1e6:
            break
        body = (root / row["path"]).read_bytes()
        docs.append((body, row["content_type"], row["format"]))
        size += len(body)
    xml = [(b, ct) for b, ct, fmt in docs if fmt != "json"]
    xml_bytes = sum(len(b) for b, _ in xml)
    parsed = [parse_feed(b, content_type=ct) for b, ct in xml]  # warm-up: imports, caches

    def ours() -> None:
        for body, ct in xml:
            parse_feed(body, content_type=ct)

    def raw_lxml() -> None:
        for body, _ in xml:
            etree.fromstring(body)

    def json_feeds() -> None:
        for body, ct, fmt in docs:
            if fmt == "json":
                parse_feed(body, content_type=ct)

    # Best of PARSE_PASSES, the two interleaved: the least disturbed pass of each.
    ours_s = lxml_s = json_s = inf
    for _ in range(PARSE_PASSES):
        ours_s = min(ours_s, _timed(ours))
        lxml_s = min(lxml_s, _timed(raw_lxml))
        json_s = min(json_s, _timed(json_feeds))
    json_bytes = size - xml_bytes
    return {
        "xml_mb": xml_bytes / 1e6,
        "parse_feed_mb_s": xml_bytes / 1e6 / ours_s,
        "lxml_mb_s": xml_bytes / 1e6 / lxml_s,
        "lxml_over_parse_feed": ours_s / lxml_s,
        "json_feed_mb_s": json_bytes / 1e6 / json_s if json_s and json_bytes else None,
        "entries": sum(len(p.entries) for p in parsed),
        "fallback": _fallback_share(parsed, ParsedFeed),
    }


def _timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _fallback_share(parsed: list[Any], cls: type) -> dict[str, int] | None:
    """Which parser read each feed, if ``ParsedFeed`` says (else None: n/a)."""
    names = getattr(cls, "__dataclass_fields__", {})
    for attr in ("parser", "engine", "backend", "fallback", "used_fallback"):
        if attr in names:
            return dict(Counter(str(getattr(p, attr)) for p in parsed))
    return None


# -- serving -----------------------------------------------------------------------------


def serving_figures(public: Path, seconds: float, connections: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("ours", "baseline"):
        with serving.app_process(kind, public) as url:
            etag, size = serving.fetch_etag(url)
            full = serving.load(url, connections=connections, seconds=seconds)
            cond = serving.load(url, etag=etag, connections=connections, seconds=seconds)
        out[kind] = {
            "bytes": size,
            "tool": full.tool,
            "rps_200": full.rps,
            "rps_304": cond.rps,
            "statuses_200": full.statuses,
            "statuses_304": cond.statuses,
        }
        print(f"  serving {kind:<8} 200: {full.rps:8.0f} req/s   304: {cond.rps:8.0f} req/s")
    for code in ("200", "304"):
        base = out["baseline"][f"rps_{code}"]
        out[f"ratio_{code}"] = out["ours"][f"rps_{code}"] / base if base else None
    return out


# -- profile -----------------------------------------------------------------------------


def profile_ours(tmp: Path, urls: list[list[str]], feeds: int) -> str:
    subset = tmp / "urls-profile.json"
    subset.write_text(json.dumps(urls[:feeds]))
    stats_path = tmp / "ours.prof"
    cmd = [
        sys.executable,
        str(HERE / "systems.py"),
        "ours",
        "--workdir",
        str(tmp / "ours-profile"),
        "--urls",
        str(subset),
        "--profile",
        str(stats_path),
    ]
    subprocess.run(cmd, capture_output=True, timeout=RUN_TIMEOUT, check=True)
    return _top(stats_path, 15)


def _top(stats_path: Path, count: int) -> str:
    import io

    buffer = io.StringIO()
    stats = pstats.Stats(str(stats_path), stream=buffer)
    stats.strip_dirs().sort_stats("tottime").print_stats(count)
    return buffer.getvalue()


# -- output ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in (
        "aggregator",
        "reader",
        "feedparser",
        "aiohttp",
        "httpx",
        "lxml",
        "starlette",
        "uvicorn",
    ):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": shutil.which("wrk") is not None,
        "versions": versions,
    }


def print_tables(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    summary, ratio = report["summary"], report["ratios"]
    table = Table(title=f"Refresh — medians of {report['plan']['runs']} run(s)")
    for col in ("phase", "system", "wall s", "CPU s", "peak RSS MB", "items/s", "statuses"):
        table.add_column(col, justify="right" if col not in ("phase", "system") else "left")
    for phase in PHASES:
        for system in ("ours", "reader"):
            row = summary.get(f"{system}:{phase}")
            if row is None:
                continue
            name = system if system == "ours" else f"reader w={row['workers']}"
            table.add_row(
                phase,
                name,
                f"{row['wall']:.2f}",
                f"{row['cpu']:.2f}",
                f"{row['peak_rss_mb']:.0f}",
                f"{row['items_per_s']:.0f}" if phase != "warm" else "–",
                ", ".join(f"{k}:{v}" for k, v in sorted(row["statuses"].items())),
            )
    console.print(table)
    if ratio:
        rt = Table(title="ours / reader (wall, CPU, RSS: lower is better; items/s: higher)")
        for col in ("phase", "wall", "CPU", "peak RSS", "items/s"):
            rt.add_column(col, justify="right")
        for phase, r in ratio.items():
            rt.add_row(phase, *(_x(r[f]) for f in ("wall", "cpu", "peak_rss_mb", "items_per_s")))
        console.print(rt)
    console.print(_other_table(report))


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def _other_table(report: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Other figures")
    table.add_column("figure")
    table.add_column("value", justify="right")
    cold = report["summary"].get("ours:cold", {})
    if cold.get("publish_wall") is not None:
        table.add_row("publish (attribution + render), after cold", f"{cold['publish_wall']:.2f} s")
    d = report.get("dedup")
    if d:
        table.add_row(
            "dedup pairwise precision / recall / F1",
            f"{d['precision']:.3f} / {d['recall']:.3f} / {d['f1']:.3f}",
        )
        table.add_row(
            "dedup items / events / stories", f"{d['items']} / {d['events']} / {d['stories']}"
        )
    s = report.get("serving")
    if s:
        for code in ("200", "304"):
            ours, base = s["ours"][f"rps_{code}"], s["baseline"][f"rps_{code}"]
            table.add_row(
                f"/feed.xml {code} req/s, ours vs minimal Starlette ({s['ours']['tool']})",
                f"{ours:.0f} vs {base:.0f} ({_x(s[f'ratio_{code}'])})",
            )
    p = report.get("parse")
    if p:
        table.add_row(
            f"parse_feed vs lxml.fromstring, {p['xml_mb']:.0f} MB XML",
            f"{p['parse_feed_mb_s']:.1f} vs {p['lxml_mb_s']:.0f} MB/s "
            f"({p['lxml_over_parse_feed']:.2f}× the time)",
        )
        if p.get("json_feed_mb_s"):
            table.add_row("parse_feed on JSON Feed", f"{p['json_feed_mb_s']:.1f} MB/s")
        fb = p.get("fallback")
        table.add_row(
            "parser per feed (fast path / feedparser fallback)", "n/a" if fb is None else str(fb)
        )
    return table


# -- main --------------------------------------------------------------------------------


def prepare_corpus(plan: Plan, folder: Path) -> dict[str, Any]:
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (manifest["feeds"], manifest["items_per_feed"], manifest["seed"]) == (
            plan.feeds,
            plan.items,
            plan.seed,
        ):
            return manifest
        shutil.rmtree(folder / "feeds", ignore_errors=True)
    started = time.perf_counter()
    manifest = corpus.generate(folder, plan.feeds, plan.items, plan.seed)
    print(
        f"corpus: {plan.feeds} feeds × {plan.items} items, {manifest['bytes'] / 1e6:.1f} MB "
        f"in {time.perf_counter() - started:.1f}s → {folder}",
        flush=True,
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    plan, args = parse_args(argv)
    if args.processes:
        return main_processes(plan, args)
    args.out = args.out or HERE / "results.json"
    started = time.perf_counter()
    if not plan.with_reader and not args.no_reader:
        print("reader is not installed (pip install reader sgmllib3k): running ours only")
    with tempfile.TemporaryDirectory(prefix="aggbench-") as tmp_name:
        tmp = Path(tmp_name)
        corpus_dir = args.corpus or tmp / "corpus"
        manifest = prepare_corpus(plan, corpus_dir)
        report = run_all(plan, corpus_dir, manifest, tmp)
    report["elapsed_s"] = time.perf_counter() - started
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print_tables(report)
    if report.get("profile"):
        print(f"cProfile of our cold refresh ({plan.profile_feeds} feeds), top 15 by tottime:")
        print(report["profile"])
    print(f"wrote {args.out} in {report['elapsed_s']:.0f}s")
    return 0


def main_processes(plan: Plan, args: argparse.Namespace) -> int:
    """``--processes``: whole processes side by side (``processes.py``)."""
    if not plan.with_reader:
        print("--processes compares with reader: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    out = args.out or HERE / f"results-processes-{plan.feeds}x{plan.items}.json"
    options = processes.Options(
        plan.runs, args.hosts, plan.concurrency, max(plan.reader_workers, default=16)
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aggbench-") as tmp_name:
        tmp = Path(tmp_name)
        corpus_dir = args.corpus or tmp / "corpus"
        manifest = prepare_corpus(plan, corpus_dir)
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine() | {"load_avg_at_start": os.getloadavg()},
            "corpus": {k: v for k, v in manifest.items() if k != "feed_list"},
        }
        report |= processes.compare(corpus_dir, manifest, tmp, options)
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    report["elapsed_s"] = time.perf_counter() - started
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    processes.print_table(report)
    print(f"wrote {out} in {report['elapsed_s']:.0f}s")
    return 0


def run_all(plan: Plan, root: Path, manifest: dict[str, Any], tmp: Path) -> dict[str, Any]:
    server = CorpusServer(root, ServerOptions(seed=plan.seed))
    server.start()
    try:
        urls = [[f["id"], f["name"], server.url(f["path"])] for f in manifest["feed_list"]]
        urls_path = tmp / "urls.json"
        urls_path.write_text(json.dumps(urls, ensure_ascii=False))
        runner = Runner(plan, server, urls_path, tmp)
        pruned = runner.all_runs()
        truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
        report: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "plan": plan.__dict__,
            "machine": machine(),
            "corpus": {k: v for k, v in manifest.items() if k != "feed_list"},
            "runs": runner.results,
            "reader_workers_pruned_after_run_1": pruned,
        }
        report["summary"] = summarize(runner.results)
        report["ratios"] = ratios(report["summary"])
        report["dedup"] = dedup_quality(tmp / "ours-0" / "store" / "aggregator.db", truth)
        public = tmp / "ours-0" / "store" / "public"
        report["serving"] = serving_figures(public, plan.load_seconds, plan.connections)
        report["parse"] = parse_stage(root, plan.parse_mb)
        if plan.profile:
            report["profile"] = profile_ours(tmp, urls, plan.profile_feeds)
    finally:
        server.stop()
    return report


if __name__ == "__main__":
    sys.exit(main())

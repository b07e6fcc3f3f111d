"""Whole processes side by side (issue 16): ``aggregator fetch`` against a reader job.

    python bench/run.py --processes --feeds 200 --items 50 [--runs 3] [--hosts 50]

What a cron job or a restart pays, not the refresh alone: each side is timed from the
spawn of its process to its exit (interpreter, imports, database, the refresh; ours also
publishes, as ``aggregator fetch`` does). The corpus is served from ``--hosts`` loopback
addresses with ETag/304 and gzip. Ours is the installed CLI on a generated feeds.yaml
(``host_spacing: 0s``, as reader keeps none); reader is ``reader_job.py``:
``update_feeds(workers=N)``, after adding the feeds in the cold run. A round is a fresh
store for each, then cold (every feed 200) and warm (every feed 304), the two systems
interleaved, who goes first alternating by round. Figures are medians of the rounds.

Peak RSS is the process tree's (the sum over the process and its descendants, such as our
parsing process), sampled every ``SAMPLE_S``, or the largest process's own peak (VmHWM,
which the kernel keeps, so short peaks are not missed) if that is larger. CPU is user +
system of the whole tree: this process becomes a child subreaper, so descendants that
outlive their parent are still counted.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from server import CorpusServer, ServerOptions, loopback_hosts
from systems import write_config

HERE = Path(__file__).resolve().parent
SYSTEMS = ("ours", "reader")
PHASES = {"cold": "cold (every feed 200)", "warm": "warm (every feed 304)"}
SAMPLE_S = 0.1
TREE_EVERY = 10
"""The tree's RSS is read every ``SAMPLE_S``, its members listed every ``TREE_EVERY`` reads:
a listing costs ~5 ms of this process's CPU (and GIL, shared with the feed server)."""


@dataclass(frozen=True)
class Options:
    rounds: int = 3
    hosts: int = 50
    concurrency: int = 16
    """Our ``fetch.concurrency``."""
    workers: int = 16
    """reader's ``update_feeds(workers=…)``."""


@dataclass(frozen=True)
class Usage:
    """One process, spawn to exit."""

    wall: float
    cpu: float
    """User + system seconds of the process and all its descendants."""
    peak_rss_mb: float
    """The tree's: its summed RSS sampled, or ``max_rss_mb`` if larger."""
    max_rss_mb: float
    """The peak RSS of the tree's largest process (its VmHWM)."""
    exit_code: int


# -- one measured process ----------------------------------------------------------------


def measure(cmd: list[str], cwd: Path, log: Path) -> Usage:
    """Run ``cmd`` (output to ``log``), timing it and its memory from spawn to exit."""
    _become_subreaper()
    before = _children_cpu()
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        with _tree_sampler(proc.pid) as memory:
            # wait4's ru_maxrss is no use here: exec keeps the high-water mark of the
            # (v)forked copy of this process, which holds the whole corpus.
            _, status, _ = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait
    _reap_orphans()
    return Usage(
        wall=wall,
        cpu=_children_cpu() - before,
        peak_rss_mb=max(memory.tree_kib, memory.largest_kib) / 1024,
        max_rss_mb=memory.largest_kib / 1024,
        exit_code=proc.returncode,
    )


def _become_subreaper() -> None:
    """Descendants orphaned by their parent's exit are re-parented to this process, not to
    init, so their CPU time reaches ``RUSAGE_CHILDREN`` when reaped: our parsing process is
    a child of multiprocessing's fork server, which outlives the main process briefly."""
    import ctypes

    pr_set_child_subreaper = 36  # <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap_orphans(timeout: float = 30.0) -> None:
    """Wait for the descendants re-parented here; warn about any still running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # none left
        if pid == 0:
            time.sleep(0.05)
    print(f"  (descendants still running {timeout:.0f}s after exit: CPU undercounted)")


@dataclass
class Memory:
    tree_kib: int = 0
    """The largest sum of VmRSS over the tree's processes at one sample."""
    largest_kib: int = 0
    """The largest VmHWM (peak RSS, kept by the kernel) of one process of the tree."""


@contextmanager
def _tree_sampler(pid: int) -> Iterator[Memory]:
    """Yields a ``Memory`` kept up to date every ``SAMPLE_S`` by a thread. The tree's members
    are listed with psutil; without it, only the process itself is read."""
    memory = Memory()
    stop = threading.Event()

    def sample() -> None:
        for count in itertools.count():
            if stop.is_set():
                return
            if count % TREE_EVERY == 0:  # listing children scans all of /proc
                tree = _tree(pid)
            figures = [_status_kib(member) for member in tree]
            memory.tree_kib = max(memory.tree_kib, sum(rss for rss, _ in figures))
            memory.largest_kib = max([memory.largest_kib, *(hwm for _, hwm in figures)])
            stop.wait(SAMPLE_S)

    thread = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    thread.start()
    try:
        yield memory
    finally:
        stop.set()
        thread.join()


def _tree(pid: int) -> list[int]:
    try:
        import psutil
    except ImportError:
        return [pid]
    try:
        return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:
        return [pid]  # exiting


def _status_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB from /proc; zeros once it has exited."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    rss, hwm = fields.get("VmRSS", "0 kB"), fields.get("VmHWM", "0 kB")
    return int(rss.split()[0]), int(hwm.split()[0])


# -- the two systems ---------------------------------------------------------------------


def ours_command(config: Path) -> list[str]:
    """The installed console script, beside this interpreter (as in a venv)."""
    script = Path(sys.executable).parent / "aggregator"
    exe = str(script) if script.exists() else shutil.which("aggregator")
    if exe is None:
        raise RuntimeError("the `aggregator` command is not installed (pip install -e .)")
    return [exe, "--config", str(config), "fetch"]


def reader_command(db: Path, urls: Path | None, workers: int) -> list[str]:
    cmd = [sys.executable, str(HERE / "reader_job.py"), str(db), "--workers", str(workers)]
    return [*cmd, "--add", str(urls)] if urls else cmd


def stored(system: str, workdir: Path) -> tuple[int, int]:
    """(items stored, feeds whose last update failed), read from the system's database."""
    if system == "ours":
        db, items, failed = workdir / "store" / "aggregator.db", "items", "last_error"
    else:
        db, items, failed = workdir / "reader.sqlite", "entries", "last_exception"
    table = "sources" if system == "ours" else "feeds"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        count = conn.execute(f"SELECT count(*) FROM {items}").fetchone()[0]
        query = f"SELECT count(*) FROM {table} WHERE {failed} IS NOT NULL"
        errors = conn.execute(query).fetchone()[0]
    return int(count), int(errors)


# -- the rounds --------------------------------------------------------------------------


class Rounds:
    """Runs both systems' cold and warm processes against one server, round by round."""

    def __init__(
        self, server: CorpusServer, feeds: list[tuple[str, str, str]], tmp: Path, options: Options
    ) -> None:
        self.server = server
        self.feeds = feeds
        self.tmp = tmp
        self.options = options
        self.urls = tmp / "urls.txt"
        self.urls.write_text("\n".join(url for _, _, url in feeds) + "\n", encoding="utf-8")
        self.results: list[dict[str, Any]] = []

    def command(self, system: str, phase: str, workdir: Path) -> list[str]:
        if system == "ours":
            config = workdir / "feeds.yaml"
            if not config.exists():
                write_config(workdir, self.feeds, self.options.concurrency, one_host=False)
            return ours_command(config)
        workdir.mkdir(parents=True, exist_ok=True)
        urls = self.urls if phase == "cold" else None
        return reader_command(workdir / "reader.sqlite", urls, self.options.workers)

    def one(self, system: str, phase: str, workdir: Path, round_: int) -> None:
        cmd = self.command(system, phase, workdir)
        load = os.getloadavg()[0]
        self.server.reset_counts()
        log = workdir / f"{phase}.log"
        usage = measure(cmd, workdir, log)
        try:
            items, errors = stored(system, workdir)
        except sqlite3.Error as exc:
            raise RuntimeError(f"{system} {phase}: {exc}\n{_tail(log)}") from exc
        row = {"system": system, "phase": phase, "round": round_, **asdict(usage)}
        row |= {"items": items, "feed_errors": errors, "load_1min": load, "command": cmd}
        row["server"] = self.server.snapshot()
        self.results.append(row)
        print(
            f"  round {round_ + 1} {system:<6} {phase:<4} {usage.wall:7.2f}s wall "
            f"{usage.cpu:7.2f}s cpu {usage.peak_rss_mb:6.0f} MB {items:>7} items {errors} errors "
            f"exit {usage.exit_code} load {load:.2f}",
            flush=True,
        )
        if usage.exit_code != 0 and errors == 0:  # ours exits 1 when a feed failed
            raise RuntimeError(f"{system} {phase} exited {usage.exit_code}:\n{_tail(log)}")

    def run(self) -> list[dict[str, Any]]:
        for round_ in range(self.options.rounds):
            order = SYSTEMS if round_ % 2 == 0 else SYSTEMS[::-1]
            folder = self.tmp / f"round-{round_}"
            for phase in PHASES:
                for system in order:
                    self.one(system, phase, folder / system, round_)
            shutil.rmtree(folder, ignore_errors=True)
        return self.results


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def compare(root: Path, manifest: dict[str, Any], tmp: Path, options: Options) -> dict[str, Any]:
    """Serve the corpus in ``root`` and run the rounds; the report's figures."""
    compile_ours()
    hosts = loopback_hosts(options.hosts)
    with CorpusServer(root, ServerOptions(), hosts=hosts) as server:
        feeds = [
            (f["id"], f["name"], server.url(f["path"], index))
            for index, f in enumerate(manifest["feed_list"])
        ]
        results = Rounds(server, feeds, tmp, options).run()
    summary = summarize(results)
    return {
        "options": asdict(options),
        "ours_revision": ours_revision(),
        "commands": {
            "ours (cold, warm)": "aggregator --config W/feeds.yaml fetch",
            "reader cold": f"python bench/reader_job.py W/reader.sqlite --workers "
            f"{options.workers} --add URLS.txt",
            "reader warm": f"python bench/reader_job.py W/reader.sqlite --workers "
            f"{options.workers}",
        },
        "runs": results,
        "summary": summary,
        "ratios": ratios(summary),
    }


def compile_ours() -> None:
    """Write our package's bytecode before timing, as installing a wheel does (reader's is
    in site-packages, compiled when pip installed it). The editable install compiles it on
    first import, but not where ``PYTHONDONTWRITEBYTECODE`` is set, as on our bench
    machine: every process then compiled our ~70 modules again (~0.2 s)."""
    package = HERE.parent / "aggregator"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def ours_revision() -> str | None:
    """The last commit that changed ``aggregator/``, ``+dirty`` when it has changes since."""
    git = ["git", "-C", str(HERE.parent)]
    try:
        head = subprocess.run(
            [*git, "log", "-1", "--format=%h", "--", "aggregator"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            [*git, "status", "--porcelain", "--", "aggregator"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if changes else "")


# -- figures -----------------------------------------------------------------------------

FIGURES = ("wall", "cpu", "peak_rss_mb", "max_rss_mb", "items", "load_1min")


def summarize(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Medians by ``system:phase``; each ``statuses`` is the server's counts, summed."""
    summary: dict[str, dict[str, Any]] = {}
    for system in SYSTEMS:
        for phase in PHASES:
            rows = [r for r in results if (r["system"], r["phase"]) == (system, phase)]
            if not rows:
                continue
            medians = {f: _median([r[f] for r in rows]) for f in FIGURES}
            statuses: dict[str, int] = {}
            for r in rows:
                for key in ("200", "304", "404", "requests"):
                    statuses[key] = statuses.get(key, 0) + r["server"].get(key, 0)
            summary[f"{system}:{phase}"] = medians | {"rounds": len(rows), "statuses": statuses}
    return summary


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def ratios(summary: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """reader / ours for each phase: below 1, reader is faster (or smaller)."""
    out = {}
    for phase in PHASES:
        ours, theirs = summary.get(f"ours:{phase}"), summary.get(f"reader:{phase}")
        if ours and theirs:
            out[phase] = {
                f: theirs[f] / ours[f] if ours[f] and theirs[f] is not None else None
                for f in ("wall", "cpu", "peak_rss_mb", "max_rss_mb")
            }
    return out


def print_table(report: dict[str, Any]) -> None:
    """The medians side by side: wall (spawn to exit), CPU of the tree, peak RSS."""
    from rich.console import Console
    from rich.table import Table

    options, corpus = report["options"], report["corpus"]
    table = Table(
        title=f"Whole processes, medians of {options['rounds']} round(s): {corpus['feeds']} "
        f"feeds × {corpus['items_per_feed']} items on {options['hosts']} loopback hosts",
        caption="reader / ours below 1: reader takes less",
    )
    table.add_column("", no_wrap=True)
    for figure in ("wall", "CPU", "peak RSS"):
        for col in (f"{figure} ours", "reader", "reader / ours"):
            table.add_column(col, justify="right")
    summary, ratio = report["summary"], report["ratios"]
    for phase, label in PHASES.items():
        ours, theirs, r = summary[f"ours:{phase}"], summary[f"reader:{phase}"], ratio[phase]
        cells = [label]
        for field, unit in (("wall", _s), ("cpu", _s), ("peak_rss_mb", _mb)):
            cells += [unit(ours[field]), unit(theirs[field]), _x(r[field])]
        table.add_row(*cells)
    Console(width=140).print(table)


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MB"


if __name__ == "__main__":
    # Print the table of a results file again: python bench/processes.py RESULTS.json
    print_table(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))

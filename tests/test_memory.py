"""Process memory settings (aggregator.memory)."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest


def test_malloc_arenas_are_capped_on_glibc_and_left_alone_elsewhere() -> None:
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    # in a fresh interpreter: mallopt is process-wide
    code = "from aggregator.memory import limit_malloc_arenas as f; print(f())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(glibc)


def test_service_processes_collect_cycles_less_often() -> None:
    # the service's own process (a fresh interpreter: thresholds are process-wide)…
    code = (
        "import gc; from aggregator.memory import collect_cycles_less_often as f, GC_THRESHOLDS;"
        "before = gc.get_threshold(); f();"
        "print(before != GC_THRESHOLDS, gc.get_threshold() == GC_THRESHOLDS)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
    # …and each process of its parsing pool, which starts from Python's defaults
    from aggregator.memory import GC_THRESHOLDS

    code = (
        "import gc; from aggregator.workers import cpu_pool, shutdown_pools;"
        "print(*cpu_pool(1).submit(gc.get_threshold).result()); shutdown_pools()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert tuple(map(int, out.stdout.split())) == GC_THRESHOLDS


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the peak RSS from Linux's /proc"
)
def test_natasha_reads_in_its_own_process_not_the_services() -> None:
    """The attribution reader's models (about 250 MB) load in the reading process: the
    process that asked gets the reading and stays small."""
    code = (
        "import sys; from aggregator.attribution import syntax;"
        "_peak_mb = lambda: int(next(line.split()[1] for line in open('/proc/self/status') "
        "if line.startswith('VmHWM:'))) // 1024;"
        "from aggregator.workers import shutdown_pools;"
        "found = syntax.read('Токаев поздравил Алиева, передает Ulysmedia.kz со ссылкой на "
        "Акорду.');"
        "print([f.name for f in found]); print('natasha' in sys.modules);"
        # VmHWM, not ru_maxrss: that one keeps the peak of the parent it was forked from
        "print(_peak_mb()); shutdown_pools()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    names, natasha_loaded, peak_mb = out.stdout.splitlines()
    assert "Акорда" in names and "Ulysmedia.kz" in names
    assert natasha_loaded == "False"
    assert int(peak_mb) < 150, peak_mb  # natasha's models alone are ~250 MB

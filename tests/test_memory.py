"""Process memory settings (aggregator.memory)."""

from __future__ import annotations

import platform
import subprocess
import sys


def test_malloc_arenas_are_capped_on_glibc_and_left_alone_elsewhere() -> None:
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    # in a fresh interpreter: mallopt is process-wide
    code = "from aggregator.memory import limit_malloc_arenas as f; print(f())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(glibc)

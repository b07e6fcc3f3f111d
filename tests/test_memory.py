"""Process memory settings (aggregator.memory)."""

from __future__ import annotations

import ctypes.util
import platform
import subprocess
import sys

import pytest

from aggregator.memory import limit_malloc_arenas

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="malloc arenas are glibc's")
def test_malloc_arenas_are_capped_on_glibc() -> None:
    # in a fresh interpreter: mallopt is process-wide
    code = "from aggregator.memory import limit_malloc_arenas as f; print(f())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    assert ctypes.util.find_library("c") is not None


@pytest.mark.skipif(GLIBC, reason="elsewhere the call must be a harmless no-op")
def test_malloc_arenas_elsewhere_change_nothing() -> None:
    assert limit_malloc_arenas() is False

"""Process-wide memory settings for the service."""

from __future__ import annotations

import ctypes
import gc
import sys

GC_THRESHOLDS = (50_000, 10, 10)
"""The cyclic garbage collector's thresholds in the service's processes: Python's
(700, 10, 10) with the first raised, so older generations are still collected as
often relative to it. See :func:`collect_cycles_less_often`."""
_M_ARENA_MAX = -8
"""glibc's mallopt parameter for the number of malloc arenas (malloc.h)."""


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (as ``MALLOC_ARENA_MAX`` does), before threads start.

    glibc gives each thread that allocates its own arena, up to 8 per core; the store's
    worker threads then spread freed memory over many arenas that are rarely returned,
    and the peak RSS of a cold refresh grew ~100 MB with it. True when applied (glibc
    only; elsewhere nothing changes)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The interpreter's own symbols, libc's among them: ``ctypes.util.find_library``
        # would run ``ldconfig`` in a subprocess (~15 ms of every command's start).
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False


def collect_cycles_less_often() -> None:
    """Run the cyclic garbage collector less often than Python's default.

    The story decision keeps hundreds of thousands of sets in its caches and makes many
    more per new item. At the default, every 700 new containers started a collection,
    and the full ones walked every cached set: 4.2 s of a 28 s cold refresh of 20,000
    items (1,900 collections). Nearly all our garbage is freed by reference counting at
    once; cycles (tracebacks, asyncio's futures) are still collected, every 50,000
    allocations (7 collections, 0.1 s; the same peak RSS)."""
    gc.set_threshold(*GC_THRESHOLDS)


def return_freed_memory() -> bool:
    """Collect cycles and give the heap's free pages back to the system (glibc's
    ``malloc_trim``): after a large structure is dropped, before the process grows
    again elsewhere (a cold fetch's story window, dropped before publishing loads
    natasha's models). True when trimmed (glibc only)."""
    gc.collect()
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL(None).malloc_trim(0))
    except (OSError, AttributeError):
        return False

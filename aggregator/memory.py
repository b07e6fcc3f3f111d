"""Process-wide memory settings for the service."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

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
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False

"""The service's helper processes: the parsing pool (``fetch.parse_workers``) and the
reading process, where natasha reads attribution sentences so that its models (about
250 MB) stay out of the service's own memory. Each process runs the service's memory
settings and ends with the service, even one killed with SIGKILL."""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from aggregator.memory import collect_cycles_less_often

_pools: dict[str, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def cpu_pool(workers: int) -> ProcessPoolExecutor | None:
    """The process pool for parsing (``fetch.parse_workers``: -1 picks one process per core,
    or none on one core; 0 keeps parsing on a thread of this process). One per core: while
    feeds are parsed, this process mostly waits for them (a cold refresh of 200 × 50 on
    two cores: 12.6 s of fetching with one process, 9.0 s with two)."""
    if workers < 0:
        cores = os.cpu_count() or 1
        workers = cores if cores > 1 else 0
    if workers == 0:
        return None
    return _pool(f"parse-{workers}", workers)


def reading_process() -> ProcessPoolExecutor:
    """The one process that reads Russian sentences with natasha (loaded there on first use)."""
    return _pool("reading", 1)


def _pool(name: str, workers: int) -> ProcessPoolExecutor:
    with _pools_lock:  # a publish and a page request may ask at once, in two threads
        if name not in _pools:
            _pools[name] = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=start_pool_process,
                initargs=(os.getpid(),),
            )
        return _pools[name]


def ahead_process() -> ProcessPoolExecutor:
    """The process that scores story pairs ahead of a settle's decisions (see
    :mod:`aggregator.dedup.ahead`); shut when the settle ends."""
    return _pool("ahead", 1)


def shutdown_ahead_process() -> None:
    with _pools_lock:
        pool = _pools.pop("ahead", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def shutdown_reading_process() -> None:
    """Forget a broken reading process (the next reading starts another)."""
    with _pools_lock:
        pool = _pools.pop("reading", None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pools() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


def start_pool_process(service_pid: int) -> None:
    """A new pool process: the service's memory settings, and an end with the service."""
    collect_cycles_less_often()
    watch_service(service_pid)


def watch_service(service_pid: int) -> None:
    """In a pool process: exit when the service process is gone. A service killed with
    SIGKILL (or by the OOM killer) cannot stop its pool, and the pool's processes would
    wait for work forever, holding the forkserver too (each pair ~120 MB)."""
    threading.Thread(target=_exit_with, args=(service_pid,), daemon=True).start()


def _exit_with(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # readable once the process has ended (Linux 5.3+)
    except (AttributeError, OSError):
        while _alive(pid):
            time.sleep(2.0)
    else:
        select.select([handle], [], [])
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

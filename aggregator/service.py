"""The ``aggregator run`` process: one scheduler per SQLite store (a lock file), the
listening socket bound first, and the scheduler and uvicorn started and stopped together.

Kept apart from ``cli`` so that other commands never import the server and scheduler
stacks (uvicorn, Starlette, APScheduler, the pipeline).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator

import click
import uvicorn

from aggregator import logs
from aggregator.config import Settings
from aggregator.errors import AggregatorError, ListenError
from aggregator.scheduler import Service
from aggregator.server import AppContext, create_app, listen
from aggregator.storage import Store

log = logging.getLogger("aggregator")


@contextlib.contextmanager
def listening(host: str, port: int) -> Iterator[socket.socket]:
    """The service's socket, bound before anything starts; a port in use: one line, exit 1."""
    try:
        listener = listen(host, port)
    except ListenError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    with listener:
        yield listener


@contextlib.contextmanager
def single_scheduler(settings: Settings) -> Iterator[None]:
    """Only one ``aggregator run`` per SQLite store: a second one says so and exits 1.
    (With PostgreSQL, several processes share the database by design.)"""
    if settings.config.database is not None:
        yield
        return
    lock_path = settings.store_dir / "aggregator.lock"
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            click.echo(
                f"error: another 'aggregator run' (pid {owner}) is using the store "
                f"{settings.store_dir}; stop it first",
                err=True,
            )
            sys.exit(1)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ``aggregator run`` owns SIGINT/SIGTERM so
    that it can stop the scheduler too, and exit 0 after a clean stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def serve(settings: Settings, store: Store, listener: socket.socket, url: str) -> int:
    """Run the scheduler and the HTTP server until SIGINT/SIGTERM; the exit code."""
    return asyncio.run(_serve(settings, store, listener, url))


async def _serve(settings: Settings, store: Store, listener: socket.socket, url: str) -> int:
    service = Service(settings, store)
    app = create_app(
        AppContext(
            settings=lambda: service.settings,
            store=store,
            healthy=lambda: service.running and store.ping(),
            config_error=lambda: service.config_error,
        )
    )
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    loop = asyncio.get_running_loop()

    def request_stop(signum: int) -> None:
        logs.event(log, logging.INFO, "stopping", signal=signal.Signals(signum).name)
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop, signum)
    try:
        await service.start()
    except AggregatorError as exc:  # a full disk as the sources are registered
        click.echo(f"error: {exc}", err=True)
        return 1
    logs.event(log, logging.INFO, "serving", url=url, store=str(settings.store_dir))
    try:
        await server.serve(sockets=[listener])
    finally:
        await service.stop()
    return 0 if server.started else 1

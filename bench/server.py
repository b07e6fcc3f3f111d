"""A fast local feed server for the benchmark: serves a corpus made by ``corpus.py``.

asyncio streams on 127.0.0.1, HTTP/1.1 keep-alive, every response (headers and body) in
one write with TCP_NODELAY. ETag / Last-Modified with 304, gzip when asked, optional
latency per request, error injection by fraction (500, timeouts, 301, malformed XML), and
request counters.

In-process::

    server = CorpusServer(Path("corpus"), ServerOptions(latency=(0.05, 0.25)))
    server.start()            # port 0: a free port; server.base_url
    ...
    server.stop()

``CorpusServer(root, hosts=loopback_hosts(50))`` listens on 127.0.0.1 … 127.0.0.50 (each
on its own port): ``server.url(path, index)`` spreads feeds over them, as real feeds are
spread over hosts, so per-host politeness limits do not serialize a run.

Command line::

    python bench/server.py --corpus DIR [--port 8000] [--latency 50-250] [--error-500 0.01]
        [--timeouts 0.01] [--redirects 0.01] [--malformed 0.01] [--duration SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import json
import random
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

LAST_MODIFIED = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
IDLE_TIMEOUT = 30.0
MAX_REQUESTS_PER_CONNECTION = 100_000
MAX_HEADER_BYTES = 64 * 1024
REASONS = {
    200: "OK",
    301: "Moved Permanently",
    304: "Not Modified",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
EXTENSION_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".xml": "application/xml",
}


@dataclass
class ServerOptions:
    """What the server does besides serving; fractions are of all requests."""

    latency: tuple[float, float] = (0.0, 0.0)
    """Uniform delay per request, seconds (low, high)."""
    error_500: float = 0.0
    timeouts: float = 0.0
    """Fraction of requests that get no answer for ``hang_seconds``, then a closed socket."""
    redirects: float = 0.0
    """Fraction answered 301 to the same path with ``?moved=1`` (that one is served)."""
    malformed: float = 0.0
    """Fraction whose body is cut in half (malformed XML)."""
    hang_seconds: float = 30.0
    seed: int = 0


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str
    etag: str
    last_modified: str
    mtime: datetime


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    version: str


def load_documents(root: Path) -> dict[str, Document]:
    """Every corpus file by URL path (``/feeds/f0001.rss``), with its validators."""
    types: dict[str, str] = {}
    manifest = root / "manifest.json"
    if manifest.exists():
        for row in json.loads(manifest.read_text(encoding="utf-8"))["feed_list"]:
            types[row["path"]] = row["content_type"]
    docs = {}
    stamp = format_datetime(LAST_MODIFIED, usegmt=True)
    for path in sorted((root / "feeds").glob("*")):
        rel = path.relative_to(root).as_posix()
        body = path.read_bytes()
        digest = hashlib.sha1(body, usedforsecurity=False).hexdigest()[:24]
        kind = types.get(rel) or EXTENSION_TYPES.get(path.suffix, "application/octet-stream")
        docs["/" + rel] = Document(body, kind, f'"{digest}"', stamp, LAST_MODIFIED)
    return docs


class CorpusServer:
    """The server; ``start()`` runs it in a thread with its own event loop."""

    def __init__(
        self,
        root: Path,
        options: ServerOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        hosts: Sequence[str] = (),
    ) -> None:
        self.root = root
        self.options = options or ServerOptions()
        self.host = host
        self.port = port
        self.hosts = tuple(hosts) or (host,)
        self.addresses: list[tuple[str, int]] = []
        """(host, port) of each listening socket, in the order of ``hosts``."""
        self.documents = load_documents(root)
        self.counts: Counter[str] = Counter()
        self.bytes_sent = 0
        self._gzip: dict[str, bytes] = {}
        self._rng = random.Random(self.options.seed)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, rel_path: str, index: int = 0) -> str:
        """The URL of ``rel_path`` on the ``index``-th address (modulo their count)."""
        host, port = self.addresses[index % len(self.addresses)]
        return f"http://{host}:{port}/{rel_path.lstrip('/')}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name="corpus-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the corpus server did not start")

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> CorpusServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.bytes_sent = 0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {**self.counts, "bytes_sent": self.bytes_sent}

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(
            self._connection, self.hosts, self.port, backlog=2048, limit=MAX_HEADER_BYTES
        )
        bound = {s.getsockname()[0]: s.getsockname()[1] for s in server.sockets}
        first = server.sockets[0].getsockname()[1]  # a name ("localhost") is not a key
        self.addresses = [(host, bound.get(host, first)) for host in self.hosts]
        self.host, self.port = self.addresses[0]
        self._ready.set()
        async with server:
            await self._stop.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=5)

    # -- connections ---------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # type: ignore[arg-type]
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await self._requests(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                return
            request = parse_request(head)
            if request is None:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            length = int(request.headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(min(length, MAX_HEADER_BYTES))
            response = await self.respond(request)
            if response is None:  # an injected timeout: hang, then drop the connection
                await asyncio.sleep(self.options.hang_seconds)
                return
            writer.write(response)
            with self._lock:
                self.bytes_sent += len(response)
            await writer.drain()
            if request.headers.get("connection", "").lower() == "close" or request.version == (
                "HTTP/1.0"
            ):
                return

    # -- responses -----------------------------------------------------------------------

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def _injected(self, request: Request) -> str | None:
        o = self.options
        roll = self._rng.random()
        for kind, share in (
            ("500", o.error_500),
            ("timeout", o.timeouts),
            ("301", o.redirects),
            ("malformed", o.malformed),
        ):
            if roll < share:
                if kind == "301" and "moved=1" in request.query:
                    return None
                return kind
            roll -= share
        return None

    async def respond(self, request: Request) -> bytes | None:
        """The complete response to ``request``; None for an injected timeout."""
        self._count("requests")
        low, high = self.options.latency
        if high > 0:
            await asyncio.sleep(self._rng.uniform(low, high))
        if request.method not in ("GET", "HEAD"):
            self._count("405")
            return build_response(405, {}, b"", head=False)
        doc = self.documents.get(request.path)
        if doc is None:
            self._count("404")
            return build_response(404, {"Content-Type": "text/plain"}, b"not found\n", head=False)
        injected = self._injected(request)
        if injected is not None:
            self._count(injected)
        if injected == "timeout":
            return None
        if injected == "500":
            return build_response(500, {"Content-Type": "text/plain"}, b"oops\n", head=False)
        if injected == "301":
            location = f"{request.path}?moved=1"
            return build_response(301, {"Location": location}, b"", head=False)
        return self._document(request, doc, malformed=injected == "malformed")

    def _document(self, request: Request, doc: Document, *, malformed: bool) -> bytes:
        gz = "gzip" in request.headers.get("accept-encoding", "")
        etag = doc.etag[:-1] + '-gz"' if gz else doc.etag
        headers = {
            "Content-Type": doc.content_type,
            "ETag": etag,
            "Last-Modified": doc.last_modified,
            "Vary": "Accept-Encoding",
            "Cache-Control": "max-age=0",
        }
        if not malformed and _not_modified(request.headers, doc):
            self._count("304")
            return build_response(304, headers, b"", head=True)
        body = doc.body[: len(doc.body) // 2] if malformed else doc.body
        if gz:
            body = self._gzipped(request.path, body) if not malformed else gzip.compress(body, 1)
            headers["Content-Encoding"] = "gzip"
        if malformed:
            headers.pop("ETag")
            headers.pop("Last-Modified")
        self._count("200")
        return build_response(200, headers, body, head=request.method == "HEAD")

    def _gzipped(self, path: str, body: bytes) -> bytes:
        cached = self._gzip.get(path)
        if cached is None:
            cached = gzip.compress(body, 5)
            self._gzip[path] = cached
        return cached


def loopback_hosts(count: int) -> tuple[str, ...]:
    """127.0.0.1 … 127.0.0.<count>: Linux routes all of 127.0.0.0/8 to the loopback."""
    if not 1 <= count <= 254:
        raise ValueError(f"{count} loopback hosts: 1 to 254")
    return tuple(f"127.0.0.{n}" for n in range(1, count + 1))


def _not_modified(headers: dict[str, str], doc: Document) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/").replace('-gz"', '"') for t in if_none_match.split(",")}
        return doc.etag in tags or "*" in tags
    since = headers.get("if-modified-since")
    if since:
        try:
            return parsedate_to_datetime(since) >= doc.mtime
        except (TypeError, ValueError):
            return False
    return False


def parse_request(head: bytes) -> Request | None:
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    parts = urlsplit(target)
    return Request(method, parts.path, parts.query, headers, version)


def build_response(status: int, headers: dict[str, str], body: bytes, *, head: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}",
        f"Date: {formatdate(usegmt=True)}",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if status != 304:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return data if head or status == 304 else data + body


# -- command line ------------------------------------------------------------------------


def parse_latency(text: str) -> tuple[float, float]:
    """``"50-250"`` (ms) → (0.05, 0.25); ``"100"`` → (0.1, 0.1)."""
    low, _, high = text.partition("-")
    lo = float(low) / 1000
    return lo, float(high or low) / 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a benchmark corpus over HTTP.")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency", type=parse_latency, default=(0.0, 0.0), help="ms, LOW-HIGH")
    parser.add_argument("--error-500", type=float, default=0.0)
    parser.add_argument("--timeouts", type=float, default=0.0)
    parser.add_argument("--redirects", type=float, default=0.0)
    parser.add_argument("--malformed", type=float, default=0.0)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--duration", type=float, default=86400.0, help="stop after seconds")
    args = parser.parse_args(argv)
    options = ServerOptions(
        latency=args.latency,
        error_500=args.error_500,
        timeouts=args.timeouts,
        redirects=args.redirects,
        malformed=args.malformed,
        hang_seconds=args.hang_seconds,
    )
    server = CorpusServer(args.corpus, options, port=args.port)
    server.start()
    print(f"serving {len(server.documents)} files at {server.base_url}/feeds/", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    deadline = time.monotonic() + args.duration
    while not stop.is_set() and time.monotonic() < deadline:
        stop.wait(1.0)
    server.stop()
    print(json.dumps(server.snapshot()))


if __name__ == "__main__":
    main()

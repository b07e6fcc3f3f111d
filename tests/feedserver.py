"""A real, threaded HTTP server that serves fixture feeds to tests.

Standard library only.  It binds to ``127.0.0.1`` on a free port, speaks
HTTP/1.1 with keep-alive, records every request and supports conditional
GET, gzip, error statuses, redirects, slow and dripping responses and large
bodies.  See :class:`FeedServer` for the routes.

Each ordinary response (status line, headers and body) is sent with a single
socket write and ``TCP_NODELAY`` is set on every connection, so Nagle's
algorithm never delays a response by ~40 ms.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from email.message import Message

#: Last-Modified of every file as found in the data directory.  Each
#: :meth:`FeedServer.set_file` call moves that file's date one second later.
BASE_LAST_MODIFIED = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)

CONTENT_TYPES: dict[str, str] = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".xml": "application/xml",
    ".html": "text/html; charset=utf-8",
}
#: Files whose Content-Type carries an explicit charset parameter.
CHARSETS: dict[str, str] = {"cp1251.rss": "windows-1251"}

DRIP_PREFIX = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
BIG_PREFIX = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
    b"<title>Big feed</title><link>https://example.kz/</link>"
    b"<description>Padding follows</description>\n<!-- "
)
CHUNK_SIZE = 64 * 1024
MEBIBYTE = 1024 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it, before it answered."""

    method: str
    path: str
    headers: dict[str, str]
    #: The client's TCP port: equal ports mean one reused connection.
    peer_port: int = 0
    received_at: float = field(default_factory=time.monotonic)

    def header(self, name: str, default: str | None = None) -> str | None:
        """Return the header ``name`` (case-insensitive), or ``default``."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    @property
    def route(self) -> str:
        """The path without its query string."""
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        """The query string as a dict (last value wins)."""
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}


@dataclass(frozen=True)
class Response:
    """A complete response, serialized and written in one go."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: A streamed body is written separately: no automatic Content-Length.
    streamed: bool = False

    def to_bytes(self, *, head: bool, close: bool) -> bytes:
        """Serialize status line, headers and (unless ``head``) the body."""
        lines = [f"HTTP/1.1 {self.status} {reason(self.status)}"]
        headers = {
            "Date": formatdate(usegmt=True),
            "Server": "FeedServer/1.0",
            **self.headers,
        }
        if has_body(self.status) and not self.streamed:
            headers.setdefault("Content-Length", str(len(self.body)))
        headers["Connection"] = "close" if close else "keep-alive"
        lines += [f"{name}: {value}" for name, value in headers.items()]
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if head or not has_body(self.status):
            return head_bytes
        return head_bytes + self.body


def reason(status: int) -> str:
    """Return the standard reason phrase of ``status``."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def has_body(status: int) -> bool:
    """Whether a response with ``status`` may carry a body."""
    return status >= 200 and status not in (204, 304)


def make_etag(body: bytes) -> str:
    """A strong ETag: the quoted SHA-1 of ``body``."""
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of ``If-None-Match`` against ``etag`` (RFC 9110)."""
    if header.strip() == "*":
        return True
    tags = (tag.strip().removeprefix("W/") for tag in header.split(","))
    return etag.removeprefix("W/") in tags


def not_modified_since(header: str, last_modified: datetime) -> bool:
    """Whether ``If-Modified-Since: header`` is at or after ``last_modified``."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return since >= last_modified


def content_type(name: str) -> str:
    """The Content-Type for the fixture file ``name``."""
    base = CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
    charset = CHARSETS.get(name)
    return f"{base}; charset={charset}" if charset else base


def text_response(status: int, text: str, **headers: str) -> Response:
    """A short ``text/plain`` response."""
    body = (text + "\n").encode() if has_body(status) else b""
    return Response(status, {"Content-Type": "text/plain; charset=utf-8", **headers}, body)


class BadRequest(ValueError):
    """A query parameter could not be parsed; answered with 400."""


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its :class:`FeedServer` and its sockets."""

    daemon_threads = True
    block_on_close = True

    def __init__(self, owner: FeedServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup HTTPServer does."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        """Keep errors for inspection instead of printing them to stderr."""
        self.owner.errors.append(repr(client_address))


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to :class:`FeedServer`; see its docstring."""

    protocol_version = "HTTP/1.1"
    server_version = "FeedServer/1.0"
    timeout = 30  # safety net: idle keep-alive connections end eventually
    server: _HTTPServer

    def setup(self) -> None:
        """Disable Nagle and register the connection so stop() can end it."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._register(self.connection)

    def finish(self) -> None:
        """Unregister the connection, then close the streams."""
        self.server.owner._unregister(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def handle(self) -> None:
        """Serve requests until the connection closes; ignore disconnects."""
        try:
            super().handle()
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing."""

    def do_GET(self) -> None:
        """Handle GET."""
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        """Handle HEAD: like GET, without the body."""
        self._dispatch(head=True)

    def do_POST(self) -> None:
        """Record and refuse other methods with 405."""
        self._discard_body()
        owner = self.server.owner
        owner._record(self.command, self.path, self.headers.items(), self.client_address[1])
        self._send(text_response(405, "method not allowed", Allow="GET, HEAD"), head=False)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def _dispatch(self, *, head: bool) -> None:
        owner = self.server.owner
        owner._record(self.command, self.path, self.headers.items(), self.client_address[1])
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/drip":
                self._drip(query, head=head)
            elif url.path == "/big":
                self._big(query, head=head)
            else:
                response = owner._route(url.path, query, self.headers)
                if response is not None:
                    self._send(response, head=head)
        except BadRequest as exc:
            self._send(text_response(400, f"bad request: {exc}"), head=head)

    def _send(self, response: Response, *, head: bool) -> None:
        """Write the whole response with one ``write`` call."""
        if response.headers.get("Connection") == "close":
            self.close_connection = True
        self.wfile.write(response.to_bytes(head=head, close=self.close_connection))

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _drip(self, query: Mapping[str, str], *, head: bool) -> None:
        """Headers now, then one byte per ``interval`` for ``seconds``."""
        seconds = _number(query, "seconds", 10.0)
        interval = _number(query, "interval", 1.0)
        self.close_connection = True
        headers = Response(200, {"Content-Type": "application/rss+xml"}, streamed=True)
        self.wfile.write(headers.to_bytes(head=True, close=True))
        if head or interval <= 0:
            return
        stopping = self.server.owner.stopping
        for index in range(int(seconds / interval)):
            if stopping.wait(interval):
                return
            self.wfile.write(DRIP_PREFIX[index : index + 1] or b" ")

    def _big(self, query: Mapping[str, str], *, head: bool) -> None:
        """Stream ``mb`` MiB: an RSS prefix followed by padding."""
        size = max(int(_number(query, "mb", 1.0) * MEBIBYTE), len(BIG_PREFIX))
        headers = {"Content-Type": "application/rss+xml", "Content-Length": str(size)}
        self.wfile.write(Response(200, headers).to_bytes(head=True, close=self.close_connection))
        if head:
            return
        self.wfile.write(BIG_PREFIX)
        remaining = size - len(BIG_PREFIX)
        padding = b"x" * CHUNK_SIZE
        stopping = self.server.owner.stopping
        while remaining > 0 and not stopping.is_set():
            chunk = padding[: min(CHUNK_SIZE, remaining)]
            self.wfile.write(chunk)
            remaining -= len(chunk)
        if remaining:
            self.close_connection = True


def _number(query: Mapping[str, str], name: str, default: float) -> float:
    """Parse the float query parameter ``name``."""
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name}={raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise BadRequest(f"{name}={raw!r}")
    return value


class FeedServer:
    """Serve the files of ``data_dir`` over HTTP on ``127.0.0.1``.

    Routes (GET and HEAD):

    ``/feeds/<name>``
        The file, with a Content-Type from its extension, a strong ``ETag``
        (quoted SHA-1 of the body as sent) and ``Last-Modified``.  Answers
        304 when ``If-None-Match`` matches, or, without ``If-None-Match``,
        when ``If-Modified-Since`` is at or after ``Last-Modified``.  With
        ``?gzip=1`` and ``Accept-Encoding: gzip`` the body is gzipped.
    ``/status/<code>``
        That status.  429/503 get ``Retry-After`` (query ``retry_after``,
        default 120); 301/302/303/307/308 get ``Location`` from query ``to``.
    ``/redirect/<code>/<name>``
        Redirect with ``code`` to ``/feeds/<name>`` (relative Location,
        query string kept).
    ``/slow/<name>?delay=S``
        Like ``/feeds/<name>`` after ``S`` seconds.
    ``/drip?seconds=N[&interval=I]``
        200 without Content-Length, then one byte every ``I`` (default 1)
        seconds for ``N`` seconds, then close.
    ``/big?mb=N``
        ``N`` MiB (float) of RSS prefix and padding, with Content-Length.
    ``/loop/<code>/<0|1>``
        A redirect cycle between ``/loop/<code>/0`` and ``/loop/<code>/1``.
    ``/wrong-type/<name>``
        The file served as ``text/html``.

    Anything else is 404; other methods get 405.  Every request is recorded
    before it is answered.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.stopping = threading.Event()
        #: ``repr`` of client addresses whose handler raised unexpectedly.
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._overrides: dict[str, bytes] = {}
        self._generations: dict[str, int] = {}
        self._requests: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Bind a free port and serve in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("FeedServer already started")
        self.stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FeedServer",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, end open connections and join every thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        with self._lock:
            self.stopping.set()
            connections = list(self._connections)
        for conn in connections:
            _shutdown_socket(conn)
        httpd.server_close()  # joins the handler threads
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._httpd is None:
            raise RuntimeError("FeedServer not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (with or without a leading slash)."""
        return self.base_url + "/" + path.lstrip("/")

    # -- recorded requests -------------------------------------------------

    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests in arrival order, optionally only for ``path``.

        A ``path`` containing ``?`` must equal the full recorded path; one
        without matches the path part regardless of the query string.
        """
        with self._lock:
            recorded = list(self._requests)
        if path is None:
            return recorded
        if "?" in path:
            return [r for r in recorded if r.path == path]
        return [r for r in recorded if r.route == path]

    def hits(self, path: str | None = None) -> int:
        """How many requests were recorded (for ``path``, as in requests())."""
        return len(self.requests(path))

    def clear(self) -> None:
        """Forget recorded requests (and so the hit counts)."""
        with self._lock:
            self._requests.clear()
            self.errors.clear()

    def reset(self) -> None:
        """:meth:`clear`, and drop every :meth:`set_file` override."""
        with self._lock:
            self._requests.clear()
            self.errors.clear()
            self._overrides.clear()
            self._generations.clear()

    # -- served content ----------------------------------------------------

    def set_file(self, name: str, content: bytes) -> None:
        """Serve ``content`` as ``name`` from now on (thread-safe).

        Each call moves the file's Last-Modified one second later.
        """
        _check_name(name)
        with self._lock:
            self._overrides[name] = bytes(content)
            self._generations[name] = self._generations.get(name, 0) + 1

    def content(self, name: str) -> bytes | None:
        """The bytes served for ``name`` (override or file), or ``None``."""
        with self._lock:
            override = self._overrides.get(name)
        if override is not None:
            return override
        path = self.data_dir / name
        return path.read_bytes() if path.is_file() else None

    def etag(self, name: str, *, gzipped: bool = False) -> str:
        """The ETag currently sent for ``name``."""
        body = self.content(name)
        if body is None:
            raise FileNotFoundError(name)
        return make_etag(gzip.compress(body, mtime=0) if gzipped else body)

    def last_modified(self, name: str) -> datetime:
        """The Last-Modified currently sent for ``name``."""
        with self._lock:
            generation = self._generations.get(name, 0)
        return BASE_LAST_MODIFIED + timedelta(seconds=generation)

    # -- internals used by the handler -------------------------------------

    def _record(
        self, method: str, path: str, headers: Iterable[tuple[str, str]], peer_port: int
    ) -> None:
        merged: dict[str, str] = {}
        for key, value in headers:
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        with self._lock:
            self._requests.append(RecordedRequest(method, path, merged, peer_port))

    def _register(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)
            stopping = self.stopping.is_set()
        if stopping:
            _shutdown_socket(conn)

    def _unregister(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _route(self, path: str, query: Mapping[str, str], headers: Message) -> Response | None:
        """Build the response for ``path``; ``None`` means: send nothing."""
        parts = path.strip("/").split("/")
        match parts:
            case ["feeds", name]:
                return self._feed(name, query, headers)
            case ["wrong-type", name]:
                return self._feed(name, query, headers, forced_type="text/html")
            case ["slow", name]:
                if self.stopping.wait(_number(query, "delay", 1.0)):
                    return None
                return self._feed(name, query, headers)
            case ["status", code]:
                return self._status(_status_code(code), query)
            case ["redirect", code, name]:
                return self._redirect(_status_code(code), name, query)
            case ["loop", code, step]:
                # /loop/301/0 → /loop/301/1 → /loop/301/0 …: a redirect cycle.
                nxt = "1" if step == "0" else "0"
                return text_response(_status_code(code), "loop", Location=f"/loop/{code}/{nxt}")
        return text_response(404, "not found")

    def _feed(
        self,
        name: str,
        query: Mapping[str, str],
        headers: Message,
        forced_type: str | None = None,
    ) -> Response:
        if not _valid_name(name) or (body := self.content(name)) is None:
            return text_response(404, "not found")
        out = {"Content-Type": forced_type or content_type(name)}
        accept = headers.get("Accept-Encoding", "") or ""
        if query.get("gzip") == "1":
            out["Vary"] = "Accept-Encoding"
            if "gzip" in accept.lower():
                body = gzip.compress(body, mtime=0)
                out["Content-Encoding"] = "gzip"
        etag = make_etag(body)
        modified = self.last_modified(name)
        out["ETag"] = etag
        out["Last-Modified"] = format_datetime(modified, usegmt=True)
        if _is_not_modified(headers, etag, modified):
            return Response(304, {k: v for k, v in out.items() if k != "Content-Type"})
        return Response(200, out, body)

    @staticmethod
    def _status(code: int, query: Mapping[str, str]) -> Response:
        extra: dict[str, str] = {}
        if code in (429, 503):
            extra["Retry-After"] = query.get("retry_after", "120")
        if code in (301, 302, 303, 307, 308) and "to" in query:
            extra["Location"] = query["to"]
        return text_response(code, f"{code} {reason(code)}", **extra)

    @staticmethod
    def _redirect(code: int, name: str, query: Mapping[str, str]) -> Response:
        location = f"/feeds/{name}"
        if query:
            location += "?" + urlencode(query)
        return text_response(code, f"see {location}", Location=location)


def _is_not_modified(headers: Message, etag: str, modified: datetime) -> bool:
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    if_modified_since = headers.get("If-Modified-Since")
    return if_modified_since is not None and not_modified_since(if_modified_since, modified)


def _status_code(raw: str) -> int:
    if not raw.isdigit() or not 200 <= int(raw) <= 599:
        raise BadRequest(f"status {raw!r}")
    return int(raw)


def _valid_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _check_name(name: str) -> None:
    if not _valid_name(name):
        raise ValueError(f"invalid file name: {name!r}")


def _shutdown_socket(conn: socket.socket) -> None:
    """Wake a handler blocked on ``conn``; closing is left to the handler."""
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


def rss_document(outlet: str, items: list[tuple[str, str, str, str]]) -> bytes:
    """A small RSS 2.0 feed of (guid, title, description, pubDate) items, for tests that
    serve a feed of their own with ``FeedServer.set_file``."""
    body = "".join(
        f"<item><guid>{guid}</guid><link>https://{outlet}/{guid}</link><title>{title}</title>"
        f"<description>{text}</description><pubDate>{date}</pubDate></item>"
        for guid, title, text, date in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{outlet}</title><link>https://{outlet}/</link>{body}</channel></rss>"
    ).encode()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now, for a service under test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_aggregator(
    workdir: Path, port: int, *options: str, output: IO[str] | int = subprocess.PIPE
) -> subprocess.Popen[str]:
    """``aggregator [options] run --port PORT`` in ``workdir`` (its feeds.yaml), as a user
    starts it, its output (unbuffered) to ``output``."""
    return subprocess.Popen(
        [sys.executable, "-m", "aggregator", *options, "run", "--port", str(port)],
        cwd=workdir,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )

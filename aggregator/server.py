"""The Starlette app: the outputs with ETag/304/gzip, paging, /status, /healthz, /metrics.

The first page of every output is rendered into the store's ``public/`` folder by
``publish``; the app serves those files from memory, re-reading one only when it changed
on disk. Later pages (``?page=2``) are rendered from the store on request.
"""

from __future__ import annotations

import asyncio
import errno
import gzip
import hashlib
import html
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from aggregator import labels, metrics, status
from aggregator.config import Settings
from aggregator.errors import ListenError
from aggregator.manage import export_opml
from aggregator.publish import KINDS, output_file, output_views, render_view
from aggregator.storage import SourceState, Store

CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "opml": "text/x-opml; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=60"
BACKLOG = 2048
MAX_PAGE = 1000


@dataclass
class _Cached:
    mtime_ns: int
    body: bytes
    etag: str
    last_modified: datetime
    _gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        """The body compressed once, not on every request (it dominated serving)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


class OutputFiles:
    """The rendered files, cached in memory and refreshed when their mtime changes."""

    def __init__(self, public_dir: Path) -> None:
        self.public_dir = public_dir
        self._cache: dict[str, _Cached] = {}

    def get(self, name: str) -> _Cached | None:
        path = self.public_dir / name
        try:
            mtime_ns = path.stat().st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            return None
        cached = self._cache.get(name)
        if cached is None or cached.mtime_ns != mtime_ns:
            body = path.read_bytes()
            cached = _cached(body, datetime.fromtimestamp(mtime_ns // 1_000_000_000, tz=UTC))
            cached.mtime_ns = mtime_ns
            self._cache[name] = cached
        return cached


def _cached(body: bytes, modified: datetime) -> _Cached:
    return _Cached(0, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', modified)


@dataclass
class AppContext:
    """What the app reads: the current settings (they change on reload), the store, and
    the service's health."""

    settings: Callable[[], Settings]
    store: Store | None = None
    healthy: Callable[[], bool] = lambda: True
    config_error: Callable[[], str | None] = lambda: None


def create_app(context: AppContext | Path) -> Starlette:
    """The HTTP app serving the outputs (a bare ``Path`` serves a public folder alone)."""
    if isinstance(context, Path):
        folder = context
        return _app(folder, None)
    return _app(None, context)


def _app(folder: Path | None, context: AppContext | None) -> Starlette:
    def public_dir() -> Path:
        return context.settings().public_dir if context else folder  # type: ignore[return-value]

    files: dict[Path, OutputFiles] = {}

    def output_file(name: str) -> _Cached | None:
        directory = public_dir()
        return files.setdefault(directory, OutputFiles(directory)).get(name)

    async def serve_output(request: Request) -> Response:
        found = _resolve(request.url.path, context)
        if found is None:
            return _count(request, PlainTextResponse("not found\n", status_code=404))
        output_id, kind = found
        page = _page(request)
        if page is None:
            return _count(request, PlainTextResponse("bad page number\n", status_code=400))
        if page == 1 or context is None or context.store is None:
            name = _file_name(output_id, kind)
            return _count(request, _file_response(request, output_file(name), kind))
        # An older page is dated by the last publish, not by the request: its body, and
        # so its ETag, stay the same until the store changes.
        first_page = output_file(_file_name(output_id, kind))
        built = first_page.last_modified if first_page else datetime.now(UTC)
        # In a thread: an older page may hold entries whose texts were never read
        # (attribution), and the event loop keeps serving meanwhile.
        rendered = await asyncio.to_thread(
            render_view, context.store, context.settings(), output_id, page, built
        )
        if rendered is None:
            return _count(request, PlainTextResponse("not found\n", status_code=404))
        body = getattr(rendered, kind)
        return _count(request, _file_response(request, _cached(body, built), kind))

    async def healthz(_request: Request) -> Response:
        ok = context.healthy() if context else True
        return PlainTextResponse("ok\n" if ok else "unhealthy\n", status_code=200 if ok else 503)

    async def metrics_endpoint(_request: Request) -> Response:
        if context and context.store:
            ids = [s.id for s in context.settings().sources]
            metrics.SOURCES_IN_ERROR.set(context.store.sources_in_error(ids))
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def status_page(_request: Request) -> Response:
        if context is None or context.store is None:
            return PlainTextResponse("no store\n", status_code=404)
        settings = context.settings()
        states = context.store.source_states([s.id for s in settings.sources])
        page = render_status(states, settings, context.config_error(), datetime.now(UTC))
        return Response(
            page, media_type=CONTENT_TYPES["html"], headers={"Cache-Control": "no-cache"}
        )

    async def sources_opml(_request: Request) -> Response:
        if context is None:
            return PlainTextResponse("not found\n", status_code=404)
        body = export_opml(context.settings())
        return _file_response(_request, _cached(body, datetime.now(UTC)), "opml")

    routes = [
        Route("/sources.opml", sources_opml, methods=["GET", "HEAD"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/status", status_page, methods=["GET", "HEAD"]),
        Route("/{path:path}", serve_output, methods=["GET", "HEAD"]),
    ]
    return Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=500)])


def _resolve(path: str, context: AppContext | None) -> tuple[str, str] | None:
    """URL path → (output id, kind); ``""`` is the combined output."""
    names = {"/": ("", "html"), "/index.html": ("", "html")}
    names.update({"/" + output_file("", kind): ("", kind) for kind in KINDS})
    if path in names:
        return names[path]
    if not path.startswith("/feeds/") or "." not in path:
        return None
    stem, _, suffix = path.removeprefix("/feeds/").rpartition(".")
    kind = {"xml": "rss", "atom": "atom", "json": "json", "html": "html"}.get(suffix)
    if kind is None:
        return None
    if context is not None and stem not in output_views(context.settings()):
        return None
    return stem, kind


def _file_name(output_id: str, kind: str) -> str:
    return output_file(f"feeds/{output_id}" if output_id else "", kind)


def _page(request: Request) -> int | None:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return int(raw)


def _count(request: Request, response: Response) -> Response:
    path = request.url.path if request.url.path.count("/") <= 2 else "/feeds/*"
    metrics.OUTPUT_REQUESTS.labels(path, str(response.status_code)).inc()
    return response


def _file_response(request: Request, cached: _Cached | None, kind: str) -> Response:
    if cached is None:
        return PlainTextResponse(
            "not published yet\n", status_code=503, headers={"Retry-After": "5"}
        )
    compress = "gzip" in request.headers.get("accept-encoding", "") and len(cached.body) > 500
    headers = {
        # A strong ETag names one representation: the gzipped one gets its own.
        "ETag": cached.etag[:-1] + '-gz"' if compress else cached.etag,
        "Last-Modified": format_datetime(cached.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
    }
    if _not_modified(request, cached):
        return Response(status_code=304, headers=headers)
    if compress:
        headers["Content-Encoding"] = "gzip"
        return Response(cached.gzipped(), media_type=CONTENT_TYPES[kind], headers=headers)
    return Response(cached.body, media_type=CONTENT_TYPES[kind], headers=headers)


def _not_modified(request: Request, cached: _Cached) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        # Either representation's tag validates: the content is the same.
        return bool({cached.etag, cached.etag[:-1] + '-gz"', "*"} & tags)
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return cached.last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


# -- the status page ---------------------------------------------------------------------

_STATUS_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:1rem;color:#1d2330}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde1e7;
padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f3f5f8}
.error{color:#b42318}.ok{color:#067647}.notice{background:#fff4e5;padding:.6rem;
border-radius:6px}@media (max-width:700px){td,th{font-size:.8rem;padding:.25rem}}
"""


def render_status(
    states: list[SourceState], settings: Settings, config_error: str | None, now: datetime
) -> bytes:
    """The operator's page: per source the last fetch, HTTP status, items, last new item,
    errors, next fetch and why; worded in the output's language."""
    esc = html.escape
    language = labels.language_of(settings.config.output.language)
    rows = "\n".join(_status_row(state, now, language) for state in states)
    warning = (
        f'<p class="notice error">{esc(labels.label("status.config_error", language))}'
        f"<br><code>{esc(config_error)}</code></p>"
        if config_error
        else ""
    )
    failing = sum(1 for s in states if status.failing(s))
    title = labels.label("status.title", language)
    summary = labels.label(
        "status.summary",
        language,
        total=len(states),
        failing=failing,
        time=f"{now:%Y-%m-%d %H:%M:%S}",
    )
    headings = "".join(f"<th>{esc(status.column_title(c, language))}</th>" for c in status.COLUMNS)
    page = f"""<!DOCTYPE html>
<html lang="{esc(language)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} — {esc(settings.config.output.title)}</title>
<style>{_STATUS_STYLE}</style></head>
<body><h1>{esc(title)}</h1>
<p>{esc(summary)}</p>
{warning}
<table><thead><tr>{headings}</tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""
    return page.encode("utf-8")


def _status_row(state: SourceState, now: datetime, language: str) -> str:
    css = "error" if status.failing(state) else "ok"
    cells = status.status_cells(state, now, language)
    row = "".join(f"<td>{html.escape(cells[c])}</td>" for c in status.COLUMNS)
    return f'<tr class="{css}">{row}</tr>'


def listen(host: str, port: int) -> socket.socket:
    """The service's listening socket, bound before anything else starts: a port in use is
    then one clear error, not a service that logs "serving" and dies in uvicorn.

    Raises:
        ListenError: the port is in use, or ``host`` is not an address of this machine.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ListenError(
            f"cannot listen on {host}: {exc.strerror}; set --host", host=host, port=port
        ) from exc
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(BACKLOG)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            message = f"port {port} is in use; set --port"
        else:
            message = f"cannot listen on {host}:{port}: {exc.strerror}; set --host or --port"
        raise ListenError(message, host=host, port=port) from exc
    return listener

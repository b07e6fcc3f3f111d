"""The Starlette app: the output feeds with ETag/304/gzip, /healthz.

The files are rendered by ``publish`` into the store's ``public/`` folder; the app serves
them from memory, re-reading a file only when it changed on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
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

CONTENT_TYPES = {
    "feed.xml": "application/rss+xml; charset=utf-8",
    "feed.atom": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=60"


@dataclass(frozen=True)
class _Cached:
    mtime_ns: int
    body: bytes
    etag: str
    last_modified: datetime


class OutputFiles:
    """The rendered files, cached in memory and refreshed when their mtime changes."""

    def __init__(self, public_dir: Path) -> None:
        self.public_dir = public_dir
        self._cache: dict[str, _Cached] = {}

    def get(self, name: str) -> _Cached | None:
        path = self.public_dir / name
        try:
            mtime_ns = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        cached = self._cache.get(name)
        if cached is None or cached.mtime_ns != mtime_ns:
            body = path.read_bytes()
            cached = _Cached(
                mtime_ns=mtime_ns,
                body=body,
                etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
                last_modified=datetime.fromtimestamp(mtime_ns // 1_000_000_000, tz=UTC),
            )
            self._cache[name] = cached
        return cached


def create_app(public_dir: Path, healthy: Callable[[], bool] = lambda: True) -> Starlette:
    """The HTTP app serving the output of ``public_dir``."""
    files = OutputFiles(public_dir)

    def serve(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return _file_response(request, files.get(name), name)

        return endpoint

    async def healthz(_request: Request) -> Response:
        ok = healthy()
        return PlainTextResponse("ok\n" if ok else "unhealthy\n", status_code=200 if ok else 503)

    routes = [
        Route("/" if name == "index.html" else f"/{name}", serve(name), methods=["GET", "HEAD"])
        for name in CONTENT_TYPES
    ]
    routes.append(Route("/index.html", serve("index.html"), methods=["GET", "HEAD"]))
    routes.append(Route("/healthz", healthz, methods=["GET", "HEAD"]))
    return Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=500)])


def _file_response(request: Request, cached: _Cached | None, name: str) -> Response:
    if cached is None:
        return PlainTextResponse(
            "not published yet\n", status_code=503, headers={"Retry-After": "5"}
        )
    headers = {
        "ETag": cached.etag,
        "Last-Modified": format_datetime(cached.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
    }
    if _not_modified(request, cached):
        return Response(status_code=304, headers=headers)
    return Response(cached.body, media_type=CONTENT_TYPES[name], headers=headers)


def _not_modified(request: Request, cached: _Cached) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return cached.etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return cached.last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False

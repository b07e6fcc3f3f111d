"""HTTP (and local file) fetching with httpx, over aiohttp's connection pool.

Conditional GET with the stored ETag/Last-Modified, gzip/brotli, a size limit that counts
decoded bytes (so a gzip bomb stops at the limit), a total timeout, redirects followed by
hand so every hop passes the address guard, and a per-host concurrency limit.
Returns ``FetchResult`` values or raises a ``FetchError``; httpx objects never leave here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import mimetypes
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from aggregator import USER_AGENT
from aggregator.config import FetchSettings
from aggregator.errors import (
    AddressNotAllowedError,
    FetchError,
    GoneError,
    HTTPStatusError,
    NetworkError,
    RedirectError,
    ResponseTooLargeError,
    TooManyRequestsError,
)
from aggregator.models import FetchResult

_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
)


class Fetcher:
    """Fetches URLs politely; use as ``async with Fetcher(settings) as fetcher``."""

    def __init__(self, settings: FetchSettings) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(
            transport=_transport(settings.concurrency * 2),
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout.total_seconds()),
            headers={"User-Agent": settings.user_agent or USER_AGENT, "Accept": _ACCEPT},
        )
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )
        self._host_turns: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._host_last: dict[str, float] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch ``url`` (http(s), or a local file path).

        Raises:
            FetchError: or one of its subclasses, naming what went wrong.
        """
        if urlsplit(url).scheme not in ("http", "https"):
            return await asyncio.to_thread(read_local_file, url, self._settings.max_bytes)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._settings.timeout.total_seconds()):
                result = await self._follow(url, etag, last_modified)
        except TimeoutError as exc:
            raise NetworkError(
                f"timed out after {self._settings.timeout.total_seconds():g}s", url=url
            ) from exc
        elapsed = (time.perf_counter() - started) * 1000
        return FetchResult(**{**result.__dict__, "elapsed_ms": elapsed})

    async def _follow(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        visited = [url]
        permanent = True
        current = url
        for _ in range(self._settings.max_redirects + 1):
            await self._guard(current)
            status, headers, body = await self._request(current, etag, last_modified)
            if status not in _REDIRECTS:
                moved = current if permanent and current != url else None
                return _result(current, status, headers, body, moved)
            permanent = permanent and status in _PERMANENT
            current = _next_hop(current, headers, visited)
            visited.append(current)
        raise RedirectError(
            f"too many redirects (more than {self._settings.max_redirects}): "
            + " → ".join(visited[:6]),
            url=url,
        )

    async def _request(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> tuple[int, httpx.Headers, bytes]:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).hostname or ""
        async with self._host_slots[host]:
            await self._wait_turn(host)
            try:
                async with self._client.stream("GET", url, headers=headers) as response:
                    body = b""
                    if response.status_code not in _REDIRECTS and response.status_code != 304:
                        body = await self._read_limited(response, url)
                    return response.status_code, response.headers, body
            except (httpx.HTTPError, aiohttp.ClientError) as exc:
                raise _network_error(exc, url) from exc

    async def _wait_turn(self, host: str) -> None:
        """Space the starts of requests to one host by ``host_spacing`` (politeness)."""
        spacing = self._settings.host_spacing.total_seconds()
        if spacing <= 0:
            return
        async with self._host_turns[host]:
            loop = asyncio.get_running_loop()
            wait = self._host_last.get(host, -spacing) + spacing - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._host_last[host] = loop.time()

    async def _read_limited(self, response: httpx.Response, url: str) -> bytes:
        limit = self._settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if (
            declared.isdigit()
            and int(declared) > limit
            and "Content-Encoding" not in response.headers
        ):
            raise ResponseTooLargeError(
                f"response of {int(declared):,} bytes is over the {limit:,}-byte limit", url=url
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise ResponseTooLargeError(
                    f"response passed the {limit:,}-byte limit (decoded); aborted", url=url
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def _guard(self, url: str) -> None:
        if self._settings.allow_private_addresses:
            return
        await check_public_address(url)


def _transport(max_connections: int) -> AiohttpTransport:
    """httpx's requests and responses over aiohttp's pool and C HTTP parser: httpx's own
    transport (httpcore) spent ~1.3 ms of CPU per request, 4× this one (encode/httpx#3215),
    which made a refresh of many unchanged feeds CPU-bound. HTTP/1.1 only. Proxies come
    from the environment, as httpx's own transport takes them."""

    context = httpx.create_ssl_context()  # here, not at the first request: ~35 ms

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=max_connections, ssl=context)
        return aiohttp.ClientSession(connector=connector, trust_env=True)

    return AiohttpTransport(client=session)


def _result(
    url: str, status: int, headers: httpx.Headers, body: bytes, moved_to: str | None
) -> FetchResult:
    if status == 410:
        raise GoneError(
            "410 Gone: the feed was removed; the source is disabled", status=status, url=url
        )
    if status in (429, 503):
        retry_at = parse_retry_after(headers.get("Retry-After"), datetime.now(UTC))
        wait = f", retry after {retry_at:%Y-%m-%d %H:%M:%S} UTC" if retry_at else ""
        raise TooManyRequestsError(
            f"HTTP {status}{wait}", status=status, retry_at=retry_at, url=url
        )
    if status >= 400 or status < 200:
        reason = httpx.codes.get_reason_phrase(status)
        raise HTTPStatusError(f"HTTP {status} {reason}".strip(), status=status, url=url)
    return FetchResult(
        url=url,
        status=status,
        content=body,
        content_type=headers.get("Content-Type"),
        etag=headers.get("ETag"),
        last_modified=headers.get("Last-Modified"),
        not_modified=status == 304,
        permanent_redirect=moved_to,
        cache_control=headers.get("Cache-Control"),
        expires=headers.get("Expires"),
    )


def _next_hop(current: str, headers: httpx.Headers, visited: list[str]) -> str:
    location: str | None = headers.get("Location")
    if not location:
        raise RedirectError("redirect without a Location header", url=current)
    target = urljoin(current, location)
    if urlsplit(target).scheme not in ("http", "https"):
        raise RedirectError(f"redirect to a non-http URL: {target}", url=current)
    if target in visited:
        raise RedirectError("redirect loop: " + " → ".join([*visited, target]), url=visited[0])
    return target


def _network_error(exc: Exception, url: str) -> FetchError:
    """A specific message for what went wrong, from the first cause that says (the
    transport wraps aiohttp's errors in httpx's, not always the right one)."""
    host = urlsplit(url).hostname
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError | aiohttp.ClientSSLError):
            return NetworkError(f"TLS error: {cause}", url=url)
        if isinstance(cause, socket.gaierror | aiohttp.ClientConnectorDNSError):
            return NetworkError(f"DNS lookup failed for {host}", url=url)
        if isinstance(cause, aiohttp.ServerTimeoutError):
            return NetworkError(f"timed out ({type(cause).__name__})", url=url)
        if isinstance(cause, aiohttp.ClientConnectorError):
            return NetworkError(f"cannot connect to {host}: {cause.os_error.strerror}", url=url)
        if isinstance(cause, aiohttp.ServerDisconnectedError):
            return NetworkError("the server closed the connection before answering", url=url)
        if isinstance(cause, aiohttp.ClientResponseError):
            return FetchError(f"malformed HTTP response: {cause.message}", url=url)
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(f"timed out ({type(exc).__name__})", url=url)
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(f"cannot connect: {exc or type(exc).__name__}", url=url)
    if isinstance(exc, httpx.DecodingError):
        return FetchError(f"cannot decode the response body: {exc}", url=url)
    return NetworkError(f"{type(exc).__name__}: {exc}", url=url)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or during, innermost last."""
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


async def check_public_address(url: str) -> None:
    """Refuse URLs whose host resolves to a non-public address.

    Raises:
        AddressNotAllowedError: the host is loopback, private, link-local, multicast,
            reserved or unspecified.
        NetworkError: the name does not resolve.
    """
    host = urlsplit(url).hostname or ""
    port = urlsplit(url).port or 443
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NetworkError(f"DNS lookup failed for {host}: {exc.strerror}", url=url) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise AddressNotAllowedError(
                f"{host} resolves to {address}, a non-public address; set "
                "fetch.allow_private_addresses: true to allow it",
                url=url,
            )


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3) → an aware UTC time."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_local_file(path: str, max_bytes: int) -> FetchResult:
    """A local file as if served: for sample sources and offline demos."""
    file_path = Path(path.removeprefix("file://"))
    try:
        size = file_path.stat().st_size
        if size > max_bytes:
            raise ResponseTooLargeError(f"file of {size:,} bytes is over the limit", url=path)
        content = file_path.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read {file_path}: {exc.strerror or exc}", url=path) from exc
    content_type, _ = mimetypes.guess_type(file_path.name)
    return FetchResult(url=str(file_path), status=200, content=content, content_type=content_type)

"""fetch.py against the real local fixture server: no mocks."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import itertools
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli
import pytest
import trustme
from feedserver import FeedServer

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
from aggregator.fetch import Fetcher, parse_retry_after
from aggregator.models import FetchResult

LOCAL = FetchSettings(
    allow_private_addresses=True, timeout=timedelta(seconds=5), host_spacing=timedelta(0)
)


def fetch(url: str, settings: FetchSettings = LOCAL, **validators: str | None) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, **validators)

    return asyncio.run(go())


def test_plain_fetch_sends_user_agent(fresh_server: FeedServer) -> None:
    result = fetch(fresh_server.url("/feeds/ulysmedia.rss"))
    assert result.status == 200
    assert result.content == (Path(fresh_server.data_dir) / "ulysmedia.rss").read_bytes()
    assert result.content_type == "application/rss+xml"
    assert result.etag == fresh_server.etag("ulysmedia.rss")
    assert result.last_modified
    (request,) = fresh_server.requests("/feeds/ulysmedia.rss")
    assert (request.header("User-Agent") or "").startswith("aggregator/")
    assert request.header("If-None-Match") is None


def test_conditional_get_gets_304_and_parses_nothing(fresh_server: FeedServer) -> None:
    url = fresh_server.url("/feeds/ulysmedia.rss")
    first = fetch(url)
    second = fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.content == b""
    request = fresh_server.requests("/feeds/ulysmedia.rss")[-1]
    assert request.header("If-None-Match") == first.etag
    assert request.header("If-Modified-Since") == first.last_modified


def test_last_modified_alone_gets_304(fresh_server: FeedServer) -> None:
    url = fresh_server.url("/feeds/kazinform.atom")
    first = fetch(url)
    assert fetch(url, last_modified=first.last_modified).not_modified


def test_changed_feed_is_fetched_again(fresh_server: FeedServer) -> None:
    url = fresh_server.url("/feeds/ulysmedia.rss")
    first = fetch(url)
    fresh_server.set_file("ulysmedia.rss", first.content.replace(b"</channel>", b" </channel>"))
    second = fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.status == 200 and second.etag != first.etag


def test_gzip_is_decoded(fresh_server: FeedServer) -> None:
    result = fetch(fresh_server.url("/feeds/tengrinews.json?gzip=1"))
    assert result.content.startswith(b"{")
    (request,) = fresh_server.requests("/feeds/tengrinews.json")
    assert "gzip" in (request.header("Accept-Encoding") or "")


@pytest.mark.parametrize(
    ("code", "error"), [(404, HTTPStatusError), (500, HTTPStatusError), (410, GoneError)]
)
def test_error_statuses(fresh_server: FeedServer, code: int, error: type[Exception]) -> None:
    with pytest.raises(error, match=f"{code}") as caught:
        fetch(fresh_server.url(f"/status/{code}"))
    assert caught.value.status == code  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_is_reported(fresh_server: FeedServer, code: int) -> None:
    before = datetime.now(UTC)
    with pytest.raises(TooManyRequestsError) as caught:
        fetch(fresh_server.url(f"/status/{code}?retry_after=300"))
    assert caught.value.retry_at is not None
    assert timedelta(seconds=295) < caught.value.retry_at - before < timedelta(seconds=310)


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:05:00 GMT", now) == now + timedelta(minutes=5)
    assert parse_retry_after("120", now) == now + timedelta(seconds=120)
    assert parse_retry_after("soon", now) is None


@pytest.mark.parametrize(
    ("code", "permanent"), [(301, True), (308, True), (302, False), (307, False)]
)
def test_redirects(fresh_server: FeedServer, code: int, permanent: bool) -> None:
    result = fetch(fresh_server.url(f"/redirect/{code}/ulysmedia.rss"))
    assert result.status == 200
    assert result.url == fresh_server.url("/feeds/ulysmedia.rss")
    expected = fresh_server.url("/feeds/ulysmedia.rss") if permanent else None
    assert result.permanent_redirect == expected


def test_redirect_loop(fresh_server: FeedServer) -> None:
    with pytest.raises(RedirectError, match="redirect loop"):
        fetch(fresh_server.url("/loop/302/0"))


def test_too_many_redirects(fresh_server: FeedServer) -> None:
    settings = LOCAL.model_copy(update={"max_redirects": 0})
    with pytest.raises(RedirectError, match="too many redirects"):
        fetch(fresh_server.url("/redirect/301/ulysmedia.rss"), settings)


def test_slow_server_times_out(fresh_server: FeedServer) -> None:
    settings = LOCAL.model_copy(update={"timeout": timedelta(seconds=0.5)})
    with pytest.raises(NetworkError, match="timed out"):
        fetch(fresh_server.url("/slow/ulysmedia.rss?delay=3"), settings)


def test_dripping_server_hits_the_total_timeout(fresh_server: FeedServer) -> None:
    settings = LOCAL.model_copy(update={"timeout": timedelta(seconds=1)})
    with pytest.raises(NetworkError, match="timed out"):
        fetch(fresh_server.url("/drip?seconds=5&interval=0.2"), settings)


def test_response_over_the_limit_is_aborted(fresh_server: FeedServer) -> None:
    settings = LOCAL.model_copy(update={"max_bytes": 1_000_000})
    with pytest.raises(ResponseTooLargeError, match="limit"):
        fetch(fresh_server.url("/big?mb=5"), settings)


def test_connection_refused_is_a_network_error(fresh_server: FeedServer) -> None:
    with pytest.raises(NetworkError, match="cannot connect"):
        fetch("http://127.0.0.1:9/feed.xml")


def test_address_guard_refuses_loopback(fresh_server: FeedServer) -> None:
    with pytest.raises(AddressNotAllowedError, match="non-public address"):
        fetch(fresh_server.url("/feeds/ulysmedia.rss"), FetchSettings())
    assert fresh_server.requests() == []  # nothing was sent


def test_local_file(tmp_path: Path) -> None:
    path = tmp_path / "feed.rss"
    path.write_bytes(b"<rss/>")
    result = fetch(str(path))
    assert (result.status, result.content) == (200, b"<rss/>")
    with pytest.raises(Exception, match="cannot read"):
        fetch(str(tmp_path / "missing.rss"))


def test_requests_to_one_host_are_spaced(fresh_server: FeedServer) -> None:
    settings = LOCAL.model_copy(update={"host_spacing": timedelta(seconds=0.3)})

    async def go() -> None:
        async with Fetcher(settings) as fetcher:
            await asyncio.gather(
                *(
                    fetcher.fetch(fresh_server.url(f"/feeds/{name}"))
                    for name in ("ulysmedia.rss", "kazinform.atom", "empty.rss")
                )
            )

    asyncio.run(go())
    starts = sorted(r.received_at for r in fresh_server.requests())
    assert len(starts) == 3
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(starts)), starts


def test_per_host_limit_does_not_slow_other_hosts(fresh_server: FeedServer) -> None:
    """Two slow requests to 127.0.0.1 with per_host=1 run one after the other, while
    'localhost' (another host name for the same server) is served at once."""
    settings = LOCAL.model_copy(update={"per_host": 1})
    other = fresh_server.url("/feeds/empty.rss").replace("127.0.0.1", "localhost")
    done: dict[str, float] = {}

    async def timed(name: str, url: str, started: float) -> None:
        await fetcher_ref[0].fetch(url)
        done[name] = asyncio.get_running_loop().time() - started

    fetcher_ref: list[Fetcher] = []

    async def go() -> None:
        async with Fetcher(settings) as fetcher:
            fetcher_ref.append(fetcher)
            started = asyncio.get_running_loop().time()
            slow = fresh_server.url("/slow/empty.rss?delay=0.5")
            await asyncio.gather(
                timed("a", slow, started),
                timed("b", slow + "&x=1", started),
                timed("other", other, started),
            )

    asyncio.run(go())
    assert max(done["a"], done["b"]) >= 0.95  # serialized on one host
    assert done["other"] < 0.4


def test_gzip_bomb_stops_at_the_decoded_limit(fresh_server: FeedServer) -> None:
    """20 MB of padding gzips to ~20 KB: the limit counts decoded bytes."""
    bomb = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b" " * 20_000_000
    fresh_server.set_file("bomb.rss", bomb)
    settings = LOCAL.model_copy(update={"max_bytes": 1_000_000})
    with pytest.raises(ResponseTooLargeError, match="decoded"):
        fetch(fresh_server.url("/feeds/bomb.rss?gzip=1"), settings)
    (request,) = fresh_server.requests("/feeds/bomb.rss")
    assert "gzip" in (request.header("Accept-Encoding") or "")


@contextlib.contextmanager
def raw_peer(reply: bytes) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers each connection's request with ``reply``
    and closes it: what no HTTP library would send."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                connection, _ = listener.accept()
                with connection:
                    connection.recv(65536)
                    connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", FetchError, "malformed HTTP response"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n<rss/>", FetchError, "malformed HTTP"),
        (b"", NetworkError, "closed the connection before answering"),
    ],
)
def test_a_peer_that_does_not_speak_http_gets_a_specific_error(
    reply: bytes, error: type[Exception], message: str
) -> None:
    with raw_peer(reply) as url, pytest.raises(error, match=message):
        fetch(url)


def test_brotli_is_decoded() -> None:
    body = "<rss><channel><title>Жаңалықтар</title></channel></rss>".encode()
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Encoding: br\r\n"
        + f"Content-Length: {len(brotli.compress(body))}\r\n\r\n".encode()
        + brotli.compress(body)
    )
    with raw_peer(reply) as url:
        assert fetch(url).content == body


def test_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    body = b"<rss><channel><title>via proxy</title></channel></rss>"
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with raw_peer(reply) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.removesuffix("/feed.xml"))
        # a name that resolves nowhere: only the proxy can answer
        assert fetch("http://feeds.example.invalid/rss").content == body


class _CookieCheck(http.server.BaseHTTPRequestHandler):
    """A cookie wall: the first visit is sent back to the same URL with a cookie set."""

    def do_GET(self) -> None:
        if "seen=1" in (self.headers.get("Cookie") or ""):
            body = b"<rss version='2.0'><channel><title>Tengrinews</title></channel></rss>"
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Set-Cookie", "seen=1; Path=/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_cookie_set_on_a_redirect_is_sent_back() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CookieCheck)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = fetch(f"http://127.0.0.1:{server.server_address[1]}/rss")
        assert result.status == 200 and b"Tengrinews" in result.content
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _tls_server(ca: trustme.CA, body: bytes) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 serving ``body`` as RSS, its certificate issued by
    ``ca``; yields its feed URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/feed.rss"
    finally:
        server.shutdown()
        server.server_close()


def test_https_is_verified_against_the_trusted_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TLS context is made for the first https URL (a refresh of plain HTTP feeds
    loads no certificates), and it verifies: a certificate of an unknown authority is
    refused; one whose authority SSL_CERT_FILE names is trusted."""
    ca = trustme.CA()
    body = (Path(__file__).parent / "data" / "ulysmedia.rss").read_bytes()
    with _tls_server(ca, body) as url:
        with pytest.raises(NetworkError, match=r"(?i)certificate"):
            fetch(url)
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        result = fetch(url)
    assert result.status == 200 and result.content == body

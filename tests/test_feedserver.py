"""Tests of the local test HTTP server and of the fixture feeds it serves."""

from __future__ import annotations

import calendar
import contextlib
import gzip
import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from feedserver import BIG_PREFIX, FeedServer

if TYPE_CHECKING:
    from collections.abc import Iterator

DATA_DIR = Path(__file__).parent / "data"

EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (DATA_DIR / "expected.json").read_text(encoding="utf-8")
)
XML_FEEDS = [name for name, facts in EXPECTED.items() if facts["format"] != "json"]
WELL_FORMED = [
    name
    for name, facts in EXPECTED.items()
    if facts["format"] in ("rss", "atom") and facts.get("well_formed", True)
]

CONTENT_TYPES = {
    "ulysmedia.rss": "application/rss+xml",
    "kazinform.atom": "application/atom+xml",
    "tengrinews.json": "application/feed+json",
    "cp1251.rss": "application/rss+xml; charset=windows-1251",
    "relative-links.atom": "application/atom+xml",
    "astanatimes.rss": "application/rss+xml",
    "hostile.rss": "application/rss+xml",
    "malformed.xml": "application/xml",
    "not-a-feed.html": "text/html; charset=utf-8",
    "no-guid.rss": "application/rss+xml",
    "empty.rss": "application/rss+xml",
}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain sync client with a short timeout."""
    with httpx.Client(timeout=5.0) as http:
        yield http


def struct_to_iso(value: time.struct_time | None) -> str | None:
    """A feedparser UTC ``struct_time`` as ISO 8601 with ``+00:00``."""
    if value is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()


def rfc3339_to_utc(value: str) -> str:
    """An RFC 3339 timestamp converted to UTC ISO 8601."""
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


# -- serving feeds ---------------------------------------------------------------


def test_expected_json_covers_every_fixture(data_dir: Path) -> None:
    """expected.json describes exactly the feed fixtures, which all exist."""
    assert set(EXPECTED) == set(CONTENT_TYPES)
    for name in EXPECTED:
        assert (data_dir / name).is_file(), name


@pytest.mark.parametrize(("name", "ctype"), sorted(CONTENT_TYPES.items()))
def test_serves_feed_with_content_type(
    fresh_server: FeedServer, client: httpx.Client, data_dir: Path, name: str, ctype: str
) -> None:
    """Each fixture is served byte for byte with its Content-Type."""
    response = client.get(fresh_server.url(f"/feeds/{name}"))
    body = (data_dir / name).read_bytes()
    assert response.status_code == 200
    assert response.headers["content-type"] == ctype
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["etag"] == f'"{hashlib.sha1(body).hexdigest()}"'
    assert parsedate_to_datetime(response.headers["last-modified"]).tzinfo is not None


def test_head_sends_headers_without_body(fresh_server: FeedServer, client: httpx.Client) -> None:
    """HEAD answers like GET but without a body."""
    response = client.head(fresh_server.url("/feeds/ulysmedia.rss"))
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0
    assert response.headers["etag"] == fresh_server.etag("ulysmedia.rss")


def test_wrong_type_route(fresh_server: FeedServer, client: httpx.Client, data_dir: Path) -> None:
    """/wrong-type/ serves the feed as text/html."""
    response = client.get(fresh_server.url("/wrong-type/ulysmedia.rss"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"
    assert response.content == (data_dir / "ulysmedia.rss").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/nothing",
        "/feeds/missing.rss",
        "/feeds/",
        "/feeds/..%2Fconftest.py",
        "/feeds/a/b",
        "/",
    ],
)
def test_unknown_paths_are_404(fresh_server: FeedServer, client: httpx.Client, path: str) -> None:
    """Unknown routes and missing files give 404."""
    response = client.get(fresh_server.url(path))
    assert response.status_code == 404
    assert response.text == "not found\n"


def test_other_methods_are_405(fresh_server: FeedServer, client: httpx.Client) -> None:
    """Methods other than GET and HEAD are recorded and refused."""
    response = client.post(fresh_server.url("/feeds/empty.rss"), content=b"x=1")
    assert response.status_code == 405
    assert [r.method for r in fresh_server.requests("/feeds/empty.rss")] == ["POST"]


# -- conditional requests --------------------------------------------------------


def test_304_on_matching_etag(fresh_server: FeedServer, client: httpx.Client) -> None:
    """A matching If-None-Match gives 304 with validators and no body."""
    url = fresh_server.url("/feeds/kazinform.atom")
    etag = client.get(url).headers["etag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert "last-modified" in response.headers


def test_if_none_match_list_and_weak(fresh_server: FeedServer, client: httpx.Client) -> None:
    """If-None-Match lists and W/ prefixes match too (weak comparison)."""
    url = fresh_server.url("/feeds/kazinform.atom")
    etag = fresh_server.etag("kazinform.atom")
    for header in (f'"nope", {etag}', f"W/{etag}", "*"):
        assert client.get(url, headers={"If-None-Match": header}).status_code == 304


def test_mismatched_etag_wins_over_if_modified_since(
    fresh_server: FeedServer, client: httpx.Client
) -> None:
    """If-Modified-Since is ignored when If-None-Match is present."""
    url = fresh_server.url("/feeds/kazinform.atom")
    future = format_datetime(datetime(2030, 1, 1, tzinfo=UTC), usegmt=True)
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": future}
    assert client.get(url, headers=headers).status_code == 200


def test_304_on_if_modified_since(fresh_server: FeedServer, client: httpx.Client) -> None:
    """If-Modified-Since at or after Last-Modified gives 304; earlier gives 200."""
    url = fresh_server.url("/feeds/astanatimes.rss")
    last_modified = client.get(url).headers["last-modified"]
    same = client.get(url, headers={"If-Modified-Since": last_modified})
    assert same.status_code == 304
    earlier = parsedate_to_datetime(last_modified) - timedelta(seconds=1)
    older = client.get(url, headers={"If-Modified-Since": format_datetime(earlier, usegmt=True)})
    assert older.status_code == 200
    garbage = client.get(url, headers={"If-Modified-Since": "yesterday"})
    assert garbage.status_code == 200


def test_set_file_changes_etag_and_last_modified(
    fresh_server: FeedServer, client: httpx.Client
) -> None:
    """An override is served at once, with a new ETag and a later Last-Modified."""
    url = fresh_server.url("/feeds/empty.rss")
    first = client.get(url)
    fresh_server.set_file("empty.rss", b"<rss version='2.0'><channel/></rss>")
    second = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.content == b"<rss version='2.0'><channel/></rss>"
    assert second.headers["etag"] != first.headers["etag"]
    assert parsedate_to_datetime(second.headers["last-modified"]) > parsedate_to_datetime(
        first.headers["last-modified"]
    )
    ims = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert ims.status_code == 200


def test_set_file_adds_new_file_and_reset_drops_it(
    fresh_server: FeedServer, client: httpx.Client
) -> None:
    """set_file can add a name; reset() forgets overrides."""
    url = fresh_server.url("/feeds/new.rss")
    fresh_server.set_file("new.rss", b"<rss/>")
    assert client.get(url).status_code == 200
    fresh_server.reset()
    assert client.get(url).status_code == 404
    with pytest.raises(ValueError, match="invalid file name"):
        fresh_server.set_file("../x.rss", b"")


# -- recording -------------------------------------------------------------------


def test_requests_are_recorded_in_order(fresh_server: FeedServer, client: httpx.Client) -> None:
    """Method, full path and headers are recorded before answering."""
    client.get(fresh_server.url("/feeds/empty.rss?x=1"), headers={"User-Agent": "agg-test/1.0"})
    client.head(fresh_server.url("/status/500"))
    client.get(fresh_server.url("/feeds/empty.rss"), headers={"X-Trace": "abc"})
    recorded = fresh_server.requests()
    assert [(r.method, r.path) for r in recorded] == [
        ("GET", "/feeds/empty.rss?x=1"),
        ("HEAD", "/status/500"),
        ("GET", "/feeds/empty.rss"),
    ]
    assert recorded[0].header("user-agent") == "agg-test/1.0"
    assert recorded[0].headers["User-Agent"] == "agg-test/1.0"
    assert recorded[0].query == {"x": "1"}
    assert recorded[2].header("X-TRACE") == "abc"
    assert recorded[2].header("missing") is None
    assert len(fresh_server.requests("/feeds/empty.rss")) == 2
    assert len(fresh_server.requests("/feeds/empty.rss?x=1")) == 1
    assert fresh_server.hits("/status/500") == 1


def test_clear_forgets_requests(fresh_server: FeedServer, client: httpx.Client) -> None:
    """clear() empties the record but keeps overrides."""
    fresh_server.set_file("kept.rss", b"<rss/>")
    client.get(fresh_server.url("/feeds/kept.rss"))
    fresh_server.clear()
    assert fresh_server.requests() == []
    assert client.get(fresh_server.url("/feeds/kept.rss")).status_code == 200


def test_keep_alive_reuses_connection_quickly(
    fresh_server: FeedServer, client: httpx.Client
) -> None:
    """Sequential requests share one connection and are not slowed by Nagle."""
    url = fresh_server.url("/feeds/ulysmedia.rss")
    client.get(url)
    started = time.perf_counter()
    for _ in range(30):
        assert client.get(url).status_code == 200
    elapsed = time.perf_counter() - started
    assert len({r.peer_port for r in fresh_server.requests()}) == 1
    # Nagle would cost ~40 ms a response (1.2 s); allow for a busy machine below that.
    assert elapsed < 1.0, f"30 keep-alive requests took {elapsed:.3f}s"


# -- gzip ------------------------------------------------------------------------


def test_gzip_when_asked_and_accepted(
    fresh_server: FeedServer, client: httpx.Client, data_dir: Path
) -> None:
    """?gzip=1 plus Accept-Encoding: gzip sends a gzipped body."""
    body = (data_dir / "ulysmedia.rss").read_bytes()
    url = fresh_server.url("/feeds/ulysmedia.rss?gzip=1")
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(raw) == body
    assert response.headers["etag"] == fresh_server.etag("ulysmedia.rss", gzipped=True)
    decoded = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert decoded.content == body


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/feeds/ulysmedia.rss?gzip=1", "identity"), ("/feeds/ulysmedia.rss", "gzip")],
)
def test_no_gzip_otherwise(
    fresh_server: FeedServer, client: httpx.Client, path: str, accept: str
) -> None:
    """Without both the query flag and the header the body is plain."""
    response = client.get(fresh_server.url(path), headers={"Accept-Encoding": accept})
    assert "content-encoding" not in response.headers
    assert response.headers["etag"] == fresh_server.etag("ulysmedia.rss")


# -- status and redirect routes --------------------------------------------------


@pytest.mark.parametrize(
    ("code", "query", "retry_after"), [(503, "", "120"), (429, "?retry_after=7", "7")]
)
def test_status_with_retry_after(
    fresh_server: FeedServer, client: httpx.Client, code: int, query: str, retry_after: str
) -> None:
    """429 and 503 carry Retry-After (default 120)."""
    response = client.get(fresh_server.url(f"/status/{code}{query}"))
    assert response.status_code == code
    assert response.headers["retry-after"] == retry_after
    assert response.text.startswith(str(code))


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_status_with_location(fresh_server: FeedServer, client: httpx.Client, code: int) -> None:
    """3xx statuses carry Location from ?to=."""
    target = "https://example.kz/feed.xml"
    response = client.get(fresh_server.url(f"/status/{code}"), params={"to": target})
    assert response.status_code == code
    assert response.headers["location"] == target


@pytest.mark.parametrize("code", [200, 400, 401, 403, 404, 410, 500, 502])
def test_plain_statuses(fresh_server: FeedServer, client: httpx.Client, code: int) -> None:
    """Any status code can be asked for; there is no Retry-After or Location."""
    response = client.get(fresh_server.url(f"/status/{code}"))
    assert response.status_code == code
    assert "retry-after" not in response.headers
    assert "location" not in response.headers


def test_status_304_and_bad_codes(fresh_server: FeedServer, client: httpx.Client) -> None:
    """304 has no body; nonsense codes give 400."""
    response = client.get(fresh_server.url("/status/304"))
    assert (response.status_code, response.content) == (304, b"")
    assert client.get(fresh_server.url("/status/abc")).status_code == 400
    assert client.get(fresh_server.url("/status/99")).status_code == 400


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_redirect_route(
    fresh_server: FeedServer, client: httpx.Client, data_dir: Path, code: int
) -> None:
    """/redirect/<code>/<name> redirects to /feeds/<name>."""
    response = client.get(fresh_server.url(f"/redirect/{code}/kazinform.atom"))
    assert response.status_code == code
    assert response.headers["location"] == "/feeds/kazinform.atom"
    followed = client.get(
        fresh_server.url(f"/redirect/{code}/kazinform.atom?gzip=1"), follow_redirects=True
    )
    assert followed.status_code == 200
    assert followed.content == (data_dir / "kazinform.atom").read_bytes()
    assert [h.status_code for h in followed.history] == [code]
    assert fresh_server.requests()[-1].path == "/feeds/kazinform.atom?gzip=1"


# -- timing and size routes ------------------------------------------------------


def test_slow_route(fresh_server: FeedServer, client: httpx.Client, data_dir: Path) -> None:
    """/slow/ answers after the delay; a shorter client timeout fails."""
    started = time.perf_counter()
    response = client.get(fresh_server.url("/slow/empty.rss?delay=0.3"))
    assert time.perf_counter() - started >= 0.3
    assert response.content == (data_dir / "empty.rss").read_bytes()
    with pytest.raises(httpx.ReadTimeout):
        client.get(fresh_server.url("/slow/empty.rss?delay=1"), timeout=0.1)
    assert client.get(fresh_server.url("/slow/empty.rss?delay=x")).status_code == 400


def test_drip_route(fresh_server: FeedServer, client: httpx.Client) -> None:
    """/drip sends headers at once, then one byte per interval, then closes."""
    url = fresh_server.url("/drip?seconds=0.5&interval=0.1")
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        first_header_at = time.perf_counter() - started
        body = b"".join(response.iter_bytes())
    assert first_header_at < 0.1
    assert time.perf_counter() - started >= 0.45
    assert response.headers["content-type"] == "application/rss+xml"
    assert response.headers["connection"] == "close"
    assert "content-length" not in response.headers
    assert body == b"<?xml"


def test_drip_read_timeout_and_disconnect(fresh_server: FeedServer, client: httpx.Client) -> None:
    """Bytes keep coming within the read timeout; disconnecting is handled."""
    url = fresh_server.url("/drip?seconds=30&interval=0.05")
    with client.stream("GET", url, timeout=0.5) as response:
        chunks = response.iter_raw()
        assert next(chunks) == b"<"
    assert fresh_server.errors == []


def test_big_route(fresh_server: FeedServer, client: httpx.Client) -> None:
    """/big streams N MiB with a Content-Length."""
    response = client.get(fresh_server.url("/big?mb=0.5"))
    assert response.headers["content-length"] == str(512 * 1024)
    assert len(response.content) == 512 * 1024
    assert response.content.startswith(BIG_PREFIX)


def test_big_route_client_disconnect(fresh_server: FeedServer, client: httpx.Client) -> None:
    """A client that stops reading a huge body does not hurt the server."""
    with client.stream("GET", fresh_server.url("/big?mb=50")) as response:
        assert response.headers["content-length"] == str(50 * 1024 * 1024)
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > 256 * 1024:
                break
    assert client.get(fresh_server.url("/feeds/empty.rss")).status_code == 200
    assert fresh_server.errors == []


# -- lifecycle -------------------------------------------------------------------


def test_stop_ends_open_connections_and_threads() -> None:
    """stop() returns quickly even with idle keep-alive and slow requests open."""
    before = set(threading.enumerate())
    server = FeedServer(DATA_DIR)
    server.start()
    assert server.base_url.startswith("http://127.0.0.1:")
    with httpx.Client(timeout=5.0) as http:
        assert http.get(server.url("feeds/empty.rss")).status_code == 200
        worker = threading.Thread(
            target=_ignore_errors, args=(http, server.url("/slow/empty.rss?delay=30"))
        )
        worker.start()
        time.sleep(0.1)
        started = time.perf_counter()
        server.stop()
        assert time.perf_counter() - started < 2.0
        worker.join(timeout=5)
    # Handler threads of the session-wide server (other tests' keep-alive connections)
    # may still be winding down: give stragglers a moment before judging.
    deadline = time.monotonic() + 3
    while (left := [t for t in set(threading.enumerate()) - before if t.is_alive()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert left == []
    server.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = server.base_url


def _ignore_errors(http: httpx.Client, url: str) -> None:
    """GET ``url`` and swallow the transport error caused by stop()."""
    with contextlib.suppress(httpx.TransportError):
        http.get(url)


def test_context_manager_and_url(data_dir: Path) -> None:
    """FeedServer works as a context manager; url() joins paths."""
    with FeedServer(data_dir) as server:
        assert server.url("/feeds/x.rss") == server.url("feeds/x.rss")
        assert server.url("/a?b=1") == f"{server.base_url}/a?b=1"
        assert server.port > 0


# -- the fixtures themselves -----------------------------------------------------


@pytest.mark.parametrize("name", WELL_FORMED)
def test_fixture_parses_as_expected(data_dir: Path, name: str) -> None:
    """feedparser reads each well-formed fixture to the facts in expected.json."""
    parsed = feedparser.parse((data_dir / name).read_bytes())
    facts = EXPECTED[name]
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.get("title") == facts["feed_title"]
    assert len(parsed.entries) == facts["count"] == len(facts["items"])
    for entry, item in zip(parsed.entries, facts["items"], strict=True):
        assert_entry_matches(entry, item)


def assert_entry_matches(entry: Any, item: dict[str, Any]) -> None:
    """Compare one feedparser entry with one expected item."""
    assert entry.get("id") == item["guid"]
    assert entry.get("title") == item["title"]
    assert entry.get("link") == item["link"]
    assert struct_to_iso(entry.get("published_parsed")) == item["published_utc"]
    assert entry.get("author") == item["author"]
    if "updated_utc" in item:
        assert struct_to_iso(entry.get("updated_parsed")) == item["updated_utc"]
    content = entry.content[0].value if "content" in entry else entry.get("summary", "")
    for url in item.get("content_urls", []):
        assert f'"{url}"' in content
    if "summary_contains" in item:
        assert item["summary_contains"] in entry.summary
    for text in item.get("safe_text", []):
        assert text in entry.summary


def test_expected_facts_are_absolute_and_utc() -> None:
    """Links in expected.json are absolute and times are UTC ISO 8601."""
    for facts in EXPECTED.values():
        for item in facts["items"]:
            if item["link"] is not None:
                assert urlsplit(item["link"]).scheme == "https"
            for key in ("published_utc", "updated_utc"):
                if item.get(key) is not None:
                    assert item[key].endswith("+00:00")
                    assert datetime.fromisoformat(item[key]).utcoffset() == timedelta(0)


def test_hostile_fixture_contains_every_threat(data_dir: Path) -> None:
    """hostile.rss really carries each forbidden construct and the pixel."""
    raw = (data_dir / "hostile.rss").read_text(encoding="utf-8").lower()
    facts = EXPECTED["hostile.rss"]
    for marker in facts["forbidden"]:
        assert marker.lower() in raw
    for pixel in facts["tracking_pixels"]:
        assert pixel.lower() in raw


def test_cp1251_fixture_is_not_utf8(data_dir: Path) -> None:
    """cp1251.rss is really windows-1251, not UTF-8."""
    raw = (data_dir / "cp1251.rss").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    assert "Ёлку" in raw.decode("cp1251")


def test_malformed_fixture_is_bozo_but_readable(data_dir: Path) -> None:
    """malformed.xml is not well-formed, yet its first items can be read."""
    parsed = feedparser.parse((data_dir / "malformed.xml").read_bytes())
    facts = EXPECTED["malformed.xml"]
    assert parsed.bozo
    assert len(parsed.entries) >= facts["min_count"]
    for entry, item in zip(parsed.entries, facts["items"], strict=False):
        assert_entry_matches(entry, item)


def test_html_page_is_not_a_feed(data_dir: Path) -> None:
    """not-a-feed.html yields no entries but advertises a feed."""
    raw = (data_dir / "not-a-feed.html").read_bytes()
    parsed = feedparser.parse(raw)
    assert parsed.entries == []
    for href in EXPECTED["not-a-feed.html"]["alternate_feeds"]:
        assert (
            f'type="application/rss+xml" title="Ulysmedia.kz — RSS" href="{href}"'.encode() in raw
        )


def test_json_feed_fixture(data_dir: Path) -> None:
    """tengrinews.json is a JSON Feed 1.1 matching expected.json."""
    feed = json.loads((data_dir / "tengrinews.json").read_text(encoding="utf-8"))
    facts = EXPECTED["tengrinews.json"]
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == facts["feed_title"]
    assert len(feed["items"]) == facts["count"]
    for raw, item in zip(feed["items"], facts["items"], strict=True):
        assert raw["id"] == item["guid"]
        assert raw["url"] == item["link"]
        assert raw["title"] == item["title"]
        assert rfc3339_to_utc(raw["date_published"]) == item["published_utc"]
        if "updated_utc" in item:
            assert rfc3339_to_utc(raw["date_modified"]) == item["updated_utc"]
        assert raw["authors"][0]["name"] == item["author"]
        assert {"content_html", "summary", "image", "tags"} <= raw.keys()


def test_fixture_feeds_served_parse_alike(feed_server: FeedServer, client: httpx.Client) -> None:
    """Feeds fetched over HTTP parse to the same entry count as from disk."""
    for name in WELL_FORMED:
        response = client.get(feed_server.url(f"/feeds/{name}"))
        parsed = feedparser.parse(
            response.content, response_headers={"content-type": response.headers["content-type"]}
        )
        assert len(parsed.entries) == EXPECTED[name]["count"], name

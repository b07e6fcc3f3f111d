"""Feed discovery from a fetched page (``aggregator.discover``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.discover import FALLBACK_PATHS, DiscoveredFeed, discover_feeds, feed_title

OPML_DIR = Path(__file__).parent / "data" / "opml"
HOME = "https://qazaqdaily.example/"


def test_homepage_alternate_links_in_page_order() -> None:
    content = (OPML_DIR / "kz-news-homepage.html").read_bytes()
    assert discover_feeds(content, url=HOME, content_type="text/html; charset=utf-8") == [
        DiscoveredFeed(
            "https://qazaqdaily.example/feed/", "Qazaq Daily » Лента", "application/rss+xml"
        ),
        # relative href
        DiscoveredFeed(
            "https://qazaqdaily.example/comments/feed/",
            "Qazaq Daily » Лента комментариев",
            "application/rss+xml",
        ),
        # rel and type in capitals, a type parameter, a title across lines
        DiscoveredFeed(
            "https://qazaqdaily.example/kk/atom.xml", "Қазақша жаңалықтар", "application/atom+xml"
        ),
        # protocol-relative href
        DiscoveredFeed(
            "https://qazaqdaily.example/feed.json", "JSON Feed", "application/feed+json"
        ),
        # in the body: still a link the site gives
        DiscoveredFeed(
            "https://qazaqdaily.example/category/economy/feed/",
            "Экономика",
            "application/rss+xml",
        ),
        # not there: the WordPress REST API (application/json), oEmbed, the hreflang
        # alternate, the repeated feed, the empty and the javascript: hrefs
    ]


def test_relative_links_resolve_against_the_page_url() -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="rss.xml">'
    found = discover_feeds(page, url="https://x.kz/news/today.html", content_type=None)
    assert found == [DiscoveredFeed("https://x.kz/news/rss.xml", None, "application/rss+xml")]


def test_base_href_is_honoured() -> None:
    page = (
        b'<html><head><base href="https://cdn.x.kz/site/">'
        b'<link rel="alternate" type="application/atom+xml" href="atom.xml" title="">'
    )
    found = discover_feeds(page, url="https://x.kz/", content_type="text/html")
    assert found == [DiscoveredFeed("https://cdn.x.kz/site/atom.xml", None, "application/atom+xml")]


def test_plain_json_alternate_is_a_candidate() -> None:
    page = b'<link rel="alternate" type="application/json" href="/feed.json" title="JSON">'
    found = discover_feeds(page, url="https://x.kz/", content_type="text/html")
    assert found == [DiscoveredFeed("https://x.kz/feed.json", "JSON", "application/json")]


def test_windows_1251_page_by_its_meta_charset() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        '<link rel="alternate" type="application/rss+xml" title="Новости" href="/rss">'
        "</head><body>Главная страница</body></html>"
    ).encode("cp1251")
    found = discover_feeds(page, url="https://x.kz/", content_type="text/html")
    assert found == [DiscoveredFeed("https://x.kz/rss", "Новости", "application/rss+xml")]


def test_the_http_charset_wins_over_meta() -> None:
    page = (
        '<meta charset="utf-8"><link rel="alternate" type="application/rss+xml" title="Лента"'
        ' href="/rss">'
    ).encode("koi8-r")
    found = discover_feeds(page, url="https://x.kz/", content_type="text/html; charset=koi8-r")
    assert [feed.title for feed in found] == ["Лента"]


def test_page_without_links_gives_guesses(data_dir: Path) -> None:
    page = b"<html><head><title>No feeds here</title></head><body>Hello</body></html>"
    found = discover_feeds(page, url="https://x.kz/news/page?id=1", content_type="text/html")
    assert found == [
        DiscoveredFeed(f"https://x.kz{path}", None, None, guessed=True) for path in FALLBACK_PATHS
    ]


def test_guesses_skip_the_page_itself() -> None:
    found = discover_feeds(b"<html></html>", url="https://x.kz/feed", content_type=None)
    assert "https://x.kz/feed" not in [feed.url for feed in found]
    assert len(found) == len(FALLBACK_PATHS) - 1


def test_empty_body_gives_guesses() -> None:
    found = discover_feeds(b"", url="https://x.kz/", content_type=None)
    assert all(feed.guessed for feed in found) and len(found) == len(FALLBACK_PATHS)


@pytest.mark.parametrize(
    ("name", "kind", "title"),
    [
        ("ulysmedia.rss", "application/rss+xml", "Ulysmedia.kz — новости Казахстана"),
        ("kazinform.atom", "application/atom+xml", "Kazinform — Қазақстан жаңалықтары"),
        ("atom03.xml", "application/atom+xml", "Old Atom Blog"),
        ("rdf.xml", "application/rdf+xml", "Vlast.example — политика"),
        ("cp1251.rss", "application/rss+xml", "Газета «Время» — новости Казахстана"),
        ("tengrinews.json", "application/feed+json", "Tengrinews.kz — Новости Казахстана и мира"),
        ("jsonfeed10.json", "application/feed+json", "Orda.example"),
        ("malformed.xml", "application/rss+xml", None),
    ],
)
def test_a_feed_is_its_own_feed(data_dir: Path, name: str, kind: str, title: str | None) -> None:
    url = f"https://feeds.example/{name}"
    content = (data_dir / name).read_bytes()
    found = discover_feeds(content, url=url, content_type=None)
    assert [(feed.url, feed.type, feed.guessed) for feed in found] == [(url, kind, False)]
    if title is not None:
        assert found[0].title == title == feed_title(content)


def test_html_page_is_not_a_feed(data_dir: Path) -> None:
    content = (data_dir / "not-a-feed.html").read_bytes()
    found = discover_feeds(content, url="https://ulysmedia.kz/", content_type="text/html")
    assert found and all(not feed.guessed for feed in found)
    assert found[0].type == "application/rss+xml"
    assert feed_title(content) is None


def test_json_that_is_no_feed_is_treated_as_a_page() -> None:
    found = discover_feeds(
        b'{"posts": []}', url="https://x.kz/api", content_type="application/json"
    )
    assert all(feed.guessed for feed in found)


@pytest.mark.parametrize("name", ["hostile/billion-laughs.xml", "hostile/xxe-parameter.xml"])
def test_hostile_feed_is_recognised_without_expansion(data_dir: Path, name: str) -> None:
    content = (data_dir / name).read_bytes()
    found = discover_feeds(content, url="https://x.kz/rss", content_type=None)
    assert [(feed.type, feed.title) for feed in found] == [("application/rss+xml", None)]
    assert feed_title(content) is None


def test_feed_title_collapses_whitespace() -> None:
    content = b"<rss version='2.0'><channel><title>\n  Vlast.kz \n  news </title></channel></rss>"
    assert feed_title(content) == "Vlast.kz news"


@pytest.mark.parametrize("content", [b"", b"<html></html>", b"\x89PNG\r\n", b"<rss/>"])
def test_feed_title_of_no_feed_is_none(content: bytes) -> None:
    assert feed_title(content) is None


@settings(max_examples=300, deadline=None)
@given(
    content=st.binary(max_size=400)
    | st.text(st.sampled_from(list("<>/=\"' &;#!?abhrefilnkt:")), max_size=80).map(str.encode),
    content_type=st.none() | st.sampled_from(["text/html", "text/html; charset=bogus", "x/y"]),
)
def test_discovery_never_crashes(content: bytes, content_type: str | None) -> None:
    found = discover_feeds(content, url="https://x.kz/", content_type=content_type)
    assert found and all(isinstance(feed, DiscoveredFeed) for feed in found)
    assert all(feed.url.startswith(("http://", "https://")) for feed in found)
    title = feed_title(content)
    assert title is None or (isinstance(title, str) and title)


def test_feed_after_leading_blank_lines_is_a_feed() -> None:
    content = b"\n\n  <?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel>"
    found = discover_feeds(content, url="https://x.kz/rss", content_type=None)
    assert found == [DiscoveredFeed("https://x.kz/rss", "T", "application/rss+xml")]

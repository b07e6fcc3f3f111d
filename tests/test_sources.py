"""Sources in the wild through the real pipeline: HTML pages read with CSS selectors and
full-text extraction of article pages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer

from aggregator.config import Settings, load_settings
from aggregator.errors import ConfigError
from aggregator.fetch import Fetcher
from aggregator.pipeline import SourceOutcome
from aggregator.scheduler import refresh_many, sync_sources
from aggregator.storage import Store

AKORDA = """\
  - id: akorda
    name: Акорда
    url: {url}
    type: html
    selectors:
      item: .news-item
      title: h3 a
      link: h3 a
      date: .date
      summary: .lead
      image: img
"""


def make(tmp_path: Path, sources: str) -> tuple[Settings, Store]:
    (tmp_path / "feeds.yaml").write_text(
        "store: store\nfetch:\n  allow_private_addresses: true\n  host_spacing: 0s\nsources:\n"
        + sources,
        encoding="utf-8",
    )
    settings = load_settings(tmp_path / "feeds.yaml")
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url)
    sync_sources(store, settings)
    return settings, store


def refresh(settings: Settings, store: Store) -> dict[str, SourceOutcome]:
    async def go() -> list[SourceOutcome]:
        async with Fetcher(settings.config.fetch) as fetcher:
            return await refresh_many(list(settings.sources), settings, store, fetcher)

    return {o.source_id: o for o in asyncio.run(go())}


@pytest.fixture
def akorda(tmp_path: Path, fresh_server: FeedServer) -> Iterator[tuple[Settings, Store]]:
    settings, store = make(
        tmp_path, AKORDA.format(url=fresh_server.url("/feeds/akorda-events.html"))
    )
    yield settings, store
    store.close()


def test_html_source_items_land_with_absolute_links(akorda: tuple[Settings, Store]) -> None:
    settings, store = akorda
    outcome = refresh(settings, store)["akorda"]
    assert outcome.error is None and outcome.new == 6
    entries = store.latest_entries(10, {})
    titles = {e.title for e in entries}
    assert "Глава государства принял Премьер-министра Олжаса Бектенова" in titles
    assert all(e.link and e.link.startswith("https://www.akorda.kz/ru/") for e in entries)
    bektenov = next(e for e in entries if "Бектенова" in e.title)
    assert bektenov.published.isoformat() == "2026-11-25T09:30:00+00:00"  # 14:30 Almaty
    assert bektenov.image == "https://www.akorda.kz/assets/media/news/2026/11/25/bektenov.jpg"
    assert "социально-экономического развития" in bektenov.summary
    # A second fetch of the same page adds nothing.
    assert refresh(settings, store)["akorda"].new == 0


def test_html_source_with_no_matching_items_fails_alone(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    wrong = AKORDA.format(url=fresh_server.url("/feeds/not-a-feed.html")).replace(
        ".news-item", ".no-such-class"
    )
    ulysmedia = fresh_server.url("/feeds/ulysmedia.rss")
    good = f"  - id: ulys\n    name: Ulysmedia.kz\n    url: {ulysmedia}\n"
    settings, store = make(tmp_path, wrong + good)
    outcomes = refresh(settings, store)
    assert "no items matched selector '.no-such-class'" in (outcomes["akorda"].error or "")
    assert outcomes["ulys"].new == 6
    store.close()


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("    type: html\n", "type: html needs selectors"),
        ("    selectors: {item: a, title: b}\n", "selectors are only used with type: html"),
        ("    timezone: Mars/Olympus\n", "'Mars/Olympus' is not a known timezone"),
    ],
)
def test_source_type_settings_are_validated(tmp_path: Path, snippet: str, message: str) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "sources:\n  - id: a\n    name: A\n    url: https://a.kz/\n" + snippet, encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path / "feeds.yaml")


def test_full_text_fetches_the_article_of_new_items(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    article = fresh_server.url("/feeds/article.html")
    fresh_server.set_file(
        "summary.rss",
        f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Summaries</title><link>https://example.kz/</link>
<item><guid>a1</guid><link>{article}</link><title>Токаев встретился с акимом Алматы</title>
<description>Коротко: аким доложил о развитии города.</description>
<pubDate>Tue, 25 Nov 2026 10:00:00 +0500</pubDate></item>
</channel></rss>""".encode(),
    )
    settings, store = make(
        tmp_path,
        (
            f"  - id: short\n    name: Short\n    url: {fresh_server.url('/feeds/summary.rss')}\n"
            "    full_text: true\n"
        ),
    )
    assert refresh(settings, store)["short"].new == 1
    (entry,) = store.latest_entries(5, {})
    assert "объём валового регионального продукта города вырос" in entry.content_html
    assert entry.content_html.count("<p>") >= 5
    assert len(fresh_server.requests("/feeds/article.html")) == 1
    # The feed is served again (new ETag) with the item unchanged: no second article
    # fetch, and no "updated" flip-flop between the summary and the full text.
    feed = fresh_server.content("summary.rss") or b""
    fresh_server.set_file("summary.rss", feed.replace(b"</channel>", b"\n</channel>"))
    fresh_server.clear()
    outcome = refresh(settings, store)["short"]
    assert (outcome.status, outcome.new, outcome.updated) == (200, 0, 0)
    assert fresh_server.requests("/feeds/article.html") == []
    store.close()


def test_a_huge_article_page_is_capped_like_feed_content(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    paragraphs = "".join(
        f"<p>Әкімдік облыста {n}-ауруханасын салатынын хабарлады, құрылыс басталады.</p>\n"
        for n in range(20_000)
    )  # ~1.5 million characters, each paragraph different (extraction drops repeats)
    page = (
        "<html><head><title>Аурухана</title></head><body><article><h1>Аурухана</h1>"
        f"{paragraphs}</article></body></html>"
    )
    fresh_server.set_file("huge-article.html", page.encode())
    article = fresh_server.url("/feeds/huge-article.html")
    fresh_server.set_file(
        "huge.rss",
        f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Huge</title><link>https://example.kz/</link>
<item><guid>h1</guid><link>{article}</link><title>Жаңа аурухана</title>
<description>Қысқаша.</description></item></channel></rss>""".encode(),
    )
    settings, store = make(
        tmp_path,
        f"  - id: huge\n    name: Huge\n    url: {fresh_server.url('/feeds/huge.rss')}\n"
        "    full_text: true\n",
    )
    assert refresh(settings, store)["huge"].new == 1
    (entry,) = store.latest_entries(5, {})
    assert 500_000 < len(entry.content_html) <= 1_000_000, len(entry.content_html)
    assert entry.content_html.count("<p>") == entry.content_html.count("</p>")
    store.close()

"""Attribution through the real pipeline into all four output formats."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from feedserver import FeedServer
from feedserver import rss_document as rss
from lxml import etree

from aggregator import attribution
from aggregator.config import Settings, load_settings
from aggregator.fetch import Fetcher
from aggregator.publish import Outputs, publish
from aggregator.scheduler import refresh_many, sync_sources
from aggregator.storage import Store

TELEGRAM = "Токаев поздравил Алиева с днём рождения"
FARE = "В Алматы с 1 января подорожает проезд в общественном транспорте"


def setup(tmp_path: Path, server: FeedServer, extra: str = "") -> tuple[Settings, Store]:
    (tmp_path / "feeds.yaml").write_text(
        f"""\
store: store
output:
  language: ru
fetch:
  allow_private_addresses: true
  host_spacing: 0s
{extra}
sources:
  - id: akorda
    name: Акорда
    url: {server.url("/feeds/akorda.rss")}
    aliases: [Akorda, Ақорда, пресс-служба Президента]
    forms: {{acc: Акорду}}
  - id: ulysmedia
    name: Ulysmedia.kz
    url: {server.url("/feeds/ulysmedia.rss")}
  - id: tengrinews
    name: Tengrinews.kz
    url: {server.url("/feeds/tengrinews.json")}
""",
        encoding="utf-8",
    )
    settings = load_settings(tmp_path / "feeds.yaml")
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url)
    sync_sources(store, settings)
    return settings, store


def fetch_and_publish(tmp_path: Path, server: FeedServer) -> list[dict]:
    """Every source fetched once and the output published: feed.json's items."""
    settings, store = setup(tmp_path, server)

    async def go() -> None:
        async with Fetcher(settings.config.fetch) as fetcher:
            await refresh_many(list(settings.sources), settings, store, fetcher)

    asyncio.run(go())
    try:
        return list(json.loads(publish(store, settings, datetime.now(UTC)).json)["items"])
    finally:
        store.close()


@pytest.fixture
def outputs(tmp_path: Path, fresh_server: FeedServer) -> Iterator[Outputs]:
    fresh_server.set_file(
        "akorda.rss",
        rss(
            "akorda.kz",
            [
                (
                    "ru-2",
                    "Глава государства принял министра энергетики",
                    "Касым-Жомарт Токаев принял министра энергетики Ерлана Аккенженова и "
                    "заслушал доклад о подготовке к отопительному сезону.",
                    "Mon, 24 Nov 2026 11:00:00 +0500",
                )
            ],
        ),
    )
    settings, store = setup(tmp_path, fresh_server)

    async def go() -> None:
        async with Fetcher(settings.config.fetch) as fetcher:
            await refresh_many(list(settings.sources), settings, store, fetcher)

    asyncio.run(go())
    yield publish(store, settings, datetime.now(UTC))
    store.close()


def json_item(outputs: Outputs, title: str) -> dict:
    items = json.loads(outputs.json)["items"]
    found = [i for i in items if i["title"] == title]
    assert found, [(i["title"], [s["id"] for s in i["_aggregator"]["sources"]]) for i in items]
    return found[0]


def test_credited_chain_origin_and_line_in_json(outputs: Outputs) -> None:
    item = json_item(outputs, TELEGRAM)
    extension = item["_aggregator"]
    assert extension["line"] == "Передаёт Ulysmedia.kz со ссылкой на Акорду"
    assert extension["publisher"] == {"id": "ulysmedia", "name": "Ulysmedia.kz", "url": item["url"]}
    assert extension["credited"] == [{"name": "Акорда", "source": "akorda"}]
    assert extension["origin"] == {"name": "Акорда", "source": "akorda", "url": None}
    assert '<p class="attribution">Передаёт <a href="' in item["content_html"]


def test_text_crediting_another_outlet(outputs: Outputs) -> None:
    item = json_item(outputs, FARE)
    extension = item["_aggregator"]
    # Tengrinews published first (so it is shown); its text credits the city's transport
    # department, a name outside the directory: credited by name, no source id.
    assert extension["source"]["id"] == "tengrinews"
    assert extension["line"] == (
        "Передаёт Tengrinews.kz со ссылкой на управление городской мобильности"
    )
    assert extension["origin"] == {
        "name": "управление городской мобильности",
        "source": None,
        "url": None,
    }


def test_plain_line_when_nothing_is_credited(outputs: Outputs) -> None:
    items = json.loads(outputs.json)["items"]
    plain = [i for i in items if i["_aggregator"]["source"]["id"] == "akorda"]
    assert plain and plain[0]["_aggregator"]["line"] == "Сообщает Акорда"
    assert plain[0]["_aggregator"]["credited"] == []
    assert plain[0]["_aggregator"]["origin"]["source"] == "akorda"


def test_rss_and_atom_stay_valid_with_the_line(outputs: Outputs) -> None:
    for document, version in ((outputs.rss, "rss20"), (outputs.atom, "atom10")):
        parsed = feedparser.parse(document)
        assert not parsed.bozo and parsed.version == version
        entry = next(e for e in parsed.entries if e.title == TELEGRAM)
        assert "со ссылкой на" in entry.content[0].value
        assert entry.source.title == "Ulysmedia.kz"
    rss_root = etree.fromstring(outputs.rss)
    for item in rss_root.iter("item"):
        assert {c.tag for c in item} <= {
            "title",
            "link",
            "description",
            "guid",
            "pubDate",
            "source",
            "category",
            "enclosure",
            "{http://purl.org/rss/1.0/modules/content/}encoded",
            "{http://purl.org/dc/elements/1.1/}creator",
        }
    assert "Ulysmedia.kz</a> со ссылкой на Акорду" in outputs.html.decode()


def test_official_source_first_then_retellings(tmp_path: Path, fresh_server: FeedServer) -> None:
    fresh_server.set_file(
        "akorda.rss",
        rss(
            "akorda.kz",
            [
                (
                    "ru-1",
                    "Глава государства направил поздравительную телеграмму Ильхаму Алиеву",
                    "Касым-Жомарт Токаев направил поздравительную телеграмму Президенту "
                    "Азербайджана Ильхаму Алиеву в связи с днём рождения и пожелал ему "
                    "крепкого здоровья.",
                    "Mon, 24 Nov 2026 13:00:00 +0500",
                )
            ],
        ),
    )
    items = fetch_and_publish(tmp_path, fresh_server)
    story = next(i for i in items if i["_aggregator"]["source"]["id"] == "akorda")
    extension = story["_aggregator"]
    assert {s["id"] for s in extension["sources"]} == {"akorda", "ulysmedia"}
    assert extension["line"] == "Сообщает Акорда"
    assert extension["origin"] == {"name": "Акорда", "source": "akorda", "url": story["url"]}
    assert "Также сообщают: " in story["content_html"]


def test_templates_from_config(tmp_path: Path, fresh_server: FeedServer) -> None:
    fresh_server.set_file("akorda.rss", rss("akorda.kz", []))
    settings, store = setup(
        tmp_path,
        fresh_server,
        extra=(
            "attribution:\n  templates:\n    ru:\n"
            '      cited: "{publisher} пишет, ссылаясь на {credited}"\n'
        ),
    )

    async def go() -> None:
        async with Fetcher(settings.config.fetch) as fetcher:
            await refresh_many(list(settings.sources), settings, store, fetcher)

    asyncio.run(go())
    outputs = publish(store, settings, datetime.now(UTC))
    assert json_item(outputs, TELEGRAM)["_aggregator"]["line"] == (
        "Ulysmedia.kz пишет, ссылаясь на Акорду"
    )
    store.close()


def test_bad_template_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(
        'attribution:\n  templates:\n    ru:\n      cited: "{publisher} {who}"\n'
    )
    with pytest.raises(
        ValueError,
        match=r"feeds\.yaml:2: attribution\.templates: templates\.ru\.cited: .*unknown placeholder",
    ):
        load_settings(tmp_path / "feeds.yaml")


def test_mixed_language_feed_each_item_read_by_its_own_grammar(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    """One feed (a Kazakhstan outlet's, declared Russian) carrying Russian, Kazakh and
    English items, republished in Russian: each item's own letters choose its language
    and the grammar that reads it."""
    fresh_server.set_file(
        "ulysmedia.rss",
        rss(
            "ulysmedia.kz",
            [
                (
                    "kk-1",
                    "Президент Қостанай облысына барды",
                    "Мемлекет басшысы су тасқыны аймақтарын аралады, деп хабарлайды Kazinform "
                    "тілшісі Ақордаға сілтеме жасап.",
                    "Mon, 24 Nov 2026 09:00:00 +0500",
                ),
                (
                    "en-1",
                    "Floods recede in Kostanay region",
                    "Water levels fell overnight, the regional emergencies department said in "
                    "a statement.",
                    "Mon, 24 Nov 2026 09:30:00 +0500",
                ),
                (
                    "ru-1",
                    "Из зоны подтопления эвакуированы 200 человек",
                    "Об этом сообщил официальный представитель МЧС Руслан Иманкулов.",
                    "Mon, 24 Nov 2026 10:00:00 +0500",
                ),
            ],
        ),
    )
    items = fetch_and_publish(tmp_path, fresh_server)
    languages = {i["title"]: i.get("language") for i in items}
    assert languages["Президент Қостанай облысына барды"] == "kk"
    assert languages["Floods recede in Kostanay region"] == "en"
    assert languages["Из зоны подтопления эвакуированы 200 человек"] == "ru"
    by_title = {i["title"]: i["_aggregator"] for i in items}
    kazakh = by_title["Президент Қостанай облысына барды"]
    assert [c["name"] for c in kazakh["credited"]] == ["Kazinform", "Акорда"]
    assert kazakh["line"] == "Передаёт Ulysmedia.kz со ссылкой на Kazinform и Акорду"
    english = by_title["Floods recede in Kostanay region"]
    assert english["origin"]["name"] == "the regional emergencies department"
    russian = by_title["Из зоны подтопления эвакуированы 200 человек"]
    assert russian["origin"]["name"] == "официальный представитель МЧС Руслан Иманкулов"
    assert russian["line"] == (
        "Передаёт Ulysmedia.kz со ссылкой на официального представителя МЧС Руслана Иманкулова"
    )


def test_credits_are_read_once_and_stored_with_the_item(outputs: Outputs, tmp_path: Path) -> None:
    """A publish stores each shown entry's credited chain; the next publish takes it from
    the store instead of reading the text again, until the reader or directory changes."""
    settings = load_settings(tmp_path / "feeds.yaml")
    store = Store.open(settings.database_url)
    try:
        with store.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT id, credits FROM items WHERE title = ?", (TELEGRAM,)
            ).all()
        assert rows and rows[0][1] is not None
        item_id, stored = rows[0]
        key = json.loads(stored)["key"]
        assert key.startswith(f"{attribution.READER_VERSION}:")
        # Put another chain under the same key: the next publish must show it, unread.
        planted = attribution.encode_credits(
            [attribution.Credit("Контрольный источник", None, "cites")], key
        )
        store.save_credits([(item_id, planted)])
        extension = json_item(publish(store, settings, datetime.now(UTC)), TELEGRAM)["_aggregator"]
        assert extension["credited"] == [{"name": "Контрольный источник", "source": None}]
        # Under another key (a new reader, other aliases) the text is read again.
        stale = attribution.encode_credits([attribution.Credit("Старое", None, "cites")], "1:x")
        store.save_credits([(item_id, stale)])
        extension = json_item(publish(store, settings, datetime.now(UTC)), TELEGRAM)["_aggregator"]
        assert extension["credited"] == [{"name": "Акорда", "source": "akorda"}]
    finally:
        store.close()

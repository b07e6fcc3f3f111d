"""Stories through the real pipeline: fixture server → fetch → store → output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedserver import FeedServer
from feedserver import rss_document as rss

from aggregator.config import Settings, load_settings
from aggregator.fetch import Fetcher
from aggregator.pipeline import refresh_source, settle_stories
from aggregator.publish import publish
from aggregator.scheduler import refresh_many, sync_sources
from aggregator.storage import Store

FARE = "В Алматы с 1 января подорожает проезд в общественном транспорте"


def make_env(
    tmp_path: Path, server: FeedServer, sources: dict[str, tuple[str, str, int]]
) -> tuple[Settings, Store]:
    lines = [
        "store: store",
        "fetch:\n  allow_private_addresses: true\n  host_spacing: 0s",
        "sources:",
    ]
    for source_id, (name, path, priority) in sources.items():
        lines.append(
            f"  - id: {source_id}\n    name: {name}\n    url: {server.url(path)}\n"
            f"    priority: {priority}"
        )
    (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(tmp_path / "feeds.yaml")
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url)
    sync_sources(store, settings)
    return settings, store


def refresh(settings: Settings, store: Store, ids: list[str]) -> None:
    async def go() -> None:
        async with Fetcher(settings.config.fetch) as fetcher:
            chosen = [s for s in settings.sources if s.id in ids]
            await refresh_many(chosen, settings, store, fetcher)

    asyncio.run(go())


def output(settings: Settings, store: Store) -> list[dict]:
    return json.loads(publish(store, settings, datetime.now(UTC)).json)["items"]


@pytest.fixture
def fare(tmp_path: Path, fresh_server: FeedServer) -> Iterator[tuple[Settings, Store]]:
    settings, store = make_env(
        tmp_path,
        fresh_server,
        {
            "tengrinews": ("Tengrinews.kz", "/feeds/tengrinews.json", 0),
            "ulysmedia": ("Ulysmedia.kz", "/feeds/ulysmedia.rss", 0),
        },
    )
    yield settings, store
    store.close()


def test_retellings_fold_into_one_story_with_every_outlet(fare: tuple[Settings, Store]) -> None:
    settings, store = fare
    refresh(settings, store, ["tengrinews"])
    before = {i["title"]: i["id"] for i in output(settings, store)}
    refresh(settings, store, ["ulysmedia"])
    items = output(settings, store)
    fares = [i for i in items if i["title"] == FARE]
    assert len(fares) == 1, [i["title"] for i in items]
    story = fares[0]
    assert story["id"] == before[FARE]  # the story keeps the id readers already saw
    assert story["_aggregator"]["story"] == story["id"]
    members = {s["id"] for s in story["_aggregator"]["sources"]}
    assert members == {"tengrinews", "ulysmedia"}
    assert (
        "Также сообщают: " in story["content_html"] and "Ulysmedia.kz</a>" in story["content_html"]
    )
    assert store.item_count() == 11  # every item is kept; only the output folds them
    assert len(items) == 10


def test_priority_overrides_the_representative_but_not_the_id(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    settings, store = make_env(
        tmp_path,
        fresh_server,
        {
            "tengrinews": ("Tengrinews.kz", "/feeds/tengrinews.json", 0),
            "ulysmedia": ("Ulysmedia.kz", "/feeds/ulysmedia.rss", 10),
        },
    )
    refresh(settings, store, ["tengrinews"])
    first = next(i for i in output(settings, store) if i["title"] == FARE)
    refresh(settings, store, ["ulysmedia"])
    story = next(i for i in output(settings, store) if i["id"] == first["id"])
    assert story["_aggregator"]["source"]["id"] == "ulysmedia"
    assert story["url"].startswith("https://ulysmedia.kz/")
    assert story["date_modified"] != first["date_modified"]
    store.close()


def test_edited_item_stays_in_its_story(
    fare: tuple[Settings, Store], fresh_server: FeedServer
) -> None:
    settings, store = fare
    refresh(settings, store, ["tengrinews", "ulysmedia"])
    story_id = next(i["id"] for i in output(settings, store) if i["title"] == FARE)
    original = fresh_server.content("ulysmedia.rss") or b""
    edited = original.replace("с 1 января".encode(), "с 1 января 2027 года".encode(), 1)
    assert edited != original
    fresh_server.set_file("ulysmedia.rss", edited)
    refresh(settings, store, ["ulysmedia"])
    stories = [
        i
        for i in output(settings, store)
        if "ulysmedia" in {s["id"] for s in i["_aggregator"]["sources"]}
        and "tengrinews" in {s["id"] for s in i["_aggregator"]["sources"]}
    ]
    assert [s["id"] for s in stories] == [story_id]


def test_daily_rates_and_different_events_stay_apart(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    fresh_server.set_file(
        "rates-a.rss",
        rss(
            "kursiv.media",
            [
                (
                    "r25",
                    "Курс доллара на 25 ноября",
                    "Нацбанк установил официальный курс доллара на "
                    "25 ноября на уровне 512,40 тенге.",
                    "Tue, 25 Nov 2026 03:00:00 +0000",
                ),
                (
                    "r26",
                    "Курс доллара на 26 ноября",
                    "Нацбанк установил официальный курс доллара на "
                    "26 ноября на уровне 514,10 тенге.",
                    "Wed, 26 Nov 2026 03:00:00 +0000",
                ),
            ],
        ),
    )
    fresh_server.set_file(
        "rates-b.rss",
        rss(
            "zakon.kz",
            [
                (
                    "z25",
                    "Официальный курс доллара на 25 ноября",
                    "Официальный курс доллара на 25 "
                    "ноября составил 512,40 тенге, сообщает Нацбанк.",
                    "Tue, 25 Nov 2026 03:10:00 +0000",
                ),
                (
                    "z26",
                    "Официальный курс доллара на 26 ноября",
                    "Официальный курс доллара на 26 "
                    "ноября составил 514,10 тенге, сообщает Нацбанк.",
                    "Wed, 26 Nov 2026 03:05:00 +0000",
                ),
            ],
        ),
    )
    settings, store = make_env(
        tmp_path,
        fresh_server,
        {
            "kursiv": ("Kursiv", "/feeds/rates-a.rss", 0),
            "zakon": ("Zakon.kz", "/feeds/rates-b.rss", 0),
        },
    )
    refresh(settings, store, ["kursiv"])
    refresh(settings, store, ["zakon"])
    items = output(settings, store)
    assert len(items) == 2, [i["title"] for i in items]
    for item in items:
        members = item["_aggregator"]["sources"]
        assert {m["id"] for m in members} == {"kursiv", "zakon"}
        days = {m["published"][:10] for m in members}
        assert len(days) == 1, members  # one day per story: 25th with 25th, 26th with 26th
    store.close()


def test_dedup_can_be_switched_off(tmp_path: Path, fresh_server: FeedServer) -> None:
    settings, store = make_env(
        tmp_path,
        fresh_server,
        {
            "tengrinews": ("Tengrinews.kz", "/feeds/tengrinews.json", 0),
            "ulysmedia": ("Ulysmedia.kz", "/feeds/ulysmedia.rss", 0),
        },
    )
    config = settings.path.read_text(encoding="utf-8") + "dedup:\n  enabled: false\n"
    settings.path.write_text(config, encoding="utf-8")
    settings = load_settings(settings.path)
    refresh(settings, store, ["tengrinews", "ulysmedia"])
    assert len(output(settings, store)) == 11
    store.close()


# One event told by four outlets in other words (one in Kazakh), its follow-up two days
# later, and another event of the same city that evening.
ORDER_FEEDS = {
    "aktobe-a": (
        "aktobeinfo.kz",
        [
            (
                "a1",
                "Пожар на рынке «Шанырак» в Актобе: сгорели 80 павильонов",
                "Ночью в Актобе загорелся рынок «Шанырак». Огонь уничтожил 80 павильонов "
                "на площади 3 500 квадратных метров, пострадавших нет, сообщили в ДЧС.",
                "Mon, 16 Mar 2026 02:00:00 +0000",
            ),
            (
                "a2",
                "Названа причина пожара на рынке «Шанырак»",
                "Рынок «Шанырак» в Актобе загорелся из-за неисправного обогревателя в одном "
                "из павильонов, установила пожарно-техническая экспертиза.",
                "Wed, 18 Mar 2026 06:00:00 +0000",
            ),
        ],
    ),
    "aktobe-b": (
        "zhaikpress.kz",
        [
            (
                "b1",
                "В Актобе горел рынок: огонь охватил 3 500 квадратных метров",
                "Спасатели всю ночь тушили рынок «Шанырак» в Актобе. Площадь пожара "
                "составила 3 500 квадратных метров, выгорели 80 торговых павильонов.",
                "Mon, 16 Mar 2026 03:10:00 +0000",
            ),
            (
                "b2",
                "В Актобе открыли новый каток на набережной",
                "Вечером в Актобе открылся каток на набережной реки Илек. Вход для детей "
                "бесплатный, каток будет работать до конца марта.",
                "Mon, 16 Mar 2026 14:00:00 +0000",
            ),
        ],
    ),
    "aktobe-c": (
        "aktobe-news.kz",
        [
            (
                "c1",
                "Ақтөбедегі «Шаңырақ» базарында өрт шықты",
                "Ақтөбедегі «Шаңырақ» базарында түнде өрт шығып, 80 павильон жанып кетті. "
                "Өрт 3 500 шаршы метр аумақты шарпыды, зардап шеккендер жоқ.",
                "Mon, 16 Mar 2026 04:00:00 +0000",
            ),
        ],
    ),
    "aktobe-d": (
        "diapazon.kz",
        [
            (
                "d1",
                "Восемьдесят павильонов сгорели на актюбинском рынке",
                "Торговцы рынка «Шанырак» остались без товара: ночной пожар уничтожил 80 "
                "павильонов. ДЧС Актюбинской области сообщает, что огонь потушен.",
                "Mon, 16 Mar 2026 04:30:00 +0000",
            ),
            (
                "d2",
                "Пожар на «Шаныраке» начался из-за обогревателя",
                "Причиной пожара на рынке «Шанырак» в Актобе стал неисправный "
                "обогреватель, сообщили в ДЧС по итогам экспертизы.",
                "Wed, 18 Mar 2026 07:00:00 +0000",
            ),
        ],
    ),
}


def _grouping(tmp_path: Path, server: FeedServer, order: list[str]) -> set[frozenset[str]]:
    tmp_path.mkdir()
    for name, (outlet, entries) in ORDER_FEEDS.items():
        server.set_file(f"{name}.rss", rss(outlet, entries))
    settings, store = make_env(
        tmp_path, server, {name: (name, f"/feeds/{name}.rss", 0) for name in ORDER_FEEDS}
    )
    for source_id in order:
        refresh(settings, store, [source_id])
    return _closed_with_stories(settings, store)


def _closed_with_stories(settings: Settings, store: Store) -> set[frozenset[str]]:
    """The published stories, each as the set of its members' guids; the store closed."""
    stories = {
        frozenset(member["url"].rsplit("/", 1)[-1] for member in entry["_aggregator"]["sources"])
        for entry in output(settings, store)
    }
    store.close()
    return stories


def test_arrival_order_does_not_change_the_stories(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    """The same items from the same outlets, fetched in two orders, make the same
    stories: the retellings fold (across languages too), the follow-up and the other
    event of the same city stay apart."""
    forward = _grouping(tmp_path / "forward", fresh_server, list(ORDER_FEEDS))
    backward = _grouping(tmp_path / "backward", fresh_server, list(reversed(ORDER_FEEDS)))
    assert forward == backward
    assert frozenset({"a1", "b1", "c1", "d1"}) in forward
    assert frozenset({"a2", "d2"}) in forward
    assert frozenset({"b2"}) in forward


DETOUR_FEEDS = {
    "aktobe-city": (
        "aktobe.gov.kz",
        "В Актобе ограничили движение по проспекту Абилкайыр хана из-за ремонта теплотрассы",
        "С 10 апреля в Актобе перекрыт участок проспекта Абилкайыр хана от улицы Маресьева до "
        "улицы Братьев Жубановых. Коммунальщики меняют изношенную теплотрассу, работы "
        "продлятся до 25 апреля, сообщили в акимате города.",
        "Fri, 10 Apr 2026 05:00:00 +0000",
    ),
    "aktobe-news": (
        "aktobeinfo.kz",
        "Участок проспекта Абилкайыр хана закрыли на ремонт теплотрассы",
        "Перекрыт участок проспекта Абилкайыр хана между улицами Маресьева и Братьев "
        "Жубановых: коммунальные службы заменяют трубы. Общественный транспорт пустят в "
        "объезд по улице Некрасова, автобусы маршрутов 2 и 41 изменят схему движения.",
        "Fri, 10 Apr 2026 06:00:00 +0000",
    ),
    "aktobe-transit": (
        "diapazon.kz",
        "Автобусы 2 и 41 в Актобе изменят маршруты из-за перекрытия улицы",
        "В Актобе автобусы маршрутов 2 и 41 будут ходить по улице Некрасова. Причина в "
        "замене труб на проспекте, где закрыто движение. Пассажиров просят учитывать "
        "изменения, сообщил отдел пассажирского транспорта.",
        "Fri, 10 Apr 2026 07:00:00 +0000",
    ),
    "aktobe-radio": (
        "aktobe-radio.kz",
        "Отдел пассажирского транспорта Актобе: автобусы идут в объезд",
        "Отдел пассажирского транспорта Актобе сообщил пассажирам, что автобусы следуют по "
        "новой схеме. Пассажиров просят учитывать изменения и заранее планировать поездки.",
        "Fri, 10 Apr 2026 08:00:00 +0000",
    ),
}
"""One road closure told four ways, each report close to the next one only (a chain):
decided one at a time as they arrive, the stories depend on which outlet came first."""

DETOUR_ORDERS = [
    ["aktobe-city", "aktobe-news", "aktobe-transit", "aktobe-radio"],
    ["aktobe-city", "aktobe-transit", "aktobe-news", "aktobe-radio"],
    ["aktobe-radio", "aktobe-city", "aktobe-transit", "aktobe-news"],
    ["aktobe-transit", "aktobe-radio", "aktobe-city", "aktobe-news"],
    ["aktobe-news", "aktobe-radio", "aktobe-transit", "aktobe-city"],
]


def _arrived(
    tmp_path: Path, server: FeedServer, order: list[str], each: bool
) -> set[frozenset[str]]:
    """The stories of the detour reports arriving in ``order`` within one refresh (their
    stories decided together), or with ``each`` in a refresh each."""
    tmp_path.mkdir()
    for name, (outlet, title, text, date) in DETOUR_FEEDS.items():
        server.set_file(f"{name}.rss", rss(outlet, [(name, title, text, date)]))
    settings, store = make_env(
        tmp_path, server, {name: (name, f"/feeds/{name}.rss", 0) for name in DETOUR_FEEDS}
    )

    async def arrive() -> None:
        async with Fetcher(settings.config.fetch) as fetcher:
            for source_id in order:
                source = next(s for s in settings.sources if s.id == source_id)
                await refresh_source(source, settings, fetcher, store, settle=each)
        settle_stories(store, settings.config.dedup)

    asyncio.run(arrive())
    return _closed_with_stories(settings, store)


def test_one_refresh_makes_the_same_stories_whichever_outlet_answers_first(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    """The items of one refresh are decided together, in one order (publication time),
    not as each outlet answers: five arrival orders of a chain of reports give one
    grouping. Decided as each arrives, the same reports group in more than one way (the
    corpus is one where order matters)."""
    together = [
        _arrived(tmp_path / f"together{n}", fresh_server, order, each=False)
        for n, order in enumerate(DETOUR_ORDERS)
    ]
    assert all(grouping == together[0] for grouping in together), together
    assert sum(len(story) for story in together[0]) == len(DETOUR_FEEDS)
    one_by_one = [
        _arrived(tmp_path / f"each{n}", fresh_server, order, each=True)
        for n, order in enumerate(DETOUR_ORDERS)
    ]
    assert len({frozenset(grouping) for grouping in one_by_one}) > 1, one_by_one

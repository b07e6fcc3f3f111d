"""The ``aggregator`` command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedserver import FeedServer

from aggregator.cli import main

AGGREGATOR = [sys.executable, "-m", "aggregator"]


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AGGREGATOR, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def config(tmp_path: Path, server: FeedServer) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        f"""\
store: store
output:
  title: Тестовая лента
fetch:
  allow_private_addresses: true
  host_spacing: 0s
  timeout: 3s
sources:
  - id: ulysmedia
    name: Ulysmedia.kz
    url: {server.url("/feeds/ulysmedia.rss")}
  - id: kazinform
    name: Kazinform
    url: {server.url("/feeds/kazinform.atom")}
  - id: broken
    name: Broken
    url: {server.url("/status/500")}
""",
        encoding="utf-8",
    )
    return path


HEAVY_PACKAGES = {
    "aiohttp",
    "alembic",
    "apscheduler",
    "feedgen",
    "feedparser",
    "httpx",
    "lxml",
    "natasha",
    "numpy",
    "pydantic",
    "ruamel",
    "sqlalchemy",
    "starlette",
    "uvicorn",
}
"""Third-party stacks that no command needs merely to start (nor ``--help`` at all)."""
HEAVY_MODULES = {
    "aggregator.attribution",
    "aggregator.config",
    "aggregator.dedup",
    "aggregator.fetch",
    "aggregator.parse",
    "aggregator.pipeline",
    "aggregator.publish",
    "aggregator.scheduler",
    "aggregator.server",
    "aggregator.storage",
    "rich.progress",
    "rich.table",
}


def test_importing_the_cli_loads_no_heavy_stack() -> None:
    # A fresh interpreter: what ``aggregator --help`` pays for before it prints anything.
    code = "import aggregator.cli, sys; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(out.stdout))
    assert "aggregator.cli" in loaded
    heavy = [
        name
        for name in sorted(loaded)
        if name.split(".")[0] in HEAVY_PACKAGES
        or any(name == module or name.startswith(module + ".") for module in HEAVY_MODULES)
    ]
    assert heavy == []


WARM_FETCH_UNNEEDED = {"feedparser", "lxml", "natasha", "nh3", "numpy", "pymorphy3", "py3langid"}
"""What a warm ``aggregator fetch`` (every feed 304, nothing to publish) never uses."""


def test_a_warm_fetch_imports_no_parsing_or_story_stack() -> None:
    # What the fetch command imports before it knows whether any feed changed: the
    # parsers, the story decision and attribution's models are loaded only when used.
    code = (
        "import aggregator.pipeline, aggregator.publish, aggregator.fetch, sys;"
        "print(sorted(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in ast.literal_eval(out.stdout)}
    assert "aiohttp" in loaded and "sqlalchemy" in loaded
    assert sorted(loaded & WARM_FETCH_UNNEEDED) == []


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        assert command.help, f"{name} has no help text"
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, result.output


def test_fetch_then_status_then_publish(tmp_path: Path, fresh_server: FeedServer) -> None:
    config(tmp_path, fresh_server)
    fetched = run("fetch", cwd=tmp_path)
    assert fetched.returncode == 1, fetched.stderr  # one source failed
    for line in ("ulysmedia", "kazinform", "broken", "HTTP 500"):
        assert line in fetched.stdout
    assert fetched.stdout.rstrip().endswith("1 of 3 sources failed; see `aggregator status`")
    assert "│ 6 " in fetched.stdout.split("ulysmedia", 1)[1].splitlines()[0]
    public = tmp_path / "store" / "public"
    document = json.loads((public / "feed.json").read_text(encoding="utf-8"))
    # 11 items, 9 entries: Ulysmedia's Russian and Kazinform's Kazakh reports of Aliyev's
    # birthday greeting and of the base rate kept at 16.5% fold across languages
    assert len(document["items"]) == 9
    joint = [i for i in document["items"] if len(i["_aggregator"]["sources"]) == 2]
    assert len(joint) == 2

    status = run("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    broken_row = next(line for line in status.stdout.splitlines() if "broken" in line)
    assert "500" in broken_row and "HTTP 500" in broken_row

    (public / "feed.xml").unlink()
    published = run("publish", cwd=tmp_path)
    assert published.returncode == 0 and (public / "feed.xml").exists()


def test_a_warm_fetch_renders_nothing_unless_what_the_outputs_show_changed(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    path = config(tmp_path, fresh_server)
    public = tmp_path / "store" / "public"
    names = ("feed.xml", "feed.atom", "feed.json", "index.html")

    def stamps() -> dict[str, int]:
        return {name: (public / name).stat().st_mtime_ns for name in names}

    def fetch_and_stamp() -> dict[str, int]:
        assert run("fetch", cwd=tmp_path).returncode == 1  # "broken" fails every time
        return stamps()

    first = fetch_and_stamp()
    warm = run("fetch", cwd=tmp_path)
    assert stamps() == first  # every feed answered 304: nothing rendered
    assert "broken" in warm.stdout and "kazinform" not in warm.stdout  # only what changed
    assert "2 sources with nothing new (not listed)" in warm.stdout
    body = fresh_server.content("kazinform.atom") or b""
    title = "Синоптики предупредили о морозах".encode()  # an entry the output shows
    assert title in body
    fresh_server.set_file("kazinform.atom", body.replace(title, b"Edited headline"))
    edited = fetch_and_stamp()
    assert all(edited[name] != first[name] for name in names)  # an item changed
    assert "Edited headline" in (public / "feed.json").read_text(encoding="utf-8")
    path.write_text(path.read_text("utf-8").replace("Тестовая", "Другая"), encoding="utf-8")
    retitled = fetch_and_stamp()
    assert all(retitled[name] != edited[name] for name in names)  # the config changed
    assert "<title>Другая лента</title>" in (public / "feed.xml").read_text(encoding="utf-8")
    (public / "feed.atom").unlink()
    assert fetch_and_stamp()["feed.atom"] != retitled["feed.atom"]  # a file went missing


def test_fetch_one_source(tmp_path: Path, fresh_server: FeedServer) -> None:
    config(tmp_path, fresh_server)
    result = run("fetch", "--source", "kazinform", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("the source was fetched")
    assert "kazinform" in result.stdout and "ulysmedia" not in result.stdout
    assert [r.route for r in fresh_server.requests()] == ["/feeds/kazinform.atom"]
    unknown = run("fetch", "--source", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown source" in unknown.stderr


def test_check_lists_sources_and_config_env_var(tmp_path: Path, fresh_server: FeedServer) -> None:
    path = config(tmp_path, fresh_server)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run("check", cwd=elsewhere, env={"AGGREGATOR_CONFIG": str(path)})
    assert result.returncode == 0, result.stderr
    assert "3 source(s), valid" in result.stdout and "Kazinform" in result.stdout


@pytest.mark.parametrize("command", ["check", "run", "fetch", "status", "publish"])
def test_invalid_config_exits_2_and_starts_nothing(tmp_path: Path, command: str) -> None:
    (tmp_path / "feeds.yaml").write_text("sources:\n  - id: a\n    url: htp://x\n    nme: A\n")
    result = run(command, cwd=tmp_path)
    assert result.returncode == 2
    assert "feeds.yaml:3: sources.a.url: 'htp://x' is not an http(s) URL" in result.stderr
    assert "feeds.yaml:4: sources.a.nme: unknown key" in result.stderr
    assert "sources.a.name: is required" in result.stderr
    assert not (tmp_path / "store").exists()


def test_missing_config_is_explained(tmp_path: Path) -> None:
    result = run("check", cwd=tmp_path)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_stories_lists_folded_members(tmp_path: Path, fresh_server: FeedServer) -> None:
    (tmp_path / "feeds.yaml").write_text(
        f"""\
fetch:
  allow_private_addresses: true
  host_spacing: 0s
sources:
  - id: tengrinews
    name: Tengrinews.kz
    url: {fresh_server.url("/feeds/tengrinews.json")}
  - id: ulysmedia
    name: Ulysmedia.kz
    url: {fresh_server.url("/feeds/ulysmedia.rss")}
""",
        encoding="utf-8",
    )
    fetched = run("fetch", cwd=tmp_path)
    assert fetched.returncode == 0 and fetched.stdout.rstrip().endswith("all 2 sources fetched")
    result = run("stories", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 story" in result.stdout
    assert "Tengrinews.kz: В Алматы с 1 января" in result.stdout
    assert "Ulysmedia.kz: В Алматы с 1 января" in result.stdout


def test_status_and_check_advise_updating_a_moved_feed(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    (tmp_path / "feeds.yaml").write_text(
        f"""\
fetch:
  allow_private_addresses: true
  host_spacing: 0s
  interval: 1s
  min_interval: 1s
sources:
  - id: moved
    name: Moved
    url: {fresh_server.url("/redirect/308/ulysmedia.rss")}
""",
        encoding="utf-8",
    )
    for _ in range(3):
        assert run("fetch", cwd=tmp_path).returncode == 0
    new_url = fresh_server.url("/feeds/ulysmedia.rss")
    status = run("status", cwd=tmp_path)
    assert f"moved permanently to {new_url}" in status.stdout.replace("\n", "")
    check = run("check", cwd=tmp_path)
    assert f"moved: moved permanently to {new_url}: update its url" in check.stdout


def test_sources_add_discovers_checks_and_keeps_comments(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "# My news\nfetch:\n  allow_private_addresses: true  # local tests\n"
        "sources:\n  # the first one\n  - id: kazinform\n    name: Kazinform\n"
        f"    url: {fresh_server.url('/feeds/kazinform.atom')}\n",
        encoding="utf-8",
    )
    page = fresh_server.url("/feeds/not-a-feed.html")
    added = run("sources", "add", page, "--name", "Ulysmedia.kz", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "added ulysmedia-kz: Ulysmedia.kz" in added.stdout
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# My news\n") and "# local tests" in text and "# the first one" in text
    assert fresh_server.url("/feeds/ulysmedia.rss") in text
    listed = run("sources", "list", cwd=tmp_path)
    assert "ulysmedia-kz" in listed.stdout and "kazinform" in listed.stdout
    again = run("sources", "add", fresh_server.url("/feeds/ulysmedia.rss"), cwd=tmp_path)
    assert again.returncode == 2 and "already" in again.stderr
    nothing = run("sources", "add", fresh_server.url("/status/404"), cwd=tmp_path)
    assert nothing.returncode == 1 and "404" in nothing.stderr
    removed = run("sources", "remove", "kazinform", cwd=tmp_path)
    assert removed.returncode == 0
    assert "kazinform" not in config.read_text(encoding="utf-8")
    assert run("sources", "remove", "nope", cwd=tmp_path).returncode == 2


def test_opml_export_and_import_round_trip(tmp_path: Path) -> None:
    source_dir = tmp_path / "a"
    source_dir.mkdir()
    (source_dir / "feeds.yaml").write_text(
        "sources:\n  - id: tengrinews\n    name: Tengrinews.kz\n"
        "    url: https://tengrinews.kz/news.rss\n    language: ru\n"
        "  - id: astanatimes\n    name: The Astana Times\n    url: https://astanatimes.com/feed/\n",
        encoding="utf-8",
    )
    exported = run("opml", "export", cwd=source_dir)
    assert exported.returncode == 0 and "<opml" in exported.stdout
    (tmp_path / "export.opml").write_text(exported.stdout, encoding="utf-8")
    target = tmp_path / "b"
    target.mkdir()
    (target / "feeds.yaml").write_text(
        "sources:\n  - id: tengri\n    name: Tengri\n    url: https://tengrinews.kz/news.rss\n",
        encoding="utf-8",
    )
    imported = run("opml", "import", str(tmp_path / "export.opml"), cwd=target)
    assert imported.returncode == 0, imported.stderr
    assert "added 1 source(s)" in imported.stdout  # tengrinews was already there
    assert "https://astanatimes.com/feed/" in (target / "feeds.yaml").read_text(encoding="utf-8")
    assert run("check", cwd=target).returncode == 0


def test_attribution_command_shows_chain_origin_and_line(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "sources:\n  - id: ulysmedia\n    name: Ulysmedia.kz\n    url: https://ulysmedia.kz/rss/\n"
        "  - id: akorda\n    name: Акорда\n    url: https://akorda.kz/\n"
        "    aliases: [Akorda, Ақорда]\n",
        encoding="utf-8",
    )
    result = run(
        "attribution",
        "Токаев поздравил Алиева, передаёт Ulysmedia.kz со ссылкой на Акорду.",
        "--publisher",
        "ulysmedia",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Акорда" in result.stdout and "akorda" in result.stdout
    assert "line: Передаёт Ulysmedia.kz со ссылкой на Акорду" in result.stdout
    english = run(
        "attribution",
        "Ulysmedia.kz reports, citing Akorda.",
        "--publisher",
        "ulysmedia",
        "--language",
        "en",
        cwd=tmp_path,
    )
    assert "line: Ulysmedia.kz reports, citing Akorda" in english.stdout, english.stdout


def test_purge_keeps_what_the_output_shows(tmp_path: Path, fresh_server: FeedServer) -> None:
    (tmp_path / "feeds.yaml").write_text(
        f"""\
output:
  max_items: 3
fetch:
  allow_private_addresses: true
  host_spacing: 0s
sources:
  - id: ulysmedia
    name: Ulysmedia.kz
    url: {fresh_server.url("/feeds/ulysmedia.rss")}
""",
        encoding="utf-8",
    )
    assert run("fetch", cwd=tmp_path).returncode == 0
    # The fixture items date from 2026-11-22..24; with a one-hour retention every story
    # is old, but the three the output shows stay.
    purged = run("purge", "--older-than", "1h", cwd=tmp_path)
    assert purged.returncode == 0, purged.stderr
    assert "purged 3 stories" in purged.stdout
    document = json.loads((tmp_path / "store/public/feed.json").read_text(encoding="utf-8"))
    assert len(document["items"]) == 3
    assert run("purge", "--older-than", "soon", cwd=tmp_path).returncode == 2


def test_global_options_are_accepted_after_the_command(
    tmp_path: Path, fresh_server: FeedServer
) -> None:
    path = config(tmp_path, fresh_server)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checked = run("check", "--config", str(path), "--log-level", "debug", cwd=elsewhere)
    assert checked.returncode == 0, checked.stderr
    assert "3 source(s), valid" in checked.stdout
    quiet = run("fetch", "--source", "kazinform", "--log-level=warning", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "fetched" not in quiet.stderr  # the INFO line is not logged
    as_json = run("fetch", "--log-format", "json", "--source", "kazinform", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stderr.splitlines()[0])["event"] == "fetched"
    assert run("sources", "list", "--config", str(path), cwd=elsewhere).returncode == 0


@pytest.mark.parametrize("command", [[], ["sources"], ["opml"]])
def test_help_shows_every_description_whole(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    assert "..." not in result.output.split("Commands:")[1]
    assert max(len(line) for line in result.output.splitlines()) <= 80
    text = " ".join(result.output.split())
    group = main if not command else main.commands[command[0]]  # type: ignore[attr-defined]
    for name, sub in group.commands.items():
        first = sub.help.split("\n\n")[0]
        assert " ".join(first.split()) in text, name


def test_status_is_readable_at_80_columns(tmp_path: Path, fresh_server: FeedServer) -> None:
    config(tmp_path, fresh_server)
    run("fetch", cwd=tmp_path)
    result = run("status", cwd=tmp_path, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "source" in line)
    for heading in ("last fetch", "HTTP", "items", "errors", "last error / notice"):
        assert heading in header  # whole, on one line
    for source_id in ("ulysmedia", "kazinform"):
        row = next(line for line in lines if source_id in line)
        assert re.search(r"\d\d-\d\d \d\d:\d\d", row)  # the time is not folded
        following = lines[lines.index(row) + 1]
        # a healthy source takes one line: the next starts another source, or the border
        assert following.startswith("└") or following.split("│")[1].strip(), following
    broken = next(line for line in lines if "broken" in line)
    assert "500" in broken


def test_the_demo_publishes_no_local_path(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).parent.parent / "examples", tmp_path / "examples")
    demo = tmp_path / "examples" / "demo.yaml"
    demo.write_text(
        demo.read_text(encoding="utf-8").replace("store: ../store/demo", "store: ../store"),
        encoding="utf-8",
    )
    fetched = run("--config", str(demo), "fetch", cwd=tmp_path)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    public = tmp_path / "store" / "public"
    for name in ("feed.xml", "feed.atom", "feed.json", "index.html"):
        text = (public / name).read_text(encoding="utf-8")
        assert str(tmp_path) not in text and "file:" not in text, name
        for shipped in (tmp_path / "examples" / "feeds").iterdir():
            assert shipped.name not in text, (name, shipped.name)
    rss = (public / "feed.xml").read_text(encoding="utf-8")
    assert '<source url="https://www.akorda.kz/ru/events">Акорда</source>' in rss
    document = json.loads((public / "feed.json").read_text(encoding="utf-8"))
    assert {i["_aggregator"]["source"]["url"] for i in document["items"]} <= {
        "https://www.akorda.kz/ru/events",
        "https://ulysmedia.kz/",
        "https://www.inform.kz/kz/",
        "https://tengrinews.kz/",
        "https://astanatimes.com/",
        "https://time.kz/",
    }
    page = (public / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2026-11-24">2026-11-24</time>' in page  # Akorda's "24.11.2026"
    assert "00:00</time>" not in page
    exported = run("--config", str(demo), "opml", "export", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert str(tmp_path) not in exported.stdout and "xmlUrl" not in exported.stdout
    assert exported.stdout.count("<outline ") == 6
    assert 'htmlUrl="https://www.akorda.kz/ru/events"' in exported.stdout


def test_eval_stories_scores_labelled_records(tmp_path: Path) -> None:
    """`aggregator eval stories FILE`: our own three records, two outlets retelling one
    fire and a third reporting another event, through the real pipeline."""
    fire = "В Таразе загорелся торговый центр «Алем», эвакуированы 300 человек"
    records = [
        {
            "record_id": "r1",
            "cluster_id": "fire",
            "kind": "same_event",
            "topic_group": "taraz",
            "url": "https://one.example.kz/1",
            "domain": "one.example.kz",
            "lang": "ru",
            "date": "2026-03-02",
            "title": fire,
            "text": f"{fire}. Пожар в торговом центре «Алем» в Таразе тушат 12 расчётов, "
            "площадь возгорания 800 квадратных метров.",
        },
        {
            "record_id": "r2",
            "cluster_id": "fire",
            "kind": "same_event",
            "topic_group": "taraz",
            "url": "https://two.example.kz/2",
            "domain": "two.example.kz",
            "lang": "ru",
            "title": "Из горящего ТЦ «Алем» в Таразе вывели 300 человек",
            "text": "Торговый центр «Алем» в Таразе горит на площади 800 квадратных метров, "
            "из здания эвакуировали 300 человек, работают 12 пожарных расчётов.",
        },
        {
            "record_id": "r3",
            "cluster_id": "park",
            "kind": "hard_negative",
            "topic_group": "taraz",
            "hard_negative_of": ["fire"],
            "url": "https://three.example.kz/3",
            "domain": "three.example.kz",
            "lang": "ru",
            "title": "В Таразе открыли новый парк на 12 гектаров",
            "text": "Аким Тараза открыл новый парк площадью 12 гектаров на берегу реки Талас.",
        },
    ]
    path = tmp_path / "records.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    result = run("eval", "stories", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 records, 2 stories" in result.stdout
    assert "same-language: precision 1.000 (1/1) recall 1.000 (1/1)" in result.stdout
    assert "  ru: precision 1.000 (1/1) recall 1.000 (1/1)" in result.stdout


def test_eval_attribution_scores_labelled_sentences(tmp_path: Path) -> None:
    """`aggregator eval attribution FILE`: our own sentences, one of them credited wrongly
    on purpose by its label, through the real pipeline; per-language figures and misses."""
    cases = [
        ("a1", "ru", "Мост закрыли на ремонт, передает Ulysmedia.kz со ссылкой на Акорду.",
         "Ulysmedia.kz", "Акорда", False),
        ("a2", "ru", "По данным Минздрава, вакцинация продолжится.", None, "Минздрав", False),
        ("a3", "ru", "«Мы готовы», — сказал Токаев.", None, None, True),
        ("a4", "kk", "Жол ашылды, деп хабарлайды Kazinform.", "Kazinform", None, False),
        ("a5", "en", "Prices rose, according to the National Bank.", None, "Ministry of Finance",
         False),
    ]  # fmt: skip
    path = tmp_path / "sentences.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": i,
                    "lang": lang,
                    "script": "cyrl",
                    "text": text,
                    "reporter": reporter,
                    "origin": origin,
                    "negative": negative,
                    "uncertain": False,
                },
                ensure_ascii=False,
            )
            + "\n"
            for i, lang, text, reporter, origin, negative in cases
        ),
        encoding="utf-8",
    )
    result = run("eval", "attribution", str(path), "--misses", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ru: precision 1.00 (2/2), recall 1.00 (2/2)" in result.stdout
    assert "kk: precision 1.00 (1/1), recall 1.00 (1/1)" in result.stdout
    assert "en: precision 0.00 (0/1), recall 0.00 (0/1)" in result.stdout
    assert "a5 [en] want 'Ministry of Finance'; got 'the National Bank'" in result.stdout

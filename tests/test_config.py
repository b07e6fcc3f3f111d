"""feeds.yaml validation: every problem at once, each with file, line and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.config import load_settings, parse_duration, parse_size
from aggregator.errors import ConfigError

REPO = Path(__file__).parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_configs_are_valid() -> None:
    for name in ("feeds.yaml", "examples/demo.yaml"):
        settings = load_settings(REPO / name)
        assert settings.sources, name
        assert all(source.name for source in settings.sources)


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
store: store
output:
  title: X
  max_itemz: 5
fetch:
  interval: 15 minutes
sources:
  - id: a
    name: A
    url: htp://x
  - id: a
    name: B
    url: https://example.com/feed
    interval: -3
  - id: Bad Id
    url: https://e.com
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    problems = caught.value.problems
    expected = [
        (4, "output.max_itemz", "unknown key"),
        (6, "fetch.interval", "'15 minutes' is not a duration"),
        (10, "sources[0].url", "'htp://x' is not an http(s) URL"),
        (11, "sources[1].id", "duplicate id 'a'"),
        (14, "sources[1].interval", "-3 is negative"),
        (15, "sources[2].id", "lowercase letters"),
        (15, "sources[2].name", "is required"),
    ]
    assert len(problems) == len(expected), problems
    for problem, (line, field, text) in zip(problems, expected, strict=True):
        assert problem.startswith(f"{path}:{line}: {field}: "), problem
        assert text in problem


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - id: a\n    name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"feeds\.yaml:\d+: "):
        load_settings(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "nope.yaml")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(write(tmp_path, "- just\n- a list\n"))


def test_defaults_and_paths(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            """\
store: data
sources:
  - id: local
    name: Local
    url: feeds/local.rss
  - id: web
    name: Web
    url: https://example.kz/rss
    interval: 10m
""",
        )
    )
    assert settings.store_dir == (tmp_path / "data").resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'aggregator.db'}"
    local, web = settings.sources
    assert settings.source_location(local) == str((tmp_path / "feeds/local.rss").resolve())
    assert settings.source_location(web) == "https://example.kz/rss"
    assert settings.interval(local) == timedelta(minutes=15)
    assert settings.interval(web) == timedelta(minutes=10)
    assert settings.config.fetch.allow_private_addresses is False


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("20s", 20),
        ("15m", 900),
        ("1h", 3600),
        ("1.5h", 5400),
        ("7d", 604800),
        (30, 30),
        ("250ms", 0.25),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "soon", "0s", "-1m", "5 parsecs", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_sizes() -> None:
    assert parse_size("10MB") == 10_000_000
    assert parse_size("512KiB") == 512 * 1024
    with pytest.raises(ValueError, match="size"):
        parse_size("lots")


# -- what `check` must not pass (issue 17, point 8) ----------------------------------------


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in caught.value.problems), caught.value.problems
    return [p.removeprefix(prefix) for p in caught.value.problems]


def test_what_would_fail_later_is_refused_now_naming_each_source_by_id(tmp_path: Path) -> None:
    (tmp_path / "store-file").write_text("not a folder", encoding="utf-8")
    problems = problems_of(
        tmp_path,
        """\
store: store-file
output:
  language: xx
fetch:
  interval: -15m
sources:
  - id: ulysmedia
    name: Ulysmedia.kz
    url: htps//ulysmedia.kz/rss/
  - id: kazinform
    name: Kazinform
    url: https://www.inform.kz/ru/rss feed
    language: xx
  - id: tengri
    name: Tengrinews
    url: tengrinews.kz/rss/
  - id: akorda
    name: Акорда
    url: "https:/akorda.kz/ru/rss"
    interval: "-1h"
""",
    )
    expected = [
        (1, "store: ", "'store-file' is a file; the store must be a folder"),
        (3, "output.language: ", "'xx' is not a language code"),
        (5, "fetch.interval: ", "'-15m' is negative"),
        (9, "sources.ulysmedia.url: ", "write https://ulysmedia.kz/rss/"),
        (12, "sources.kazinform.url: ", "contains a space"),
        (13, "sources.kazinform.language: ", "'xx' is not a language code"),
        (16, "sources.tengri.url: ", "write https://tengrinews.kz/rss/"),
        (19, "sources.akorda.url: ", "write https://akorda.kz/ru/rss"),
        (20, "sources.akorda.interval: ", "'-1h' is negative"),
    ]
    assert len(problems) == len(expected), problems
    for problem, (line, field, text) in zip(problems, expected, strict=True):
        assert problem.startswith(f"{line}: {field}"), problem
        assert text in problem, problem
    assert not any("sources[" in p for p in problems), problems


def test_a_path_like_a_host_is_fine_when_the_file_exists(tmp_path: Path) -> None:
    (tmp_path / "news.kz").mkdir()
    (tmp_path / "news.kz" / "rss.xml").write_text("<rss/>", encoding="utf-8")
    path = write(tmp_path, "sources:\n  - id: local\n    name: Local\n    url: news.kz/rss.xml\n")
    assert load_settings(path).sources[0].url == "news.kz/rss.xml"


@pytest.mark.parametrize("value", ["ru", "kk", "en", "ru-RU", "kk_KZ", "kz"])
def test_language_codes_that_work(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"output:\n  language: {value}\n")
    assert load_settings(path).config.output.language == value


def test_max_bytes_over_the_parse_limit_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, "fetch:\n  max_bytes: 1GiB\n")
    assert problem.startswith("2: fetch.max_bytes: ") and "256 MiB" in problem, problem


def test_max_bytes_over_16_mib_reaches_the_parser() -> None:
    from aggregator.config import Config, SourceConfig
    from aggregator.models import FetchResult
    from aggregator.pipeline import parse_and_normalize

    body = (REPO / "tests" / "data" / "ulysmedia.rss").read_bytes()
    body = body.replace(b"</channel>", b" " * (17 * 1024 * 1024) + b"</channel>")
    source = SourceConfig(id="big", name="Big", url="https://big.example/rss")
    fetch = Config.model_validate({"fetch": {"max_bytes": "20MiB"}}).fetch
    result = FetchResult(url=source.url, status=200, content=body)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    _parsed, items = parse_and_normalize(
        result, source, now, story_keys=False, max_bytes=fetch.max_bytes
    )
    assert len(items) == 6


@pytest.mark.parametrize(
    ("text", "line", "plain"),
    [
        ("sources:\n  - id: a\n     name: A\n", 3, "indentation"),
        ("sources:\n  - id: a\n    name: A\n  url: x\n", 4, "indentation"),
        ("output:\n  title: News: today\n", 2, "quote"),
        ("sources:\n\t- id: a\n", 2, "tab"),
        ('output:\n  title: "unclosed\n', 2, "quote"),
        ("output:\n  title: a\n  title: b\n", 3, "twice"),
    ],
)
def test_yaml_mistakes_are_told_in_plain_words(
    tmp_path: Path, text: str, line: int, plain: str
) -> None:
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith(f"{line}: "), problem
    assert plain in problem, problem
    for jargon in ("<block end>", "<block mapping start>", "while parsing", "but found"):
        assert jargon not in problem, problem


def test_check_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write(
        tmp_path,
        "sources:\n  - id: ulysmedia\n    name: U\n    url: htps//ulysmedia.kz/rss/\n"
        "    language: xx\n",
    )
    run = subprocess.run(
        [sys.executable, "-m", "aggregator", "--config", str(path), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run
    output = " ".join((run.stdout + run.stderr).split())  # rich folds long lines
    assert f"{path}:4: sources.ulysmedia.url: " in output, output
    assert f"{path}:5: sources.ulysmedia.language: " in output, output

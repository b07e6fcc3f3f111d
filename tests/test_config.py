"""feeds.yaml validation: every problem at once, each with file, line and field."""

from __future__ import annotations

from datetime import timedelta
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
        (14, "sources[1].interval", "must be a positive duration"),
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

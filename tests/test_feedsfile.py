"""Editing feeds.yaml while keeping the user's comments (``aggregator.feedsfile``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.config import load_settings
from aggregator.errors import ConfigError
from aggregator.feedsfile import add_source, add_sources, remove_source

OPML_DIR = Path(__file__).parent / "data" / "opml"
ROOT = Path(__file__).parent.parent
COMMENTED = OPML_DIR / "feeds-commented.yaml"

TENGRI_KK = {
    "url": "https://kaz.tengrinews.kz/rss",
    "name": "Тенгри (қаз.)",
    "id": "tengri-kk",
    "language": "kk",
    "aliases": ("Тенгри", "Tengri: KZ"),
    "forms": {"kk": "Тенгри"},
    "priority": None,
}
TENGRI_KK_YAML = """
  - id: tengri-kk
    name: Тенгри (қаз.)
    url: https://kaz.tengrinews.kz/rss
    language: kk
    aliases: [Тенгри, 'Tengri: KZ']
    forms: {kk: Тенгри}
"""


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    """A copy of ``feeds-commented.yaml`` to edit."""
    path = tmp_path / "feeds.yaml"
    shutil.copyfile(COMMENTED, path)
    return path


def original() -> str:
    return COMMENTED.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the line containing ``needle``."""
    return text[: text.index(needle)].count("\n") + 1


def ids(path: Path) -> list[str]:
    return [source.id for source in load_settings(path).sources]


def leftovers(path: Path) -> list[str]:
    return sorted(name for name in os.listdir(path.parent) if name != path.name)


# -- add -----------------------------------------------------------------------------------


def test_add_appends_after_the_list_and_its_commented_out_entries(feeds: Path) -> None:
    add_source(feeds, TENGRI_KK)
    text = feeds.read_text(encoding="utf-8")
    at = original().index("\n# Cross-source folding")
    assert text == original()[:at] + TENGRI_KK_YAML + original()[at:]
    assert ids(feeds) == ["tengrinews", "kazinform-kk", "egemen", "tengri-kk"]
    source = load_settings(feeds).source("tengri-kk")
    assert source.aliases == ("Тенгри", "Tengri: KZ") and source.forms == {"kk": "Тенгри"}
    assert leftovers(feeds) == []


def test_add_writes_id_name_url_first(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("sources:\n- id: a\n  name: A\n  url: https://a.kz/rss\n", encoding="utf-8")
    add_source(path, {"language": "ru", "url": "https://b.kz/rss", "name": "B", "id": "b"})
    assert path.read_text(encoding="utf-8") == (
        "sources:\n- id: a\n  name: A\n  url: https://a.kz/rss\n"
        "- id: b\n  name: B\n  url: https://b.kz/rss\n  language: ru\n"
    )


def test_add_creates_the_list(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("# settings\nstore: store   # here\n", encoding="utf-8")
    add_source(path, {"id": "a", "name": "A", "url": "https://a.kz/rss"})
    assert path.read_text(encoding="utf-8") == (
        "# settings\nstore: store   # here\n\n"
        "sources:\n  - id: a\n    name: A\n    url: https://a.kz/rss\n"
    )


def test_add_to_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("", encoding="utf-8")
    add_source(path, {"id": "a", "name": "A", "url": "https://a.kz/rss"})
    assert path.read_text(encoding="utf-8") == (
        "sources:\n  - id: a\n    name: A\n    url: https://a.kz/rss\n"
    )


def test_add_fills_an_empty_flow_list(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("sources: []   # none yet\nstore: s\n", encoding="utf-8")
    add_source(path, {"id": "a", "name": "A", "url": "https://a.kz/rss"})
    assert path.read_text(encoding="utf-8") == (
        "sources:   # none yet\n  - id: a\n    name: A\n    url: https://a.kz/rss\nstore: s\n"
    )


def test_add_refuses_a_taken_id(feeds: Path) -> None:
    line = line_of(original(), "- id: egemen")
    with pytest.raises(ConfigError) as caught:
        add_source(feeds, {"id": "egemen", "name": "Egemen 2", "url": "https://egemen.kz/feed"})
    assert str(caught.value) == (
        f"{feeds}:{line}: sources[2]: a source with id 'egemen' exists already (id 'egemen')"
    )
    assert caught.value.path == str(feeds)
    assert feeds.read_text(encoding="utf-8") == original()


@pytest.mark.parametrize(
    "url", ["https://egemen.kz/rss", "http://EGEMEN.kz/rss/", "https://egemen.kz:443/rss#top"]
)
def test_add_refuses_a_known_url(feeds: Path, url: str) -> None:
    with pytest.raises(ConfigError, match=r"feeds\.yaml:\d+: sources\[2\]: .* is fetched already"):
        add_source(feeds, {"id": "egemen-2", "name": "Egemen", "url": url})
    assert feeds.read_text(encoding="utf-8") == original()


def test_add_validates_before_writing(feeds: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        add_source(feeds, {"id": "Bad Id", "name": "", "url": "htp://x.kz", "colour": "red"})
    message = str(caught.value)
    assert message.startswith(f"{feeds}:")
    for field in ("sources[3].id", "sources[3].name", "sources[3].url", "sources[3].colour"):
        assert field in message
    assert ".tmp" not in message
    assert feeds.read_text(encoding="utf-8") == original()
    assert leftovers(feeds) == []


def test_add_refuses_a_value_yaml_cannot_hold(feeds: Path) -> None:
    when = datetime(2026, 1, 1)
    with pytest.raises(ConfigError, match="cannot be written to YAML"):
        add_source(feeds, {"id": "x", "name": "X", "url": "https://x.kz", "since": when})
    assert feeds.read_text(encoding="utf-8") == original()


def test_add_to_an_invalid_file_says_what_is_wrong_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    text = "fetch:\n  interval: soon\nsources: []\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"feeds\.yaml:2: fetch\.interval"):
        add_source(path, {"id": "a", "name": "A", "url": "https://a.kz/rss"})
    assert path.read_text(encoding="utf-8") == text


def test_add_to_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        add_source(tmp_path / "feeds.yaml", {"id": "a", "name": "A", "url": "https://a.kz"})


def test_flow_style_list_is_not_edited(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    text = "sources: [{id: a, name: A, url: 'https://a.kz/rss'}]\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cannot edit this file safely: .*flow style"):
        add_source(path, {"id": "b", "name": "B", "url": "https://b.kz/rss"})
    assert path.read_text(encoding="utf-8") == text


ODD = """\
sources:
-
  id: a
  name: A
  url: https://a.kz/rss
- id: b     # eol
  name: >-
    Long
    # not a comment: folded text

    more
  url: https://b.kz/rss
# a comment at the dash column inside b
  language: ru
# about what follows
  # indented, still about what follows
fetch:
  interval: 1h
"""


def test_odd_layouts_are_edited_in_place(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(ODD, encoding="utf-8")
    add_source(path, {"id": "c", "name": "C", "url": "https://c.kz/rss"})
    at = ODD.index("# about what follows")
    added = "- id: c\n  name: C\n  url: https://c.kz/rss\n"
    assert path.read_text(encoding="utf-8") == ODD[:at] + added + ODD[at:]
    remove_source(path, "c")
    assert path.read_text(encoding="utf-8") == ODD
    remove_source(path, "a")  # a lone "-" line
    assert path.read_text(encoding="utf-8") == "sources:\n" + ODD[ODD.index("- id: b") :]
    remove_source(path, "b")
    assert path.read_text(encoding="utf-8") == "sources: []\n" + ODD[at:]


def test_a_failed_replace_leaves_the_file_and_no_temp_file(
    feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(source: object, target: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ConfigError, match=r"feeds\.yaml: cannot write: .*Permission denied"):
        add_source(feeds, TENGRI_KK)
    assert feeds.read_text(encoding="utf-8") == original()
    assert leftovers(feeds) == []


# -- add_sources (OPML import) -------------------------------------------------------------


def test_add_sources_skips_known_urls_and_returns_the_added_ids(feeds: Path) -> None:
    added = add_sources(
        feeds,
        [
            {"id": "tengrinews-2", "name": "Tengrinews", "url": "http://tengrinews.kz/news.rss"},
            {"id": "vlast", "name": "Власть", "url": "https://vlast.kz/rss", "category": None},
            {"id": "vlast-2", "name": "Власть (копия)", "url": "https://vlast.kz/rss/"},
            {"id": "orda", "name": "Orda.kz", "url": "https://orda.kz/feed/"},
        ],
    )
    assert added == ["vlast", "orda"]
    assert ids(feeds) == ["tengrinews", "kazinform-kk", "egemen", "vlast", "orda"]
    text = feeds.read_text(encoding="utf-8")
    assert "  #   url: https://aikyn.kz/feed\n\n  - id: vlast\n" in text
    assert "    url: https://vlast.kz/rss\n\n  - id: orda\n" in text


def test_add_sources_with_nothing_new_does_not_write(feeds: Path) -> None:
    before = feeds.stat()
    assert add_sources(feeds, [{"id": "x", "name": "X", "url": "https://egemen.kz/rss"}]) == []
    assert add_sources(feeds, []) == []
    after = feeds.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_add_sources_is_all_or_nothing(feeds: Path) -> None:
    with pytest.raises(ConfigError, match="another source being added"):
        add_sources(
            feeds,
            [
                {"id": "a", "name": "A", "url": "https://a.kz/rss"},
                {"id": "a", "name": "A again", "url": "https://a2.kz/rss"},
            ],
        )
    with pytest.raises(ConfigError, match=r"sources\.b\.url"):
        add_sources(
            feeds,
            [
                {"id": "a", "name": "A", "url": "https://a.kz/rss"},
                {"id": "b", "name": "B", "url": "ftp://b.kz/rss"},
            ],
        )
    assert feeds.read_text(encoding="utf-8") == original()


# -- remove --------------------------------------------------------------------------------


def test_remove_takes_the_entry_with_its_description(feeds: Path) -> None:
    remove_source(feeds, "kazinform-kk")
    start = original().index("  # Kazinform in Kazakh.")
    end = original().index("  - id: egemen")
    assert feeds.read_text(encoding="utf-8") == original()[:start] + original()[end:]
    assert ids(feeds) == ["tengrinews", "egemen"]


def test_remove_the_first_entry(feeds: Path) -> None:
    remove_source(feeds, "tengrinews")
    start = original().index("  # Tengrinews: the biggest")
    end = original().index("  # --- Kazakh-language outlets ---")
    assert feeds.read_text(encoding="utf-8") == original()[:start] + original()[end:]


def test_remove_the_last_entry_keeps_commented_out_ones(feeds: Path) -> None:
    remove_source(feeds, "egemen")
    start = original().index("  - id: egemen")
    end = original().index("  # - id: aikyn")
    assert feeds.read_text(encoding="utf-8") == original()[:start] + original()[end:]


def test_remove_every_entry_leaves_an_empty_list(feeds: Path) -> None:
    for source_id in ("tengrinews", "kazinform-kk", "egemen"):
        remove_source(feeds, source_id)
    text = feeds.read_text(encoding="utf-8")
    assert "sources: []\n  # --- Kazakh-language outlets ---\n\n  # - id: aikyn\n" in text
    assert ids(feeds) == []
    assert text.endswith(original()[original().index("  # - id: aikyn") :])


def test_remove_an_unknown_id(feeds: Path) -> None:
    with pytest.raises(ConfigError, match=r"no source has id 'nope' .*tengrinews, kazinform-kk"):
        remove_source(feeds, "nope")
    assert feeds.read_text(encoding="utf-8") == original()


# -- comments and bytes survive ------------------------------------------------------------


def comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "#" in line]


def test_comments_of_other_entries_survive_add_and_remove(feeds: Path) -> None:
    add_source(feeds, TENGRI_KK)
    remove_source(feeds, "kazinform-kk")
    add_source(feeds, {"id": "orda", "name": "Orda", "url": "https://orda.kz/feed/"})
    gone = {"  # Kazinform in Kazakh.", "  # Two lines about it."}
    gone.add("    aliases: [Казинформ, Kazinform]   # both spellings occur")
    expected = [line for line in comment_lines(original()) if line not in gone]
    assert comment_lines(feeds.read_text(encoding="utf-8")) == expected


@pytest.mark.parametrize(
    "path", [COMMENTED, ROOT / "feeds.yaml", ROOT / "examples" / "demo.yaml"], ids=lambda p: p.name
)
def test_add_then_remove_gives_back_the_same_bytes(tmp_path: Path, path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    if path.parent.name == "examples":
        shutil.copytree(path.parent / "feeds", tmp_path / "feeds")
    add_source(copy, TENGRI_KK)
    assert copy.read_bytes() != path.read_bytes()
    remove_source(copy, "tengri-kk")
    assert copy.read_bytes() == path.read_bytes()


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    crlf = original().replace("\n", "\r\n")
    path.write_bytes(crlf.encode("utf-8"))
    add_source(path, TENGRI_KK)
    remove_source(path, "kazinform-kk")
    content = path.read_bytes()
    assert content.count(b"\n") == content.count(b"\r\n")
    assert b"  - id: tengri-kk\r\n    name:" in content
    assert ids(path) == ["tengrinews", "egemen", "tengri-kk"]


def test_file_mode_and_symlink_are_kept(tmp_path: Path, feeds: Path) -> None:
    feeds.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(feeds)
    add_source(link, TENGRI_KK)
    assert link.is_symlink() and ids(feeds)[-1] == "tengri-kk"
    assert feeds.stat().st_mode & 0o777 == 0o640


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1).filter(lambda s: s.strip()))
def test_any_name_is_written_back_exactly(name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feeds.yaml"
        shutil.copyfile(COMMENTED, path)
        try:
            add_source(path, {"id": "new", "name": name, "url": "https://new.kz/rss"})
        except ConfigError:  # text YAML cannot hold (e.g. control characters)
            unchanged = path.read_text(encoding="utf-8") == original()
            assert unchanged
            return
        assert load_settings(path).source("new").name == name
        remove_source(path, "new")
        assert path.read_text(encoding="utf-8") == original()

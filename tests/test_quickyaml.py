"""The quick reader of feeds.yaml reads what the round trip reads, or gives up."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from aggregator import config, quickyaml

SAME = [
    # YAML 1.1's booleans, sexagesimals and octals are strings or decimals in 1.2
    "a: yes\nb: no\nc: on\nd: off\ne: y\nf: true\ng: False\n",
    "interval: 1:30\nmode: 0777\noctal: 0o17\nhex: 0x1F\nneg: -12\nplus: +3\n",
    "x: .inf\ny: -.Inf\nz: 1.5e3\nw: .5\nv: 3.\n",
    "a: ~\nb: null\nc:\nd: ''\ne: 'null'\n",
    'name: "Ulysmedia.kz — лента"\nkk: Қазақстан\nurl: https://ulysmedia.kz/rss/?a=1&b=2\n',
    "base: &b {interval: 30m, language: ru}\nsources:\n  - *b\n  - {id: x, url: 'y'}\n",
    "text: |\n  line one\n  line two\nfolded: >\n  one\n  two\n",
    "list: [1, two, 3.0, true, null]\nnested: {a: {b: [c, {d: e}]}}\n",
    "fetch:\n  host_spacing: 0s\n  timeout: 60s\nsources: []\n",
]

UNSURE = [
    "a: 1\na: 2\n",  # a duplicate key: the round trip names it
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # a merge key
    "day: 2024-10-06\n",  # a timestamp
    "when: 2024-10-06 12:00:00\n",
    "bin: !!binary aGVsbG8=\n",
    "a: [1, 2\n",  # broken
    "\t- tab\n",
]


def _round_trip(text: str) -> object:
    return config.plain(YAML(typ="rt").load(io.StringIO(text)))


@pytest.mark.parametrize("text", SAME)
def test_reads_what_the_round_trip_reads(text: str) -> None:
    quick = quickyaml.read(text)
    assert quick == _round_trip(text)
    assert repr(quick) == repr(_round_trip(text))  # 1 and 1.0 and True told apart


@pytest.mark.parametrize("text", UNSURE)
def test_gives_up_where_it_could_read_otherwise(text: str) -> None:
    assert quickyaml.read(text) is None


_scalars = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.sampled_from(["yes", "no", "on", "off", "1:30", "0777", "0o7", "0x1f", ".inf", "~"]),
)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), _documents, max_size=5))
def test_documents_ruamel_writes_read_the_same(document: dict[str, object]) -> None:
    buffer = io.StringIO()
    YAML(typ="rt").dump(document, buffer)
    text = buffer.getvalue()
    quick = quickyaml.read(text)
    if quick is not None:  # where it answers, it answers as the round trip
        assert repr(quick) == repr(_round_trip(text))


def test_a_configuration_with_a_problem_is_read_again_for_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "sources:\n  - {id: a, name: A, url: https://a.kz/rss}\n"
        "  - {id: a, name: B, url: https://b.kz/rss}\n",
        encoding="utf-8",
    )
    with pytest.raises(config.ConfigError, match=r"feeds.yaml:3: sources\[1\].id: duplicate"):
        config.load_settings(path)
    path.write_text("sources:\n  - {id: a, name: A, url: https://a.kz/rss}\n", encoding="utf-8")
    assert [s.id for s in config.load_settings(path).config.sources] == ["a"]

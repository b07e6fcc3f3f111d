"""Adding and removing sources in ``feeds.yaml`` without losing the user's comments.

ruamel.yaml reads the file round-trip (every node keeps its line and column) and writes
each new entry; the edit itself is made on the text, line by line, so everything outside
the edited lines stays byte for byte as the user wrote it. Dumping the whole round-trip
document instead re-indents the file to one guessed style, and ruamel hangs the comments
between entries on whichever node precedes them (the deepest last scalar, a flow list,
or the list's end), so moving an entry would move the comments around it.

Where comments go, with the entry ``- id:`` at column ``d``:

* a comment indented deeper than ``d`` after an entry's lines belongs to that entry;
* the comment lines right above an entry (no blank line between) at column ``d`` are its
  description and are removed with it; a comment separated by a blank line stays;
* comments at column ``d`` after the last entry (e.g. commented-out sources) stay in the
  list, new entries go after them; less indented comments belong to what follows.

Every edit is checked twice before the file is replaced: the new text must load to the
old data with exactly the intended change, and pass :func:`aggregator.config.load_settings`.
The file is replaced atomically (temp file + ``os.replace``): on any error it is untouched.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from aggregator.config import load_settings, plain, top_level_mapping
from aggregator.errors import ConfigError
from aggregator.yamlerrors import describe_yaml_error

#: Keys written first, in this order; the others follow in the order given.
FIRST_KEYS = ("id", "name", "url")
#: Layout of a new ``sources:`` list (the style of the shipped ``feeds.yaml``).
NEW_LIST_DASH, NEW_LIST_CONTENT = 2, 4

_EMPTY_FLOW_LIST = re.compile(r"^(?P<key>\s*sources\s*:)\s*\[\s*\](?P<rest>\s*(#.*)?)$")


def add_source(path: Path, source: Mapping[str, object]) -> None:
    """Append ``source`` to the ``sources:`` list of ``path`` (created when missing).

    The entry's keys are written ``id``, ``name``, ``url`` first; ``None`` values are left
    out (they mean "the default"); lists and mappings are written in flow style.

    Raises:
        ConfigError: a source with the same id or URL exists (``http``/``https``, host
            case and a trailing ``/`` do not count as different URLs), the result would
            not be a valid configuration, or the file cannot be read or written. The
            file is untouched.
    """
    _edit(path, lambda editor: editor.add([source], skip_known_urls=False))


def add_sources(path: Path, sources: Sequence[Mapping[str, object]]) -> list[str]:
    """Append ``sources`` in one write (an OPML import); return the ids added.

    A source whose URL the file (or an earlier one of ``sources``) already has is
    skipped. Nothing is written when nothing is left to add.

    Raises:
        ConfigError: an id is taken, or the result would be invalid; nothing is written.
    """
    added: list[str] = []
    _edit(path, lambda editor: added.extend(editor.add(sources, skip_known_urls=True)))
    return added


def remove_source(path: Path, source_id: str) -> None:
    """Remove the source ``source_id`` with its comments (see the module docstring).

    Raises:
        ConfigError: no source has that id, or the file cannot be read or written.
    """
    _edit(path, lambda editor: editor.remove(source_id))


# -- the edit cycle ----------------------------------------------------------------------


def _edit(path: Path, change: Callable[[_Editor], object]) -> None:
    """Load ``path``, apply ``change(editor)``, verify and write the result atomically."""
    path = Path(path)
    load_settings(path)  # refuse to edit a file that is invalid already: say why first
    editor = _Editor(path, _read_text(path))
    change(editor)
    if editor.text == editor.original:
        return
    editor.verify()
    _write_validated(path, editor.text)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"], path=str(path)) from exc


def _write_validated(path: Path, text: str) -> None:
    """Write ``text`` beside ``path``, validate it there, then move it over ``path``."""
    target = path.resolve()  # a symlinked feeds.yaml stays a symlink
    try:
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise ConfigError([f"{path}: cannot write beside it: {exc}"], path=str(path)) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, target.stat().st_mode & 0o7777)
        _validate(temp, path)
        os.replace(temp, target)
    except OSError as exc:
        raise ConfigError([f"{path}: cannot write: {exc}"], path=str(path)) from exc
    finally:
        temp.unlink(missing_ok=True)  # gone already when it replaced the file


def _validate(temp: Path, path: Path) -> None:
    """:func:`load_settings` on the written text, its messages naming ``path``."""
    try:
        load_settings(temp)
    except ConfigError as exc:
        problems = [problem.replace(str(temp), str(path)) for problem in exc.problems]
        raise ConfigError(problems, path=str(path)) from exc


# -- the text editor ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where the block list ``sources:`` sits in the text (0-based line numbers)."""

    key_line: int
    key_col: int
    dash_col: int
    content_col: int
    starts: tuple[int, ...]
    """The line of each entry's ``-``."""
    ends: tuple[int, ...]
    """The last line of each entry, its deeper-indented comments included."""
    list_end: int
    """The last line of the list, comments at the dash column after it included."""


class _Editor:
    """The text of one ``feeds.yaml`` and the data it must load to after the edits."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.original = text
        self.lines = (text if text.endswith("\n") or not text else text + "\n").split("\n")
        """The text split at ``\\n``; the last item follows the last newline."""
        self.eol = "\r" if "\r\n" in text else ""
        """What ends a line besides ``\\n``: ``\\r`` in a CRLF file."""
        self.expected = plain(_load(path, self.text))

    # -- add

    def add(self, sources: Sequence[Mapping[str, object]], *, skip_known_urls: bool) -> list[str]:
        data = _load(self.path, self.text)
        known = _Known.of(data.get("sources") or [])
        entries = []
        for source in sources:
            entry = _entry(self.path, source)
            if skip_known_urls and known.url_index(entry.get("url")) is not None:
                continue
            self._refuse_duplicate(known, entry)
            known.add(entry)
            entries.append(entry)
        if entries:
            self._append(data, entries)
        return [str(entry["id"]) for entry in entries]

    def _refuse_duplicate(self, known: _Known, entry: CommentedMap) -> None:
        index = known.id_index(entry.get("id"))
        if index is not None:
            self._duplicate(known, index, f"a source with id {entry['id']!r} exists already")
        index = known.url_index(entry.get("url"))
        if index is not None:
            self._duplicate(known, index, f"{entry.get('url')!r} is fetched already")

    def _duplicate(self, known: _Known, index: int, message: str) -> None:
        if index >= known.in_file:
            problem = (
                f"{self.path}: {message} by another source being added (id {known.ids[index]!r})"
            )
        else:
            line = _load(self.path, self.text)["sources"].lc.item(index)[0] + 1
            problem = f"{self.path}:{line}: sources[{index}]: {message} (id {known.ids[index]!r})"
        raise ConfigError([problem], path=str(self.path))

    def _append(self, data: CommentedMap, entries: list[CommentedMap]) -> None:
        sources = self.expected.setdefault("sources", [])
        sources.extend(plain(entry) for entry in entries)
        if data.get("sources"):
            layout = self._layout(data)
            separate = _blank_between_entries(self.lines, layout)
            block = self._render(entries, layout.dash_col, layout.content_col, separate)
            self._insert(layout.list_end + 1, ([""] if separate else []) + block)
        elif "sources" in data:
            self._fill_empty_list(data, entries)
        else:
            block = self._render(entries, NEW_LIST_DASH, NEW_LIST_CONTENT, separate=False)
            gap = [""] if self.text.strip() and self.lines[-2].strip() else []
            self._insert(len(self.lines) - 1, [*gap, "sources:", *block])

    def _fill_empty_list(self, data: CommentedMap, entries: list[CommentedMap]) -> None:
        line = data.lc.key("sources")[0]
        match = _EMPTY_FLOW_LIST.match(self.lines[line].rstrip("\r"))
        if match is None:
            raise self._cannot_edit(line + 1, "sources: is not a block list or []")
        self.lines[line] = match.group("key") + match.group("rest") + self.eol
        content = NEW_LIST_CONTENT + data.lc.key("sources")[1]
        block = self._render(entries, content - 2, content, separate=False)
        self._insert(line + 1, block)

    def _render(
        self, entries: list[CommentedMap], dash_col: int, content_col: int, separate: bool
    ) -> list[str]:
        """The entries as YAML lines, ``-`` at ``dash_col``, keys at ``content_col``."""
        yaml = _yaml()
        yaml.indent(mapping=2, sequence=content_col - dash_col, offset=0)
        lines: list[str] = []
        for number, entry in enumerate(entries):
            stream = io.StringIO()
            yaml.dump([entry], stream)
            if number and separate:
                lines.append("")
            # split at \n only: str.splitlines() would also split at U+2028 and others
            text = stream.getvalue().removesuffix("\n")
            lines.extend(" " * dash_col + line for line in text.split("\n"))
        return lines

    # -- remove

    def remove(self, source_id: str) -> None:
        data = _load(self.path, self.text)
        known = _Known.of(data.get("sources") or [])
        index = known.id_index(source_id)
        if index is None:
            ids = ", ".join(known.ids) or "none"
            raise ConfigError(
                [f"{self.path}: no source has id {source_id!r} (the ids: {ids})"],
                path=str(self.path),
            )
        del self.expected["sources"][index]
        layout = self._layout(data)
        if len(layout.starts) == 1:
            self._remove_only(layout)
        else:
            self._remove_lines(layout, index)

    def _remove_lines(self, layout: _Layout, index: int) -> None:
        first = _description_start(self.lines, layout, index)
        last = layout.ends[index]
        before, after = self.lines[:first], self.lines[last + 1 :]
        blanks_before, blanks_after = _trailing_blanks(before), _leading_blanks(after)
        if first - blanks_before - 1 == layout.key_line and len(layout.starts) > 1:
            keep = blanks_before  # the first entry: no new gap right after `sources:`
        elif not any(line.strip() for line in after):
            keep = blanks_after  # the end of the file: as it was after the entry
        else:
            keep = max(blanks_before, blanks_after)
        kept_before = before[: len(before) - blanks_before]
        self.lines = kept_before + [self.eol] * keep + after[blanks_after:]

    def _remove_only(self, layout: _Layout) -> None:
        """The last source goes: the list becomes ``sources: []``."""
        self._remove_lines(layout, 0)
        line = self.lines[layout.key_line]
        colon = line.index(":", layout.key_col)
        self.lines[layout.key_line] = line[: colon + 1] + " []" + line[colon + 1 :]

    # -- shared

    def _layout(self, data: CommentedMap) -> _Layout:
        sources = data["sources"]
        key_line, key_col = data.lc.key("sources")
        if not isinstance(sources, CommentedSeq) or sources.fa.flow_style() or data.fa.flow_style():
            raise self._cannot_edit(key_line + 1, "sources: is written in flow style ([...])")
        lines = self.lines
        starts = [self._dash_line(sources, index) for index in range(len(sources))]
        dash_col = _indent(lines[starts[-1]])
        content_col = sources.lc.item(len(sources) - 1)[1]
        ends = [
            _entry_end(lines, start, stop, dash_col)
            for start, stop in zip(starts, [*starts[1:], len(lines)], strict=True)
        ]
        list_end = _list_end(lines, ends[-1], dash_col, key_col)
        return _Layout(
            key_line, key_col, dash_col, content_col, tuple(starts), tuple(ends), list_end
        )

    def _dash_line(self, sources: CommentedSeq, index: int) -> int:
        line, col = (int(number) for number in sources.lc.item(index))
        lines = self.lines
        if lines[line][:col].strip() == "-":
            return line
        previous = line - 1
        while previous > 0 and not lines[previous].strip():
            previous -= 1
        if lines[previous].strip() == "-":
            return previous
        raise self._cannot_edit(line + 1, f"sources[{index}] does not start with '- '")

    def _insert(self, at: int, new_lines: list[str]) -> None:
        self.lines[at:at] = [line + self.eol for line in new_lines]

    def _cannot_edit(self, line: int, why: str) -> ConfigError:
        return ConfigError(
            [f"{self.path}:{line}: cannot edit this file safely: {why}; edit it by hand"],
            path=str(self.path),
        )

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def verify(self) -> None:
        """The edited text must load to the expected data: nothing else may change."""
        try:
            actual = plain(_load(self.path, self.text))
        except ConfigError as exc:
            actual = exc
        if actual != self.expected:
            raise ConfigError(
                [f"{self.path}: cannot edit this file safely (the result would differ in "
                 "more than the change); edit it by hand"],
                path=str(self.path),
            )  # fmt: skip


# -- lines ---------------------------------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _entry_end(lines: list[str], start: int, stop: int, dash_col: int) -> int:
    """The entry's last line: its last value, then the comments deeper than the dash
    that follow it directly (a comment at the dash column ends the entry)."""
    end = start
    for number in range(start + 1, stop):
        line = lines[number]
        if line.strip() and not _is_comment(line):
            if _indent(line) <= dash_col:
                break
            end = number
    for number in range(end + 1, stop):
        line = lines[number]
        if line.strip():
            if not _is_comment(line) or _indent(line) <= dash_col:
                break
            end = number
    return end


def _list_end(lines: list[str], last_end: int, dash_col: int, key_col: int) -> int:
    """The last line of list-level comments (at the dash column) after the last entry."""
    end = last_end
    for number in range(last_end + 1, len(lines)):
        line = lines[number]
        if not line.strip():
            continue
        if not _is_comment(line) or _indent(line) < dash_col or _indent(line) <= key_col:
            break
        end = number
    return end


def _description_start(lines: list[str], layout: _Layout, index: int) -> int:
    """The first line of the comments right above entry ``index`` (or its dash line)."""
    floor = layout.ends[index - 1] if index else layout.key_line
    first = layout.starts[index]
    while first - 1 > floor:
        line = lines[first - 1]
        if not _is_comment(line) or _indent(line) < layout.dash_col:
            break
        if _indent(line) <= layout.key_col:
            break
        first -= 1
    return first


def _blank_between_entries(lines: list[str], layout: _Layout) -> bool:
    """Whether the file separates its last two entries with a blank line."""
    if len(layout.starts) < 2:
        return False
    gap = lines[layout.ends[-2] + 1 : layout.starts[-1]]
    return any(not line.strip() for line in gap)


def _trailing_blanks(lines: list[str]) -> int:
    count = 0
    for line in reversed(lines):
        if line.strip():
            break
        count += 1
    return count


def _leading_blanks(lines: list[str]) -> int:
    count = 0
    for line in lines[:-1]:  # the last item follows the final newline: not a line
        if line.strip():
            break
        count += 1
    return count


# -- data ----------------------------------------------------------------------------------


@dataclass
class _Known:
    """The ids and URLs already in the list, in order."""

    ids: list[str]
    urls: list[str | None]
    in_file: int = 0
    """How many of them the file has (the others are being added)."""

    @classmethod
    def of(cls, sources: Any) -> _Known:
        known = cls([], [])
        for source in sources:
            known.add(source)
        known.in_file = len(known.ids)
        return known

    def add(self, source: Any) -> None:
        self.ids.append(str(source.get("id")))
        self.urls.append(_url_key(source.get("url")))

    def id_index(self, source_id: object) -> int | None:
        return self.ids.index(str(source_id)) if str(source_id) in self.ids else None

    def url_index(self, url: object) -> int | None:
        key = _url_key(url)
        return self.urls.index(key) if key is not None and key in self.urls else None


def _url_key(url: object) -> str | None:
    """A URL as compared for duplicates: ``http``/``https``, host case, default port, a
    trailing ``/`` and the fragment make no difference; a file path is compared as is."""
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    if parts.scheme.lower() not in ("http", "https"):
        return url.strip()
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{netloc}{parts.path.rstrip('/')}{query}"


def _entry(path: Path, source: Mapping[str, object]) -> CommentedMap:
    """``source`` as a YAML mapping: ``id``, ``name``, ``url`` first, ``None`` dropped."""
    if not isinstance(source, Mapping):
        raise ConfigError([f"{path}: a source must be a mapping, not {source!r}"], path=str(path))
    order = [key for key in FIRST_KEYS if key in source]
    order += [key for key in source if key not in FIRST_KEYS]
    return CommentedMap(
        (str(key), _yaml_value(path, str(key), source[key]))
        for key in order
        if source[key] is not None
    )


def _yaml_value(path: Path, key: str, value: object) -> Any:
    """A value ruamel can write: scalars as they are, lists and mappings in flow style."""
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_yaml_value(path, key, item) for item in value)
        seq.fa.set_flow_style()
        return seq
    if isinstance(value, Mapping):
        mapping = CommentedMap((str(k), _yaml_value(path, key, v)) for k, v in value.items())
        mapping.fa.set_flow_style()
        return mapping
    raise ConfigError(
        [f"{path}: {key}: {value!r} cannot be written to YAML (use text, numbers, lists)"],
        path=str(path),
    )


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096  # never fold a long line
    yaml.preserve_quotes = True
    return yaml


def _load(path: Path, text: str) -> CommentedMap:
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError([describe_yaml_error(path, exc)], path=str(path)) from exc
    return top_level_mapping(path, data)

"""YAML syntax errors told in plain words, with the file and line.

ruamel.yaml words its errors for people who know YAML's grammar ("expected <block end>,
but found '?'", "mapping values are not allowed here"). The people who edit
``feeds.yaml`` mostly meet a handful of mistakes: an indentation that does not match,
a value with ``: `` in it, a tab, an unclosed quote or bracket, a key given twice. Each
gets a sentence that says what to do; anything else keeps the library's words.
"""

from __future__ import annotations

import re
from pathlib import Path

from ruamel.yaml.error import MarkedYAMLError, YAMLError

_DUPLICATE_KEY = re.compile(r'duplicate key "([^"]{0,80})')
_BAD_START = re.compile(r"found character '(.{1,4})' that cannot start any token")
_UNDEFINED_ALIAS = re.compile(r"undefined alias '([^']{0,80})'")


def describe_yaml_error(path: Path, exc: YAMLError) -> str:
    """``path:line: what is wrong, and what to do`` for a YAML error."""
    if not isinstance(exc, MarkedYAMLError):
        return f"{path}: not valid YAML: {exc}"
    problem, context = exc.problem or "", exc.context or ""
    message, at_start = _plain(problem, context)
    mark = (exc.context_mark if at_start else None) or exc.problem_mark or exc.context_mark
    line = f":{mark.line + 1}" if mark is not None else ""
    if message is None:
        message = (
            f"not valid YAML ({problem or context}); check this line's indentation and quoting"
        )
    return f"{path}{line}: {message}"


def _plain(problem: str, context: str) -> tuple[str | None, bool]:
    """The plain message for a ruamel problem, and whether it is better placed where the
    construct began (an unclosed quote or bracket) than where the parser gave up."""
    if "mapping values are not allowed" in problem:
        return (
            "unexpected ':' here: check this line's indentation (a key under another is "
            "indented the same as its siblings), or quote a value that contains ': ' "
            '(title: "News: today")',
            False,
        )
    if "<block end>" in problem or "<block mapping end>" in problem:
        if "'<scalar>'" in problem:
            return "unexpected text after a value: quote the whole value", False
        return (
            "this line's indentation does not match the lines above it: a key or list "
            "item must line up with the others of its level",
            False,
        )
    if found := _BAD_START.search(problem):
        char = found.group(1)
        if char == "\\t":
            return "a tab character: YAML indents with spaces only", False
        return f"a value cannot start with {char!r}: put the value in quotes", False
    if "quoted scalar" in context:
        return "a quoted value is never closed: add the closing quote", True
    if "flow sequence" in context:
        return "a '[' list is never closed: add ']' (or quote a value starting with '[')", True
    if "flow mapping" in context:
        return "a '{' mapping is never closed: add '}' (or quote a value starting with '{')", True
    if found := _DUPLICATE_KEY.search(problem):
        return f"{found.group(1)!r} is given twice in one mapping: keep one", False
    if found := _UNDEFINED_ALIAS.search(problem):
        name = found.group(1)
        return f"'*{name}' refers to an anchor '&{name}' that is not defined above it", False
    return None, False

"""``feeds.yaml`` read quickly: libyaml's C parser (PyYAML) with YAML 1.2's core schema.

ruamel's round-trip reader keeps every node's line, which the configuration's error
messages name; it is pure Python and reads a ``feeds.yaml`` of 1,000 sources in ~0.35 s,
a fifth of a warm ``aggregator fetch``. The configuration reads it this way first and
keeps the round trip for documents that have a problem to report (see
:func:`aggregator.config.load_settings`).

The answer must be the round trip's: scalars resolve by YAML 1.2's core schema, as
ruamel's do (``yes``, ``on``, ``1:30`` and ``0777``'s octal are YAML 1.1's: strings, or
777, here too), and :func:`read` gives up (None) on whatever it could read otherwise: a
duplicate key, a timestamp, a tag, a document libyaml refuses.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_PLAIN = (str, int, float, bool, type(None))


class _Loader(yaml.CSafeLoader):
    """libyaml's parser, YAML 1.2's core schema, duplicate keys refused."""

    yaml_implicit_resolvers = {}  # noqa: RUF012 - PyYAML's own registry, made empty


class _Unsure(Exception):
    """The document might read otherwise in the round trip."""


def _resolve(tag: str, pattern: str, first: str | list[str]) -> None:
    _Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolve("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolve(
    "tag:yaml.org,2002:int",
    r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
    "-+0123456789",
)
_resolve(
    "tag:yaml.org,2002:float",
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    "-+.0123456789",
)
_resolve("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
# a timestamp is constructed (and then refused below): the round trip reads it as one
_resolve(
    "tag:yaml.org,2002:timestamp",
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?$",
    "0123456789",
)


def _int(loader: _Loader, node: yaml.ScalarNode) -> int:
    value = loader.construct_scalar(node)
    if value.startswith(("0o", "0x")):
        return int(value[2:], 8 if value[1] == "o" else 16)
    return int(value)


def _float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = loader.construct_scalar(node).lower()
    if value.endswith("inf"):
        return float("-inf") if value.startswith("-") else float("inf")
    return float(value)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key, deep=True) for key, _ in node.value]
    if len(set(map(repr, keys))) != len(keys) or any(k == "<<" for k in keys):
        raise _Unsure("a duplicate or merge key")
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def read(text: str) -> Any | None:
    """The document as plain dicts, lists and scalars, as the round trip reads it; None
    when this reader cannot be sure of that (the round trip then reads it)."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except (yaml.YAMLError, _Unsure, ValueError, TypeError):
        return None
    return data if _plain(data) else None


def _plain(node: Any) -> bool:
    if isinstance(node, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in node.items())
    if isinstance(node, list):
        return all(_plain(v) for v in node)
    return isinstance(node, _PLAIN)

"""A package's public names, imported from their modules when first used (PEP 562).

``aggregator.dedup`` and ``aggregator.attribution`` gather names from modules that load
numpy, pymorphy3 and natasha's models. A warm ``aggregator fetch`` (every feed 304) and
an unchanged publish use none of them, yet paid ~0.3 s to import them through the
package; now a name's module is imported when the name is first read.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package``: each name of ``where`` is read from the
    submodule it maps to, once (the value is then set on the package)."""

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__

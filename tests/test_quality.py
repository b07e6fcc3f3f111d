"""House rules that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "aggregator"

# Which of our modules each module may import (DESIGN.md: imports point down).
LEAVES = {"errors", "models", "metrics", "logs", "languages", "caps", "yamlerrors"}
PURE = {
    "parse",
    "normalize",
    "identity",
    "dedup",
    "attribution",
    "htmlsource",
    "polling",
    "opml",
    "discover",
}
FORBIDDEN = {
    **{leaf: {"*"} for leaf in LEAVES},
    **{
        pure: {"fetch", "storage", "pipeline", "publish", "server", "scheduler", "cli"}
        for pure in PURE
    },
    "fetch": {"parse", "normalize", "storage", "pipeline", "publish", "scheduler", "cli"},
    "storage": {"fetch", "parse", "normalize", "pipeline", "publish", "scheduler", "cli"},
    "pipeline": {"scheduler", "server", "cli"},
    "publish": {"fetch", "pipeline", "scheduler", "server", "cli"},
    "server": {"cli", "scheduler"},
    "scheduler": {"cli", "service"},
    "service": {"cli"},
    "registry": {"fetch", "parse", "pipeline", "publish", "server", "scheduler", "service", "cli"},
    "manage": {"pipeline", "scheduler", "server", "cli", "storage"},
}


def our_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("aggregator")
        ):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("aggregator.")
            )
    return found - {"__init__"}


def module_files(module: str) -> list[Path]:
    """A module's file, or every file of its subpackage."""
    single = PACKAGE / f"{module}.py"
    return [single] if single.exists() else sorted((PACKAGE / module).glob("*.py"))


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_imports_point_down(module: str) -> None:
    files = module_files(module)
    assert files, f"no module or package {module}"
    imported = set().union(*(our_imports(path) for path in files)) - {module}
    forbidden = FORBIDDEN[module]
    bad = imported if "*" in forbidden else imported & forbidden
    assert not bad, f"{module} must not import {sorted(bad)}"


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_ruff_lint_is_clean() -> None:
    result = subprocess.run(
        [tool("ruff"), "check", "aggregator", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run(
        [tool("mypy"), "aggregator"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

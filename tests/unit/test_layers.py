"""The packages form layers: none imports a package above it, checked by reading every module's imports.

From the bottom: ``flows`` (the pure engine) and ``core`` (settings, i18n, roles, visibility, presenting);
``storage``; ``cases``, ``reminders`` and ``reports``; ``web`` (the dashboard); ``bot`` (which issues dashboard
links); ``app`` (the command line) on top. Alembic's revisions sit outside the layers of ``storage``: a data
migration may rebuild what ``reports`` keeps (recap summaries, targets), never through the bot or the command line.
The scan is static (the syntax tree of each file), so an import inside a function, or in a module no test happens
to load, is caught as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit import sources

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN: dict[str, frozenset[str]] = {
    "flows": frozenset({"core", "storage", "cases", "reminders", "reports", "web", "bot", "app"}),
    "core": frozenset({"storage", "cases", "reminders", "reports", "web", "bot", "app"}),
    "storage": frozenset({"cases", "reminders", "reports", "web", "bot", "app"}),
    "storage/migrations": frozenset({"web", "bot", "app"}),
    "cases": frozenset({"web", "bot", "app"}),
    "reminders": frozenset({"web", "bot", "app"}),
    "reports": frozenset({"web", "bot", "app"}),
    "web": frozenset({"bot", "app"}),
    "bot": frozenset({"app"}),
}
"""For each folder, the project packages none of its modules may import (a sub-folder listed has its own rule)."""


def imported_packages(source: str | Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``source`` (the text of a module, or the path of one of
    the project's modules), including ``importlib.import_module("x")``."""
    for node in sources.nodes(source) if isinstance(source, Path) else ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.partition(".")[0]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value.partition(".")[0]


def rule_of(path: Path) -> str:
    """The most specific folder of ``FORBIDDEN`` that holds ``path``."""
    folder = path.relative_to(ROOT).parent.as_posix()
    return max((f for f in FORBIDDEN if folder == f or folder.startswith(f + "/")), key=len)


def violations(folder: str) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if rule_of(path) != folder:
            continue
        for line, imported in imported_packages(path):
            if imported in FORBIDDEN[folder]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_module_imports_a_package_above_its_own(folder: str) -> None:
    assert violations(folder) == []


def test_every_project_package_has_its_rule() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} - {"tests"}
    assert packages == {f for f in FORBIDDEN if "/" not in f} | {"app"}


def test_the_scan_sees_imports_however_they_are_written() -> None:
    source = (
        "import bot.texts\n"
        "from app.cli import main\n"
        "def later():\n"
        "    from web import app\n"
        "    import importlib\n"
        "    return importlib.import_module('reports.recap')\n"
        "from . import sibling\n"
    )
    assert sorted(p for _, p in imported_packages(source)) == ["app", "bot", "importlib", "reports", "web"]

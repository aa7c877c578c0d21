"""The command line starts cheaply: building the parser imports no implementation, and every command resolves."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from app.cli import build_parser
from app.commands import CHEAP, resolve

PROJECT_PACKAGES = ("app", "core", "bot", "flows", "storage", "reminders", "cases", "reports", "web")
HEAVY = ("telegram", "sqlalchemy", "fpdf", "matplotlib", "openpyxl", "babel", "pydantic", "yaml", "transitions", "segno")

PROBE = """
import json, sys
import app.cli
app.cli.build_parser().format_help()
print(json.dumps(sorted(sys.modules)))
"""


def test_building_the_parser_imports_only_the_argument_declarations() -> None:
    loaded = json.loads(subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout)
    project = {m for m in loaded if m.split(".")[0] in PROJECT_PACKAGES}
    allowed = {"app", "app.cli", "flows", *CHEAP}
    assert {m for m in project if m not in allowed and not m.startswith("app.commands.")} == set()
    assert {m for m in loaded if m.split(".")[0] in HEAVY} == set()


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    return [leaf for sub in subs for child in sub.choices.values() for leaf in _leaves(child)]


def test_every_command_has_a_handler_that_exists_and_help_for_its_arguments() -> None:
    leaves = _leaves(build_parser())
    assert len(leaves) > 20
    for leaf in leaves:
        target = leaf.get_default("handler")
        assert target, leaf.prog
        assert callable(resolve(target)), target
        for action in leaf._actions:
            assert action.help, f"{leaf.prog}: {action.dest} has no help text"

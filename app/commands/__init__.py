"""What ``ats-bot`` accepts, kept apart from what it does, so start-up stays cheap.

Each module here declares one command group with argparse only: ``register(subparsers)`` adds the parsers and
points every leaf at its implementation with :func:`handler` — a ``"module:function"`` string, imported by
``app.cli.main`` only when that command runs. ``ats-bot --help`` therefore never loads the bot, the database
layer, PDF, charts or spreadsheets.

Adding a command:

1. Write ``def cmd_x(args) -> int`` in an implementation module (``app/x_cli.py``; heavy imports are fine there).
2. Declare its arguments in a module of this package and call ``handler(parser, "app.x_cli:cmd_x")``; import
   nothing here but the standard library and the cheap modules listed in ``CHEAP`` below (choices from the
   database go through :class:`LazyChoices`).
3. List the module in ``app.cli.COMMAND_GROUPS``.

``tests/unit/test_cli_startup.py`` fails when building the parser imports anything outside ``CHEAP``.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterator
from typing import Any

CHEAP = ("app.commands", "core", "core.enums", "core.errors", "core.languages", "flows.shipped")
"""Project modules the argument declarations may import (besides the standard library)."""

Handler = Callable[[argparse.Namespace], "int | None"]


def handler(parser: argparse.ArgumentParser, target: str) -> None:
    """Run ``target`` (``"package.module:function"``) when this parser's command is chosen."""
    parser.set_defaults(handler=target)


def resolve(target: str) -> Handler:
    """Import the implementation of a command (the only place command modules are imported)."""
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


class LazyChoices:
    """Choices computed on first use (when an argument is checked or help is printed), not at start-up.

    Pass ``metavar`` with it: argparse would otherwise list the choices while building the parser.
    """

    def __init__(self, compute: Callable[[], list[str]]) -> None:
        self._compute = compute
        self._values: list[str] | None = None

    def _all(self) -> list[str]:
        if self._values is None:
            self._values = self._compute()
        return self._values

    def __contains__(self, value: Any) -> bool:
        return value in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

"""``ats-bot``: the one command line of the product (bot, instruments, database, regions, reminders...).

Start-up is cheap by construction: the parser is built from the argument declarations in ``app/commands``
(standard library only) and the module that implements a command is imported only when it runs — see
``app/commands/__init__.py`` for how to add one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from app.commands import resolve
from core.errors import OperatorError

COMMAND_GROUPS = (
    "app.commands.instruments",
    "app.commands.bot",
    "app.commands.db",
    "app.commands.keys",
    "app.commands.people",
    "app.commands.cases",
    "app.commands.reminders",
    "app.commands.reports",
    "app.commands.web",
)
"""Modules whose ``register(subparsers)`` declares a command group, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ats-bot", description="ATS Bot: find out-of-school children and bring them back to school.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        importlib.import_module(group).register(sub)
    return parser


KEEP_ASSERTS = "BOT_KEEP_ASSERTS"
"""``BOT_KEEP_ASSERTS=1``: the bot runs on the interpreter as started, asserts and docstrings kept (debugging)."""


def run_optimised() -> None:
    """Start this process again as ``python -OO`` (same command line and environment; same process id, so a
    service manager or Docker sees nothing): without docstrings and asserts the bot holds about 7 MiB less
    (``benchmarks/bench_cli.py``). Not on a process already optimised, nor one started with ``-OO`` whose
    interpreter ignored it (no loop), nor with ``BOT_KEEP_ASSERTS=1``."""
    if sys.flags.optimize >= 2 or "-OO" in sys.orig_argv or os.environ.get(KEEP_ASSERTS) == "1" \
            or os.name != "posix" or not sys.executable:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-OO", *sys.orig_argv[1:]])


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None and getattr(args, "optimised", False):  # only the process's own command line can be rerun
        run_optimised()
    try:
        return int(resolve(args.handler)(args) or 0)
    except OperatorError as exc:
        print(f"ats-bot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`ats-bot instruments show x | head`): not an error of ours, and nothing to tell.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor a complaint when Python exits
        except (AttributeError, OSError, ValueError):
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())

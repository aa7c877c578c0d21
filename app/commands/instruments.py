"""``ats-bot instruments ...`` and ``ats-bot chat``: the questionnaires (implementation: ``app.instruments_cli``)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from app.commands import LazyChoices, handler
from core.languages import LANGUAGES
from flows.shipped import instrument_names

IMPL = "app.instruments_cli"
NAMES = LazyChoices(instrument_names)
NAME_HELP = "the instrument (ats-bot instruments list)"
TODAY_HELP = "the date ages are computed on (YYYY-MM-DD; default: today)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("instruments", help="the KUDU Sekolah questionnaires")
    sub = parser.add_subparsers(dest="instruments_command", required=True, metavar="COMMAND")
    handler(sub.add_parser("list", help="list the instruments"), f"{IMPL}:cmd_list")
    show = sub.add_parser("show", help="print the compiled instrument")
    show.add_argument("name", choices=NAMES, metavar="NAME", help=NAME_HELP)
    show.add_argument("--json", action="store_true", help="machine-readable output")
    handler(show, f"{IMPL}:cmd_show")
    walk = sub.add_parser(
        "walk",
        help="walk the skip logic over answers (JSON object) or, with --steps, answer by answer (JSON lines)",
        description="Without --steps: read one JSON object {question id: answer} and print where the walk stops. "
        "With --steps: read one JSON request per line and print one JSON reply per line (see README).",
    )
    walk.add_argument("name", choices=NAMES, metavar="NAME", help=NAME_HELP)
    walk.add_argument("answers", nargs="?", type=Path, metavar="FILE", help="read from this file instead of standard input")
    walk.add_argument("--steps", action="store_true", help="one step per line: JSON lines in, JSON lines out")
    walk.add_argument("--today", type=dt.date.fromisoformat, help=TODAY_HELP)
    walk.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the messages (default en)")
    handler(walk, "app.instruments_walk:cmd_walk")
    diagram = sub.add_parser("diagram", help="print the skip logic as a Mermaid flowchart")
    diagram.add_argument("name", choices=NAMES, metavar="NAME", help=NAME_HELP)
    handler(diagram, f"{IMPL}:cmd_diagram")
    export = sub.add_parser("export", help="write the instrument in another format")
    export.add_argument("name", choices=NAMES, metavar="NAME", help=NAME_HELP)
    export.add_argument("--format", choices=["xlsform"], default="xlsform", help="the format (default xlsform)")
    export.add_argument("file", type=Path, metavar="FILE", help="the file to write")
    handler(export, f"{IMPL}:cmd_export")
    add_chat(sub.add_parser("chat", help="fill an instrument in the terminal with the bot's engine"))
    add_chat(subparsers.add_parser("chat", help="fill an instrument in the terminal (same as 'instruments chat')"))


def add_chat(parser: argparse.ArgumentParser) -> None:
    parser.description = "Fill an instrument in the terminal with the bot's engine. Nothing is stored: the answers are printed as JSON."
    parser.add_argument("name", choices=NAMES, metavar="NAME", help=NAME_HELP)
    parser.add_argument("--lang", choices=LANGUAGES, default="id", help="language of the questions (default id)")
    parser.add_argument("--today", type=dt.date.fromisoformat, help=TODAY_HELP)
    handler(parser, "app.terminal_chat:cmd_chat")

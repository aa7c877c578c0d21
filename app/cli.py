"""``ats-bot``: the one command line of the product (bot, instruments, database, regions, reminders...)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app import bot_cli, cases_cli, db_cli, instruments_cli, people_cli, reminders_cli, reports_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ats-bot", description="ATS Bot: find out-of-school children and bring them back to school.")
    sub = parser.add_subparsers(dest="command", required=True)
    instruments_cli.register(sub)
    bot_cli.register(sub)
    db_cli.register(sub)
    db_cli.register_regions(sub)
    people_cli.register(sub)
    cases_cli.register(sub)
    reminders_cli.register(sub)
    reports_cli.register(sub)
    chat = sub.add_parser("chat", help="fill an instrument in the terminal (same as 'instruments chat')")
    chat.add_argument("name")
    chat.add_argument("--lang", default="id")
    chat.add_argument("--today", default=None)
    chat.set_defaults(func=lambda a: main(["instruments", "chat", a.name, "--lang", a.lang, *(["--today", a.today] if a.today else [])]))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

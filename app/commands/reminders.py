"""``ats-bot reminders due|run-once`` (implementation: ``app.reminders_cli``)."""

from __future__ import annotations

import argparse

from app.commands import handler

IMPL = "app.reminders_cli"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("reminders", help="reminders: list what is due, send it now")
    sub = parser.add_subparsers(dest="reminders_command", required=True, metavar="COMMAND")
    due = sub.add_parser("due", help="list the reminders due now (stored, or due by the rules and not yet stored)")
    due.add_argument("--limit", type=int, default=200, help="show at most this many (default 200)")
    handler(due, f"{IMPL}:_due")
    run = sub.add_parser("run-once", help="materialise and send the due reminders now, through the configured Bot API")
    run.add_argument("--ignore-window", action="store_true", help="send even outside the daily window (emergencies only)")
    handler(run, f"{IMPL}:_run_once")

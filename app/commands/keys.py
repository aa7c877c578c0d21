"""``ats-bot keys ...``: the data keys (implementation: ``app.keys_cli``)."""

from __future__ import annotations

import argparse

from app.commands import handler

IMPL = "app.keys_cli"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser("keys", help="the data keys that encrypt NIKs, KK and phone numbers and GPS positions")
    commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    status = commands.add_parser("status", help="where the keys come from and which key ids the database uses")
    handler(status, f"{IMPL}:cmd_status")
    new = commands.add_parser("new", help="print a fresh random key (for DATA_KEY)")
    handler(new, f"{IMPL}:cmd_new")
    rotate = commands.add_parser(
        "rotate",
        help="add a new key and re-encrypt everything under it, in small batches, while the bot runs",
        description="With a key file: writes a new key first in it (older keys stay, to read older backups), waits "
        "for running bots to pick it up, then re-encrypts in short transactions. With DATA_KEY: re-encrypts under the "
        "first key of DATA_KEY (put the new key first, the old one after a comma, restart the bot, then run this).",
    )
    rotate.add_argument("--batch", type=int, default=200, metavar="N", help="rows per transaction (default 200)")
    rotate.add_argument("--resume", action="store_true", help="finish an interrupted rotation without adding a key")
    handler(rotate, f"{IMPL}:cmd_rotate")

"""``ats-bot web [--today D]`` starts the dashboard; ``ats-bot web link --telegram-id ID`` prints a one-time
sign-in link for that person (implementation: ``app.web_cli``)."""

from __future__ import annotations

import argparse

from app.commands import handler

IMPL = "app.web_cli"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = subparsers.add_parser("web", help="start the web dashboard (WEB_HOST, WEB_PORT, WEB_BASE_URL)")
    web.add_argument("--host", default=None, help="listen address (default WEB_HOST)")
    web.add_argument("--port", type=int, default=None, help="port (default WEB_PORT)")
    web.add_argument("--today", default=None, help="YYYY-MM-DD: simulate this date (training, tests)")
    handler(web, f"{IMPL}:cmd_serve")
    sub = web.add_subparsers(dest="web_command", metavar="link")
    link = sub.add_parser("link", help="print a one-time sign-in link for a person (valid WEB_LINK_MINUTES)")
    link.add_argument("--telegram-id", type=int, required=True, help="the person's Telegram user id")
    handler(link, f"{IMPL}:cmd_link")

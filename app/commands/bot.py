"""``ats-bot run`` and ``ats-bot webhook``: start the Telegram bot (implementation: ``app.bot_cli``)."""

from __future__ import annotations

import argparse

from app.commands import handler


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = subparsers.add_parser(
        "run",
        help="start the bot with long polling",
        description="Start the bot: it asks Telegram for updates (long polling), so no public address is needed. "
        "Reads BOT_TOKEN, DATABASE_URL, DATA_KEY and the rest from the environment or .env (see .env.example). "
        "When Telegram cannot be reached it says so and retries.",
    )
    handler(run, "app.bot_cli:cmd_run")
    run.set_defaults(optimised=True)  # app.cli.run_optimised
    webhook = subparsers.add_parser(
        "webhook",
        help="start the bot behind a webhook (WEBHOOK_URL, WEBHOOK_SECRET)",
        description="Start the bot behind a public HTTPS address: Telegram posts updates to WEBHOOK_URL/telegram "
        "with WEBHOOK_SECRET; the bot listens on WEBHOOK_LISTEN:WEBHOOK_PORT (see .env.example).",
    )
    handler(webhook, "app.bot_cli:cmd_webhook")
    webhook.set_defaults(optimised=True)

"""A bare python-telegram-bot echo bot: the framework's floor for benchmarks, and the
real-PTB client the Bot API emulator's protocol tests run against.

    BOT_TOKEN=... python benchmarks/echo_bot.py --base-url http://127.0.0.1:PORT/bot

Settings come from flags, else the environment: BOT_TOKEN, BOT_API_BASE_URL,
BOT_API_FILE_URL, ECHO_CONCURRENT_UPDATES, ECHO_RATE_LIMITER (1 enables PTB's
AIORateLimiter, which waits out 429s), ECHO_MAX_RETRIES.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await context.bot.send_message(chat_id=message.chat_id, text=message.text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", default=env.get("BOT_TOKEN", ""))
    parser.add_argument("--base-url", default=env.get("BOT_API_BASE_URL", "https://api.telegram.org/bot"))
    parser.add_argument("--file-url", default=env.get("BOT_API_FILE_URL", ""), help="default: derived from --base-url")
    parser.add_argument("--concurrent-updates", type=int, default=int(env.get("ECHO_CONCURRENT_UPDATES", "256")))
    parser.add_argument("--rate-limiter", action="store_true", default=env.get("ECHO_RATE_LIMITER") == "1")
    parser.add_argument("--max-retries", type=int, default=int(env.get("ECHO_MAX_RETRIES", "3")))
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("a token is required (--token or BOT_TOKEN)")
    if not args.file_url:
        base = args.base_url.rstrip("/")
        args.file_url = base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
    return args


def build(args: argparse.Namespace) -> Application[Any, Any, Any, Any, Any, Any]:
    builder = (
        Application.builder()
        .token(args.token)
        .base_url(args.base_url)
        .base_file_url(args.file_url)
        .concurrent_updates(args.concurrent_updates)
    )
    app: Application[Any, Any, Any, Any, Any, Any]
    if args.rate_limiter:
        app = builder.rate_limiter(AIORateLimiter(max_retries=args.max_retries)).build()
    else:
        app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    build(parse_args(argv)).run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()

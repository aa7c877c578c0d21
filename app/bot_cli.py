"""``ats-bot run`` (long polling) and ``ats-bot webhook``: start the Telegram bot."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from app.telegram_check import TelegramRefused, wait_for_telegram
from core.settings import Settings, get_settings
from storage.crypto import DataKeyError
from storage.schema_state import SchemaBehindError
from storage.startup import open_database

if TYPE_CHECKING:
    from storage.db import Database

HTTPX_COMMAND_LINE = "httpx._main"
"""httpx's own command-line client: ``import httpx`` loads it, with click and pygments, whenever they are installed
(uvicorn brings click); the bot never runs it."""
WEBHOOK_SERVER = "telegram.ext._utils.webhookhandler"
"""PTB's webhook server (tornado), which ``telegram.ext`` imports even to poll."""

NO_TOKEN = """No BOT_TOKEN is set.

1. In Telegram, open @BotFather and send /newbot; choose a name and a username ending in "bot".
2. BotFather replies with a token like 123456789:AA...; put it in .env as BOT_TOKEN=... (see .env.example).
3. Run `ats-bot run` again.

To try the questionnaires without Telegram: ats-bot chat pendataan
"""


def keep_out(*modules: str) -> None:
    """Keep ``modules`` out of this process: the libraries that import them do so in ``try``/``except ImportError``
    and go on without them (httpx without its command line; ``telegram.ext`` with ``run_webhook`` refused). Only
    before the first import of ``telegram``: a process that already holds them keeps them."""
    if "telegram" in sys.modules:
        return
    for name in modules:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None in sys.modules: "import name" fails


def _prepare(settings: Settings) -> Database | None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stdout)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Bot API call would drown the update log
    if not settings.bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return None
    try:
        # No round trip per connection checkout: a turn on a dead connection is handled again (Conversations.process).
        from bot.app import WORKER_THREADS

        db = open_database(settings, workers=WORKER_THREADS, pre_ping=False)
    except (SchemaBehindError, DataKeyError) as exc:
        print(str(exc), file=sys.stderr)
        return None
    try:
        username = wait_for_telegram(settings)
    except TelegramRefused as exc:
        print(str(exc), file=sys.stderr)
        return None
    except KeyboardInterrupt:
        print("Stopped before Telegram could be reached.", file=sys.stderr)
        return None
    logging.getLogger(__name__).info("Telegram answers: this is @%s", username)
    return db


def cmd_run(args: argparse.Namespace) -> int:
    keep_out(HTTPX_COMMAND_LINE, WEBHOOK_SERVER)  # long polling needs no webhook server: 3 to 4 MiB less, resident
    from bot.app import ALLOWED_UPDATES, build_application

    settings = get_settings()
    db = _prepare(settings)
    if db is None:
        return 2
    application = build_application(settings, db)
    _prepare_loop(db, settings.health_port)
    application.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False)
    return 0


def cmd_webhook(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.webhook_url or not settings.webhook_secret:
        print("WEBHOOK_URL and WEBHOOK_SECRET must be set for webhook mode (see .env.example).", file=sys.stderr)
        return 2
    keep_out(HTTPX_COMMAND_LINE)
    from bot.app import ALLOWED_UPDATES, build_application

    db = _prepare(settings)
    if db is None:
        return 2
    application = build_application(settings, db)
    _prepare_loop(db, settings.health_port)
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path="telegram",
        webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
        secret_token=settings.webhook_secret,  # PTB refuses calls without Telegram's matching secret header
        allowed_updates=ALLOWED_UPDATES,
        close_loop=False,
    )
    return 0


def _prepare_loop(db: Database, port: int) -> None:
    """The event loop the application is about to run on: turns on WORKER_THREADS threads, /health served."""
    from bot.app import WORKER_THREADS, serve_health

    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="turn"))
    asyncio.set_event_loop(loop)
    loop.run_until_complete(serve_health(db, port))

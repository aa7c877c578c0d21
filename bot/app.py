"""Wiring of the Telegram application in one place: ApplicationBuilder, the one router, commands, health."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from dataclasses import dataclass

import httpx
from telegram import BotCommand, Update
from telegram.error import Conflict
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.alerts import install as install_alerts
from bot.api_client import AsyncioRequest
from bot.conversation import Conversations
from bot.housekeeping import install as install_housekeeping
from bot.processor import PerPersonUpdateProcessor
from bot.registry import COMMANDS
from bot.router import route
from bot.store import BotStore
from core.clock import shifted_clock
from core.i18n import LANGUAGES, translator
from core.settings import Settings
from reminders.job import install as install_reminders
from storage.db import Database

log = logging.getLogger(__name__)
MAX_CONCURRENT_UPDATES = 64
WORKER_THREADS = 12
"""Threads that run turns (``asyncio.to_thread``): the database pool is sized for them. More than the cores, since a
turn also waits for its commit; on SQLite the turns queued behind one another share that commit."""
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
CONNECTIONS = 16
"""Keep-alive HTTP connections to the Bot API (PTB's default is 256): 16 calls in flight at once carry hundreds of
calls a second at Telegram's round trip, and a pool that never grows wide keeps every call cheap."""
CONNECTION_WAIT = 30.0
"""Seconds a Bot API call may wait for a free connection (PTB's default, 1 s, would drop replies in a burst)."""


@dataclass(frozen=True)
class Services:
    """What the router needs, shared by all updates (nothing person-specific lives here)."""

    db: Database
    conversations: Conversations


def build_application(settings: Settings, db: Database) -> Application:
    tls = httpx.create_ssl_context()  # what each HTTP client would build for itself: the CA bundle, loaded once
    application = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .request(AsyncioRequest(CONNECTIONS, pool_timeout=CONNECTION_WAIT, tls=tls))
        .get_updates_request(AsyncioRequest(1, tls=tls))
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.file_url())
        .concurrent_updates(PerPersonUpdateProcessor(MAX_CONCURRENT_UPDATES))
        .rate_limiter(AIORateLimiter(max_retries=5))
        .post_init(_announce_commands)
        .post_stop(_save_live_keyboards)
        .build()
    )
    bot_id = int(settings.bot_token.split(":")[0]) if settings.bot_token.split(":")[0].isdigit() else 0
    clock = shifted_clock(settings.simulated_date)  # SIMULATED_DATE: the chat, reminders and alerts live on that day

    def today() -> dt.date:
        return clock().astimezone().date()

    conversations = Conversations(BotStore(db, bot_id, settings.default_language), today=today, files_dir=settings.files_dir)
    application.bot_data["services"] = Services(db, conversations)
    application.add_handler(TypeHandler(Update, route))
    install_reminders(application, db, wall=clock)  # one repeating sweep job; reminders themselves are database rows
    install_alerts(application, db, wall=clock)  # the early-warning pass (flagged pupils to their pendamping and teams)
    install_housekeeping(application, db, settings.update_ids_hours, settings.files_dir)  # old update ids, unreferenced files
    application.add_error_handler(_log_error)
    return application


async def _announce_commands(application: Application) -> None:
    """The command menu in each language (Indonesian for everyone else); invitation links need our username."""
    application.bot_data["services"].conversations.bot_username = application.bot.username
    for language in LANGUAGES:
        await application.bot.set_my_commands(command_menu(language), language_code=language)
    await application.bot.set_my_commands(command_menu("id"))


async def _save_live_keyboards(application: Application) -> None:
    """Where the live keyboards sent since their person's last turn are, so the next process can close them."""
    await asyncio.to_thread(application.bot_data["services"].conversations.save_sent_messages)


def command_menu(language: str) -> list[BotCommand]:
    """Telegram's command menu in ``language``: every entry of :data:`bot.registry.COMMANDS`, in its order."""
    t = translator(language)
    return [BotCommand(name, t(command.description)) for name, command in COMMANDS.items()]


ANOTHER_INSTANCE = ("Another process is polling Telegram with this BOT_TOKEN: only one may run at a time, and until "
                    "the other stops, the two take turns receiving updates. Stop one of them.")
CONFLICT_REPORTED = "conflict_reported"


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if isinstance(context.error, Conflict):  # repeats every few seconds while both poll: said once, without a traceback
        if not context.bot_data.get(CONFLICT_REPORTED):
            context.bot_data[CONFLICT_REPORTED] = True
            log.warning(ANOTHER_INSTANCE)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(json.dumps({"update": update_id, "error": type(context.error).__name__}), exc_info=context.error)


async def serve_health(db: Database, port: int) -> asyncio.AbstractServer:
    """``GET /health`` answers 200 when the database answers, 503 otherwise (for Docker and load balancers)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        try:
            await asyncio.to_thread(_ping, db)
            status, body = "200 OK", b'{"status":"ok"}'
        except Exception:  # noqa: BLE001 - any failure means unhealthy
            status, body = "503 Service Unavailable", b'{"status":"database unavailable"}'
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "0.0.0.0", port)


def _ping(db: Database) -> None:
    from sqlalchemy import text

    with db.read() as session:
        session.execute(text("SELECT 1"))

"""The one handler every update goes through: Telegram update → :class:`Incoming` → turn → replies.

PTB's ConversationHandler and persistence keep state in memory or pickles; here the state lives in the
database and this handler only translates between Telegram and :mod:`bot.conversation`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.conversation import Conversations
from bot.model import Incoming, Kind
from bot.photos import receive_document, receive_photo
from bot.sender import deliver, notify

log = logging.getLogger("ats_bot.updates")


async def incoming_from(update: Update) -> Incoming | None:
    """What the conversation needs to know about an update; None for updates it does not handle."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return None
    base = partial(Incoming, update.update_id, user.id, chat.id, user.first_name or "", user.language_code)
    query = update.callback_query
    if query is not None:
        return base(kind=Kind.CALLBACK, data=query.data or "", message_id=query.message.message_id if query.message else None)
    message = update.message
    if message is None:
        return None
    if message.text and message.text.startswith("/"):
        head, _, args = message.text.partition(" ")
        return base(kind=Kind.COMMAND, command=head[1:].split("@")[0].lower(), text=args.strip())
    if message.text:
        return base(kind=Kind.TEXT, text=message.text)
    if message.location:
        loc = message.location
        value = {"latitude": loc.latitude, "longitude": loc.longitude, "altitude": None, "accuracy": loc.horizontal_accuracy}
        return base(kind=Kind.LOCATION, value=value)
    if message.photo or (message.document and (message.document.mime_type or "").startswith("image/")):
        value, upload, problem = await receive_photo(message)
        return base(kind=Kind.PHOTO, value=value, upload=upload, problem=problem)
    if message.document:
        value, problem = await receive_document(message)
        return base(kind=Kind.DOCUMENT, value=value, problem=problem)
    return base(kind=Kind.OTHER)


PROGRESS_INTERVAL = 3.0
"""Seconds between two edits of a progress message (Telegram limits edits per chat)."""


def progress_message(bot: Any, chat_id: int, loop: asyncio.AbstractEventLoop,
                     clock: Callable[[], float] = time.monotonic) -> Callable[[str], None]:
    """A callback for the worker thread: the first call sends a message, later ones edit it, at most every
    few seconds. Fire and forget: a slow or failed send never holds up the work it reports on."""
    state: dict[str, Any] = {"message_id": None, "last": -PROGRESS_INTERVAL, "pending": None}

    async def show(text: str) -> None:
        try:
            if state["message_id"] is None:
                state["message_id"] = (await bot.send_message(chat_id, text)).message_id
            else:
                await bot.edit_message_text(text, chat_id=chat_id, message_id=state["message_id"])
        except TelegramError:
            pass

    def report(text: str) -> None:
        now = clock()
        if now - state["last"] < PROGRESS_INTERVAL or (state["pending"] is not None and not state["pending"].done()):
            return
        state["last"] = now
        state["pending"] = asyncio.run_coroutine_threadsafe(show(text), loop)

    return report


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle one update: one structured log line, no personal data in it."""
    started = time.perf_counter()
    services = context.bot_data["services"]
    conversations: Conversations = services.conversations
    incoming = await incoming_from(update)
    if incoming is None:
        return
    if incoming.kind is Kind.DOCUMENT:
        incoming = replace(incoming, progress=progress_message(context.bot, incoming.chat_id, asyncio.get_running_loop()))
    result = await asyncio.to_thread(conversations.process, incoming)
    outcome = result.outcome
    if not result.duplicate:
        query_id = update.callback_query.id if update.callback_query else None
        delivery = await deliver(context.bot, incoming.chat_id, result, query_id)
        if delivery.blocked:  # the person blocked the bot: their coordinator will be told by the reminders
            outcome = "blocked"
            await asyncio.to_thread(conversations.store.mark_unreachable, [incoming.chat_id])
        elif delivery.live_id is not None and result.nonce and result.person_id is not None:
            conversations.remember_message(result.person_id, result.nonce, delivery.live_id)  # written by the next turn
        refused = await notify(context.bot, result.notifications)
        if refused:
            await asyncio.to_thread(conversations.store.mark_unreachable, refused)
    log.info(json.dumps({"update": incoming.update_id, "kind": incoming.kind.value, "outcome": outcome,
                         "ms": round((time.perf_counter() - started) * 1000, 1)}))

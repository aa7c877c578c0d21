"""Perform a turn's replies with the Bot API (every call goes through PTB's rate limiter).

Telegram refuses a text over 4,096 characters, a caption over 1,024 and a callback notice over 200 (counted in
UTF-16 code units), so every text is fitted here: long messages are split at line breaks, edits and notices
shortened. Each call goes through :mod:`core.outbound` (shared with the reminder sweep): a reply Telegram still
refuses is logged and skipped, the next one (usually the next question) goes out anyway, so a failed send never
stalls a conversation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import partial

from telegram import Bot, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest

from bot.model import Reply, TurnResult
from core.limits import CAPTION_LIMIT, NOTICE_LIMIT, TEXT_LIMIT, shorten, split
from core.outbound import Blocked, Delivered, Failed, Markup, attempt, inline_keyboard, post_text

log = logging.getLogger(__name__)


def markup(reply: Reply) -> Markup:
    if reply.reply_keyboard == []:
        return ReplyKeyboardRemove()
    if reply.reply_keyboard:
        rows = [[KeyboardButton(b.text, request_location=b.request_location) for b in row] for row in reply.reply_keyboard]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    return inline_keyboard([[(b.text, b.data or "") for b in row] for row in reply.buttons])


@dataclass(frozen=True)
class Delivery:
    live_id: int | None = None
    """The id of the message carrying the live keyboard."""
    blocked: bool = False
    """The person blocked the bot (or left): the replies after that were not sent."""


async def deliver(bot: Bot, chat_id: int, result: TurnResult, callback_query_id: str | None) -> Delivery:
    """Send and edit as the turn says, each reply through :mod:`core.outbound`: a reply refused for a reason of
    its own is skipped and the next one (usually the next question) still goes out."""
    if callback_query_id is not None:
        notice = shorten(result.callback_notice, NOTICE_LIMIT) if result.callback_notice else None
        try:
            await bot.answer_callback_query(callback_query_id, text=notice)
        except BadRequest:  # a press older than Telegram's callback window: the replies below still go out
            log.info("callback query expired")
    if result.close_message_id is not None:
        try:
            await bot.edit_message_reply_markup(chat_id, result.close_message_id, reply_markup=None)
        except BadRequest:  # already closed or too old to edit: nothing to do
            pass
    live_id = None
    for reply in result.replies:
        outcome = await attempt(partial(_send_one, bot, chat_id, reply))
        if isinstance(outcome, Failed) and reply.without_preface is not None:  # the question without the answer's record above it
            outcome = await attempt(partial(_send_one, bot, chat_id, replace(reply, text=reply.without_preface, without_preface=None)))
        if isinstance(outcome, Blocked):
            return Delivery(live_id, blocked=True)
        if isinstance(outcome, Delivered) and reply.live:
            live_id = outcome.message_id
    return Delivery(live_id)


async def notify(bot: Bot, notifications: list[tuple[int, Reply]]) -> list[int]:
    """Deliver messages to other people; returns the chats that cannot be reached (blocked the bot, gone)."""
    refused = []
    for chat_id, reply in notifications:
        if isinstance(await attempt(partial(_send_one, bot, chat_id, reply)), Blocked):
            refused.append(chat_id)
    return refused


async def _send_one(bot: Bot, chat_id: int, reply: Reply) -> int:
    reply_markup = markup(reply)
    if reply.photo is not None or reply.document is not None:
        return await _send_file(bot, chat_id, reply, reply_markup)
    if reply.edit_message_id is not None:
        try:
            text = shorten(reply.text, TEXT_LIMIT)
            edited = await bot.edit_message_text(text, chat_id, reply.edit_message_id, reply_markup=reply_markup)  # type: ignore[arg-type]
            return edited.message_id if not isinstance(edited, bool) else reply.edit_message_id
        except BadRequest as exc:  # "message is not modified" or too old: send it anew instead
            log.info("edit failed (%s), sending instead", exc.message)
    return await post_text(bot, chat_id, reply.text, reply_markup)


async def _send_file(bot: Bot, chat_id: int, reply: Reply, reply_markup: Markup) -> int:
    """A photo or a document with its text as the caption, or, when the text is longer than a caption may be,
    the file alone followed by the text (with the buttons)."""
    fits = len(split(reply.text, CAPTION_LIMIT)) == 1
    caption = reply.text if fits and reply.text else None
    file_markup = reply_markup if fits else None
    if reply.photo is not None:
        sent = await bot.send_photo(chat_id, reply.photo, caption=caption, reply_markup=file_markup)
    else:
        assert reply.document is not None
        filename, content = reply.document
        sent = await bot.send_document(chat_id, content, filename=filename, caption=caption, reply_markup=file_markup)
    if fits:
        return sent.message_id
    return await post_text(bot, chat_id, reply.text, reply_markup)

"""Perform a turn's replies with the Bot API (every call goes through PTB's rate limiter).

Telegram refuses a text over 4,096 characters, a caption over 1,024 and a callback notice over 200 (counted in
UTF-16 code units), so every text is fitted here: long messages are split at line breaks, edits and notices
shortened. A reply Telegram still refuses is logged and skipped: the next one (usually the next question) goes
out anyway, so a failed send never stalls a conversation.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.limits import CAPTION_LIMIT, NOTICE_LIMIT, TEXT_LIMIT, shorten, split
from bot.model import Reply, TurnResult

log = logging.getLogger(__name__)
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


def markup(reply: Reply) -> ReplyMarkup:
    if reply.reply_keyboard == []:
        return ReplyKeyboardRemove()
    if reply.reply_keyboard:
        rows = [[KeyboardButton(b.text, request_location=b.request_location) for b in row] for row in reply.reply_keyboard]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.buttons:
        return InlineKeyboardMarkup([[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons])
    return None


async def deliver(bot: Bot, chat_id: int, result: TurnResult, callback_query_id: str | None) -> int | None:
    """Send and edit as the turn says; returns the id of the message carrying the live keyboard."""
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
        try:
            message_id = await _send_one(bot, chat_id, reply)
        except Forbidden:
            raise
        except TelegramError as exc:  # refused for a reason of its own: the following replies still go out
            log.warning("reply not delivered (%s: %s)", type(exc).__name__, exc.message)
            if reply.without_preface is None:
                continue
            try:  # the question without the answer's record above it
                message_id = await _send_one(bot, chat_id, replace(reply, text=reply.without_preface, without_preface=None))
            except Forbidden:
                raise
            except TelegramError:
                continue
        if reply.live:
            live_id = message_id
    return live_id


async def notify(bot: Bot, notifications: list[tuple[int, Reply]]) -> list[int]:
    """Deliver messages to other people; returns the chats that refused (blocked the bot)."""
    refused = []
    for chat_id, reply in notifications:
        try:
            await _send_one(bot, chat_id, reply)
        except Forbidden:
            refused.append(chat_id)
        except TelegramError as exc:
            log.warning("notification not delivered (%s: %s)", type(exc).__name__, exc.message)
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
    return await _send_text(bot, chat_id, reply.text, reply_markup)


async def _send_text(bot: Bot, chat_id: int, text: str, reply_markup: ReplyMarkup) -> int:
    """``text`` in as many messages as it needs; the buttons go with the last one."""
    *first, last = split(text, TEXT_LIMIT)
    for piece in first:
        await bot.send_message(chat_id, piece)
    return (await bot.send_message(chat_id, last, reply_markup=reply_markup)).message_id


async def _send_file(bot: Bot, chat_id: int, reply: Reply, reply_markup: ReplyMarkup) -> int:
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
    return await _send_text(bot, chat_id, reply.text, reply_markup)

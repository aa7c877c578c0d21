"""Perform a turn's replies with the Bot API (every call goes through PTB's rate limiter)."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden

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
        try:
            await bot.answer_callback_query(callback_query_id, text=result.callback_notice)
        except BadRequest:  # a press older than Telegram's callback window: the replies below still go out
            log.info("callback query expired")
    if result.close_message_id is not None:
        try:
            await bot.edit_message_reply_markup(chat_id, result.close_message_id, reply_markup=None)
        except BadRequest:  # already closed or too old to edit: nothing to do
            pass
    live_id = None
    for reply in result.replies:
        message_id = await _send_one(bot, chat_id, reply)
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
    return refused


async def _send_one(bot: Bot, chat_id: int, reply: Reply) -> int:
    reply_markup = markup(reply)
    if reply.photo is not None:
        caption = reply.text[:1024] or None  # Telegram's caption limit; long texts go as their own message
        return (await bot.send_photo(chat_id, reply.photo, caption=caption, reply_markup=reply_markup)).message_id
    if reply.document is not None:
        filename, content = reply.document
        return (await bot.send_document(chat_id, content, filename=filename, caption=reply.text or None, reply_markup=reply_markup)).message_id
    if reply.edit_message_id is not None:
        try:
            edited = await bot.edit_message_text(reply.text, chat_id, reply.edit_message_id, reply_markup=reply_markup)  # type: ignore[arg-type]
            return edited.message_id if not isinstance(edited, bool) else reply.edit_message_id
        except BadRequest as exc:  # "message is not modified" or too old: send it anew instead
            log.info("edit failed (%s), sending instead", exc.message)
    sent = await bot.send_message(chat_id, reply.text, reply_markup=reply_markup)
    return sent.message_id


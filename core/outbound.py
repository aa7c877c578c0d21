"""The one way a message leaves for Telegram: the bot's replies and notices, the reminder sweep, the early warning.

Every sender gets the same behaviour: the text fitted to Telegram's limit (split at line breaks, the buttons on
the last part), inline buttons from ``(label, callback data)`` rows, and every refusal turned into an outcome
instead of an exception, so a failed send never stalls a conversation or a sweep:

- :class:`Delivered` — sent (the id of the message carrying the buttons);
- :class:`Blocked` — 403, or a chat that no longer exists: the person is unreachable (mark them so; their
  coordinators hear instead);
- :class:`RetryLater` — 429 with Telegram's ``retry_after``: nothing was delivered, try again after it;
- :class:`Uncertain` — the network failed or timed out: Telegram may have delivered it, do not resend;
- :class:`Failed` — refused for a reason of its own (400): not delivered, go on with the next message.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from core.limits import TEXT_LIMIT, split

log = logging.getLogger(__name__)
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked")
"""Refusals (400 or 403) that mean the person cannot be reached any more."""


@dataclass(frozen=True)
class Delivered:
    message_id: int


@dataclass(frozen=True)
class Blocked:
    reason: str


@dataclass(frozen=True)
class RetryLater:
    seconds: float


@dataclass(frozen=True)
class Uncertain:
    reason: str


@dataclass(frozen=True)
class Failed:
    reason: str


Outcome = Delivered | Blocked | RetryLater | Uncertain | Failed


def inline_keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Inline buttons from rows of ``(label, callback data)``; None for no rows."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows])


async def send_text(bot: Bot, chat_id: int, text: str, reply_markup: Markup = None) -> Outcome:
    """``text`` in as many messages as it needs (the buttons go with the last one), as an outcome."""
    return await attempt(partial(post_text, bot, chat_id, text, reply_markup))


async def post_text(bot: Bot, chat_id: int, text: str, reply_markup: Markup = None) -> int:
    """Send ``text`` split to Telegram's limit, the buttons with the last part; its message id (raises, see
    :func:`attempt`)."""
    *first, last = split(text, TEXT_LIMIT)
    for piece in first:
        await bot.send_message(chat_id, piece)
    return (await bot.send_message(chat_id, last, reply_markup=reply_markup)).message_id


async def attempt(call: Callable[[], Awaitable[int]]) -> Outcome:
    """Run Bot API calls (returning the id of the message that matters) and classify what happened."""
    try:
        return Delivered(await call())
    except RetryAfter as exc:
        return RetryLater(retry_seconds(exc))
    except Forbidden as exc:
        return Blocked(f"forbidden: {exc.message}")
    except BadRequest as exc:  # a subclass of NetworkError in PTB: before it
        if any(words in exc.message.lower() for words in GONE):
            return Blocked(f"bad request: {exc.message}")
        log.warning("message refused (%s)", exc.message)
        return Failed(f"bad request: {exc.message}")
    except NetworkError as exc:  # includes TimedOut: Telegram may have delivered it
        return Uncertain(f"network: {type(exc).__name__}: {exc.message}")
    except TelegramError as exc:
        log.warning("message refused (%s: %s)", type(exc).__name__, exc.message)
        return Failed(f"{type(exc).__name__}: {exc.message}")


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22 keeps a timedelta; its public int attribute is deprecated)."""
    value = getattr(exc, "_retry_after", None)
    if not isinstance(value, dt.timedelta):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)

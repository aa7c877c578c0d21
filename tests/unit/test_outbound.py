"""The one outbound Telegram port: every refusal becomes an outcome, the same for the bot and the sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut

from bot.model import Reply, TurnResult
from bot.sender import deliver, notify
from core.outbound import Blocked, Delivered, Failed, RetryLater, Uncertain, inline_keyboard, send_text


class Refusing:
    """A Bot whose send_message raises ``error`` for chat 13 and answers the others."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, reply_markup: Any = None) -> Any:
        if chat_id == 13:
            raise self.error
        self.sent.append((chat_id, text))
        return type("Message", (), {"message_id": len(self.sent)})()


@pytest.mark.parametrize(("error", "outcome"), [
    (RetryAfter(dt.timedelta(seconds=7)), RetryLater),
    (Forbidden("Forbidden: bot was blocked by the user"), Blocked),
    (BadRequest("Bad Request: chat not found"), Blocked),
    (BadRequest("Bad Request: message text is empty"), Failed),
    (TimedOut(), Uncertain),
])
async def test_each_refusal_is_an_outcome(error: Exception, outcome: type) -> None:
    bot = Refusing(error)
    got = await send_text(bot, 13, "halo")  # type: ignore[arg-type]
    assert type(got) is outcome
    assert got == RetryLater(7.0) if outcome is RetryLater else str(getattr(error, "message", "")) in str(got)
    assert await send_text(bot, 1, "halo", inline_keyboard([[("Ya", "r.x.y")]])) == Delivered(1)  # type: ignore[arg-type]


async def test_a_blocked_person_stops_the_turns_replies_and_is_reported() -> None:
    bot = Refusing(Forbidden("Forbidden: bot was blocked by the user"))
    delivery = await deliver(bot, 13, TurnResult(replies=[Reply("satu"), Reply("dua", live=True)]), None)  # type: ignore[arg-type]
    assert delivery.blocked and delivery.live_id is None and bot.sent == []
    gone = Refusing(BadRequest("Bad Request: chat not found"))
    assert await notify(gone, [(13, Reply("kasus baru")), (2, Reply("kasus baru"))]) == [13]  # type: ignore[arg-type]
    assert gone.sent == [(2, "kasus baru")]


async def test_a_refused_reply_is_skipped_and_the_rest_go_out() -> None:
    class OneRefusal(Refusing):
        async def send_message(self, chat_id: int, text: str, reply_markup: Any = None) -> Any:
            if text == "tolak":
                raise BadRequest("Bad Request: can't parse entities")
            return await super().send_message(chat_id, text, reply_markup)

    bot = OneRefusal(RuntimeError())
    delivery = await deliver(bot, 1, TurnResult(replies=[Reply("tolak"), Reply("1.2 · NIK", live=True)]), None)  # type: ignore[arg-type]
    assert bot.sent == [(1, "1.2 · NIK")] and delivery == type(delivery)(live_id=1)

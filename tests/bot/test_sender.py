"""Every outgoing text fits Telegram's limits, and a refused send never stalls a conversation (issue 14 §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram.error import BadRequest

from bot.model import Button, Reply, TurnResult
from bot.sender import deliver
from core.limits import CAPTION_LIMIT, NOTICE_LIMIT, TEXT_LIMIT, shorten, split, units


@dataclass
class Sent:
    method: str
    text: str | None
    markup: Any = None


@dataclass
class StrictBot:
    """Refuses what Telegram refuses (too long, empty), and optionally one given text."""

    refuse: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    _next: int = 100

    def _check(self, text: str | None, limit: int) -> None:
        if text is not None and (units(text) > limit or not text.strip()):
            raise BadRequest("Message is too long" if text.strip() else "Message text is empty")
        if text in self.refuse:
            raise BadRequest("Can't parse entities")

    def _message(self) -> Any:
        self._next += 1
        return type("M", (), {"message_id": self._next})()

    async def answer_callback_query(self, query_id: str, text: str | None = None) -> bool:
        self._check(text, NOTICE_LIMIT) if text else None
        self.sent.append(Sent("answer", text))
        return True

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> bool:
        return True

    async def send_message(self, chat_id: int, text: str, reply_markup: Any = None) -> Any:
        self._check(text, TEXT_LIMIT)
        self.sent.append(Sent("send", text, reply_markup))
        return self._message()

    async def edit_message_text(self, text: str, chat_id: int, message_id: int, reply_markup: Any = None) -> Any:
        self._check(text, TEXT_LIMIT)
        self.sent.append(Sent("edit", text, reply_markup))
        return self._message()

    async def send_photo(self, chat_id: int, photo: bytes, caption: str | None = None, reply_markup: Any = None) -> Any:
        self._check(caption, CAPTION_LIMIT)
        self.sent.append(Sent("photo", caption, reply_markup))
        return self._message()

    async def send_document(self, chat_id: int, document: bytes, filename: str = "", caption: str | None = None, reply_markup: Any = None) -> Any:
        self._check(caption, CAPTION_LIMIT)
        self.sent.append(Sent("document", caption, reply_markup))
        return self._message()


BUTTONS = [[Button("Ya", "n.y.0")]]


async def test_a_long_message_is_split_and_keeps_its_buttons_on_the_last_piece() -> None:
    bot = StrictBot()
    text = "\n".join(f"baris {i} " + "x" * 90 for i in range(120))  # ≈ 12,000 characters
    live = (await deliver(bot, 1, TurnResult(replies=[Reply(text, BUTTONS, live=True)]), None)).live_id  # type: ignore[arg-type]
    assert len(bot.sent) >= 3 and all(units(s.text or "") <= TEXT_LIMIT for s in bot.sent)
    assert [s.markup is not None for s in bot.sent] == [False] * (len(bot.sent) - 1) + [True]
    assert "".join((s.text or "").replace("\n", "") for s in bot.sent) == text.replace("\n", "")
    assert live == 100 + len(bot.sent)


async def test_emoji_count_double_as_telegram_counts_them() -> None:
    bot = StrictBot()
    await deliver(bot, 1, TurnResult(replies=[Reply("🙂" * 3000)]), None)  # type: ignore[arg-type]
    assert len(bot.sent) == 2


async def test_a_too_long_edit_is_shortened_not_refused() -> None:
    bot = StrictBot()
    await deliver(bot, 1, TurnResult(replies=[Reply("1.1 · Nama: " + "A" * 5000 + " ✓", edit_message_id=7)]), None)  # type: ignore[arg-type]
    [edit] = bot.sent
    assert edit.method == "edit" and units(edit.text or "") <= TEXT_LIMIT and (edit.text or "").endswith("…")


async def test_a_long_caption_goes_as_its_own_message() -> None:
    bot = StrictBot()
    caption = "Undangan " + "y" * 2000
    await deliver(bot, 1, TurnResult(replies=[Reply(caption, BUTTONS, photo=b"png", live=True)]), None)  # type: ignore[arg-type]
    assert [s.method for s in bot.sent] == ["photo", "send"]
    assert bot.sent[0].text is None and bot.sent[1].text == caption and bot.sent[1].markup is not None


async def test_a_refused_reply_does_not_stop_the_next_question() -> None:
    bot = StrictBot(refuse={"echo that Telegram refuses"})
    result = TurnResult(replies=[Reply("echo that Telegram refuses"), Reply("1.2 · NIK", BUTTONS, live=True)])
    live = (await deliver(bot, 1, result, None)).live_id  # type: ignore[arg-type]
    assert [s.text for s in bot.sent] == ["1.2 · NIK"] and live is not None


async def test_a_question_whose_echo_is_refused_goes_out_without_it() -> None:
    folded = "1.1 · Nama: <echo that Telegram refuses> ✓\n\n1.2 · NIK"
    bot = StrictBot(refuse={folded})
    result = TurnResult(replies=[Reply(folded, BUTTONS, live=True, without_preface="1.2 · NIK")])
    live = (await deliver(bot, 1, result, None)).live_id  # type: ignore[arg-type]
    assert [s.text for s in bot.sent] == ["1.2 · NIK"] and bot.sent[0].markup is not None and live is not None


async def test_a_long_callback_notice_is_shortened() -> None:
    bot = StrictBot()
    await deliver(bot, 1, TurnResult(callback_notice="z" * 500), "q1")  # type: ignore[arg-type]
    assert units(bot.sent[0].text or "") <= NOTICE_LIMIT


@pytest.mark.parametrize("text", ["", " ", "a", "a\n" * 5000, "é" * 9000, "🙂" * 4097, "x" * 4096, "word " * 2000])
def test_split_pieces_fit_and_lose_nothing(text: str) -> None:
    pieces = split(text, TEXT_LIMIT)
    assert pieces and all(0 < units(p) <= TEXT_LIMIT for p in pieces)
    if text.strip():
        assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_shorten_never_cuts_a_surrogate_pair() -> None:
    cut = shorten("🙂" * 100, 51)
    assert units(cut) <= 51 and cut.endswith("…") and cut.encode("utf-16-le")

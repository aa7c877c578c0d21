"""What a volunteer hit on a real phone (issue 14 §1–4), replayed through PTB's networking and the Bot API emulator."""

from __future__ import annotations

from typing import Any

import pytest
from botapi import BotApiEmulator
from deployment import Deployment, begin
from driver import question_part

from bot import texts as T
from core.i18n import LANGUAGE_NAMES, translator
from flows.messages import TOO_LONG

pytestmark = pytest.mark.e2e
ID, EN, JV = translator("id"), translator("en"), translator("jv")


def _no_traceback(bot: Any) -> None:
    assert "Traceback" not in bot.log(), bot.log()


def test_every_language_is_reachable_and_the_question_comes_back(emulator: BotApiEmulator, deployment: Deployment) -> None:
    bot = deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.expect_question()
    user = volunteer.user
    for language, t in (("en", EN), ("jv", JV), ("id", ID)):
        user.send("/bahasa")
        menu = user.wait_for(lambda m: LANGUAGE_NAMES["en"] in m.button_texts())
        user.mark()
        user.press(LANGUAGE_NAMES[language], menu)
        assert user.wait_answer().text is None  # a live button: no "closed" notice
        user.wait_text(t(T.LANGUAGE_SET, language=LANGUAGE_NAMES[language]))
        asked = user.wait_for(lambda m: question_part(m.text).startswith("1.1 · ") and not m.edited)
        assert t(T.CANCEL) in asked.button_texts()
    user.mark()
    user.send("/bahasa en")
    user.wait_text(EN(T.LANGUAGE_SET, language="English"))
    user.wait_for(lambda m: question_part(m.text).startswith("1.1 · ") and EN(T.CANCEL) in m.button_texts())
    _no_traceback(bot)


def test_a_long_answer_and_a_refused_send_do_not_silence_the_bot(emulator: BotApiEmulator, deployment: Deployment) -> None:
    bot = deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.expect_question()
    user = volunteer.user
    user.mark()
    user.send("A" * 5000)
    user.wait_text("✗ " + ID(TOO_LONG, max=100))
    user.wait_for(lambda m: question_part(m.text).startswith("1.1 · ") and not m.edited)
    emulator.fail_next("sendMessage", error_code=400, description="Bad Request: message is too long")
    volunteer.answer("Rina")  # the next question with the echo on top is refused ...
    volunteer.expect_question()  # ... and still the question comes, without the echo
    volunteer.answer("2")
    volunteer.expect_question()
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 4096 for m in user.messages())
    _no_traceback(bot)


def test_an_out_of_range_option_is_answered_without_a_traceback(emulator: BotApiEmulator, deployment: Deployment) -> None:
    bot = deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.answer("Rina")
    question = volunteer.expect_question()  # 1.2, with buttons
    nonce = question.inline_keyboard[0][0]["callback_data"].split(".")[0]
    volunteer.user.press_stale(question, f"{nonce}.c.99")
    assert volunteer.user.wait_answer().text == ID(T.BUTTON_NOT_VALID)
    volunteer.answer("2")  # the question still works
    volunteer.expect_question()
    _no_traceback(bot)


def test_a_refused_press_keeps_the_live_questions_buttons(emulator: BotApiEmulator, deployment: Deployment) -> None:
    bot = deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.answer("Rina")
    question = volunteer.expect_question()
    labels = question.button_texts()
    volunteer.user.press_stale(question, "forged.c.0")
    assert volunteer.user.wait_answer().text == ID(T.QUESTION_CLOSED)
    [now] = [m for m in volunteer.user.messages() if m.message_id == question.message_id]
    assert now.button_texts() == labels
    volunteer.answer("2")  # tapped on the same message, without typing /lanjut
    volunteer.expect_question()
    _no_traceback(bot)

"""What one answer costs on the wire: Bot API calls per typed answer and per pressed answer, through PTB's real
networking against the Bot API emulator.

A typed answer is one ``sendMessage``: its record ("1.1 · Nama: Siti Aminah ✓") travels at the top of the next
question. A pressed answer also answers the callback query (Telegram requires it) and turns the pressed message
into the record of the choice, so its buttons cannot be pressed twice on a slow connection.
"""

from __future__ import annotations

import time

import pytest
from botapi import BotApiEmulator
from deployment import Deployment, begin, fixture_answers

from bot import texts as T
from core.i18n import translator

pytestmark = pytest.mark.e2e

TYPED = ("1.1", "1.2.nik", "1.3.nisn", "1.5")
PRESSED = ("1.2", "1.3", "1.4")


def test_a_typed_answer_is_one_call_and_a_press_three(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    answers = fixture_answers("pendataan", "full")
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.expect_question()
    cost: dict[str, list[str]] = {}
    for qid in ("1.1", "1.2", "1.2.nik", "1.3", "1.3.nisn", "1.4", "1.5"):
        started = time.monotonic()
        volunteer.answer(answers[qid])
        volunteer.expect_question()  # the next question is the turn's last call
        cost[qid] = [c.method for c in emulator.calls() if c.time > started and c.method != "getUpdates"]
    assert {qid: cost[qid] for qid in TYPED} == {qid: ["sendMessage"] for qid in TYPED}
    assert {qid: cost[qid] for qid in PRESSED} == {qid: ["answerCallbackQuery", "editMessageText", "sendMessage"] for qid in PRESSED}
    record = volunteer.user.messages()[-1].text.split("\n\n")[0]  # the question of 1.6, with the record on top
    assert record.startswith("1.5 · ") and record.endswith(translator("id")(T.ANSWERED, header="", value="Pekalongan")), record

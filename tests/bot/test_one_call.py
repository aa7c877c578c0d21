"""One Bot API call per typed answer, at the seam: every typed answer of a whole Pendataan and Rekonfirmasi is
one message (the answer's record at the top of the next question), with no edit and no keyboard to close."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import texts as T
from bot.conversation import Conversations
from bot.model import Kind, TurnResult
from core.i18n import translator
from flows.engine import Complete, NeedsConfirmation, Prompt, State
from flows.registry import engine as engine_for
from flows.schema import QuestionType
from storage.db import Database
from storage.models import Role
from storage.regions import load_regions
from tests.bot.conftest import PATHS, Phone, enrol
from tests.conftest import TODAY

ID = translator("id")
PRESSED = (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE)
NOT_TYPED = (QuestionType.DATE, QuestionType.LOCATION, QuestionType.PHOTO, *PRESSED)


def bot_api_calls(result: TurnResult, pressed: bool) -> int:
    """What the router's sender does with ``result``: the callback's answer, closing an old keyboard, each reply."""
    return int(pressed) + int(result.close_message_id is not None) + len(result.replies)


@pytest.mark.parametrize("instrument", ["pendataan", "rekonfirmasi"])
def test_every_typed_answer_of_a_form_is_one_call(db: Database, conversations: Conversations, instrument: str) -> None:
    with db.write() as session:
        load_regions(session, "33.26")  # the fixtures' kecamatan and desa of Kabupaten Pekalongan
    enrol(db, 1501, Role.PENDAMPING)
    phone = Phone(conversations, 1501)
    phone.send(f"/isi {instrument}")
    eng = engine_for(instrument)
    answers: dict[str, Any] = json.loads((PATHS / instrument / "full.json").read_text(encoding="utf-8"))["answers"]
    state, typed = State(), 0
    while not isinstance(prompt := eng.current(state, TODAY), Complete):
        assert isinstance(prompt, Prompt)
        node = prompt.node
        value = answers.get(node.id) if node.group is None else answers[node.group][prompt.position.instance - 1].get(node.id)
        if value is None:
            phone.press(ID(T.SKIP))
        elif node.type is QuestionType.SELECT_ONE:
            phone.press(ID.label(node.choice(str(value)).label))  # type: ignore[union-attr]
        elif node.type is QuestionType.SELECT_MULTIPLE:
            for code in value:
                phone.press(ID.label(node.choice(str(code)).label))  # type: ignore[union-attr]
            phone.press(ID(T.DONE))
        elif node.type is QuestionType.DATE:
            phone.send(value[8:10] + "/" + value[5:7] + "/" + value[:4])
            phone.press(ID(T.YES))
        elif node.type is QuestionType.LOCATION:
            phone.update(Kind.LOCATION, value=value)
        elif node.type is QuestionType.PHOTO:
            value = {"path": "photo.jpg", "size": 30_000}
            phone.update(Kind.PHOTO, value=value)
        else:
            result = phone.send(str(value))
            if not isinstance(eng.answer(state, value, TODAY), NeedsConfirmation):
                assert bot_api_calls(result, pressed=False) == 1, (prompt.position.key, result)
                assert result.replies[0].edit_message_id is None and result.replies[0].text.startswith(f"{prompt.position.qid} · ")
                typed += 1
        if value is not None and isinstance(eng.answer(state, value, TODAY), NeedsConfirmation):
            phone.press(ID(T.KEEP_ANYWAY))
        state = (eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)).state  # type: ignore[union-attr]
    assert typed >= 10, f"{instrument}: only {typed} typed answers were checked"
    assert ID(T.SUBMIT) in phone.newest().labels()

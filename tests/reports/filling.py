"""Fill a whole questionnaire at the turn seam, as a volunteer would: press the labelled buttons, type the rest.

The filler keeps its own copy of the engine's state to know what must come next (like the end-to-end driver) and
plays every press on the buttons the bot actually sent, on the message that carries them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

from bot import texts as T
from bot.model import Kind, TurnResult
from core.i18n import translator
from flows.engine import Accepted, Complete, NeedsConfirmation, State
from flows.registry import engine
from flows.schema import QuestionType
from tests.reports.turns import Chat

_messages = itertools.count(1000)


class FormFiller:
    """One volunteer's chat, filling ``instrument`` in Indonesian."""

    def __init__(self, chat: Chat, today: dt.date) -> None:
        self.chat, self.today, self.t = chat, today, translator("id")
        self.buttons: dict[str, tuple[str, int]] = {}

    def _took(self, result: TurnResult) -> TurnResult:
        assert result.outcome != "error", result
        live = next_message = None
        for reply in result.replies:
            if reply.buttons:
                next_message = reply.edit_message_id or next(_messages)
                live = reply
        if live is not None and next_message is not None:
            if result.nonce and result.person_id:
                self.chat.conversations.remember_message(result.person_id, result.nonce, next_message)
            self.buttons = {b.text: (b.data or "", next_message) for row in live.buttons for b in row if b.data}
        return result

    def command(self, command: str, args: str = "") -> TurnResult:
        return self._took(self.chat.command(command, args))

    def text(self, text: str) -> TurnResult:
        return self._took(self.chat.text(text))

    def press(self, label: str) -> TurnResult:
        assert label in self.buttons, (label, list(self.buttons))
        data, message_id = self.buttons[label]
        return self._took(self.chat.press(data, message_id))

    def fill(self, instrument: str, answers: dict[str, Any], *, submit: bool = True, until: str | None = None) -> TurnResult:
        """``/isi instrument``, every answer, then Send (unless ``submit`` is False or ``until`` is reached)."""
        form = engine(instrument)
        state = State()
        result = self.command("isi", instrument)
        while True:
            prompt = form.current(state, self.today)
            if isinstance(prompt, Complete) or prompt.position.key == until:
                break
            node = prompt.node
            value = answers.get(node.id) if node.group is None else answers[node.group][prompt.position.instance - 1].get(node.id)
            if value is None:
                result = self.press(self.t(T.SKIP))
                outcome = form.skip(state, self.today)
            elif node.type is QuestionType.SELECT_ONE:
                result = self.press(self.t.label(node.choice(str(value)).label))  # type: ignore[union-attr]
                outcome = form.answer(state, value, self.today, confirm=True)
            elif node.type is QuestionType.SELECT_MULTIPLE:
                for code in value:
                    self.press(self.t.label(node.choice(str(code)).label))  # type: ignore[union-attr]
                result = self.press(self.t(T.DONE))
                outcome = form.answer(state, value, self.today, confirm=True)
            elif node.type is QuestionType.DATE:
                self.text(dt.date.fromisoformat(value).strftime("%d/%m/%Y"))
                result = self.press(self.t(T.YES))
                outcome = form.answer(state, value, self.today, confirm=True)
            elif node.type is QuestionType.LOCATION:
                result = self._took(self.chat._send(Kind.LOCATION, value=value))
                outcome = form.answer(state, value, self.today, confirm=True)
            else:
                result = self.text(str(value))
                outcome = form.answer(state, value, self.today, confirm=True)
            if value is not None and isinstance(form.answer(state, value, self.today), NeedsConfirmation):
                result = self.press(self.t(T.KEEP_ANYWAY))
            assert isinstance(outcome, Accepted), (node.id, outcome)
            state = outcome.state
        if submit and until is None:
            result = self.press(self.t(T.SUBMIT))
            assert any(re.search(r"\b[A-Z]+-\d{4}-\d{6}\b", r.text) for r in result.replies), [r.text for r in result.replies]
        return result

"""Play a volunteer through a questionnaire in Telegram, the way a person would: tap, type, share, send.

The driver keeps its own copy of the engine's state to know which question must come next, and checks that
the bot asks exactly that, with the header volunteers know from paper.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections.abc import Callable
from typing import Any

from botapi import BotMessage, User, sample_jpeg

from bot import texts as T
from core.i18n import translator
from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Prompt, State
from flows.schema import QuestionType

HEADER = re.compile(r"^(?P<qid>\S+?)(?: #(?P<n>\d+))? · ")


ANSWERED: weakref.WeakKeyDictionary[User, set[int]] = weakref.WeakKeyDictionary()
"""Question messages each user already answered: a typed answer leaves its question message as it
was (its record travels with the next question), so it must not be taken for the next one, in this form or
a later form that asks a question with the same code."""


def question_part(text: str) -> str:
    """A question message from its question's header on: above it may ride the record of the answer just typed
    ("1.4 · Jenis kelamin: Perempuan ✓"), why an answer was refused, and a section's title."""
    lines = text.split("\n")
    start = max((i for i, line in enumerate(lines) if HEADER.match(line)), default=0)
    return "\n".join(lines[start:])


def header_of(prompt: Prompt) -> str:
    pos = prompt.position
    return f"{pos.qid}{f' #{pos.instance}' if pos.instance else ''} · "



def _shows_ticked(label: str) -> Callable[[BotMessage], bool]:
    """Whether a message's keyboard shows ``label`` as chosen (multi-select questions tick what was pressed)."""
    return lambda m: any(b.startswith("✓ " + label) for b in m.button_texts())

class Volunteer:
    """A person filling ``engine``'s form through the bot, in ``language``."""

    def __init__(self, user: User, engine: Engine, language: str = "id", today: dt.date | None = None, state: State | None = None) -> None:
        self.user = user
        self.engine = engine
        self.t = translator(language)
        self.today = today or dt.date.today()
        self.state = state or State()
        """A form started from a case begins with what the case knows: pass the draft's saved state."""

    def expect_question(self, timeout: float = 15.0) -> BotMessage:
        """Wait until the bot asks the question that must come next."""
        prefix, answered = self._prefix(), ANSWERED.setdefault(self.user, set())
        return self.user.wait_for(lambda m: question_part(m.text).startswith(prefix) and not m.edited and m.message_id not in answered,
                                  timeout=timeout)

    def current_question(self) -> BotMessage:
        """The newest message asking the current question, already sent or still to come."""
        prefix, answered = self._prefix(), ANSWERED.setdefault(self.user, set())
        shown = [m for m in self.user.messages() if question_part(m.text).startswith(prefix) and not m.edited and m.message_id not in answered]
        return shown[-1] if shown else self.expect_question()

    def _prefix(self) -> str:
        prompt = self.engine.current(self.state, self.today)
        assert isinstance(prompt, Prompt), "the form is complete"
        return header_of(prompt)

    def answer(self, value: Any) -> None:
        """Answer the current question with ``value`` (in the ``instruments walk`` format), as a person would."""
        prompt = self.engine.current(self.state, self.today)
        assert isinstance(prompt, Prompt)
        node = prompt.node
        question = self.current_question()
        ANSWERED.setdefault(self.user, set()).add(question.message_id)
        if value is None:
            self.user.press(self.t(T.SKIP), question)
            outcome = self.engine.skip(self.state, self.today)
        elif node.type is QuestionType.SELECT_ONE:
            self.user.press(self.t.label(node.choice(str(value)).label), question)  # type: ignore[union-attr]
            outcome = self.engine.answer(self.state, value, self.today, confirm=True)
        elif node.type is QuestionType.SELECT_MULTIPLE:
            for code in value:
                label = self.t.label(node.choice(str(code)).label)  # type: ignore[union-attr]
                self.user.press(label)
                self.user.wait_for(_shows_ticked(label))
            self.user.press(self.t(T.DONE))
            outcome = self.engine.answer(self.state, value, self.today, confirm=True)
        elif node.type is QuestionType.DATE:
            day = dt.date.fromisoformat(value)
            self.user.send(day.strftime("%d/%m/%Y"))
            confirm = self.user.wait_for(lambda m: self.t(T.YES) in m.button_texts())
            self.user.press(self.t(T.YES), confirm)
            outcome = self.engine.answer(self.state, value, self.today, confirm=True)
        elif node.type is QuestionType.LOCATION:
            self.user.send_location(value["latitude"], value["longitude"], value.get("accuracy"))
            outcome = self.engine.answer(self.state, value, self.today, confirm=True)
        elif node.type is QuestionType.PHOTO:
            self.user.send_photo(sample_jpeg())
            outcome = self.engine.answer(self.state, {"path": "photo", "size": 30_000}, self.today, confirm=True)
        else:
            self.user.send(str(value))
            outcome = self.engine.answer(self.state, value, self.today, confirm=True)
        if isinstance(self.engine.answer(self.state, value, self.today) if value is not None else outcome, NeedsConfirmation):
            warning = self.user.wait_for(lambda m: self.t(T.KEEP_ANYWAY) in m.button_texts())
            self.user.press(self.t(T.KEEP_ANYWAY), warning)  # the volunteer checked: the answer stands
        assert isinstance(outcome, Accepted), (node.id, outcome)
        self.state = outcome.state

    def pick(self, button: str, answers: dict[str, Any]) -> None:
        """Press ``button`` of the current question (a school of the district's list), which answers ``answers``
        (the question and those the pick also fills, in order)."""
        question = self.current_question()
        ANSWERED.setdefault(self.user, set()).add(question.message_id)
        self.user.press(button, question)
        first = next(iter(answers.values()))
        if isinstance(self.engine.answer(self.state, first, self.today), NeedsConfirmation):
            warning = self.user.wait_for(lambda m: self.t(T.KEEP_ANYWAY) in m.button_texts())
            self.user.press(self.t(T.KEEP_ANYWAY), warning)  # e.g. a NIK issued elsewhere: the volunteer checked
        for value in answers.values():
            outcome = self.engine.answer(self.state, value, self.today, confirm=True)
            assert isinstance(outcome, Accepted), outcome
            self.state = outcome.state

    def fill(self, answers: dict[str, Any], *, until: str | None = None) -> None:
        """Answer every question from ``answers`` (keyed by question id) until the review, or until ``until``."""
        while True:
            prompt = self.engine.current(self.state, self.today)
            if isinstance(prompt, Complete) or prompt.position.key == until:
                return
            node = prompt.node
            value = answers.get(node.id) if node.group is None else answers[node.group][prompt.position.instance - 1].get(node.id)
            self.answer(value)

    def submit(self) -> str:
        """Send the reviewed form; returns the form's receipt number (``F-…``) the bot gives."""
        review = self.user.wait_for(lambda m: self.t(T.SUBMIT) in m.button_texts())
        self.user.press(self.t(T.SUBMIT), review)
        done = self.user.wait_for(lambda m: re.search(r"\bF-\d{4}-", m.text) is not None)
        match = re.search(r"F-\d{4}-\d{6}", done.text)
        assert match, done.text
        return match.group(0)

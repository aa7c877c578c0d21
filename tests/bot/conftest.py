"""The turn seam: updates go into :class:`bot.conversation.Conversations` and replies come out, without Telegram.

A :class:`Phone` plays one person's Telegram app: it numbers the bot's messages, applies edits and closed
keyboards as Telegram would, remembers which message carries the live keyboard (as the router does), and
presses buttons by their label. Tests run on a migrated SQLite file with a few real regions.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.conversation import Conversations
from bot.model import Button, Incoming, Kind, Reply, TurnResult
from bot.store import BotStore
from flows.engine import Accepted, Complete, Prompt, State
from flows.registry import engine as engine_for
from storage.db import Database
from storage.models import Language, Person, Role
from storage.repositories.people import get_or_create_person, set_role
from tests.conftest import TODAY
from tests.storage.conftest import DESA, cipher, regions, sqlite_dir, sqlite_template  # noqa: F401

PATHS = Path(__file__).resolve().parents[1] / "fixtures" / "paths"

# ruff: noqa: F811  (fixture parameters named like the imported fixtures)


@pytest.fixture
def db(sqlite_dir: Path, sqlite_template: Path, cipher: Any) -> Iterator[Database]:
    """A migrated SQLite file, in memory-backed /dev/shm where there is one (thousands of turns, each a commit)."""
    shutil.copyfile(sqlite_template, sqlite_dir / "ats.db")
    database = Database.from_url(f"sqlite:///{sqlite_dir / 'ats.db'}", cipher)
    yield database
    database.dispose()


@pytest.fixture
def conversations(db: Database, regions: None) -> Conversations:
    return Conversations(BotStore(db), today=lambda: TODAY)


@dataclass
class Message:
    id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    edited: bool = False

    def labels(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]


_update_ids = itertools.count(1)


class Phone:
    """One person's chat with the bot."""

    def __init__(self, conversations: Conversations, user_id: int, language: str = "id") -> None:
        self.conversations = conversations
        self.user_id = user_id
        self.language = language
        self.messages: dict[int, Message] = {}
        self._ids = itertools.count(1)
        self.last: TurnResult = TurnResult()

    # -- what the person does ------------------------------------------------------------------------------
    def send(self, text: str) -> TurnResult:
        if text.startswith("/"):
            head, _, args = text.partition(" ")
            return self.update(Kind.COMMAND, command=head[1:].lower(), text=args.strip())
        return self.update(Kind.TEXT, text=text)

    def press(self, label: str, message: Message | None = None) -> TurnResult:
        """Press the button labelled ``label`` (on ``message``, or the newest message showing it)."""
        candidates = [message] if message else sorted(self.messages.values(), key=lambda m: -m.id)
        for m in candidates:
            for row in m.buttons:
                for b in row:
                    if b.text == label or b.text.startswith(label):
                        assert b.data is not None
                        return self.press_data(b.data, m.id)
        raise AssertionError(f"no button {label!r} in {[m.labels() for m in candidates]}")

    def press_data(self, data: str, message_id: int | None = None) -> TurnResult:
        return self.update(Kind.CALLBACK, data=data, message_id=message_id if message_id is not None else self.live_id())

    def update(self, kind: Kind, **fields: Any) -> TurnResult:
        incoming = Incoming(next(_update_ids), self.user_id, self.user_id, "Siti", self.language, kind, **fields)
        result = self.conversations.process(incoming)
        self.last = result
        self._show(result)
        return result

    # -- what the phone shows --------------------------------------------------------------------------------
    def _show(self, result: TurnResult) -> None:
        if result.close_message_id in self.messages:
            self.messages[result.close_message_id].buttons = []
        live_id = None
        for reply in result.replies:
            message_id = self._apply(reply)
            if reply.live:
                live_id = message_id
        if live_id is not None and result.nonce and result.person_id is not None:
            self.conversations.remember_message(result.person_id, result.nonce, live_id)

    def _apply(self, reply: Reply) -> int:
        if reply.edit_message_id in self.messages:
            shown = self.messages[reply.edit_message_id]
            shown.text, shown.buttons, shown.edited = reply.text, reply.buttons, True
            return shown.id
        message = Message(next(self._ids), reply.text, reply.buttons)
        self.messages[message.id] = message
        return message.id

    def texts(self, result: TurnResult | None = None) -> list[str]:
        return [r.text for r in (result or self.last).replies]

    def newest(self) -> Message:
        return self.messages[max(self.messages)]

    def with_buttons(self) -> list[Message]:
        return [m for m in self.messages.values() if m.buttons]

    def live_id(self) -> int | None:
        shown = self.with_buttons()
        return shown[-1].id if shown else None


def head(text: str) -> str:
    """The first part of a message: what a question message carries above the question (the record of the
    typed answer, or why it was refused)."""
    return text.split("\n\n")[0]


def question(text: str) -> str:
    """The question in a message, without the lines carried above it (an answer's record, a section title)."""
    lines = text.split("\n")
    start = max((i for i, line in enumerate(lines) if re.match(r"^[0-9A-Z]+(\.[0-9a-z]+)*( #[0-9]+)? · ", line)), default=0)
    return "\n".join(lines[start:])


def enrol(db: Database, user_id: int, role: Role, region: str | None = DESA, language: str = "id") -> int:
    person = get_or_create_person(db, user_id, chat_id=user_id, display_name="Siti", language=Language(language))
    if role is not Role.MASYARAKAT:
        set_role(db, person.id, role, region)
    return person.id


def path_state(name: str, fixture: str, until: str) -> State:
    """The saved state of ``name`` answered from a path fixture up to (not including) question ``until``."""
    eng = engine_for(name)
    raw = json.loads((PATHS / name / f"{fixture}.json").read_text(encoding="utf-8"))["answers"]
    state = State()
    while True:
        prompt = eng.current(state, TODAY)
        assert isinstance(prompt, Prompt), f"{until} is not on the path of {fixture}"
        if prompt.position.key == until:
            return state
        value = raw.get(prompt.node.id)
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted), (prompt.position.key, outcome)
        state = outcome.state


def answered_state(name: str, answers: dict[str, Any]) -> State:
    """The saved state of ``name`` with ``answers`` given (the questions without one skipped), to the review."""
    eng = engine_for(name)
    state = State()
    while not isinstance(prompt := eng.current(state, TODAY), Complete):
        value = answers.get(prompt.node.id)
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted), (prompt.position.key, outcome)
        state = outcome.state
    return state


def resume_at(phone: Phone, name: str, state: State) -> TurnResult:
    """Give ``phone``'s person a draft of ``name`` saved at ``state`` and resume it with /lanjut."""
    store = phone.conversations.store
    with store.db.read() as session:
        person_id = session.scalars(select(Person.id).where(Person.telegram_user_id == phone.user_id)).one()
    draft = store.new_draft(person_id, name, engine_for(name).compiled.version, state=state)
    with store.db.write() as session:
        session.execute(update(Person).where(Person.id == person_id).values(active_draft_id=draft.id))
    return phone.send("/lanjut")


@pytest.fixture
def volunteer(db: Database, conversations: Conversations) -> Phone:
    """A pendata of DESA, in Indonesian."""
    enrol(db, 1001, Role.PENDATA)
    return Phone(conversations, 1001)



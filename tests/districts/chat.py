"""The chat tier without Telegram: people typing and tapping through :class:`bot.conversation.Conversations`.

Every turn goes through the same code the router runs (``Conversations.process``); replies and notices land in
the chat of the person they are for, with message ids, so buttons are pressed on the message that carries them
(an old or someone else's button is refused as it would be in Telegram).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from bot.conversation import Conversations
from bot.model import Incoming, Kind, Reply
from bot.store import BotStore
from storage.db import Database
from storage.models import Person as PersonRow
from storage.models import Role
from storage.repositories.people import get_or_create_person, set_role


@dataclass
class Message:
    id: int
    text: str
    buttons: list[tuple[str, str]]
    """``(text, callback data)`` of its inline buttons."""
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None

    def button_texts(self) -> list[str]:
        return [text for text, _ in self.buttons]


@dataclass
class Chat:
    """Everyone's chats with one bot over one database."""

    db: Database
    today: dt.date
    conversations: Conversations = field(init=False)
    people: dict[int, Member] = field(default_factory=dict)
    _updates: itertools.count = field(default_factory=lambda: itertools.count(1))
    _messages: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.conversations = Conversations(BotStore(self.db), today=lambda: self.today)

    def member(self, telegram_id: int, name: str, role: Role | None = None, region: str | None = None, *,
               school_id: int | None = None, language: str = "id") -> Member:
        """A person who already joined with ``role`` in ``region`` (as by an invitation)."""
        person = get_or_create_person(self.db, telegram_id, chat_id=telegram_id, display_name=name)
        if role is not None and role is not Role.MASYARAKAT:
            set_role(self.db, person.id, role, region)
        with self.db.write() as session:
            row = session.get(PersonRow, person.id)
            assert row is not None
            row.school_id = school_id
        member = Member(self, telegram_id, name, person.id, language)
        self.people[telegram_id] = member
        return member

    def turn(self, member: Member, kind: Kind, **fields: Any) -> None:
        incoming = Incoming(next(self._updates), member.telegram_id, member.telegram_id, member.name, member.language, kind, **fields)
        result = self.conversations.process(incoming)
        member.last_outcome = result.outcome
        member.notice = result.callback_notice
        live_id = None
        for reply in result.replies:
            shown = member.show(reply, next(self._messages))
            if reply.live:
                live_id = shown
        if live_id is not None and result.nonce and result.person_id is not None:
            self.conversations.remember_message(result.person_id, result.nonce, live_id)
        for chat_id, reply in result.notifications:
            if chat_id in self.people:
                self.people[chat_id].show(reply, next(self._messages))


@dataclass
class Member:
    chat: Chat
    telegram_id: int
    name: str
    person_id: int
    language: str = "id"
    inbox: list[Message] = field(default_factory=list)
    last_outcome: str = ""
    notice: str | None = None

    def show(self, reply: Reply, new_id: int) -> int:
        if reply.edit_message_id is not None:
            for message in self.inbox:
                if message.id == reply.edit_message_id:
                    message.text, message.buttons = reply.text, [(b.text, b.data or "") for row in reply.buttons for b in row]
            return reply.edit_message_id
        buttons = [(b.text, b.data or "") for row in reply.buttons for b in row]
        self.inbox.append(Message(new_id, reply.text, buttons, reply.document, reply.photo))
        return new_id

    def send(self, text: str) -> None:
        """Type a message (a command when it starts with ``/``)."""
        if text.startswith("/"):
            head, _, args = text.partition(" ")
            self.chat.turn(self, Kind.COMMAND, command=head[1:].lower(), text=args.strip())
        else:
            self.chat.turn(self, Kind.TEXT, text=text)

    def send_photo(self, path: str = "receipt.jpg") -> None:
        self.chat.turn(self, Kind.PHOTO, value={"path": path, "size": 30_000, "file_id": "f-" + path})

    def press(self, text: str, message: Message | None = None) -> None:
        """Tap the newest button with this text (or the one on ``message``)."""
        candidates = [message] if message else reversed(self.inbox)
        for candidate in candidates:
            for label, data in candidate.buttons:
                if label == text:
                    self.chat.turn(self, Kind.CALLBACK, data=data, message_id=candidate.id)
                    return
        raise AssertionError(f"{self.name}: no button {text!r}; last messages: {[(m.text[:60], m.button_texts()) for m in self.inbox[-4:]]}")

    def last(self, containing: str = "") -> Message:
        """The newest message containing ``containing``."""
        for message in reversed(self.inbox):
            if containing in message.text:
                return message
        raise AssertionError(f"{self.name}: no message with {containing!r}; last: {[m.text[:80] for m in self.inbox[-5:]]}")

    def documents(self) -> list[tuple[str, bytes]]:
        return [m.document for m in self.inbox if m.document is not None]


def fill(member: Member, instrument: str, answers: dict[str, Any], *, until: str | None = None) -> None:
    """Answer the form ``member`` is filling from ``answers`` (the ``instruments walk`` format) as a person
    would: tap options, type text and dates, send photos; stop at the review (or at question ``until``)."""
    from bot import texts as T
    from core.i18n import translator
    from flows.engine import Complete, NeedsConfirmation, Prompt, State
    from flows.registry import engine as engine_for
    from flows.schema import QuestionType

    t = translator(member.language)
    engine = engine_for(instrument)
    state = _active_state(member) or State()
    while True:
        prompt = engine.current(state, member.chat.today)
        if isinstance(prompt, Complete) or prompt.position.key == until:
            return
        node = prompt.node
        value = answers.get(node.id) if node.group is None else answers[node.group][prompt.position.instance - 1].get(node.id)
        if value is None:
            member.press(t(T.SKIP))
            outcome = engine.skip(state, member.chat.today)
        else:
            if node.type is QuestionType.SELECT_ONE:
                member.press(t.label(node.choice(str(value)).label))  # type: ignore[union-attr]
            elif node.type is QuestionType.SELECT_MULTIPLE:
                for code in value:
                    member.press(t.label(node.choice(str(code)).label))  # type: ignore[union-attr]
                member.press(t(T.DONE))
            elif node.type is QuestionType.DATE:
                member.send(dt.date.fromisoformat(value).strftime("%d/%m/%Y"))
                member.press(t(T.YES))
            elif node.type is QuestionType.PHOTO:
                member.send_photo()
                value = {"path": "receipt.jpg", "size": 30_000}
            elif node.type is QuestionType.LOCATION:
                member.chat.turn(member, Kind.LOCATION, value=value)
            else:
                member.send(str(value))
            outcome = engine.answer(state, value, member.chat.today)
            if isinstance(outcome, NeedsConfirmation):
                member.press(t(T.KEEP_ANYWAY))
                outcome = engine.answer(state, value, member.chat.today, confirm=True)
        assert not isinstance(outcome, (NeedsConfirmation,)) and hasattr(outcome, "state"), (node.id, outcome)
        state = outcome.state
        assert isinstance(engine.current(state, member.chat.today), (Prompt, Complete))


def submit(member: Member) -> None:
    from bot import texts as T
    from core.i18n import translator

    member.press(translator(member.language)(T.SUBMIT))


def _active_state(member: Member) -> Any:
    from flows.engine import State
    from storage.models import InstrumentSession

    with member.chat.db.read() as session:
        person = session.get(PersonRow, member.person_id)
        draft = session.get(InstrumentSession, person.active_draft_id) if person and person.active_draft_id else None
        return State.from_json(draft.state) if draft else None

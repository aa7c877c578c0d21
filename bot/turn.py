"""The context of one chat turn: who is writing, their draft and live keyboard, what changes, what is said.

A :class:`Turn` is built by :class:`bot.conversation.Conversations` for each update and handed to the handler
the registries (:mod:`bot.registry`) name for it. Handlers live in :mod:`bot.handlers`, one module per concern;
they read the context, record changes on it and add replies, and call each other as plain functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Incoming, Kind, Reply, TurnResult
from bot.store import KEEP, BotStore, Changes, Context, DraftView, PersonView
from core.authz import TEAM, Action, Actor, allowed
from core.i18n import Translator, translator
from core.presenting import subject_name
from flows.engine import Complete, Engine, Prompt, State
from flows.registry import engine as engine_for
from storage.db import Database
from storage.models import Role
from storage.repositories.responses import SubmitResult
from storage.uow import UnitOfWork

NOTICE_PREFIX = "a."
"""Callback data of a notice button (a one-off token bound to its recipient), apart from live keyboards."""
CASE_LINK_PREFIX = "kasus-"
"""``/start kasus-ATS-3326-000142``: the QR code on the family's letters opens the child's case."""

Menu = dict[str, Any]
"""The live keyboard as saved with the person: its ``nonce``, ``kind`` and what its buttons mean."""


@dataclass(frozen=True)
class Submitted:
    """A form sent this turn, for the instrument's after-submit handler (:data:`bot.registry.AFTER_SUBMIT`)."""

    instrument: str
    result: SubmitResult
    case_id: int | None
    answers: dict[str, Any]


@dataclass
class Turn:
    """The work of one update for one person."""

    store: BotStore
    """Joined to :attr:`uow`: every read and write of the turn goes through its one transaction."""
    uow: UnitOfWork
    """The turn's unit of work: the case services take it (``service.verify(turn.uow, ...)``)."""
    incoming: Incoming
    person: PersonView
    draft: DraftView | None
    menu: Menu | None
    today: dt.date
    bot_username: str
    t: Translator = field(init=False)
    changes: Changes = field(default_factory=Changes)
    result: TurnResult = field(default_factory=TurnResult)
    edited: set[int] = field(default_factory=set)
    """Messages edited or closed this turn: their keyboards need no separate closing."""
    submitted: list[Submitted] = field(default_factory=list)
    prefaces: list[str] = field(default_factory=list)
    """Lines for the top of the next message: the record of a typed answer ("1.4 · Jenis kelamin: Perempuan ✓")
    or why it was refused, so they travel with the next question instead of costing a message of their own."""
    folded: bool = False
    """Whether a preface went out with a later message this turn."""
    after_commit: list[Callable[[Database], None]] = field(default_factory=list)
    """Work that commits by itself (a file import, published in short transactions): run after the turn's
    commit, in the worker thread, with the database itself; it may add replies."""

    def __post_init__(self) -> None:
        self.t = translator(self.person.language)

    @classmethod
    def of(cls, store: BotStore, uow: UnitOfWork, context: Context, incoming: Incoming, today: dt.date, bot_username: str) -> Turn:
        return cls(store, uow, incoming, context.person, context.draft, context.menu, today, bot_username)

    @property
    def db(self) -> Database:
        """The unit of work as a database, for repositories written as one transaction each: they join it."""
        return self.store.db

    @property
    def actor(self) -> Actor:
        return Actor(self.person.id, Role(self.person.role), self.person.region_code)

    # -- replies --------------------------------------------------------------------------------------------
    def say(self, text: str, buttons: list[list[Button]] | None = None, *, live: bool = False) -> None:
        self.reply(Reply(text, buttons or [], live=live), prefaced=True)

    def preface(self, line: str) -> None:
        """A line for the top of the next message this turn sends (see :attr:`prefaces`)."""
        self.prefaces.append(line)

    def take_echo(self) -> str:
        """The pending prefaces as the head of a message ("" when there are none)."""
        if not self.prefaces:
            return ""
        head = "\n".join(self.prefaces) + "\n\n"
        self.prefaces.clear()
        self.folded = True
        return head

    def flush(self) -> None:
        """Prefaces no later message took (the turn ended without one) go out alone."""
        if self.prefaces:
            self.result.replies.append(Reply(self.take_echo().rstrip("\n")))

    def reply(self, reply: Reply, *, prefaced: bool = False) -> None:
        """Add ``reply``; ``prefaced``: with the pending prefaces at its top (see :attr:`prefaces`)."""
        head = self.take_echo() if prefaced else ""
        if head:
            reply.without_preface, reply.text = reply.text, head + reply.text
        self.result.replies.append(reply)

    def notify(self, chat_id: int, reply: Reply) -> None:
        """A message for someone else's chat, sent after this person's replies."""
        self.result.notifications.append((chat_id, reply))

    def edit(self, message_id: int, text: str) -> None:
        self.edited.add(message_id)
        self.result.replies.append(Reply(text, edit_message_id=message_id))

    def edit_pressed(self, text: str) -> None:
        """Replace the pressed button's message by a plain record of the choice."""
        if self.incoming.message_id:
            self.edit(self.incoming.message_id, text)

    def close_pressed(self) -> None:
        if self.incoming.message_id:
            self.result.close_message_id = self.incoming.message_id
            self.edited.add(self.incoming.message_id)

    def nonce(self, kind: str, **fields: Any) -> str:
        """A fresh live keyboard: the previous one's buttons stop working."""
        nonce = R.new_nonce()
        self.changes.menu = {"nonce": nonce, "kind": kind, **fields}
        self.result.nonce = nonce
        return nonce

    def notice_button(self, person_id: int, kind: str, text: str, **payload: Any) -> Button:
        """A button for someone's notice that does ``kind`` (:data:`bot.registry.NOTICES`) when they press it."""
        return Button(text, NOTICE_PREFIX + self.store.issue_button(person_id, kind, payload))

    def deny(self, action: str, subject_type: str = "command", subject_id: object = "", region: str | None = None) -> None:
        """A polite refusal for the person, and a line in the audit log for the coordinators."""
        self.store.audit("access.denied", self.person.id, subject_type, subject_id, region, {"action": action, "role": self.person.role})
        self.say(self.t(T.NOT_REGISTERED if self.actor.role is Role.MASYARAKAT else T.NOT_ALLOWED))
        self.result.outcome = f"denied:{action}"

    def refuse_forged_press(self) -> None:
        """Undo whatever the press started and say it did nothing; the live keyboard stays."""
        self.changes = Changes()
        self.result = TurnResult(callback_notice=self.t(T.BUTTON_NOT_VALID), outcome="forged-button")
        self.store.audit("button.refused", self.person.id, "button", self.incoming.data[:40], None, {"reason": "forged"})

    def close_old_keyboard(self) -> None:
        """When a new live keyboard replaces the old one, the old message's buttons disappear; except after a
        typed answer, whose record travels with the next question: the old question's buttons are then left
        (a press on one is answered "closed" and closes it), so the answer costs one message."""
        old = (self.menu or {}).get("message_id")
        if not old or self.changes.menu is KEEP or old in self.edited or self.result.close_message_id is not None:
            return
        if self.folded and self.incoming.kind is not Kind.CALLBACK:
            return
        self.result.close_message_id = old

    # -- the draft ------------------------------------------------------------------------------------------
    def activate(self, draft: DraftView) -> None:
        self.draft = draft
        self.changes.active_draft_id = draft.id

    @property
    def engine(self) -> Engine:
        assert self.draft is not None
        return engine_for(self.draft.instrument, self.draft.instrument_version)

    @property
    def state(self) -> State:
        assert self.draft is not None
        return self.draft.state

    def prompt(self) -> Prompt | Complete:
        return self.engine.current(self.state, self.today)

    def save_state(self, state: State) -> None:
        assert self.draft is not None
        self.draft = self.draft.with_state(state, subject_name(self.engine, state.answers))
        self.changes.draft = self.draft

    def title(self, draft: DraftView) -> str:
        return self.t.label(engine_for(draft.instrument, draft.instrument_version).compiled.instrument.title)

    def progress_of(self, draft: DraftView) -> dict[str, int]:
        progress = engine_for(draft.instrument, draft.instrument_version).progress(draft.state, self.today)
        return {"answered": progress.answered, "expected": progress.expected}

    @staticmethod
    def translator_for(language: str) -> Translator:
        """How to speak to someone else (a notice in their language)."""
        return translator(language)

    # -- people and places ----------------------------------------------------------------------------------
    def place_name(self, code: str) -> str:
        """A region code as people read it (for answers shown back): ``Kutorojo``."""
        return self.store.region_name(code)

    def follows(self, case_id: int) -> bool:
        """Whether this person may act on the case: a team inside its region, anyone else only the children
        they follow (:meth:`BotStore.cases_of`)."""
        if self.actor.role in TEAM:
            return allowed(self.actor, Action.READ_CHILD, self.store.case_region(case_id))
        return self.store.follows(self.person.id, case_id)

    def start_link(self, payload: str) -> str:
        """A deep link that opens the bot with ``/start <payload>`` (invitations, a letter's QR code)."""
        return f"https://t.me/{self.bot_username}?start={payload}"

    def case_link(self, reference: str) -> str:
        return self.start_link(CASE_LINK_PREFIX + reference)


CommandHandler = Callable[[Turn, str], None]
"""``/name args``: the handler gets the text after the command."""
MenuHandler = Callable[[Turn, str, int, Menu], None]
"""A press on the live keyboard: its action, the index it carries, the saved keyboard."""
TextHandler = Callable[[Turn, str], None]
"""Typed text while a live keyboard waits for it (a reason, a note, a search)."""
FileHandler = Callable[[Turn], None]
"""A file sent while a live keyboard waits for one (an import)."""
NoticeHandler = Callable[[Turn, dict[str, Any]], None]
"""A press on a notice's one-off button, with the payload it was issued with."""
AfterSubmit = Callable[[Turn, Submitted], None]
"""What follows a sent form of one instrument (a proposal goes to the village team, a case moves)."""

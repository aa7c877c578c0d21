"""One turn of a conversation: read the person's saved state, apply one update, say what to send and to save.

Runs in a worker thread (the database is synchronous) and knows nothing of Telegram: :mod:`bot.router` builds
the :class:`~bot.model.Incoming`, :mod:`bot.sender` performs the replies. A turn is one unit of work
(:mod:`storage.uow`): the update id, the person's live keyboard (the "menu": its nonce, what its buttons mean,
which message carries it), the answer, a sent form with everything it moves and the audit rows commit in ONE
transaction before any reply goes out, so a crash, a restart or a redelivered update never applies an answer
twice or loses one that was acknowledged.

Which handler runs is looked up in the tables of :mod:`bot.registry`; the handlers work on a
:class:`bot.turn.Turn`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot import render as R
from bot import texts as T
from bot.handlers.answering import on_input
from bot.handlers.asking import start_form
from bot.handlers.case_views import CASE_NOTICES, may_act
from bot.handlers.conflicts import announce_conflict
from bot.model import Incoming, Kind, TurnResult, Upload
from bot.registry import AFTER_SUBMIT, COMMANDS, DOCUMENT_MENUS, MENUS, NOTICES, PHOTO_MENUS, TEXT_MENUS
from bot.store import KEEP, BotStore, Context
from bot.turn import NOTICE_PREFIX, Turn
from cases.errors import CaseError
from flows.engine import State
from reminders.actions import Invalid, StartForm, is_reminder_button
from reminders.actions import describe as describe_reminder_action
from reminders.actions import handle_button as handle_reminder_button
from storage.db import is_disconnect
from storage.repositories.files import keep
from storage.uow import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)


class Conversations:
    """Turns updates into replies and saved changes; one instance serves every person."""

    def __init__(self, store: BotStore, today: Callable[[], dt.date] = dt.date.today, files_dir: Path = Path("data/files")) -> None:
        self.store = store
        self.today = today
        self.files_dir = files_dir
        """Where received photos are kept (encrypted), each by the turn it belongs to."""
        self.bot_username = "ats_bot"
        """Set from ``getMe`` at start-up; invitation links point at it."""
        self._sent: dict[int, tuple[str, int]] = {}
        """Per person, the live keyboard's nonce and the id of the message that carries it, once sent: written by
        the person's next turn (no transaction of its own), or at a clean stop by :meth:`save_sent_messages`.
        After a crash a press on the live keyboard still tells which message carries it (:func:`on_button`)."""
        self._states: dict[int, State] = {}
        """Per draft, the state its last turn left, as the engine returned it: it carries the engine's walk of the
        form (derived data, never stored), so the next answer continues that walk instead of walking the whole
        form again. Used only while it equals what the database holds (see :meth:`_with_known_state`)."""
        self._states_lock = threading.Lock()

    def process(self, incoming: Incoming) -> TurnResult:
        """One update in ONE transaction: the update id, everything the turn changed, then the commit; the
        replies in the result are sent after it (work that commits by itself runs after it too).

        A turn whose database connection turns out dead (the server restarted, the connection was killed) is
        rolled back and handled once more on a new connection, as Telegram would deliver it again: the bot's
        engine does not test every connection with a round trip before using it (``pre_ping``)."""
        try:
            return self._process(incoming)
        except DBAPIError as error:
            if not is_disconnect(error):
                raise
            log.warning("update %s: the database connection was lost (%s); handling it again", incoming.update_id,
                        type(error.orig).__name__)
        return self._process(incoming)

    def _process(self, incoming: Incoming) -> TurnResult:
        with unit_of_work(self.store.db) as uow:
            store = self.store.joined(uow)
            context = store.load(incoming)
            if context is None:
                return TurnResult(duplicate=True, outcome="duplicate")
            stored_menu = context.menu
            context = self._with_sent_message(self._with_known_state(context))
            if incoming.upload is not None:
                incoming = self._kept(uow, incoming, incoming.upload, context.person.id)
            turn = Turn.of(store, uow, context, incoming, self.today(), self.bot_username)
            run(turn)
            if turn.changes.menu is KEEP and turn.menu != stored_menu:  # where the live keyboard is, learnt since
                turn.changes.menu = turn.menu
            store.save(context.person.id, turn.changes)
        self._sent.pop(context.person.id, None)
        if turn.draft is not None:
            self._keep_state(turn.draft.id, turn.draft.state)
        for step in turn.after_commit:
            step(self.store.db)
        turn.result.person_id = context.person.id
        return turn.result

    def _kept(self, uow: UnitOfWork, incoming: Incoming, upload: Upload, person_id: int) -> Incoming:
        """The received photo kept in the turn's unit of work: its file is on disk before the commit and deleted
        if the turn does not commit; the answer names it by ``stored_file``."""
        stored = keep(uow, self.files_dir, upload.content, telegram_file_id=upload.file_id, telegram_unique_id=upload.unique_id,
                      mime=upload.mime, owner_id=person_id)
        return replace(incoming, value={**(incoming.value or {}), "stored_file": stored.id}, upload=None)

    def remember_message(self, person_id: int, nonce: str, message_id: int) -> None:
        """Note which message carries the live keyboard, so its buttons can be closed later (by the next turn)."""
        self._sent[person_id] = (nonce, message_id)

    def save_sent_messages(self) -> int:
        """At a clean stop: write where the live keyboards sent since their person's last turn are, in one
        transaction, so the next process can close them; returns how many were written."""
        sent, self._sent = self._sent, {}
        return self.store.remember_live_messages(sent) if sent else 0

    KNOWN_STATES = 4096
    """Drafts whose last state is kept in memory (the oldest is forgotten first): a few KB each."""

    def _keep_state(self, draft_id: int, state: State) -> None:
        with self._states_lock:
            self._states.pop(draft_id, None)
            self._states[draft_id] = state
            while len(self._states) > self.KNOWN_STATES:
                del self._states[next(iter(self._states))]

    def _with_known_state(self, context: Context) -> Context:
        """The draft with the state its last turn left in memory, when that equals the state just read (the
        database is the truth: a draft changed elsewhere, or in another process, simply reads as stored)."""
        draft = context.draft
        if draft is None:
            return context
        known = self._states.get(draft.id)
        if known is None or known is draft.state or known != draft.state:
            return context
        return replace(context, draft=replace(draft, state=known))

    def _with_sent_message(self, context: Context) -> Context:
        sent = self._sent.get(context.person.id)
        if sent is None or not context.menu or context.menu.get("nonce") != sent[0]:
            return context
        return replace(context, menu={**context.menu, "message_id": sent[1]})


def run(turn: Turn) -> None:
    """Hand the update to the handler the registries name for it, then what follows a sent form."""
    incoming, menu = turn.incoming, turn.menu
    kind = menu.get("kind") if menu else None
    if incoming.kind is Kind.CALLBACK:
        on_button(turn)
    elif incoming.kind is Kind.COMMAND:
        on_command(turn, incoming.command, incoming.text)
    elif incoming.kind is Kind.TEXT and kind in TEXT_MENUS:
        TEXT_MENUS[kind](turn, incoming.text)
    elif incoming.kind is Kind.DOCUMENT and kind in DOCUMENT_MENUS:
        DOCUMENT_MENUS[kind](turn)
    elif incoming.kind is Kind.PHOTO and kind in PHOTO_MENUS:
        PHOTO_MENUS[kind](turn)
    elif turn.draft is not None:
        on_input(turn)
    else:
        turn.say(turn.t(T.DIDNT_UNDERSTAND))
        turn.result.outcome = "not-understood"
    after_submit(turn)
    turn.flush()
    turn.close_old_keyboard()


def on_command(turn: Turn, name: str, args: str) -> None:
    turn.result.outcome = f"command:{name}"
    command = COMMANDS.get(name)
    if command is None:
        turn.say(turn.t(T.DIDNT_UNDERSTAND))
        return
    if turn.actor.role not in command.roles:
        turn.deny(command.action or name)
        return
    command.handler(turn, args)


def on_button(turn: Turn) -> None:
    data = turn.incoming.data
    if is_reminder_button(data):
        on_reminder_button(turn)
        return
    if data.startswith(NOTICE_PREFIX):
        on_notice_button(turn, data.removeprefix(NOTICE_PREFIX))
        return
    parsed = R.parse_data(data)
    menu = turn.menu
    if parsed is None or menu is None or parsed[0] != menu.get("nonce"):
        turn.store.audit("button.refused", turn.person.id, "button", data[:40], None, {"reason": "forged" if parsed is None else "stale"})
        turn.result.callback_notice = turn.t(T.QUESTION_CLOSED)
        if turn.incoming.message_id != (menu or {}).get("message_id"):  # the live question keeps its buttons
            turn.result.close_message_id = turn.incoming.message_id
        turn.result.outcome = "stale-button"
        return
    _, action, index = parsed
    if menu.get("message_id") is None and turn.incoming.message_id is not None:
        menu = turn.menu = {**menu, "message_id": turn.incoming.message_id}  # only the live message carries its nonce
    turn.result.outcome = f"button:{menu['kind']}:{action}"
    handler = MENUS.get(menu["kind"])
    try:
        if handler is None:
            raise KeyError(menu["kind"])
        with turn.uow.attempt():  # a forged press leaves nothing of what it started
            handler(turn, action, index, menu)
    except (IndexError, KeyError):  # an index or action no button of ours carries: a forged press
        turn.refuse_forged_press()
        return
    if not turn.result.replies and turn.result.close_message_id is None and not turn.result.callback_notice and not turn.submitted:
        turn.refuse_forged_press()


def on_notice_button(turn: Turn, token: str) -> None:
    """A button of a notice (not the live keyboard): valid once, for its recipient only."""
    taken = turn.store.take_button(turn.person.id, token)
    if taken is None:
        turn.store.audit("button.refused", turn.person.id, "button", token[:6], None, {"reason": "stale-notice"})
        turn.result.callback_notice = turn.t(T.QUESTION_CLOSED)
        turn.result.outcome = "stale-notice-button"
        return
    kind, payload = taken
    turn.result.outcome = f"notice:{kind}"
    if kind in CASE_NOTICES and not may_act(turn, kind, int(payload["case_id"])):
        turn.deny(kind, "case", payload["case_id"], turn.store.case_region(int(payload["case_id"])))
        return
    NOTICES[kind](turn, payload)


def on_reminder_button(turn: Turn) -> None:
    """A reminder's button (``r.<token>.<action>``): fill the log now, snooze, or ask for another pendamping."""
    action = handle_reminder_button(turn.db, turn.person.id, turn.incoming.data)
    turn.result.outcome = f"reminder:{type(action).__name__.lower()}"
    if isinstance(action, StartForm):
        turn.close_pressed()
        start_form(turn, action.instrument, case_id=action.case_id)
        return
    turn.result.callback_notice = describe_reminder_action(action, turn.person.language)
    if not isinstance(action, Invalid):
        turn.close_pressed()
        turn.say(turn.result.callback_notice)


def after_submit(turn: Turn) -> None:
    """What follows each form sent this turn (:data:`bot.registry.AFTER_SUBMIT`), then an identity clash's notices."""
    for sent in turn.submitted:
        handler = AFTER_SUBMIT.get(sent.instrument)
        if handler is not None:
            try:
                handler(turn, sent)
            except CaseError as refused:
                turn.say("✗ " + refused.render(turn.t))
        if sent.result.conflict_id is not None:
            announce_conflict(turn, sent.result.conflict_id)
    turn.submitted.clear()

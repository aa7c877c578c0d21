"""Which message carries the person's live keyboard survives a restart without a transaction of its own: a clean
stop writes what no turn has written yet (one transaction for everyone), and after a crash the first press on
the live keyboard tells it (only that message carries the keyboard's nonce), recorded by that press's commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot import render as R
from bot.conversation import Conversations
from bot.store import BotStore
from storage.db import Database
from storage.models import Person, Role
from tests.bot.conftest import Phone, enrol
from tests.bot.test_transactions import transactions
from tests.conftest import TODAY


def at_question(db: Database, conversations: Conversations) -> Phone:
    """A volunteer at pendataan's 1.2, a question with buttons (its message carries the live keyboard)."""
    enrol(db, 1601, Role.PENDATA)
    phone = Phone(conversations, 1601)
    phone.send("/isi pendataan")
    phone.send("Rina")
    return phone


def restarted(phone: Phone, db: Database) -> None:
    phone.conversations = Conversations(BotStore(db), today=lambda: TODAY)


def menu(db: Database, phone: Phone) -> dict[str, Any]:
    with db.read() as session:
        return dict(session.scalars(select(Person.menu).where(Person.telegram_user_id == phone.user_id)).one() or {})


def test_a_clean_stop_writes_where_the_live_keyboards_are(db: Database, conversations: Conversations) -> None:
    phone = at_question(db, conversations)
    live = phone.live_id()
    assert live is not None
    assert "message_id" not in menu(db, phone)  # the next turn would write it
    with transactions(db) as seen:
        assert conversations.save_sent_messages() == 1
    assert seen == ["begin", "commit"] and menu(db, phone)["message_id"] == live
    restarted(phone, db)
    opened = phone.send("/isi")  # a new live keyboard: the old question's buttons are closed
    assert opened.close_message_id == live and not phone.messages[live].buttons


def test_without_it_the_old_keyboard_stays_open_after_a_restart(db: Database, conversations: Conversations) -> None:
    phone = at_question(db, conversations)
    live = phone.live_id()
    assert live is not None
    restarted(phone, db)  # killed: nothing written at the stop
    assert phone.send("/isi").close_message_id is None and phone.messages[live].buttons  # what the clean stop saves
    old = phone.messages[live].buttons[0][0].data
    assert old is not None
    stale = phone.press_data(old, live)  # pressed later: refused as closed, and closed then
    assert stale.outcome == "stale-button" and stale.close_message_id == live


def test_after_a_crash_the_first_press_on_the_live_keyboard_tells_where_it_is(db: Database, conversations: Conversations) -> None:
    phone = at_question(db, conversations)
    live = phone.live_id()
    assert live is not None
    restarted(phone, db)
    nonce = menu(db, phone)["nonce"]
    with transactions(db) as seen:
        refused = phone.press_data(R.data(nonce, R.CHOICE, 99), live)  # a press of its nonce, no button of it: refused
    assert refused.outcome == "forged-button" and seen == ["begin", "commit"]
    assert menu(db, phone)["message_id"] == live and phone.messages[live].buttons  # recorded; the question stays
    opened = phone.send("/isi")
    assert opened.close_message_id == live

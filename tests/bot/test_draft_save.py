"""A turn never writes over a draft that was closed after it read it: the check is an explicit one, kept by
``python -OO`` (the interpreter the bot runs on), which drops asserts."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.conversation import Conversations
from bot.store import BotStore, Changes, DraftClosed
from core.enums import DraftStatus
from storage.db import Database
from storage.models import InstrumentSession, Role
from storage.uow import unit_of_work
from tests.bot.conftest import Phone, enrol


def test_a_draft_closed_after_the_turn_read_it_rolls_the_turn_back(db: Database, conversations: Conversations) -> None:
    person_id = enrol(db, 1701, Role.PENDATA)
    Phone(conversations, 1701).send("/isi pendataan")
    [draft] = BotStore(db).drafts(person_id)
    with db.write() as session:  # cancelled elsewhere while the turn ran
        session.execute(update(InstrumentSession).values(status=DraftStatus.CANCELLED))
    with pytest.raises(DraftClosed, match=f"draft {draft.id} is closed"), unit_of_work(db) as uow:
        BotStore(db).joined(uow).save(person_id, Changes(draft=draft.with_state(draft.state, "written anyway")))
    with db.read() as session:
        assert session.scalars(select(InstrumentSession.label)).one() != "written anyway"

"""A turn is one database transaction: reads, the answer, the update id and (for a sent form) the form, the
child, the case, the proposal and the audit trail all commit together, before any reply goes out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from bot import render as R
from bot.conversation import Conversations
from bot.model import Kind, TurnResult
from storage.db import Database
from storage.models import Person, Response, Role
from storage.models.cases import CaseProposal
from tests.bot.conftest import Phone, answered_state, enrol, resume_at
from tests.storage.conftest import DESA, KECAMATAN

PROPOSAL = {"U.1": "Dimas", "U.2": 12, "U.3": KECAMATAN, "U.4": DESA, "U.6": "Sudah dua tahun tidak sekolah."}


@contextmanager
def transactions(db: Database) -> Iterator[list[str]]:
    """Every BEGIN and COMMIT the engine sees (reads included: a read transaction begins too)."""
    seen: list[str] = []

    def began(_: object) -> None:
        seen.append("begin")

    def committed(_: object) -> None:
        seen.append("commit")

    event.listen(db.engine, "begin", began)
    event.listen(db.engine, "commit", committed)
    try:
        yield seen
    finally:
        event.remove(db.engine, "begin", began)
        event.remove(db.engine, "commit", committed)


def test_a_typed_answer_is_one_transaction(db: Database, volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    for answer in ("Siti Aminah", "Budi Santoso"):  # the second turn also records where the first question went
        with transactions(db) as seen:
            result = volunteer.send(answer)
        assert result.outcome == "answer:text"
        assert seen == ["begin", "commit"], answer


def test_the_live_keyboard_message_is_recorded_by_the_next_turn(db: Database, volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    live = volunteer.live_id()
    assert live is not None and "message_id" not in _menu(db, volunteer)  # no transaction of its own after the send
    with transactions(db) as seen:
        volunteer.press_data("q.forged")  # a turn that keeps the live keyboard still records where it is
    assert seen == ["begin", "commit"]
    assert _menu(db, volunteer)["message_id"] == live


def test_sending_a_proposal_is_one_transaction(db: Database, conversations: Conversations) -> None:
    enrol(db, 7001, Role.MASYARAKAT)
    phone = Phone(conversations, 7001)
    resume_at(phone, "usulan", answered_state("usulan", PROPOSAL))
    with transactions(db) as seen:
        result = _press_send(phone)
    assert result.outcome == "submitted"
    assert seen == ["begin", "commit"]
    with db.read() as session:
        response = session.scalars(select(Response).where(Response.instrument == "usulan")).one()
        assert response.case_id is not None and session.get(CaseProposal, response.case_id) is not None


def _press_send(phone: Phone) -> TurnResult:
    data = next(b.data for m in phone.messages.values() for row in m.buttons for b in row
                if b.data and (parsed := R.parse_data(b.data)) and parsed[1] == R.SUBMIT)
    return phone.update(Kind.CALLBACK, data=data, message_id=phone.live_id())


def _menu(db: Database, phone: Phone) -> dict[str, object]:
    with db.read() as session:
        menu = session.scalars(select(Person.menu).where(Person.telegram_user_id == phone.user_id)).one()
    return dict(menu or {})

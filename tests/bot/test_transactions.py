"""A turn is one database transaction: reads, the answer, the update id and (for a sent form) the form, the
child, the case, the proposal and the audit trail all commit together, before any reply goes out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot import programme_texts as P
from bot import render as R
from bot.conversation import Conversations
from bot.model import Kind, TurnResult
from core.i18n import translator
from storage.db import Database
from storage.models import Assistance, Person, Referral, RegionTarget, Response, Role
from storage.models.cases import CaseProposal
from storage.regions import load_regions
from tests.bot.conftest import Phone, answered_state, enrol, resume_at
from tests.conftest import TODAY
from tests.districts.chat import Chat
from tests.districts.conftest import KAJEN, KUTOROJO, PEKALONGAN
from tests.districts.helpers import case_at
from tests.districts.test_assistance_chat import photo_of_receipt
from tests.storage.conftest import DESA, KECAMATAN

t = translator("id")

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


# -- the programme's steps: each press, command or answer is one turn and one transaction ----------------------
@pytest.fixture
def chat(db: Database, regions: None) -> Chat:
    with db.write() as session:
        load_regions(session, PEKALONGAN)
    return Chat(db, TODAY)


def counted(db: Database, act: Callable[[], object]) -> list[str]:
    with transactions(db) as seen:
        act()
    return seen


ONE = ["begin", "commit"]


def test_each_step_of_an_assistance_is_one_transaction(db: Database, chat: Chat, tmp_path: Path) -> None:
    pendamping = chat.member(9001, "Mbak Rina", Role.PENDAMPING, KAJEN)
    korwil = chat.member(9002, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    kabupaten = chat.member(9003, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    case = case_at(db, "Ahmad Fauzi", KUTOROJO, "back_in_school", pendamping_id=pendamping.person_id)
    seen: dict[str, list[str]] = {}

    seen["assistance:proposed"] = counted(db, lambda: pendamping.send(f"/bantuan {case.reference} personal"))
    assert pendamping.last_outcome == "assistance:proposed"
    kabupaten.send("/bantuan")
    seen["assistance:approve"] = counted(db, lambda: kabupaten.press(t(P.BUTTON_APPROVE, id=1)))
    korwil.send("/bantuan")
    seen["assistance:verify"] = counted(db, lambda: korwil.press(t(P.BUTTON_VERIFY, id=1)))
    kabupaten.send("/bantuan")
    seen["assistance:disburse"] = counted(db, lambda: kabupaten.press(t(P.BUTTON_DISBURSED, id=1)))
    pendamping.send("/bantuan")
    pendamping.press(t(P.BUTTON_REPORT, id=1))
    seen["assistance:report"] = counted(db, lambda: photo_of_receipt(chat, pendamping, tmp_path))
    assert pendamping.last_outcome == "assistance:report"

    other = case_at(db, "Budi", KUTOROJO, "back_in_school", pendamping_id=pendamping.person_id)
    pendamping.send(f"/bantuan {other.reference} personal")
    kabupaten.send("/bantuan")
    kabupaten.press(t(P.BUTTON_NOT_APPROVE, id=2))
    seen["assistance:refuse"] = counted(db, lambda: kabupaten.send("Sudah menerima KIP"))
    assert kabupaten.last_outcome == "assistance:refuse"
    assert seen == dict.fromkeys(seen, ONE)
    with db.read() as session:
        assert [a.status for a in session.scalars(select(Assistance).order_by(Assistance.id))] == ["reported", "refused"]


def test_each_step_of_a_referral_and_a_target_is_one_transaction(db: Database, chat: Chat) -> None:
    pendamping = chat.member(9001, "Mbak Rina", Role.PENDAMPING, KAJEN)
    kabupaten = chat.member(9003, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    case = case_at(db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=pendamping.person_id)
    seen: dict[str, list[str]] = {}
    seen["refer:sent"] = counted(db, lambda: pendamping.send(f"/rujuk {case.reference} dinsos 14"))
    assert pendamping.last_outcome == "refer:sent"
    pendamping.send("/rujukan")
    seen["referral:accepted"] = counted(db, lambda: pendamping.press(t(P.BUTTON_ACCEPTED, id=1)))
    assert pendamping.last_outcome == "referral:accepted"
    seen["target:set"] = counted(db, lambda: kabupaten.send("/target 2027 150"))
    assert kabupaten.last_outcome == "target:set"
    seen["target refused"] = counted(db, lambda: kabupaten.send("/target 1990 150"))
    assert seen == dict.fromkeys(seen, ONE)
    with db.read() as session:
        assert session.scalar(select(Referral.status)) == "accepted"
        assert session.scalar(select(RegionTarget.children).where(RegionTarget.year == 2027)) == 150

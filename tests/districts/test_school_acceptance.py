"""The chosen school accepts the child, or refuses with a reason, through the chat (issue 19, item 5)."""

from __future__ import annotations

from sqlalchemy import select

from bot import texts as T
from cases import service
from core.i18n import translator
from storage.models import Case, CaseEvent, Role, School, SchoolLevel, SchoolStatus
from tests.districts.chat import Chat, Member, Message, fill, submit
from tests.districts.conftest import KAJEN, KUTOROJO, answers
from tests.districts.helpers import case_at
from tests.uow import committed

t = translator("id")
SMP, MTS = "99260803", "99261301"


def schools(chat: Chat) -> dict[str, int]:
    with chat.db.write() as session:
        rows = [School(npsn=SMP, name="SMP Negeri 1 Kajen (contoh)", level=SchoolLevel.SMP, status=SchoolStatus.NEGERI,
                       address="Jl. Raya Kajen No. 1", region_code=KAJEN),
                School(npsn=MTS, name="MTs Negeri Kedungwuni (contoh)", level=SchoolLevel.MTS, status=SchoolStatus.NEGERI,
                       address="Jl. Raya Kedungwuni", region_code="33.26.13")]
        session.add_all(rows)
        session.flush()
        return {s.npsn: s.id for s in rows}


def family_chooses(chat: Chat, npsn: str) -> tuple[Member, Member, Case]:
    """A willing family whose parent chooses the school ``npsn`` of the district's list."""
    pendamping = chat.member(7001, "Mbak Rina", Role.PENDAMPING, KAJEN)
    case = case_at(chat.db, "Ahmad Fauzi", KUTOROJO, "willing", pendamping_id=pendamping.person_id)
    parent = chat.member(7002, "Ibu Siti")
    parent.send("/start " + committed(chat.db, service.invite_parent, case.id, pendamping.person_id))
    parent.press(t(T.FILL_STATEMENT))
    if any(t(T.CONSENT_ALL) in m.button_texts() for m in parent.inbox[-2:]):
        parent.press(t(T.CONSENT_ALL))
    parent.send("/batal")
    parent.press(t(T.CANCEL_YES))
    parent.send("/kasus")
    parent.press(parent.last(t(T.CHOOSE_CASE)).button_texts()[0])
    parent.press(t(T.CHOOSE_SCHOOL))
    choice = answers("pemilihan-sekolah")
    fill(parent, "pemilihan-sekolah", choice, until="C.4")
    parent.send(npsn)  # the NPSN of a listed school picks it (and answers its NPSN and address)
    fill(parent, "pemilihan-sekolah", choice)
    submit(parent)
    return pendamping, parent, case


def test_the_operator_accepts_and_the_statement_goes_beside_the_parents_letter(chat: Chat) -> None:
    ids = schools(chat)
    operator = chat.member(7003, "Pak Operator SMP", Role.OPERATOR_SEKOLAH, KAJEN, school_id=ids[SMP])
    other = chat.member(7004, "Bu Operator MTs", Role.OPERATOR_SEKOLAH, "33.26.13", school_id=ids[MTS])
    korwil = chat.member(7005, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    pendamping, parent, case = family_chooses(chat, SMP)
    ask = operator.last(case.reference)
    assert ask.button_texts() == [t(T.SCHOOL_ACCEPT), t(T.SCHOOL_REFUSE)]
    assert not other.inbox and not korwil.inbox  # the school has an operator: only they are asked

    kept = Message(ask.id, ask.text, list(ask.buttons))  # the buttons as they were, to press them again later
    other.press(t(T.SCHOOL_ACCEPT), ask)  # another school's operator, with a copy of the button: refused
    assert other.last_outcome == "stale-notice-button"
    operator.press(t(T.SCHOOL_ACCEPT), ask)
    assert operator.last_outcome == "school:accepted"
    [(name, pdf)] = operator.documents()
    assert name == f"penerimaan-sekolah-{case.reference}.pdf" and pdf.startswith(b"%PDF")
    assert pendamping.documents()[-1] == (name, pdf) and parent.documents()[-1] == (name, pdf)
    with chat.db.read() as session:
        [event] = session.scalars(select(CaseEvent).where(CaseEvent.event == "accept_school")).all()
        status = session.get(Case, case.id).status  # type: ignore[union-attr]
    assert event.actor_id == operator.person_id and SMP in (event.reason or "") and status == "school_chosen"
    operator.press(t(T.SCHOOL_ACCEPT), kept)  # each button works once
    assert operator.last_outcome == "stale-notice-button"
    operator.press(t(T.SCHOOL_REFUSE), kept)  # and once answered, the other one does nothing
    assert operator.last_outcome == "school:already-answered"


def test_a_refusal_goes_back_to_the_pendamping_with_the_reason(chat: Chat) -> None:
    ids = schools(chat)
    operator = chat.member(7003, "Pak Operator SMP", Role.OPERATOR_SEKOLAH, KAJEN, school_id=ids[SMP])
    pendamping, _parent, case = family_chooses(chat, SMP)
    operator.press(t(T.SCHOOL_REFUSE), operator.last(case.reference))
    operator.send("   ")  # an empty reason is not a reason
    assert operator.last().text == t(T.SCHOOL_REFUSE_ASK)
    operator.send("Kelas 7 sudah penuh")
    assert operator.last_outcome == "school:refused"
    told = pendamping.last(case.reference).text
    assert "Kelas 7 sudah penuh" in told and t(T.SCHOOL_REFUSED_FOR_PENDAMPING, name="Ahmad Fauzi", reference=case.reference, reason="")[:20] in told
    with chat.db.read() as session:
        assert session.get(Case, case.id).status == "willing"  # type: ignore[union-attr]  # the family chooses again


def test_a_school_without_operator_is_answered_by_the_kecamatan_team(chat: Chat) -> None:
    schools(chat)
    korwil = chat.member(7005, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    elsewhere = chat.member(7006, "Pak Korwil Kedungwuni", Role.TIM_KECAMATAN, "33.26.13")
    _pendamping, _parent, case = family_chooses(chat, SMP)
    assert not elsewhere.inbox
    korwil.press(t(T.SCHOOL_ACCEPT), korwil.last(case.reference))
    assert korwil.last_outcome == "school:accepted"

"""Referrals through the chat (issue 19 §6): from a visit and from a case, the agency's answer, the reminder,
the history and the recap; refusals by role and bad input."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import programme_texts as P
from bot import texts as T
from cases.messages import REFERRAL_STATUS
from cases.service import case_history
from core.i18n import translator
from storage.models import AuditLog, Referral, Role
from tests.districts.chat import Chat, fill, submit
from tests.districts.conftest import BRENGGONG, KAJEN, KUTOROJO, PEKALONGAN, PURWOREJO, TODAY, answers
from tests.districts.helpers import case_at
from tests.uow import committed

t = translator("id")


def test_a_pendamping_refers_from_a_visit_and_records_the_agencys_answer(chat: Chat) -> None:
    pendamping = chat.member(8001, "Mbak Rina", Role.PENDAMPING, KAJEN)
    kabupaten = chat.member(8002, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    case = case_at(chat.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=pendamping.person_id)
    pendamping.send("/kasus")
    pendamping.press(pendamping.last(t(T.CHOOSE_CASE)).button_texts()[0])
    pendamping.press(t(T.VISIT_LOG))
    fill(pendamping, "pendampingan", answers("pendampingan"))
    submit(pendamping)

    pendamping.press(t(P.REFER_FROM_VISIT))  # under the visit log
    menu = pendamping.last(t(P.REFER_CHOOSE_AGENCY, name="Ahmad Fauzi", reference=case.reference))
    assert menu.button_texts()[:3] == ["Disdukcapil", "Dinas Sosial", "Puskesmas"] and "Baznas Kabupaten Pekalongan" in menu.button_texts()
    pendamping.press("Disdukcapil")
    pendamping.press(t(P.DUE_DAYS, days=14))
    due = TODAY + dt.timedelta(days=14)
    sent = pendamping.last("📨")
    assert sent.text == t(P.REFERRAL_SENT, id=1, name="Ahmad Fauzi", reference=case.reference, agency="Disdukcapil", due=t.date(due))
    with chat.db.read() as session:
        referral = session.scalars(select(Referral)).one()
    assert (referral.agency, referral.due_date, referral.visit_id is not None, referral.referred_by) == (
        "disdukcapil", due, True, pendamping.person_id)

    pendamping.send("/rujukan")
    listing = pendamping.last(t(P.REFERRALS_TITLE, count=1))
    assert "Disdukcapil" in listing.text and t(REFERRAL_STATUS["sent"]) in listing.text
    pendamping.press(t(P.BUTTON_ACCEPTED, id=1))
    assert pendamping.last().text == t(P.REFERRAL_UPDATED, id=1, agency="Disdukcapil", status=t(REFERRAL_STATUS["accepted"]))
    pendamping.send("/rujukan 1")  # as the reminder says
    pendamping.press(t(P.BUTTON_DONE, id=1))
    assert pendamping.last_outcome == "referral:done"

    steps = [(h.event, h.what) for h in committed(chat.db, case_history, case.id) if h.subject == "referral"]
    assert steps == [("sent", "Disdukcapil"), ("accepted", "Disdukcapil"), ("done", "Disdukcapil")]
    kabupaten.send("/rekap")
    recap = kabupaten.last("Rujukan:")
    assert t("{agency} {total} (open {open}, done {done}, overdue {overdue})", agency="Disdukcapil", total=1, open=0, done=1,
             overdue=0) in recap.text


def test_a_team_refers_from_a_case_in_one_line_and_a_refusal_needs_a_note(chat: Chat) -> None:
    kades = chat.member(8101, "Bu Kades", Role.TIM_DESA, KUTOROJO)
    pendamping = chat.member(8102, "Mbak Rina", Role.PENDAMPING, KAJEN)
    case = case_at(chat.db, "Budi", KUTOROJO, "willing", pendamping_id=pendamping.person_id)
    kades.send(f"/rujuk {case.reference} dinsos 20/12/2026 belum punya KIP")
    assert kades.last_outcome == "refer:sent"
    assert t(P.REFERRAL_FOR_PENDAMPING, name="Budi", reference=case.reference, agency="Dinas Sosial",
             due=t.date(dt.date(2026, 12, 20))) in pendamping.last("📨").text  # the pendamping hears of it
    kades.send("/rujukan")
    kades.press(t(P.BUTTON_REFUSED, id=1))
    assert kades.last().text == t(P.REFERRAL_NOTE_ASK, agency="Dinas Sosial", id=1)
    kades.send("Kuota KIP tahun ini sudah penuh")
    assert kades.last_outcome == "referral:refused"
    assert [(h.event, h.reason) for h in committed(chat.db, case_history, case.id) if h.subject] == [
        ("sent", "belum punya KIP"), ("refused", "Kuota KIP tahun ini sudah penuh")]


def test_bad_input_gets_a_clear_answer_and_nothing_is_stored(chat: Chat) -> None:
    pendamping = chat.member(8201, "Mbak Rina", Role.PENDAMPING, KAJEN)
    case = case_at(chat.db, "Citra", KUTOROJO, "accompanied", pendamping_id=pendamping.person_id)
    pendamping.send("/rujuk")  # no case, no agency: how to write it, with the kabupaten's agencies
    assert "disdukcapil" in pendamping.last().text and "/rujuk ATS-3326-000142" in pendamping.last().text
    pendamping.send(f"/rujuk {case.reference} kantorpos 7")
    assert pendamping.last().text.startswith("✗ " + t('"{agency}" is not an agency of this kabupaten\'s list: {agencies}.',
                                                      agency="kantorpos", agencies="disdukcapil, dinsos, puskesmas, slb, kua, pkbm, baznas"))
    pendamping.send(f"/rujuk {case.reference} kua 01/11/2026")
    assert pendamping.last().text.startswith("✗ " + t("The due date {due} has already passed: give a date from today on.", due="01/11/2026"))
    pendamping.send(f"/rujuk {case.reference}")
    pendamping.press("KUA")
    pendamping.send("kapan-kapan")  # a due date typed that is no date
    assert pendamping.last().text.startswith("✗ ") and pendamping.last_outcome == "refer:refused"
    with chat.db.read() as session:
        assert session.scalars(select(Referral)).all() == []
    pendamping.send("25/12/2026")  # typed properly, the same menu still works
    assert pendamping.last_outcome == "refer:sent"


def test_refusals_by_role_and_area_are_audited(chat: Chat) -> None:
    own = chat.member(8301, "Mbak Rina", Role.PENDAMPING, KAJEN)
    other = chat.member(8302, "Mas Joko", Role.PENDAMPING, KAJEN)
    far_team = chat.member(8303, "Tim Purworejo", Role.TIM_KABUPATEN, PURWOREJO)
    public = chat.member(8304, "Warga")
    parent = chat.member(8305, "Ibu Siti", Role.ORANG_TUA, KUTOROJO)
    case = case_at(chat.db, "Dewi", KUTOROJO, "accompanied", pendamping_id=own.person_id)
    purworejo = case_at(chat.db, "Sari", BRENGGONG, "accompanied")
    for person in (other, far_team, public, parent):
        person.send(f"/rujuk {case.reference} dinsos")
        assert person.last_outcome == "denied:refer", person.name
    far_team.send(f"/rujuk {purworejo.reference} dinsos")  # their own kabupaten's child: allowed
    assert far_team.last_outcome == "refer:sent"
    own.send(f"/rujuk {case.reference}")
    menu = own.last(t(P.REFER_CHOOSE_AGENCY, name="Dewi", reference=case.reference))
    other.press("Dinas Sosial", menu)  # someone else's buttons do nothing for them
    assert other.last_outcome == "stale-button"
    with chat.db.read() as session:
        denied = session.scalars(select(AuditLog).where(AuditLog.action == "access.denied")).all()
        assert {d.detail["action"] for d in denied} == {"refer"} and len(denied) == 4
        assert session.scalars(select(Referral.case_id)).all() == [purworejo.id]

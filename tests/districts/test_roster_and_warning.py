"""Roster → cases and the early warning, through the chat (issue 19, items 2 and 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bot import texts as T
from core.i18n import translator
from storage.models import AuditLog, Case, CaseEvent, Role
from tests.districts.chat import Chat, fill, submit
from tests.districts.conftest import KAJEN, answers
from tests.districts.helpers import case_at

t = translator("id")
KUTOREJO = "33.26.08.2015"


def member(name: str, status: str, nik: str | None = None, born: str = "2012-03-05") -> dict[str, Any]:
    row: dict[str, Any] = {"ART.1": name, "ART.2": nik, "ART.3": "1", "ART.4": born, "ART.6": "3", "ART.7": status, "ART.10": "2"}
    if status in ("3", "4"):
        row["ART.8"] = "9"
    if status != "1":
        row["ART.9"] = ["8"]
    return row


def test_each_out_of_school_member_of_a_roster_opens_or_joins_a_case(chat: Chat) -> None:
    already = case_at(chat.db, "Rina Lestari", KUTOREJO, "verified", born=dt.date(2014, 2, 2))
    volunteer = chat.member(4001, "Siti", Role.PENDATA, KAJEN)
    volunteer.send("/isi rumah-tangga")
    roster = answers("rumah-tangga", "putus-sekolah", R_9=3, ART=[
        member("Ahmad Fauzi", "3"),                     # dropped out: a new case
        member("Budi Santoso", "1", born="2013-01-10"),  # in school: nothing
        member("Rina Lestari", "2", born="2014-02-02"),  # never schooled, already followed: joins her case
    ])
    fill(volunteer, "rumah-tangga", roster)
    submit(volunteer)
    report = volunteer.last(t(T.ROSTER_CASES, count=2)[:30]).text
    assert "Ahmad Fauzi" in report and "Rina Lestari" in report and "Budi" not in report
    with chat.db.read() as session:
        cases = {c.reference: c for c in session.scalars(select(Case))}
        events = session.scalars(select(CaseEvent).where(CaseEvent.response_id.is_not(None))).all()
    new = next(c for c in cases.values() if c.id != already.id)
    assert new.status == "recorded" and new.category == "2" and new.region_code == KUTOREJO
    assert t(T.ROSTER_OPENED, reference=new.reference, name="Ahmad Fauzi") in report
    assert t(T.ROSTER_JOINED, reference=already.reference, name="Rina Lestari") in report
    assert sorted((e.case_id, e.event, e.reason) for e in events) == sorted(
        [(new.id, None, "rumah-tangga"), (already.id, "add_source", "rumah-tangga")])  # the roster is the source
    assert len(cases) == 2


def test_a_roster_of_children_all_in_school_opens_nothing(chat: Chat) -> None:
    volunteer = chat.member(4002, "Siti", Role.PENDATA, KAJEN)
    volunteer.send("/isi rumah-tangga")
    fill(volunteer, "rumah-tangga", answers("rumah-tangga", "sedang-sekolah"))
    submit(volunteer)
    assert volunteer.last().text == t(T.ROSTER_NONE)
    with chat.db.read() as session:
        assert session.scalars(select(Case)).all() == []


def test_early_warning_after_monitoring_and_risk_indicators_reaches_three_people_once(chat: Chat) -> None:
    pendamping = chat.member(4101, "Mbak Rina", Role.PENDAMPING, KAJEN)
    desa_team = chat.member(4102, "Bu Kades", Role.TIM_DESA, KUTOREJO)
    korwil = chat.member(4103, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    other_desa = chat.member(4104, "Pak Kades lain", Role.TIM_DESA, "33.26.08.2002")
    case = case_at(chat.db, "Ahmad Fauzi", KUTOREJO, "back_in_school", pendamping_id=pendamping.person_id)

    def monitoring(month: dict[str, Any]) -> None:
        pendamping.send("/kasus")
        pendamping.press(pendamping.last(t(T.CHOOSE_CASE)).button_texts()[0])
        pendamping.press(t(T.MONITORING))
        fill(pendamping, "monitoring", month)
        submit(pendamping)

    monitoring(answers("monitoring", C_2="2"))  # absent more than half the days
    for person in (pendamping, desa_team, korwil):
        assert "Ahmad Fauzi" in person.last(case.reference).text, person.name
    assert not other_desa.inbox

    chat.today += dt.timedelta(days=31)
    heard = {p.name: len(p.inbox) for p in (desa_team, korwil)}
    monitoring(answers("monitoring", C_2="2"))  # the same signs a month later: not repeated
    assert {p.name: len(p.inbox) for p in (desa_team, korwil)} == heard

    pendamping.send("/kasus")  # the risk indicators add a sign (low marks): a new alert
    pendamping.press(pendamping.last(t(T.CHOOSE_CASE)).button_texts()[0])
    pendamping.press(t(T.RISK_INDICATORS))
    fill(pendamping, "indikator-risiko", answers("indikator-risiko", I_6a=45))
    submit(pendamping)
    assert len(korwil.inbox) == heard["Pak Korwil"] + 1 and case.reference in korwil.inbox[-1].text
    with chat.db.read() as session:
        alerted = session.scalars(select(AuditLog).where(AuditLog.action == "risk.alert")).all()
    assert len(alerted) == 6  # three people, twice (the first signs, then the new one)

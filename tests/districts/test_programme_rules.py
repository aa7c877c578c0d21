"""The rules of referrals and assistance as docs/cases.md states them (the chat tests drive the same through people)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cases import assistance, referrals
from cases.errors import InvalidInput
from cases.messages import (
    ASSISTANCE_ALREADY,
    ASSISTANCE_AMOUNT_NEEDED,
    ASSISTANCE_BAD_AMOUNT,
    ASSISTANCE_NOT_RETURNED,
    ASSISTANCE_NOT_VERIFIED,
    ASSISTANCE_RECEIPT_NEEDED,
    REFERRAL_ALREADY_OPEN,
    REFERRAL_BAD_DUE,
    REFERRAL_CLOSED_CASE,
    REFERRAL_DUE_FAR,
    REFERRAL_DUE_PAST,
    REFERRAL_MOVE,
    REFERRAL_NOTE_REQUIRED,
    REFERRAL_UNKNOWN_AGENCY,
)
from cases.service import case_history
from storage.models import Role
from storage.uow import unit_of_work
from tests.districts.chat import Chat
from tests.districts.conftest import BRENGGONG, KUTOROJO, TODAY
from tests.districts.helpers import case_at
from tests.uow import committed


def refused(message: str, call: object, *args: object, **kwargs: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.message == message


def test_due_dates_as_people_type_them() -> None:
    assert referrals.due_date("", TODAY) == TODAY + dt.timedelta(days=referrals.DEFAULT_DAYS)
    assert referrals.due_date("14", TODAY) == TODAY + dt.timedelta(days=14)
    assert referrals.due_date("7 hari", TODAY) == TODAY + dt.timedelta(days=7)
    assert referrals.due_date("20/12/2026", TODAY) == dt.date(2026, 12, 20)
    assert referrals.due_date("20 Desember 2026", TODAY) == dt.date(2026, 12, 20)
    refused(REFERRAL_DUE_PAST, referrals.due_date, "01/11/2026", TODAY)
    refused(REFERRAL_DUE_FAR, referrals.due_date, "500", TODAY)
    refused(REFERRAL_BAD_DUE, referrals.due_date, "besok lusa", TODAY)


def test_referral_rules_and_history(chat: Chat) -> None:
    pendamping = chat.member(7001, "Bu Pendamping", Role.PENDAMPING, KUTOROJO)
    case = case_at(chat.db, "Rina", KUTOROJO, "accompanied", pendamping_id=pendamping.person_id)
    closed = case_at(chat.db, "Lulus", KUTOROJO, "graduated")
    due = TODAY + dt.timedelta(days=10)
    with unit_of_work(chat.db) as uow:
        sent = referrals.refer(uow, case.id, "Dinas Sosial", due, pendamping.person_id, TODAY, reason="  PKH  ")  # by its name
        assert (sent.agency.code, sent.status, sent.reason) == ("dinsos", "sent", "PKH")
        refused(REFERRAL_ALREADY_OPEN, referrals.refer, uow, case.id, "dinsos", due, None, TODAY)
        refused(REFERRAL_UNKNOWN_AGENCY, referrals.refer, uow, case.id, "p2tp2a", due, None, TODAY)  # Palopo's, not Pekalongan's
        refused(REFERRAL_CLOSED_CASE, referrals.refer, uow, closed.id, "dinsos", due, None, TODAY)
        refused(REFERRAL_DUE_PAST, referrals.refer, uow, case.id, "kua", TODAY - dt.timedelta(days=1), None, TODAY)
        refused(REFERRAL_NOTE_REQUIRED, referrals.update_referral, uow, sent.id, "refused", None, " ")
        referrals.update_referral(uow, sent.id, "accepted", pendamping.person_id)
        refused(REFERRAL_MOVE, referrals.update_referral, uow, sent.id, "sent", None)
        referrals.update_referral(uow, sent.id, "refused", pendamping.person_id, "Kuota PKH penuh")
        refused(REFERRAL_MOVE, referrals.update_referral, uow, sent.id, "done", None)
        again = referrals.refer(uow, case.id, "dinsos", due, None, TODAY)  # closed: a new one may be sent
    steps = [(h.subject, h.event, h.what, h.reason) for h in committed(chat.db, case_history, case.id) if h.subject]
    assert steps == [("referral", "sent", "Dinas Sosial", "PKH"), ("referral", "accepted", "Dinas Sosial", None),
                     ("referral", "refused", "Dinas Sosial", "Kuota PKH penuh"), ("referral", "sent", "Dinas Sosial", None)]
    assert again.id != sent.id


def test_a_district_renames_adds_and_removes_agencies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "agencies.yaml"
    custom.write_text('agencies:\n  dinsos: {name: "Dinsos"}\n  kua: {name: "KUA"}\n'
                      'districts:\n  "33.06": {kua: null, lpk: {name: "LPK Purworejo"}, dinsos: {name: "Dinsos Purworejo"}}\n',
                      encoding="utf-8")
    monkeypatch.setenv("AGENCIES_FILE", str(custom))
    assert [(a.code, a.name) for a in referrals.agencies(BRENGGONG)] == [("dinsos", "Dinsos Purworejo"), ("lpk", "LPK Purworejo")]
    assert [a.code for a in referrals.agencies(KUTOROJO)] == ["dinsos", "kua"]


def test_assistance_amounts_order_and_refusals(chat: Chat) -> None:
    kabupaten = chat.member(7101, "Bu Kabid", Role.TIM_KABUPATEN, "33.26")
    korwil = chat.member(7102, "Pak Korwil", Role.TIM_KECAMATAN, "33.26.08")
    case = case_at(chat.db, "Sari", KUTOROJO, "back_in_school")
    waiting = case_at(chat.db, "Dewi", KUTOROJO, "accompanied")
    with unit_of_work(chat.db) as uow:
        refused(ASSISTANCE_NOT_RETURNED, assistance.propose, uow, waiting.id, "personal", None, TODAY)
        personal = assistance.propose(uow, case.id, "personal", kabupaten.person_id, TODAY)
        assert personal.amount == 500_000
        refused(ASSISTANCE_ALREADY, assistance.propose, uow, case.id, "personal", None, TODAY)
        refused(ASSISTANCE_AMOUNT_NEEDED, assistance.propose, uow, case.id, "bos", None, TODAY)  # no level known
        refused(ASSISTANCE_BAD_AMOUNT, assistance.propose, uow, case.id, "csr", None, TODAY, amount=0)
        csr = assistance.propose(uow, case.id, "csr", None, TODAY, amount=assistance.parse_amount("Rp 250.000,-"))
        assert csr.amount == 250_000
        assistance.decide(uow, personal.id, kabupaten.person_id, approve=True)
        refused(ASSISTANCE_NOT_VERIFIED, assistance.disburse, uow, personal.id, kabupaten.person_id)
        assistance.verify(uow, personal.id, korwil.person_id)
        refused(ASSISTANCE_RECEIPT_NEEDED, lambda: (assistance.disburse(uow, personal.id, kabupaten.person_id),
                                                    assistance.report_spending(uow, personal.id, None, None)))
        assert [a.status for a in assistance.of_case(uow.session, case.id)] == ["disbursed", "proposed"]
    assert [(h.event, h.what) for h in committed(chat.db, case_history, case.id) if h.subject == "assistance"] == [
        ("proposed", "Bantuan dana personal"), ("proposed", "Forum CSR"), ("approved", "Bantuan dana personal"),
        ("verified", "Bantuan dana personal"), ("disbursed", "Bantuan dana personal")]
    assert [assistance.may(role, "approve") for role in (Role.TIM_DESA, Role.TIM_KECAMATAN, Role.TIM_KABUPATEN)] == [False, False, True]

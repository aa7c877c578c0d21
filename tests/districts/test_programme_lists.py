"""Referral reminders, the recipients list and the Bupati's list, opened as a reader would (openpyxl, PDF text)."""

from __future__ import annotations

import datetime as dt
import io
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app import reports_cli
from app.cli import main
from cases import assistance, checks, referrals, service
from reminders.rules import Kind
from reminders.schedule import materialise
from reminders.settings import ReminderSettings
from reports.export import NotAllowed
from reports.programme_lists import bupati_pdf, bupati_xlsx, recipients_xlsx
from storage.models import AuditLog, Child, Reminder, ReminderState, Role, School, SchoolLevel, SchoolStatus
from storage.uow import unit_of_work
from tests.cases.pdftext import pdf_text
from tests.districts.chat import Chat
from tests.districts.conftest import BRENGGONG, KAJEN, KUTOROJO, PEKALONGAN, TODAY
from tests.districts.helpers import case_at
from tests.uow import committed

SETTINGS = ReminderSettings(_env_file=None, lookahead_minutes=0)


def accepted(chat: Chat, name: str, desa: str, by: int, korwil: int) -> int:
    case = case_at(chat.db, name, desa, "recorded", born=dt.date(2012, 5, 1))
    committed(chat.db, service.verify, case.id, by, True, None)
    committed(chat.db, checks.accept, [case.id], korwil)
    return case.id


def test_an_open_referral_reminds_its_sender_on_the_due_date_and_closing_it_cancels(chat: Chat) -> None:
    pendamping = chat.member(6001, "Bu Pendamping", Role.PENDAMPING, KUTOROJO)
    case = case_at(chat.db, "Rina", KUTOROJO, "accompanied", pendamping_id=pendamping.person_id)
    with unit_of_work(chat.db) as uow:
        sent = referrals.refer(uow, case.id, "disdukcapil", TODAY + dt.timedelta(days=3), pendamping.person_id, TODAY, reason="akta")
    before = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    assert materialise(chat.db, SETTINGS, before).inserted == 0  # not due yet
    due_day = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    materialise(chat.db, SETTINGS, due_day)
    materialise(chat.db, SETTINGS, due_day)  # a second pass adds nothing
    with chat.db.read() as session:
        rows = list(session.scalars(select(Reminder).where(Reminder.kind == Kind.REFERRAL_DUE)))
    assert [(r.person_id, r.case_id, r.period, r.state) for r in rows] == [
        (pendamping.person_id, case.id, f"R{sent.id}", ReminderState.PENDING)]
    with unit_of_work(chat.db) as uow:
        referrals.update_referral(uow, sent.id, "done", pendamping.person_id, "akta terbit")
    with chat.db.read() as session:
        assert session.scalar(select(Reminder.state).where(Reminder.kind == Kind.REFERRAL_DUE)) == ReminderState.CANCELLED


def test_the_bupati_list_names_accepted_children_per_desa_with_the_deadline(chat: Chat) -> None:
    kades = chat.member(6101, "Bu Kades", Role.TIM_DESA, KUTOROJO)
    korwil = chat.member(6102, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    kabupaten = chat.member(6103, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    ayu = accepted(chat, "Ayu", KUTOROJO, kades.person_id, korwil.person_id)
    with chat.db.write() as session:
        child = session.scalar(select(Child).join(service.Case, service.Case.child_id == Child.id).where(service.Case.id == ayu))
        assert child is not None
        child.address, child.rt, child.rw = "Dukuh Krajan", "002", "004"
    waiting = case_at(chat.db, "Bima", KUTOROJO, "recorded")
    committed(chat.db, service.verify, waiting.id, kades.person_id, True, None)  # verified, not yet accepted: not listed
    case_at(chat.db, "Citra", KUTOROJO, "back_in_school")  # already in school: not listed

    name, content = bupati_xlsx(chat.db, PEKALONGAN, dt.date(2026, 12, 1), kabupaten.person_id)
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content))["Daftar anak"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["NO", "KECAMATAN", "DESA", "NAMA"]
    assert len(rows) == 2 and rows[1][1:4] == ["Kajen", "Kutorojo", "Ayu"]
    assert rows[1][6] == "Dukuh Krajan, RT/RW 002/004"
    assert rows[1][9] == dt.datetime(2027, 2, 1)  # two months after the decree

    _, pdf = bupati_pdf(chat.db, PEKALONGAN, dt.date(2026, 12, 1), kabupaten.person_id, compress=False)
    text = pdf_text(pdf)
    assert "Ayu" in text and "Bima" not in text and "01/02/2027" in text and "Kutorojo" in text
    with chat.db.read() as session:
        audited = list(session.scalars(select(AuditLog.detail).where(AuditLog.action == "export.bupati_list")))
    assert [d["format"] for d in audited] == ["xlsx", "pdf"] and audited[0]["rows"] == 1


def test_lists_are_refused_to_other_roles_and_other_kabupaten(chat: Chat) -> None:
    korwil = chat.member(6201, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    far = chat.member(6202, "Tim Purworejo", Role.TIM_KABUPATEN, "33.06")
    for actor in (korwil, far):
        with pytest.raises(NotAllowed):
            bupati_xlsx(chat.db, PEKALONGAN, TODAY, actor.person_id)
        with pytest.raises(NotAllowed):
            recipients_xlsx(chat.db, PEKALONGAN, 2026, actor.person_id)
    with chat.db.read() as session:
        assert len(list(session.scalars(select(AuditLog).where(AuditLog.action.like("export.%.denied"))))) == 4


def test_the_recipients_list_is_safe_to_open_and_shows_what_the_role_may_see(chat: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kabupaten = chat.member(6301, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    korwil = chat.member(6302, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    with chat.db.write() as session:
        session.add(School(npsn="20325999", name="SMP Negeri 9 (contoh)", level=SchoolLevel.SMP, status=SchoolStatus.NEGERI, region_code=KAJEN))
    case = case_at(chat.db, "=HYPERLINK(\"http://x\")", KUTOROJO, "school_chosen")
    committed(chat.db, service.record_return, case.id, korwil.person_id, school_npsn="20325999", class_level="Kelas 7", year=2026)
    with chat.db.write() as session:
        child = session.get(Child, session.scalar(select(service.Case.child_id).where(service.Case.id == case.id)))
        assert child is not None
        child.address = "Jl. Rahasia 5"
    with unit_of_work(chat.db) as uow:
        aid = assistance.propose(uow, case.id, "kkc", korwil.person_id, TODAY)
        assert (aid.level, aid.amount) == ("SMP", 750000)  # the KKC amount for SMP (guide Bab III.A)
        assistance.decide(uow, aid.id, kabupaten.person_id, approve=True)
    _, content, count = recipients_xlsx(chat.db, PEKALONGAN, 2026, kabupaten.person_id)
    assert count == 1
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["NAMA"].value == '=HYPERLINK("http://x")' and row["NAMA"].data_type == "s"  # text, never a formula
    assert row["ALAMAT"].value == "***"  # the kabupaten team sees addresses masked (core.visibility)
    assert row["JUMLAH (RP)"].value == 750000 and row["DIVERIFIKASI KECAMATAN"].value == "Belum"

    out = tmp_path / "lists" / "penerima.xlsx"
    monkeypatch.setattr(reports_cli, "_database", lambda: chat.db)
    assert main(["list", "recipients", PEKALONGAN, "--year", "2026", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and load_workbook(out).worksheets[0].max_row == 2
    pdf = tmp_path / "lists" / "daftar.pdf"
    assert main(["list", "bupati", PEKALONGAN, "--out", str(pdf)]) == 2  # the decree date is needed
    assert main(["list", "bupati", PEKALONGAN, "--decree-date", "2026-12-01", "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and stat.S_IMODE(pdf.stat().st_mode) == 0o600


def test_a_bad_brenggong_referral_is_named(chat: Chat) -> None:
    case = case_at(chat.db, "Sari", BRENGGONG, "accompanied")
    with unit_of_work(chat.db) as uow:
        assert [a.code for a in referrals.agencies(BRENGGONG)][:2] == ["disdukcapil", "dinsos"]
        assert "baznas" in [a.code for a in referrals.agencies(BRENGGONG)]
        assert referrals.agencies(BRENGGONG)[-1].name == "Baznas"  # Pekalongan's own name is not Purworejo's
        with pytest.raises(service.InvalidInput):
            referrals.refer(uow, case.id, "", TODAY, None, TODAY)


def test_the_referral_reminder_names_the_child_the_agency_and_how_to_answer() -> None:
    from reminders.render import Claimed, render

    claimed = Claimed(id=1, kind=Kind.REFERRAL_DUE, token="tok", period="R7", person_id=3, chat_id=3, language="id", reachable=True,
                      timezone="Asia/Jakarta", case_id=5, region_code=KUTOROJO, detail={"referral": 7, "agency": "baznas", "due": "2026-11-26"},
                      child="Rina", village="Kutorojo")
    message = render(claimed)
    assert "Rina" in message.text and "Baznas Kabupaten Pekalongan" in message.text and "/rujukan 7" in message.text
    assert message.buttons == []

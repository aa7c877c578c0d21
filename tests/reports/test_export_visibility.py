"""Exports follow the field-visibility matrix of the exporter's role; full NIKs only with a reason, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reports.export import LAMPIRAN2_SHEET, NotAllowed, export_region, export_responses
from storage.db import Database
from storage.models import AuditLog, Response
from tests.reports.conftest import DESA_A1, KABUPATEN, KEC_A, People, Seed
from tests.reports.test_export import NIK, rumah_tangga, sheets_of

MASKED_NIK = "3326********0001"
PHONE = "081234567321"


@pytest.fixture
def data(seed: Seed, world: People) -> None:
    child, case = seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK, status="verified",
                            history=[("verified", dt.datetime(2026, 11, 1, 3, tzinfo=dt.UTC))])
    seed.response("pendataan", {"1.1": "Siti Aminah", "1.2": "1", "1.2.nik": NIK, "1.7.jalan": "Dukuh Krajan 3", "3.6": "2",
                                "4.1": "1", "4.3": "3"}, case_id=case, child_id=child)
    seed.response("rumah-tangga", {**rumah_tangga(1), "R.8": PHONE}, region=DESA_A1)
    seed.response("pendampingan", {"V.1": "2026-11-02", "V.11": "ayahnya sakit keras"}, case_id=case, child_id=child)


def _rows(sheet: list[list]) -> list[dict]:
    header, *rows = sheet
    return [dict(zip(header, row + [None] * (len(header) - len(row)), strict=True)) for row in rows]


def test_the_desa_and_kecamatan_teams_see_masked_niks_and_no_health(db: Database, data: None, world: People) -> None:
    _, content = export_responses(db, KEC_A, "all", "xlsx", world.kecamatan_team)
    sheets = sheets_of(content)
    [pendataan] = _rows(sheets["pendataan"])
    assert pendataan["1.2.nik NIK anak (16 digit)"] == MASKED_NIK and NIK.encode() not in content
    assert pendataan["1.1 Nama"] == "Siti Aminah" and pendataan["1.7.jalan Alamat (jalan/dusun)"] == "Dukuh Krajan 3"
    assert not [h for h in sheets["pendataan"][0] if h.startswith("4.")]  # the Washington Group questions: hidden
    assert not [h for h in sheets["indikator-risiko"][0] if h.startswith("I.7")]
    [household] = _rows(sheets["rumah-tangga"])
    assert household["R.8 Telepon/HP"] == "*********321"  # contact: masked for the kecamatan
    [visit] = _rows(sheets["pendampingan"])
    assert visit["V.11 Catatan"] == "ayahnya sakit keras"  # free text: the kecamatan team verifies with it


def test_the_kabupaten_team_reconciles_with_full_niks_only_with_a_reason(db: Database, data: None, world: People) -> None:
    _, masked = export_region(db, KABUPATEN, "xlsx", world.kabupaten_team)
    [siti] = _rows(sheets_of(masked)[LAMPIRAN2_SHEET])
    assert siti["NIK"] == MASKED_NIK and siti["NAMA LENGKAP"] == "Siti Aminah" and siti["ALAMAT"] == "***"
    _, full = export_region(db, KABUPATEN, "xlsx", world.kabupaten_team, reason="rekonsiliasi Dapodik semester 1")
    sheets = sheets_of(full)
    [siti] = _rows(sheets[LAMPIRAN2_SHEET])
    assert siti["NIK"] == NIK
    assert "KETERANGAN" not in sheets["Riwayat Status"][0]  # free text: hidden for the kabupaten
    assert "R.8 Telepon/HP" not in sheets["Rumah Tangga"][0] and "R.7 Alamat" in sheets["Rumah Tangga"][0]
    assert not [h for h in sheets["Anggota Rumah Tangga"][0] if h.startswith("ART.10")]
    with db.read() as session:
        details = [e.detail for e in session.scalars(select(AuditLog).where(AuditLog.action == "export.region").order_by(AuditLog.id))]
    assert details[0]["full_nik"] is False and "reason" not in details[0]
    assert (details[1]["full_nik"], details[1]["reason"], details[1]["role"]) == (True, "rekonsiliasi Dapodik semester 1", "tim_kabupaten")


def test_a_full_nik_request_by_another_role_is_refused_and_audited(db: Database, data: None, world: People) -> None:
    with db.read() as session:
        before = session.scalar(select(func.count()).select_from(Response))
    with pytest.raises(NotAllowed) as refused:
        export_region(db, KEC_A, "xlsx", world.kecamatan_team, reason="ingin tahu")
    assert "kabupaten" in str(refused.value)
    with db.read() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        denied = session.scalars(select(AuditLog).where(AuditLog.action == "export.full_nik.denied")).one()
        assert session.scalar(select(func.count()).select_from(Response)) == before
    assert "export.region" not in actions and denied.detail["reason"] == "ingin tahu" and denied.actor_id == world.kecamatan_team


def test_the_command_line_is_the_administrator_and_still_needs_a_reason(db: Database, data: None) -> None:
    _, masked = export_region(db, KABUPATEN, "csv", None)
    assert NIK.encode() not in masked
    _, full = export_responses(db, KABUPATEN, "pendataan", "xlsx", None, reason="permintaan Disdukcapil no. 12")
    [pendataan] = _rows(sheets_of(full)["pendataan"])
    assert pendataan["1.2.nik NIK anak (16 digit)"] == NIK and pendataan["4.3 " + _label("4.3")] is not None
    with db.read() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "export.responses")).one()
    assert entry.detail["reason"] == "permintaan Disdukcapil no. 12" and entry.detail["role"] == "admin" and "os_user" in entry.detail


def _label(qid: str) -> str:
    from flows.registry import engine

    return engine("pendataan").layout.nodes[qid].question.label


def test_the_command_line_asks_for_full_niks_by_a_named_option(db: Database, data: None, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from app import reports_cli
    from app.cli import main

    monkeypatch.setattr(reports_cli, "_database", lambda: db)
    masked, full = tmp_path / "masked.xlsx", tmp_path / "full.xlsx"
    assert main(["export", KABUPATEN, "--format", "xlsx", "--out", str(masked)]) == 0
    assert main(["export", KABUPATEN, "--format", "xlsx", "--out", str(full), "--full-nik-reason", "rekonsiliasi Dapodik"]) == 0
    assert [r["NIK"] for r in _rows(sheets_of(masked.read_bytes())[LAMPIRAN2_SHEET])] == [MASKED_NIK]
    assert [r["NIK"] for r in _rows(sheets_of(full.read_bytes())[LAMPIRAN2_SHEET])] == [NIK]



def test_an_export_with_masked_niks_imported_again_matches_without_them(db: Database, data: None, world: People) -> None:
    from reports import messages as M
    from reports.imports import import_file
    from tests.reports.conftest import TODAY

    _, content = export_region(db, KEC_A, "xlsx", world.kecamatan_team)  # NIKs masked, the rest in full
    report = import_file(db, content, "ekspor.xlsx", actor_id=world.kabupaten_team, region_scope=KABUPATEN, today=TODAY)
    assert [(w.column, w.message.id) for w in report.warnings] == [("NIK", M.IMPORT_MASKED_NIK)]
    assert report.created == 0  # the child is found again, no masked NIK is stored

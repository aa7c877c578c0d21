"""Exports: Lampiran 2 columns, repeat groups on their own sheets, every answer kept, roles and audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from flows.registry import engine
from reports.export import LAMPIRAN2_SHEET, NotAllowed, UnknownInstrument, export_region, export_responses
from reports.lampiran2 import COLUMNS, EXTRA_COLUMNS
from storage.db import Database
from storage.models import AuditLog, Visit
from tests.reports.conftest import DESA_A1, DESA_B1, KABUPATEN, KEC_A, TODAY, People, Seed

NIK = "3326014507120001"  # a girl born 5 July 2012, Kandangserang


def rumah_tangga(members: int) -> dict:
    """A complete household roster with ``members`` children aged 7–18, as the engine stores it."""
    raw = {"R.1": "3326010101010001", "R.2": "Tarno", "R.3": KEC_A, "R.4": DESA_A1, "R.5": "001", "R.6": "002",
           "R.7": "Dukuh Krajan 3", "R.9": members,
           "ART": [{"ART.1": f"Anak {i}", "ART.3": str(1 + i % 2), "ART.4": f"201{i}-01-0{i + 1}", "ART.6": "3", "ART.7": "1",
                    "ART.10": "1"}
                   for i in range(members)]}
    report = engine("rumah-tangga").check(raw, today=TODAY)
    assert report.complete, report
    return report.answers


def sheets_of(content: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


@pytest.fixture
def region_data(seed: Seed, world: People) -> dict[str, int]:
    ids = {}
    child, ids["siti"] = seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK, nisn="0123456789",
                                   status="verified")
    ids["siti_form"] = seed.response("pendataan", {
        "1.1": "Siti Aminah", "1.2": "1", "1.2.nik": NIK, "1.8": "1", "1.9": "1", "1.10": "1", "2.1": "Tarno", "2.2": "4",
        "2.4": "Sumi", "2.5": "11", "2.5.lainnya": "Penjahit", "3.1": "8", "3.2": "10", "3.4": 2024, "3.5": "SMP N 1 Kandangserang",
        "3.6": "2",
    }, case_id=ids["siti"], child_id=child)
    child, ids["budi"] = seed.case("Budi", DESA_B1, sex="L", category="3")
    seed.response("rekonfirmasi", {"B.2": "Budi", "C.1": "Darto", "D.1": ["8", "11"], "D.1.lainnya": "Menikah", "D.2": "8"},
                  case_id=ids["budi"], child_id=child, region=DESA_B1)
    seed.case("Other", "73.71.01.1001")
    ids["household"] = seed.response("rumah-tangga", rumah_tangga(3), region=DESA_A1)
    ids["visit_form"] = seed.response("pendampingan", {"x.old": "kept"}, case_id=ids["siti"], region=DESA_A1)
    with seed.db.write() as session:
        session.add(Visit(case_id=ids["siti"], pendamping_id=world.pendamping, visit_date=dt.date(2026, 11, 2),
                          response_id=ids["visit_form"]))
    return ids


def test_region_export_lampiran2_columns(db: Database, region_data: dict[str, int], world: People) -> None:
    filename, content = export_region(db, KABUPATEN, "xlsx", world.kabupaten_team, reason="rekonsiliasi Dapodik")
    assert filename.startswith("ats-3326-") and filename.endswith(".xlsx")
    sheets = sheets_of(content)
    assert list(sheets) == [LAMPIRAN2_SHEET, "Rumah Tangga", "Anggota Rumah Tangga", "Kunjungan", "Riwayat Status"]
    header, *rows = sheets[LAMPIRAN2_SHEET]
    assert header == [*COLUMNS, *EXTRA_COLUMNS]
    assert header[:25] == ["NO", "NIK", "NAMA LENGKAP", "TEMPAT LAHIR", "TANGGAL LAHIR", "L/P", "NAMA AYAH", "NAMA IBU",
                           "PENDIDIKAN TERAKHIR", "ALAMAT", "RT", "RW", "DESA", "KECAMATAN", "AGAMA", "STATUS PERKAWINAN",
                           "PEKERJAAN", "PEKERJAAN AYAH", "PEKERJAAN IBU", "ALASAN", "KATEGORI", "TAHUN KELUAR",
                           "KELUAR KELAS", "SEKOLAH SEBELUMNYA", "SUMBER DATA"]
    assert len(rows) == 2  # Makassar is not in Pekalongan
    siti = dict(zip(header, rows[0], strict=True))
    assert siti["NIK"] == NIK and siti["NAMA LENGKAP"] == "Siti Aminah" and siti["L/P"] == "P"
    assert siti["TANGGAL LAHIR"] == dt.datetime(2012, 7, 5)
    assert siti["DESA"] == "Klesem" and siti["KECAMATAN"] == "Kandangserang"
    assert siti["NAMA AYAH"] == "Tarno" and siti["PEKERJAAN AYAH"] == "Petani" and siti["PEKERJAAN IBU"] == "Penjahit"
    assert siti["PENDIDIKAN TERAKHIR"] == "Putus Kelas 8 (SMP/MTs)" and siti["KELUAR KELAS"] == 8
    assert siti["ALASAN"] == "Tidak Punya Biaya (Faktor Ekonomi Keluarga)"
    assert siti["KATEGORI"] == "Putus Sekolah" and siti["TAHUN KELUAR"] == 2024
    assert siti["SEKOLAH SEBELUMNYA"] == "SMP N 1 Kandangserang"
    assert siti["SUMBER DATA"].startswith("Pendataan ATS SEED-")
    assert siti["NISN"] == "0123456789" and siti["KODE DESA"] == DESA_A1 and siti["STATUS KASUS"] == "verified"
    budi = dict(zip(header, rows[1], strict=True))
    assert budi["ALASAN"] == "Tidak Punya Biaya (Faktor Ekonomi Keluarga); Menikah"
    assert budi["KATEGORI"] == "Tidak Lanjut Sekolah" and budi["KELUAR KELAS"] == 6 and budi["NAMA AYAH"] == "Darto"
    visits = sheets["Kunjungan"]
    assert visits[1][:4] == [siti["NO KASUS"], "Siti Aminah", dt.datetime(2026, 11, 2), "Bu Pendamping"]
    history = sheets["Riwayat Status"]
    assert [r[0] for r in history[1:]] == sorted([siti["NO KASUS"], budi["NO KASUS"]])


def test_household_members_on_their_own_sheet(db: Database, region_data: dict[str, int]) -> None:
    _, content = export_responses(db, KABUPATEN, "rumah-tangga", "xlsx", None)
    sheets = sheets_of(content)
    assert list(sheets) == ["rumah-tangga", "rumah-tangga ART"]
    households, members = sheets["rumah-tangga"], sheets["rumah-tangga ART"]
    assert len(households) == 2 and len(members) == 4  # a header and three members
    reference = households[1][0]
    assert [m[0] for m in members[1:]] == [reference] * 3
    assert [m[1] for m in members[1:]] == [1, 2, 3]
    header = members[0]
    assert header[:3] == ["REFERENSI", "NO", "ART.1 Nama"]
    assert [m[2] for m in members[1:]] == ["Anak 0", "Anak 1", "Anak 2"]
    assert members[1][header.index("ART.3 Jenis kelamin")] == "Laki-laki"
    assert members[2][header.index("ART.3 Jenis kelamin")] == "Perempuan"
    assert members[1][header.index("ART.5 Umur (tahun)")] == 16


def test_every_answer_is_exported(db: Database, region_data: dict[str, int]) -> None:
    """Each key of each stored answer appears in the export, also keys the current form no longer has."""
    _, content = export_responses(db, KABUPATEN, None, "xlsx", None)
    sheets = sheets_of(content)
    pendataan = sheets["pendataan"]
    header = pendataan[0]
    for key in ("1.1", "1.2.nik", "2.5.lainnya", "3.4", "3.6"):
        assert any(h.split(" ")[0] == key for h in header), key
    assert "x.old" in sheets["pendampingan"][0]
    assert sheets["pendampingan"][1][sheets["pendampingan"][0].index("x.old")] == "kept"
    assert set(sheets) >= {"pendataan", "rekonfirmasi", "rumah-tangga", "rumah-tangga ART", "monitoring", "indikator-risiko"}


def test_csv_is_a_zip_of_sheets(db: Database, region_data: dict[str, int]) -> None:
    filename, content = export_region(db, KEC_A, "csv", None, reason="rekonsiliasi Disdukcapil")
    assert filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert sorted(archive.namelist()) == sorted(f"{s}.csv" for s in
                                                 [LAMPIRAN2_SHEET, "Rumah Tangga", "Anggota Rumah Tangga", "Kunjungan", "Riwayat Status"])
    rows = list(csv.reader(io.StringIO(archive.read(f"{LAMPIRAN2_SHEET}.csv").decode("utf-8-sig"))))
    assert rows[0][:3] == ["NO", "NIK", "NAMA LENGKAP"]
    assert len(rows) == 2 and rows[1][4] == "05/07/2012" and rows[1][1] == NIK
    members = list(csv.reader(io.StringIO(archive.read("Anggota Rumah Tangga.csv").decode("utf-8-sig"))))
    assert len(members) == 4


def test_exports_are_audited(db: Database, region_data: dict[str, int], world: People) -> None:
    export_region(db, KEC_A, "xlsx", world.kecamatan_team)
    export_responses(db, KEC_A, "pendataan", "csv", world.kecamatan_team)
    with db.read() as session:
        entries = session.scalars(select(AuditLog).where(AuditLog.action.like("export.%")).order_by(AuditLog.id)).all()
    assert [(e.action, e.actor_id, e.region_code, e.subject_id) for e in entries] == [
        ("export.region", world.kecamatan_team, KEC_A, KEC_A),
        ("export.responses", world.kecamatan_team, KEC_A, KEC_A),
    ]
    assert entries[0].detail["format"] == "xlsx" and entries[0].detail["rows"][LAMPIRAN2_SHEET] == 1
    assert entries[1].detail["instruments"] == ["pendataan"]


def test_only_teams_in_their_region_may_export(db: Database, region_data: dict[str, int], world: People) -> None:
    for person, region in ((world.pendamping, KEC_A), (world.masyarakat, KEC_A), (world.kecamatan_team, KABUPATEN),
                           (world.kecamatan_team, "33.26.02")):
        with pytest.raises(NotAllowed):
            export_region(db, region, "xlsx", person)
    with pytest.raises(NotAllowed):
        export_responses(db, KABUPATEN, "pendataan", "xlsx", world.pendata)
    with db.read() as session:
        denied = session.scalars(select(AuditLog.action).where(AuditLog.action == "export.denied")).all()
        exported = session.scalars(select(AuditLog.action).where(AuditLog.action.like("export.re%"))).all()
    assert len(denied) == 5 and exported == []
    with pytest.raises(UnknownInstrument):
        export_responses(db, KABUPATEN, "nope", "xlsx", None)

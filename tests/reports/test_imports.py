"""Import of a Lampiran 2 list: validation report by row and column, duplicates merged, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.i18n import translator
from reports import import_check, imports
from reports.export import NotAllowed, export_region
from reports.imports import import_file
from reports.lampiran2 import COLUMNS
from storage.db import Database
from storage.models import AuditLog, Case, Child, Person, RecapCount, Response
from tests.reports.conftest import DESA_A1, DESA_A2, DESA_B1, KABUPATEN, KEC_A, TODAY, People, Seed

NIK_SITI = "3326014507120001"  # girl, 5 July 2012, Kandangserang
NIK_BUDI = "3326011203110002"  # boy, 12 March 2011


def row(**values: Any) -> list[Any]:
    base = {"NAMA LENGKAP": "Anak", "TANGGAL LAHIR": "01/02/2013", "L/P": "L", "DESA": "Klesem", "KECAMATAN": "Kandangserang",
            "KATEGORI": "Putus Sekolah", "SUMBER DATA": "DO Dapodik 2026"}
    base.update(values)
    return [base.get(column) for column in COLUMNS]


def xlsx(rows: list[list[Any]], *, title: bool = True) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    if title:
        sheet.append(["FORMAT PENDATAAN ANAK TIDAK SEKOLAH UPDATE PENDATAAN: BULAN November TAHUN 2026"])
    sheet.append(list(COLUMNS))
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return (session.execute(select(func.count()).select_from(Child)).scalar_one(),
                session.execute(select(func.count()).select_from(Case)).scalar_one(),
                session.execute(select(func.count()).select_from(Response)).scalar_one())


GOOD = [
    row(NO=1, NIK=NIK_SITI, **{"NAMA LENGKAP": "Siti Aminah", "TANGGAL LAHIR": dt.datetime(2012, 7, 5), "L/P": "P",
                               "ALASAN": "Tidak punya biaya", "PENDIDIKAN TERAKHIR": "Putus Kelas 8 (SMP/MTs)", "AGAMA": "islam",
                               "RT": 1, "RW": "02", "TAHUN KELUAR": 2024, "KELUAR KELAS": "8", "NAMA AYAH": "Tarno"}),
    row(NO=2, NIK=NIK_BUDI, **{"NAMA LENGKAP": "Budi", "TANGGAL LAHIR": "12-03-2011", "DESA": "desa bodas", "KATEGORI": "3",
                               "ALASAN": "Menikah dini"}),
    row(NO=3, **{"NAMA LENGKAP": "Cahya", "DESA": "Lambanggelun", "KECAMATAN": "", "KATEGORI": "LTM", "L/P": "Perempuan"}),
    row(NO=4, NIK=NIK_SITI, **{"NAMA LENGKAP": "SITI AMINAH", "TANGGAL LAHIR": "05/07/2012", "L/P": "P"}),  # same child as row 3
    row(NO=5, **{"NAMA LENGKAP": "Dewi", "TANGGAL LAHIR": "2015-01-09", "DESA": "KLESEM"}),
]


@pytest.mark.parametrize("parallel", [False, True], ids=["checked-here", "checked-by-a-worker"])
def test_import_creates_children_cases_and_forms(db: Database, world: People, parallel: bool) -> None:
    report = import_file(db, xlsx(GOOD), "do-2026.xlsx", actor_id=world.kabupaten_team, region_scope=KABUPATEN, today=TODAY,
                         parallel=parallel)
    assert report.errors == [], report.errors
    assert report.saved and (report.rows, report.created, report.merged, report.cases_opened) == (5, 4, 1, 4)
    assert [(w.row, w.column) for w in report.warnings] == [(4, "ALASAN"), (6, "NIK")]  # "Menikah dini" → Lainnya; merged
    assert counts(db) == (4, 4, 5)
    with db.read() as session:
        siti = session.scalars(select(Child).where(Child.name == "Siti Aminah")).one()
        assert siti.sex is not None
        assert (siti.sex.value, siti.birth_date, siti.region_code, siti.rt, siti.rw) == ("P", dt.date(2012, 7, 5), DESA_A1, "001", "002")
        assert siti.nik_encrypted is not None and db.cipher.decrypt_nik(siti.nik_encrypted) == NIK_SITI
        case = session.scalars(select(Case).where(Case.child_id == siti.id)).one()
        assert (case.status, case.category, case.region_code) == ("recorded", "2", DESA_A1)
        forms = session.scalars(select(Response).where(Response.child_id == siti.id).order_by(Response.id)).all()
        assert [f.instrument for f in forms] == ["impor", "impor"] and {f.case_id for f in forms} == {case.id}
        answers = forms[0].answers
        assert answers["3.1"] == "8" and answers["3.2"] == "10" and answers["1.8"] == "1" and answers["3.4"] == 2024
        assert answers["sumber_data"] == "DO Dapodik 2026" and answers["keluar_kelas"] == "8" and answers["2.1"] == "Tarno"
        assert forms[0].submitted_by == world.kabupaten_team
        budi = session.scalars(select(Case).join(Child).where(Child.name == "Budi")).one()
        assert (budi.region_code, budi.category) == (DESA_A2, "3")
        budi_form = session.scalars(select(Response).where(Response.case_id == budi.id)).one()
        assert budi_form.answers["3.1"] == "11" and budi_form.answers["3.1.lainnya"] == "Menikah dini"
        cahya = session.scalars(select(Case).join(Child).where(Child.name == "Cahya")).one()
        assert (cahya.region_code, cahya.category) == (DESA_B1, "3")
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "import.file")).one()
        assert audit.detail["created"] == 4 and audit.actor_id == world.kabupaten_team


def test_import_merges_with_children_already_recorded(db: Database, world: People, seed: Seed) -> None:
    _, open_case = seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK_SITI, status="accompanied")
    seed.case("Dewi", DESA_A1, sex="P", born=dt.date(2015, 1, 9), status="graduated")  # closed: a new case is opened
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert (report.created, report.merged, report.cases_opened) == (2, 3, 3)
    with db.read() as session:
        siti_cases = session.scalars(select(Case).join(Child).where(Child.name == "Siti Aminah")).all()
        assert [c.id for c in siti_cases] == [open_case] and siti_cases[0].status == "accompanied"
        dewi = session.scalars(select(Case.status).join(Child).where(Child.name == "Dewi").order_by(Case.id)).all()
        assert dewi == ["graduated", "recorded"]
        # the command line's imports are attributed to a person no one can be
        person = session.scalars(select(Person).where(Person.telegram_user_id == 0)).one()
        assert session.scalar(select(func.count()).select_from(Response).where(Response.submitted_by == person.id)) == 5


def test_validation_report_rejects_the_whole_file(db: Database, world: People) -> None:
    bad = [
        *GOOD[:2],
        row(NO=6, **{"NAMA LENGKAP": "Eko", "TANGGAL LAHIR": "31/02/2013"}),
        row(NO=7, **{"NAMA LENGKAP": "Fitri", "DESA": "Atlantis"}),
        row(NO=8, NIK="33260112031100", **{"NAMA LENGKAP": "Gilang"}),
        row(NO=9, **{"NAMA LENGKAP": "Hana", "L/P": "X", "RT": "1a", "KATEGORI": "entah", "TAHUN KELUAR": "20199"}),
        row(NO=10, **{"NAMA LENGKAP": "", "KECAMATAN": "Gotham"}),
        row(NO=11, **{"NAMA LENGKAP": "Iwan", "TANGGAL LAHIR": "01/01/2030"}),
    ]
    before = counts(db)
    report = import_file(db, xlsx(bad), "bad.xlsx", actor_id=world.kabupaten_team, region_scope=KABUPATEN, today=TODAY)
    assert report.rejected and not report.saved
    assert [(e.row, e.column) for e in report.errors] == [
        (5, "TANGGAL LAHIR"), (6, "DESA"), (7, "NIK"), (8, "L/P"), (8, "RT"), (8, "TAHUN KELUAR"), (8, "KATEGORI"),
        (9, "NAMA LENGKAP"), (9, "KECAMATAN"), (10, "TANGGAL LAHIR"),
    ]
    assert report.errors[0].message == 'not a date: "31/02/2013" (write DD/MM/YYYY)'
    assert report.errors[1].message == 'no desa "Atlantis" in Kandangserang'
    assert report.errors[2].message == 'not a valid NIK: "33260112031100" (16 digits)'
    assert counts(db) == before  # nothing half-imported
    text = report.render(translator("id"))
    assert text.splitlines()[0].startswith("Berkas ditolak")
    assert "baris 6, DESA" in text
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import.rejected")) == 1


def test_failure_while_publishing_leaves_nothing(db: Database, world: People, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two rows: the third chunk fails after two were published; all of it is taken back."""
    from reports import import_publish

    siti, _ = seed.case("Siti Aminah", DESA_A1, sex="P", born=None, nik=NIK_SITI)  # the import would fill her birth date
    before = counts(db)
    with db.read() as session:
        audit_before = session.scalar(select(func.count()).select_from(AuditLog))
        recap_before = sorted(tuple(r) for r in session.execute(select(*RecapCount.__table__.c)))
    calls = {"n": 0}
    original = import_publish.reserve_references

    def failing(session: Any, region: str, count: int, series: str) -> list[str]:
        calls["n"] += series == "F"  # once per chunk: its form receipts
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return original(session, region, count, series)

    monkeypatch.setattr(import_check, "CHUNK", 2)
    monkeypatch.setattr(import_publish, "reserve_references", failing)
    with pytest.raises(RuntimeError):
        import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert calls["n"] == 3 and counts(db) == before
    with db.read() as session:
        child = session.get(Child, siti)
        assert child is not None and child.birth_date is None and child.rt == "001"
        assert session.scalar(select(func.count()).select_from(AuditLog)) == audit_before
        assert sorted(tuple(r) for r in session.execute(select(*RecapCount.__table__.c))) == recap_before  # counts moved back


def test_dry_run_saves_nothing(db: Database, world: People) -> None:
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, dry_run=True, today=TODAY)
    assert (report.created, report.merged, report.saved) == (4, 1, False)
    assert counts(db) == (0, 0, 0)
    assert "Nothing was saved" in report.render(translator("en"))


def test_csv_with_semicolons_and_scope(db: Database, world: People) -> None:
    siti = row(NO=1, NIK=NIK_SITI, **{"NAMA LENGKAP": "Siti Aminah", "TANGGAL LAHIR": "05/07/2012", "L/P": "P"})
    lines = [";".join(COLUMNS), ";".join(str(v or "") for v in siti), ";".join(str(v or "") for v in GOOD[2])]
    content = "\n".join(lines).encode("cp1252")
    report = import_file(db, content, "daftar.csv", actor_id=None, region_scope=KEC_A, today=TODAY)
    # Lambanggelun is in Paninggaran: outside the kecamatan scope
    assert [(e.row, e.column) for e in report.errors] == [(3, "DESA")]
    report = import_file(db, "\n".join(lines[:2]).encode(), "daftar.csv", actor_id=None, region_scope=KEC_A, today=TODAY)
    assert report.saved and report.created == 1


def test_header_problems(db: Database, world: People) -> None:
    report = import_file(db, b"a,b,c\n1,2,3\n", "x.csv", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.errors[0].message.id == "No header row of the Format Pendataan ATS found (NO, NIK, NAMA LENGKAP, …, DESA, KECAMATAN)."
    report = import_file(db, b"NO,NAMA LENGKAP,NIK\n1,Ani,\n", "x.csv", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert str(report.errors[0].message) == "Missing column(s): DESA"
    report = import_file(db, b"\x00\x01garbage", "x.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.rejected and report.errors[0].message.id == imports.M.IMPORT_UNREADABLE
    report = import_file(db, xlsx([]), "x.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert str(report.errors[0].message) == "The file has no data rows."


def test_only_the_kabupaten_team_imports(db: Database, world: People) -> None:
    for person in (world.kecamatan_team, world.pendamping, world.masyarakat):
        with pytest.raises(NotAllowed):
            import_file(db, xlsx(GOOD), "do.xlsx", actor_id=person, region_scope=KABUPATEN, today=TODAY)
    with pytest.raises(NotAllowed):
        import_file(db, xlsx(GOOD), "do.xlsx", actor_id=world.kabupaten_team, region_scope="73.71", today=TODAY)
    assert counts(db) == (0, 0, 0)


def test_export_then_import_round_trip(db: Database, world: People) -> None:
    import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    _, content = export_region(db, KABUPATEN, "xlsx", None, reason="rekonsiliasi")  # full NIKs, to be read back
    report = import_file(db, content, "ekspor.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.errors == [] and (report.rows, report.created, report.merged, report.cases_opened) == (4, 0, 4, 0)
    _, content = export_region(db, KABUPATEN, "csv", None, reason="rekonsiliasi")
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(content))
    report = import_file(db, archive.read("Format Pendataan ATS.csv"), "ekspor.csv", actor_id=None, region_scope=KABUPATEN,
                         today=TODAY)
    assert report.errors == [] and report.created == 0


def test_recap_summary_after_a_bulk_import_equals_a_rebuild(db: Database, world: People, seed: Seed,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two rows, one child already recorded (merged, its birth date filled): the summary kept current
    chunk by chunk is what a rebuild from the cases gives."""
    from tests.reports.test_summary import rebuilt, snapshot

    seed.case("Siti Aminah", DESA_A1, sex="P", born=None, nik=NIK_SITI)
    monkeypatch.setattr(import_check, "CHUNK", 2)
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and report.merged == 2
    counted, facts = snapshot(db)
    assert len(facts) == 4 and (counted, facts) == rebuilt(db)


def test_overlong_and_formula_like_cells_are_a_report_not_a_crash(db: Database, world: People) -> None:
    """A pasted paragraph in NAMA LENGKAP or TEMPAT LAHIR is a row error by column (PostgreSQL would refuse it in
    the middle of the publication); a name like ``=HYPERLINK(…)`` is a name, kept as text and exported as text."""
    long_rows = [row(NO=1, **{"NAMA LENGKAP": "Siti " + "a" * 5000}), row(NO=2, **{"TEMPAT LAHIR": "Pekalongan " * 20}),
                 row(NO=3, ALAMAT="Dukuh " * 1000)]
    report = import_file(db, xlsx(long_rows), "panjang.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(3, "NAMA LENGKAP"), (4, "TEMPAT LAHIR")]
    assert str(report.errors[0].message) == "too long: at most 200 characters, this one has 5005"
    assert counts(db) == (0, 0, 0)
    hostile = '=HYPERLINK("http://evil.example","klik")'
    text = io.StringIO()  # as a CSV carries it (in an XLSX typed as a formula it would be one, with no value)
    csv.writer(text).writerows([COLUMNS, ["" if v is None else v for v in row(NO=1, **{"NAMA LENGKAP": hostile})]])
    report = import_file(db, text.getvalue().encode(), "rumus.csv", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and report.created == 1
    from openpyxl import load_workbook

    _, content = export_region(db, KABUPATEN, "xlsx", None)
    cells = [c for sheet in load_workbook(io.BytesIO(content)).worksheets for r in sheet.iter_rows() for c in r
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)  # text, never a formula

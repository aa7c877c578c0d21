"""Reconciliation of a Dapodik enrolment export against the ATS list: proposals only."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from reports.reconcile import EnrolmentFileError, reconcile
from storage.db import Database
from storage.models import Case, CaseEvent
from tests.reports.conftest import DESA_A1, DESA_B1, KABUPATEN, KEC_A, MAKASSAR_DESA, Seed

NIK_SITI = "3326014507120001"


def dapodik(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append(["Daftar Peserta Didik"])
    sheet.append(["SD NEGERI 1 KLESEM"])
    sheet.append(["Kecamatan Kandangserang, Kabupaten Pekalongan"])
    sheet.append([])
    sheet.append(["No", "Nama", "NIPD", "JK", "NISN", "Tempat Lahir", "Tanggal Lahir", "NIK", "Agama", "Rombel Saat Ini"])
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def ats(seed: Seed) -> dict[str, int]:
    ids = {}
    _, ids["siti"] = seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK_SITI, status="accompanied")
    _, ids["budi"] = seed.case("Budi", DESA_A1, nisn="0098765432", status="school_chosen")
    _, ids["cahya"] = seed.case("Cahya Putri", DESA_B1, sex="P", born=dt.date(2011, 4, 2), status="verified")
    _, ids["dodi"] = seed.case("Dodi", DESA_A1, born=dt.date(2010, 1, 1), status="back_in_school")  # already back
    _, ids["eka"] = seed.case("Eka", DESA_A1, born=dt.date(2013, 3, 3), status="recorded")  # other birth date in the list
    _, ids["fajar"] = seed.case("Fajar", MAKASSAR_DESA, born=dt.date(2012, 2, 2), status="recorded")  # other kabupaten
    _, ids["gita"] = seed.case("Gita", DESA_A1, born=dt.date(2012, 9, 9), nik="3326014909120001", status="recorded")
    return ids


ROWS = [
    [1, "SITI AMINAH", "1001", "P", "", "Pekalongan", dt.datetime(2012, 7, 5), NIK_SITI, "Islam", "Kelas 7A"],
    [2, "Budi Santoso", "1002", "L", "0098765432", "Pekalongan", "01/01/2012", "", "Islam", "Kelas 8"],
    [3, "cahya  putri", "1003", "P", "", "Pekalongan", "02/04/2011", "'3326010204110009", "Islam", "Kelas 9"],
    [4, "Dodi", "1004", "L", "", "Pekalongan", "01/01/2010", "", "Islam", "Kelas 6"],
    [5, "Eka", "1005", "L", "", "Pekalongan", "04/03/2013", "", "Islam", "Kelas 5"],
    [6, "Fajar", "1006", "L", "", "Pekalongan", "02/02/2012", "", "Islam", "Kelas 5"],
    [7, "Gita", "1007", "P", "", "Pekalongan", "09/09/2012", "3326014909120099", "Islam", "Kelas 5"],  # other NIK
]


def test_matches_by_nik_nisn_and_name_with_birth_date(db: Database, ats: dict[str, int]) -> None:
    matches = reconcile(db, dapodik(ROWS), "peserta-didik.xlsx", KABUPATEN)
    assert [(m.case_id, m.matched_by, m.row) for m in matches] == [
        (ats["siti"], "nik", 6), (ats["budi"], "nisn", 7), (ats["cahya"], "name+birth_date", 8),
    ]
    siti = matches[0]
    assert (siti.school, siti.class_level, siti.child_name, siti.status) == ("SD NEGERI 1 KLESEM", "Kelas 7A", "Siti Aminah", "accompanied")
    assert siti.reference.startswith("SEED-")


def test_scope_and_nothing_changed(db: Database, ats: dict[str, int]) -> None:
    with db.read() as session:
        before = [(c.id, c.status) for c in session.scalars(select(Case).order_by(Case.id))]
        events = len(session.scalars(select(CaseEvent)).all())
    matches = reconcile(db, dapodik(ROWS), "peserta-didik.xlsx", KEC_A)
    assert [m.case_id for m in matches] == [ats["siti"], ats["budi"]]  # Cahya lives in Paninggaran
    with db.read() as session:
        assert [(c.id, c.status) for c in session.scalars(select(Case).order_by(Case.id))] == before
        assert len(session.scalars(select(CaseEvent)).all()) == events


def test_csv_with_school_column(db: Database, ats: dict[str, int]) -> None:
    content = (b"Nama Peserta Didik;NISN;Tanggal Lahir;Nama Sekolah;Kelas\n"
               b"Budi;0098765432;01/01/2012;MTs Negeri 2 Pekalongan;7\n")
    [match] = reconcile(db, content, "emis.csv", KABUPATEN)
    assert (match.case_id, match.matched_by, match.school, match.class_level) == (ats["budi"], "nisn", "MTs Negeri 2 Pekalongan", "7")


def test_unusable_file(db: Database, ats: dict[str, int]) -> None:
    with pytest.raises(EnrolmentFileError):
        reconcile(db, b"a,b\n1,2\n", "x.csv", KABUPATEN)

"""The school list: CSV import checked row by row, all or nothing, upsert by NPSN; search for the parent's choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cases import messages as m
from cases.schools import SchoolImportError, import_schools, import_schools_file, school_by_npsn, schools_near, search_schools
from flows.registry import engine
from flows.schema import SCHOOL_KINDS
from storage.db import Database
from storage.models import AuditLog, Region, RegionLevel, School, SchoolLevel, SchoolStatus, TimeZone

SAMPLE = Path(__file__).resolve().parents[2] / "cases" / "data" / "sekolah-contoh.csv"
PEKALONGAN_KECAMATAN = {
    "33.26.08": "Kajen", "33.26.13": "Kedungwuni", "33.26.09": "Kesesi", "33.26.16": "Wiradesa", "33.26.11": "Bojong",
}
HEADER = "NPSN,NAMA,JENJANG,STATUS,ALAMAT,KODE_WILAYAH,KECAMATAN\n"


@pytest.fixture
def pekalongan(db: Database, regions: None) -> None:
    """Kandangserang (from the storage fixture) plus the kecamatan the sample list uses, and a namesake elsewhere."""
    with db.write() as session:
        for code, name in PEKALONGAN_KECAMATAN.items():
            session.add(Region(code=code, level=RegionLevel.KECAMATAN, kind="kecamatan", name=name, parent_code="33.26", timezone=TimeZone.WIB))
        session.add(Region(code="33.25", level=RegionLevel.KABUPATEN, kind="kabupaten", name="Kabupaten Batang", timezone=TimeZone.WIB))
        session.flush()
        session.add(Region(code="33.25.01", level=RegionLevel.KECAMATAN, kind="kecamatan", name="Kajen", parent_code="33.25", timezone=TimeZone.WIB))


def count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(School)) or 0)


def test_sample_list_imports_and_is_marked_as_examples(db: Database, pekalongan: None) -> None:
    result = import_schools_file(db, SAMPLE, scope="33.26")
    assert (result.created, result.updated) == (11, 0)
    pkbm = school_by_npsn(db, "p9960801")
    assert pkbm is not None and (pkbm.level, pkbm.status, pkbm.region_code) == (SchoolLevel.PKBM, SchoolStatus.SWASTA, "33.26.08")
    kedungwuni = school_by_npsn(db, "99261301")
    assert kedungwuni is not None and kedungwuni.region_code == "33.26.13" and kedungwuni.level is SchoolLevel.MTS
    with db.read() as session:
        names = session.scalars(select(School.name)).all()
        assert all(name.endswith("(contoh)") for name in names)
        assert session.scalars(select(AuditLog.action).where(AuditLog.action == "schools.import")).one()
    again = import_schools_file(db, SAMPLE, scope="33.26")
    assert (again.created, again.updated) == (0, 11) and count(db) == 11


def test_errors_are_reported_by_row_and_nothing_is_imported(db: Database, pekalongan: None) -> None:
    rows = [
        "99260801,SD Negeri 1 Kajen,SD,negeri,Jl. Mandurorejo,33.26.08,",  # row 2: fine
        "1234567,SD Salah,SD,negeri,,33.26.08,",  # row 3: 7 digits
        "99260802,,MI,swasta,,33.26.08,",  # row 4: no name
        "99260803,SMP X,SMU,negeri,,33.26.08,",  # row 5: unknown level
        "99260804,SMP Y,SMP,pemerintah,,33.26.08,",  # row 6: status
        "99260805,SMP Z,SMP,negeri,,33.26.99,",  # row 7: unknown region
        "99260806,SMP W,SMP,negeri,,,Atlantis",  # row 8: unknown kecamatan
        "99260801,SD Kembar,SD,negeri,,33.26.08,",  # row 9: NPSN repeated
        "99260807,SD Tanpa Wilayah,SD,negeri,,,",  # row 10: no region at all
        "99260808,SD Luar,SD,negeri,,33.25.01,",  # row 11: outside the scope
    ]
    text = HEADER + "".join(f"{row}\n" for row in rows)
    with pytest.raises(SchoolImportError) as failed:
        import_schools(db, text, scope="33.26")
    found = [(e.message, e.params["row"]) for e in failed.value.errors]
    assert found == [
        (m.ROW_NPSN, 3), (m.ROW_NAME, 4), (m.ROW_LEVEL, 5), (m.ROW_STATUS, 6), (m.ROW_REGION, 7),
        (m.ROW_KECAMATAN, 8), (m.ROW_NPSN_REPEATED, 9), (m.ROW_NO_REGION, 10), (m.ROW_OUTSIDE_SCOPE, 11),
    ]
    assert failed.value.errors[6].params == {"row": 9, "value": "99260801", "first": 2}
    assert count(db) == 0  # row 2 was fine, but nothing is imported


def test_existing_schools_survive_a_failed_import(db: Database, pekalongan: None) -> None:
    import_schools(db, HEADER + "99260801,SD Negeri 1 Kajen,SD,negeri,,33.26.08,\n")
    with pytest.raises(SchoolImportError):
        import_schools(db, HEADER + "99260801,SD Negeri 1 Kajen Baru,SD,negeri,,33.26.08,\nxx,Y,SD,negeri,,33.26.08,\n")
    school = school_by_npsn(db, "99260801")
    assert school is not None and school.name == "SD Negeri 1 Kajen"


def test_excel_semicolons_bom_lowercase_and_kecamatan_names(db: Database, pekalongan: None) -> None:
    text = "\ufeffnpsn;nama;jenjang;status;alamat;kecamatan\n99260803;SMP Negeri 1 Kajen;smp;NEGERI;Jl. Raya Kajen;Kec. Kajen\n"
    assert import_schools(db, text, scope="33.26").created == 1
    school = school_by_npsn(db, "99260803")
    assert school is not None and school.region_code == "33.26.08" and school.level is SchoolLevel.SMP
    with pytest.raises(SchoolImportError) as ambiguous:  # Kajen is also a kecamatan of Batang
        import_schools(db, text)
    assert ambiguous.value.errors[0].message == m.ROW_KECAMATAN_AMBIGUOUS


def test_file_level_problems(db: Database, pekalongan: None, tmp_path: Path) -> None:
    for text, message in [("", m.IMPORT_EMPTY), ("NPSN,NAMA\n1,2\n", m.IMPORT_MISSING_COLUMNS), (HEADER, m.IMPORT_EMPTY)]:
        with pytest.raises(SchoolImportError) as failed:
            import_schools(db, text)
        assert failed.value.errors[0].message == message
    latin = tmp_path / "sekolah.csv"
    latin.write_bytes((HEADER + "99260801,SD Négeri,SD,negeri,,33.26.08,\n").encode("latin-1"))
    with pytest.raises(SchoolImportError) as not_utf8:
        import_schools_file(db, latin)
    assert not_utf8.value.errors[0].message == m.IMPORT_NOT_UTF8


def test_search_for_the_parents_choice(db: Database, pekalongan: None) -> None:
    import_schools_file(db, SAMPLE, scope="33.26")
    smp = search_schools(db, "33.26", (SchoolLevel.SMP, SchoolLevel.MTS, SchoolLevel.SLB), None)
    assert [s.npsn for s in smp] == ["99261301", "99261101", "99260803"]  # MTs, SLB, SMP: by name
    assert [s.name for s in search_schools(db, "33.26.08", None, "pkbm")] == ["PKBM Bina Karya Kajen (contoh)"]
    assert [s.npsn for s in search_schools(db, "33.26", SchoolLevel.PKBM, "P996")] == ["P9960801", "P9961301"]
    assert [s.npsn for s in search_schools(db, "33.26", None, "negeri kajen")] == ["99260801", "99260803"]
    assert search_schools(db, "73.71", None, None) == []
    assert len(search_schools(db, None, None, None, limit=3)) == 3
    assert search_schools(db, "33.26", None, "100%_") == []


def test_instruments_name_only_kinds_of_school_the_list_has() -> None:
    assert SCHOOL_KINDS == {level.value for level in SchoolLevel}


def test_schools_offered_to_a_family_come_from_their_kecamatan_first(db: Database, pekalongan: None) -> None:
    import_schools_file(db, SAMPLE, scope="33.26")
    lookup = engine("pemilihan-sekolah", 1).compiled.layout.nodes["C.4"].question.schools
    assert lookup is not None
    smp = lookup.kinds_for({"C.1": "1", "C.2": "2"})
    paket = lookup.kinds_for({"C.1": "2", "C.3": "2"})
    assert lookup.kinds_for({"C.1": "1"}) is None
    kajen_desa = "33.26.08.2001"
    assert [s.npsn for s in schools_near(db, kajen_desa, smp)] == ["99260803", "99261301", "99261101"]  # Kajen's SMP first
    assert [s.npsn for s in schools_near(db, kajen_desa, paket)] == ["P9960801", "P9961301"]
    chosen = school_by_npsn(db, "99261302")
    assert chosen is not None
    offered = schools_near(db, kajen_desa, None, first=chosen.id, limit=3)
    assert [s.npsn for s in offered] == ["99261302", "99260802", "P9960801"]  # the chosen one, then Kajen by name
    assert schools_near(db, "73.71.01.1001", smp) == []

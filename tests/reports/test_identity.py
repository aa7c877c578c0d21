"""Identity rules: a NIK that belongs to a child with another name or sex is never merged; Excel-damaged NIKs
are refused naming Excel; the review list decides (merge, keep apart, fix the NIK), audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from reports.import_check import excel_damaged
from reports.imports import import_file
from storage.db import Database
from storage.models import AuditLog, Case, Child, IdentityConflict, Response, Sex
from storage.repositories.children import ChildIdentity, Match, decide_child, names_agree
from tests.reports.conftest import DESA_A1, KABUPATEN, TODAY, People, Seed
from tests.reports.test_imports import NIK_SITI, row, xlsx


def snapshot(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(int(session.scalar(select(func.count()).select_from(model)) or 0)
                     for model in (Child, Case, Response, IdentityConflict))


@pytest.mark.parametrize(("first", "second", "agree"), [
    ("Ayu Lestari", "Ayu L.", True), ("Ahmad Fauzi", "Akhmad Fauzi", True), ("Muh Rizky", "Muhammad Rizky", True),
    ("Nurhayati", "Nur Hayati", True), ("Siti Aminah", "SITI  aminah", True), ("Siti Aminah", "Siti Aminah Putri", True),
    ("Siti Aminah", "Budi Santoso", False), ("Dewi", "Eko", False), ("Ayu Lestari", "Bayu Lestari", True),
    ("Rina", "Rudi Hartono", False),
])
def test_names_agree(first: str, second: str, agree: bool) -> None:
    assert names_agree(first, second) is agree


@pytest.mark.parametrize(("raw", "damaged"), [
    (3326014507120000, True), (3.32601450712e15, True), ("3.32601E+15", True), ("3,32601E+15", True),
    ("3326014507120001.0", True), ("3326014507120000", True), ("'3326014507120001", False), ("3326014507120001", False),
    ("3326 0145 0712 0010", False), ("", False), (None, False), (7, False),
])
def test_excel_damage_is_recognised(raw: Any, damaged: bool) -> None:
    assert excel_damaged(raw) is damaged


def test_the_shared_rule(db: Database, seed: Seed) -> None:
    seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK_SITI)
    with db.read() as session:
        def decide(**changes: Any) -> Match:
            values: dict[str, Any] = {"name": "Siti Aminah", "region_code": DESA_A1, "nik": NIK_SITI, "sex": Sex.P}
            values.update(changes)
            return decide_child(session, db.cipher, ChildIdentity(**values)).match
        assert decide() is Match.SAME
        assert decide(name="siti aminah", sex=None) is Match.SAME
        assert decide(name="Budi Santoso", sex=Sex.L) is Match.CLASH
        assert decide(sex=Sex.L) is Match.CLASH
        assert decide(name="Joko") is Match.CLASH
        assert decide(nik="3326011203110002") is Match.NEW


def test_import_clash_goes_to_review_nothing_merged(db: Database, seed: Seed, world: People) -> None:
    siti_child, siti_case = seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK_SITI)
    rows = [row(NO=1, NIK=NIK_SITI, **{"NAMA LENGKAP": "Budi Santoso", "L/P": "L"})]
    report = import_file(db, xlsx(rows), "do.xlsx", actor_id=world.kabupaten_team, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and report.conflicts == 1 and report.merged == 0
    assert "kept apart for review" in report.render(lambda message, **p: message.format(**p))  # type: ignore[arg-type]
    with db.read() as session:
        siti = session.get(Child, siti_child)
        assert siti is not None and siti.name == "Siti Aminah" and siti.sex is Sex.P  # untouched
        assert session.scalars(select(Response.id).where(Response.child_id == siti_child)).all() == []
        budi = session.scalars(select(Child).where(Child.name == "Budi Santoso")).one()
        assert budi.nik_hash is None  # the NIK stays with the record that had it
        [conflict] = session.scalars(select(IdentityConflict)).all()
        assert (conflict.existing_child_id, conflict.held_child_id, conflict.status, conflict.source) == (siti_child, budi.id, "open", "import")
        assert conflict.nik_hash == db.cipher.nik_hash(NIK_SITI) and NIK_SITI.encode() not in conflict.nik_encrypted
        assert session.scalars(select(Case.child_id).where(Case.id != siti_case)).all() == [budi.id]
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "identity.conflict")) == 1


def test_clash_within_one_file(db: Database, world: People) -> None:
    rows = [row(NO=1, NIK=NIK_SITI, **{"NAMA LENGKAP": "Siti Aminah", "L/P": "P"}),
            row(NO=2, NIK=NIK_SITI, **{"NAMA LENGKAP": "Budi Santoso", "L/P": "L"}),
            row(NO=3, NIK=NIK_SITI, **{"NAMA LENGKAP": "Siti Aminah", "L/P": "P"})]
    report = import_file(db, xlsx(rows), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and (report.created, report.merged, report.conflicts) == (1, 1, 1)
    assert [(w.row, w.column, w.message.id) for w in report.warnings if w.message.id != "the NIK says born {nik_date}"] == [
        (4, "NIK", "same NIK as row {row}, but another name or sex: kept apart for the team to review"),
        (5, "NIK", "same child as row {row}: merged"),
    ]
    with db.read() as session:
        names = sorted(session.scalars(select(Child.name)).all())
        assert names == ["Budi Santoso", "Siti Aminah"]
        assert session.scalar(select(func.count()).select_from(IdentityConflict)) == 1


def test_excel_cut_niks_are_refused_naming_excel(db: Database, world: People) -> None:
    before = snapshot(db)
    rows = [row(NO=1, NIK=3326014507120001, **{"NAMA LENGKAP": "Siti"}), row(NO=2, NIK="3.32601E+15", **{"NAMA LENGKAP": "Budi"})]
    report = import_file(db, xlsx(rows), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.rejected and [(e.row, e.column) for e in report.errors] == [(3, "NIK"), (4, "NIK")]
    assert all("Excel" in e.message and "Text" in e.message for e in report.errors)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(["NO", "NIK", "NAMA LENGKAP", "DESA", "KECAMATAN"])
    out.writerow([1, "3,32601E+15", "Siti", "Klesem", "Kandangserang"])
    out.writerow([2, "3326014507120000", "Budi", "Klesem", "Kandangserang"])
    report = import_file(db, buffer.getvalue().encode(), "do.csv", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.rejected and len(report.errors) == 2 and all("Excel" in e.message for e in report.errors)
    from core.i18n import translator

    assert "Excel" in report.render(translator("id"))
    assert snapshot(db) == before

"""Reconciliation: a ministry enrolment export (Dapodik or EMIS) matched against the ATS list.

Districts do this by hand today: each out-of-school child still followed (an open case, not back in school)
is looked for among the enrolled pupils by NIK, then NISN, then normalized name + birth date. Every match is
a *proposal* that the child is back in school, for the team to confirm (the case workflow records the return):
nothing is changed here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from flows.messages import Problem
from flows.values import parse_date
from reports.import_check import _text
from reports.lampiran2 import header_key
from reports.sql import OUT_OF_SCHOOL_OPEN, in_scope
from reports.tables import read_table
from storage.db import Database
from storage.models import Case, Child
from storage.published import published
from storage.repositories.children import normalize_name

BATCH = 500
HEADER_SCAN_ROWS = 20

ENROLMENT_ALIASES = {
    "name": ("NAMA", "NAMA LENGKAP", "NAMA PESERTA DIDIK", "NAMA SISWA", "NAMA PD", "NAMA MURID"),
    "nik": ("NIK", "NIK PESERTA DIDIK", "NIK SISWA", "NO NIK", "NOMOR NIK"),
    "nisn": ("NISN",),
    "birth_date": ("TANGGAL LAHIR", "TGL LAHIR", "TANGGAL LHR", "TGL LHR"),
    "school": ("SEKOLAH", "NAMA SEKOLAH", "SATUAN PENDIDIKAN", "NAMA SATUAN PENDIDIKAN", "NAMA LEMBAGA", "MADRASAH",
               "NAMA MADRASAH", "SEKOLAH TUJUAN"),
    "npsn": ("NPSN", "NSM", "NPSN/NSM"),
    "class_level": ("KELAS", "ROMBEL", "ROMBEL SAAT INI", "ROMBONGAN BELAJAR", "TINGKAT", "TINGKAT PENDIDIKAN", "KELAS SAAT INI"),
}
_ALIASES = {header_key(alias): key for key, aliases in ENROLMENT_ALIASES.items() for alias in aliases}
_SCHOOL_TITLE = re.compile(r"\b(SD|SMP|SMA|SMK|MI|MTS|MA|SLB|PKBM|SKB)\b", re.IGNORECASE)


class EnrolmentFileError(ValueError):
    """The file has no columns to match on (NIK, NISN, or name and birth date)."""


@dataclass(frozen=True)
class Match:
    """A child of the ATS list found enrolled: propose ``back_in_school`` for ``case_id``."""

    child_id: int
    case_id: int
    matched_by: str
    """``nik``, ``nisn`` or ``name+birth_date``."""
    school: str | None
    class_level: str | None
    row: int = 0
    """The row of the enrolment file (1-based, as the spreadsheet shows it)."""
    reference: str = ""
    child_name: str = ""
    status: str = ""
    npsn: str | None = None


@dataclass
class _Pupil:
    row: int
    name: str | None
    nik: str | None
    nisn: str | None
    birth_date: dt.date | None
    school: str | None
    npsn: str | None
    class_level: str | None


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    best: tuple[int, dict[str, int]] = (-1, {})
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for position, cell in enumerate(row):
            key = _ALIASES.get(header_key(cell))
            if key and key not in found:
                found[key] = position
        usable = "nik" in found or "nisn" in found or {"name", "birth_date"} <= set(found)
        if usable and len(found) > len(best[1]):
            best = (index, found)
    if best[0] < 0:
        raise EnrolmentFileError("no NIK, NISN or name and birth date columns")
    return best


def _school_from_title(rows: list[list[Any]], header_index: int, filename: str) -> str | None:
    """Dapodik and EMIS exports name the school above the table ("Daftar Peserta Didik SD NEGERI 1 …")."""
    for row in rows[:header_index]:
        for cell in row:
            text = _text(cell)
            if text and _SCHOOL_TITLE.search(text):
                return re.sub(r"(?i)^daftar (peserta didik|siswa)\s*", "", text).strip() or text
    stem = Path(filename).stem
    return stem if _SCHOOL_TITLE.search(stem) else None


def read_enrolment(content: str | Path | bytes, filename: str, today: dt.date | None = None) -> list[_Pupil]:
    rows = read_table(content, filename)
    header_index, columns = _header(rows)
    title_school = _school_from_title(rows, header_index, filename)
    today = today or dt.date.today()
    pupils = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        def cell(key: str, row: list[Any] = row) -> Any:
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        name = _text(cell("name")) or None
        nik = re.sub(r"\D", "", _text(cell("nik")).lstrip("'")) or None
        nisn = re.sub(r"\D", "", _text(cell("nisn")).lstrip("'")) or None
        raw_date = cell("birth_date")
        birth = None
        if isinstance(raw_date, dt.datetime):
            birth = raw_date.date()
        elif isinstance(raw_date, dt.date):
            birth = raw_date
        elif _text(raw_date):
            parsed = parse_date(_text(raw_date), today)
            birth = None if isinstance(parsed, Problem) else dt.date.fromisoformat(parsed)
        if not (name or nik or nisn):
            continue
        pupils.append(_Pupil(
            row=offset, name=name, nik=nik if nik and len(nik) == 16 else None, nisn=nisn if nisn and len(nisn) == 10 else None,
            birth_date=birth, school=_text(cell("school")) or title_school, npsn=_text(cell("npsn")) or None,
            class_level=_text(cell("class_level")) or None,
        ))
    return pupils


def reconcile(db: Database, path_or_bytes: str | Path | bytes, filename: str, region_scope: str) -> list[Match]:
    """Children followed in ``region_scope`` (open cases not back in school) found in an enrolment export.

    One proposal per case: the strongest key wins (NIK, then NISN, then name + birth date). Read only.
    """
    pupils = read_enrolment(path_or_bytes, filename)
    region_scope = (region_scope or "").strip()
    cipher = db.cipher
    by_hash = {cipher.nik_hash(p.nik): p for p in pupils if p.nik}
    by_nisn = {p.nisn: p for p in pupils if p.nisn}
    by_name: dict[tuple[str, dt.date], _Pupil] = {}
    for p in pupils:
        if p.name and p.birth_date:
            by_name.setdefault((normalize_name(p.name), p.birth_date), p)

    found: dict[int, Match] = {}
    base = (
        select(Case.id, Case.reference, Case.status, Child.id, Child.name, Child.nik_hash, Child.nisn, Child.name_normalized,
               Child.birth_date)
        .join(Child, Child.id == Case.child_id)
        .where(Case.status.in_(OUT_OF_SCHOOL_OPEN), Case.duplicate_of.is_(None), in_scope(Case.region_code, region_scope),
               published(Case))
    )

    def look(column: Any, values: list[Any], how: str, pick: Any) -> None:
        with db.read() as session:
            for start in range(0, len(values), BATCH):
                for case_id, reference, status, child_id, name, nik_hash, nisn, normalized, born in session.execute(
                    base.where(column.in_(values[start : start + BATCH])).order_by(Case.id)
                ):
                    pupil = pick(nik_hash, nisn, normalized, born)
                    if pupil is None or case_id in found:
                        continue
                    if how != "nik" and pupil.nik and nik_hash and cipher.nik_hash(pupil.nik) != nik_hash:
                        continue  # two different NIKs: two different children
                    found[case_id] = Match(child_id, case_id, how, pupil.school, pupil.class_level, pupil.row, reference, name,
                                           status, pupil.npsn)

    look(Child.nik_hash, list(by_hash), "nik", lambda h, n, nm, b: by_hash.get(h))
    look(Child.nisn, list(by_nisn), "nisn", lambda h, n, nm, b: by_nisn.get(n))
    look(Child.name_normalized, sorted({name for name, _ in by_name}), "name+birth_date",
         lambda h, n, nm, b: by_name.get((nm, b)) if b else None)
    return sorted(found.values(), key=lambda m: (m.row, m.case_id))

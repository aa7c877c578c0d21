"""The district's school list: CSV import (all or nothing, upsert by NPSN) and search for the parent's choice.

The CSV has one school per row with the columns ``NPSN, NAMA, JENJANG, STATUS, ALAMAT`` and either
``KODE_WILAYAH`` (a Kemendagri code: kabupaten, kecamatan or desa) or ``KECAMATAN`` (a kecamatan name, looked
up inside ``scope``). Column names are case-insensitive; commas, semicolons (Excel in Indonesian) and tabs
are all accepted as separators. Every row is checked before anything is written: one bad row and nothing
is imported, and every error names its row (the header is row 1, as in a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select

from cases import messages as m
from core.authz import covers
from storage.db import Database
from storage.models import Region, RegionLevel, School, SchoolLevel, SchoolStatus
from storage.repositories.audit import add_entry

NPSN = re.compile(r"^(?:[0-9]{8}|P[0-9]{7})$")
"""8 digits; nonformal units (PKBM, SKB) have P and 7 digits, e.g. P9970512."""
REQUIRED_COLUMNS = ("NPSN", "NAMA", "JENJANG", "STATUS")
REGION_COLUMNS = ("KODE_WILAYAH", "KECAMATAN")
_LEVELS = {level.value.upper(): level for level in SchoolLevel}
_STATUSES = {"NEGERI": SchoolStatus.NEGERI, "N": SchoolStatus.NEGERI, "SWASTA": SchoolStatus.SWASTA, "S": SchoolStatus.SWASTA}



@dataclass(frozen=True)
class RowError:
    """One problem of the file: a message id of :mod:`cases.messages` and its parameters (``row`` among them)."""

    message: str
    params: dict[str, object]


class SchoolImportError(Exception):
    """Nothing was imported; ``errors`` lists every problem found, in row order."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors: " + "; ".join(e.message.format(**e.params) for e in errors[:5]))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


@dataclass(frozen=True)
class _Row:
    npsn: str
    name: str
    level: SchoolLevel
    status: SchoolStatus
    address: str | None
    region_code: str | None


def import_schools_file(db: Database, path: Path, *, scope: str | None = None, actor_id: int | None = None) -> ImportResult:
    """:func:`import_schools` from a file (UTF-8, with or without BOM)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SchoolImportError([RowError(m.IMPORT_NOT_UTF8, {})]) from None
    return import_schools(db, text, scope=scope, actor_id=actor_id)


def import_schools(db: Database, text: str, *, scope: str | None = None, actor_id: int | None = None) -> ImportResult:
    """Check every row, then insert new schools and update known ones (by NPSN) in one transaction.

    ``scope`` (e.g. ``33.26``) is the kabupaten whose list this is: KECAMATAN names are looked up there and
    every region must lie inside it. Raises :class:`SchoolImportError` listing all problems, writing nothing.
    """
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), dialect=_dialect(text))
    rows = [row for row in reader]
    if not rows:
        raise SchoolImportError([RowError(m.IMPORT_EMPTY, {})])
    header = [cell.strip().upper() for cell in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if not any(c in header for c in REGION_COLUMNS):
        missing.append(" / ".join(REGION_COLUMNS))
    if missing:
        raise SchoolImportError([RowError(m.IMPORT_MISSING_COLUMNS, {"columns": ", ".join(missing)})])
    column = {name: header.index(name) for name in (*REQUIRED_COLUMNS, "ALAMAT", *REGION_COLUMNS) if name in header}
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    if not body:
        raise SchoolImportError([RowError(m.IMPORT_EMPTY, {})])

    with db.read() as session:
        regions = {code: (level, name) for code, level, name in session.execute(select(Region.code, Region.level, Region.name))}
    kecamatan_by_name: dict[str, list[str]] = {}
    for code, (level, name) in regions.items():
        if level is RegionLevel.KECAMATAN and (scope is None or covers(scope, code)):
            kecamatan_by_name.setdefault(_key(name), []).append(code)

    errors: list[RowError] = []
    parsed: list[_Row] = []
    first_row: dict[str, int] = {}
    for number, row in body:
        def cell(name: str, row: list[str] = row) -> str:
            index = column.get(name)
            return " ".join(row[index].split()) if index is not None and index < len(row) else ""

        problems: list[RowError] = []
        npsn = cell("NPSN").upper()
        if not NPSN.match(npsn):
            problems.append(RowError(m.ROW_NPSN, {"row": number, "value": npsn}))
        elif npsn in first_row:
            problems.append(RowError(m.ROW_NPSN_REPEATED, {"row": number, "value": npsn, "first": first_row[npsn]}))
        else:
            first_row[npsn] = number
        name = cell("NAMA")
        if not name or len(name) > 200:
            problems.append(RowError(m.ROW_NAME, {"row": number}))
        kind = _LEVELS.get(cell("JENJANG").upper())
        if kind is None:
            problems.append(RowError(m.ROW_LEVEL, {"row": number, "value": cell("JENJANG"), "allowed": ", ".join(_LEVELS.values())}))
        status = _STATUSES.get(cell("STATUS").upper())
        if status is None:
            problems.append(RowError(m.ROW_STATUS, {"row": number, "value": cell("STATUS")}))
        region_code, problem = _region(number, cell("KODE_WILAYAH"), cell("KECAMATAN"), regions, kecamatan_by_name, scope)
        if problem is not None:
            problems.append(problem)
        errors += problems
        if not problems:
            assert kind is not None and status is not None
            parsed.append(_Row(npsn, name, kind, status, cell("ALAMAT") or None, region_code))
    if errors:
        raise SchoolImportError(errors)

    created = updated = 0
    with db.write() as session:
        known = {s.npsn: s for s in session.scalars(select(School).where(School.npsn.in_([r.npsn for r in parsed])))}
        for item in parsed:
            school = known.get(item.npsn)
            if school is None:
                session.add(School(npsn=item.npsn, name=item.name, level=item.level, status=item.status, address=item.address,
                                   region_code=item.region_code))
                created += 1
            else:
                school.name, school.level, school.status, school.address, school.region_code = (
                    item.name, item.level, item.status, item.address, item.region_code)
                updated += 1
        add_entry(session, "schools.import", "school", scope or "-", actor_id=actor_id, region_code=scope,
                  detail={"created": created, "updated": updated})
    return ImportResult(created, updated)


def search_schools(
    db: Database,
    region_scope: str | None,
    level: SchoolLevel | Iterable[SchoolLevel] | None,
    text: str | None,
    *,
    limit: int = 8,
) -> list[School]:
    """Schools for the parent's choice buttons, by name: inside ``region_scope`` (a Kemendagri prefix, e.g. the
    child's kabupaten; None = everywhere), of the given kind(s), whose name contains ``text`` (any case) or whose
    NPSN starts with it. Detached snapshots, ordered by name."""
    query = select(School)
    if region_scope:
        query = query.where(or_(School.region_code == region_scope, School.region_code.like(region_scope + ".%")))
    if level is not None:
        levels = [level] if isinstance(level, SchoolLevel) else list(level)
        query = query.where(School.level.in_(levels))
    words = (text or "").split()
    for word in words:
        query = query.where(or_(func.lower(School.name).contains(word.lower(), autoescape=True),
                                School.npsn.startswith(word.upper(), autoescape=True)))
    with db.read() as session:
        return list(session.scalars(query.order_by(School.name, School.npsn).limit(limit)))


def schools_near(db: Database, region_code: str | None, kinds: Iterable[str] | None, *, first: int | None = None,
                 limit: int = 8) -> list[School]:
    """The schools to offer a family: ``first`` (e.g. the school they chose), then those of the child's kecamatan,
    then the rest of the kabupaten, of the given kinds (None = any)."""
    levels = None if kinds is None else [SchoolLevel(k) for k in kinds]
    chosen = school_by_id(db, first) if first is not None else None
    offered = {chosen.id: chosen} if chosen is not None else {}
    parts = (region_code or "").split(".")
    scopes = [".".join(parts[:3]), ".".join(parts[:2])] if len(parts) >= 2 else [None]
    for scope in scopes:
        if len(offered) >= limit:
            break
        for school in search_schools(db, scope, levels, None, limit=limit + len(offered)):
            offered.setdefault(school.id, school)
    return list(offered.values())[:limit]


def school_by_id(db: Database, school_id: int) -> School | None:
    with db.read() as session:
        return session.get(School, school_id)


def school_by_npsn(db: Database, npsn: str) -> School | None:
    with db.read() as session:
        return session.scalar(select(School).where(School.npsn == npsn.strip().upper()))


def _region(
    number: int, code: str, kecamatan: str, regions: dict[str, tuple[RegionLevel, str]],
    kecamatan_by_name: dict[str, list[str]], scope: str | None,
) -> tuple[str | None, RowError | None]:
    if code:
        if code not in regions:
            return None, RowError(m.ROW_REGION, {"row": number, "value": code})
        if scope and not covers(scope, code):
            return None, RowError(m.ROW_OUTSIDE_SCOPE, {"row": number, "value": code, "scope": scope})
        return code, None
    if not kecamatan:
        return None, RowError(m.ROW_NO_REGION, {"row": number})
    codes = kecamatan_by_name.get(_key(kecamatan), [])
    if not codes:
        return None, RowError(m.ROW_KECAMATAN, {"row": number, "value": kecamatan, "scope": scope or "-"})
    if len(codes) > 1:
        return None, RowError(m.ROW_KECAMATAN_AMBIGUOUS, {"row": number, "value": kecamatan})
    return codes[0], None


def _key(name: str) -> str:
    """``Kec. Kajen`` → ``kajen``."""
    name = re.sub(r"^\s*(kec\.?|kecamatan)\s+", "", name, flags=re.IGNORECASE)
    return " ".join(name.lower().split())


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    first = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        return csv.excel

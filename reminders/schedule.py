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

import bisect
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

from sqlalchemy import String, cast, func, or_, select, text, update
from sqlalchemy.orm import Session

from reminders import rules
from reminders.rules import CASE_KINDS, RELEVANT_STATUSES, TEAM_ROLES, WATCHED_ROLES, CaseSnapshot, Due, Existing, Recipient, TeamMember
from reminders.settings import ReminderSettings
from storage.db import Database
from storage.models import Assignment, Case, CaseEvent, Person, Region, Reminder, ReminderState, Response, TimeZone, Visit
from storage.repositories.sql import upsert_insert

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
        teams[region].append(TeamMember(pid, role.value, region, zones.get(region, DEFAULT_ZONE), created, not unreachable and chat is not None))
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
        teams[region].append(TeamMember(pid, role.value, region, zones.get(region, DEFAULT_ZONE), created, not unreachable and chat is not None))
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
    table = Reminder.__table__
    statement = upsert_insert(session, table).on_conflict_do_nothing().returning(table.c.id)
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
    """Evaluate the rules for every open case, every team member and every unreachable person; store what is due.

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
            open_rows = _open_case_rows(session)
        _cases(db, settings, now, horizon, context, open_rows, report, dry_run)
        _others(db, settings, now, horizon, context, report, dry_run)
    report.seconds = time.perf_counter() - started
    log.info("reminders materialised %s", report.as_dict())
    return report


def _open_case_rows(session: Session) -> dict[int, list[_OpenRow]]:
    """Pending and snoozed rows of case reminders, by case (few: they are sent within minutes or days)."""
    found: dict[int, list[_OpenRow]] = defaultdict(list)
    rows = session.execute(
        select(Reminder.id, Reminder.case_id, Reminder.kind, Reminder.person_id, Reminder.period)
        .where(Reminder.state.in_(OPEN_STATES), Reminder.case_id.is_not(None), Reminder.kind.in_([str(k) for k in CASE_KINDS]))
    )
    for rid, case_id, kind, person, period in rows:
        found[case_id].append(_OpenRow(rid, (kind, person, period)))
    return dict(found)


def _cases(
    db: Database,
    settings: ReminderSettings,
    now: dt.datetime,
    horizon: dt.datetime,
    context: Context,
    open_rows: dict[int, list[_OpenRow]],
    report: ScheduleReport,
    dry_run: bool,
) -> None:
    open_ids = sorted(open_rows)
    after = 0
    while True:
        with db.read() as session:
            snapshots = _snapshots(session, context, after, settings.materialise_batch)
            if not snapshots:
                break
            report.cases_seen += len(snapshots)
            hi = snapshots[-1].case_id
            due_cases = []
            for case in snapshots:
                current = rules.cycle(case, settings, horizon)
                first = rules.first_due(case, settings, current)
                if first is not None and first <= horizon:
                    due_cases.append((case, current))
            existing = _existing(session, [(c.case_id, cur.period) for c, cur in due_cases if cur is not None])
        report.cases_due += len(due_cases)
        wanted: list[Due] = []
        wanted_keys: dict[int, set[tuple[str, int, str]]] = defaultdict(set)
        for case, current in due_cases:
            stored = existing.get(case.case_id, [])
            stored_keys = {(e.kind, e.person_id, e.period) for e in stored}
            for due in rules.case_reminders(case, settings, now, stored, horizon, current):
                wanted_keys[case.case_id].add((str(due.kind), due.person_id, due.period))
                if (str(due.kind), due.person_id, due.period) not in stored_keys:
                    wanted.append(due)
        # Open rows of cases in [after+1, hi] that the rules no longer want (or whose case left the open statuses).
        stale: list[int] = []
        start, stop = bisect.bisect_right(open_ids, after), bisect.bisect_right(open_ids, hi)
        for case_id in open_ids[start:stop]:
            stale.extend(row.id for row in open_rows[case_id] if row.key not in wanted_keys.get(case_id, ()))
        _write(db, wanted, stale, now, report, dry_run, "stale: the period's log arrived or the case moved on")
        after = hi
    # Open rows of cases past the last open case.
    stale = [row.id for case_id in open_ids[bisect.bisect_right(open_ids, after):] for row in open_rows[case_id]]
    _write(db, [], stale, now, report, dry_run, "stale: the case is closed")


def _write(db: Database, wanted: list[Due], stale: list[int], now: dt.datetime, report: ScheduleReport, dry_run: bool, why: str) -> int:
    if dry_run:
        report.planned.extend(wanted)
        return 0
    if not wanted and not stale:
        return 0
    with db.write() as session:
        inserted = insert_dues(session, wanted, now)
        report.cancelled += cancel(session, stale, now, why)
    report.inserted += inserted
    return inserted


def _snapshots(session: Session, context: Context, after: int, limit: int) -> list[CaseSnapshot]:
    """The next ``limit`` open cases after id ``after``, with their dates, pendamping and village team.

    Core queries on the session's connection (no ORM rows): this runs over every open case of the district.
    """
    conn = session.connection()
    cases = conn.execute(
        select(Case.id, Case.status, Case.region_code)
        .where(Case.id > after, Case.status.in_(RELEVANT_STATUSES))
        .order_by(Case.id).limit(limit)
    ).all()
    if not cases:
        return []
    lo, hi = cases[0][0], cases[-1][0]
    events = dict(conn.execute(
        select(CaseEvent.case_id, func.max(CaseEvent.at))
        .where(CaseEvent.case_id.between(lo, hi), or_(CaseEvent.event.is_(None), CaseEvent.event != rules.HANDOVER_EVENT))
        .group_by(CaseEvent.case_id)
    ).all())
    visits = dict(conn.execute(
        select(Visit.case_id, func.max(Visit.visit_date)).where(Visit.case_id.between(lo, hi)).group_by(Visit.case_id)
    ).all())
    logs = dict(conn.execute(
        select(Response.case_id, func.max(Response.submitted_at))
        .where(Response.case_id.between(lo, hi), Response.instrument.in_(rules.LOG_INSTRUMENTS))
        .group_by(Response.case_id)
    ).all())
    pendamping: dict[int, tuple[int, bool, str | None]] = {}
    for case_id, pid, unreachable, chat, region in conn.execute(
        select(Assignment.case_id, Assignment.pendamping_id, Person.unreachable, Person.telegram_chat_id, Person.region_code)
        .join(Person, Person.id == Assignment.pendamping_id)
        .where(Assignment.case_id.between(lo, hi), Assignment.active.is_(True))
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
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC)


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
    """Recaps and evaluations for the teams, notices about people the bot cannot reach."""
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


def _known_keys(session: Session, dues: Sequence[Due]) -> set[tuple[str, int, int, str]]:
    if not dues:
        return set()
    rows = session.execute(
        select(Reminder.kind, Reminder.case_id, Reminder.person_id, Reminder.period)
        .where(Reminder.person_id.in_({d.person_id for d in dues}), Reminder.period.in_({d.period for d in dues}))
    )
    return {(kind, case_id or 0, person, period) for kind, case_id, person, period in rows}

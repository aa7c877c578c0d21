"""Each case's next reminder check, kept current without looking at every open case.

``case_reminder_due`` holds, per case that expects a log, the instant its next reminder falls due (or its
stored reminders must be looked at again). It is written

* in the transaction that changes the case's inputs (status, visit, form, assignment, snooze: the writers call
  :func:`storage.derived.case_changed`, and :func:`refresh_cases` runs before the commit): the first due instant
  after the latest log, or sooner when the case still has unsent reminders; reminders of a period the new log
  closed, or of a case that expects no log any more, are cancelled there and then, so they are never sent;
* by the materialisation, after evaluating a case (:func:`reminders.rules.next_check`);
* by :func:`reconcile`, once a day, in a few set-based statements: cases a writer forgot, cases whose inputs
  changed behind the bot's back (a restored backup, a manual SQL fix), cases that left the statuses expecting
  a log.

The materialisation then reads ``due_at <= horizon`` on an index: the cases with something due, not all of them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, insert, literal, or_, select, union, update
from sqlalchemy.orm import Session

from reminders import rules
from reminders.rules import CASE_KINDS, RELEVANT_STATUSES, TEAM_ROLES, TeamMember
from reminders.schedule import DEFAULT_ZONE, OPEN_STATES, Context, snapshots_of, write_checks
from reminders.settings import ReminderSettings, get_reminder_settings
from storage.db import Database
from storage.models import (
    Assignment,
    Case,
    CaseEvent,
    CaseReminderDue,
    Person,
    Region,
    Reminder,
    ReminderState,
    Response,
    Visit,
)
from storage.repositories.sql import any_of
from storage.types import utcnow

log = logging.getLogger(__name__)
CASE_KIND_VALUES = [str(k) for k in CASE_KINDS]


def refresh_cases(session: Session, case_ids: set[int], settings: ReminderSettings | None = None) -> None:
    """Recompute the next check of these cases inside the caller's transaction (see the module docstring).

    Independent of the clock: the check is the first period after the latest log (or the earliest unsent
    reminder), so a simulated clock and the real one agree.
    """
    settings = settings or get_reminder_settings()
    now = utcnow()
    conn = session.connection()
    rows = conn.execute(select(Case.id, Case.status, Case.region_code).where(any_of(Case.id, sorted(case_ids)))).all()
    relevant = [r for r in rows if r[1] in RELEVANT_STATUSES]
    gone = sorted(case_ids - {r[0] for r in relevant})
    if gone:
        _cancel(session, any_of(Reminder.case_id, gone), now, "stale: the case is closed")
        session.execute(delete(CaseReminderDue).where(any_of(CaseReminderDue.case_id, gone)))
    if not relevant:
        return
    ids = [r[0] for r in relevant]
    snapshots = snapshots_of(session, context_for(session, ids, {r[2] for r in relevant}), relevant)
    open_rows: dict[int, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for rid, case_id, period, due_at in conn.execute(
        select(Reminder.id, Reminder.case_id, Reminder.period, Reminder.due_at)
        .where(any_of(Reminder.case_id, ids), Reminder.state.in_(OPEN_STATES), Reminder.kind.in_(CASE_KIND_VALUES))
    ):
        if case_id is not None:
            open_rows[case_id].append((rid, period, due_at))
    checks: dict[int, dt.datetime | None] = {}
    stale: list[int] = []
    for case in snapshots:
        first = rules.first_cycle(case, settings)
        if first is None:
            checks[case.case_id] = None
            stale.extend(rid for rid, _, _ in open_rows[case.case_id])
            continue
        closed_by_log = [rid for rid, period, _ in open_rows[case.case_id] if period <= first.since.isoformat()]
        stale.extend(closed_by_log)
        waiting = [_utc(due) for rid, _, due in open_rows[case.case_id] if rid not in closed_by_log]
        candidates = [at for at in (rules.first_due(case, settings, first), *waiting) if at is not None]
        checks[case.case_id] = min(candidates) if candidates else None
    if stale:
        _cancel(session, any_of(Reminder.id, stale), now, "stale: the period's log arrived or the case moved on")
    write_checks(session, checks, now)


def context_for(session: Session, case_ids: list[int], regions: set[str]) -> Context:
    """Zones and teams for a few cases: their regions and those above, and their pendamping's regions."""
    pendamping_regions = session.scalars(
        select(Person.region_code).join(Assignment, Assignment.pendamping_id == Person.id)
        .where(any_of(Assignment.case_id, case_ids), Assignment.active.is_(True), Person.region_code.is_not(None))
    ).all()
    scopes = sorted({scope for code in regions for scope in rules.scopes(code)})
    zone_codes = sorted(set(scopes) | {code for code in pendamping_regions if code})
    zones = {code: tz.value for code, tz in session.execute(select(Region.code, Region.timezone).where(Region.code.in_(zone_codes)))}
    teams: dict[str, list[TeamMember]] = defaultdict(list)
    for pid, role, region, created, unreachable, chat in session.execute(
        select(Person.id, Person.role, Person.region_code, Person.created_at, Person.unreachable, Person.telegram_chat_id)
        .where(Person.role.in_(TEAM_ROLES), Person.region_code.in_(scopes))
    ):
        code = str(region)  # in the scopes: never None
        teams[code].append(TeamMember(pid, role.value, code, zones.get(code, DEFAULT_ZONE), created, not unreachable and chat is not None))
    return Context(zones, dict(teams))


def _cancel(session: Session, which: Any, now: dt.datetime, why: str) -> None:
    session.execute(
        update(Reminder)
        .where(which, Reminder.state.in_(OPEN_STATES), Reminder.kind.in_(CASE_KIND_VALUES))
        .values(state=ReminderState.CANCELLED, updated_at=now, last_error=why)
        .execution_options(synchronize_session=False)
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# -- the daily reconciliation ---------------------------------------------------------------------------------------
@dataclass
class ReconcileReport:
    added: int = 0
    """Cases expecting a log that had no check (written by a path that did not mark them)."""
    touched: int = 0
    """Cases whose inputs changed since ``since`` and whose check was brought forward to now."""
    removed: int = 0
    """Checks of cases that expect no log any more."""
    cancelled: int = 0
    seconds: float = 0.0


def reconcile(db: Database, now: dt.datetime, since: dt.datetime | None = None) -> ReconcileReport:
    """The daily safety net, in four set-based statements (no loop over cases in Python): see the module docstring.

    ``since``: inputs changed after it bring the case's check forward to ``now`` (default: the last 25 hours).
    """
    started = time.perf_counter()
    since = since or now - dt.timedelta(hours=25)
    report = ReconcileReport()
    relevant = Case.status.in_(RELEVANT_STATUSES)
    with db.write() as session:
        missing = select(Case.id, literal(now, CaseReminderDue.due_at.type), literal(now, CaseReminderDue.updated_at.type)).where(
            relevant, ~exists().where(CaseReminderDue.case_id == Case.id)
        )
        report.added = len(session.execute(
            insert(CaseReminderDue).from_select(["case_id", "due_at", "updated_at"], missing).returning(CaseReminderDue.case_id)
        ).all())
        changed = union(
            select(CaseEvent.case_id).where(CaseEvent.at >= since),
            select(Visit.case_id).where(Visit.created_at >= since),
            select(Response.case_id).where(Response.submitted_at >= since, Response.instrument.in_(rules.LOG_INSTRUMENTS),
                                           Response.case_id.is_not(None)),
            select(Assignment.case_id).where(or_(Assignment.valid_from >= since, and_(Assignment.valid_to.is_not(None), Assignment.valid_to >= since))),
        ).subquery("changed")
        report.touched = len(session.execute(
            update(CaseReminderDue)
            .where(CaseReminderDue.due_at > now, CaseReminderDue.case_id.in_(select(changed.c[0])))
            .values(due_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
            .returning(CaseReminderDue.case_id)
        ).all())
        closed = select(Case.id).where(~relevant)
        report.cancelled = len(session.execute(
            update(Reminder)
            .where(Reminder.state.in_(OPEN_STATES), Reminder.kind.in_(CASE_KIND_VALUES), Reminder.case_id.in_(closed))
            .values(state=ReminderState.CANCELLED, updated_at=now, last_error="stale: the case is closed")
            .execution_options(synchronize_session=False)
            .returning(Reminder.id)
        ).all())
        report.removed = len(session.execute(
            delete(CaseReminderDue).where(CaseReminderDue.case_id.in_(closed)).execution_options(synchronize_session=False)
            .returning(CaseReminderDue.case_id)
        ).all())
    report.seconds = time.perf_counter() - started
    log.info("reminder checks reconciled %s", report.__dict__)
    return report

"""Referrals (guide Bab II.D): a child sent to an agency that can remove a cause of being out of school — no
birth certificate or family card (Disdukcapil), poverty (Dinsos: PKH, KIP/PIP), a disability (SLB, Puskesmas),
child marriage (KUA) — from a visit or from the case. The agencies are data (``cases/data/agencies.yaml``,
each kabupaten may change its list); a referral is ``sent``, then ``accepted`` by the agency, ``done`` or
``refused`` (with a note); while open, its reminder falls on the due date (:mod:`reminders.rules`).

Who may refer (checked by the bot): whoever follows the case (its pendamping) and the teams of its area.
The steps (:func:`refer`, :func:`update_referral`) take the caller's unit of work (:mod:`storage.uow`) and commit
nothing; one that refuses has changed nothing. The reads take a session.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cases import lifecycle
from cases import messages as m
from cases.catalogue import entries, named
from cases.errors import InvalidInput
from cases.programme_steps import check_move, inside, locked_case, note_text, record_step
from flows.values import parse_date
from storage.models import Case, Referral, Reminder, ReminderState
from storage.types import utcnow
from storage.uow import UnitOfWork, atomic

STATUSES = ("sent", "accepted", "done", "refused")
OPEN = ("sent", "accepted")
CLOSED = ("done", "refused")
MOVES = {"sent": ("accepted", "done", "refused"), "accepted": ("done", "refused")}
MAX_DAYS = 365
DEFAULT_DAYS = 14
SUBJECT = "referral"
REMINDER_KIND = "referral_due"
_DAYS = re.compile(r"^\+?(\d{1,3})(?:\s*(?:hari|days?|dina))?$")


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    purpose: str


@dataclass(frozen=True)
class ReferralView:
    id: int
    case_id: int
    reference: str
    agency: Agency
    status: str
    due_date: dt.date
    reason: str
    referred_by: int | None
    created_at: dt.datetime

    def overdue(self, today: dt.date) -> bool:
        return self.status in OPEN and self.due_date < today


def reminder_period(referral_id: int) -> str:
    """The reminder's period key: one reminder per referral (≤ 20 characters)."""
    return f"R{referral_id}"


def agencies(region_code: str | None) -> list[Agency]:
    """The agencies of ``region_code``'s kabupaten, in the file's order."""
    return [Agency(code, str(e["name"]), str(e.get("for") or ""))
            for code, e in entries(SUBJECT, region_code).items()]


def find_agency(region_code: str | None, text: str | None) -> Agency:
    """The agency named by its code or its name (letter case and spaces forgiven); refused when not listed."""
    code = named(SUBJECT, region_code, text, m.REFERRAL_NO_AGENCY, m.REFERRAL_UNKNOWN_AGENCY, "agency", "agencies")
    return next(a for a in agencies(region_code) if a.code == code)


def due_date(text: str | None, today: dt.date) -> dt.date:
    """A due date as typed: a date (20/12/2026, 20 Desember 2026, 2026-12-20) or a number of days from today;
    nothing typed: :data:`DEFAULT_DAYS`. Refused in the past or more than a year ahead."""
    raw = (text or "").strip().lower()
    if not raw:
        due = today + dt.timedelta(days=DEFAULT_DAYS)
    elif days := _DAYS.match(raw):
        due = today + dt.timedelta(days=int(days[1]))
    else:
        parsed = parse_date(raw, today)
        if not isinstance(parsed, str):
            raise InvalidInput(m.REFERRAL_BAD_DUE, {"due": raw[:40]})
        due = dt.date.fromisoformat(parsed)
    if due < today:
        raise InvalidInput(m.REFERRAL_DUE_PAST, {"due": f"{due:%d/%m/%Y}"})
    if due > today + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(m.REFERRAL_DUE_FAR, {"due": f"{due:%d/%m/%Y}"})
    return due


@atomic
def refer(uow: UnitOfWork, case_id: int, agency: str | None, due: dt.date, actor_id: int | None, today: dt.date, *,
          reason: str | None = None, visit_id: int | None = None) -> ReferralView:
    """Refer the child to ``agency`` (code or name of the kabupaten's list) until ``due``; one open referral
    per agency and case. The step goes into the case's history."""
    session = uow.session
    case = locked_case(session, case_id)
    if lifecycle.is_closed(case.status):
        raise InvalidInput(m.REFERRAL_CLOSED_CASE, {"reference": case.reference, "status": case.status})
    found = find_agency(case.region_code, agency)
    if due < today:
        raise InvalidInput(m.REFERRAL_DUE_PAST, {"due": f"{due:%d/%m/%Y}"})
    if due > today + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput(m.REFERRAL_DUE_FAR, {"due": f"{due:%d/%m/%Y}"})
    note = note_text(reason)
    earlier = session.scalar(select(Referral).where(Referral.case_id == case.id, Referral.agency == found.code,
                                                    Referral.status.in_(OPEN)))
    if earlier is not None:
        raise InvalidInput(m.REFERRAL_ALREADY_OPEN, {"reference": case.reference, "agency": found.name,
                                                     "due": f"{earlier.due_date:%d/%m/%Y}"})
    referral = Referral(case_id=case.id, agency=found.code, status="sent", reason=note or "", due_date=due,
                        visit_id=visit_id, referred_by=actor_id)
    session.add(referral)
    session.flush()
    record_step(session, case, SUBJECT, referral.id, "sent", found.code, actor_id, note, due=due.isoformat())
    return _view(referral, case, found)


@atomic
def update_referral(uow: UnitOfWork, referral_id: int, status: str, actor_id: int | None, note: str | None = None) -> ReferralView:
    """The agency's answer: ``accepted``, ``done`` or ``refused`` (a note required). A closed referral's
    reminder is cancelled in the same transaction."""
    session = uow.session
    referral = session.get(Referral, referral_id, with_for_update=True)
    if referral is None:
        raise InvalidInput(m.REFERRAL_NOT_FOUND, {"id": referral_id})
    check_move(MOVES, referral.status, status, m.REFERRAL_MOVE,
               {"state": m.REFERRAL_STATUS.get(referral.status, referral.status), "to": m.REFERRAL_STATUS.get(status, status)})
    text = note_text(note)
    if status == "refused" and text is None:
        raise InvalidInput(m.REFERRAL_NOTE_REQUIRED)
    case = locked_case(session, referral.case_id)
    referral.status = status
    if status not in OPEN:
        referral.closed_at = utcnow()
        session.execute(
            update(Reminder).where(Reminder.kind == REMINDER_KIND, Reminder.case_id == case.id,
                                   Reminder.period == reminder_period(referral.id),
                                   Reminder.state.in_((ReminderState.PENDING, ReminderState.SNOOZED)))
            .values(state=ReminderState.CANCELLED, last_error="referral closed").execution_options(synchronize_session=False)
        )
    record_step(session, case, SUBJECT, referral.id, status, referral.agency, actor_id, text)
    return _view(referral, case, _agency_of(case.region_code, referral.agency))


def referral_case(session: Session, referral_id: int) -> int | None:
    return session.scalar(select(Referral.case_id).where(Referral.id == referral_id))


def referrals_of(session: Session, case_id: int) -> list[ReferralView]:
    """A case's referrals, newest first."""
    case = session.get(Case, case_id)
    if case is None:
        return []
    rows = session.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.id.desc()))
    return [_view(r, case, _agency_of(case.region_code, r.agency)) for r in rows]


def open_referrals(session: Session, scope: str, limit: int = 50) -> list[ReferralView]:
    """Open referrals of the cases in ``scope``, the earliest due first."""
    rows = session.execute(
        select(Referral, Case).join(Case, Case.id == Referral.case_id)
        .where(Referral.status.in_(OPEN), inside(scope))
        .order_by(Referral.due_date, Referral.id).limit(limit)
    ).all()
    return [_view(r, c, _agency_of(c.region_code, r.agency)) for r, c in rows]


def counts(session: Session, scope: str, today: dt.date) -> dict[str, dict[str, int]]:
    """For the recap: agency code → status → referrals of the cases in ``scope`` (``""``: everywhere), plus
    ``overdue`` (open and past the due date)."""
    overdue = func.sum(func.cast((Referral.status.in_(OPEN)) & (Referral.due_date < today), type_=Referral.id.type))
    out: dict[str, dict[str, int]] = {}
    for agency, status, n, late in session.execute(
        select(Referral.agency, Referral.status, func.count(), overdue).join(Case, Case.id == Referral.case_id)
        .where(inside(scope)).group_by(Referral.agency, Referral.status)
    ):
        row = out.setdefault(agency, {})
        row[status] = int(n)
        row["overdue"] = row.get("overdue", 0) + int(late or 0)
    return out


def _agency_of(region_code: str, code: str) -> Agency:
    """The agency as the kabupaten names it; an agency removed from the list since keeps its code as name."""
    return next((a for a in agencies(region_code) if a.code == code), Agency(code, code, ""))


def _view(referral: Referral, case: Case, agency: Agency) -> ReferralView:
    return ReferralView(referral.id, case.id, case.reference, agency, referral.status, referral.due_date, referral.reason,
                        referral.referred_by, referral.created_at)

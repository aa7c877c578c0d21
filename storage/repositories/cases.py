"""Cases and their status history: every status change is an event, written with the change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import Database
from storage.derived import case_changed
from storage.errors import NotFoundError
from storage.models import Case, CaseEvent
from storage.repositories.audit import add_entry
from storage.repositories.references import allocate_reference


def add_case(
    session: Session, child_id: int, region_code: str, status: str, *, category: str | None, actor_id: int | None
) -> Case:
    """A new case with its reference number and first event, inside the caller's transaction."""
    case = Case(
        reference=allocate_reference(session, region_code),
        child_id=child_id,
        region_code=region_code,
        status=status,
        category=category,
    )
    session.add(case)
    session.flush()
    session.add(CaseEvent(case_id=case.id, from_status=None, to_status=status, actor_id=actor_id))
    case_changed(session, case.id)
    add_entry(session, "case.open", "case", case.id, actor_id=actor_id, region_code=region_code)
    return case


def open_case(
    db: Database,
    child_id: int,
    region_code: str,
    status: str,
    *,
    category: str | None = None,
    actor_id: int | None = None,
) -> Case:
    with db.write() as session:
        return add_case(session, child_id, region_code, status, category=category, actor_id=actor_id)


def change_case_status(
    db: Database, case_id: int, to_status: str, *, actor_id: int | None = None, reason: str | None = None
) -> CaseEvent:
    """Move a case to a new status and record the transition (the row is locked, so history stays linear)."""
    with db.write() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None:
            raise NotFoundError(f"case {case_id}")
        event = CaseEvent(
            case_id=case.id, from_status=case.status, to_status=to_status, actor_id=actor_id, reason=reason
        )
        case.status = to_status
        session.add(event)
        case_changed(session, case.id)
        add_entry(
            session,
            "case.status",
            "case",
            case.id,
            actor_id=actor_id,
            region_code=case.region_code,
            detail={"from": event.from_status, "to": to_status},
        )
        return event


def case_history(db: Database, case_id: int) -> list[CaseEvent]:
    """A case's status changes, oldest first."""
    with db.read() as session:
        return list(
            session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id))
        )

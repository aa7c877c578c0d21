"""Cases and their status history (the moves themselves are :mod:`cases.service`'s, checked by the lifecycle)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.derived import case_changed
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

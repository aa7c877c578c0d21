"""What referrals and assistance share: the checked move between their statuses, the step written to the
case's history with its audit entry, and the labels a person reads. Services take the caller's session and
never commit: the turn (or command) that calls them commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from cases import messages as m
from cases.errors import CaseNotFound, InvalidInput
from storage.models import Case, Person, ProgrammeEvent
from storage.published import published
from storage.repositories.audit import add_entry
from storage.types import utcnow

MAX_NOTE = 500


def inside(scope: str) -> ColumnElement[bool]:
    """Cases of ``scope`` and below (``""``: every case, for the administrator), not of an imported list still
    being published (:func:`storage.published.published`)."""
    return published(Case) if not scope else ((Case.region_code == scope) | Case.region_code.like(scope + ".%")) & published(Case)


def locked_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise CaseNotFound(f"#{case_id}")
    return case


def note_text(note: str | None) -> str | None:
    """A note as stored: trimmed, at most :data:`MAX_NOTE` characters, None when empty."""
    text = " ".join((note or "").split())
    if len(text) > MAX_NOTE:
        raise InvalidInput(m.NOTE_TOO_LONG, {"max": MAX_NOTE})
    return text or None


def check_move(moves: Mapping[str, tuple[str, ...]], status: str, to: str, message: str, params: dict[str, Any]) -> None:
    """Refuse a move the table does not allow (``message`` names the current status and the wanted one)."""
    if to not in moves.get(status, ()):
        raise InvalidInput(message, params)


def record_step(session: Session, case: Case, subject: str, subject_id: int, step: str, what: str, actor_id: int | None,
                note: str | None = None, **detail: Any) -> None:
    """One step in the case's history and its audit entry, in the caller's transaction."""
    session.add(ProgrammeEvent(case_id=case.id, subject=subject, subject_id=subject_id, step=step, what=what,
                               actor_id=actor_id, note=note, at=utcnow()))
    add_entry(session, f"{subject}.{step}", subject, subject_id, actor_id=actor_id, region_code=case.region_code,
              detail={"case_id": case.id, "what": what, **detail})


def history_rows(session: Session, case_id: int) -> list[tuple[ProgrammeEvent, str | None]]:
    """The case's referral and assistance steps, oldest first, with the actor's name."""
    return [(event, name) for event, name in session.execute(
        select(ProgrammeEvent, Person.display_name).outerjoin(Person, Person.id == ProgrammeEvent.actor_id)
        .where(ProgrammeEvent.case_id == case_id).order_by(ProgrammeEvent.at, ProgrammeEvent.id)
    ).all()]


def mermaid(moves: Mapping[str, tuple[str, ...]], initial: str, closed: tuple[str, ...]) -> str:
    """A referral's or an assistance's statuses as a Mermaid state diagram (``docs/cases.md`` embeds both)."""
    lines = ["stateDiagram-v2", f"    [*] --> {initial}"]
    lines += [f"    {source} --> {dest}" for source, dests in moves.items() for dest in dests]
    lines += [f"    {state} --> [*]" for state in closed]
    return "\n".join(lines) + "\n"

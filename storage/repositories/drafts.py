"""Drafts: the state of a questionnaire in progress, saved after every single answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.errors import DraftClosedError, NotFoundError, StaleDraftError
from storage.models import DraftStatus, InstrumentSession
from storage.types import utcnow


def create_draft(
    db: Database,
    person_id: int,
    instrument: str,
    instrument_version: int,
    *,
    state: dict[str, Any] | None = None,
    case_id: int | None = None,
    label: str | None = None,
) -> InstrumentSession:
    """Start a questionnaire; the draft starts at version 1."""
    with db.write() as session:
        draft = InstrumentSession(
            person_id=person_id,
            instrument=instrument,
            instrument_version=instrument_version,
            state=state or {},
            case_id=case_id,
            label=label,
            status=DraftStatus.DRAFT,
            version=1,
        )
        session.add(draft)
        session.flush()
        return draft


def save_state(
    db: Database,
    draft_id: int,
    state: dict[str, Any],
    expected_version: int,
    *,
    current_question: str | None = None,
    label: str | None = None,
) -> int:
    """Store the flow state after an answer, in its own transaction; returns the new version.

    The update only applies if the draft is still at ``expected_version`` and open, so of two racing saves
    exactly one wins and the other gets :class:`StaleDraftError` (reload, re-apply, save again).
    ``label`` is left unchanged when None.
    """
    values: dict[str, Any] = {
        "state": state,
        "current_question": current_question,
        "version": InstrumentSession.version + 1,
        "updated_at": utcnow(),
    }
    if label is not None:
        values["label"] = label
    with db.write() as session:
        result = session.execute(
            update(InstrumentSession)
            .where(
                InstrumentSession.id == draft_id,
                InstrumentSession.version == expected_version,
                InstrumentSession.status == DraftStatus.DRAFT,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return expected_version + 1
        draft = load_draft(session, draft_id)
        if draft.status is not DraftStatus.DRAFT:
            raise DraftClosedError(f"draft {draft_id} is {draft.status.value}")
        raise StaleDraftError(draft_id, expected_version, draft.version)


def get_draft(db: Database, draft_id: int) -> InstrumentSession | None:
    with db.read() as session:
        return session.get(InstrumentSession, draft_id)


def list_drafts(db: Database, person_id: int) -> list[InstrumentSession]:
    """A person's open drafts, most recently touched first (for "continue where you left off")."""
    with db.read() as session:
        return list(
            session.scalars(
                select(InstrumentSession)
                .where(InstrumentSession.person_id == person_id, InstrumentSession.status == DraftStatus.DRAFT)
                .order_by(InstrumentSession.updated_at.desc(), InstrumentSession.id.desc())
            )
        )


def cancel_draft(db: Database, draft_id: int) -> None:
    """Abandon a draft. It is kept (status cancelled), never deleted: what was typed stays on record."""
    with db.write() as session:
        close_draft(session, load_draft(session, draft_id, for_update=True), DraftStatus.CANCELLED)


def close_draft(session: Session, draft: InstrumentSession, status: DraftStatus) -> None:
    """Mark an open draft submitted or cancelled inside the caller's transaction."""
    if draft.status is not DraftStatus.DRAFT:
        raise DraftClosedError(f"draft {draft.id} is {draft.status.value}")
    draft.status = status
    draft.version += 1


def load_draft(session: Session, draft_id: int, *, for_update: bool = False) -> InstrumentSession:
    """A draft inside the caller's transaction (row-locked on PostgreSQL when ``for_update``)."""
    draft = session.get(InstrumentSession, draft_id, with_for_update=for_update)
    if draft is None:
        raise NotFoundError(f"draft {draft_id}")
    return draft

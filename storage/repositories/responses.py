"""Submitting a questionnaire: the response, its child and the draft change together or not at all (whether the
child needs a case is the workflow's decision: ``cases.opening``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.derived import case_changed
from storage.errors import DraftClosedError
from storage.models import DraftStatus, Response
from storage.repositories.audit import add_entry
from storage.repositories.children import ChildIdentity, resolve_child
from storage.repositories.drafts import close_draft, load_draft
from storage.repositories.references import RECEIPT, allocate_reference


@dataclass(frozen=True)
class Submission:
    """A finished questionnaire as the bot hands it over."""

    instrument: str
    instrument_version: int
    answers: dict[str, Any]
    submitted_by: int
    region_code: str
    """Where the response belongs (the child's desa/kecamatan); its kabupaten numbers the reference."""
    draft_id: int | None = None
    case_id: int | None = None
    child: ChildIdentity | None = None
    """The child the answers are about; found among existing children or created."""
    location: dict[str, Any] | None = None


@dataclass(frozen=True)
class SubmitResult:
    response_id: int
    reference: str
    child_id: int | None
    child_created: bool
    case_id: int | None
    already_submitted: bool = False
    """The draft had been submitted before (a double tap): this is the earlier response, nothing was written."""
    conflict_id: int | None = None
    """The NIK given belongs to another child whose name or sex disagrees: the child was kept apart for review."""


def submit_response(db: Database, submission: Submission) -> SubmitResult:
    """Write the response with its reference number, link or create the child, close the draft.

    One transaction: after a crash either all of it exists or none of it, and the draft is still open to
    submit again. Submitting an already submitted draft returns the earlier result.
    """
    with db.write() as session:
        draft = None
        if submission.draft_id is not None:
            draft = load_draft(session, submission.draft_id, for_update=True)
            if draft.status is DraftStatus.SUBMITTED:
                earlier = session.scalars(select(Response).where(Response.session_id == draft.id)).one()
                return SubmitResult(
                    earlier.id, earlier.reference, earlier.child_id, False, earlier.case_id, already_submitted=True
                )
            if draft.status is DraftStatus.CANCELLED:
                raise DraftClosedError(f"draft {draft.id} was cancelled")
            if (draft.instrument, draft.instrument_version) != (submission.instrument, submission.instrument_version):
                raise ValueError(
                    f"draft {draft.id} is {draft.instrument} v{draft.instrument_version}, "
                    f"not {submission.instrument} v{submission.instrument_version}"
                )

        child_id, child_created, conflict_id = None, False, None
        if submission.child is not None:
            resolution = resolve_child(session, db.cipher, submission.child, submission.submitted_by)
            child_id, child_created = resolution.child.id, resolution.created
            conflict_id = resolution.conflict.id if resolution.conflict else None

        case_id = submission.case_id or (draft.case_id if draft else None)
        response = Response(
            reference=allocate_reference(session, submission.region_code, RECEIPT),
            instrument=submission.instrument,
            instrument_version=submission.instrument_version,
            answers=submission.answers,
            session_id=submission.draft_id,
            case_id=case_id,
            child_id=child_id,
            submitted_by=submission.submitted_by,
            region_code=submission.region_code,
            location=submission.location,
        )
        session.add(response)
        case_changed(session, case_id)
        if draft is not None:
            close_draft(session, draft, DraftStatus.SUBMITTED)
        session.flush()
        add_entry(
            session,
            "response.submit",
            "response",
            response.id,
            actor_id=submission.submitted_by,
            region_code=submission.region_code,
            detail={"reference": response.reference, "instrument": response.instrument, "child_created": child_created},
        )
        return SubmitResult(response.id, response.reference, child_id, child_created, case_id, conflict_id=conflict_id)


def get_response(db: Database, reference: str) -> Response | None:
    """A response by its reference number (as a volunteer would quote it)."""
    with db.read() as session:
        return session.scalars(select(Response).where(Response.reference == reference)).one_or_none()

"""Retention (UU PDP): personal data of finished cases is not kept longer than the district decided.

Once every case of a child is closed (graduated, not valid, moved away, aged out) and untouched for the
retention period, the child's identifying fields and the answers about them are erased; what remains (sex,
birth year, region, statuses and their dates) still counts in recaps but identifies no one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Case, Child, Response, StoredFile
from storage.models.cases import CaseProposal
from storage.repositories.audit import add_entry
from storage.types import utcnow

CLOSED = ("graduated", "not_valid", "moved_away", "aged_out")
ERASED_NAME = "(dihapus)"


def purge_closed_cases(db: Database, older_than: dt.timedelta, *, dry_run: bool = False) -> int:
    """Anonymise every child whose cases are all closed and unchanged for ``older_than``; returns how many."""
    cutoff = utcnow() - older_than
    with db.write() as session:
        open_children = select(Case.child_id).where(Case.status.not_in(CLOSED))
        recent_children = select(Case.child_id).where(Case.updated_at > cutoff)
        children = session.scalars(
            select(Child).where(Child.id.in_(select(Case.child_id)), Child.id.not_in(open_children),
                               Child.id.not_in(recent_children), Child.name != ERASED_NAME)
        ).all()
        if dry_run:
            return len(children)
        for child in children:
            for response in session.scalars(select(Response).where(Response.child_id == child.id)):
                for file_id in _stored_files(response.answers):
                    stored = session.get(StoredFile, file_id)
                    if stored is not None:
                        Path(stored.path).unlink(missing_ok=True)
                        session.delete(stored)
                response.answers, response.location = {"erased": True}, None
            for proposal in session.scalars(select(CaseProposal).where(CaseProposal.case_id.in_(select(Case.id).where(Case.child_id == child.id)))):
                proposal.note, proposal.photo_file_id, proposal.location = "", None, None
            child.name, child.name_normalized = ERASED_NAME, ""
            child.nik_encrypted = child.nik_hash = child.nisn = child.birth_place = child.address = child.rt = child.rw = None
            if child.birth_date is not None:
                child.birth_date = dt.date(child.birth_date.year, 1, 1)
            add_entry(session, "child.erase", "child", child.id, region_code=child.region_code, detail={"reason": "retention"})
        session.flush()
        return int(session.scalar(select(func.count()).select_from(Child).where(Child.id.in_([c.id for c in children]))) or 0)


def _stored_files(answers: dict) -> list[int]:  # type: ignore[type-arg]
    return [v["stored_file"] for v in answers.values() if isinstance(v, dict) and isinstance(v.get("stored_file"), int)]

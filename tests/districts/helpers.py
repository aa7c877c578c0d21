"""Cases placed directly at a stage of the cycle, for chat tests of the later steps."""

from __future__ import annotations

import datetime as dt

from storage.db import Database
from storage.models import Assignment, Case
from storage.repositories.cases import add_case
from storage.repositories.children import ChildIdentity, find_or_create_child


def case_at(db: Database, name: str, desa: str, status: str, *, pendamping_id: int | None = None,
            born: dt.date | None = None) -> Case:
    """A child of ``desa`` whose case is ``status``, accompanied by ``pendamping_id`` when given."""
    with db.write() as session:
        child, _ = find_or_create_child(session, db.cipher, ChildIdentity(name=name, region_code=desa, birth_date=born), None)
        case = add_case(session, child.id, desa, status, category="2", actor_id=None)
        if pendamping_id is not None:
            session.add(Assignment(case_id=case.id, pendamping_id=pendamping_id))
        session.flush()
        session.expunge(case)
        return case

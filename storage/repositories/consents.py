"""A parent's consent to the processing of their child's data, by purpose (UU PDP 27/2022 art. 20–21, 25).

One ``consents`` row per (parent, child, purpose) given; withdrawing sets ``withdrawn_at`` and keeps the row, so
the record shows who agreed to what, when, and when they stopped. Every change is audited.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.db import Database
from storage.models import Consent
from storage.repositories.audit import add_entry
from storage.types import utcnow


class Purpose(StrEnum):
    COLLECT = "collect"
    """Record and use the child's data to bring them back to school (needed for the parent's forms)."""
    SHARE_SCHOOL = "share_school"
    """Show the child's data to the school the family chose, before the child is enrolled."""
    REFER_AGENCIES = "refer_agencies"
    """Refer the family to other agencies (social services, health) for assistance."""


def give(db: Database, person_id: int, child_id: int, purposes: set[Purpose]) -> list[Purpose]:
    """Record consent for ``purposes`` not already given; returns those newly recorded."""
    with db.write() as session:
        current = _active(session, person_id, child_id)
        added = sorted(purposes - current)
        for purpose in added:
            session.add(Consent(person_id=person_id, child_id=child_id, kind=purpose.value))
        if added:
            add_entry(session, "consent.give", "child", child_id, actor_id=person_id, detail={"purposes": [p.value for p in added]})
        return added


def withdraw(db: Database, person_id: int, child_id: int | None = None) -> list[tuple[int, str]]:
    """Withdraw every consent the person gave (for one child, or all); returns (child id, purpose) withdrawn."""
    with db.write() as session:
        where = [Consent.person_id == person_id, Consent.withdrawn_at.is_(None)]
        if child_id is not None:
            where.append(Consent.child_id == child_id)
        rows = [(c, k) for c, k in session.execute(select(Consent.child_id, Consent.kind).where(*where).order_by(Consent.id))]
        if not rows:
            return []
        session.execute(update(Consent).where(*where).values(withdrawn_at=utcnow()).execution_options(synchronize_session=False))
        for child in dict.fromkeys(c for c, _ in rows):
            add_entry(session, "consent.withdraw", "child", child, actor_id=person_id,
                      detail={"purposes": [k for c, k in rows if c == child]})
        return rows


def active(db: Database, person_id: int, child_id: int) -> set[Purpose]:
    with db.read() as session:
        return _active(session, person_id, child_id)


def _active(session: Session, person_id: int, child_id: int) -> set[Purpose]:
    kinds = session.scalars(select(Consent.kind).where(Consent.person_id == person_id, Consent.child_id == child_id,
                                                       Consent.withdrawn_at.is_(None)))
    return {Purpose(k) for k in kinds if k in {p.value for p in Purpose}}


def withdrawn_children(purpose: Purpose) -> Select[Any]:
    """Children for whom a parent withdrew ``purpose`` and has not given it again (a subquery)."""
    given_again = select(Consent.child_id).where(Consent.kind == purpose.value, Consent.withdrawn_at.is_(None))
    return select(Consent.child_id).where(Consent.kind == purpose.value, Consent.withdrawn_at.is_not(None),
                                          Consent.child_id.not_in(given_again))


def allows(child_id: ColumnElement[int] | InstrumentedAttribute[int], purpose: Purpose) -> ColumnElement[bool]:
    """A condition: no parent has withdrawn ``purpose`` for the child (processing allowed)."""
    return child_id.not_in(withdrawn_children(purpose))

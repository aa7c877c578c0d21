"""A person's relations to cases: the one rule the chat and the dashboard use to decide which children someone
follows (their pendamping assignments, their school's pupils, their own children) — nobody else's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Assignment, Case, Enrolment, Person, Role, SchoolChoice
from storage.repositories import consents
from storage.repositories.consents import Purpose
from storage.repositories.invitations import children_of_parent


def relations(session: Session, person: Person) -> dict[str, ColumnElement[bool]]:
    """The person's relations to cases, by their role: ``assigned`` (a pendamping's active assignments),
    ``school`` (a school operator's pupils and the children whose family chose the school) and, for anyone,
    ``parent`` (the children they are the parent of, linked by the pendamping's invitation)."""
    found: dict[str, ColumnElement[bool]] = {"parent": Case.child_id.in_(children_of_parent(person.id))}
    if person.role is Role.PENDAMPING:
        found["assigned"] = Case.id.in_(select(Assignment.case_id).where(Assignment.pendamping_id == person.id, Assignment.active.is_(True)))
    elif person.role is Role.OPERATOR_SEKOLAH and person.school_id is not None:
        enrolled = select(Enrolment.case_id).where(Enrolment.school_id == person.school_id, Enrolment.active.is_(True))
        latest = select(func.max(SchoolChoice.id)).group_by(SchoolChoice.case_id)
        chose = select(SchoolChoice.case_id).where(SchoolChoice.id.in_(latest), SchoolChoice.school_id == person.school_id)
        # Before enrolment, the chosen school sees the child only while the family consents to share with it.
        found["school"] = or_(Case.id.in_(enrolled), and_(Case.id.in_(chose), consents.allows(Case.child_id, Purpose.SHARE_SCHOOL)))
    return found


def followed(session: Session, person_id: int) -> ColumnElement[bool] | None:
    """The cases a person follows: any of their relations to a case (nobody else's). None for an unknown person."""
    person = session.get(Person, person_id)
    return None if person is None else or_(*relations(session, person).values())

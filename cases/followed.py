"""Which cases a person follows by their relation to the child (the finer rule inside ``app.authz``'s region
bound): the chat's ``/kasus`` and buttons and the dashboard's lists ask the same question."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Assignment, Case, Enrolment, Person, Role, SchoolChoice
from storage.repositories.invitations import children_of_parent


def followed_cases(session: Session, person_id: int) -> ColumnElement[bool] | None:
    """The cases a person follows, by their role: a pendamping those assigned to them, a school operator its pupils
    and the children whose family chose it, anyone the children they are the parent of (linked by the
    pendamping's invitation); nobody else's. None for an unknown person."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    followed = [Case.child_id.in_(children_of_parent(person_id))]
    if person.role is Role.PENDAMPING:
        followed.append(Case.id.in_(select(Assignment.case_id).where(Assignment.pendamping_id == person_id, Assignment.active.is_(True))))
    elif person.role is Role.OPERATOR_SEKOLAH and person.school_id is not None:
        enrolled = select(Enrolment.case_id).where(Enrolment.school_id == person.school_id, Enrolment.active.is_(True))
        latest = select(func.max(SchoolChoice.id)).group_by(SchoolChoice.case_id)
        chose = select(SchoolChoice.case_id).where(SchoolChoice.id.in_(latest), SchoolChoice.school_id == person.school_id)
        followed += [Case.id.in_(enrolled), Case.id.in_(chose)]
    return or_(*followed)

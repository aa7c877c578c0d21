"""The school's acceptance (guide Bab II.F): the chosen school is briefed and signs that it accepts the child.

When a family chooses a school of the district's list, its operator is asked to accept the child; when the
school has no operator in the bot, the kecamatan team (the coordinator of the school's kecamatan) answers for
it. An acceptance is an ``accept_school`` event in the case history (the status stays ``school_chosen``); a
refusal, with its reason, is ``refuse_school`` and takes the case back to ``willing`` so the pendamping and
the family choose again. Nobody else may answer: :func:`may_answer` is checked on every press.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.errors import InvalidInput
from cases.messages import NOT_THE_SCHOOL, SCHOOL_ALREADY_ANSWERED
from cases.service import Moved, transition
from storage.models import CaseEvent, Invitation, Person, Role, School, SchoolChoice
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Acceptor:
    """Someone who may answer for the chosen school."""

    person_id: int
    chat_id: int | None
    language: str
    name: str


@dataclass(frozen=True)
class ChosenSchool:
    school_id: int
    npsn: str
    name: str
    region_code: str | None


def chosen_school(session: Session, case_id: int) -> ChosenSchool | None:
    """The family's current choice, when it is a school of the district's list."""
    row = session.execute(
        select(School.id, School.npsn, School.name, School.region_code).join(SchoolChoice, SchoolChoice.school_id == School.id)
        .where(SchoolChoice.case_id == case_id).order_by(SchoolChoice.id.desc()).limit(1)
    ).first()
    return ChosenSchool(row[0], row[1], row[2], row[3]) if row else None


def acceptors(uow: UnitOfWork, case_id: int) -> list[Acceptor]:
    """The chosen school's operators, else the kecamatan team of the school's kecamatan."""
    session = uow.session
    school = chosen_school(session, case_id)
    if school is None:
        return []
    people = _operators(session, school.school_id) or _coordinators(session, school)
    return [Acceptor(p.id, None if p.unreachable else p.telegram_chat_id, p.language.value, p.display_name) for p in people]


def may_answer(uow: UnitOfWork, case_id: int, person_id: int) -> bool:
    """An operator of the chosen school, or — only when it has none — the kecamatan team of its kecamatan."""
    session = uow.session
    school = chosen_school(session, case_id)
    if school is None:
        return False
    operators = _operators(session, school.school_id)
    allowed = operators or _coordinators(session, school)
    return any(p.id == person_id for p in allowed)


def accept(uow: UnitOfWork, case_id: int, person_id: int) -> Moved:
    """The school accepts the child (recorded in the history with the school's name and NPSN)."""
    school = _checked(uow, case_id, person_id)
    return transition(uow, case_id, "accept_school", person_id, f"{school.name} ({school.npsn})")


def refuse(uow: UnitOfWork, case_id: int, person_id: int, reason: str) -> Moved:
    """The school refuses, with its reason (required): the family chooses again (``willing``)."""
    school = _checked(uow, case_id, person_id)
    return transition(uow, case_id, "refuse_school", person_id, f"{school.name} ({school.npsn}): {reason.strip()}" if reason.strip() else "")


def parents(uow: UnitOfWork, child_id: int) -> list[tuple[int, str]]:
    """``(chat id, language)`` of the child's parents who joined by the pendamping's invitation."""
    linked = select(Invitation.used_by).where(Invitation.child_id == child_id, Invitation.used_by.is_not(None))
    session = uow.session
    rows = session.execute(select(Person.telegram_chat_id, Person.language).where(
        Person.id.in_(linked), Person.role == Role.ORANG_TUA, Person.unreachable.is_(False), Person.telegram_chat_id.is_not(None))).all()
    return [(chat, language.value) for chat, language in rows if chat is not None]


def answered(uow: UnitOfWork, case_id: int) -> bool:
    """Whether the school already answered about the family's current choice."""
    session = uow.session
    latest = session.scalar(select(CaseEvent.event).where(
        CaseEvent.case_id == case_id, CaseEvent.event.in_(("choose_school", "accept_school", "refuse_school"))
    ).order_by(CaseEvent.id.desc()).limit(1))
    return latest in ("accept_school", "refuse_school")


def _checked(uow: UnitOfWork, case_id: int, person_id: int) -> ChosenSchool:
    if not may_answer(uow, case_id, person_id):
        raise InvalidInput(NOT_THE_SCHOOL)
    if answered(uow, case_id):
        raise InvalidInput(SCHOOL_ALREADY_ANSWERED)
    session = uow.session
    school = chosen_school(session, case_id)
    assert school is not None
    return school


def _operators(session: Session, school_id: int) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.role == Role.OPERATOR_SEKOLAH, Person.school_id == school_id)))


def _coordinators(session: Session, school: ChosenSchool) -> list[Person]:
    kecamatan = ".".join((school.region_code or "").split(".")[:3])
    return list(session.scalars(select(Person).where(Person.role == Role.TIM_KECAMATAN, Person.region_code == kecamatan))) if kecamatan else []

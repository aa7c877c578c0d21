"""Household roster → cases (SIPBM, seed 001): each out-of-school member becomes a child followed by a case.

A ``rumah-tangga`` form lists every member aged 7–18 with their school status. Each member the instrument's
``subject.category_codes`` call out of school is found among the known children (same NIK, or same name, birth
date and desa) or recorded as a new one, and then either joins the child's open case or opens one
(``recorded``, waiting for the desa team's verification), with the roster as the source in the case history.
Members in school open nothing. One write transaction per roster; recording the same roster twice changes
nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cases import lifecycle
from cases.forms import load_form
from flows.registry import engine as instrument_engine
from storage.models import Case, CaseEvent, Child, Sex
from storage.repositories.audit import add_entry
from storage.repositories.cases import add_case
from storage.repositories.children import ChildIdentity, find_or_create_child
from storage.uow import UnitOfWork, atomic

ROSTER_INSTRUMENTS = ("rumah-tangga",)
JOIN_EVENT = "add_source"
"""The lifecycle's internal move recording that another form (here the roster) found an already followed child."""


@dataclass(frozen=True)
class RosterCase:
    """One out-of-school member of a roster and the case that follows them."""

    name: str
    case_id: int
    reference: str
    opened: bool
    """True when the roster opened the case; False when the child was already followed."""


@atomic
def cases_from_roster(uow: UnitOfWork, response_id: int, actor_id: int | None) -> list[RosterCase]:
    """Open (or join) a case for each out-of-school member of a submitted household roster."""
    session = uow.session
    response = load_form(session, response_id, ROSTER_INSTRUMENTS)
    engine = instrument_engine(response.instrument, response.instrument_version)
    subject = engine.compiled.instrument.subject
    nodes = engine.layout.nodes
    group = nodes[subject.name].group if subject.name else None
    if not subject.name or not subject.category or group is None:
        return []
    answers = response.answers
    listed = answers.get(group)
    members: list[dict[str, Any]] = listed if isinstance(listed, list) else []
    done = {e.case_id for e in session.scalars(select(CaseEvent).where(CaseEvent.response_id == response.id))}
    found: list[RosterCase] = []
    for member in members:
        category = subject.category_codes.get(str(member.get(subject.category)))
        name = member.get(subject.name)
        if category is None or not isinstance(name, str) or not name.strip():
            continue
        identity = ChildIdentity(
            name=name,
            region_code=response.region_code,
            nik=_text(member, subject.nik),
            sex=_sex(engine, member, subject.sex),
            birth_date=_date(member, subject.birth_date),
            address=_text(answers, subject.address),
        )
        child, _ = find_or_create_child(session, uow.cipher, identity, actor_id)
        found.append(_follow(session, child, response.id, response.region_code, category, actor_id, done))
    add_entry(session, "roster.cases", "response", response.id, actor_id=actor_id, region_code=response.region_code,
              detail={"members": len(members), "out_of_school": len(found), "opened": sum(c.opened for c in found)})
    return found


def _follow(session: Any, child: Child, response_id: int, region: str, category: str, actor_id: int | None,
            done: set[int]) -> RosterCase:
    """The child's open case (the roster recorded in its history once), or a new ``recorded`` case."""
    case = session.scalars(
        select(Case).where(Case.child_id == child.id, Case.status.in_(lifecycle.OPEN)).order_by(Case.id.desc()).limit(1)
    ).first()
    if case is None:
        case = add_case(session, child.id, region, "recorded", category=category, actor_id=actor_id)
        opening = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
        opening.response_id, opening.reason = response_id, "rumah-tangga"
        return RosterCase(child.name, case.id, case.reference, True)
    if case.id not in done:
        session.add(CaseEvent(case_id=case.id, from_status=case.status, to_status=case.status, actor_id=actor_id,
                              event=JOIN_EVENT, reason="rumah-tangga", response_id=response_id))
    return RosterCase(child.name, case.id, case.reference, False)


def _text(answers: dict[str, Any], ref: str | None) -> str | None:
    value = answers.get(ref) if ref else None
    return " ".join(value.split()) or None if isinstance(value, str) else None


def _date(answers: dict[str, Any], ref: str | None) -> dt.date | None:
    value = answers.get(ref) if ref else None
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _sex(engine: Any, member: dict[str, Any], ref: str | None) -> Sex | None:
    code = member.get(ref) if ref else None
    letter = next((c.sex_codes.get(str(code)) for c in engine.compiled.instrument.checks if c.sex == ref and code is not None), None)
    return Sex(letter) if letter in ("L", "P") else None

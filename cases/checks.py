"""The kecamatan's completeness check (guide Bab I.G.2): each desa's verified cases, accepted or returned.

A case the desa team verified waits for the kecamatan team, who looks at each desa's list (complete? a
duplicate? plausible?) and either accepts the cases — an ``accept_check`` event in the history, after which
they count at kabupaten level — or returns one to the desa team with a note (``return_check``: back to
``recorded``, to be verified again). A case is *awaiting* while its latest ``verify`` is newer than its latest
``accept_check``. Reads are scoped by the caller (the bot checks ``Action.VERIFY`` on the kecamatan).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from cases import lifecycle
from cases.service import Moved, transition
from flows.values import age_on
from storage.models import Case, CaseEvent, Child, Region
from storage.published import published
from storage.uow import UnitOfWork, atomic

AWAITING_STATUSES = tuple(s for s in lifecycle.STATES if "accept_check" in lifecycle.allowed_events(s))


@dataclass(frozen=True)
class CheckItem:
    """One verified case as the kecamatan team reviews it, with what looks incomplete or doubtful."""

    case_id: int
    reference: str
    name: str
    desa: str
    age: int | None
    problems: tuple[str, ...]
    """Keys of :data:`cases.messages.CHECK_PROBLEMS` (``no_birth_date``, ``duplicate`` …)."""


def _awaiting(scope: str | None) -> ColumnElement[bool]:
    """Cases (inside ``scope``; anywhere when None) whose latest verification the kecamatan has not accepted."""
    verified = select(func.max(CaseEvent.id)).where(CaseEvent.case_id == Case.id, CaseEvent.event == "verify").scalar_subquery()
    accepted = select(func.max(CaseEvent.id)).where(CaseEvent.case_id == Case.id, CaseEvent.event == "accept_check").scalar_subquery()
    waiting = Case.status.in_(AWAITING_STATUSES) & verified.is_not(None) & (accepted.is_(None) | (accepted < verified))
    return waiting if scope is None else waiting & (Case.region_code.like(scope + ".%") | (Case.region_code == scope))


def awaiting_count(uow: UnitOfWork, scope: str) -> int:
    """How many verified cases in ``scope`` still wait for the kecamatan's check (for the recap)."""
    session = uow.session
    return int(session.scalar(select(func.count()).select_from(Case).where(_awaiting(scope), published(Case))) or 0)


def desa_awaiting(uow: UnitOfWork, kecamatan: str) -> list[tuple[str, str, int]]:
    """``(desa code, desa name, cases waiting)`` in a kecamatan, by name."""
    session = uow.session
    rows = session.execute(select(Case.region_code, func.count()).where(_awaiting(kecamatan), published(Case))
                           .group_by(Case.region_code)).all()
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_([r[0] for r in rows]))).all())
    return sorted(((code, names.get(code, code), count) for code, count in rows), key=lambda r: r[1])


def review_list(uow: UnitOfWork, desa: str, today: dt.date) -> list[CheckItem]:
    """The desa's cases waiting for the check, with their problems: no birth date, no address, no NIK, a
    likely duplicate (same name and birth date twice in the list), an age outside 7–18."""
    session = uow.session
    rows = session.execute(
        select(Case.id, Case.reference, Child.name, Child.name_normalized, Child.birth_date, Child.address, Child.nik_hash)
        .join(Child, Child.id == Case.child_id).where(_awaiting(desa), Case.region_code == desa, published(Case)).order_by(Case.id)
    ).all()
    name = _region_name(session, desa)
    twins = Counter((r.name_normalized, r.birth_date) for r in rows)
    items = []
    for r in rows:
        age = age_on(r.birth_date, today) if r.birth_date else None
        problems = [message for message, wrong in (
            ("no_birth_date", r.birth_date is None), ("no_address", not r.address), ("no_nik", r.nik_hash is None),
            ("duplicate", twins[(r.name_normalized, r.birth_date)] > 1), ("age", age is not None and not 7 <= age <= 18),
        ) if wrong]
        items.append(CheckItem(r.id, r.reference, r.name, name, age, tuple(problems)))
    return items


@atomic
def accept(uow: UnitOfWork, case_ids: list[int], actor_id: int, note: str | None = None) -> list[Moved]:
    """The kecamatan accepts those of these cases that still wait; they now count at kabupaten level."""
    session = uow.session
    waiting = list(session.scalars(select(Case.id).where(Case.id.in_(case_ids), _awaiting(None)).order_by(Case.id)))
    return [transition(uow, case_id, "accept_check", actor_id, note) for case_id in waiting]


def return_to_desa(uow: UnitOfWork, case_id: int, actor_id: int, note: str) -> Moved:
    """The kecamatan returns a case to the desa team with a note (required): it goes back to ``recorded``."""
    return transition(uow, case_id, "return_check", actor_id, note)


def _region_name(session: Session, code: str) -> str:
    return session.scalar(select(Region.name).where(Region.code == code)) or code

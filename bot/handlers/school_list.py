"""Offering schools from the district's list inside a form (Lampiran 9 C.4, Kembali Sekolah K.1).

A question with a ``schools`` lookup shows the nearest schools of the right kind as buttons; typing searches the
list (:mod:`bot.handlers.answering`). A pick is answered through the engine exactly as if its name, NPSN and
address had been typed, so every constraint still holds. The offered school ids are kept in the person's live
keyboard, so a button can only ever pick a school the server offered to that person.
"""

from __future__ import annotations

from sqlalchemy import select

from bot import render as R
from bot import texts as T
from bot.model import Button
from bot.turn import Turn
from cases.schools import schools_near, search_schools
from flows.engine import Prompt
from flows.schema import SchoolField
from storage.models import School, SchoolChoice, SchoolLevel

SEARCH_LIMIT = 8


def school_value(school: School, field: SchoolField) -> str | None:
    return {SchoolField.NPSN: school.npsn, SchoolField.NAME: school.name, SchoolField.ADDRESS: school.address}[field]


def offered_schools(turn: Turn, prompt: Prompt, search: str | None) -> tuple[list[School], str]:
    """The schools to offer at ``prompt`` (near the child, or matching ``search``) and the line saying so."""
    lookup = prompt.node.question.schools
    assert lookup is not None
    region, chosen = child_place(turn)
    kinds = lookup.kinds_for(turn.state.answers)
    if search:
        scope = ".".join((region or "").split(".")[:2]) or None
        levels = None if kinds is None else [SchoolLevel(k) for k in kinds]
        return search_schools(turn.db, scope, levels, search, limit=SEARCH_LIMIT), turn.t(T.SCHOOL_RESULTS, text=search)
    return schools_near(turn.db, region, kinds, first=chosen, limit=SEARCH_LIMIT), turn.t(T.SCHOOL_PICK_HINT)


def school_rows(turn: Turn, prompt: Prompt, nonce: str, schools: list[School], search: str | None) -> list[list[Button]]:
    rows = [[Button(f"{s.name} · {s.npsn}", R.data(nonce, R.PICK, i))] for i, s in enumerate(schools)]
    lookup = prompt.node.question.schools
    if search and lookup is not None and lookup.answer is SchoolField.NAME and not lookup.listed_only:
        rows.append([Button(turn.t(T.SCHOOL_USE_TYPED, text=search), R.data(nonce, R.TYPED))])
    return rows


def child_place(turn: Turn) -> tuple[str | None, int | None]:
    """The child's region (their case's village, else the person's area) and the school their family chose."""
    case_id = turn.draft.case_id if turn.draft else None
    if case_id is None:
        return turn.person.region_code, None
    region = turn.store.case_region(case_id)
    chosen = turn.uow.session.scalar(select(SchoolChoice.school_id).where(SchoolChoice.case_id == case_id)
                                     .order_by(SchoolChoice.id.desc()).limit(1))
    return region, chosen

"""A data collection's child is followed by one case, opened with the form in the same unit of work."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from cases.opening import submit_form
from storage.db import Database
from storage.models import Case, CaseEvent, Sex
from storage.repositories.audit import history
from storage.repositories.children import ChildIdentity
from storage.repositories.drafts import create_draft
from storage.repositories.responses import Submission
from storage.uow import unit_of_work
from tests.cases.conftest import DESA, People, path_answers
from tests.uow import committed

AYU = ChildIdentity("Ayu Lestari", DESA, nik="3326014501120003", sex=Sex.P, birth_date=dt.date(2012, 1, 5))


def pendataan(people: People, **changes: object) -> Submission:
    answers = {**path_answers("pendataan", "full"), "3.6": "2"}
    return Submission(**{"instrument": "pendataan", "instrument_version": 1, "answers": answers,  # type: ignore[arg-type]
                         "submitted_by": people.volunteer, "region_code": DESA, "child": AYU, **changes})


def test_a_found_child_gets_one_case(db: Database, people: People) -> None:
    first = committed(db, submit_form, pendataan(people))
    second = committed(db, submit_form, pendataan(people))  # the same child found again: no second case
    assert first.case_id is not None and second.case_id == first.case_id
    with db.read() as session:
        case = session.get(Case, first.case_id)
        events = session.scalars(select(CaseEvent)).all()
    assert case is not None
    assert (case.child_id, case.status, case.category, case.region_code) == (first.child_id, "recorded", "2", DESA)
    # cases and form receipts have series of their own, told apart by their prefix
    assert case.reference == "ATS-3326-000001" and (first.reference, second.reference) == ("F-3326-000001", "F-3326-000002")
    assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [(None, "recorded", people.volunteer)]
    assert [e.action for e in history(db, "case", case.id)] == ["case.open"]


def test_forms_that_find_nobody_open_nothing(db: Database, people: People) -> None:
    result = committed(db, submit_form, Submission("usulan", 1, {"U.1": "Dimas"}, people.proposer, DESA,
                                                     child=ChildIdentity("Dimas", DESA)))
    assert result.case_id is None


def test_a_form_of_a_case_stays_with_it(db: Database, people: People) -> None:
    opened = committed(db, submit_form, pendataan(people))
    draft = create_draft(db, people.pendamping, "monitoring", 1, case_id=opened.case_id)
    result = committed(db, submit_form, Submission("monitoring", 1, {}, people.pendamping, DESA, draft_id=draft.id))
    assert result.case_id == opened.case_id


def test_a_failed_opening_leaves_no_form(db: Database, people: People) -> None:
    """Form and case commit together: when the unit of work fails, neither is there."""
    try:
        with unit_of_work(db) as uow:
            submit_form(uow, pendataan(people))
            raise RuntimeError("crash before the commit")
    except RuntimeError:
        pass
    with db.read() as session:
        assert session.scalars(select(Case)).all() == []
    assert committed(db, submit_form, pendataan(people)).reference == "F-3326-000001"

"""The chat reads and fills forms by role: a form started about a known child is prefilled under the questions
that form binds to the child's identity, and a child form's category (by its binding) becomes the case's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from flows.loader import bound
from storage.models import Case, Person
from tests.bot.test_registries import World, notice, sent_form, world  # noqa: F401  (the fixture)
from tests.districts.chat import Member
from tests.districts.conftest import KUTOROJO, answers
from tests.districts.helpers import case_at


def draft_answers(member: Member) -> dict[str, Any]:
    store = member.chat.conversations.store
    with member.chat.db.read() as session:
        person = session.get(Person, member.person_id)
        draft_id = person.active_draft_id if person else None
    draft = store.draft(member.person_id, draft_id) if draft_id else None
    assert draft is not None
    return dict(draft.state.answers)


def test_a_parent_form_is_prefilled_under_its_identity_questions(world: World) -> None:  # noqa: F811
    case = case_at(world.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=world.pendamping.person_id, born=dt.date(2012, 3, 5))
    for kind, form in (("fill_kesediaan", "kesediaan"), ("fill_pemilihan", "pemilihan-sekolah")):
        notice(world.pendamping, kind, case_id=case.id)
        prefilled = draft_answers(world.pendamping)
        assert prefilled[bound(form, "name")] == "Ahmad Fauzi"
        assert prefilled[bound(form, "birth_date")] == "2012-03-05"
    assert bound("kesediaan", "birth_date") != bound("pemilihan-sekolah", "birth_date")  # the same role, other questions


def test_monitoring_starts_with_the_childs_name(world: World) -> None:  # noqa: F811
    case = case_at(world.db, "Dewi Lestari", KUTOROJO, "monitored", pendamping_id=world.pendamping.person_id)
    notice(world.pendamping, "monitoring", case_id=case.id)
    assert draft_answers(world.pendamping) == {bound("monitoring", "name"): "Dewi Lestari"}


def test_a_recorded_childs_case_takes_the_category_the_form_binds(world: World) -> None:  # noqa: F811
    category = bound("pendataan", "category")
    changes: dict[str, Any] = {category.replace(".", "_"): "3"}
    sent_form(world.pendata, "pendataan", **changes)
    assert answers("pendataan")[category] != "3"  # the fixture's own answer was changed
    with world.db.read() as session:
        assert session.scalar(select(Case.category).order_by(Case.id.desc()).limit(1)) == "3"

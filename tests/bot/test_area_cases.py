"""/kasus for village, kecamatan and kabupaten teams: the cases of their area, a page at a time, and any case
opened by its reference or a form receipt (issue 14 §9, §10)."""

from __future__ import annotations

import dataclasses

import pytest

from bot import texts as T
from bot.conversation import Conversations
from core.i18n import translator
from storage.db import Database
from storage.models import Response, Role
from storage.repositories.cases import add_case
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission, SubmitResult, submit_response
from tests.bot.conftest import Phone, enrol
from tests.storage.conftest import DESA, DESA_2, KABUPATEN, KECAMATAN, OTHER_KABUPATEN_DESA

ID = translator("id")


def _case(db: Database, by: int, name: str, region: str = DESA) -> SubmitResult:
    submitted = submit_response(db, Submission("usulan", 1, {"U.1": name}, by, region, child=ChildIdentity(name, region)))
    assert submitted.child_id is not None
    with db.write() as session:  # the case a proposal opens
        case = add_case(session, submitted.child_id, region, "proposed", category="2", actor_id=by)
        session.get_one(Response, submitted.response_id).case_id = case.id
        return dataclasses.replace(submitted, case_id=case.id)


@pytest.fixture
def cases(db: Database, conversations: Conversations) -> list[SubmitResult]:
    proposer = enrol(db, 3001, Role.PENDATA)
    made = [_case(db, proposer, f"Anak {i:02d}", DESA if i % 2 else DESA_2) for i in range(12)]
    _case(db, proposer, "Anak Makassar", OTHER_KABUPATEN_DESA)
    return made


@pytest.mark.parametrize(("role", "region"), [(Role.TIM_DESA, DESA), (Role.TIM_KECAMATAN, KECAMATAN), (Role.TIM_KABUPATEN, KABUPATEN)])
def test_a_team_pages_through_the_cases_of_its_area(db: Database, conversations: Conversations, cases: list[SubmitResult],
                                                    role: Role, region: str) -> None:
    enrol(db, 3100, role, region)
    team = Phone(conversations, 3100)
    team.send("/kasus")
    expected = 6 if role is Role.TIM_DESA else 12
    listed = team.newest()
    names = [label for label in listed.labels() if "Anak" in label]
    assert len(names) == min(10, expected) and not any("Makassar" in n for n in names)
    if expected > 10:
        team.press("▶", listed)
        assert listed.edited and len([x for x in listed.labels() if "Anak" in x]) == expected - 10 and "◀" in listed.labels()
        team.press("◀", listed)
        assert len([x for x in listed.labels() if "Anak" in x]) == 10
    else:
        assert "▶" not in listed.labels()
    first = next(label for label in listed.labels() if "Anak" in label)
    team.press(first, listed)
    card = team.newest().text
    assert first.split(" · ")[0] in card  # the case reference heads the child's card


def test_a_case_opens_by_its_reference_or_a_form_receipt(db: Database, conversations: Conversations, cases: list[SubmitResult]) -> None:
    enrol(db, 3101, Role.TIM_KECAMATAN, KECAMATAN)
    team = Phone(conversations, 3101)
    case = cases[1]
    assert case.case_id is not None
    reference = conversations.store.case_reference(case.case_id)
    for typed in (reference, case.reference, case.reference.lower()):
        assert typed != reference or typed.startswith("ATS-")
        texts = team.texts(team.send(f"/kasus {typed}"))
        assert any(reference in t for t in texts), (typed, texts)


def test_no_case_and_other_areas_are_refused(db: Database, conversations: Conversations, cases: list[SubmitResult]) -> None:
    enrol(db, 3102, Role.TIM_DESA, DESA)
    team = Phone(conversations, 3102)
    assert team.texts(team.send("/kasus ATS-3326-999999")) == [ID(T.NO_SUCH_CASE, reference="ATS-3326-999999")]
    outside = cases[0]  # in DESA_2
    assert outside.case_id is not None
    assert team.texts(team.send(f"/kasus {outside.reference}")) == [ID(T.NOT_ALLOWED)]


def test_forged_page_presses_are_harmless(db: Database, conversations: Conversations, cases: list[SubmitResult]) -> None:
    enrol(db, 3103, Role.TIM_KABUPATEN, KABUPATEN)
    team = Phone(conversations, 3103)
    team.send("/kasus")
    listed = team.newest()
    nonce = (listed.buttons[0][0].data or "").split(".")[0]
    result = team.press_data(f"{nonce}.g.{10**30}", listed.id)
    assert result.replies and "Anak" in " ".join(listed.labels())

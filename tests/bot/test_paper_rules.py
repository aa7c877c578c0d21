"""Answers the paper rules out are refused or questioned, each with a clear message (issue 14 §8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot import texts as T
from core.i18n import translator
from flows.engine import Accepted, NeedsConfirmation, Prompt, Refused, State
from flows.registry import engine
from storage.models import Role
from tests.bot.conftest import Phone, enrol, head, path_state, resume_at
from tests.conftest import TODAY

ID = translator("id")


def _answer(name: str, state: State, value: Any) -> Any:
    return engine(name).answer(state, value, TODAY)


def _born(state: State) -> dt.date:
    return dt.date.fromisoformat(state.answers["1.6"])


@pytest.mark.parametrize(("year", "why"), [(TODAY.year + 1, "setelah tahun ini"), ("born-1", "sebelum tahun kelahiran")])
def test_year_left_school_neither_in_the_future_nor_before_the_birth(year: Any, why: str) -> None:
    state = path_state("pendataan", "full", "3.4")
    typed = _born(state).year - 1 if year == "born-1" else year
    outcome = _answer("pendataan", state, typed)
    assert isinstance(outcome, Refused) and why in outcome.problem.message
    assert isinstance(_answer("pendataan", state, _born(state).year + 8), Accepted)


def test_never_schooled_cannot_have_dropped_out() -> None:
    for name, fixture, level, category in (("pendataan", "full", "3.2", "3.6"), ("rekonfirmasi", "full", "D.2", "D.4")):
        eng = engine(name)
        state = path_state(name, fixture, level)
        at_level = eng.answer(state, "1", TODAY, confirm=True)
        assert isinstance(at_level, Accepted)
        moved = at_level.state
        while (prompt := eng.current(moved, TODAY)) and isinstance(prompt, Prompt) and prompt.node.id != category:
            step = eng.skip(moved, TODAY) if prompt.can_skip else eng.answer(moved, _any_valid(prompt), TODAY, confirm=True)
            assert isinstance(step, Accepted), (prompt.node.id, step)
            moved = step.state
        refused = eng.answer(moved, "2", TODAY)
        assert isinstance(refused, Refused) and "tidak pernah sekolah" in refused.problem.message.lower(), name
        assert isinstance(eng.answer(moved, "1", TODAY), Accepted)


def _any_valid(prompt: Prompt) -> Any:
    if prompt.node.choices:
        return prompt.node.choices[0].code if prompt.node.type.value == "select_one" else [prompt.node.choices[0].code]
    return {"integer": 1, "text": "x"}.get(prompt.node.type.value, "x")


def test_absence_cannot_exceed_the_school_days() -> None:
    state = path_state("indikator-risiko", "full", "I.1b")
    absent = state.answers["I.1a"]
    refused = _answer("indikator-risiko", state, absent - 1)
    assert isinstance(refused, Refused) and "(a)" in refused.problem.message and "(H)" in refused.problem.message
    assert isinstance(_answer("indikator-risiko", state, absent), Accepted)


def test_next_visit_not_before_this_visit() -> None:
    state = path_state("pendampingan", "full", "V.10")
    visit = dt.date.fromisoformat(state.answers["V.1"])
    refused = _answer("pendampingan", state, (visit - dt.timedelta(days=1)).isoformat())
    assert isinstance(refused, Refused) and "V.1" in refused.problem.message
    assert isinstance(_answer("pendampingan", state, (visit + dt.timedelta(days=30)).isoformat()), Accepted)


def test_year_entered_school_in_monitoring_not_in_the_future() -> None:
    state = path_state("monitoring", "full", "B.6")
    assert isinstance(_answer("monitoring", state, TODAY.year + 1), Refused)
    assert isinstance(_answer("monitoring", state, TODAY.year), Accepted)


def test_married_at_eight_needs_a_second_look() -> None:
    state = path_state("pendataan", "full", "1.6")
    young = engine("pendataan").answer(state, TODAY.replace(year=TODAY.year - 8).isoformat(), TODAY, confirm=True)
    assert isinstance(young, Accepted)
    state = young.state
    eng = engine("pendataan")
    while (prompt := eng.current(state, TODAY)) and isinstance(prompt, Prompt) and prompt.node.id != "1.9":
        step = eng.answer(state, _fixture_value(prompt), TODAY, confirm=True)
        assert isinstance(step, Accepted), prompt.node.id
        state = step.state
    warned = eng.answer(state, "2", TODAY)
    assert isinstance(warned, NeedsConfirmation) and "13 tahun" in warned.warnings[0].message
    assert isinstance(eng.answer(state, "1", TODAY), Accepted)


def _fixture_value(prompt: Prompt) -> Any:
    import json

    from tests.bot.conftest import PATHS

    return json.loads((PATHS / "pendataan" / "full.json").read_text(encoding="utf-8"))["answers"][prompt.node.id]


def test_never_bullied_this_semester_is_not_asked_who_bullies() -> None:
    eng = engine("monitoring")
    state = path_state("monitoring", "c6-perundungan", "C.7")
    after = eng.answer(state, "1", TODAY, confirm=True)
    assert isinstance(after, Accepted)
    prompt = eng.current(after.state, TODAY)
    assert isinstance(prompt, Prompt) and prompt.node.id != "C.8"
    bullied = eng.answer(state, "2", TODAY, confirm=True)
    assert isinstance(bullied, Accepted)
    nxt = eng.current(bullied.state, TODAY)
    assert isinstance(nxt, Prompt) and nxt.node.id == "C.8"


def test_the_bot_says_why_in_the_persons_language(db, conversations) -> None:
    enrol(db, 1301, Role.PENDAMPING, language="en")
    phone = Phone(conversations, 1301, "en")
    state = path_state("pendampingan", "full", "V.10")
    resume_at(phone, "pendampingan", state)
    visit = dt.date.fromisoformat(state.answers["V.1"])
    phone.send((visit - dt.timedelta(days=3)).strftime("%d/%m/%Y"))
    result = phone.press(translator("en")(T.YES))
    rule = engine("pendampingan").compiled.instrument.rules[0].message
    assert head(result.replies[0].text) == "✗ " + translator("en").label(rule) and translator("en").label(rule) != rule

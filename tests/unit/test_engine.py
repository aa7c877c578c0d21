"""The engine's conversation operations: answer, refuse, warn, go back, edit, skip, progress, repeat, resume."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from flows import messages as M
from flows.compiler import CompiledInstrument, Position
from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Prompt, Refused, State
from flows.loader import load_file

TODAY = dt.date(2026, 11, 23)
NIK_GIRL_KANDANGSERANG = "3326014503120001"  # 33.26.01, born 05-03-2012, girl (45 = 5 + 40)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(CompiledInstrument(load_file(Path(__file__).parent.parent / "fixtures" / "demo.yaml")))


def feed(engine: Engine, *inputs: object, state: State | None = None) -> State:
    """Answer the current questions in turn; every input must be accepted."""
    state = state or State()
    for raw in inputs:
        outcome = engine.skip(state, TODAY) if raw is SKIP else engine.answer(state, raw, TODAY)
        assert isinstance(outcome, Accepted), (raw, outcome)
        state = outcome.state
    return state


SKIP = object()


def here(engine: Engine, state: State) -> str:
    prompt = engine.current(state, TODAY)
    assert isinstance(prompt, Prompt)
    return prompt.position.key


def test_start_asks_the_first_question(engine: Engine) -> None:
    prompt = engine.current(State(), TODAY)
    assert isinstance(prompt, Prompt) and prompt.position == Position("name")
    assert not prompt.can_go_back and not prompt.can_skip


def test_invalid_answer_is_refused_and_nothing_changes(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2")
    outcome = engine.answer(state, "1/2/3", TODAY)
    assert isinstance(outcome, Refused) and outcome.problem.message == M.NOT_A_DATE
    assert here(engine, state) == "dob"


def test_calculation_follows_the_birth_date(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "5 Maret 2012")
    assert state.answers["age"] == 14
    assert here(engine, state) == "kec"


def test_jump_passes_over_questions_and_drops_nothing_else(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "2")
    assert here(engine, state) == "work"  # grade and why passed over by the jump, why also by its condition


def test_other_option_asks_for_the_text(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "1", "6", ["1", "9"])
    assert here(engine, state) == "why.lainnya"
    state = feed(engine, "membantu orang tua", state=state)
    assert state.answers["why.lainnya"] == "membantu orang tua"
    assert here(engine, state) == "work"


def test_notes_are_passed_and_optional_questions_can_be_skipped(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "2", "2")
    assert here(engine, state) == "phone"
    refused = engine.skip(feed(engine, state=state), TODAY)
    assert isinstance(refused, Accepted) and refused.state.answers["phone"] is None
    assert isinstance(engine.skip(refused.state, TODAY), Refused)  # "n" is required


def test_repeat_group_asks_each_instance_and_sibling_conditions(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "2", "2", SKIP, "2", "Budi", "1", "4", "Sari")
    assert here(engine, state) == "sib.school[2]"
    state = feed(engine, "2", state=state)  # Sari not in school: no grade asked
    assert here(engine, state) == "days"
    assert state.answers["sib"] == [{"sib.name": "Budi", "sib.school": "1", "sib.grade": 4}, {"sib.name": "Sari", "sib.school": "2"}]


def test_percent_calculation_and_completion(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "2", "2", SKIP, "0", "6", "120")
    assert state.answers["pct"] == 5.0
    done = engine.current(state, TODAY)
    assert isinstance(done, Complete) and done.progress.answered == done.progress.expected


def test_progress_counts_answered_against_expected(engine: Engine) -> None:
    start = engine.progress(State(), TODAY)
    assert start.answered == 0 and start.expected > 10
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "2")
    later = engine.progress(state, TODAY)
    assert later.answered == 6 and later.expected < start.expected  # the jump shortened the path


def test_back_keeps_answers_and_returns_where_it_was(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012")
    back = engine.back(state, TODAY)
    prompt = engine.current(back, TODAY)
    assert isinstance(prompt, Prompt) and prompt.position.key == "dob" and prompt.current == "2012-03-05"
    again = engine.back(engine.back(engine.back(back, TODAY), TODAY), TODAY)
    assert here(engine, again) == "name" and engine.back(again, TODAY) == again
    state = feed(engine, "2012-03-06", state=back)
    assert here(engine, state) == "kec"


def test_edit_drops_answers_made_irrelevant(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "1", "6", ["2"], "1")
    assert state.answers["grade"] == 6 and state.answers["why"] == ["2"]
    moved = engine.goto(state, "school", TODAY)
    assert isinstance(moved, State)
    state = feed(engine, "2", state=moved)
    assert "grade" not in state.answers and "why" not in state.answers
    assert state.answers["work"] == "1"  # still on the path: kept
    assert here(engine, state) == "phone"


def test_goto_refuses_unanswered_or_unknown_positions(engine: Engine) -> None:
    state = feed(engine, "Rina")
    assert isinstance(engine.goto(state, "work", TODAY), Refused)
    assert isinstance(engine.goto(state, "nope", TODAY), Refused)


def test_nik_disagreements_are_warnings_the_volunteer_confirms(engine: Engine) -> None:
    state = feed(engine, "Rina", NIK_GIRL_KANDANGSERANG)
    outcome = engine.answer(state, "1", TODAY)  # male, but the NIK says girl
    assert isinstance(outcome, NeedsConfirmation)
    assert [w.message for w in outcome.warnings] == [M.WARN_NIK_SAYS_GIRL]
    assert outcome.state.pending == {"position": "sex", "value": "1"}  # kept, not lost
    assert here(engine, outcome.state) == "sex"
    kept = engine.confirm(outcome.state, TODAY)
    assert isinstance(kept, Accepted) and kept.state.answers["sex"] == "1" and kept.state.pending is None
    outcome = engine.answer(kept.state, "06/03/2012", TODAY)
    assert isinstance(outcome, NeedsConfirmation) and outcome.warnings[0].message == M.WARN_NIK_BIRTH_DATE
    fixed = engine.discard_pending(outcome.state)
    state = feed(engine, "05/03/2012", state=fixed)
    outcome = engine.answer(state, "33.26.08", TODAY)
    assert isinstance(outcome, NeedsConfirmation) and outcome.warnings[0].params["nik_region"] == "Kandangserang"


def test_agreeing_nik_gives_no_warning(engine: Engine) -> None:
    state = feed(engine, "Rina", NIK_GIRL_KANDANGSERANG, "2", "05/03/2012", "33.26.01")
    assert here(engine, state) == "school"


def test_state_survives_a_json_round_trip(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012", "33.26.01", "2", "2", SKIP, "1", "Budi")
    restored = State.from_json(json.loads(json.dumps(state.to_json())))
    assert restored == State.from_json(state.to_json())
    assert here(engine, restored) == here(engine, state) == "sib.school[1]"


def test_one_machine_serves_every_conversation(engine: Engine) -> None:
    for _ in range(50):
        feed(engine, "Rina", SKIP, "2", "05/03/2012")
    assert engine.compiled.machine.models == []  # transient models only, nothing retained


def test_summary_lists_answers_in_order(engine: Engine) -> None:
    state = feed(engine, "Rina", SKIP, "2", "05/03/2012")
    rows = engine.summary(state, TODAY)
    assert [p.key for p, _, _ in rows] == ["name", "nik", "sex", "dob", "age"]
    assert rows[-1][2] == 14


def test_nik_check_inside_a_repeat_group_reads_the_same_member() -> None:
    from flows.registry import engine as shipped

    household = json.loads((Path(__file__).parent.parent / "fixtures" / "paths" / "rumah-tangga" / "full.json").read_text())["answers"]
    members = household["ART"]
    assert shipped("rumah-tangga").check(household, TODAY).warnings == []
    members[0] = {**members[0], "ART.3": "1" if members[0]["ART.3"] == "2" else "2"}  # flip the first member's sex
    warnings = shipped("rumah-tangga").check(household, TODAY).warnings
    assert [w.message for w in warnings] in ([M.WARN_NIK_SAYS_GIRL], [M.WARN_NIK_SAYS_BOY])

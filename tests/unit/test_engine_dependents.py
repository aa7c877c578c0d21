"""The step that re-checks only the conditions reading an answer gives what a walk from the first question gives.

An answer at the question the walk stopped at, read by later conditions (a question's relevance, a repeat group's
count, a calculation), keeps the rest of the walk when none of them comes out differently; when one does, the walk
goes on from the answer. These tests compare every step with a walk from the first question, on a form made to
have every kind of dependency (a sibling inside a repeat group, a question outside it read from inside, conditions
reading several answers, "answered" tests, calculations read by a condition or by none), on random conversations;
and check that the shortcut is taken where nothing changes and not taken where something does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.compiler import CompiledInstrument, write
from flows.engine import Accepted, Complete, Engine, Prompt, State
from flows.loader import parse_instrument
from flows.registry import engine
from tests.conftest import TODAY
from tests.unit.test_engine_steps import fixture_answer, reloaded, seen, step

PATHS = Path(__file__).parent.parent / "fixtures" / "paths"

ONE_TWO_THREE = [{"code": 1, "label": "Satu"}, {"code": 2, "label": "Dua"}, {"code": 3, "label": "Lainnya", "other": True}]
FOUR = [{"code": c, "label": f"Pilihan {c}"} for c in (1, 2, 3, 4)]
TANGLED = {
    "spec": 1, "name": "tangled", "version": 1, "title": "Tangled", "source": "tests",
    "sections": [{"id": "s", "title": "S", "questions": [
        {"id": "a", "type": "select_one", "label": "A", "choices": ONE_TWO_THREE},
        {"id": "b", "type": "select_multiple", "label": "B", "required": False, "choices": FOUR,
         "relevant": {"any": [{"q": "a", "is": 1}, {"q": "a", "is": 2}]}},
        {"id": "born", "type": "date", "label": "Lahir", "required": False},
        {"id": "age", "type": "calculate", "label": "Umur", "calculate": {"age_from": "born"}},
        {"id": "n", "type": "integer", "label": "Jumlah", "required": False, "constraint": {"min": 0, "max": 3}},
        {"id": "g", "type": "repeat", "label": "G", "repeat_count": "n", "questions": [
            {"id": "g.x", "type": "select_one", "label": "X", "choices": FOUR[:2], "relevant": {"q": "a", "in": [1, 2]}},
            {"id": "g.y", "type": "select_one", "label": "Y", "choices": FOUR[:2], "required": False,
             "relevant": {"all": [{"q": "g.x", "is": 1}, {"not": {"q": "b", "has": 2}}]}},
            {"id": "g.z", "type": "text", "label": "Z", "relevant": {"q": "born", "answered": True}},
            {"id": "g.w", "type": "select_one", "label": "W", "choices": FOUR[:2],
             "relevant": {"any": [{"q": "g.y", "answered": True}, {"q": "a", "is": 3}]}},
        ]},
        {"id": "c", "type": "select_one", "label": "C", "choices": FOUR[:2], "jumps": {2: "e"},
         "relevant": {"any": [{"q": "b", "has": 1}, {"q": "a", "is": 3}]}},
        {"id": "born2", "type": "date", "label": "Lahir 2", "required": False},
        {"id": "age2", "type": "calculate", "label": "Umur 2", "calculate": {"age_from": "born2"}},
        {"id": "p", "type": "integer", "label": "P", "required": False},
        {"id": "w", "type": "integer", "label": "W", "required": False},
        {"id": "pct", "type": "calculate", "label": "Persen", "calculate": {"percent_of": ["p", "w"]}},
        {"id": "d", "type": "text", "label": "D", "relevant": {"any": [{"q": "age2", "gte": 10}, {"q": "p", "answered": True}]}},
        {"id": "e", "type": "select_one", "label": "E", "choices": FOUR[:2], "required": False},
        {"id": "f", "type": "text", "label": "F", "relevant": {"not": {"q": "e", "answered": True}}},
        {"id": "k1", "type": "select_one", "label": "K1", "choices": FOUR[:2], "required": False, "relevant": {"q": "a", "is": 2}},
        {"id": "k2", "type": "select_one", "label": "K2", "choices": FOUR[:2], "jumps": {2: "m"},
         "relevant": {"not": {"q": "k1", "is": 1}}},
        {"id": "k3", "type": "note", "label": "K3", "jump": "m", "relevant": {"q": "k1", "is": 2}},
        {"id": "k4", "type": "text", "label": "K4"},
        {"id": "m", "type": "text", "label": "M"},
    ]}],
}


def tangled() -> Engine:
    return Engine(CompiledInstrument(parse_instrument(TANGLED, "tangled")))


def typical(prompt: Prompt, draw: Any) -> Any:
    """An answer to the question asked that is usually valid, so conversations get far."""
    node = prompt.node
    codes = [c.code for c in node.choices]
    if node.type.value == "select_multiple":
        return draw(st.lists(st.sampled_from(codes), min_size=1, max_size=3, unique=True))
    if codes:
        return draw(st.sampled_from(codes))
    if node.type.value == "integer":
        return draw(st.sampled_from(["0", "1", "2", "3", "40"]))
    if node.type.value == "date":
        return draw(st.sampled_from(["05/03/2012", "01/01/2020", "23/11/2026"]))
    return draw(st.sampled_from(["teks", "lain"]))


class Taken:
    """How often the check of the readers kept the walk, spliced questions into it or out of it, or let it walk on."""

    kept = spliced = walked = 0


_affected, _spliced = CompiledInstrument._affected, CompiledInstrument._spliced


def affected(self: CompiledInstrument, *args: Any) -> Any:
    result = _affected(self, *args)
    if result is None:
        Taken.walked += 1
    elif not result[1]:
        Taken.kept += 1
    return result


def spliced(self: CompiledInstrument, *args: Any) -> Any:
    result = _spliced(self, *args)
    if result is None:
        Taken.walked += 1
    else:
        Taken.spliced += 1
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_conversations_on_a_tangled_form_step_as_from_the_start(data: st.DataObject) -> None:
    eng = tangled()
    kept = fresh = State()
    for _ in range(40):
        assert seen(eng, kept) == seen(eng, reloaded(fresh))
        if isinstance(prompt := eng.current(kept, TODAY), Complete):
            break
        action = data.draw(st.sampled_from(["answer!"] * 8 + ["skip", "back", "goto"]))
        value = typical(prompt, data.draw) if action == "answer!" else None
        if action == "goto":  # an earlier answer changed: the questions after it keep theirs
            rows = eng.summary(kept, TODAY)
            value = data.draw(st.sampled_from(rows))[0].key if rows else "x"
        outcome = eng.answer(kept, value, TODAY, confirm=True) if action == "answer!" else None
        if isinstance(outcome, Accepted) and kept.cursor is None and kept.answers:
            assert advanced(eng, kept, outcome.value) == walked(eng, kept, outcome.value)
        kept, fresh = step(eng, kept, action, value), step(eng, reloaded(fresh), action, value)


def advanced(eng: Engine, state: State, value: Any) -> tuple[Any, ...]:
    """The walk :meth:`CompiledInstrument.advance` makes from the state's walk with ``value`` at its stop, as the
    engine asks for it (``None`` when it cannot: the engine then walks from the start)."""
    walk = eng.compiled.walk(state.answers, TODAY)
    assert walk.stop is not None
    node = eng.layout.nodes[walk.stop.qid]
    answers = dict(state.answers)
    write(answers, node, walk.stop.instance, value)
    result = eng.compiled.advance(walk, answers, TODAY)
    return walked(eng, state, value) if result is None else (result.path, result.computed, result.missing, result.answerable)


def walked(eng: Engine, state: State, value: Any) -> tuple[Any, ...]:
    """The same walk made from the first question."""
    stop = eng.compiled.walk(state.answers, TODAY).stop
    assert stop is not None
    answers = dict(state.answers)
    write(answers, eng.layout.nodes[stop.qid], stop.instance, value)
    walk = eng.compiled.walk(answers, TODAY)
    return walk.path, walk.computed, walk.missing, walk.answerable


def test_the_tangled_form_takes_the_shortcuts_and_walks_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The random conversations above meet every outcome of the check (else they would prove nothing about it)."""
    monkeypatch.setattr(CompiledInstrument, "_affected", affected)
    monkeypatch.setattr(CompiledInstrument, "_spliced", spliced)
    Taken.kept = Taken.spliced = Taken.walked = 0
    test_random_conversations_on_a_tangled_form_step_as_from_the_start()
    assert Taken.kept > 20 and Taken.spliced > 20 and Taken.walked > 20


def test_what_reads_each_answer_is_listed() -> None:
    dependents = tangled().compiled._dependents
    relevances = (dependents["a"] or ((), (), ()))[0]
    assert {node.id for node, _ in relevances} == {"b", "a.lainnya", "g.x", "g.w", "c", "k1"}
    assert dependents["n"] == ((), (), ("g",))
    assert [(node.id, read) for node, read in (dependents["born"] or ((), (), ()))[1]] == [("age", False)]
    assert [(node.id, read) for node, read in (dependents["born2"] or ((), (), ()))[1]] == [("age2", True)]  # "d" reads it
    assert [(node.id, read) for node, read in (dependents["w"] or ((), (), ()))[1]] == [("pct", False)]
    assert {node.id for node, _ in (dependents["g.x"] or ((), (), ()))[0]} == {"g.y"}
    assert dependents["p"] is None  # read with a calculation by "d": the walk evaluates it where it stands


def fill(eng: Engine, raw: dict[str, Any], until: str) -> State:
    """Answer a fixture in order up to (not including) question ``until``."""
    state = State()
    while not isinstance(prompt := eng.current(state, TODAY), Complete) and prompt.position.key != until:
        value = fixture_answer(raw, prompt)
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted)
        state = outcome.state
    return state


def test_an_answer_no_later_condition_changes_is_one_trigger(counted: list[str]) -> None:
    """Monitoring's C.6 is read by three later conditions ("Lainnya", bullying, who bullies). Without "Lainnya" or
    bullying, none changes: one ``next`` trigger, and the walk's path stands. With bullying, the two questions right
    after it open: they are spliced into the walk, still with one trigger, and C.7 is asked."""
    eng = Engine(CompiledInstrument(engine("monitoring").compiled.instrument))
    raw = json.loads((PATHS / "monitoring" / "full.json").read_text(encoding="utf-8"))["answers"]
    state = fill(eng, raw, "C.6")
    walk = eng.walk(state, TODAY)
    assert walk.stop is not None and walk.reads.get(walk.stop) is not None  # later conditions read it
    del counted[:]
    outcome = eng.answer(state, ["2", "5"], TODAY)
    assert isinstance(outcome, Accepted) and counted == ["next"]
    assert eng.walk(outcome.state, TODAY).path is walk.path
    assert seen(eng, outcome.state) == seen(eng, reloaded(outcome.state))
    del counted[:]
    outcome = eng.answer(state, ["2", "6"], TODAY)
    assert isinstance(outcome, Accepted) and counted == ["next"]  # C.7 and C.8 spliced in: no walk from C.6
    prompt = eng.current(outcome.state, TODAY)
    assert isinstance(prompt, Prompt) and prompt.position.key == "C.7"
    assert [p.key for p in eng.walk(outcome.state, TODAY).path if p.qid.startswith("C.")][-4:] == ["C.6", "C.7", "C.8", "C.9"]
    assert seen(eng, outcome.state) == seen(eng, reloaded(outcome.state))


def test_a_birth_date_stores_its_age_in_one_trigger(counted: list[str]) -> None:
    """Rumah Tangga's ART.4 (birth date) is read by the age calculation ART.5 only, which no condition reads: the
    age changes, the route does not. One trigger, and the age is stored as a walk from the start stores it."""
    eng = Engine(CompiledInstrument(engine("rumah-tangga").compiled.instrument))
    raw = json.loads((PATHS / "rumah-tangga" / "full.json").read_text(encoding="utf-8"))["answers"]
    state = fill(eng, raw, "ART.4[1]")
    del counted[:]
    outcome = eng.answer(state, raw["ART"][0]["ART.4"], TODAY, confirm=True)
    assert isinstance(outcome, Accepted) and counted == ["next"]
    assert outcome.state.answers["ART"][0]["ART.5"] == reloaded(outcome.state).answers["ART"][0]["ART.5"]
    assert seen(eng, outcome.state) == seen(eng, reloaded(outcome.state))


def test_a_wrong_table_of_readers_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a reader missing from the table (here C.7, the bullying question), the step would keep a walk that no
    longer holds: the comparison with a walk from the start sees it. (The tests above would then fail.)"""
    eng = Engine(CompiledInstrument(engine("monitoring").compiled.instrument))
    table = eng.compiled._dependents
    relevances, calculations, groups = table["C.6"] or ((), (), ())
    table["C.6"] = (tuple((n, alone) for n, alone in relevances if n.id not in ("C.7", "C.8")), calculations, groups)
    raw = json.loads((PATHS / "monitoring" / "full.json").read_text(encoding="utf-8"))["answers"]
    state = fill(eng, raw, "C.6")
    outcome = eng.answer(state, ["2", "6"], TODAY)
    assert isinstance(outcome, Accepted)
    assert seen(eng, outcome.state) != seen(eng, reloaded(outcome.state))

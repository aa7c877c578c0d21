"""Stepping from the walk a state carries gives exactly what walking the form from its first question gives.

Each conversation runs twice: once keeping the states the engine returns (the incremental step), once
reloading every state from its JSON first, as if from storage, so every step walks the whole form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.compiler import CompiledInstrument
from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Prompt, State
from flows.loader import instrument_names, load_version
from flows.registry import engine
from tests.conftest import TODAY
from tests.unit.test_properties import plausible

PATHS = Path(__file__).parent.parent / "fixtures" / "paths"
CASES = sorted(p for p in PATHS.glob("*/*.json") if p.stem == "full" or p.stem.startswith("stop-"))
"""Every whole form, and every way a walk stops (the unit tier also checks every fixture's path by itself)."""


def reloaded(state: State) -> State:
    return State.from_json(json.loads(json.dumps(state.to_json())))


def seen(eng: Engine, state: State) -> tuple[Any, ...]:
    """Everything a person sees of a state, and the state's data."""
    prompt = eng.current(state, TODAY)
    shown = ("complete", prompt.progress) if isinstance(prompt, Complete) else (
        prompt.position, prompt.current, prompt.progress, prompt.can_go_back)
    return shown, eng.summary(state, TODAY), state.to_json()


def step(eng: Engine, state: State, action: str, value: Any) -> State:
    if action == "back":
        return eng.back(state, TODAY)
    if action == "goto":
        moved = eng.goto(state, value, TODAY)
        return moved if isinstance(moved, State) else state
    outcome = (eng.skip(state, TODAY) if action == "skip" else eng.confirm(state, TODAY) if action == "confirm"
               else eng.answer(state, value, TODAY, confirm=action == "answer!"))
    return outcome.state if isinstance(outcome, (Accepted, NeedsConfirmation)) else state  # refused: unchanged


def fixture_answer(raw: dict[str, Any], prompt: Prompt) -> Any:
    """The fixture's answer to the question ``prompt`` asks (a repeat group's row by its instance), or None."""
    node = prompt.node
    if node.group is None:
        return raw.get(node.id)
    rows = raw.get(node.group)
    instance = prompt.position.instance
    return rows[instance - 1].get(node.id) if isinstance(rows, list) and len(rows) >= instance else None


def next_move(eng: Engine, state: State, raw: dict[str, Any]) -> tuple[str, Any] | None:
    """What a person following the fixture does next (``answer!`` or ``skip`` with its value), or None where the
    fixture ends: the form is complete or a required question has no answer in it."""
    prompt = eng.current(state, TODAY)
    if isinstance(prompt, Complete):
        return None
    value = fixture_answer(raw, prompt)
    if value is None and prompt.node.question.required:
        return None
    return ("skip" if value is None else "answer!"), value


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_fixture_walks_step_by_step_as_from_the_start(path: Path) -> None:
    eng, raw = engine(path.parent.name), json.loads(path.read_text(encoding="utf-8"))["answers"]
    kept, fresh = State(), State()
    for _ in range(400):
        assert seen(eng, kept) == seen(eng, reloaded(fresh))
        move = next_move(eng, kept, raw)
        if move is None:
            break
        action, value = move
        before = kept
        kept, fresh = step(eng, kept, action, value), step(eng, reloaded(fresh), action, value)
        if kept is before:  # refused: where the fixture stops
            break


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(instrument_names()), data=st.data())
def test_random_conversations_step_as_from_the_start(name: str, data: st.DataObject) -> None:
    eng = engine(name)
    kept = fresh = State()
    for _ in range(40):
        assert seen(eng, kept) == seen(eng, reloaded(fresh))
        prompt = eng.current(kept, TODAY)
        if isinstance(prompt, Complete):
            break
        assert isinstance(prompt, Prompt)
        action = data.draw(st.sampled_from(["answer"] * 6 + ["answer!", "back", "skip", "confirm", "goto"]))
        value: Any = None
        if action == "goto":
            rows = eng.summary(kept, TODAY)
            value = data.draw(st.sampled_from(rows))[0].key if rows else "x"
        elif action.startswith("answer"):
            value = plausible(prompt, data.draw)
        kept, fresh = step(eng, kept, action, value), step(eng, reloaded(fresh), action, value)


ALL = sorted(PATHS.glob("*/*.json"))


def fill(eng: Engine, raw: dict[str, Any], fired: list[str], per_answer: list[list[str]], check: bool = True) -> list[tuple[Any, ...]]:
    """Answer a fixture in order (as the path tests do), checking every step against a walk from the first question
    unless told not to; what the person saw at each step. ``per_answer`` receives the machine's events (from
    ``fired``) each answer took."""
    kept, shown = State(), []
    for _ in range(400):
        shown.append(seen(eng, kept))
        assert not check or shown[-1] == seen(eng, reloaded(kept))
        move = next_move(eng, kept, raw)
        if move is None:
            break
        before, count = kept, len(fired)
        kept = step(eng, kept, *move)
        per_answer.append(fired[count:])
        if kept is before:
            break
    return shown


@pytest.mark.parametrize("name", sorted({p.parent.name for p in ALL}))
def test_replayed_stretches_give_what_the_machine_gives(name: str, counted: list[str]) -> None:
    """Every path fixture of an instrument, on one engine that starts with nothing recorded: each route-changing
    answer is walked by the machine the first time and replayed from what was recorded (whole, in part, or from
    another fixture's stretch) afterwards, and every step still shows exactly what a walk from the first question
    shows. Each fixture is then answered again: a forward answer is then one trigger of the machine."""
    eng = Engine(CompiledInstrument(load_version(name)))
    fixtures = [json.loads(p.read_text(encoding="utf-8"))["answers"] for p in sorted(PATHS.glob(f"{name}/*.json"))]
    walked: list[list[str]] = []
    first = [fill(eng, raw, counted, walked) for raw in fixtures]
    # The first time, the machine walked each new stretch (one trigger per question on it), and it was recorded.
    assert bool(eng.compiled._traces) == any(len(events) > 1 for events in walked)
    replayed: list[list[str]] = []
    assert [fill(eng, raw, counted, replayed, check=False) for raw in fixtures] == first  # the same, step by step
    assert [e for e in replayed if e and e != ["next"]] == []


def test_recorded_stretches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A few stretches per machine state, and a bound on the states: a long-running bot's memory stays flat."""
    from flows import compiler

    assert (compiler._TRACES_PER_START, compiler._TRACE_STARTS) == (8, 1024)  # as README.md says
    monkeypatch.setattr(compiler, "_TRACES_PER_START", 2)
    monkeypatch.setattr(compiler, "_TRACE_STARTS", 3)
    eng = Engine(CompiledInstrument(load_version("rumah-tangga")))
    raw = json.loads((PATHS / "rumah-tangga" / "full.json").read_text(encoding="utf-8"))["answers"]
    for members in (1, 2, 3, 1, 2):  # R.9 answered differently: another stretch from the same state each time
        fill(eng, {**raw, "R.9": members, "ART": raw["ART"][:members]}, [], [])
        assert len(eng.compiled._traces) <= 3
        assert all(len(traces) <= 2 for traces in eng.compiled._traces.values())


def test_an_answer_read_only_by_a_follow_up_never_asked_keeps_the_walk() -> None:
    """Monitoring's last question (D.3) is read by its "Lainnya" follow-up only. Answered without "Lainnya", the
    walk from it goes on to the end the way the old one did: the old walk stands (the same path, nothing to prune),
    rather than being joined anew and the answers pruned again."""
    eng = engine("monitoring")
    raw = json.loads((PATHS / "monitoring" / "full.json").read_text(encoding="utf-8"))["answers"]
    assert "6" not in raw["D.3"]  # "Lainnya" not chosen
    state = State()
    while not isinstance(prompt := eng.current(state, TODAY), Complete):
        value = raw.get(prompt.node.id)
        before = eng.walk(state, TODAY)
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted)
        state = outcome.state
    assert prompt.progress.answered == prompt.progress.expected
    assert before.path[-1].qid == "D.3" and before.reads.get(before.path[-1]) is not None  # read after it, so walked on
    assert eng.walk(state, TODAY).path is before.path
    assert getattr(state, "_trail", None) is not None  # the state carries its walk: not pruned and walked again


def test_a_nik_is_read_once_per_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typing a NIK and each answer it is checked against (sex, birth date, kecamatan) read it once, not each time."""
    import lokal

    from flows.nik_checks import nik_info

    read: list[str] = []
    parse_nik = lokal.parse_nik

    def counting(text: str, **kwargs: Any) -> Any:
        read.append(text)
        return parse_nik(text, **kwargs)

    monkeypatch.setattr(lokal, "parse_nik", counting)
    nik_info.cache_clear()
    raw = json.loads((PATHS / "rumah-tangga" / "full.json").read_text(encoding="utf-8"))["answers"]
    fill(engine("rumah-tangga"), raw, [], [], check=False)
    niks = [member["ART.2"] for member in raw["ART"] if member.get("ART.2")]
    assert len(niks) == 2 and sorted(read) == sorted(niks)

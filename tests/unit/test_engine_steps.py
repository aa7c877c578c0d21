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

from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Prompt, State
from flows.loader import instrument_names
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


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_fixture_walks_step_by_step_as_from_the_start(path: Path) -> None:
    eng, raw = engine(path.parent.name), json.loads(path.read_text(encoding="utf-8"))["answers"]
    kept, fresh = State(), State()
    for _ in range(400):
        assert seen(eng, kept) == seen(eng, reloaded(fresh))
        prompt = eng.current(kept, TODAY)
        if isinstance(prompt, Complete):
            break
        node = prompt.node
        rows = raw.get(node.group) if node.group else None
        value = raw.get(node.id) if node.group is None else (
            rows[prompt.position.instance - 1].get(node.id) if isinstance(rows, list) and len(rows) >= prompt.position.instance else None)
        if value is None and node.question.required:
            break
        action = "skip" if value is None else "answer!"
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

"""Property-based tests: random inputs never crash the engine, and every walk ends."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.engine import Accepted, Complete, NeedsConfirmation, Prompt, Refused, State
from flows.loader import instrument_names
from flows.registry import engine
from flows.schema import SELECTS
from tests.conftest import TODAY

NAMES = instrument_names()

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=40),
    st.lists(st.text(max_size=5), max_size=4), st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)


def plausible(prompt: Prompt, draw: Any) -> Any:
    """An input a person might send to this question: often valid, sometimes not."""
    codes = [c.code for c in prompt.node.choices]
    if prompt.node.type in SELECTS and codes:
        return draw(st.one_of(st.sampled_from(codes), st.lists(st.sampled_from(codes), min_size=1, max_size=3), junk))
    return draw(st.one_of(
        junk, st.sampled_from(["05/03/2012", "1", "12", "Rina", "3326014503120001", "0123456789", "0812-3456-7890", "-7.03, 109.58"]),
    ))


actions = st.sampled_from(["answer"] * 8 + ["back", "skip", "confirm"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), data=st.data())
def test_random_conversations_never_crash(name: str, data: st.DataObject) -> None:
    eng = engine(name)
    state = State()
    for _ in range(40):
        prompt = eng.current(state, TODAY)
        if isinstance(prompt, Complete):
            break
        action = data.draw(actions)
        if action == "back":
            state = eng.back(state, TODAY)
            continue
        outcome = (eng.skip(state, TODAY) if action == "skip" else
                   eng.confirm(state, TODAY) if action == "confirm" else
                   eng.answer(state, plausible(prompt, data.draw), TODAY))
        assert isinstance(outcome, (Accepted, Refused, NeedsConfirmation))
        if isinstance(outcome, (Accepted, NeedsConfirmation)):
            state = outcome.state
        progress = eng.progress(state, TODAY)
        assert 0 <= progress.answered <= progress.expected


@settings(max_examples=80, deadline=None)
@given(name=st.sampled_from(NAMES), answers=st.dictionaries(st.text(max_size=12), junk, max_size=12))
def test_every_walk_ends_with_a_verdict(name: str, answers: dict[str, Any]) -> None:
    report = engine(name).check(answers, TODAY)
    assert report.complete == (report.stopped_at is None)
    assert report.visited and len(report.visited) == len(set(report.visited))
    if report.stopped_at:
        assert report.visited[-1] == report.stopped_at

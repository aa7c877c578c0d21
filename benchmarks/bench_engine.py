"""Engine throughput and memory: steps per second, and memory per active session with 10,000 sessions.

A "step" is what the bot does for one answer: find the current question, validate the input, move on and
drop answers the edit made irrelevant. Sessions are plain data (the compiled machine is shared), so memory per
session is the size of its answers.

Run: python benchmarks/bench_engine.py [--sessions 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import time
import tracemalloc
from pathlib import Path

from flows.engine import Accepted, Complete, Engine, State
from flows.registry import engine
from flows.schema import QuestionType

TODAY = dt.date(2026, 11, 23)  # the fixtures' ages are computed on this day

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "paths"


def full_answers(name: str) -> dict:
    return json.loads((FIXTURES / name / "full.json").read_text(encoding="utf-8"))["answers"]


def fill(eng: Engine, raw: dict, limit: int | None = None) -> tuple[State, int]:
    """Answer the form in order from the fixture's raw answers; returns the state and the steps taken."""
    state, steps = State(), 0
    while limit is None or steps < limit:
        prompt = eng.current(state, TODAY)
        if isinstance(prompt, Complete):
            break
        node = prompt.node
        value = raw.get(node.id) if node.group is None else raw[node.group][prompt.position.instance - 1].get(node.id)
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted), (node.id, outcome)
        state, steps = outcome.state, steps + 1
    return state, steps


def steps_per_second(name: str, seconds: float = 3.0) -> tuple[float, int]:
    eng, raw = engine(name), full_answers(name)
    # Vary the first top-level text answer so no run repeats another's answers (the walk cache must not help).
    first = next(n.id for n in eng.layout.nodes.values() if n.type is QuestionType.TEXT and n.group is None and n.id in raw and n.question.constraint is None)
    total, run, started = 0, 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        run += 1
        _, steps = fill(eng, {**raw, first: f"{raw.get(first, 'x')} {run}"})
        total += steps
    return total / (time.perf_counter() - started), len(eng.layout.nodes)


def memory_per_session(sessions: int) -> float:
    eng, raw = engine("pendataan"), full_answers("pendataan")
    half, _ = fill(eng, raw, limit=30)  # a draft 30 answers in
    payload = json.dumps(half.to_json())
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    states = [State.from_json(json.loads(payload)) for _ in range(sessions)]  # as loaded from the database
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(states) == sessions and eng.compiled.machine.models == []
    return (after - before) / sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{'instrument':<18} {'questions':>9} {'steps/s':>9}")
    for name in ("pendataan", "rekonfirmasi", "monitoring", "rumah-tangga"):
        rate, size = steps_per_second(name)
        print(f"{name:<18} {size:>9} {rate:>9.0f}")
    per = memory_per_session(args.sessions)
    print(f"memory per active session ({args.sessions} Pendataan drafts, 30 answers each): {per / 1024:.1f} KiB")
    print("compiled machines shared: 1 per instrument version; models attached to a machine: 0")


if __name__ == "__main__":
    main()

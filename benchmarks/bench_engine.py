"""Engine step against a raw ``transitions`` trigger, and memory per active draft.

A "step" is what the bot does for one answer: validate it (parsing, the form's rules, NIK checks, warnings) and
move on (``Engine.answer``), then find the next question with its progress (``Engine.current``). It is measured
over whole forms answered in order, with the states the engine returns. The forms are every path fixture of the
instrument that reaches its end (``tests/fixtures/paths``: each branch of the paper, "Lainnya" written in or not,
households of one to three members), taken in turn with a free-text answer changed in each, so the stream
takes every route the fixtures take rather than one route again and again. Printed beside:

- the baseline: one raw ``transitions`` trigger on a machine of the same size (as many states, a transient
  model, ``auto_transitions=False``, ``send_event=True``, logging silenced), the floor any step pays;
- the same step with nothing recorded: the stretches the machine walked after route-changing answers are
  forgotten before every form, so each such answer triggers the machine along its whole new stretch (a bot
  that has just started, or a route it has not seen that day);
- the same step when every state is reloaded from its JSON first (as a bot turn does from storage): that is a
  walk from the first question, what every step cost before the engine stepped from the current state.

Times are the process's CPU time (other work on a shared host does not count), best of 5 interleaved rounds.

Memory: 10,000 Pendataan drafts 30 answers in, as loaded from storage (tracemalloc); and what the recorded
stretches of all four instruments hold after the run (shared by every conversation, bounded).

Run: python benchmarks/bench_engine.py [--forms 40] [--sessions 10000]   (about a minute)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import sys
import time
import tracemalloc
from itertools import pairwise
from pathlib import Path

from transitions import Machine

from flows.engine import Accepted, Complete, Engine, State
from flows.registry import engine
from flows.schema import QuestionType

TODAY = dt.date(2026, 11, 23)  # the fixtures' ages are computed on this day

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "paths"


def full_answers(name: str) -> dict:
    return json.loads((FIXTURES / name / "full.json").read_text(encoding="utf-8"))["answers"]


def whole_forms(name: str) -> list[dict]:
    """The answers of every path fixture of ``name`` that reaches the end of the form."""
    eng = engine(name)
    forms = [json.loads(path.read_text(encoding="utf-8"))["answers"] for path in sorted((FIXTURES / name).glob("*.json"))]
    return [raw for raw in forms if eng.check(raw, TODAY).complete]


def fill(eng: Engine, raw: dict, limit: int | None = None, reload: bool = False) -> tuple[State, int]:
    """Answer the form in order from the fixture's raw answers; returns the state and the steps taken."""
    state, steps = State(), 0
    prompt = eng.current(state, TODAY)
    while (limit is None or steps < limit) and not isinstance(prompt, Complete):
        node = prompt.node
        value = raw.get(node.id) if node.group is None else raw[node.group][prompt.position.instance - 1].get(node.id)
        if reload:
            state = State.from_json(json.loads(json.dumps(state.to_json())))
        outcome = eng.skip(state, TODAY) if value is None else eng.answer(state, value, TODAY, confirm=True)
        assert isinstance(outcome, Accepted), (node.id, outcome)
        state, steps = outcome.state, steps + 1
        prompt = eng.current(state, TODAY)
    return state, steps


def engine_step(name: str, forms: int, reload: bool = False, recorded: bool = True) -> float:
    """Seconds per step (answer + next question) over ``forms`` whole forms, the instrument's fixtures in turn;
    with ``recorded=False``, the stretches recorded after route-changing answers are forgotten before each form."""
    eng, stream = engine(name), whole_forms(name)
    texts = [next((n.id for n in eng.layout.nodes.values()
                   if n.type is QuestionType.TEXT and n.group is None and n.id in raw
                   and (n.question.constraint is None or n.question.constraint.pattern is None)), None) for raw in stream]
    for raw in stream:
        fill(eng, raw)  # warm: lokal, catalogs, and the routes of every fixture recorded once
    total, elapsed = 0, 0.0
    for run in range(forms):
        raw, text = stream[run % len(stream)], texts[run % len(stream)]
        if text is not None:
            raw = {**raw, text: f"{raw[text]} {run}"}
        if not recorded:
            getattr(eng.compiled, "_traces", {}).clear()
        started = time.process_time()
        _, steps = fill(eng, raw, reload=reload)
        elapsed += time.process_time() - started
        total += steps
    return elapsed / total


def raw_trigger(states: int, triggers: int = 200_000) -> float:
    """Seconds per ``next`` trigger on a chain of ``states`` states, transient model (the baseline)."""
    names = [f"q{i}" for i in range(states)]
    machine = Machine(model=None, states=names, initial=names[0], auto_transitions=False, send_event=True)
    for here, there in pairwise(names):
        machine.add_transition("next", here, there)
    logging.getLogger("transitions.core").setLevel(logging.WARNING)

    class Model:
        state = names[0]

    model, event, done = Model(), machine.events["next"], 0
    started = time.process_time()
    while done < triggers:
        model.state = names[0]
        for _ in range(states - 1):
            event.trigger(model)
        done += states - 1
    return (time.process_time() - started) / done


def memory_per_draft(sessions: int, carry_walk: bool) -> float:
    eng, raw = engine("pendataan"), full_answers("pendataan")
    half, _ = fill(eng, raw, limit=30)  # a draft 30 answers in
    payload = json.dumps(half.to_json())
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    states = [State.from_json(json.loads(payload)) for _ in range(sessions)]  # as loaded from the database
    if carry_walk:
        for state in states:
            eng.current(state, TODAY)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(states) == sessions and eng.compiled.machine.models == []
    return (after - before) / sessions


def recorded_size() -> int:
    """Bytes the recorded stretches of every engine hold (their containers, steps and lookups; not the answers and
    positions they share with the forms)."""
    seen: set[int] = set()

    def size(obj: object) -> int:
        if id(obj) in seen or isinstance(obj, (str, int, float, bool)) or obj is None:
            return 0
        seen.add(id(obj))
        inner = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, tuple) else ()
        return sys.getsizeof(obj) + sum(size(item) for item in inner)

    return sum(size(getattr(engine(name).compiled, "_traces", {})) for name in NAMES)


NAMES = ("pendataan", "rekonfirmasi", "monitoring", "rumah-tangga")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=40, help="whole forms answered per instrument (default 40)")
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{'instrument':<14} {'states':>6} {'forms':>5} {'raw trigger':>12} {'engine step':>12} {'ratio':>6} "
          f"{'nothing recorded':>17} {'ratio':>6} {'walk from start':>16} {'ratio':>6}")
    for name in NAMES:
        size = len(engine(name).layout.nodes) + 1
        forms = max(args.forms // 5, len(whole_forms(name)))
        # Interleaved rounds, best of each: the figures of a shared machine are noisy, their minimum much less.
        rounds = [(raw_trigger(size, 20_000), engine_step(name, forms), engine_step(name, forms, recorded=False),
                   engine_step(name, 1, reload=True)) for _ in range(5)]
        baseline, step, cold, walked = (min(r[i] for r in rounds) for i in range(4))
        print(f"{name:<14} {size:>6} {len(whole_forms(name)):>5} {baseline * 1e6:>10.1f}µs {step * 1e6:>10.1f}µs "
              f"{step / baseline:>5.1f}× {cold * 1e6:>15.1f}µs {cold / baseline:>5.1f}× {walked * 1e6:>14.1f}µs {walked / baseline:>5.0f}×")
    stored = memory_per_draft(args.sessions, carry_walk=False)
    walking = memory_per_draft(min(args.sessions, 2_000), carry_walk=True)
    print(f"memory per active draft (Pendataan, 30 answers): {stored / 1024:.1f} KiB as stored and loaded; "
          f"{walking / 1024:.1f} KiB while it carries its walk")
    print(f"recorded stretches, all four instruments, shared by every conversation: {recorded_size() / 1024:.0f} KiB")
    print("compiled machines shared: 1 per instrument version; models attached to a machine: 0")


if __name__ == "__main__":
    main()

"""``ats-bot instruments walk NAME --steps``: drive one conversation answer by answer over JSON lines.

For a district's own tooling (a spreadsheet macro, a test script, another chat channel): one process answers
a whole form, one request per input line, one reply per output line, with the engine the bot uses.

Before reading anything it prints the first question. Then each input line is one JSON object:

    {"answer": VALUE}        answer the current question (codes as strings, dates YYYY-MM-DD or DD/MM/YYYY...)
    {"answer": VALUE, "confirm": true}   ... and keep it despite warnings (NIK disagreements)
    {"confirm": true}        keep the answer that is waiting on its warnings
    {"skip": true}           leave an optional question unanswered
    {"back": true}           go to the previous question
    {"goto": "1.4"}          go to an answered question to change it (repeat groups: "ART.3[2]")
    {}                       say where we are again

and each reply line is ``{"ok", "error", "warnings", "question" | null, "progress", "complete", "answers"}``:
``question`` is what to ask next (id, key, type, label, required, choices); ``answers`` is the form's data
once complete. A line that is not a JSON object gets ``ok: false`` with the reason; the walk goes on.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TextIO

from app.i18n import Translator
from app.presenting import describe_problem
from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Outcome, Refused, State
from flows.messages import N_

NOT_A_REQUEST = N_('Line {line}: expected a JSON object such as {{"answer": "1"}}, got: {problem}')
UNKNOWN_REQUEST = N_("Line {line}: unknown request; use answer, skip, back, confirm or goto.")


def walk_steps(engine: Engine, t: Translator, lines: TextIO, out: TextIO, today: dt.date | None) -> int:
    state = State()
    _reply(engine, t, state, out, today)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        request, error = _request(t, line, number)
        if request is None:
            _reply(engine, t, state, out, today, error=error)
            continue
        state, error, warnings = _apply(engine, t, state, request, today, number)
        _reply(engine, t, state, out, today, error=error, warnings=warnings)
    return 0


def _request(t: Translator, line: str, number: int) -> tuple[dict[str, Any] | None, str | None]:
    try:
        request = json.loads(line)
    except ValueError as exc:
        return None, t(NOT_A_REQUEST, line=number, problem=str(exc))
    if not isinstance(request, dict):
        return None, t(NOT_A_REQUEST, line=number, problem=type(request).__name__)
    return request, None


def _apply(engine: Engine, t: Translator, state: State, request: dict[str, Any], today: dt.date | None,
           number: int) -> tuple[State, str | None, list[str]]:
    """The state after one request, with the refusal or the warnings to report."""
    outcome: Outcome | None = None
    if "answer" in request:
        outcome = engine.answer(state, request["answer"], today, confirm=bool(request.get("confirm")))
    elif request.get("confirm"):
        outcome = engine.confirm(state, today)
    elif request.get("skip"):
        outcome = engine.skip(state, today)
    elif request.get("back"):
        return engine.back(state, today), None, []
    elif "goto" in request:
        moved = engine.goto(state, str(request["goto"]), today)
        return (state, describe_problem(t, moved.problem), []) if isinstance(moved, Refused) else (moved, None, [])
    elif request:
        return state, t(UNKNOWN_REQUEST, line=number), []
    if outcome is None:
        return state, None, []
    if isinstance(outcome, Refused):
        return state, describe_problem(t, outcome.problem), []
    if isinstance(outcome, NeedsConfirmation):
        return outcome.state, None, [describe_problem(t, w) for w in outcome.warnings]
    assert isinstance(outcome, Accepted)
    return outcome.state, None, []


def _reply(engine: Engine, t: Translator, state: State, out: TextIO, today: dt.date | None,
           error: str | None = None, warnings: list[str] | None = None) -> None:
    prompt = engine.current(state, today)
    complete = isinstance(prompt, Complete)
    question = None if isinstance(prompt, Complete) else {
        "id": prompt.node.id,
        "key": prompt.position.key,
        "type": prompt.node.type.value,
        "label": t.label(prompt.node.question.label),
        "required": prompt.node.question.required,
        "choices": [{"code": c.code, "label": t.label(c.label)} for c in prompt.node.choices],
        "current": prompt.current,
    }
    reply = {
        "ok": error is None,
        "error": error,
        "warnings": warnings or [],
        "question": question,
        "progress": {"answered": prompt.progress.answered, "expected": prompt.progress.expected},
        "complete": complete,
        "answers": dict(state.answers) if complete else None,
    }
    out.write(json.dumps(reply, ensure_ascii=False, default=str) + "\n")
    out.flush()

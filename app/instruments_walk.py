"""``ats-bot instruments walk NAME [FILE] [--steps]``: the skip logic over a set of answers, or answer by answer.

Without ``--steps``: one JSON object ``{question id: answer}`` in, the path and where it stopped out.

With ``--steps``: drive one conversation answer by answer over JSON lines.

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

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from core.i18n import Translator, translator
from core.presenting import describe_problem
from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Outcome, Refused, State
from flows.messages import N_
from flows.registry import engine
from flows.schema import QuestionType

NOT_A_REQUEST = N_('Line {line}: expected a JSON object such as {{"answer": "1"}}, got: {problem}')
UNKNOWN_REQUEST = N_("Line {line}: unknown request; use answer, skip, back, confirm or goto.")
NOT_AN_OBJECT = N_("The answers must be one JSON object {{\"question id\": answer, ...}}: {problem}")
NOT_JSON = N_("not JSON ({error})")
A_LIST = N_("a JSON list was given")
UNREADABLE = N_("Cannot read {file}: {error}")


def cmd_walk(args: argparse.Namespace) -> int:
    t = translator(args.lang)
    try:
        source = args.answers.open(encoding="utf-8") if args.answers else sys.stdin
    except OSError as exc:
        print(t(UNREADABLE, file=str(args.answers), error=exc.strerror or str(exc)), file=sys.stderr)
        return 2
    with source:
        if args.steps:
            return walk_steps(engine(args.name), t, source, sys.stdout, args.today)
        text = source.read()
    try:
        raw = json.loads(text)
    except ValueError as exc:
        print(t(NOT_AN_OBJECT, problem=t(NOT_JSON, error=str(exc))), file=sys.stderr)
        return 2
    if not isinstance(raw, dict):
        print(t(NOT_AN_OBJECT, problem=t(A_LIST) if isinstance(raw, list) else type(raw).__name__), file=sys.stderr)
        return 2
    eng = engine(args.name)
    for node in eng.layout.nodes.values():
        if node.type is QuestionType.PHOTO and isinstance(raw.get(node.id), str):
            path = Path(raw[node.id])
            raw[node.id] = {"path": str(path), "size": path.stat().st_size if path.exists() else None}
    report = eng.check(raw, args.today)
    print(json.dumps({
        "visited": report.visited,
        "stopped_at": report.stopped_at,
        "error": describe_problem(t, report.error) if report.error else None,
        "complete": report.complete,
        "warnings": [describe_problem(t, w) for w in report.warnings],
    }, ensure_ascii=False, indent=2))
    return 0


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

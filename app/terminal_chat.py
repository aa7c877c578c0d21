"""``ats-bot chat NAME``: fill an instrument in a terminal with the same engine the bot uses.

For training sessions and a quick try without a Telegram token. Nothing is stored: the answers are printed
as JSON at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TextIO

from core.i18n import Translator, translator
from core.places import lokal_name, lokal_places, typed_place
from core.presenting import describe_problem, display_value, question_header, section_title, starts_section, subject_name, summary_lines
from flows.engine import Accepted, Complete, Engine, NeedsConfirmation, Refused, State
from flows.messages import N_
from flows.registry import engine as engine_for
from flows.schema import SELECTS
from flows.structure import Node

HELP = N_("Type the answer (for options: the number; several: 1,3). Commands: < back, - skip, ? summary, q quit.")
OPTIONAL = N_("(optional: type - to skip)")
SAVED = N_("Saved: {value}")
KEEP_ANYWAY = N_("Keep this answer anyway? (y/n)")
REVIEW = N_("Review of the answers:")
FINISHED = N_("Complete. Answers (JSON):")
CANCELLED = N_("Stopped. Nothing was stored.")
YES_WORDS = ("y", "ya", "yes", "iya", "nggih", "inggih")


def _ask(engine: Engine, state: State, t: Translator, out: TextIO, today: dt.date) -> None:
    prompt = engine.current(state, today)
    assert not isinstance(prompt, Complete)
    if starts_section(engine, state.answers, prompt.node):
        out.write(f"\n【{section_title(t, engine, prompt.node)}】")
    out.write("\n" + question_header(t, engine, prompt, subject_name(engine, state.answers)) + "\n")
    if prompt.node.type in SELECTS:
        numbered = _numbered(prompt.node)
        out.writelines(f"   {i if numbered else choice.code}. {t.label(choice.label)}\n" for i, choice in enumerate(prompt.node.choices, 1))
    regions = prompt.node.question.regions
    if regions is not None:
        out.writelines(f"   {i}. {name}\n" for i, (_, name) in enumerate(lokal_places(regions, state.answers), 1))
    if prompt.current is not None:
        out.write(f"   [{display_value(t, prompt.node, prompt.current, lokal_name)}]\n")
    if prompt.can_skip:
        out.write(f"   {t(OPTIONAL)}\n")
    out.write("> ")
    out.flush()


def _numbered(node: Node) -> bool:
    """Options whose codes are not short numbers (Kemendagri codes of kecamatan, say) are listed 1, 2, 3…: the
    help asks for the number shown, and nobody should have to type 33.26.08."""
    return node.type in SELECTS and any(not choice.code.isdigit() for choice in node.choices)


def _codes_for_numbers(node: Node, text: str) -> str:
    """``2`` or ``1,3`` as typed against a numbered list → the options' codes; anything else as it was typed."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and 1 <= int(part) <= len(node.choices) for part in parts):
        return text
    return ",".join(node.choices[int(part) - 1].code for part in parts)


def run_chat(engine: Engine, t: Translator, inp: TextIO, out: TextIO, today: dt.date | None = None) -> int:
    """Ask every question in turn until the form is complete or the person quits."""
    day = today or dt.date.today()
    state = State()
    out.write(t.label(engine.compiled.instrument.title) + "\n" + t(HELP) + "\n")
    while not isinstance(engine.current(state, day), Complete):
        _ask(engine, state, t, out, day)
        line = inp.readline()
        if not line or line.strip().lower() == "q":
            out.write("\n" + t(CANCELLED) + "\n")
            return 1
        text = line.strip()
        if text == "<":
            state = engine.back(state, day)
            continue
        if text == "?":
            out.write("\n".join(summary_lines(t, engine, state.answers, engine.summary(state, day), lokal_name)) + "\n")
            continue
        node = engine.current(state, day)
        regions = node.node.question.regions if not isinstance(node, Complete) else None
        if regions is not None:
            text = typed_place(lokal_places(regions, state.answers), text)
        if not isinstance(node, Complete) and _numbered(node.node):
            text = _codes_for_numbers(node.node, text)
        outcome = engine.skip(state, day) if text == "-" else engine.answer(state, text, day)
        if isinstance(outcome, NeedsConfirmation):
            out.writelines("⚠ " + describe_problem(t, warning) + "\n" for warning in outcome.warnings)
            out.write(t(KEEP_ANYWAY) + " ")
            out.flush()
            keep = inp.readline().strip().lower() in YES_WORDS
            outcome = engine.confirm(outcome.state, day) if keep else Refused(outcome.warnings[0])
        if isinstance(outcome, Refused):
            out.write("✗ " + describe_problem(t, outcome.problem) + "\n")
            continue
        assert isinstance(outcome, Accepted)
        if not isinstance(node, Complete) and outcome.value is not None:
            out.write("✓ " + t(SAVED, value=display_value(t, node.node, outcome.value, lokal_name)) + "\n")
        state = outcome.state
    out.write("\n" + t(REVIEW) + "\n" + "\n".join(summary_lines(t, engine, state.answers, engine.summary(state, day), lokal_name)) + "\n")
    out.write(t(FINISHED) + "\n" + json.dumps(state.answers, ensure_ascii=False, indent=2) + "\n")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    return run_chat(engine_for(args.name), translator(args.lang), sys.stdin, sys.stdout, args.today)

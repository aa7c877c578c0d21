"""Words for what the engine decides, shared by the Telegram bot and the terminal chat.

Only text: keyboards and buttons are the bot's business (``bot/render.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from app.i18n import Translator
from app.visibility import mask_nik
from flows.compiler import Position
from flows.conditions import MISSING
from flows.engine import Engine, Prompt
from flows.messages import N_, Problem
from flows.schema import QuestionType
from flows.structure import Node

NAME_PLACEHOLDER = "(Nama)"
PROGRESS = N_("{answered}/{expected}")
PHOTO_KEPT = N_("photo received")
SKIPPED = N_("(skipped)")
YEARS_OLD = N_("{age} years old")
LOCATION_TEXT = N_("latitude {latitude}, longitude {longitude}")
ECHO_LIMIT = 1000
"""The longest answer read back whole; longer ones (older drafts) end in "…" so the message stays sendable."""
NAME_LIMIT = 100


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def subject_name(engine: Engine, answers: Mapping[str, Any]) -> str | None:
    """The child's name once it has been given, to fill the paper's "(Nama)" placeholders."""
    ref = engine.compiled.instrument.subject.name
    value = answers.get(ref) if ref else None
    return clip(value, NAME_LIMIT) if isinstance(value, str) and value else None


def question_label(t: Translator, node: Node, name: str | None) -> str:
    """The question text in the person's language, with "(Nama)" replaced by the child's name."""
    text = t.label(node.question.label)
    return text.replace(NAME_PLACEHOLDER, name) if name else text


def question_header(t: Translator, prompt: Prompt, name: str | None) -> str:
    """``1.4 · Jenis kelamin  (4/52)``: the code the volunteers were trained on, and where they are."""
    code = prompt.position.qid + (f" #{prompt.position.instance}" if prompt.position.instance else "")
    progress = t(PROGRESS, answered=prompt.progress.answered + 1, expected=prompt.progress.expected)
    return f"{code} · {question_label(t, prompt.node, name)}  ({progress})"


def describe_problem(t: Translator, problem: Problem) -> str:
    """A refusal or warning in the person's language (question ids in parameters stay as printed); a form's own
    message is looked up with the form's labels, where its translation lives."""
    if problem.form:
        return t.label(problem.message)
    return t(problem.message, **problem.params)


def display_value(t: Translator, node: Node, value: Any, place_name: Callable[[str], str] | None = None) -> str:
    """An answer as a person reads it back: labels for codes, long dates, place names (``place_name`` turns a
    kecamatan or desa code into its name; without it the code is shown)."""
    if value is None or value is MISSING:
        return t(SKIPPED)
    kind = node.type
    if node.question.regions is not None and place_name is not None:
        return place_name(str(value))
    if kind is QuestionType.SELECT_ONE:
        choice = node.choice(str(value))
        return t.label(choice.label) if choice else str(value)
    if kind is QuestionType.SELECT_MULTIPLE:
        return ", ".join(t.label(c.label) for c in node.choices if c.code in value)
    if kind is QuestionType.DATE:
        return t.date(dt.date.fromisoformat(value))
    if kind is QuestionType.LOCATION:
        return t(LOCATION_TEXT, latitude=value["latitude"], longitude=value["longitude"])
    if kind is QuestionType.PHOTO:
        return t(PHOTO_KEPT)
    if kind is QuestionType.CALCULATE and node.question.calculate and node.question.calculate.age_from:
        return t(YEARS_OLD, age=value)
    if kind is QuestionType.NIK:
        return mask_nik(str(value))
    return clip(t.format_value(value), ECHO_LIMIT)


def summary_lines(t: Translator, engine: Engine, answers: Mapping[str, Any], rows: list[tuple[Position, Node, Any]],
                  place_name: Callable[[str], str] | None = None) -> list[str]:
    """``1.4 · Jenis kelamin: Perempuan`` for each answered question, for the review before submitting."""
    name = subject_name(engine, answers)
    return [f"{p.key} · {question_label(t, node, name)}: {display_value(t, node, value, place_name)}" for p, node, value in rows]

"""Words for what the engine decides, shared by the Telegram bot and the terminal chat.

Only text: keyboards and buttons are the bot's business (``bot/render.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from core.i18n import Translator
from core.visibility import mask_nik
from flows.compiler import Position
from flows.conditions import MISSING
from flows.engine import Engine, Prompt
from flows.messages import N_, Problem
from flows.schema import QuestionType
from flows.structure import Node

NAME_PLACEHOLDER = "(Nama)"
PROGRESS = N_("part {section}/{sections} · {answered} answered")
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


def section_title(t: Translator, engine: Engine, node: Node) -> str:
    """The title of the part of the paper form a question belongs to, in the person's language."""
    return t.label(next(s.title for s in engine.compiled.instrument.sections if s.id == node.section))


@cache
def _repeated_labels(engine: Engine) -> frozenset[str]:
    """Labels that more than one section asks ("Nama" of the parent and of the child): alone they are ambiguous."""
    sections: dict[str, set[str]] = {}
    for node in engine.layout.nodes.values():
        sections.setdefault(node.question.label.casefold(), set()).add(node.section)
    return frozenset(label for label, where in sections.items() if len(where) > 1)


def qualified_label(t: Translator, engine: Engine, node: Node, name: str | None) -> str:
    """The question's label, followed by its section's title when the label alone could be another section's
    question: "Nama — IDENTITAS ORANGTUA"."""
    label = question_label(t, node, name)
    if node.question.label.casefold() in _repeated_labels(engine):
        return f"{label} — {section_title(t, engine, node)}"
    return label


def starts_section(engine: Engine, answers: Mapping[str, Any], node: Node) -> bool:
    """Whether nothing of this question's section is answered yet: its title is shown before it."""
    nodes = engine.layout.nodes
    return not any(nodes[qid].section == node.section for qid in answers if qid in nodes)


def question_header(t: Translator, engine: Engine, prompt: Prompt, name: str | None) -> str:
    """``1.4 · Jenis kelamin  (part 1/4 · 3 answered)``: the code the volunteers were trained on, and where they
    are. The part of the paper form is a total that never moves; the number of questions still to come does,
    with every answer that opens or closes a branch, so it is not shown."""
    code = prompt.position.qid + (f" #{prompt.position.instance}" if prompt.position.instance else "")
    sections = [s.id for s in engine.compiled.instrument.sections]
    progress = t(PROGRESS, section=sections.index(prompt.node.section) + 1, sections=len(sections), answered=prompt.progress.answered)
    return f"{code} · {qualified_label(t, engine, prompt.node, name)}  ({progress})"


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

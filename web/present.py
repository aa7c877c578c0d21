"""Turning stored values into what a page shows: labels from the catalogs, answers through field visibility."""

from __future__ import annotations

from typing import Any

from cases.messages import STATUS_LABELS
from core.i18n import Translator
from core.visibility import Policy, filter_answers
from flows.registry import engine
from flows.schema import QuestionType
from flows.structure import Layout
from web import messages as W

CATEGORY_LABELS = {"1": W.CATEGORY_NEVER, "2": W.CATEGORY_DROPPED, "3": W.CATEGORY_NOT_CONTINUED, None: W.CATEGORY_UNKNOWN}
AGE_LABELS = {"under-7": W.AGE_UNDER_7, "over-18": W.AGE_OVER_18, "unknown": W.AGE_UNKNOWN}
SEX_LABELS = {"L": W.BOYS, "P": W.GIRLS, None: W.SEX_UNKNOWN}


def status_label(t: Translator, status: str) -> str:
    return t(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def category_label(t: Translator, code: str | None) -> str:
    return t(CATEGORY_LABELS.get(code, W.CATEGORY_UNKNOWN))


def age_label(t: Translator, group: str) -> str:
    return t(AGE_LABELS[group]) if group in AGE_LABELS else group


def layout_for(name: str, version: int) -> Layout:
    """The layout a response was filled with (the current one when that version is no longer shipped)."""
    try:
        return engine(name, version).layout
    except KeyError:
        return engine(name).layout


def form_title(t: Translator, name: str) -> str:
    try:
        return t.label(engine(name).layout.instrument.title)
    except KeyError:
        return name


def answer_rows(t: Translator, view: Policy, instrument: str, version: int, answers: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(paper code, question, answer) in form order, as ``view`` may see them (hidden fields left out)."""
    try:
        layout = layout_for(instrument, version)
    except KeyError:
        return [(key, key, _plain(value)) for key, value in answers.items()]
    shown = filter_answers(view, answers, layout.field_classes)
    rows = []
    for node in sorted((n for n in layout.nodes.values() if n.id in shown and n.group is None), key=lambda n: n.index):
        rows.append((node.id, t.label(node.question.label), _display(t, node, shown[node.id])))
    return rows


def _display(t: Translator, node: Any, value: Any) -> str:
    if node.choices:
        labels = {c.code: t.label(c.label) for c in node.choices}
        codes = value if isinstance(value, list) else [value]
        if all(not isinstance(code, (dict, list)) for code in codes):
            return ", ".join(labels.get(str(code), str(code)) for code in codes)
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, dict) and "latitude" in value:
        return f"{value['latitude']}, {value['longitude']}"
    if isinstance(value, list):
        return f"{len(value)} ×" if value and isinstance(value[0], dict) else ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "…"
    return "" if value is None else str(value)


def photo_refs(t: Translator, view: Policy, instrument: str, version: int, answers: dict[str, Any]) -> list[tuple[str, int]]:
    """(question, stored file id) of the form's photos that ``view`` may see (kept files only)."""
    try:
        layout = layout_for(instrument, version)
    except KeyError:
        return []
    classes = layout.field_classes
    found = []
    for node in sorted(layout.nodes.values(), key=lambda n: n.index):
        value = answers.get(node.id)
        if node.type is QuestionType.PHOTO and node.group is None and isinstance(value, dict) and view.shows(classes.get(node.id)):
            stored = value.get("stored_file")
            if isinstance(stored, int):
                found.append((t.label(node.question.label), stored))
    return found

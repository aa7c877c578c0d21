"""Codes and labels of the forms the reports read (from the instrument definitions, never copied by hand)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from flows.loader import bound
from flows.registry import engine
from flows.roles import required_roles
from flows.structure import Node
from storage.repositories.children import normalize_name

CATEGORIES = ("1", "2", "3")
AGE_GROUPS = ("7-12", "13-15", "16-18", "under-7", "over-18", "unknown")
SEXES = ("L", "P", None)

_CATEGORY_WORDS = {
    "1": ("tidak pernah sekolah", "belum pernah sekolah", "belum sekolah", "tidak pernah", "never", "never schooled", "tps"),
    "2": ("putus sekolah", "putus", "drop out", "dropout", "do", "anps", "dropped out", "ps"),
    "3": ("tidak lanjut sekolah", "tidak lanjut", "tidak melanjutkan", "tidak melanjutkan sekolah", "lulus tidak melanjutkan",
          "ltm", "did not continue", "tls"),
}


def fold(text: str) -> str:
    """Lower case, no accents or punctuation, single spaces: how names and labels are compared."""
    return normalize_name(str(text))


def normalize_category(value: object) -> str | None:
    """``1``/``2``/``3``, a label of Pendataan 3.6 or a common word (``DO``, ``LTM``) → the code; else None."""
    if value is None:
        return None
    text = fold(str(value))
    text = text.removesuffix(" 0")  # "2.0" from a spreadsheet number
    if text in CATEGORIES:
        return text
    for code, words in _CATEGORY_WORDS.items():
        if text in words:
            return code
    for code, label in ((c.code, c.label) for c in pendataan_node("category").choices):
        if text == fold(label):
            return code
    return None


@cache
def node(instrument: str, question: str) -> Node:
    return engine(instrument).layout.nodes[question]


def pendataan_node(role: str) -> Node:
    """The Pendataan question bound to ``role``: its options are the codes reports count by."""
    return node("pendataan", bound("pendataan", role))


@cache
def pendataan_ids() -> dict[str, str]:
    """Every role Pendataan is read by → its question id (imported rows are written under these ids)."""
    return {role: bound("pendataan", role) for role in required_roles("pendataan")}


CHILD_FORMS = ("pendataan", "rekonfirmasi")
"""The forms that describe an out-of-school child (Lampiran 4 and 5); imported rows use Pendataan's ids."""


def child_form(instrument: str | None) -> str:
    """The child form whose question ids a response of ``instrument`` uses."""
    return "rekonfirmasi" if instrument == "rekonfirmasi" else "pendataan"


def child_question(instrument: str | None, role: str) -> str | None:
    """The question ``instrument``'s child form binds to ``role``; None when that form does not ask it (the
    registry does not list the role for it, e.g. Rekonfirmasi has no year of leaving school)."""
    form = child_form(instrument)
    return bound(form, role) if role in required_roles(form) else None


@cache
def _child_questions(role: str) -> tuple[str, ...]:
    return tuple(bound(form, role) for form in CHILD_FORMS)


def child_answer(answers: Mapping[str, Any], role: str) -> Any:
    """The answer to ``role`` in the answers of either child form (a response holds the ids of one of them)."""
    value = None
    for question in _child_questions(role):
        value = answers.get(question)
        if value:
            return value
    return value


def reason_codes() -> list[str]:
    """The codes of Pendataan's reasons for leaving school (Rekonfirmasi uses the same numbering)."""
    return [c.code for c in pendataan_node("reasons").choices]


def reason_label(code: str) -> str:
    """The Indonesian label of a reason code (translate with ``Translator.label``)."""
    choice = pendataan_node("reasons").choice(code)
    return choice.label if choice else code

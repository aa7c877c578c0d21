"""Codes and labels of the forms the reports read (from the instrument definitions, never copied by hand)."""

from __future__ import annotations

from functools import cache

from flows.registry import engine
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
    for code, label in ((c.code, c.label) for c in node("pendataan", "3.6").choices):
        if text == fold(label):
            return code
    return None


@cache
def node(instrument: str, question: str) -> Node:
    return engine(instrument).layout.nodes[question]


def reason_codes() -> list[str]:
    """Pendataan 3.1 codes (Rekonfirmasi D.1 uses the same numbering)."""
    return [c.code for c in node("pendataan", "3.1").choices]


def reason_label(code: str) -> str:
    """The Indonesian label of a reason code (translate with ``Translator.label``)."""
    choice = node("pendataan", "3.1").choice(code)
    return choice.label if choice else code

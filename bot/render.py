"""Questions as chat messages: the header volunteers know from paper, the options as buttons.

Button data is opaque: ``<nonce>.<action>.<index>``. The nonce is random per live keyboard and stored with
the person, the index points into options the server kept; nothing in it means anything to anyone else, and a
button of an older message (different nonce) is recognised as closed.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot import texts as T
from bot.model import Button, Reply
from core.i18n import Translator
from core.presenting import question_header, subject_name
from flows.engine import Engine, Prompt
from flows.schema import QuestionType

CHOICE, TOGGLE, DONE, BACK, SKIP, CANCEL = "c", "t", "d", "b", "s", "x"
YES, NO, KEEP, FIX, SUBMIT, EDIT, OPEN, RESUME, LANGUAGE = "y", "n", "k", "f", "v", "e", "o", "r", "l"
PICK, TYPED, PAGE = "p", "w", "g"


def new_nonce() -> str:
    return secrets.token_urlsafe(6)


def data(nonce: str, action: str, index: int = 0) -> str:
    return f"{nonce}.{action}.{index}"


def parse_data(raw: str) -> tuple[str, str, int] | None:
    """``(nonce, action, index)`` from callback data, or None for anything we did not make."""
    parts = raw.split(".")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


def _rows(buttons: list[Button], long: int = 22) -> list[list[Button]]:
    """Two short options per row, long ones alone, so labels stay readable on a small phone."""
    rows: list[list[Button]] = []
    for button in buttons:
        if rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= long and len(button.text) <= long:
            rows[-1].append(button)
        else:
            rows.append([button])
    return rows


def nav_row(t: Translator, nonce: str, prompt: Prompt) -> list[Button]:
    row = [Button(t(T.BACK), data(nonce, BACK))] if prompt.can_go_back else []
    if prompt.can_skip:
        row.append(Button(t(T.SKIP), data(nonce, SKIP)))
    row.append(Button(t(T.CANCEL), data(nonce, CANCEL)))
    return row


def question(t: Translator, engine: Engine, answers: dict[str, Any], prompt: Prompt, nonce: str, selected: list[str]) -> Reply:
    """The message asking ``prompt``; ``selected`` are the toggled options of a select-multiple."""
    node = prompt.node
    lines = [question_header(t, engine, prompt, subject_name(engine, answers))]
    if node.question.hint:
        lines.append(t.label(node.question.hint))
    buttons: list[list[Button]] = []
    reply_keyboard = None
    kind = node.type
    if kind is QuestionType.SELECT_ONE:
        buttons = _rows([Button(t.label(c.label), data(nonce, CHOICE, i)) for i, c in enumerate(node.choices)])
    elif kind is QuestionType.SELECT_MULTIPLE:
        lines.append(t(T.MULTI_HINT))
        toggles = [Button(("✓ " if c.code in selected else "") + t.label(c.label), data(nonce, TOGGLE, i)) for i, c in enumerate(node.choices)]
        buttons = _rows(toggles) + [[Button(t(T.DONE), data(nonce, DONE))]]
    elif kind is QuestionType.DATE:
        lines.append(t(T.DATE_HINT))
    elif kind is QuestionType.LOCATION:  # one message: the location button and the way on under the text box
        lines.append(t(T.LOCATION_HINT))
        reply_keyboard = [[Button(t(T.SEND_LOCATION), request_location=True)], [Button(b.text) for b in nav_row(t, nonce, prompt)]]
    elif kind is QuestionType.PHOTO:
        lines.append(t(T.PHOTO_HINT, max=node.question.max_size_mb or 5))
    else:
        lines.append(t(T.TYPE_HINT))
    if prompt.can_skip:
        lines.append(t(T.OPTIONAL_HINT))
    if reply_keyboard is None:  # a reply keyboard cannot share a message with inline buttons
        buttons.append(nav_row(t, nonce, prompt))
    return Reply("\n".join(lines), buttons, reply_keyboard, live=True)


def typed_navigation(t: Translator, text: str) -> str | None:
    """The action of a navigation button of a reply keyboard (its label comes back as typed text)."""
    return {t(T.BACK): BACK, t(T.SKIP): SKIP, t(T.CANCEL): CANCEL}.get(text.strip())

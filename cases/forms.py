"""Reading submitted forms (``storage`` responses) the way the workflow and the documents need them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from cases import messages as m
from cases.errors import InvalidInput
from flows.loader import bound
from flows.registry import engine as instrument_engine
from storage.models import Response


def load_form(session: Session, response_id: int, instruments: Iterable[str]) -> Response:
    """A submitted form that must be one of ``instruments``."""
    response = session.get(Response, response_id)
    instruments = tuple(instruments)
    if response is None:
        raise InvalidInput(m.FORM_INCOMPLETE, {"reference": f"#{response_id}", "question": "-"})
    if response.instrument not in instruments:
        raise InvalidInput(m.WRONG_FORM, {"reference": response.reference, "instrument": response.instrument, "expected": " / ".join(instruments)})
    return response


def text_answer(answers: dict[str, Any], qid: str) -> str | None:
    """A text answer with its spacing tidied, or None when empty or not text."""
    value = answers.get(qid)
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def date_answer(answers: dict[str, Any], qid: str) -> dt.date | None:
    value = answers.get(qid)
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def choice_label(response: Response, qid: str) -> str | None:
    """The label of a select_one answer as the form's instrument version prints it; the written-in text for
    "Lainnya, sebutkan"."""
    labels = _labels(response, qid, [response.answers.get(qid)]) if response.answers.get(qid) is not None else []
    return labels[0] if labels else None


def choice_labels(response: Response, qid: str) -> list[str]:
    """The labels of a select_multiple answer (written-in text for "Lainnya")."""
    values = response.answers.get(qid)
    return _labels(response, qid, values) if isinstance(values, list) else []


def _labels(response: Response, qid: str, values: list[Any]) -> list[str]:
    node = instrument_engine(response.instrument, response.instrument_version).layout.nodes.get(qid)
    other = text_answer(response.answers, f"{qid}.lainnya")
    labels = []
    for value in values:
        choice = node.choice(str(value)) if node else None
        if choice is not None and choice.other and other:
            labels.append(other)
        else:
            labels.append(choice.label if choice else str(value))
    return labels


class FormReader:
    """A submitted form read by role (``flows.roles``) through the bindings of the instrument version that
    was filled, so no code here names a paper code."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def qid(self, role: str) -> str:
        """The question id bound to ``role`` in this form."""
        return bound(self.response.instrument, role, self.response.instrument_version)

    def raw(self, role: str) -> Any:
        return self.response.answers.get(self.qid(role))

    def text(self, role: str) -> str | None:
        return text_answer(self.response.answers, self.qid(role))

    def date(self, role: str) -> dt.date | None:
        return date_answer(self.response.answers, self.qid(role))

    def label(self, role: str) -> str | None:
        return choice_label(self.response, self.qid(role))

    def labels(self, role: str) -> list[str]:
        return choice_labels(self.response, self.qid(role))

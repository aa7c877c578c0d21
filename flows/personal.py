"""Which answers are personal, as the instruments declare it (``personal: true``); storage encrypts those."""

from __future__ import annotations

from collections.abc import Iterator

from flows.loader import INSTRUMENT_DIR, instrument_names, load_file, load_instrument
from flows.schema import Instrument, Question


def _questions(questions: list[Question]) -> Iterator[Question]:
    for question in questions:
        yield question
        yield from _questions(question.questions or [])


def personal_ids(instrument: Instrument) -> frozenset[str]:
    """The ids of an instrument's personal questions, inside repeat groups too."""
    return frozenset(q.id for s in instrument.sections for q in _questions(s.questions) if q.personal)


def personal_question_ids() -> frozenset[str]:
    """Personal question ids of every instrument, current and archived versions.

    Answers are stored under their question id, so an id personal in one instrument is encrypted wherever it
    appears (the list import writes Pendataan's ids, for instance).
    """
    found: set[str] = set()
    for name in instrument_names():
        found |= personal_ids(load_instrument(name))
    for archived in sorted((INSTRUMENT_DIR / "archive").glob("*.yaml")):
        found |= personal_ids(load_file(archived))
    return frozenset(found)

"""A long typed answer is refused with a clear limit and the conversation goes on (issue 14 §2)."""

from __future__ import annotations

import pytest

from app.i18n import translator
from bot.limits import TEXT_LIMIT, units
from flows.loader import instrument_names
from flows.messages import TOO_LONG
from flows.registry import engine
from flows.schema import QuestionType
from storage.models import InstrumentSession
from tests.bot.conftest import Phone

ID = translator("id")


def test_five_thousand_characters_at_the_name_are_refused_and_the_question_asked_again(volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    result = volunteer.send("A" * 5000)
    texts = volunteer.texts(result)
    assert texts[0] == "✗ " + ID(TOO_LONG, max=100)
    assert texts[-1].startswith("1.1 · ")
    assert all(units(t) <= TEXT_LIMIT for t in texts)


def test_a_name_stored_too_long_by_an_older_version_is_read_back_shortened(volunteer: Phone, conversations) -> None:  # type: ignore[no-untyped-def]
    volunteer.send("/isi pendataan")
    volunteer.send("Ani")
    with conversations.store.db.write() as session:  # a draft saved before names had a limit
        row = session.query(InstrumentSession).one()
        row.state = {**row.state, "answers": {**row.state["answers"], "1.1": "B" * 5000}}
    for step in ("/lanjut", "/draf"):
        result = volunteer.send(step)
        assert all(units(t) <= TEXT_LIMIT for t in volunteer.texts(result)), step
        assert all(units(b.text) <= 200 for r in result.replies for row in r.buttons for b in row)
    volunteer.press(volunteer.newest().labels()[0])  # answer 1.2 (the echo repeats the name)
    assert all(units(t) <= TEXT_LIMIT for t in volunteer.texts())


@pytest.mark.parametrize("name", instrument_names())
def test_every_text_question_declares_a_maximum_length(name: str) -> None:
    questions = []

    def walk(qs):  # type: ignore[no-untyped-def]
        for q in qs:
            questions.append(q)
            walk(q.questions or [])

    for section in engine(name).compiled.instrument.sections:
        walk(section.questions)
    texts = [q for q in questions if q.type is QuestionType.TEXT]
    missing = [q.id for q in texts if q.constraint is None or q.constraint.max_length is None]
    assert not missing, f"{name}: text questions without max_length: {missing}"

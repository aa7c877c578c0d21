"""A long typed answer is refused with a clear limit and the conversation goes on (issue 14 §2)."""

from __future__ import annotations

from core.i18n import translator
from core.limits import TEXT_LIMIT, units
from flows.engine import State
from flows.loader import instrument_names
from flows.messages import TOO_LONG
from flows.registry import engine
from flows.schema import QuestionType
from tests.bot.conftest import Phone, head, path_state, question, resume_at

ID = translator("id")


def test_five_thousand_characters_at_the_name_are_refused_and_the_question_asked_again(volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    result = volunteer.send("A" * 5000)
    texts = volunteer.texts(result)
    assert head(texts[0]) == "✗ " + ID(TOO_LONG, max=100)
    assert question(texts[-1]).startswith("1.1 · ")
    assert all(units(t) <= TEXT_LIMIT for t in texts)


def test_a_name_stored_too_long_by_an_older_version_is_read_back_shortened(volunteer: Phone) -> None:
    """A draft saved before names had a limit: the questions that name the child, their echoes and /draf fit."""
    state = path_state("pendataan", "full", "4.23")  # "Seberapa Sering (Nama) Terlihat ...": the name in the question
    long = State({**state.answers, "1.1": "B" * 5000}, state.cursor)
    for result in (resume_at(volunteer, "pendataan", long), volunteer.send("/draf"), volunteer.press(volunteer.newest().labels()[0])):
        assert result.replies and all(units(t) <= TEXT_LIMIT for t in volunteer.texts(result))


def test_every_text_question_declares_a_maximum_length() -> None:
    missing = {name: _without_limit(name) for name in instrument_names()}
    assert not any(missing.values()), f"text questions without max_length: {missing}"


def _without_limit(name: str) -> list[str]:
    questions = []

    def walk(qs):
        for q in qs:
            questions.append(q)
            walk(q.questions or [])

    for section in engine(name).compiled.instrument.sections:
        walk(section.questions)
    texts = [q for q in questions if q.type is QuestionType.TEXT]
    return [q.id for q in texts if q.constraint is None or q.constraint.max_length is None]

"""The location question is one message: its keyboard holds the location button and the way on (issue 14 §11)."""

from __future__ import annotations

from bot import texts as T
from bot.model import Kind
from core.i18n import translator
from storage.models import Role
from tests.bot.conftest import Phone, enrol, path_state, resume_at

ID = translator("id")


def _at_location(db, conversations) -> tuple[Phone, object]:
    enrol(db, 1401, Role.PENDATA)
    phone = Phone(conversations, 1401)
    state = path_state("rekonfirmasi", "full", "D.8")
    return phone, resume_at(phone, "rekonfirmasi", state)


def test_no_extra_arrow_message(db, conversations) -> None:
    phone, result = _at_location(db, conversations)
    question = [r for r in result.replies if r.text.startswith("D.8 · ")]  # type: ignore[attr-defined]
    assert len(question) == 1 and not any(r.text == "⬇" for r in result.replies)  # type: ignore[attr-defined]
    keyboard = question[0].reply_keyboard
    assert keyboard and keyboard[0][0].request_location
    assert [b.text for b in keyboard[1]][-1] == ID(T.CANCEL) and ID(T.BACK) in [b.text for b in keyboard[1]]
    answered = phone.update(Kind.LOCATION, value={"latitude": -7.05, "longitude": 109.6, "altitude": None, "accuracy": 8.0})
    assert answered.replies[0].reply_keyboard == [] and answered.replies[0].text.startswith("D.8 · ")  # the keyboard goes


def test_the_keyboards_back_button_goes_back(db, conversations) -> None:
    phone, _ = _at_location(db, conversations)
    texts = phone.texts(phone.send(ID(T.BACK)))
    assert texts[-1].startswith("D.7 · ")


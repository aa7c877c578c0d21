"""Button presses at the turn seam: the language menu, forged and refused presses (issue 14 §1, §3, §4, §11)."""

from __future__ import annotations

import pytest

from bot import texts as T
from bot.model import Kind
from core.i18n import LANGUAGE_NAMES, translator
from tests.bot.conftest import Phone, head, question

ID = translator("id")


def _question_message(phone: Phone, code: str):
    return [m for m in phone.messages.values() if m.text.startswith(f"{code} · ") and not m.edited][-1]


def test_every_language_button_is_live(volunteer: Phone) -> None:
    for language in ("en", "jv", "id"):
        volunteer.send("/bahasa")
        result = volunteer.press(LANGUAGE_NAMES[language])
        assert result.callback_notice is None, (language, result.callback_notice)
        assert translator(language)(T.LANGUAGE_SET, language=LANGUAGE_NAMES[language]) in volunteer.texts()


def test_one_can_switch_back_after_javanese(volunteer: Phone) -> None:
    volunteer.send("/bahasa")
    volunteer.press(LANGUAGE_NAMES["jv"])
    volunteer.send("/bahasa")
    volunteer.press(LANGUAGE_NAMES["id"])
    assert ID(T.LANGUAGE_SET, language=LANGUAGE_NAMES["id"]) in volunteer.texts()


@pytest.mark.parametrize("argument", ["en", "EN", "English", "jv", "id"])
def test_bahasa_honours_its_argument(volunteer: Phone, argument: str) -> None:
    code = argument[:2].lower()
    result = volunteer.send(f"/bahasa {argument}")
    assert translator(code)(T.LANGUAGE_SET, language=LANGUAGE_NAMES[code]) in volunteer.texts(result)
    volunteer.send("/bantuan-yang-tidak-ada")
    assert volunteer.texts() == [translator(code)(T.DIDNT_UNDERSTAND)]
    volunteer.send("/bahasa klingon")  # not a language: the buttons
    assert set(volunteer.newest().labels()) == set(LANGUAGE_NAMES.values())


def test_the_current_question_is_asked_again_after_a_switch(volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    volunteer.send("/bahasa")
    volunteer.press(LANGUAGE_NAMES["en"])
    asked = [t for t in volunteer.texts() if question(t).startswith("1.1 · ")]
    assert asked, volunteer.texts()
    en_skip_or_cancel = translator("en")(T.CANCEL)
    assert en_skip_or_cancel in volunteer.newest().labels()
    volunteer.send("/bahasa jv")
    assert any(question(t).startswith("1.1 · ") for t in volunteer.texts())


def test_out_of_range_option_is_refused_kindly(volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    volunteer.send("Ani")  # 1.1 name
    question = volunteer.newest()
    nonce = question.buttons[0][0].data.split(".")[0]  # type: ignore[union-attr]
    for forged in (f"{nonce}.c.99", f"{nonce}.t.99", f"{nonce}.p.7", f"{nonce}.f.9", f"{nonce}.zz.0"):
        result = volunteer.press_data(forged, question.id)
        assert result.callback_notice, forged  # answered with words, never an empty notice
        assert question.labels(), "the question keeps its buttons"


def test_refused_press_keeps_the_live_questions_buttons(volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    volunteer.send("Ani")
    live = volunteer.newest()
    labels = live.labels()
    result = volunteer.press_data("forged.c.0", live.id)
    assert result.callback_notice == ID(T.QUESTION_CLOSED)
    assert live.labels() == labels, "the live keyboard must stay"
    assert result.close_message_id is None


def test_presses_with_the_live_nonce_but_no_buttons_action_get_words(volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    volunteer.send("Ani")
    question = volunteer.newest()
    nonce = (question.buttons[0][0].data or "").split(".")[0]
    for action in ("zz", "y", "k", "v", "o", "r", "l", "w", "e"):
        result = volunteer.press_data(f"{nonce}.{action}.0", question.id)
        assert result.callback_notice, action
        assert question.labels(), action


def test_sticker_is_not_an_answer(volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    result = volunteer.update(Kind.OTHER)
    assert head(result.replies[0].text) == ID(T.NOT_AN_ANSWER)

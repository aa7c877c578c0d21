"""A form's own error messages speak the person's language, in the bot and in ``ats-bot chat`` (issue 14 §6)."""

from __future__ import annotations

import io

import pytest

from app.terminal_chat import run_chat
from core.i18n import translator
from flows.registry import engine
from storage.models import Role
from tests.bot.conftest import Phone, enrol, head, path_state, resume_at
from tests.conftest import TODAY

RT_RULE = "Tulis nomor RT dengan angka saja (1-3 angka), misalnya 001."


@pytest.mark.parametrize("language", ["en", "jv"])
def test_the_rt_rule_is_translated_in_the_bot(db, conversations, language: str) -> None:
    enrol(db, 1101, Role.PENDATA, language=language)
    phone = Phone(conversations, 1101, language)
    resume_at(phone, "pendataan", path_state("pendataan", "full", "1.7.rt"))
    result = phone.send("RT lima")
    expected = translator(language).label(RT_RULE)
    assert expected != RT_RULE, "the catalog has a translation"
    assert head(result.replies[0].text) == "✗ " + expected


def test_the_age_rule_is_translated_in_the_bot(db, conversations) -> None:
    enrol(db, 1102, Role.PENDATA, language="en")
    phone = Phone(conversations, 1102, "en")
    resume_at(phone, "pendataan", path_state("pendataan", "full", "1.6"))
    refusal = phone.texts(phone.send(f"01/01/{TODAY.year - 3}"))[0]
    rule = engine("pendataan").layout.nodes["1.6"].question.constraint.message  # type: ignore[union-attr]
    assert rule and translator("en").label(rule) != rule
    assert head(refusal) == "✗ " + translator("en").label(rule)


def test_the_rt_rule_is_translated_in_the_terminal_chat() -> None:
    raw = {"1.1": "Rina", "1.2": "2", "1.3": "2", "1.4": "2", "1.5": "Pekalongan", "1.6": "2014-03-05", "1.7.kecamatan": "33.26.08",
           "1.7.desa": "Kutorejo", "1.7.rw": "003"}
    script = "".join(f"{v}\n" for v in raw.values()) + "RT lima\nq\n"
    out = io.StringIO()
    run_chat(engine("pendataan"), translator("en"), io.StringIO(script), out, TODAY)
    assert "✗ " + translator("en").label(RT_RULE) in out.getvalue()
    assert RT_RULE not in out.getvalue()

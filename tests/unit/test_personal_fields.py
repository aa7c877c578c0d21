"""Personal answers are declared in the instruments and checked at load: storage encrypts exactly those."""

from __future__ import annotations

from typing import Any

import pytest

from flows.errors import InstrumentError
from flows.loader import parse_instrument
from flows.personal import personal_ids, personal_question_ids


def instrument(*questions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "t", "version": 1, "title": "T", "source": "test",
            "sections": [{"id": "s", "title": "S", "questions": list(questions)}], **extra}


@pytest.mark.parametrize("kind", ["nik", "phone", "location"])
def test_identifying_types_must_be_declared_personal(kind: str) -> None:
    with pytest.raises(InstrumentError, match=f"a {kind} answer identifies or locates a person"):
        parse_instrument(instrument({"id": "q", "type": kind, "label": "Q"}), "t")
    parsed = parse_instrument(instrument({"id": "q", "type": kind, "label": "Q", "personal": True}), "t")
    assert personal_ids(parsed) == {"q"}


def test_kk_numbers_declared_in_the_nik_class_must_be_personal() -> None:
    kk = {"id": "kk", "type": "text", "label": "Nomor KK"}
    with pytest.raises(InstrumentError, match="add 'personal: true'"):
        parse_instrument(instrument(kk, field_classes={"nik": ["kk"]}), "t")
    parsed = parse_instrument(instrument({**kk, "personal": True}, field_classes={"nik": ["kk"]}), "t")
    assert personal_ids(parsed) == {"kk"}


def test_repeat_group_questions_count() -> None:
    group = {"id": "n", "type": "integer", "label": "N"}
    roster = {"id": "art", "type": "repeat", "label": "ART", "repeat_count": "n",
              "questions": [{"id": "art.nik", "type": "nik", "label": "NIK", "personal": True}, {"id": "art.name", "type": "text", "label": "Nama"}]}
    assert personal_ids(parse_instrument(instrument(group, roster), "t")) == {"art.nik"}


def test_the_shipped_instruments_declare_nik_kk_phone_and_gps() -> None:
    ids = personal_question_ids()
    assert {"1.2.nik", "R.1", "R.8", "ART.2", "D.8", "U.8", "B.8"} <= ids
    assert "1.1" not in ids and "2.1" not in ids  # names are not sealed (they are how children are found)

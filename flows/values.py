"""Turn what a person typed or tapped into a stored value, or say kindly why it cannot be one.

Every parser is pure: it takes the raw input (text from chat, a JSON value from ``instruments walk``, a dict
from a Telegram photo or location) and returns the normalised value or a :class:`~flows.messages.Problem`.
Stored forms: text/nik/nisn as strings, phone as E.164, integers, floats, dates as ISO ``YYYY-MM-DD``, select
one as a code, select multiple as a list of codes in printed order, location as a dict, photo as a dict.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from flows import messages as M
from flows.messages import Problem
from flows.nik_checks import nik_info
from flows.schema import REGION_CODE_PATTERNS, Choice, Constraint, QuestionType
from flows.structure import Node

Parsed = Any | Problem

DEFAULT_TEXT_LENGTH = 500
"""The longest answer to a text question that declares no ``max_length`` (a write-in "Lainnya, sebutkan")."""
MAX_TEXT_LENGTH = 2000
"""The largest ``max_length`` a form may declare: the answer is read back in one chat message with its label."""

_MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "peb": 2, "pebruari": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "ags": 8, "agt": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
_NUMERIC_DATE = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORD_DATE = re.compile(r"^(\d{1,2})\s*[\s\-/.]\s*([a-z]+)\.?\s*[\s\-/.,]\s*(\d{2}|\d{4})$")
_COORDS = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d+(?:[.,]\d+)?)\s*$")


def _text(raw: Any) -> str:
    return str(raw).strip() if raw is not None else ""


def _full_year(year: str, today: dt.date) -> int:
    """Two-digit years belong to the most recent century that does not put the date in the future."""
    value = int(year)
    if len(year) == 4:
        return value
    return 2000 + value if 2000 + value <= today.year else 1900 + value


def parse_date(raw: Any, today: dt.date) -> Parsed:
    """Dates as people type them: 05/03/2012, 5-3-2012, 5.3.12, 5 Maret 2012, 2012-03-05."""
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = _text(raw).lower()
    ymd: tuple[int, int, int] | None = None
    if m := _ISO_DATE.match(text):
        ymd = int(m[1]), int(m[2]), int(m[3])
    elif m := _NUMERIC_DATE.match(text):
        ymd = _full_year(m[3], today), int(m[2]), int(m[1])
    elif (m := _WORD_DATE.match(text)) and m[2] in _MONTHS:
        ymd = _full_year(m[3], today), _MONTHS[m[2]], int(m[1])
    try:
        return dt.date(*ymd).isoformat() if ymd else Problem(M.NOT_A_DATE, {"input": _text(raw)})
    except ValueError:
        return Problem(M.NOT_A_DATE, {"input": _text(raw)})


def age_on(birth: dt.date, today: dt.date) -> int:
    """Whole years between a birth date and a day."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _parse_integer(raw: Any) -> Parsed:
    if isinstance(raw, bool):
        return Problem(M.NOT_AN_INTEGER, {"input": _text(raw)})
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = _text(raw)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):  # Indonesian thousands separator: 1.500
        text = text.replace(".", "")
    return int(text) if re.fullmatch(r"-?\d+", text) else Problem(M.NOT_AN_INTEGER, {"input": _text(raw)})


def _parse_decimal(raw: Any) -> Parsed:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return float(raw)
    text = _text(raw).replace(",", ".")
    return float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else Problem(M.NOT_A_DECIMAL, {"input": _text(raw)})


_NIK_ISSUES = {
    "province": M.NIK_PROVINCE,
    "wilayah": M.NIK_ZERO_REGION,
    "birth_date": M.NIK_BIRTH_DATE,
    "serial": M.NIK_SERIAL,
}


def _parse_nik(raw: Any, today: dt.date) -> Parsed:
    text = _text(raw)
    info = nik_info(text, today)  # lokal costs ~0.5 s to import (its PII detectors): loaded when a NIK is first read
    if info.nik is None:
        return Problem(M.NIK_LENGTH, {"input": text, "count": sum(ch.isdigit() for ch in text)})
    if info.errors:
        issue = info.errors[0]
        return Problem(_NIK_ISSUES.get(issue.code, M.NIK_BIRTH_DATE), {"code": info.province_code})
    return info.nik


def _parse_nisn(raw: Any) -> Parsed:
    text = re.sub(r"[\s.\-]", "", _text(raw))
    return text if re.fullmatch(r"\d{10}", text) else Problem(M.NISN_FORMAT, {"input": _text(raw), "count": sum(c.isdigit() for c in text)})


def _parse_phone(raw: Any) -> Parsed:
    from lokal import parse_phone  # see _parse_nik

    info = parse_phone(_text(raw))
    return info.e164 if info.valid and info.e164 else Problem(M.PHONE_INVALID, {"input": _text(raw)})


_BY_TEXT: dict[int, tuple[tuple[Choice, ...], dict[str, Choice]]] = {}
"""A question's options by code and label in lower case, made once per (immutable) tuple of options."""


def _by_text(choices: Sequence[Choice]) -> dict[str, Choice]:
    cached = _BY_TEXT.get(id(choices))
    if cached is not None and cached[0] is choices:
        return cached[1]
    table: dict[str, Choice] = {}
    for choice in choices:  # the first option a text names wins, as in reading the list in order
        table.setdefault(choice.code.lower(), choice)
        table.setdefault(choice.label.lower(), choice)
    if isinstance(choices, tuple):  # a layout's options: kept (a list could change under the table)
        if len(_BY_TEXT) >= 4096:
            _BY_TEXT.clear()
        _BY_TEXT[id(choices)] = (choices, table)
    return table


def _match_choice(raw: Any, choices: Sequence[Choice]) -> Choice | None:
    """A tapped code, a typed code or a typed label (any case) picks an option."""
    return _by_text(choices).get(_text(raw).lower().rstrip("."))


def _parse_select_one(raw: Any, choices: Sequence[Choice]) -> Parsed:
    choice = _match_choice(raw, choices)
    return choice.code if choice else Problem(M.NOT_A_CHOICE, {"input": _text(raw)})


def _parse_select_multiple(raw: Any, choices: Sequence[Choice]) -> Parsed:
    items = raw if isinstance(raw, (list, tuple)) else [p for p in re.split(r"[,;]", _text(raw)) if p.strip()]
    picked: set[str] = set()
    for item in items:
        choice = _match_choice(item, choices)
        if choice is None:
            return Problem(M.NOT_A_CHOICE, {"input": _text(item)})
        picked.add(choice.code)
    if not picked:
        return Problem(M.NOTHING_SELECTED)
    exclusive = [c for c in choices if c.exclusive and c.code in picked]
    if exclusive and len(picked) > 1:
        return Problem(M.EXCLUSIVE, {"label": exclusive[0].label})
    return [c.code for c in choices if c.code in picked]


def _parse_location(raw: Any) -> Parsed:
    if isinstance(raw, dict) and "latitude" in raw and "longitude" in raw:
        try:
            lat, lon = float(raw["latitude"]), float(raw["longitude"])
        except (TypeError, ValueError):
            return Problem(M.NOT_A_LOCATION)
        extra = {k: (float(raw[k]) if raw.get(k) is not None else None) for k in ("altitude", "accuracy")}
    elif m := _COORDS.match(_text(raw)):
        lat, lon = float(m[1].replace(",", ".")), float(m[2].replace(",", "."))
        extra = {"altitude": None, "accuracy": None}
    else:
        return Problem(M.NOT_A_LOCATION)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return Problem(M.LOCATION_RANGE)
    return {"latitude": lat, "longitude": lon, **extra}


def _parse_photo(raw: Any, max_mb: float | None) -> Parsed:
    if isinstance(raw, str) and raw.strip():
        raw = {"path": raw.strip()}
    if not isinstance(raw, dict) or not ({"file_id", "path"} & raw.keys()):
        return Problem(M.NOT_A_PHOTO)
    size = raw.get("size")
    if max_mb is not None and isinstance(size, (int, float)) and size > max_mb * 1024 * 1024:
        return Problem(M.PHOTO_TOO_BIG, {"size": round(size / 1024 / 1024, 1), "max": max_mb})
    return dict(raw)


def _failed(c: Constraint, message: str, **params: Any) -> Problem:
    """A constraint's problem: the form's own message wins over the generic one."""
    return Problem(c.message, params, form=True) if c.message else Problem(message, params)


def _check_constraint(value: Any, c: Constraint, node: Node, today: dt.date) -> Problem | None:
    """Apply a question's constraint to a parsed value; the form's own message wins over the generic one."""
    return _constraint_check(c, node)(value, today)


def _constraint_check(c: Constraint, node: Node) -> Callable[[Any, dt.date], Problem | None]:
    """:func:`_check_constraint` for one question, its bounds and pattern read once."""
    low, high, shortest, longest = c.min, c.max, c.min_length, c.max_length
    pattern = re.compile(c.pattern) if c.pattern is not None else None
    textual = node.type in (QuestionType.TEXT, QuestionType.NIK, QuestionType.NISN)
    dated, not_future, youngest, oldest = node.type is QuestionType.DATE, c.not_future, c.age_min, c.age_max

    def check(value: Any, today: dt.date) -> Problem | None:
        if isinstance(value, (int, float)):
            if low is not None and value < low:
                return _failed(c, M.BELOW_MIN, min=_num(low))
            if high is not None and value > high:
                return _failed(c, M.ABOVE_MAX, max=_num(high))
        if textual and isinstance(value, str):
            if shortest is not None and len(value) < shortest:
                return _failed(c, M.TOO_SHORT, min=shortest)
            if longest is not None and len(value) > longest:
                return _failed(c, M.TOO_LONG, max=longest)
            if pattern is not None and not pattern.fullmatch(value):
                return _failed(c, M.PATTERN, input=value)
        if dated:
            day = dt.date.fromisoformat(value)
            if not_future and day > today:
                return _failed(c, M.FUTURE_DATE, date=day)
            age = age_on(day, today)
            if (youngest is not None and age < youngest) or (oldest is not None and age > oldest):
                return _failed(c, M.AGE_OUT_OF_RANGE, age=age, min=youngest if youngest is not None else 0,
                               max=oldest if oldest is not None else "∞")
        return None

    return check


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


_PARSERS: dict[QuestionType, Callable[[Any, Node, dt.date], Parsed]] = {
    QuestionType.TEXT: lambda raw, node, today: _text(raw) or Problem(M.REQUIRED),
    QuestionType.INTEGER: lambda raw, node, today: _parse_integer(raw),
    QuestionType.DECIMAL: lambda raw, node, today: _parse_decimal(raw),
    QuestionType.DATE: lambda raw, node, today: parse_date(raw, today),
    QuestionType.NIK: lambda raw, node, today: _parse_nik(raw, today),
    QuestionType.NISN: lambda raw, node, today: _parse_nisn(raw),
    QuestionType.PHONE: lambda raw, node, today: _parse_phone(raw),
    QuestionType.SELECT_ONE: lambda raw, node, today: _parse_select_one(raw, node.choices),
    QuestionType.SELECT_MULTIPLE: lambda raw, node, today: _parse_select_multiple(raw, node.choices),
    QuestionType.LOCATION: lambda raw, node, today: _parse_location(raw),
    QuestionType.PHOTO: lambda raw, node, today: _parse_photo(raw, node.question.max_size_mb),
}


def parse_answer(node: Node, raw: Any, today: dt.date) -> Parsed:
    """The stored value for ``raw`` as an answer to ``node``, or the problem with it."""
    return answer_parser(node)(raw, today)


def answer_parser(node: Node) -> Callable[[Any, dt.date], Parsed]:
    """:func:`parse_answer` for one question, what depends on the question alone worked out once (the engine
    keeps one per question)."""
    parser = _PARSERS.get(node.type)
    if parser is None:
        return lambda raw, today: Problem(M.NOT_ANSWERABLE)
    regions = node.question.regions
    region = re.compile(REGION_CODE_PATTERNS[regions.level]) if regions is not None else None
    constraint = node.question.constraint
    unbounded_text = node.type is QuestionType.TEXT and (constraint is None or constraint.max_length is None)
    constrained = _constraint_check(constraint, node) if constraint else None

    def parse(raw: Any, today: dt.date) -> Parsed:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return Problem(M.REQUIRED)
        value = parser(raw, node, today)
        if isinstance(value, Problem):
            return value
        if region is not None and not region.match(str(value)):
            return Problem(M.NOT_A_REGION_CODE, {"level": regions.level.value if regions else ""})
        if unbounded_text and len(value) > DEFAULT_TEXT_LENGTH:
            return Problem(M.TOO_LONG, {"max": DEFAULT_TEXT_LENGTH})
        problem = constrained(value, today) if constrained is not None else None
        return problem or value

    return parse

"""A claimed reminder as a chat message: text in the recipient's language and the buttons. No I/O.

Button data is opaque: ``r.<token>.<action>`` with the row's random token and ``f`` (fill now), ``s`` (snooze)
or ``x`` (ask to reassign). Nothing in it identifies a case, a child or a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cases.catalogue import name_of
from core.authz import ROLE_NAMES
from core.i18n import Translator, translator
from reminders import texts as T
from reminders.rules import BUTTONS, FILL, REASSIGN, SNOOZE, Kind, instrument_for

PREFIX = "r."


@dataclass(frozen=True)
class Claimed:
    """A row claimed for sending, with what its message needs (read in the claiming transaction)."""

    id: int
    kind: str
    token: str | None
    period: str
    person_id: int
    chat_id: int | None
    language: str
    reachable: bool
    timezone: str
    case_id: int | None = None
    region_code: str | None = None
    recipient_region: str | None = None
    recipient_role: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    child: str | None = None
    village: str | None = None
    subject_name: str | None = None
    subject_role: str | None = None
    region_name: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    text: str
    buttons: list[list[tuple[str, str]]]
    """Rows of (label, callback data)."""


def callback_data(token: str, action: str) -> str:
    return f"{PREFIX}{token}.{action}"


def _date(value: Any) -> dt.date | str:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value if isinstance(value, dt.date) else ""


PERIOD_MESSAGES: dict[str, tuple[str, str]] = {  # keyed by Kind (a str, as stored in the kind column)
    Kind.VISIT: (T.VISIT_FIRST, T.VISIT),
    Kind.MONITORING: (T.MONITORING_FIRST, T.MONITORING),
    Kind.VISIT_FOLLOWUP: (T.VISIT_FOLLOWUP_FIRST, T.VISIT_FOLLOWUP),
    Kind.MONITORING_FOLLOWUP: (T.MONITORING_FOLLOWUP_FIRST, T.MONITORING_FOLLOWUP),
}
"""The message of a period's reminder: (when nothing was logged yet, counted from the assignment; otherwise)."""


def render(c: Claimed) -> Message:
    t = translator(c.language)
    unknown = t(T.UNKNOWN_NAME)
    child, village = c.child or unknown, c.village or unknown
    since = _date(c.detail.get("since", ""))
    kind = c.kind
    if kind in PERIOD_MESSAGES:
        first, later = PERIOD_MESSAGES[kind]
        text = t(first if c.detail.get("first") else later, child=child, village=village, since=since)
    elif kind == Kind.ESCALATION:
        if c.detail.get("reason") != "no_log" or not c.subject_name:
            text = t(T.ESCALATION_NO_PENDAMPING, child=child, village=village, since=since)
        else:
            message = T.ESCALATION_MONITORING if c.detail.get("base") == Kind.MONITORING.value else T.ESCALATION_VISIT
            text = t(message, child=child, village=village, since=since, pendamping=c.subject_name)
    elif kind in (Kind.RECAP_QUARTERLY, Kind.EVALUATION_SEMESTER):
        text = _periodic(t, c)
    elif kind == Kind.UNREACHABLE_NOTICE:
        role = c.subject_role or c.detail.get("role") or ""
        text = t(T.UNREACHABLE, name=c.subject_name or unknown, role=t(ROLE_NAMES[role]) if role in ROLE_NAMES else role)
    elif kind == Kind.REASSIGN_REQUEST:
        text = t(T.REASSIGN_REQUEST, name=c.subject_name or unknown, child=child, village=village)
    elif kind == Kind.REFERRAL_DUE:
        text = t(T.REFERRAL_DUE, child=child, village=village, agency=name_of("referral", c.region_code, str(c.detail.get("agency", ""))),
                 due=_date(c.detail.get("due", "")), referral=c.detail.get("referral", ""))
    else:  # a kind written by a newer version: say nothing wrong
        raise ValueError(f"unknown reminder kind {kind!r}")
    return Message(text, _buttons(t, c))


def _periodic(t: Translator, c: Claimed) -> str:
    counts = c.counts
    in_school = counts.get("back_in_school", 0) + counts.get("monitored", 0)
    accompanied = sum(counts.get(s, 0) for s in ("accompanied", "willing", "undecided", "not_willing", "school_chosen"))
    params = {
        "region": c.region_name or c.region_code or "",
        "start": _date(c.detail.get("from", "")),
        "end": _date(c.detail.get("to", "")),
        "in_school": in_school,
        "dropped": counts.get("dropped_out_again", 0),
        "accompanied": accompanied,
        "graduated": counts.get("graduated", 0),
    }
    if c.kind == Kind.RECAP_QUARTERLY:
        return t(T.RECAP, **params)
    found = sum(n for status, n in counts.items() if status not in ("proposed", "not_valid"))
    return t(T.EVALUATION, found=found, **params)


def _buttons(t: Translator, c: Claimed) -> list[list[tuple[str, str]]]:
    allowed = BUTTONS.get(c.kind, "")
    if not allowed or not c.token:
        return []
    rows: list[list[tuple[str, str]]] = []
    if FILL in allowed:
        label = T.BUTTON_FILL_MONITORING if instrument_for(c.kind, c.detail) == "monitoring" else T.BUTTON_FILL_VISIT
        rows.append([(t(label), callback_data(c.token, FILL))])
    second = []
    if SNOOZE in allowed:
        second.append((t(T.BUTTON_SNOOZE), callback_data(c.token, SNOOZE)))
    if REASSIGN in allowed:
        second.append((t(T.BUTTON_REASSIGN), callback_data(c.token, REASSIGN)))
    if second:
        rows.append(second)
    return rows

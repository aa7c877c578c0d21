"""The first reminder of a case nobody has visited says when it was assigned, not "last visit on" (issue 14 §11)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.i18n import translator
from reminders import rules
from reminders import texts as T
from reminders.render import Claimed, render
from reminders.rules import CaseSnapshot, Kind, Recipient
from reminders.settings import ReminderSettings
from tests.reminders.factory import at

S = ReminderSettings(_env_file=None)
P = Recipient(10, "Asia/Jakarta")


def _first_due(**dates: object) -> rules.Due:
    case = CaseSnapshot(1, "accompanied", "33.26.01.2001", "Asia/Jakarta", at(2026, 1, 15, 10), pendamping=P, team=(), **dates)  # type: ignore[arg-type]
    (due,) = rules.case_reminders(case, S, at(2026, 3, 16, 8, 0))
    return due


def _text(due: rules.Due, kind: str = Kind.VISIT) -> str:
    claimed = Claimed(1, kind, "tok", due.period, 10, 10, "en", True, "Asia/Jakarta", case_id=1, detail=dict(due.detail),
                      child="Ayu", village="Klesem")
    return render(claimed).text


def test_no_visit_yet_says_assigned_on() -> None:
    text = _text(_first_due())
    assert text == translator("en")(T.VISIT_FIRST, child="Ayu", village="Klesem", since=dt.date(2026, 1, 15))
    assert "last visit" not in text.lower()


def test_after_a_visit_it_names_the_last_visit() -> None:
    due = _first_due(last_visit=dt.date(2026, 1, 15))
    assert "first" not in due.detail
    assert _text(due) == translator("en")(T.VISIT, child="Ayu", village="Klesem", since=dt.date(2026, 1, 15))


@pytest.mark.parametrize(("kind", "message"), [(Kind.VISIT_FOLLOWUP, T.VISIT_FOLLOWUP_FIRST), (Kind.MONITORING, T.MONITORING_FIRST),
                                               (Kind.MONITORING_FOLLOWUP, T.MONITORING_FOLLOWUP_FIRST)])
def test_every_reminder_of_a_first_period_says_so(kind: str, message: str) -> None:
    assert _text(_first_due(), kind) == translator("en")(message, child="Ayu", village="Klesem", since=dt.date(2026, 1, 15))

"""The pure rules with a controlled clock: months, time zones, daily windows, working days and holidays."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import lokal
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from reminders import rules
from reminders.rules import CaseSnapshot, Existing, Kind, Recipient, TeamMember
from reminders.settings import ReminderSettings
from tests.reminders.factory import at

S = ReminderSettings(_env_file=None)
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
P = Recipient(10, WIB)
TEAM = (Recipient(20, WIB), Recipient(21, WIB))


def case(status: str = "accompanied", since: dt.datetime = at(2026, 1, 15, 10), tz: str = WIB, pendamping: Recipient | None = P,  # noqa: B008
         team: tuple[Recipient, ...] = TEAM, **dates: object) -> CaseSnapshot:
    return CaseSnapshot(1, status, "33.26.01.2001", tz, since, pendamping=pendamping, team=team, **dates)  # type: ignore[arg-type]


def kinds(dues: list[rules.Due]) -> list[tuple[str, int, str]]:
    return [(str(d.kind), d.person_id, d.period) for d in dues]


def test_the_rules_import_neither_a_database_nor_telegram() -> None:
    code = "import sys, reminders.rules; print(sorted(m for m in sys.modules if m.split('.')[0] in ('telegram','sqlalchemy','storage','bot','apscheduler','psycopg')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


# -- the visit every two months, its follow-up and escalation, across Nyepi and Idul Fitri 2026 --------------------
def test_visit_is_due_two_months_after_the_last_log_when_the_window_opens() -> None:
    c = case()  # accompanied since Thu 15 Jan 2026; + 2 months = Sun 15 Mar → Mon 16 Mar 08:00 WIB
    assert rules.case_reminders(c, S, at(2026, 3, 14, 12)) == []
    assert rules.case_reminders(c, S, at(2026, 3, 16, 7, 59)) == []
    (due,) = rules.case_reminders(c, S, at(2026, 3, 16, 8, 0))
    assert (due.kind, due.person_id, due.period, due.case_id) == (Kind.VISIT, 10, "2026-03-15", 1)
    assert due.due_at == at(2026, 3, 16, 8) == dt.datetime(2026, 3, 16, 1, 0, tzinfo=dt.UTC)
    assert due.detail == {"since": "2026-01-15", "base": "visit", "first": True}  # nothing logged since the assignment
    # A lookahead materialises it before the window opens, due exactly at the opening.
    (early,) = rules.case_reminders(c, S, at(2026, 3, 16, 7, 30), horizon=at(2026, 3, 16, 8, 30))
    assert early.due_at == at(2026, 3, 16, 8)


def test_follow_up_and_escalation_count_working_days_across_nyepi_idul_fitri_and_cuti_bersama() -> None:
    c = case()
    sent = Existing("visit", 10, "2026-03-15", "sent", at(2026, 3, 16, 8, 0, 5))
    # 5 working days after Mon 16 Mar: 17 Mar, then Nyepi (18 cuti bersama, 19), Idul Fitri (20 cuti bersama, 21, 22,
    # 23 and 24 cuti bersama) are off: 25, 26, 27, 30 → Mon 30 Mar (two weeks, not one).
    assert kinds(rules.case_reminders(c, S, at(2026, 3, 27, 16), [sent])) == [("visit", 10, "2026-03-15")]
    dues = rules.case_reminders(c, S, at(2026, 3, 30, 8), [sent])
    assert kinds(dues) == [("visit", 10, "2026-03-15"), ("visit_followup", 10, "2026-03-15")]
    assert dues[1].due_at == at(2026, 3, 30, 8)
    followup = Existing("visit_followup", 10, "2026-03-15", "sent", at(2026, 3, 30, 8, 1))
    # 5 more: 31 Mar, 1, 2 Apr, (3 Apr Wafat Yesus Kristus, weekend), 6, 7 Apr → the village team on Tue 7 Apr.
    assert len(rules.case_reminders(c, S, at(2026, 4, 6, 16), [sent, followup])) == 2
    dues = rules.case_reminders(c, S, at(2026, 4, 7, 8), [sent, followup])
    escalations = [d for d in dues if d.kind == Kind.ESCALATION]
    assert [(d.person_id, d.subject_person_id, d.due_at) for d in escalations] == [(20, 10, at(2026, 4, 7, 8)), (21, 10, at(2026, 4, 7, 8))]
    assert escalations[0].detail["reason"] == "no_log"


def test_grace_counts_from_when_the_reminder_was_really_sent_after_an_outage() -> None:
    late = Existing("visit", 10, "2026-03-15", "sent", at(2026, 4, 6, 9))  # the bot was down until Mon 6 Apr
    dues = rules.case_reminders(case(), S, at(2026, 4, 10, 9), [late])
    assert kinds(dues) == [("visit", 10, "2026-03-15")]
    followup = rules.case_reminders(case(), S, at(2026, 4, 13, 8), [late])[1]
    assert followup.due_at == at(2026, 4, 13, 8)  # 7, 8, 9, 10, 13 Apr


def test_a_snoozed_or_failed_reminder_holds_the_follow_up_back() -> None:
    for state in ("snoozed", "pending", "failed"):
        row = Existing("visit", 10, "2026-03-15", state, None)
        assert kinds(rules.case_reminders(case(), S, at(2026, 5, 1, 9), [row])) == [("visit", 10, "2026-03-15")]


def test_a_new_log_starts_a_new_period_and_ends_the_old_chain() -> None:
    sent = Existing("visit", 10, "2026-03-15", "sent", at(2026, 3, 16, 8))
    # A visit on 1 Apr: the next one is due 1 Jun (Hari Lahir Pancasila) → Tue 2 Jun.
    logged = case(last_visit=dt.date(2026, 4, 1))
    assert rules.case_reminders(logged, S, at(2026, 4, 7, 9), [sent]) == []
    (due,) = rules.case_reminders(logged, S, at(2026, 6, 2, 8))
    assert (due.period, due.due_at) == ("2026-06-01", at(2026, 6, 2, 8))
    # A Catatan Hasil Pendampingan submitted on 20 Apr counts the same way; so does a status change.
    by_form = case(last_log_at=at(2026, 4, 20, 15))
    assert rules.cycle(by_form, S, at(2026, 7, 1)).period == "2026-06-20"  # type: ignore[union-attr]


def test_without_any_log_the_period_moves_on_every_two_months() -> None:
    c = case()
    assert rules.cycle(c, S, at(2026, 5, 14, 12)).period == "2026-03-15"  # type: ignore[union-attr]
    # Fri 15 May 2026 is cuti bersama (Kenaikan Yesus Kristus): the next period opens on Mon 18 May.
    assert rules.cycle(c, S, at(2026, 5, 15, 9)).period == "2026-03-15"  # type: ignore[union-attr]
    assert rules.cycle(c, S, at(2026, 5, 18, 8)).period == "2026-05-15"  # type: ignore[union-attr]
    assert rules.cycle(c, S, at(2026, 9, 20, 9)).period == "2026-09-15"  # type: ignore[union-attr]


def test_month_ends_are_clamped() -> None:
    assert rules.add_months(dt.date(2026, 12, 31), 2) == dt.date(2027, 2, 28)
    assert rules.add_months(dt.date(2027, 12, 31), 2) == dt.date(2028, 2, 29)
    assert rules.add_months(dt.date(2026, 11, 30), 1) == dt.date(2026, 12, 30)
    assert rules.add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    c = case(since=at(2026, 12, 31, 10))  # → Sun 28 Feb 2027 → Mon 1 Mar 2027
    (due,) = rules.case_reminders(c, S, at(2027, 3, 1, 8))
    assert (due.period, due.due_at) == ("2027-02-28", at(2027, 3, 1, 8))


# -- monitoring after the return, until the child leaves ------------------------------------------------------------
def test_monthly_monitoring_in_wita_until_graduation() -> None:
    p = Recipient(30, WITA)
    c = CaseSnapshot(2, "back_in_school", "73.71.01.1001", WITA, at(2026, 8, 3, 9, tz=WITA), pendamping=p)
    (due,) = rules.case_reminders(c, S, at(2026, 9, 3, 8, tz=WITA))
    assert (due.kind, due.period, due.due_at) == (Kind.MONITORING, "2026-09-03", dt.datetime(2026, 9, 3, 0, 0, tzinfo=dt.UTC))
    assert rules.case_reminders(c, S, at(2026, 9, 3, 7, 59, tz=WITA)) == []
    # A monitoring on 10 Sep: the next is due on Sat 10 Oct → Mon 12 Oct 08:00 WITA.
    logged = CaseSnapshot(2, "monitored", "73.71.01.1001", WITA, at(2026, 9, 10, 11, tz=WITA), pendamping=p,
                          last_log_at=at(2026, 9, 10, 11, tz=WITA))
    (due,) = rules.case_reminders(logged, S, at(2026, 10, 12, 9, tz=WITA))
    assert (due.kind, due.period, due.due_at) == (Kind.MONITORING, "2026-10-10", at(2026, 10, 12, 8, tz=WITA))
    for status in ("graduated", "dropped_out_again", "moved_away", "aged_out", "not_valid", "verified", "proposed"):
        assert rules.case_reminders(CaseSnapshot(2, status, "73.71.01.1001", WITA, at(2026, 1, 1), pendamping=p), S, at(2026, 12, 1, 9)) == []


def test_a_follow_up_to_the_monitoring_and_the_fill_button_opens_the_monitoring_form() -> None:
    c = CaseSnapshot(2, "monitored", "33.26.01.2001", WIB, at(2026, 9, 1, 9), pendamping=P)
    sent = Existing("monitoring", 10, "2026-10-01", "sent", at(2026, 10, 1, 8))
    dues = rules.case_reminders(c, S, at(2026, 10, 8, 8), [sent])
    assert kinds(dues)[-1] == ("monitoring_followup", 10, "2026-10-01")
    assert rules.instrument_for("monitoring_followup", {}) == "monitoring"
    assert rules.instrument_for("visit_followup", {}) == "pendampingan"
    assert rules.instrument_for("escalation", {"base": "monitoring"}) == "monitoring"


# -- nobody to remind: the village team at once ------------------------------------------------------------------------
def test_unreachable_or_missing_pendamping_escalates_to_the_village_team_when_due() -> None:
    unreachable = case(pendamping=Recipient(10, WIB, reachable=False))
    dues = rules.case_reminders(unreachable, S, at(2026, 3, 16, 8))
    assert [(d.kind, d.person_id, d.subject_person_id, d.detail["reason"]) for d in dues] == [
        (Kind.ESCALATION, 20, 10, "unreachable"), (Kind.ESCALATION, 21, 10, "unreachable")]
    nobody = case(pendamping=None, team=(Recipient(20, WIB), Recipient(22, WIB, reachable=False)))
    assert [(d.person_id, d.subject_person_id, d.detail["reason"]) for d in rules.case_reminders(nobody, S, at(2026, 3, 16, 8))] == [
        (20, None, "no_pendamping")]


def test_the_village_team_is_the_nearest_level_with_reachable_members() -> None:
    teams = {
        "33.26.01.2001": [TeamMember(20, "tim_desa", "33.26.01.2001", reachable=False)],
        "33.26.01": [TeamMember(30, "tim_kecamatan", "33.26.01")],
        "33.26": [TeamMember(40, "tim_kabupaten", "33.26")],
    }
    assert rules.nearest_team("33.26.01.2001", teams) == (Recipient(30, WIB),)
    assert rules.nearest_team("33.26.01.2001", teams, exclude=30) == (Recipient(40, WIB),)
    teams["33.26.01.2001"] = [TeamMember(20, "tim_desa", "33.26.01.2001")]
    assert rules.nearest_team("33.26.01.2001", teams) == (Recipient(20, WIB),)
    assert rules.nearest_team("33.26.01.2001", teams, above="tim_desa") == (Recipient(30, WIB),)  # a desa member's coordinators
    assert rules.nearest_team(None, teams) == ()


# -- daily windows in WIB, WITA and WIT ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("tz", "utc_hour"), [(WIB, 1), (WITA, 0), (WIT, 23)])
def test_eight_oclock_local_in_each_zone(tz: str, utc_hour: int) -> None:
    opening = rules.window_opening(dt.date(2026, 11, 24), tz, S)
    assert opening.hour == utc_hour and opening.tzinfo == dt.UTC
    assert rules.is_open(opening, tz, S)
    assert not rules.is_open(opening - dt.timedelta(seconds=1), tz, S)
    assert rules.is_open(opening + dt.timedelta(hours=8, minutes=59), tz, S)
    assert not rules.is_open(opening + dt.timedelta(hours=9), tz, S)  # 17:00 closes


def test_one_instant_is_inside_the_window_in_one_zone_and_not_in_another() -> None:
    now = at(2026, 11, 24, 7, 30)  # 07:30 WIB = 08:30 WITA = 09:30 WIT
    assert [rules.is_open(now, tz, S) for tz in (WIB, WITA, WIT)] == [False, True, True]
    evening = at(2026, 11, 24, 16, 30)  # 16:30 WIB = 17:30 WITA = 18:30 WIT
    assert [rules.is_open(evening, tz, S) for tz in (WIB, WITA, WIT)] == [True, False, False]


def test_no_reminders_on_weekends_and_holidays_unless_configured() -> None:
    assert not rules.is_open(at(2026, 3, 20, 10), WIB, S)  # Idul Fitri cuti bersama
    assert not rules.is_open(at(2026, 11, 28, 10), WIB, S)  # Saturday
    anyday = ReminderSettings(_env_file=None, working_days_only=False)
    assert rules.is_open(at(2026, 3, 20, 10), WIB, anyday)
    assert rules.window_opening(dt.date(2026, 3, 20), WIB, anyday) == at(2026, 3, 20, 8)
    assert rules.window_opening(dt.date(2026, 3, 20), WIB, S) == at(2026, 3, 25, 8)


def test_next_opening() -> None:
    assert rules.next_opening(at(2026, 11, 24, 10), WIB, S) == at(2026, 11, 24, 10)
    assert rules.next_opening(at(2026, 11, 24, 6), WIB, S) == at(2026, 11, 24, 8)
    assert rules.next_opening(at(2026, 11, 27, 18), WIB, S) == at(2026, 11, 30, 8)  # Friday evening → Monday
    assert rules.next_opening(at(2026, 12, 24, 9), WIB, S) == at(2026, 12, 28, 8)  # Christmas and the weekend


@hsettings(max_examples=300, deadline=None)
@given(
    since=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 8, 31)),
    hour=st.integers(0, 23),
    tz=st.sampled_from([WIB, WITA, WIT]),
    status=st.sampled_from(["accompanied", "willing", "school_chosen", "back_in_school", "monitored"]),
    days_later=st.integers(0, 200),
)
def test_every_due_instant_opens_a_window_on_a_working_day(since: dt.date, hour: int, tz: str, status: str, days_later: int) -> None:
    c = CaseSnapshot(1, status, "x", tz, at(since.year, since.month, since.day, hour, tz=tz), pendamping=Recipient(10, tz))
    now = at(since.year, since.month, since.day, 12, tz=tz) + dt.timedelta(days=days_later)
    for due in rules.case_reminders(c, S, now):
        local = due.due_at.astimezone(rules.zone(tz))
        assert local.time() == S.window_start and rules.is_working_day(local.date())
        assert due.due_at <= now
        assert dt.date.fromisoformat(due.period) >= since


# -- working days ------------------------------------------------------------------------------------------------------
def test_working_days_agree_with_lokal() -> None:
    day = dt.date(2026, 1, 2)
    while day < dt.date(2027, 12, 1):
        for n in (1, 3, 5, 10):
            assert rules.add_working_days(day, n) == lokal.add_working_days(day, n), (day, n)
        day += dt.timedelta(days=11)


def test_years_lokal_does_not_know_count_weekends_only() -> None:
    assert rules.is_working_day(dt.date(2030, 12, 25))  # no decree yet: only weekends are off
    assert not rules.is_working_day(dt.date(2030, 12, 28))


def test_snooze_counts_working_days() -> None:
    assert rules.snooze_until(at(2026, 3, 17, 10), WIB, S) == at(2026, 3, 27, 8)  # 25, 26, 27 Mar after Nyepi + Lebaran
    assert rules.snooze_until(at(2026, 11, 24, 10, tz=WIT), WIT, S) == at(2026, 11, 27, 8, tz=WIT)


# -- recaps, evaluations, notices -------------------------------------------------------------------------------------
def test_quarterly_recap_and_six_monthly_evaluation_on_the_first_working_day() -> None:
    kec = TeamMember(30, "tim_kecamatan", "33.26.01", WIB, at(2026, 1, 1))
    kab = TeamMember(40, "tim_kabupaten", "33.26", WIB, at(2026, 1, 1))
    # 2027-01-01 is a holiday (Friday), then the weekend: Monday 4 Jan 2027.
    assert rules.periodic_reminders(kec, S, at(2027, 1, 4, 7, 59)) == []
    (recap,) = rules.periodic_reminders(kec, S, at(2027, 1, 4, 8))
    assert (recap.kind, recap.period, recap.due_at, recap.region_code) == (Kind.RECAP_QUARTERLY, "2026-10", at(2027, 1, 4, 8), "33.26.01")
    assert recap.detail == {"from": "2026-10-01", "to": "2026-12-31"}
    (evaluation,) = rules.periodic_reminders(kab, S, at(2027, 1, 10, 9))
    assert (evaluation.kind, evaluation.period, evaluation.detail["from"]) == (Kind.EVALUATION_SEMESTER, "2026-07", "2026-07-01")
    # The same period all quarter long (the unique key keeps it to one row); nothing when too late or joined later.
    assert rules.periodic_reminders(kec, S, at(2027, 1, 15, 9))[0].period == "2026-10"
    assert rules.periodic_reminders(kec, S, at(2027, 2, 1, 9)) == []
    late_joiner = TeamMember(31, "tim_kecamatan", "33.26.01", WIB, at(2027, 1, 5))
    assert rules.periodic_reminders(late_joiner, S, at(2027, 1, 6, 9)) == []
    assert rules.periodic_reminders(TeamMember(20, "tim_desa", "33.26.01.2001"), S, at(2027, 1, 4, 9)) == []
    (april,) = rules.periodic_reminders(kec, S, at(2026, 4, 1, 9))  # Wed 1 Apr 2026
    assert (april.period, april.due_at) == ("2026-01", at(2026, 4, 1, 8))


def test_unreachable_notice_once_per_person_and_day() -> None:
    marked = at(2026, 11, 24, 20)  # found out in the evening: told the next morning
    notices = rules.unreachable_notices(10, "pendamping", "33.26.01.2001", marked, TEAM, S, marked)
    assert [(d.kind, d.person_id, d.subject_person_id, d.period, d.due_at) for d in notices] == [
        (Kind.UNREACHABLE_NOTICE, 20, 10, "p10:20261124", at(2026, 11, 25, 8)),
        (Kind.UNREACHABLE_NOTICE, 21, 10, "p10:20261124", at(2026, 11, 25, 8)),
    ]
    assert rules.unreachable_notices(10, "masyarakat", "33.26.01.2001", marked, TEAM, S, marked) == []
    assert rules.unreachable_notices(10, "pendamping", "33.26.01.2001", marked, TEAM, S, marked + dt.timedelta(days=15)) == []
    assert len(rules.unreachable_period(2_147_483_647, marked, WIB)) <= 20

"""Which reminders should exist, and when they are due. Pure: no database, no Telegram, no clock of its own.

Every rule is tied to the case's own dates, never to one global cron:

* before the return to school (``accompanied`` … ``school_chosen``) the pendamping is reminded to visit and log
  when the last log is ``visit_months`` old (Bab II.D.4: *catatan hasil pendampingan minimal 2 bulan sekali*);
* after the return (``back_in_school``, ``monitored``) the monthly monitoring is prompted ``monitoring_months``
  after the last one (Bab II.H), until the child graduates or leaves;
* a follow-up goes to the pendamping ``followup_working_days`` working days after the first reminder was
  sent if the period's log is still missing, and an escalation to the village team ``escalation_working_days``
  after the follow-up; a case without a reachable pendamping is escalated at once;
* a recap to every kecamatan team member each ``recap_months`` and an evaluation prompt to every kabupaten team
  member each ``evaluation_months`` (Bab IV), on the first working day after the period;
* a notice to the coordinators of a person the bot cannot reach, and a request to reassign a child;
* a referral to an agency still open on its due date: one reminder to whoever referred the child (else the
  case's pendamping), at the opening of that day's window; closing the referral cancels it.

"The last log" of a case is the latest of: a status change (not a handover), a visit (``visits``), a submitted
``pendampingan`` or ``monitoring`` form. A new log starts a new period, so reminders of the old one stop.

A period key makes each (kind, case, recipient, period) unique: for case reminders it is the local date the log
became due, for recaps the first month of the period covered, for notices the subject and the day. Every due
instant lies inside the recipient's daily window, in the recipient region's time zone (WIB, WITA, WIT), on a
working day (``lokal``: national holidays and cuti bersama) unless ``working_days_only`` is off.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from reminders.settings import ReminderSettings

log = logging.getLogger(__name__)
UTC = dt.UTC


class Kind(StrEnum):
    VISIT = "visit"
    MONITORING = "monitoring"
    VISIT_FOLLOWUP = "visit_followup"
    MONITORING_FOLLOWUP = "monitoring_followup"
    ESCALATION = "escalation"
    RECAP_QUARTERLY = "recap_quarterly"
    EVALUATION_SEMESTER = "evaluation_semester"
    UNREACHABLE_NOTICE = "unreachable_notice"
    REASSIGN_REQUEST = "reassign_request"
    REFERRAL_DUE = "referral_due"


BEFORE_RETURN = ("accompanied", "willing", "undecided", "not_willing", "school_chosen")
AFTER_RETURN = ("back_in_school", "monitored")
RELEVANT_STATUSES = BEFORE_RETURN + AFTER_RETURN
LOG_INSTRUMENTS = ("pendampingan", "monitoring")
"""Submitted forms that count as the case's log."""
HANDOVER_EVENT = "reassign"
"""A change of pendamping is not a log: the child still needs the visit."""

CASE_KINDS = (Kind.VISIT, Kind.MONITORING, Kind.VISIT_FOLLOWUP, Kind.MONITORING_FOLLOWUP, Kind.ESCALATION)
"""Reminders that belong to the current period of a case; a stale one is cancelled before it is sent."""
FOLLOWUP = {Kind.VISIT: Kind.VISIT_FOLLOWUP, Kind.MONITORING: Kind.MONITORING_FOLLOWUP}
INSTRUMENT = {Kind.VISIT: "pendampingan", Kind.MONITORING: "monitoring"}

FILL, SNOOZE, REASSIGN = "f", "s", "x"
BUTTONS: dict[str, str] = {
    Kind.VISIT: FILL + SNOOZE + REASSIGN,
    Kind.MONITORING: FILL + SNOOZE + REASSIGN,
    Kind.VISIT_FOLLOWUP: FILL + SNOOZE + REASSIGN,
    Kind.MONITORING_FOLLOWUP: FILL + SNOOZE + REASSIGN,
    Kind.ESCALATION: FILL + SNOOZE,
}
"""Which buttons a reminder of each kind carries (fill now, snooze, ask to reassign); the others carry none."""

TEAM_ROLES = ("tim_desa", "tim_kecamatan", "tim_kabupaten")
TEAM_RANK = {"tim_kabupaten": 1, "tim_kecamatan": 2, "tim_desa": 3}
WATCHED_ROLES = ("pendata", "pendamping", "operator_sekolah", "tim_desa", "tim_kecamatan")
"""People whose coordinators are told when the bot cannot reach them."""


# -- recipients and snapshots ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    person_id: int
    timezone: str = "Asia/Jakarta"
    reachable: bool = True


@dataclass(frozen=True)
class TeamMember:
    """A member of a desa, kecamatan or kabupaten team."""

    person_id: int
    role: str
    region_code: str
    timezone: str = "Asia/Jakarta"
    joined_at: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=UTC)
    reachable: bool = True

    def recipient(self) -> Recipient:
        return Recipient(self.person_id, self.timezone, self.reachable)


@dataclass(frozen=True)
class CaseSnapshot:
    """What the rules need to know about one case."""

    case_id: int
    status: str
    region_code: str
    timezone: str = "Asia/Jakarta"
    last_event_at: dt.datetime | None = None
    """The latest status change that was not a handover (entering the current phase is one)."""
    last_visit: dt.date | None = None
    last_log_at: dt.datetime | None = None
    """The latest submitted pendampingan or monitoring form about the case."""
    pendamping: Recipient | None = None
    """The active assignment's pendamping."""
    team: tuple[Recipient, ...] = ()
    """The village team: the nearest team above the case's region that has reachable members."""


@dataclass(frozen=True)
class Existing:
    """A reminder row already in the database (the rules only read the ones of the current period)."""

    kind: str
    person_id: int
    period: str
    state: str
    sent_at: dt.datetime | None = None


@dataclass(frozen=True)
class Due:
    """A reminder that should exist: one row of the ``reminders`` table."""

    kind: str
    person_id: int
    period: str
    due_at: dt.datetime
    timezone: str
    case_id: int | None = None
    region_code: str | None = None
    subject_person_id: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int, int, str]:
        """The unique key of the table: (kind, case or 0, recipient, period)."""
        return (str(self.kind), self.case_id or 0, self.person_id, self.period)


@dataclass(frozen=True)
class Cycle:
    """The current period of a case: which log is expected and since when."""

    kind: Kind
    period: str
    due_date: dt.date
    since: dt.date


# -- calendar: working days, windows, zones ------------------------------------------------------------------
@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(str(name))


_warned_years: set[int] = set()


@lru_cache(maxsize=16384)
def is_working_day(day: dt.date) -> bool:
    """A working day by ``lokal`` (weekends, libur nasional and cuti bersama off). For a year ``lokal`` has no
    decree for, weekends only (and a warning once: update ``lokal-id``)."""
    import lokal  # ≈7 MB and 0.5 s: loaded when a reminder is first timed, not with every process that imports the rules

    if day.year in lokal.HOLIDAY_YEARS:
        return bool(lokal.is_working_day(day))
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        log.warning("lokal-id has no holidays for %s: counting weekends only (update lokal-id)", day.year)
    return day.weekday() < 5


@lru_cache(maxsize=65536)
def add_working_days(day: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after ``day`` (``day`` itself does not count)."""
    count = 0
    while count < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return day


@lru_cache(maxsize=65536)
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the month's end: 31 Jan + 1 month = 28/29 Feb."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_month - dt.timedelta(days=1)).day))


FIXED_OFFSETS = {"Asia/Jakarta": dt.timedelta(hours=7), "Asia/Makassar": dt.timedelta(hours=8), "Asia/Jayapura": dt.timedelta(hours=9)}
"""WIB, WITA and WIT have had no daylight saving or offset change since 1964: a UTC instant's local date is a sum."""


def local_date(instant: dt.datetime, tz: str) -> dt.date:
    """The date at ``instant`` in zone ``tz``."""
    offset = FIXED_OFFSETS.get(tz)
    if offset is not None and instant.tzinfo is UTC and instant.year >= 1970:
        return (instant + offset).date()
    return instant.astimezone(zone(tz)).date()


def sending_day(day: dt.date, settings: ReminderSettings) -> dt.date:
    """``day`` or the first working day after it (when only working days are allowed)."""
    if not settings.working_days_only:
        return day
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def window_opening(day: dt.date, tz: str, settings: ReminderSettings) -> dt.datetime:
    """The UTC instant the daily window opens on ``day`` (or the next sending day) in zone ``tz``."""
    return _opening(day, str(tz), settings.window_start, settings.working_days_only)


@lru_cache(maxsize=65536)
def _opening(day: dt.date, tz: str, start: dt.time, working_days_only: bool) -> dt.datetime:
    if working_days_only:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
    return dt.datetime.combine(day, start, tzinfo=zone(tz)).astimezone(UTC)


def is_open(now: dt.datetime, tz: str, settings: ReminderSettings) -> bool:
    """Whether reminders may go out in zone ``tz`` at ``now``."""
    local = now.astimezone(zone(tz))
    if not settings.window_start <= local.time().replace(tzinfo=None) < settings.window_end:
        return False
    return not settings.working_days_only or is_working_day(local.date())


def next_opening(instant: dt.datetime, tz: str, settings: ReminderSettings) -> dt.datetime:
    """``instant`` itself when the window is open then, else the next opening of the window in zone ``tz``."""
    if is_open(instant, tz, settings):
        return instant.astimezone(UTC)
    local = instant.astimezone(zone(tz))
    today = local.date()
    if local.time().replace(tzinfo=None) < settings.window_start:
        return window_opening(today, tz, settings)
    return window_opening(today + dt.timedelta(days=1), tz, settings)


def snooze_until(now: dt.datetime, tz: str, settings: ReminderSettings) -> dt.datetime:
    """A snoozed reminder comes back ``snooze_working_days`` working days later, when the window opens."""
    return window_opening(add_working_days(local_date(now, tz), settings.snooze_working_days), tz, settings)


# -- case reminders ----------------------------------------------------------------------------------------------
def phase(status: str) -> Kind | None:
    """The log a case in ``status`` is expected to have: a visit before the return, monitoring after it."""
    if status in BEFORE_RETURN:
        return Kind.VISIT
    if status in AFTER_RETURN:
        return Kind.MONITORING
    return None


def last_log(case: CaseSnapshot) -> dt.date | None:
    """The local date of the case's latest log (status change, visit or form), None when it has none."""
    dates = [d for d in (
        local_date(case.last_event_at, case.timezone) if case.last_event_at else None,
        case.last_visit,
        local_date(case.last_log_at, case.timezone) if case.last_log_at else None,
    ) if d is not None]
    return max(dates) if dates else None


def _months(kind: Kind, settings: ReminderSettings) -> int:
    return settings.visit_months if kind is Kind.VISIT else settings.monitoring_months


def first_cycle(case: CaseSnapshot, settings: ReminderSettings) -> Cycle | None:
    """The first period after the case's latest log (what a change of the case starts from, whatever the clock)."""
    kind = phase(case.status)
    since = last_log(case)
    if kind is None or since is None:
        return None
    due = add_months(since, _months(kind, settings))
    return Cycle(kind, due.isoformat(), due, since)


def next_cycle(current: Cycle, settings: ReminderSettings) -> Cycle:
    """The period after ``current`` when no log arrives."""
    months = _months(current.kind, settings)
    k = ((current.due_date.year - current.since.year) * 12 + current.due_date.month - current.since.month) // months
    due = add_months(current.since, (k + 1) * months)
    return Cycle(current.kind, due.isoformat(), due, current.since)


def next_check(
    case: CaseSnapshot, settings: ReminderSettings, now: dt.datetime, horizon: dt.datetime, existing: Sequence[Existing]
) -> dt.datetime | None:
    """When the rules may next want a row of the case that ``existing`` does not hold (the materialisation looks
    at the case again then); None when the case expects no log.

    The candidates: the current period's reminders not stored yet (a follow-up is timed from its first
    reminder's real ``sent_at``; while that one still waits to be sent, a day later), and the next period's
    first reminder.
    """
    current = cycle(case, settings, horizon)
    if current is None:
        return None
    mine = [e for e in existing if e.period == current.period]
    stored = {(e.kind, e.person_id) for e in mine}
    far = horizon + dt.timedelta(days=3660)
    candidates = [d.due_at for d in case_reminders(case, settings, now, mine, far, current) if (str(d.kind), d.person_id) not in stored]
    if any(e.state in ("pending", "snoozed") for e in mine):
        candidates.append(horizon + dt.timedelta(days=1))
    following = first_due(case, settings, next_cycle(current, settings))
    if following is not None:
        candidates.append(following)
    return min(candidates) if candidates else None


def cycle(case: CaseSnapshot, settings: ReminderSettings, horizon: dt.datetime) -> Cycle | None:
    """The case's current period: the latest ``since + k·months`` (k ≥ 1) already due by ``horizon``, or the
    first one (still in the future). None when the case expects no log or has no date to count from."""
    kind = phase(case.status)
    since = last_log(case)
    if kind is None or since is None:
        return None
    months = _months(kind, settings)
    today = local_date(horizon, case.timezone)
    elapsed = (today.year - since.year) * 12 + today.month - since.month
    k = max(1, elapsed // months + 1)
    while k > 1 and window_opening(add_months(since, k * months), case.timezone, settings) > horizon:
        k -= 1
    due = add_months(since, k * months)
    return Cycle(kind, due.isoformat(), due, since)


def case_reminders(
    case: CaseSnapshot,
    settings: ReminderSettings,
    now: dt.datetime,
    existing: Iterable[Existing] = (),
    horizon: dt.datetime | None = None,
    current: Cycle | None = None,
) -> list[Due]:
    """The reminders of the case's current period that are due by ``horizon`` (default ``now``).

    ``existing`` are the rows already stored for the case: a follow-up counts its grace from the moment the
    first reminder was really sent (after an outage too), the escalation from the follow-up's.
    """
    horizon = horizon or now
    current = current or cycle(case, settings, horizon)
    if current is None:
        return []
    detail: dict[str, Any] = {"since": current.since.isoformat(), "base": current.kind.value}
    if case.last_visit is None and case.last_log_at is None:  # counted from the assignment, not from a log
        detail["first"] = True
    rows = {(e.kind, e.person_id): e for e in existing if e.period == current.period}
    out: list[Due] = []

    def due(kind: str, to: Recipient, at: dt.datetime, **extra: Any) -> Due:
        return Due(kind, to.person_id, current.period, at, to.timezone, case.case_id, case.region_code, detail=detail, **extra)

    pendamping = case.pendamping
    if pendamping is not None and pendamping.reachable:
        first_at = window_opening(current.due_date, pendamping.timezone, settings)
        if first_at > horizon:
            return []
        out.append(due(current.kind, pendamping, first_at))
        first = rows.get((current.kind, pendamping.person_id))
        if first is None or first.state != "sent" or first.sent_at is None:
            return out
        followup_kind = FOLLOWUP[current.kind]
        followup_day = add_working_days(local_date(first.sent_at, pendamping.timezone), settings.followup_working_days)
        followup_at = window_opening(followup_day, pendamping.timezone, settings)
        if followup_at > horizon:
            return out
        out.append(due(followup_kind, pendamping, followup_at))
        followup = rows.get((followup_kind, pendamping.person_id))
        if followup is None or followup.state != "sent" or followup.sent_at is None:
            return out
        escalate_on = add_working_days(local_date(followup.sent_at, pendamping.timezone), settings.escalation_working_days)
        reason = "no_log"
    else:
        escalate_on = current.due_date
        reason = "unreachable" if pendamping is not None else "no_pendamping"
    subject = pendamping.person_id if pendamping is not None else None
    for member in case.team:
        if not member.reachable or member.person_id == subject:
            continue
        at = window_opening(escalate_on, member.timezone, settings)
        if at <= horizon:
            out.append(Due(Kind.ESCALATION, member.person_id, current.period, at, member.timezone, case.case_id,
                           case.region_code, subject, {**detail, "reason": reason}))
    return out


def first_due(case: CaseSnapshot, settings: ReminderSettings, current: Cycle | None) -> dt.datetime | None:
    """When the current period's first reminder is due (to the pendamping or, without one, to the team), or None.

    A cheap test before loading a case's stored reminders: nothing of the period can be due before this.
    """
    if current is None:
        return None
    if case.pendamping is not None and case.pendamping.reachable:
        return window_opening(current.due_date, case.pendamping.timezone, settings)
    zones = {m.timezone for m in case.team} or {case.timezone}
    return min(window_opening(current.due_date, tz, settings) for tz in zones)


def instrument_for(kind: str, detail: Mapping[str, Any] | None) -> str:
    """The form the "fill now" button opens: the visit log before the return, the monitoring after it."""
    if kind in (Kind.VISIT, Kind.VISIT_FOLLOWUP):
        return INSTRUMENT[Kind.VISIT]
    if kind in (Kind.MONITORING, Kind.MONITORING_FOLLOWUP):
        return INSTRUMENT[Kind.MONITORING]
    base = (detail or {}).get("base", Kind.VISIT.value)
    return INSTRUMENT[Kind(base)] if base in (Kind.VISIT.value, Kind.MONITORING.value) else INSTRUMENT[Kind.VISIT]


# -- teams -----------------------------------------------------------------------------------------------------
def scopes(region_code: str) -> list[str]:
    """``33.26.01.2001`` → the desa, its kecamatan, its kabupaten (nearest first)."""
    parts = region_code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 1, -1)]


def nearest_team(
    region_code: str | None,
    teams: Mapping[str, Sequence[TeamMember]],
    *,
    exclude: int | None = None,
    above: str | None = None,
) -> tuple[Recipient, ...]:
    """The reachable team members of the nearest region at or above ``region_code`` that has any.

    ``above``: only teams of a higher level than that role (a village team member's coordinators are the
    kecamatan team).
    """
    if not region_code:
        return ()
    for scope in scopes(region_code):
        members = tuple(
            m.recipient() for m in teams.get(scope, ())
            if m.reachable and m.person_id != exclude and (above not in TEAM_RANK or TEAM_RANK[m.role] < TEAM_RANK[str(above)])
        )
        if members:
            return members
    return ()


# -- recaps and evaluations --------------------------------------------------------------------------------------
def periodic_reminders(member: TeamMember, settings: ReminderSettings, now: dt.datetime, horizon: dt.datetime | None = None) -> list[Due]:
    """The recap of the period that just ended (kecamatan team) or its evaluation prompt (kabupaten team).

    Periods are calendar periods of ``recap_months`` / ``evaluation_months`` starting in January, in the
    member's local time; the prompt is due when the window opens on the first sending day after the period.
    Not sent when more than ``catch_up_days`` late (a first start, a long outage) or to someone who joined later.
    """
    if member.role == "tim_kecamatan":
        kind, months = Kind.RECAP_QUARTERLY, settings.recap_months
    elif member.role == "tim_kabupaten":
        kind, months = Kind.EVALUATION_SEMESTER, settings.evaluation_months
    else:
        return []
    if not member.reachable:
        return []
    horizon = horizon or now
    today = local_date(horizon, member.timezone)
    boundary = dt.date(today.year, ((today.month - 1) // months) * months + 1, 1)
    at = window_opening(boundary, member.timezone, settings)
    if at > horizon:
        boundary = add_months(boundary, -months)
        at = window_opening(boundary, member.timezone, settings)
    if now - at > dt.timedelta(days=settings.catch_up_days) or member.joined_at > at:
        return []
    covered = add_months(boundary, -months)
    detail = {"from": covered.isoformat(), "to": (boundary - dt.timedelta(days=1)).isoformat()}
    return [Due(kind, member.person_id, covered.strftime("%Y-%m"), at, member.timezone, None, member.region_code, None, detail)]


# -- notices -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReferralSnapshot:
    """An open referral (``cases.referrals``) and whom to remind of it."""

    referral_id: int
    case_id: int
    region_code: str
    due_date: dt.date
    agency: str
    recipient: Recipient | None


def referral_reminders(referral: ReferralSnapshot, settings: ReminderSettings, horizon: dt.datetime) -> list[Due]:
    """One reminder on the due date of a referral that is still open, inside the recipient's window."""
    to = referral.recipient
    if to is None or not to.reachable:
        return []
    at = window_opening(referral.due_date, to.timezone, settings)
    if at > horizon:
        return []
    return [Due(Kind.REFERRAL_DUE, to.person_id, f"R{referral.referral_id}", at, to.timezone, referral.case_id,
                referral.region_code, None, {"referral": referral.referral_id, "agency": referral.agency,
                                             "due": referral.due_date.isoformat()})]


def unreachable_period(person_id: int, marked_at: dt.datetime, tz: str) -> str:
    """One notice per unreachable person and local day it was found out (≤ 20 characters)."""
    return f"p{person_id}:{local_date(marked_at, tz):%Y%m%d}"


def unreachable_notices(
    person_id: int,
    role: str,
    region_code: str | None,
    marked_at: dt.datetime,
    coordinators: Sequence[Recipient],
    settings: ReminderSettings,
    now: dt.datetime,
    tz: str = "Asia/Jakarta",
) -> list[Due]:
    """Tell the coordinators (see :func:`nearest_team` with ``above=role``) that the bot cannot reach a person.

    Only for people others rely on (:data:`WATCHED_ROLES`) and not when found out more than ``catch_up_days`` ago.
    """
    if role not in WATCHED_ROLES or not region_code or now - marked_at > dt.timedelta(days=settings.catch_up_days):
        return []
    period = unreachable_period(person_id, marked_at, tz)
    return [
        Due(Kind.UNREACHABLE_NOTICE, c.person_id, period, next_opening(marked_at, c.timezone, settings), c.timezone, None,
            region_code, person_id, {"role": role})
        for c in coordinators if c.reachable and c.person_id != person_id
    ]


def reassign_requests(
    case_id: int,
    region_code: str,
    requester_id: int,
    team: Sequence[Recipient],
    settings: ReminderSettings,
    now: dt.datetime,
    tz: str = "Asia/Jakarta",
) -> list[Due]:
    """A pendamping asks the village team to give the child to someone else: once per day and team member."""
    period = local_date(now, tz).isoformat()
    return [
        Due(Kind.REASSIGN_REQUEST, m.person_id, period, next_opening(now, m.timezone, settings), m.timezone, case_id,
            region_code, requester_id, {})
        for m in team if m.reachable and m.person_id != requester_id
    ]

"""What a reminder's button does. The bot calls :func:`handle_button` for callback data starting with ``r.``.

Callback data is ``r.<token>.<action>``: ``<token>`` is the random token of one reminder row (nothing else
identifies anything), ``<action>`` is ``f`` (fill the visit log or monitoring now), ``s`` (snooze) or ``x``
(ask the village team to give the child to another pendamping). A token is honoured only for the person the
reminder was sent to; a forged, forwarded or someone else's button is refused and the refusal audited.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from core.i18n import translator
from reminders import rules
from reminders import texts as T
from reminders.render import PREFIX
from reminders.schedule import insert_dues, team_for
from reminders.settings import ReminderSettings, get_reminder_settings
from storage.db import Database
from storage.derived import case_changed
from storage.models import Case, Region, Reminder, ReminderState
from storage.repositories.audit import add_entry
from storage.types import utcnow

DATA = re.compile(r"^r\.([A-Za-z0-9_-]{8,32})\.([a-z])$")


@dataclass(frozen=True)
class StartForm:
    """Open this form for this case now (``pendampingan``: the visit log; ``monitoring``)."""

    instrument: str
    case_id: int


@dataclass(frozen=True)
class Snoozed:
    """The reminder comes back at ``until`` (aware, in the recipient's time zone)."""

    until: dt.datetime


@dataclass(frozen=True)
class ReassignRequested:
    """The village team was asked to assign another pendamping; ``notified`` people will get the request."""

    notified: int = 0


@dataclass(frozen=True)
class Invalid:
    """Nothing was done. ``reason``: ``malformed``, ``unknown``, ``not_recipient``, ``not_allowed``, ``closed``,
    ``snooze_limit``, ``no_case``."""

    reason: str = "unknown"


ReminderAction = StartForm | Snoozed | ReassignRequested | Invalid


def is_reminder_button(data: str | None) -> bool:
    return bool(data) and str(data).startswith(PREFIX)


def handle_button(
    db: Database,
    person_id: int,
    data: str,
    now: dt.datetime | None = None,
    *,
    settings: ReminderSettings | None = None,
) -> ReminderAction:
    """Act on a reminder button pressed by ``person_id`` (one write transaction; call it in a worker thread)."""
    settings = settings or get_reminder_settings()
    now = now or utcnow()
    match = DATA.match(data or "")
    with db.write() as session:

        def deny(reason: str, reminder: Reminder | None = None) -> Invalid:
            add_entry(session, "reminder.button_denied", "reminder", reminder.id if reminder is not None else "-",
                      actor_id=person_id, region_code=reminder.region_code if reminder is not None else None,
                      detail={"reason": reason, **({"kind": reminder.kind} if reminder is not None else {})})
            return Invalid(reason)

        if match is None:
            return deny("malformed")
        token, action = match.groups()
        reminder = session.scalar(select(Reminder).where(Reminder.token == token).with_for_update())
        if reminder is None:
            return deny("unknown")
        if reminder.person_id != person_id:
            return deny("not_recipient", reminder)
        if action not in rules.BUTTONS.get(reminder.kind, ""):
            return deny("not_allowed", reminder)
        if reminder.case_id is None:
            return deny("no_case", reminder)
        tz = reminder.timezone.value

        if action == rules.FILL:
            return StartForm(rules.instrument_for(reminder.kind, reminder.detail), reminder.case_id)

        if action == rules.SNOOZE:
            if reminder.state is ReminderState.SNOOZED:
                return Snoozed(reminder.due_at.astimezone(rules.zone(tz)))
            if reminder.state is not ReminderState.SENT:
                return Invalid("closed")
            if reminder.snoozes >= settings.max_snoozes:
                return Invalid("snooze_limit")
            until = rules.snooze_until(now, tz, settings)
            reminder.state, reminder.due_at, reminder.snoozes, reminder.updated_at = ReminderState.SNOOZED, until, reminder.snoozes + 1, now
            case_changed(session, reminder.case_id)
            add_entry(session, "reminder.snooze", "reminder", reminder.id, actor_id=person_id, region_code=reminder.region_code,
                      detail={"kind": reminder.kind, "until": until.isoformat(), "snoozes": reminder.snoozes})
            return Snoozed(until.astimezone(rules.zone(tz)))

        # rules.REASSIGN
        case = session.get(Case, reminder.case_id)
        if case is None:
            return deny("no_case", reminder)
        team = team_for(session, case.region_code, exclude=person_id)
        case_tz = session.scalar(select(Region.timezone).where(Region.code == case.region_code))
        dues = rules.reassign_requests(case.id, case.region_code, person_id, team, settings, now, case_tz.value if case_tz else tz)
        inserted = insert_dues(session, dues, now)
        add_entry(session, "reminder.reassign_request", "case", case.id, actor_id=person_id, region_code=case.region_code,
                  detail={"reminder_id": reminder.id, "notified": len(dues), "new": inserted})
        return ReassignRequested(len(dues))


def describe(action: ReminderAction, language: str | None) -> str:
    """The confirmation to show the person after :func:`handle_button` (for anything but :class:`StartForm`)."""
    t = translator(language)
    if isinstance(action, Snoozed):
        return t(T.SNOOZED, date=action.until.date())
    if isinstance(action, ReassignRequested):
        return t(T.REASSIGN_SENT if action.notified else T.REASSIGN_NOBODY)
    if isinstance(action, Invalid) and action.reason == "snooze_limit":
        return t(T.SNOOZE_LIMIT)
    return t(T.BUTTON_INVALID)

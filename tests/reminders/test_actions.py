"""A reminder's buttons: fill now, snooze, ask to reassign; forged and other people's buttons are refused and audited."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from reminders.actions import Invalid, ReassignRequested, Snoozed, StartForm, describe, handle_button, is_reminder_button
from reminders.job import Runner
from reminders.settings import ReminderSettings
from storage.db import Database
from storage.models import AuditLog, Reminder, ReminderState, Role
from tests.reminders.factory import DESA, FakeBot, World, at

S = ReminderSettings(_env_file=None, lookahead_minutes=0)


@pytest.fixture
def sent(world: World, db: Database) -> dict[str, object]:
    """Siti got a visit reminder for Ayu on Mon 16 Mar 2026 at 09:00 WIB."""
    kades = world.person("Pak Kades", Role.TIM_DESA, DESA)
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    budi = world.person("Budi", Role.PENDAMPING, DESA)
    case = world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    bot = FakeBot()
    asyncio.run(Runner(db, S, "t").run_once(bot, at(2026, 3, 16, 9)))  # type: ignore[arg-type]
    (message,) = bot.sent
    fill, snooze, reassign = message.data
    return {"kades": kades, "siti": siti, "budi": budi, "case": case, "fill": fill, "snooze": snooze, "reassign": reassign}


def denials(db: Database) -> list[str]:
    with db.read() as session:
        return [a.detail["reason"] for a in session.scalars(select(AuditLog).where(AuditLog.action == "reminder.button_denied").order_by(AuditLog.id))]


def the_reminder(db: Database) -> Reminder:
    with db.read() as session:
        return session.scalars(select(Reminder).where(Reminder.kind == "visit")).one()


def test_fill_now_opens_the_visit_log_for_that_child(db: Database, sent: dict) -> None:
    assert is_reminder_button(sent["fill"])
    assert handle_button(db, sent["siti"], sent["fill"], at(2026, 3, 16, 9, 5), settings=S) == StartForm("pendampingan", sent["case"])


def test_snooze_brings_it_back_after_working_days_once(db: Database, sent: dict, world: World) -> None:
    # Tue 17 Mar 2026 + 3 working days: 25, 26, 27 Mar (Nyepi and Idul Fitri in between).
    result = handle_button(db, sent["siti"], sent["snooze"], at(2026, 3, 17, 10), settings=S)
    assert isinstance(result, Snoozed)
    assert result.until == at(2026, 3, 27, 8) and result.until.utcoffset() == dt.timedelta(hours=7)
    assert describe(result, "id") == "Baik. Saya ingatkan lagi tanggal 27 Maret 2026."
    # A second press answers the same, and changes nothing.
    assert handle_button(db, sent["siti"], sent["snooze"], at(2026, 3, 17, 11), settings=S) == result
    row = the_reminder(db)
    assert (row.state, row.snoozes, row.due_at) == (ReminderState.SNOOZED, 1, at(2026, 3, 27, 8))
    # It comes back on the 27th, exactly once, and holds the follow-up back until then.
    bot = FakeBot()
    asyncio.run(Runner(db, S, "t").run_once(bot, at(2026, 3, 26, 16)))  # type: ignore[arg-type]
    assert bot.sent == []
    asyncio.run(Runner(db, S, "t").run_once(bot, at(2026, 3, 27, 8, 1)))  # type: ignore[arg-type]
    asyncio.run(Runner(db, S, "t").run_once(bot, at(2026, 3, 27, 9)))  # type: ignore[arg-type]
    assert [s.text[:1] for s in bot.sent] == ["🏠"]
    assert bot.sent[0].data[1] == sent["snooze"]  # the same buttons, still valid


def test_snoozes_are_limited(db: Database, sent: dict) -> None:
    settings = ReminderSettings(_env_file=None, lookahead_minutes=0, max_snoozes=0)
    assert handle_button(db, sent["siti"], sent["snooze"], at(2026, 3, 17, 10), settings=settings) == Invalid("snooze_limit")
    assert describe(Invalid("snooze_limit"), "en") == "This reminder cannot be postponed any more."


def test_asking_to_reassign_tells_the_village_team(db: Database, sent: dict) -> None:
    result = handle_button(db, sent["siti"], sent["reassign"], at(2026, 3, 16, 20), settings=S)
    assert result == ReassignRequested(1)
    assert handle_button(db, sent["siti"], sent["reassign"], at(2026, 3, 16, 21), settings=S) == ReassignRequested(1)
    with db.read() as session:
        requests = list(session.scalars(select(Reminder).where(Reminder.kind == "reassign_request")))
        audit = list(session.scalars(select(AuditLog).where(AuditLog.action == "reminder.reassign_request")))
    assert len(requests) == 1  # twice in one day: one request
    request = requests[0]
    assert (request.person_id, request.case_id, request.subject_person_id) == (sent["kades"], sent["case"], sent["siti"])
    assert request.due_at == at(2026, 3, 17, 8)  # asked in the evening: the team hears it when the window opens
    assert [a.actor_id for a in audit] == [sent["siti"], sent["siti"]]
    bot = FakeBot()
    asyncio.run(Runner(db, S, "t").run_once(bot, at(2026, 3, 17, 8, 30)))  # type: ignore[arg-type]
    (message,) = bot.sent
    assert message.text.startswith("🔁 Siti meminta agar Ayu (Klesem) didampingi pendamping lain")
    assert describe(result, "jv") == "Tim desa sampun dipunsuwun maringi pendamping sanès."


def test_someone_elses_forged_or_unknown_buttons_do_nothing_and_are_audited(db: Database, sent: dict) -> None:
    now = at(2026, 3, 16, 10)
    assert handle_button(db, sent["budi"], sent["fill"], now, settings=S) == Invalid("not_recipient")
    assert handle_button(db, sent["budi"], sent["snooze"], now, settings=S) == Invalid("not_recipient")
    assert handle_button(db, sent["siti"], "r.AAAAAAAAAAAAAAAA.f", now, settings=S) == Invalid("unknown")
    assert handle_button(db, sent["siti"], "r.1234.f", now, settings=S) == Invalid("malformed")
    assert handle_button(db, sent["siti"], str(sent["fill"])[:-1] + "z", now, settings=S) == Invalid("not_allowed")
    assert handle_button(db, sent["siti"], f"r.{sent['case']}.f", now, settings=S) == Invalid("malformed")
    assert denials(db) == ["not_recipient", "not_recipient", "unknown", "malformed", "not_allowed", "malformed"]
    assert the_reminder(db).state is ReminderState.SENT  # nothing changed
    assert describe(Invalid("unknown"), "id") == "Tombol ini sudah tidak berlaku."


def test_a_cancelled_reminder_cannot_be_snoozed(db: Database, sent: dict) -> None:
    with db.write() as session:
        session.scalars(select(Reminder)).one().state = ReminderState.CANCELLED
    assert handle_button(db, sent["siti"], sent["snooze"], at(2026, 3, 16, 10), settings=S) == Invalid("closed")

"""Materialising reminder rows from the rules, on SQLite and PostgreSQL: idempotent, and stale rows cancelled."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from reminders.schedule import materialise
from reminders.settings import ReminderSettings
from storage.db import Database
from storage.models import CaseReminderDue, Reminder, ReminderState, Role
from tests.reminders.factory import DESA, JAYAPURA_DESA, KECAMATAN, MAKASSAR_DESA, World, at

S = ReminderSettings(_env_file=None, lookahead_minutes=0)


def rows(db: Database) -> list[tuple[str, int | None, int, str, str, dt.datetime]]:
    with db.read() as session:
        return [
            (r.kind, r.case_id, r.person_id, r.period, r.state.value, r.due_at)
            for r in session.scalars(select(Reminder).order_by(Reminder.kind, Reminder.case_id, Reminder.person_id, Reminder.period))
        ]


def test_due_reminders_become_rows_once(world: World, db: Database) -> None:
    siti = world.person("Siti Aminah", Role.PENDAMPING, DESA)
    dewi = world.person("Dewi", Role.PENDAMPING, MAKASSAR_DESA)
    yan = world.person("Yan", Role.PENDAMPING, JAYAPURA_DESA)
    ayu = world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    budi = world.case("Budi", "back_in_school", at(2026, 2, 16, 10, tz="Asia/Makassar"), region=MAKASSAR_DESA, pendamping=dewi)
    citra = world.case("Citra", "willing", at(2026, 1, 20, 10, tz="Asia/Jayapura"), region=JAYAPURA_DESA, pendamping=yan)
    world.case("Dodi", "graduated", at(2026, 1, 1), pendamping=siti)
    world.case("Eka", "verified", at(2026, 1, 1))
    now = at(2026, 3, 17, 10)  # Tue 17 Mar 2026, 10:00 WIB
    first = materialise(db, S, now)
    # Only the cases whose next check is due are looked at: Citra's first reminder is not due before 25 Mar.
    assert (first.cases_seen, first.inserted) == (2, 2)
    assert rows(db) == [
        ("monitoring", budi, dewi, "2026-03-16", "pending", at(2026, 3, 16, 8, tz="Asia/Makassar")),
        ("visit", ayu, siti, "2026-03-15", "pending", at(2026, 3, 16, 8)),
    ]
    again = materialise(db, S, now)
    assert again.inserted == 0 and again.cancelled == 0 and again.cases_seen == 0  # each case's next check moved on
    # Citra (WIT) is due on Fri 20 Mar, a holiday: the first working day is Wed 25 Mar, 08:00 WIT.
    materialise(db, S, at(2026, 3, 25, 8, tz="Asia/Jayapura"))
    assert ("visit", citra, yan, "2026-03-20", "pending", at(2026, 3, 25, 8, tz="Asia/Jayapura")) in rows(db)
    with db.read() as session:
        tokens = [r.token for r in session.scalars(select(Reminder))]
    assert all(t and len(t) == 16 for t in tokens) and len(set(tokens)) == len(tokens)


def test_dry_run_writes_nothing(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    report = materialise(db, S, at(2026, 3, 17, 10), dry_run=True)
    assert [(d.kind, d.period) for d in report.planned] == [("visit", "2026-03-15")]
    assert rows(db) == []


def test_stale_rows_are_cancelled_before_they_are_sent(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    ayu = world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    budi = world.case("Budi", "monitored", at(2026, 2, 2, 10), pendamping=siti)
    ahead = ReminderSettings(_env_file=None, lookahead_minutes=120)
    assert materialise(db, ahead, at(2026, 3, 16, 7)).inserted == 2  # due at 08:00, stored at 07:00
    world.visit(ayu, siti, dt.date(2026, 3, 16))  # the visit was logged before the reminder went out
    assert [r[4] for r in rows(db)] == ["pending", "cancelled"]  # in the visit's own transaction
    world.move(budi, "graduated", at(2026, 3, 16, 7, 10))
    assert [r[4] for r in rows(db)] == ["cancelled", "cancelled"]
    report = materialise(db, ahead, at(2026, 3, 16, 7, 20))
    assert report.cancelled == 0 and report.inserted == 0
    with db.read() as session:  # the graduate expects no log: no next check; Ayu's is her next period
        checks = dict(session.execute(select(CaseReminderDue.case_id, CaseReminderDue.due_at)).all())
    assert list(checks) == [ayu] and checks[ayu] == at(2026, 5, 18, 8)


def test_a_new_pendamping_gets_the_reminder_and_the_old_ones_pending_row_is_cancelled(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    rina = world.person("Rina", Role.PENDAMPING, DESA)
    ayu = world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    ahead = ReminderSettings(_env_file=None, lookahead_minutes=120)
    materialise(db, ahead, at(2026, 3, 16, 7))
    world.assign(ayu, rina, at(2026, 3, 16, 7, 5))  # a handover is not a log: the visit is still due
    materialise(db, ahead, at(2026, 3, 16, 7, 10))
    assert [(r[2], r[4]) for r in rows(db)] == [(siti, "cancelled"), (rina, "pending")]


def test_recaps_evaluations_and_unreachable_notices(world: World, db: Database) -> None:
    kec = world.person("Pak Camat", Role.TIM_KECAMATAN, KECAMATAN, joined=at(2026, 1, 1))
    kab = world.person("Bu Kabupaten", Role.TIM_KABUPATEN, "33.26", joined=at(2026, 1, 1))
    desa = world.person("Pak Kades", Role.TIM_DESA, DESA, joined=at(2026, 1, 1))
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    world.set_unreachable(siti, when=at(2026, 7, 1, 9))  # the bot's router found out she blocked it
    report = materialise(db, S, at(2026, 7, 1, 10))
    assert (report.periodic, report.notices) == (2, 1)
    assert [(r[0], r[2], r[3]) for r in rows(db)] == [
        ("evaluation_semester", kab, "2026-01"),
        ("recap_quarterly", kec, "2026-04"),
        ("unreachable_notice", desa, f"p{siti}:20260701"),
    ]
    assert materialise(db, S, at(2026, 7, 1, 11)).inserted == 0


def test_passes_racing_each_other_insert_each_row_once(world: World, db: Database) -> None:
    people = [world.person(f"P{i}", Role.PENDAMPING, DESA) for i in range(5)]
    for i in range(40):
        world.case(f"Anak {i}", "accompanied", at(2026, 1, 5 + i % 20, 10), pendamping=people[i % 5])
    barrier = threading.Barrier(4)

    def run(_: int) -> int:
        barrier.wait()
        return materialise(db, S, at(2026, 3, 27, 10)).inserted

    with ThreadPoolExecutor(4) as pool:
        inserted = list(pool.map(run, range(4)))
    assert sum(inserted) == 40 and len(rows(db)) == 40
    assert {r[4] for r in rows(db)} == {ReminderState.PENDING.value}

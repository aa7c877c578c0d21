"""Each case's next reminder check: written in the transaction that changes the case, read on an index by the
materialisation, repaired by the daily set-based reconciliation; and the sweep's claim is one statement."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, event, select

from cases.service import assign_pendamping
from reminders import rules
from reminders.next_due import reconcile
from reminders.rules import Due
from reminders.schedule import insert_dues, materialise
from reminders.settings import ReminderSettings
from reminders.sweep import claim
from storage.db import Database
from storage.derived import case_changed
from storage.models import Case, CaseReminderDue, Reminder, Role, Visit
from tests.reminders.factory import DESA, World, at
from tests.uow import committed

S = ReminderSettings(_env_file=None, lookahead_minutes=0)
WIB = "Asia/Jakarta"


def check_of(db: Database, case_id: int) -> dt.datetime | None:
    with db.read() as session:
        return session.scalar(select(CaseReminderDue.due_at).where(CaseReminderDue.case_id == case_id))


def test_the_check_moves_with_the_case_in_the_same_transaction(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    ayu = world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    assert check_of(db, ayu) == at(2026, 3, 16, 8)  # 2 months after the last log: Sun 15 Mar → Mon 16 Mar 08:00 WIB
    with pytest.raises(RuntimeError), db.write() as session:
        session.add(Visit(case_id=ayu, pendamping_id=siti, visit_date=dt.date(2026, 3, 10)))
        case_changed(session, ayu)
        raise RuntimeError("crash before the commit")
    assert check_of(db, ayu) == at(2026, 3, 16, 8)  # the visit and its check were lost together
    world.visit(ayu, siti, dt.date(2026, 3, 10))
    assert check_of(db, ayu) == rules.window_opening(dt.date(2026, 5, 10), WIB, S)
    world.move(ayu, "graduated", at(2026, 3, 12, 9))
    assert check_of(db, ayu) is None  # expects no log any more


def test_the_services_write_the_check(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    kades = world.person("Pak Kades", Role.TIM_DESA, DESA)
    budi = world.case("Budi", "verified", at(2026, 1, 15, 10))
    assert check_of(db, budi) is None  # a verified case expects no log yet
    committed(db, assign_pendamping, budi, siti, kades)  # verified → accompanied, now
    due = check_of(db, budi)
    assert due is not None and due > dt.datetime.now(dt.UTC) + dt.timedelta(days=55)


def test_the_pass_looks_only_at_due_checks(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    for i in range(30):  # followed recently: nothing due for two months
        world.case(f"Anak {i}", "accompanied", at(2026, 3, 1, 10), pendamping=siti)
    due = world.case("Ayu", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    report = materialise(db, S, at(2026, 3, 17, 10))
    assert (report.cases_seen, report.inserted) == (1, 1)
    assert check_of(db, due) == at(2026, 3, 18, 10)  # its reminder waits to be sent: looked at again a day later
    assert materialise(db, S, at(2026, 3, 17, 11)).cases_seen == 0


def test_the_daily_reconciliation_repairs_what_writers_missed(world: World, db: Database) -> None:
    siti = world.person("Siti", Role.PENDAMPING, DESA)
    forgotten = world.case("Ayu", "accompanied", at(2026, 3, 1, 10), pendamping=siti)
    visited = world.case("Budi", "accompanied", at(2026, 3, 1, 10), pendamping=siti)
    closed = world.case("Citra", "accompanied", at(2026, 1, 1, 10), pendamping=siti)
    now = at(2026, 3, 17, 10)
    with db.write() as session:  # three writes that did not mark their case
        session.execute(delete(CaseReminderDue).where(CaseReminderDue.case_id == forgotten))
        session.add(Visit(case_id=visited, pendamping_id=siti, visit_date=dt.date(2026, 3, 16), created_at=now - dt.timedelta(hours=1)))
        case = session.get(Case, closed)
        assert case is not None
        case.status = "graduated"
        insert_dues(session, [Due("visit", siti, "2026-03-02", now, WIB, closed, DESA)], now)
    report = reconcile(db, now)
    assert (report.added, report.touched, report.removed, report.cancelled) == (1, 1, 1, 1)
    assert check_of(db, forgotten) == now and check_of(db, visited) == now and check_of(db, closed) is None
    with db.read() as session:
        assert session.scalar(select(Reminder.state).where(Reminder.case_id == closed)).value == "cancelled"  # type: ignore[union-attr]
    assert reconcile(db, now, since=now).added == 0  # nothing left to repair


def test_claiming_is_one_statement_and_describing_one_read(world: World, db: Database) -> None:
    people = [world.person(f"P{i}", Role.PENDAMPING, DESA) for i in range(5)]
    ayu = world.case("Ayu", "accompanied", at(2026, 1, 1), pendamping=people[0])
    due = at(2026, 11, 24, 8)
    with db.write() as session:
        insert_dues(session, [Due("visit", p, f"2026-11-{k:02d}", due, WIB, ayu, DESA) for p in people for k in range(1, 5)], due)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        batch = claim(db, at(2026, 11, 24, 9), [WIB], 15, "t")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(batch) == 15 and all(c.child == "Ayu" and c.village == "Klesem" for c in batch)
    assert len(statements) == 2, statements
    claim_sql = " ".join(statements[0].upper().split())
    assert claim_sql.startswith("WITH DUE AS") and " UPDATE REMINDERS SET " in claim_sql and "RETURNING" in claim_sql
    if db.engine.dialect.name == "postgresql":  # the locking subquery, run once
        assert claim_sql.startswith("WITH DUE AS MATERIALIZED") and "FOR UPDATE SKIP LOCKED" in claim_sql
    assert statements[1].lstrip().upper().startswith("SELECT")

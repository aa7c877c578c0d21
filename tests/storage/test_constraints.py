"""Constraints the database itself enforces, whatever code writes to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Reminder, ReminderState
from storage.repositories.cases import add_case
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission, submit_response
from storage.types import utcnow
from tests.storage.conftest import DESA


def add_reminder(db: Database, person: int, case_id: int | None, period: str, kind: str = "monitoring") -> None:
    with db.write() as session:
        session.add(Reminder(kind=kind, case_id=case_id, person_id=person, period=period, due_at=utcnow()))


def test_one_reminder_per_kind_case_recipient_and_period(db: Database, pendata: int) -> None:
    child = submit_response(db, Submission("pendataan", 1, {}, pendata, DESA, child=ChildIdentity("Ayu", DESA)))
    assert child.child_id is not None
    with db.write() as session:
        case = add_case(session, child.child_id, DESA, "recorded", category=None, actor_id=None)
    add_reminder(db, pendata, case.id, "2025-03")
    add_reminder(db, pendata, case.id, "2025-04")
    add_reminder(db, pendata, case.id, "2025-03", kind="kunjungan")
    add_reminder(db, pendata, None, "2025-03")
    with pytest.raises(IntegrityError):
        add_reminder(db, pendata, case.id, "2025-03")
    with pytest.raises(IntegrityError):
        add_reminder(db, pendata, None, "2025-03")  # no case: still only once


def test_reminder_defaults(db: Database, pendata: int) -> None:
    due = utcnow() + timedelta(days=1)
    with db.write() as session:
        reminder = Reminder(kind="monitoring", person_id=pendata, period="2025-03", due_at=due)
        session.add(reminder)
    assert (reminder.state, reminder.attempts, reminder.due_at) == (ReminderState.PENDING, 0, due)


@pytest.mark.parametrize(
    ("column", "value"),
    [("role", "superuser"), ("language", "fr")],
)
def test_enum_columns_reject_unknown_values(db: Database, column: str, value: str) -> None:
    values = {"role": "pendata", "language": "id", column: value}
    with pytest.raises(IntegrityError), db.write() as session:
        session.execute(
            text(
                "INSERT INTO people (telegram_user_id, display_name, role, language, unreachable, created_at,"
                " updated_at) VALUES (1, '', :role, :language, false, :t, :t)"
            ),
            {**values, "t": utcnow().replace(tzinfo=None)},
        )

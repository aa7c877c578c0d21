"""Instants are stored in UTC and read back aware on both backends; JSON round-trips."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import AuditLog, ProcessedUpdate
from storage.repositories.audit import os_actor, record
from storage.types import utcnow

WITA = timezone(timedelta(hours=8))


def test_aware_datetime_round_trips_as_utc(db: Database) -> None:
    local = datetime(2025, 3, 1, 7, 30, 15, 123456, tzinfo=WITA)
    with db.write() as session:
        session.add(ProcessedUpdate(bot_id=1, update_id=1, processed_at=local))
    with db.read() as session:
        stored = session.scalars(select(ProcessedUpdate.processed_at)).one()
    assert stored == local
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert (stored.hour, stored.minute, stored.microsecond) == (23, 30, 123456)  # 07:30 WITA = 23:30 UTC the day before
    assert stored.day == 28


def test_utc_ordering_across_offsets(db: Database) -> None:
    """A WIT (UTC+9) time that is earlier in real time sorts first, whatever its wall clock says."""
    early = datetime(2025, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))  # 00:00 UTC
    late = datetime(2025, 1, 1, 7, 1, tzinfo=timezone(timedelta(hours=7)))  # 00:01 UTC
    with db.write() as session:
        session.add_all([ProcessedUpdate(bot_id=1, update_id=2, processed_at=late)])
        session.add_all([ProcessedUpdate(bot_id=1, update_id=1, processed_at=early)])
    with db.read() as session:
        ordered = session.scalars(select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.processed_at)).all()
    assert ordered == [1, 2]


def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.write() as session:
        session.add(ProcessedUpdate(bot_id=1, update_id=1, processed_at=datetime(2025, 1, 1)))
        session.flush()


def test_json_round_trip(db: Database) -> None:
    detail = {"nama": "Ayu Lestari", "kode": [1, 2, 3], "nested": {"ok": True, "x": None}, "aksara": "ꦲꦪꦸ"}
    record(db, "test", "thing", 7, detail=detail)
    with db.read() as session:
        entry = session.scalars(select(AuditLog)).one()
    assert entry.detail == {**detail, **os_actor()}  # no person: the command line's OS user and host
    assert abs(entry.at - utcnow()) < timedelta(minutes=1)

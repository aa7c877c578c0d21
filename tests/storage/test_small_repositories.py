"""Update-id dedupe, the audit log and stored files."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storage.db import Database
from storage.models import ProcessedUpdate
from storage.repositories.audit import history, record
from storage.repositories.files import get_file, store_file
from storage.repositories.updates import mark_update_processed, prune_processed_updates
from storage.types import utcnow


def test_mark_update_processed(db: Database) -> None:
    assert mark_update_processed(db, 100) is True
    assert mark_update_processed(db, 100) is False
    assert mark_update_processed(db, 101) is True
    assert mark_update_processed(db, 100, bot_id=2) is True  # update ids are per bot


def test_prune_processed_updates(db: Database) -> None:
    for update_id in (1, 2, 3):
        mark_update_processed(db, update_id)
    with db.write() as session:
        session.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.update_id < 3)
            .values(processed_at=utcnow() - timedelta(days=3))
        )
    assert prune_processed_updates(db, utcnow() - timedelta(days=1)) == 2
    assert mark_update_processed(db, 1) is True
    assert mark_update_processed(db, 3) is False


def test_audit_record_and_history(db: Database, pendata: int) -> None:
    record(db, "export.download", "region", "33.26", actor_id=pendata, region_code="33.26", detail={"rows": 12})
    record(db, "export.download", "region", "33.26", detail={"rows": 13})
    record(db, "other", "region", "33.27")
    entries = history(db, "region", "33.26")
    assert [(e.actor_id, e.detail["rows"]) for e in entries] == [(pendata, 12), (None, 13)]
    assert entries[0].at <= entries[1].at


def test_store_file_is_idempotent_per_telegram_file(db: Database, pendata: int) -> None:
    stored = store_file(
        db,
        telegram_file_id="AgACAgUAAxkBAAI",
        telegram_unique_id="AQADx",
        path="data/files/ab/abcdef.jpg",
        size=123_456,
        sha256="ab" * 32,
        mime="image/jpeg",
        owner_id=pendata,
    )
    again = store_file(
        db,
        telegram_file_id="AgACAgUAAxkBAAJ-other-id",
        telegram_unique_id="AQADx",
        path="data/files/ab/other.jpg",
        size=1,
        sha256="cd" * 32,
    )
    assert again.id == stored.id and again.path == "data/files/ab/abcdef.jpg"
    fetched = get_file(db, stored.id)
    assert fetched is not None
    assert (fetched.size, fetched.mime, fetched.owner_id, fetched.sha256) == (123_456, "image/jpeg", pendata, "ab" * 32)
    assert get_file(db, stored.id + 1) is None

"""Telegram update ids already handled: Telegram redelivers updates after a restart or a slow webhook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from storage.db import Database
from storage.models import ProcessedUpdate
from storage.repositories.sql import insert_if_absent
from storage.types import utcnow


def mark_update_processed(db: Database, update_id: int, *, bot_id: int = 0) -> bool:
    """Record an update id; True when it was new, False when it had been seen (skip it)."""
    with db.write() as session:
        return insert_if_absent(
            session,
            ProcessedUpdate,
            {"bot_id": bot_id, "update_id": update_id, "processed_at": utcnow()},
            ["bot_id", "update_id"],
        )


def prune_processed_updates(db: Database, before: datetime) -> int:
    """Forget ids older than ``before`` (Telegram keeps undelivered updates for 24 hours); returns how many."""
    with db.write() as session:
        result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]

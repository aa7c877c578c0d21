"""Files received from Telegram (photos of documents, signatures) and where they are kept on disk."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import StoredFile
from storage.repositories.sql import insert_if_absent
from storage.types import utcnow


def store_file(
    db: Database,
    *,
    telegram_file_id: str,
    telegram_unique_id: str,
    path: str,
    size: int,
    sha256: str,
    mime: str | None = None,
    owner_id: int | None = None,
) -> StoredFile:
    """Record a downloaded file; the same Telegram file (same unique id) is recorded once and returned again."""
    with db.write() as session:
        insert_if_absent(
            session,
            StoredFile,
            {
                "telegram_file_id": telegram_file_id,
                "telegram_unique_id": telegram_unique_id,
                "path": path,
                "size": size,
                "sha256": sha256,
                "mime": mime,
                "owner_id": owner_id,
                "created_at": utcnow(),
            },
            ["telegram_unique_id"],
        )
        return session.scalars(select(StoredFile).where(StoredFile.telegram_unique_id == telegram_unique_id)).one()


def get_file(db: Database, file_id: int) -> StoredFile | None:
    with db.read() as session:
        return session.get(StoredFile, file_id)

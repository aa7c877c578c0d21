"""Files received from Telegram (photos of children, homes, documents) and where they are kept on disk.

A kept file is encrypted with the data key (same scheme and key id header as every ciphertext, see
``storage.crypto``), under a random name, in a directory only the bot's user can open: a copied files directory
shows neither faces nor documents.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.keys import private_file
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


FILE_AAD = b"ats-bot:file"


def keep_file(
    db: Database, files_dir: Path, content: bytes, *, telegram_file_id: str, telegram_unique_id: str,
    mime: str | None = None, owner_id: int | None = None,
) -> StoredFile:
    """Encrypt ``content`` into ``files_dir`` (0600 file, 0700 directories) and record it; a Telegram file
    received before is returned as it was, not written twice."""
    with db.read() as session:
        known = session.scalars(select(StoredFile).where(StoredFile.telegram_unique_id == telegram_unique_id)).one_or_none()
    if known is not None:
        return known
    name = uuid.uuid4().hex
    path = files_dir / name[:2] / f"{name}.enc"
    private_file(path, db.cipher.encrypt(content, FILE_AAD))
    return store_file(db, telegram_file_id=telegram_file_id, telegram_unique_id=telegram_unique_id, path=str(path),
                      size=len(content), sha256=hashlib.sha256(content).hexdigest(), mime=mime, owner_id=owner_id)


def read_kept_file(db: Database, stored: StoredFile) -> bytes:
    """The content of a kept file, decrypted (raises ``NikDecryptionError`` for a wrong key or damaged file)."""
    return db.cipher.decrypt(Path(stored.path).read_bytes(), FILE_AAD)

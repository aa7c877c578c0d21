"""Files received from Telegram (photos of children, homes, documents) and where they are kept on disk.

A kept file is encrypted with the data key (same scheme and key id header as every ciphertext, see
``storage.crypto``), under a random name, in a directory only the bot's user can open: a copied files directory
shows neither faces nor documents.

A file and its row are kept in the caller's unit of work (:func:`keep`): the encrypted file is written and
synced to disk first, its row commits with everything else the unit of work changes, and if that does not
commit the file is deleted again. So a row never names a missing file; the one thing a crash between the
two can leave is a file no row names, which nobody can reach and :func:`sweep_unreferenced` deletes (the
bot's housekeeping, once the file is older than any unit of work can last).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.keys import private_file
from storage.models import StoredFile
from storage.repositories.sql import insert_if_absent
from storage.types import utcnow
from storage.uow import UnitOfWork, unit_of_work


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
    """:func:`keep` in a unit of work of its own (a command, a test)."""
    with unit_of_work(db) as uow:
        return keep(uow, files_dir, content, telegram_file_id=telegram_file_id, telegram_unique_id=telegram_unique_id,
                    mime=mime, owner_id=owner_id)


def keep(
    uow: UnitOfWork, files_dir: Path, content: bytes, *, telegram_file_id: str, telegram_unique_id: str,
    mime: str | None = None, owner_id: int | None = None,
) -> StoredFile:
    """Encrypt ``content`` into ``files_dir`` (0600 file, 0700 directories) and record it in ``uow``; a Telegram
    file received before is returned as it was, not written twice. The file is on disk before the row can
    commit, and is deleted if the unit of work does not commit."""
    session = uow.session
    known = session.scalars(select(StoredFile).where(StoredFile.telegram_unique_id == telegram_unique_id)).one_or_none()
    if known is not None:
        return known
    name = uuid.uuid4().hex
    path = files_dir / name[:2] / f"{name}{SUFFIX}"
    private_file(path, uow.cipher.encrypt(content, FILE_AAD))
    uow.undo.append(lambda: path.unlink(missing_ok=True))
    row = {"telegram_file_id": telegram_file_id, "telegram_unique_id": telegram_unique_id, "path": str(path), "size": len(content),
           "sha256": hashlib.sha256(content).hexdigest(), "mime": mime, "owner_id": owner_id, "created_at": utcnow()}
    if not insert_if_absent(session, StoredFile, row, ["telegram_unique_id"]):
        path.unlink(missing_ok=True)  # the same Telegram file was kept by another person's turn meanwhile
    return session.scalars(select(StoredFile).where(StoredFile.telegram_unique_id == telegram_unique_id)).one()


SUFFIX = ".enc"
UNREFERENCED_GRACE = dt.timedelta(minutes=30)
"""How old a file no row names must be before :func:`sweep_unreferenced` deletes it: longer than any unit of work
lasts, so a file whose row has not committed yet is never taken."""


def sweep_unreferenced(db: Database, files_dir: Path, before: dt.datetime) -> int:
    """Delete the kept files (and half-written ones) last changed before ``before`` that no row names: what a
    crash between writing a file and committing its row leaves. Returns how many. Files are matched by name,
    so a files directory moved or named differently since keeps everything its rows name."""
    cutoff = before.timestamp()
    candidates = [p for pattern in (f"*/*{SUFFIX}", f"*/*{SUFFIX}.partial") for p in files_dir.glob(pattern)
                  if p.is_file() and p.stat().st_mtime < cutoff]
    if not candidates:
        return 0
    with db.read() as session:
        named = {Path(path).name for path in session.scalars(select(StoredFile.path))}
    gone = 0
    for path in candidates:
        if path.name not in named:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def read_kept_file(db: Database, stored: StoredFile) -> bytes:
    """The content of a kept file, decrypted (raises ``NikDecryptionError`` for a wrong key or damaged file)."""
    return db.cipher.decrypt(Path(stored.path).read_bytes(), FILE_AAD)

"""Backups are consistent snapshots that restore exactly, on both backends."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.backup import BackupError, backup, restore
from storage.db import Database
from storage.models import Person, Response
from storage.repositories.people import get_or_create_person
from storage.repositories.responses import Submission, submit_response
from storage.repositories.updates import mark_update_processed
from storage.schema_state import head_revision, upgrade
from tests.storage.conftest import DESA


def people(db: Database) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(Person.telegram_user_id)))


def test_backup_and_restore_round_trip(db: Database, db_url: str, pendata: int, tmp_path: Path) -> None:
    submitted = submit_response(db, Submission("pendataan", 1, {"1.1": "Ayu"}, pendata, DESA))
    get_or_create_person(db, 2)
    before = people(db)
    file = tmp_path / "backups" / "ats.backup"
    backup(db_url, file)
    assert file.stat().st_size > 0

    get_or_create_person(db, 3)  # written after the snapshot: gone after restore
    db.dispose()
    with pytest.raises(BackupError, match="--yes"):
        restore(db_url, file, overwrite=False)
    assert restore(db_url, file, overwrite=True) == head_revision()

    assert people(db) == before
    with db.read() as session:
        response = session.scalars(select(Response)).one()
    assert (response.reference, response.answers) == (submitted.reference, {"1.1": "Ayu"})
    # the restored database is fully usable, sequences included
    assert submit_response(db, Submission("pendataan", 1, {}, pendata, DESA)).reference == "F-3326-000002"
    get_or_create_person(db, 3)


def test_restore_refuses_missing_or_foreign_files(db_url: str, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such backup"):
        restore(db_url, tmp_path / "missing", overwrite=True)
    junk = tmp_path / "junk"
    junk.write_bytes(b"this is not a backup" * 100)
    with pytest.raises(BackupError):
        restore(db_url, junk, overwrite=True)


def test_sqlite_backup_while_writing_is_consistent(tmp_path: Path) -> None:
    """The online backup copies a committed state even while another thread keeps committing."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    db = Database.from_url(url)
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            mark_update_processed(db, n)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for i in range(3):
            snapshot = tmp_path / f"snap{i}.db"
            backup(url, snapshot)
            with sqlite3.connect(snapshot) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                ids = [row[0] for row in connection.execute("SELECT update_id FROM processed_updates ORDER BY 1")]
            assert ids == list(range(len(ids)))  # a prefix of the commits, never a torn state
    finally:
        stop.set()
        thread.join()
        db.dispose()


def test_backup_of_missing_sqlite_database(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such database"):
        backup(f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "out.db")
    assert not (tmp_path / "out.db").exists()

"""Engine configuration and the two kinds of transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage.crypto import NikCipher
from storage.db import Database, make_engine, sqlite_path
from storage.models import ProcessedUpdate
from storage.types import utcnow


def test_sqlite_pragmas_and_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "ats.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    engine.dispose()
    assert path.is_file()
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1, "synchronous": 2}


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:///data/ats-bot.db") == Path("data/ats-bot.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None


def test_write_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as session:
        session.add(ProcessedUpdate(bot_id=0, update_id=1, processed_at=utcnow()))
        session.flush()
        raise RuntimeError("boom")
    with db.read() as session:
        assert session.scalars(select(ProcessedUpdate)).all() == []


def test_read_never_persists(db: Database) -> None:
    with db.read() as session:
        session.add(ProcessedUpdate(bot_id=0, update_id=1, processed_at=utcnow()))
        session.flush()
    with db.read() as session:
        assert session.scalars(select(ProcessedUpdate)).all() == []


def test_foreign_keys_enforced(db: Database) -> None:
    with pytest.raises(Exception, match="(?i)foreign key"), db.write() as session:
        session.execute(
            text(
                "INSERT INTO people (telegram_user_id, display_name, role, language, unreachable, region_code,"
                " created_at, updated_at) VALUES (1, '', 'pendata', 'id', false, '99.99', :t, :t)"
            ),
            {"t": utcnow().replace(tzinfo=None)},
        )


def test_cipher_is_required_only_when_used(db_url: str) -> None:
    database = Database.from_url(db_url)
    try:
        with pytest.raises(RuntimeError, match="without a NIK cipher"):
            database.cipher  # noqa: B018
    finally:
        database.dispose()
    assert isinstance(Database.from_url(db_url, NikCipher("k")).cipher, NikCipher)

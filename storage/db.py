"""Engines and short transactions that behave the same on SQLite and PostgreSQL.

Every write is one short block that is durably committed before the bot acknowledges anything to a person:
the unit of durability is :meth:`Database.write`. On SQLite a write transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead of one of them failing with
"database is locked" when it upgrades its read lock, and so that read-modify-write is never lost; the blocks
of one process that finish together share one COMMIT (:mod:`storage.group_commit`). On PostgreSQL each block
is its own transaction (the server already shares a WAL flush between commits that arrive together), on a
pool sized for the threads that write.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage import derived
from storage.crypto import NikCipher
from storage.group_commit import GroupCommit
from storage.sealing import bind_keyring

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "ats_write"
"""Execution option marking a connection whose transactions take the SQLite write lock up front."""


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = make_url(url).database
    return None if not database or database == ":memory:" else Path(database)


DEFAULT_WORKERS = 8
"""Threads expected to use one Database at once when the caller does not say (CLI, web, jobs)."""


def pool_for(workers: int) -> dict[str, int]:
    """Pool sizes for ``workers`` threads that each hold at most one connection at a time: one connection each
    plus two for the scheduled jobs and the health check, and as many again in overflow for bursts, so that no
    turn waits for a connection (on SQLite the writers share one of them, see :mod:`storage.group_commit`)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    return {"pool_size": workers + 2, "max_overflow": workers + 2}


def make_engine(url: str | URL, *, pool_size: int | None = None, max_overflow: int | None = None, pre_ping: bool = True) -> Engine:
    """An engine configured for the bot: WAL + busy timeout + foreign keys on SQLite, a checked pool on PostgreSQL.

    ``pre_ping``: on PostgreSQL, test every connection with a round trip when it leaves the pool, so that a
    server restart or a reaped idle connection is never seen. Without it, the first statement on a dead
    connection fails (:func:`is_disconnect`), SQLAlchemy discards that connection and every older one, and the
    caller must do the work again on a new connection (the bot's turns do: ``Conversations.process``)."""
    sizes = pool_for(DEFAULT_WORKERS)
    pool_size = sizes["pool_size"] if pool_size is None else pool_size
    max_overflow = sizes["max_overflow"] if max_overflow is None else max_overflow
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=pre_ping,  # survive server restarts and idle-connection reaping (or the caller retries)
        pool_recycle=1800,
        pool_timeout=60,
    )


def is_disconnect(error: BaseException) -> bool:
    """Whether a database error lost the connection (server restart, connection killed or reaped): nothing of the
    transaction was committed unless the COMMIT itself failed, and the same work on a new connection can succeed."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _sqlite_engine(url: URL, *, pool_size: int, max_overflow: int) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        _create_private(path)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=60,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit survives power loss too, not only a killed process.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _create_private(path: Path) -> None:
    """A new database file readable by its owner only (0600), in a directory created 0700; SQLite gives its
    WAL and shared-memory files the database file's permissions."""
    if path.exists():
        return
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.parent.chmod(0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Database:
    """An engine, the NIK cipher and the two kinds of transaction the repositories use.

    Tools that never touch a NIK (region loading, migrations) may open one without a cipher.
    """

    def __init__(self, engine: Engine, cipher: NikCipher | None = None) -> None:
        self.engine = engine
        self._cipher = cipher
        if cipher is not None:
            bind_keyring(engine, cipher)
        # Objects stay readable after commit: repositories hand them back as detached snapshots.
        write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._writer = sessionmaker(write_engine, expire_on_commit=False)
        self._reader = sessionmaker(engine, expire_on_commit=False)
        derived.install(self._writer)
        # SQLite admits one writer at a time: this process's writers take turns on one connection and share
        # commits, where SQLite's busy handler would poll with growing sleeps and sync once per writer;
        # other processes (a CLI backup, a second bot) still wait on the busy timeout.
        self.group_commit = (GroupCommit(write_engine, self._writer, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
                             if engine.dialect.name == "sqlite" else None)

    @classmethod
    def from_url(cls, url: str | URL, cipher: NikCipher | None = None, *, workers: int | None = None, **engine_options: Any) -> Database:
        """A database for ``workers`` threads at once (see :func:`pool_for`); explicit pool sizes win."""
        sizes = pool_for(workers or DEFAULT_WORKERS)
        return cls(make_engine(url, **{**sizes, **engine_options}), cipher)

    @property
    def cipher(self) -> NikCipher:
        if self._cipher is None:
            raise RuntimeError("this Database was opened without a NIK cipher (see storage.startup.open_database)")
        return self._cipher

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """One short write block: durably committed when the block ends (the caller may then acknowledge it),
        rolled back on error. On SQLite it may share its COMMIT with blocks of other threads.

        ``durable=False`` (a bulk import's staged chunks, invisible until published): committed, atomic and in
        order, but not waited onto the disk; a power cut may lose it, and the next durable commit syncs it too
        (SQLite ``synchronous=NORMAL`` for its batch, PostgreSQL ``synchronous_commit = off`` for its
        transaction)."""
        if self.group_commit is not None:
            with self.group_commit.write(durable=durable) as session:
                yield session
            return
        with self._writer.begin() as session:
            if not durable:
                session.execute(text("SET LOCAL synchronous_commit = off"))
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction; closing it discards anything added (it is never flushed or committed)."""
        with self._reader(autoflush=False) as session:
            yield session

    def dispose(self) -> None:
        if self.group_commit is not None:
            self.group_commit.close()
        self.engine.dispose()

"""Group commit for SQLite: write blocks of one process that finish together share one COMMIT (one disk sync).

SQLite admits one writer at a time and, with ``synchronous=FULL``, every COMMIT waits for the disk. A bot
answering many people at once would pay one sync per answer and queue everyone behind it. Here the writers
of a process take turns on ONE write connection; each block runs inside a SAVEPOINT of the connection's open
transaction, so a block that fails rolls back its own changes only. The block that ends a burst (nobody else
is queued, or the batch is full) commits the transaction for everybody in it, and every block returns only
after that commit is on disk: nothing is acknowledged before it is durable. A lone writer commits at once
(nobody waits for company); under load one sync serves a whole queue.

Blocks of the same batch see each other's changes before the commit (they run on the same connection); they
commit together or, if the COMMIT itself fails (disk full, I/O error), every one of them raises
:class:`CommitFailed`. Readers on other connections see a batch only once it is committed.

A block may ask for no sync of its own (``durable=False``: the staged chunks of a bulk import, which are
invisible until a last durable commit publishes them). When it opens a batch, that batch commits with
``synchronous=NORMAL`` and alone (nobody who wants durability joins it); SQLite's WAL keeps it atomic and in
order, and the next durable COMMIT syncs it with its own. Joining a batch already open, it is simply synced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

MAX_BATCH = 64
"""Turns per COMMIT at most (stored or failed), so that a queue that never empties still commits regularly."""
MAX_BATCH_SECONDS = 0.05
"""How long a batch stays open at most while others keep queueing, for the same reason."""


class CommitFailed(Exception):
    """The shared COMMIT of a batch failed: none of its blocks was stored."""


class _Batch:
    """The blocks waiting for one COMMIT."""

    __slots__ = ("done", "error", "members", "opened", "relaxed", "turns")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.members = 0
        """Blocks stored in this batch (they wait for its COMMIT)."""
        self.turns = 0
        """Blocks that ran in this batch, failed ones included."""
        self.opened = time.monotonic()
        self.relaxed = False
        """Opened by a block that wants no sync: committed at once, with ``synchronous=NORMAL``."""

    def full(self, max_turns: int) -> bool:
        return self.turns >= max_turns or time.monotonic() - self.opened >= MAX_BATCH_SECONDS

    def finish(self, error: BaseException | None) -> None:
        self.error = error
        self.done.set()


class GroupCommit:
    """The write side of a SQLite :class:`storage.db.Database`.

    ``engine`` must open write transactions with ``BEGIN IMMEDIATE`` (the database's write engine);
    ``sessions`` makes the blocks' sessions (its events, e.g. ``before_commit``, fire at the end of each block).
    """

    def __init__(self, engine: Engine, sessions: sessionmaker[Session], *, timeout: float, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._sessions = sessions
        self._timeout = timeout
        self._max_batch = max_batch
        self._state = threading.Condition()
        self._busy = False
        self._owner: int | None = None
        self._queued = 0
        self._connection: Connection | None = None
        self._batch = _Batch()
        self.blocks = 0
        """Write blocks stored so far."""
        self.commits = 0
        """COMMITs (disk syncs) issued so far: ``blocks / commits`` is the average batch."""

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """One write block: its changes are on disk when the block ends (committed but maybe not yet synced
        when not ``durable``), rolled back alone if it raises."""
        self._enter()
        batch = self._batch
        if not batch.turns:
            batch.opened = time.monotonic()
        try:
            connection = self._open(relaxed=not durable)
            batch.relaxed = batch.relaxed or (not durable and not batch.turns)
            with self._sessions(bind=connection, join_transaction_mode="create_savepoint") as session, session.begin():
                yield session
        except BaseException:
            self._leave(batch, stored=False)
            raise
        self._leave(batch, stored=True)
        batch.done.wait()
        if batch.error is not None:
            raise CommitFailed("the database could not commit this change (see the cause); nothing of it was stored") from batch.error

    def close(self) -> None:
        """Give the write connection back (the database is being disposed); an open batch is rolled back."""
        with self._state:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- taking turns on the connection --------------------------------------------------------------------------
    def _enter(self) -> None:
        me = threading.get_ident()
        with self._state:
            if self._owner == me:
                raise RuntimeError("a database write inside another write of the same thread would wait for itself")
            self._queued += 1
            try:
                if not self._state.wait_for(lambda: not self._busy, self._timeout):
                    raise TimeoutError("no write turn within the SQLite busy timeout")
            finally:
                self._queued -= 1
            self._busy, self._owner = True, me

    def _open(self, *, relaxed: bool = False) -> Connection:
        """The shared connection, inside a write transaction (``BEGIN IMMEDIATE`` when a batch starts; after
        ``synchronous=NORMAL`` when a ``relaxed`` block starts it: SQLite fixes it outside transactions)."""
        if self._connection is None:
            self._connection = self._engine.connect()
        if not self._connection.in_transaction():
            if relaxed:
                _synchronous(self._connection, "NORMAL")
            self._connection.begin()
        return self._connection

    def _leave(self, batch: _Batch, *, stored: bool) -> None:
        """End this block's turn: hand the open batch to the next writer in the queue, or commit it."""
        with self._state:
            batch.turns += 1
            if stored:
                batch.members += 1
                self.blocks += 1
            elif not self._transaction_alive():  # SQLite rolled the whole transaction back (I/O error, disk full)
                self._discard()
                self._batch = _Batch()
                self._release()
                batch.finish(CommitFailed("the transaction was rolled back by the database"))
                return
            if self._queued and not batch.relaxed and not batch.full(self._max_batch):
                self._release()
                return
        self._commit(batch)

    def _commit(self, batch: _Batch) -> None:
        error: BaseException | None = None
        connection = self._connection
        try:
            if connection is not None and connection.in_transaction():
                if batch.members:
                    connection.commit()
                else:  # only failed blocks: end the transaction so SQLite's write lock is free
                    connection.rollback()
            if batch.relaxed and connection is not None:
                _synchronous(connection, "FULL")
        except BaseException as exc:  # noqa: BLE001 - handed to every block of the batch
            error = exc
            self._discard()
        with self._state:
            if batch.members:
                self.commits += 1
            self._batch = _Batch()
            self._release()
        batch.finish(error)

    def _transaction_alive(self) -> bool:
        connection = self._connection
        if connection is None or connection.closed or connection.invalidated:
            return False
        try:
            return bool(connection.connection.dbapi_connection.in_transaction)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - an unusable connection has no transaction
            return False

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            finally:
                connection.close()

    def _release(self) -> None:
        self._busy, self._owner = False, None
        self._state.notify_all()


def _synchronous(connection: Connection, level: str) -> None:
    """Set SQLite's sync level on the driver's connection (through SQLAlchemy the statement would begin a
    transaction, inside which SQLite refuses to change it)."""
    connection.connection.dbapi_connection.execute(f"PRAGMA synchronous = {level}")  # type: ignore[union-attr]

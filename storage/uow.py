"""A unit of work: the one transaction that everything a piece of work changes goes through.

The case services (:mod:`cases`) and the bot's turn take a :class:`UnitOfWork` instead of opening their own
transactions, so a chat turn, a command or a web request that changes several things (a form, its case, a
proposal, the audit trail, the reminders to reschedule) commits them together or not at all. Whoever starts
the work opens the unit of work: the bot's turn, a CLI command, a web handler, the reminder sweep.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from storage.crypto import NikCipher
from storage.db import Database

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitOfWork:
    """The session of one transaction and the NIK cipher the services need with it."""

    session: Session
    cipher: NikCipher
    undo: list[Callable[[], None]] = field(default_factory=list, compare=False, repr=False)
    """What to take back outside the database if the unit of work does not commit (a file written for one of
    its rows is deleted): run, newest first, after the rollback or a failed commit."""

    @property
    def database(self) -> Database:
        """This unit of work seen as a :class:`Database`, for repositories written as one transaction each:
        their ``write()`` and ``read()`` blocks join this transaction (a write block as a SAVEPOINT) and commit
        nothing themselves."""
        return _Joined(self)

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """A step that either happens whole or leaves the unit of work as it was (a SAVEPOINT): a refused move
        inside a chat turn must not leave half of itself to the turn's commit."""
        mark = len(self.undo)
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            _take_back(self.undo, mark)
            raise


def atomic(service: Callable[Concatenate[UnitOfWork, P], T]) -> Callable[Concatenate[UnitOfWork, P], T]:
    """A service that raises changes nothing: its writes run in :meth:`UnitOfWork.attempt`."""

    @functools.wraps(service)
    def run(uow: UnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with uow.attempt():
            return service(uow, *args, **kwargs)

    return run


@contextmanager
def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    """One write transaction: committed once when the block ends, rolled back (nothing at all written) on error,
    and then its :attr:`~UnitOfWork.undo` steps run. Inside another unit of work (``db`` is its :attr:`database`)
    it is a savepoint of that one and shares its undo steps."""
    undo = db._uow.undo if isinstance(db, _Joined) else []
    mark = len(undo)
    try:
        with db.write() as session:
            yield UnitOfWork(session, db.cipher, undo)
    except BaseException:
        _take_back(undo, mark)
        raise


def _take_back(undo: list[Callable[[], None]], mark: int) -> None:
    while len(undo) > mark:
        step = undo.pop()
        try:
            step()
        except Exception:  # the rollback stands; what could not be taken back is left to the housekeeping
            log.exception("undoing a step of a rolled-back unit of work failed")


@contextmanager
def reading(db: Database) -> Iterator[UnitOfWork]:
    """A read transaction for services that only read (nothing added to it is ever written)."""
    with db.read() as session:
        yield UnitOfWork(session, db.cipher)


class _Joined(Database):
    """A :class:`Database` whose transactions are the unit of work's (see :attr:`UnitOfWork.database`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        bind = uow.session.get_bind()
        self.engine = bind.engine
        self._cipher = uow.cipher
        self.group_commit = None
        self._uow = uow

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """A savepoint of the unit of work, durable as the unit of work's own commit is."""
        with self._uow.attempt():
            yield self._uow.session

    @contextmanager
    def read(self) -> Iterator[Session]:
        yield self._uow.session

    def dispose(self) -> None:
        raise RuntimeError("a unit of work's database belongs to whoever opened the unit of work")

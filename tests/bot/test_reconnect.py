"""The bot's PostgreSQL engine does not test each connection with a round trip before a turn uses it: a turn whose
connection died (the server restarted, the connection was killed or reaped) is handled again on a new one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.conversation import Conversations
from bot.model import Incoming, Kind
from storage.db import Database
from storage.models import ProcessedUpdate, Role
from tests.bot.conftest import Phone, enrol
from tests.storage.conftest import empty_postgres_tables, postgres_server, postgres_session_database  # noqa: F401

pytestmark = pytest.mark.postgres


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def db(postgres_session_database: str, cipher: Any) -> Iterator[Database]:  # noqa: F811
    with psycopg.connect(_libpq(postgres_session_database)) as conn:
        empty_postgres_tables(conn)
    database = Database.from_url(postgres_session_database, cipher, pre_ping=False)
    yield database
    database.dispose()


def kill_connections(db: Database) -> int:
    """Terminate every server process connected to the test's database, as a server restart does."""
    url = db.engine.url.render_as_string(hide_password=False)
    with psycopg.connect(_libpq(url), autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
    assert killed is not None
    return int(killed[0])


def test_a_turn_on_a_killed_connection_is_handled_again_on_a_new_one(db: Database, conversations: Conversations) -> None:
    enrol(db, 7101, Role.PENDATA)
    phone = Phone(conversations, 7101)
    phone.send("/isi pendataan")
    assert kill_connections(db) >= 1  # the pooled connection of the first turn is dead now
    result = phone.send("Siti Aminah")
    assert result.outcome == "answer:text"
    with db.read() as session:  # the update was claimed once, by the turn that committed
        assert session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 2


def test_without_the_second_attempt_the_dead_connection_fails_the_turn(db: Database, conversations: Conversations) -> None:
    """What the second attempt is for: the pool hands out the dead connection (no round trip tests it)."""
    enrol(db, 7102, Role.PENDATA)
    phone = Phone(conversations, 7102)
    phone.send("/isi pendataan")
    kill_connections(db)
    with pytest.raises(OperationalError) as failed:
        conversations._process(Incoming(990_001, 7102, 7102, "Siti", "id", Kind.TEXT, text="Siti Aminah"))
    assert failed.value.connection_invalidated

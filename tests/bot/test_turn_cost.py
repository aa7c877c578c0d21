"""What a typed answer costs the bot: four SQL statements (two on PostgreSQL), and no walk of the whole form.

A typed answer in the middle of a form claims its update id, reads the person with their draft, and writes the
draft and the live keyboard: four statements, two on PostgreSQL where one claims and reads and one writes both (and the turn's one transaction, counted in test_transactions.py).
The engine continues the walk the previous turn left instead of walking the form from its first question; a
draft changed outside the turn (another process, an operator) is read as the database holds it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, make_url, select, update

from bot.conversation import Conversations
from bot.model import Incoming, Kind
from flows.compiler import CompiledInstrument
from flows.engine import Prompt, State
from flows.registry import engine as engine_for
from storage.db import Database
from storage.models import InstrumentSession, Person
from tests.bot.conftest import Phone, head
from tests.conftest import TODAY
from tests.storage.conftest import BACKENDS, empty_postgres_tables, postgres_server, postgres_session_database  # noqa: F401


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, sqlite_dir: Path, sqlite_template: Path, cipher: Any) -> Iterator[Database]:
    """The bot's database on SQLite and on PostgreSQL (as the bot opens it there: no ping per checkout)."""
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, sqlite_dir / "ats.db")
        database = Database.from_url(f"sqlite:///{sqlite_dir / 'ats.db'}", cipher)
    else:
        url: str = request.getfixturevalue("postgres_session_database")
        with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
            empty_postgres_tables(conn)
        database = Database.from_url(url, cipher, pre_ping=False)
    yield database
    database.dispose()


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements the engine runs (transaction control left out: BEGIN, SAVEPOINT, RELEASE, COMMIT)."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")):
            seen.append(" ".join(statement.split()[:3]))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the engine's walks of a whole form (from its first question)."""
    counted: list[int] = []
    original = CompiledInstrument.walk

    def walk(self: CompiledInstrument, *args: Any, **kwargs: Any) -> Any:
        counted.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CompiledInstrument, "walk", walk)
    return counted


def test_a_typed_answer_is_four_statements(db: Database, volunteer: Phone) -> None:
    """Four on SQLite; two on PostgreSQL, where the claim and the read are one statement, and the two writes another
    (CTEs)."""
    volunteer.send("/isi pendataan")
    volunteer.send("Siti Aminah")  # 1.1, the child's name
    with statements(db) as seen:
        result = volunteer.send("1")  # 1.2, an option
    assert result.outcome == "answer:text"
    if db.engine.dialect.name == "postgresql":
        assert seen == ["WITH claimed AS", "WITH person AS"], seen
    else:
        assert len(seen) == 4, seen
        assert seen[0].startswith("INSERT INTO processed_updates") and seen[1].startswith("SELECT")
        assert seen[2:] == ["UPDATE instrument_sessions SET", "UPDATE people SET"]


def test_a_typed_answer_writes_the_draft_and_the_keyboard(db: Database, volunteer: Phone) -> None:
    """What the (on PostgreSQL folded) writes leave: the draft one version on with the answer, the live keyboard."""
    volunteer.send("/isi pendataan")
    volunteer.send("Siti Aminah")
    with db.read() as session:
        draft = session.scalars(select(InstrumentSession)).one()
        version, person = draft.version, session.scalars(select(Person).where(Person.telegram_user_id == volunteer.user_id)).one()
        menu = person.menu
    volunteer.send("1")
    with db.read() as session:
        draft = session.scalars(select(InstrumentSession)).one()
        person = session.scalars(select(Person).where(Person.telegram_user_id == volunteer.user_id)).one()
        assert draft.version == version + 1 and State.from_json(draft.state).answers.get("1.2") is not None
        assert person.menu and person.menu != menu and person.active_draft_id == draft.id


def test_a_typed_answer_continues_the_last_turns_walk(volunteer: Phone, walks: list[int]) -> None:
    volunteer.send("/isi pendataan")
    volunteer.send("Siti Aminah")
    walks.clear()
    for answer, then in (("1", "1.2.nik · "), ("3326084503120001", "1.3 · ")):
        result = volunteer.send(answer)
        assert result.outcome == "answer:text"
        assert then in volunteer.texts()[-1]
    assert walks == []


def test_a_draft_changed_outside_the_turn_is_read_as_stored(db: Database, conversations: Conversations, volunteer: Phone) -> None:
    volunteer.send("/isi pendataan")
    volunteer.send("Siti Aminah")
    volunteer.send("1")
    first = engine_for("pendataan").current(State(), TODAY)
    assert isinstance(first, Prompt)
    with db.write() as session:  # e.g. an operator's tool, or another process, starts the draft over
        session.execute(update(InstrumentSession).values(state=State().to_json()))
    result = volunteer.send("Dewi Lestari")
    assert result.outcome == "answer:text"
    assert head(volunteer.texts()[0]).startswith(first.position.qid + " · "), volunteer.texts()[0]  # the first question again


def test_the_bot_api_client_keeps_few_connections_and_waits_for_one(db: Database) -> None:
    """The Bot API calls go through the bot's own client on a small pool; a call waits for a free connection rather
    than failing after PTB's one second."""
    from bot.api_client import AsyncioRequest
    from bot.app import CONNECTION_WAIT, CONNECTIONS, build_application
    from core.settings import Settings

    application = build_application(Settings(bot_token="123456:TEST"), db)
    request = application.bot.request
    assert isinstance(request, AsyncioRequest)
    assert request._connections == CONNECTIONS <= 32
    assert request._timeouts["pool"] == CONNECTION_WAIT >= 10


def test_a_redelivered_typed_answer_is_a_duplicate_and_changes_nothing(db: Database, conversations: Conversations, volunteer: Phone) -> None:
    """The claim folded into the read (PostgreSQL) still tells a handled update: no row, nothing written."""
    volunteer.send("/isi pendataan")
    volunteer.send("Siti Aminah")
    incoming = Incoming(9_000_001, volunteer.user_id, volunteer.user_id, "Siti", "id", Kind.TEXT, text="1")
    assert conversations.process(incoming).outcome == "answer:text"
    with db.read() as session:
        before = session.scalars(select(InstrumentSession.version)).all()
    with statements(db) as seen:
        again = conversations.process(incoming)
    assert again.duplicate and again.outcome == "duplicate" and again.replies == []
    assert len(seen) == 1, seen  # the claim alone (on PostgreSQL, the claim with the read)
    with db.read() as session:
        assert session.scalars(select(InstrumentSession.version)).all() == before


def test_a_stranger_s_first_update_creates_the_person(db: Database, conversations: Conversations) -> None:
    """A claimed update from someone not yet known (the folded read finds no person) starts their chat."""
    stranger = Phone(conversations, 7_777_001)
    result = stranger.send("/start")
    assert not result.duplicate and stranger.texts()
    with db.read() as session:
        assert session.scalar(select(Person.id).where(Person.telegram_user_id == 7_777_001)) is not None

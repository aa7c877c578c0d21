"""The per-test databases themselves: each test starts from an empty, migrated schema whatever the previous one
left, on both backends (the isolation every other test relies on)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.models import AuditLog, Base, Person, ProcessedUpdate
from storage.repositories.people import get_or_create_person
from storage.schema_state import upgrade
from tests.storage.conftest import empty_postgres_tables

POSTGRES_ONLY = [pytest.param("postgresql", marks=pytest.mark.postgres)]


def _filled(db: Database) -> list[str]:
    with db.read() as session:
        return [t.name for t in Base.metadata.sorted_tables if session.scalar(select(func.count()).select_from(t))]


def _used_sequences(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(text("SELECT sequencename FROM pg_sequences WHERE last_value IS NOT NULL")))


def _audit(db: Database) -> int:
    with db.write() as session:
        row = AuditLog(action="test", subject_type="test", subject_id="1")
        session.add(row)
        session.flush()
        return row.id


@pytest.mark.parametrize("backend", POSTGRES_ONLY, indirect=True)
def test_the_postgres_reset_empties_every_table_and_restarts_every_sequence(db: Database, db_url: str) -> None:
    """As ``TRUNCATE <every table> RESTART IDENTITY CASCADE`` would, also for a table its test emptied itself
    (audit_log: no table it refers to, even through others, holds rows, so no TRUNCATE … CASCADE reaches it)."""
    assert _audit(db) == 1
    with db.write() as session:
        session.execute(delete(AuditLog))
        session.add(ProcessedUpdate(bot_id=1, update_id=1))
    assert _filled(db) == ["processed_updates"] and _used_sequences(db) == ["audit_log_id_seq"]
    db.dispose()

    with psycopg.connect(make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        empty_postgres_tables(conn)

    assert _filled(db) == [] and _used_sequences(db) == []
    assert _audit(db) == 1


@pytest.mark.parametrize("backend", ["sqlite", *POSTGRES_ONLY], indirect=True)
@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_starts_from_an_empty_schema(db: Database, turn: int) -> None:
    """Run twice in a row on each backend: what the first run wrote is gone for the second."""
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
    assert get_or_create_person(db, 1001, chat_id=1001, display_name="Siti").id == 1


def _objects(url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(schema, name) of every relation and type outside the system's schemas; the public schema's owner and rights."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        objects = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
            "UNION ALL SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
            "UNION ALL SELECT nspname, '' FROM pg_namespace WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'"
        ).fetchall()
        public = conn.execute("SELECT nspowner::regrole::text, nspacl::text FROM pg_namespace WHERE nspname = 'public'").fetchall()
    return [(str(a), str(b)) for a, b in objects], [(str(a), str(b)) for a, b in public]


@pytest.mark.parametrize("backend", POSTGRES_ONLY, indirect=True)
@pytest.mark.parametrize("turn", [1, 2])
def test_each_fresh_postgres_database_is_as_new(fresh_url: str, postgres_server: str, turn: int) -> None:
    """What a migration test leaves (tables, types, another schema) is gone for the next: the database holds what a
    database just created from ``template1`` holds."""
    new_database = make_url(postgres_server).set(database="template1").render_as_string(hide_password=False)
    assert _objects(fresh_url) == _objects(new_database) == ([("public", "")], _objects(new_database)[1])
    upgrade(fresh_url)
    with psycopg.connect(make_url(fresh_url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        conn.execute("CREATE SCHEMA leftover")
        conn.execute("CREATE TABLE leftover.t (x int)")
    assert len(_objects(fresh_url)[0]) > 100

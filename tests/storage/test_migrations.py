"""Migrations create the schema the models describe, and the bot refuses an outdated schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from core.settings import Environment, Settings
from storage.crypto import MissingDataKeyError
from storage.db import make_engine
from storage.models import Base
from storage.schema_state import (
    SchemaBehindError,
    SchemaUnknownError,
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)
from storage.startup import open_database
from tests.storage.conftest import ROOT


# SQLite cannot reflect the expression index uq_reminders_period; test_constraints checks it by behaviour.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning", "ignore:.*expression-based index")
def test_upgrade_from_empty_to_head_matches_the_models(fresh_url: str) -> None:
    assert current_revision(fresh_url) is None
    upgrade(fresh_url)
    assert current_revision(fresh_url) == head_revision()
    ensure_current(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    upgrade(fresh_url)  # a second upgrade is a no-op
    assert current_revision(fresh_url) == head_revision()


def test_downgrade_to_empty_then_back(fresh_url: str) -> None:
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), "base")
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    with pytest.raises(SchemaBehindError):
        ensure_current(fresh_url)
    upgrade(fresh_url)
    ensure_current(fresh_url)


def test_empty_database_is_behind(fresh_url: str) -> None:
    with pytest.raises(SchemaBehindError) as caught:
        ensure_current(fresh_url)
    message = str(caught.value)
    assert message.startswith("The database schema is behind (at nothing: an empty database, needs ")
    assert message.endswith("Run: ats-bot db upgrade")
    assert head_revision() in message


def test_database_from_another_version_is_refused(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    engine.dispose()
    with pytest.raises(SchemaUnknownError, match="ffffffffffff"):
        ensure_current(fresh_url)


def test_open_database_checks_key_and_schema(fresh_url: str, tmp_path: Path) -> None:
    production = Settings(
        environment=Environment.PRODUCTION, database_url=fresh_url, data_key="", key_file=tmp_path / "none.key", _env_file=None
    )
    with pytest.raises(MissingDataKeyError):
        open_database(production)
    keyed = production.model_copy(update={"data_key": "Zq8vL2mX9pR4tY7wB1nC5kD3fG6hJ0sA"})
    with pytest.raises(SchemaBehindError):
        open_database(keyed)
    upgrade(fresh_url)
    database = open_database(keyed)
    try:
        assert database.cipher.nik_hash("1") != ""
    finally:
        database.dispose()


def test_start_up_check_reads_the_chain_as_alembic_does_without_importing_it(db_url: str) -> None:
    """The bot's start-up check knows the head and every revision without Alembic (≈10 MB the bot never needs)."""
    from alembic.script import ScriptDirectory

    from storage.schema_state import known_revisions

    scripts = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == scripts.get_current_head()
    assert known_revisions() == {script.revision for script in scripts.walk_revisions()}
    check = ("import sys; from storage.schema_state import ensure_current; ensure_current(sys.argv[1]); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))")
    done = subprocess.run([sys.executable, "-c", check, db_url], capture_output=True, text=True, check=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]"


def test_two_heads_stop_the_start_up_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain that forks (two migrations after the same one) is refused, not read as its first head: the check
    is an explicit one, kept by ``python -OO`` (the bot's interpreter), which drops asserts."""
    monkeypatch.setattr("storage.schema_state._revisions", lambda: {"a": (), "b": ("a",), "c": ("a",)})
    with pytest.raises(RuntimeError, match=r"one head, not \['b', 'c'\]"):
        head_revision()

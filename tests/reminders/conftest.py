"""Reminder tests: pure rules, and storage-backed tests on SQLite (a temporary file) and a real PostgreSQL.

PostgreSQL comes from ``TEST_POSTGRES_URL`` or the throwaway server of ``scripts/pg-test-server.sh``, like
``tests/storage``; each test gets a clean, migrated database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from storage.crypto import NikCipher
from storage.db import Database
from storage.models import Base
from storage.schema_state import upgrade
from tests.reminders.factory import World

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "scripts" / "pg-test-server.sh"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # the Bot API emulator package ``botapi``

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _postgres_binaries_missing() -> bool:
    return not any([shutil.which("initdb"), *Path("/usr/lib/postgresql").glob("*/bin/initdb")])


def _admin(url: str) -> psycopg.Connection:
    parsed = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(parsed.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture(scope="session")
def reminders_pg_server() -> Iterator[str]:
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if _postgres_binaries_missing():
        pytest.skip("!!! PostgreSQL NOT TESTED: no initdb; install postgresql or set TEST_POSTGRES_URL !!!")
    yield subprocess.run([PG_SCRIPT, "start"], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def reminders_pg_database(reminders_pg_server: str) -> Iterator[str]:
    name = f"ats_reminders_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _admin(reminders_pg_server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(reminders_pg_server).set(database=name).render_as_string(hide_password=False)
    upgrade(url, "heads")
    yield url
    with _admin(reminders_pg_server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def reminders_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reminders-template") / "ats.db"
    upgrade(f"sqlite:///{path}", "heads")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        path = tmp_path / "ats.db"
        shutil.copyfile(request.getfixturevalue("reminders_sqlite_template"), path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("reminders_pg_database"))
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.from_url(db_url, NikCipher("test-data-key"))
    yield database
    database.dispose()


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


class VirtualClock:
    """Monotonic time that only moves when someone sleeps: pacing is tested exactly and instantly."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def vclock() -> VirtualClock:
    return VirtualClock()

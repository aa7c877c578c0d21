"""Every storage test runs on SQLite (a temporary file) and on a real PostgreSQL server.

PostgreSQL comes from ``TEST_POSTGRES_URL``, or else this conftest starts the throwaway server of
``scripts/pg-test-server.sh`` itself. The schema is created once
per test session by the Alembic migrations; each test then gets a clean copy (SQLite: a copy of the migrated
file; PostgreSQL: truncated tables in a database private to this session).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from storage.crypto import NikCipher
from storage.db import Database
from storage.models import Base, Region, RegionLevel, Role, TimeZone
from storage.repositories.people import get_or_create_person, set_role
from storage.schema_state import upgrade

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "scripts" / "pg-test-server.sh"
TEST_KEY = "test-data-key"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against the PostgreSQL test server (on by default)")


def _postgres_binaries_missing() -> bool:
    candidates = [shutil.which("initdb"), *Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    return not any(candidates)


def _admin(url: str) -> psycopg.Connection:
    """An autocommit libpq connection to the server's ``postgres`` database, for CREATE/DROP DATABASE."""
    parsed = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(parsed.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server to create test databases on."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if _postgres_binaries_missing():
        pytest.skip(
            "!!! PostgreSQL NOT TESTED: no initdb on PATH or under /usr/lib/postgresql; install postgresql-15 "
            "or set TEST_POSTGRES_URL !!!"
        )
    # Left running afterwards: other test sessions may share it (`scripts/pg-test-server.sh stop` ends it).
    yield subprocess.run([PG_SCRIPT, "start"], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def fresh_postgres_database(postgres_server: str) -> Iterator[str]:
    """An empty database of its own (for migration and restore tests), dropped afterwards."""
    name = f"ats_test_{uuid.uuid4().hex[:12]}"
    with _admin(postgres_server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    with _admin(postgres_server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_session_database(postgres_server: str) -> Iterator[str]:
    """A migrated database private to this test session (so parallel sessions cannot collide)."""
    name = f"ats_storage_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _admin(postgres_server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with _admin(postgres_server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "ats.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL of an empty database (no schema at all) on the test's backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'ats.db'}"
    return str(request.getfixturevalue("fresh_postgres_database"))


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL of a clean, migrated database on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "ats.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("postgres_session_database"))
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return url


@pytest.fixture
def cipher() -> NikCipher:
    return NikCipher(TEST_KEY)


@pytest.fixture
def db(db_url: str, cipher: NikCipher) -> Iterator[Database]:
    database = Database.from_url(db_url, cipher)
    yield database
    database.dispose()


KABUPATEN = "33.26"
KECAMATAN = "33.26.01"
DESA = "33.26.01.2001"
DESA_2 = "33.26.01.2002"
OTHER_KABUPATEN_DESA = "73.71.01.1001"


@pytest.fixture
def regions(db: Database) -> None:
    """A few real regions: two desa of Kabupaten Pekalongan (WIB) and one kelurahan of Kota Makassar (WITA)."""
    rows = [
        (KABUPATEN, RegionLevel.KABUPATEN, "kabupaten", "Kabupaten Pekalongan", None, TimeZone.WIB),
        (KECAMATAN, RegionLevel.KECAMATAN, "kecamatan", "Kandangserang", KABUPATEN, TimeZone.WIB),
        (DESA, RegionLevel.DESA, "desa", "Klesem", KECAMATAN, TimeZone.WIB),
        (DESA_2, RegionLevel.DESA, "desa", "Bodas", KECAMATAN, TimeZone.WIB),
        ("73.71", RegionLevel.KABUPATEN, "kota", "Kota Makassar", None, TimeZone.WITA),
        ("73.71.01", RegionLevel.KECAMATAN, "kecamatan", "Mariso", "73.71", TimeZone.WITA),
        (OTHER_KABUPATEN_DESA, RegionLevel.DESA, "kelurahan", "Bontorannu", "73.71.01", TimeZone.WITA),
    ]
    with db.write() as session:
        for code, level, kind, name, parent, timezone in rows:
            session.add(Region(code=code, level=level, kind=kind, name=name, parent_code=parent, timezone=timezone))
            session.flush()


@pytest.fixture
def pendata(db: Database, regions: None) -> int:
    """The id of a volunteer who collects data in DESA."""
    person = get_or_create_person(db, 1001, chat_id=1001, display_name="Siti (pendata)")
    return set_role(db, person.id, Role.PENDATA, DESA).id

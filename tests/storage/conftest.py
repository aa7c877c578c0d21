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
import tempfile
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


@pytest.fixture(scope="session")
def postgres_empty_session_database(postgres_server: str) -> Iterator[str]:
    """A database private to this test session that :func:`fresh_postgres_database` empties for each test:
    dropping a database makes the server write a checkpoint (3–8 s on a shared disk), emptying it does not."""
    name = f"ats_fresh_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _admin(postgres_server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    yield name
    with _admin(postgres_server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_postgres_database(postgres_server: str, postgres_empty_session_database: str) -> str:
    """An empty database (for migration and restore tests): no table, type, sequence or other object in it, as a
    new database made from ``template1``, and no connection left from the test before."""
    name = postgres_empty_session_database
    with _admin(postgres_server) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                      (name,))
    url = make_url(postgres_server).set(database=name)
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as conn:
        empty_postgres_database(conn)
    return url.render_as_string(hide_password=False)


def empty_postgres_database(conn: psycopg.Connection) -> None:
    """Drop every schema but the system's and give the database a new ``public`` schema as ``template1`` has it."""
    schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'")
    with conn.transaction():
        for (schema,) in schemas.fetchall():
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
        conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
        conn.execute("COMMENT ON SCHEMA public IS 'standard public schema'")


@pytest.fixture(scope="session")
def postgres_session_database(postgres_server: str) -> Iterator[str]:
    """A migrated database private to this test session (so parallel sessions cannot collide)."""
    name = f"ats_storage_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _admin(postgres_server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        # Tests need a committed row visible, not on disk: without waiting for the WAL flush at every commit, a
        # test of chat turns (a commit each) spends its time in the code, not in the host's disk queue.
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
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
def sqlite_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder of the test's own for its SQLite file, in memory-backed /dev/shm where there is one: the product
    syncs every commit to disk (``PRAGMA synchronous = FULL``), and a test needs its own file, not durability."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="ats-test-", dir=shm))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A URL of a clean, migrated database on the test's backend."""
    if backend == "sqlite":
        path = request.getfixturevalue("sqlite_dir") / "ats.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("postgres_session_database"))
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        empty_postgres_tables(conn)
    return url


def empty_postgres_tables(conn: psycopg.Connection) -> None:
    """Leave every table empty and every sequence at its start, as ``TRUNCATE <all tables> RESTART IDENTITY
    CASCADE`` would, truncating only the tables that hold rows: TRUNCATE gives each table a new file, synced at
    commit (about 0.9 s for all of them on this kind of host), and a test writes to a few tables only."""
    tables = [table.name for table in Base.metadata.sorted_tables]
    probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT FROM \"{name}\")" for name in tables)
    filled = [name for (name,) in conn.execute(probe)]
    if filled:
        quoted = ", ".join(f'"{name}"' for name in filled)
        conn.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    # A table emptied again by its test keeps its sequence where the test left it: restart every sequence used.
    conn.execute("SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) FROM pg_sequences "
                 "WHERE schemaname = current_schema() AND last_value IS NOT NULL")


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

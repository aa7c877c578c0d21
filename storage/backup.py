"""Consistent snapshots of the database, and restoring one.

SQLite uses the online backup API, which copies a consistent snapshot while the bot keeps writing.
PostgreSQL uses ``pg_dump --format=custom`` (a consistent snapshot by MVCC) and ``pg_restore``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite, sqlite_path
from storage.schema_state import current_revision, known_revisions

_POSTGRES_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/local/pgsql/bin")


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


def backup(url: str | URL, destination: Path) -> None:
    """Write a consistent snapshot of the database to ``destination`` (0600; replaced only once complete).

    Personal fields inside are ciphertexts: the backup is readable only with the data key (``storage.keys``)."""
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # owner only, before a byte is written
    try:
        if is_sqlite(url):
            _sqlite_copy(_sqlite_file(url, must_exist=True), partial)
        else:
            _run(_postgres_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", url=url)
        partial.chmod(0o600)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def restore(url: str | URL, source: Path, *, overwrite: bool) -> str | None:
    """Replace the database's contents with a backup; returns the restored schema revision.

    Refuses unless ``overwrite`` (the CLI's ``--yes``): everything written since the backup is lost.
    The bot should be stopped while restoring.
    """
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if not overwrite:
        raise BackupError("Restoring replaces everything in the database. Repeat with --yes to confirm.")
    if is_sqlite(url):
        _check_sqlite_backup(source)
        _refuse_newer(_sqlite_revision(source))
        _sqlite_copy(source, _sqlite_file(url, must_exist=False))
    else:
        _refuse_newer(_postgres_revision(source))
        _run(
            _postgres_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(source),
            url=url,
        )
    return current_revision(url)


def _sqlite_file(url: str | URL, *, must_exist: bool) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    if must_exist and not path.is_file():
        raise BackupError(f"{path}: no such database file")
    if not path.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def _sqlite_copy(source: Path, destination: Path) -> None:
    """Page-by-page online copy; waits on the busy timeout if a writer holds the lock."""
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    with (
        closing(sqlite3.connect(source, timeout=timeout)) as src,
        closing(sqlite3.connect(destination, timeout=timeout)) as dst,
    ):
        src.backup(dst)


def _refuse_newer(revision: str | None) -> None:
    """A backup from a newer version would be restored and then be unusable by this one: refuse it first."""
    if revision is not None and revision not in known_revisions():
        raise BackupError(
            f"the backup's schema is at revision {revision}, which this version of ATS Bot does not know: it was "
            "written by a newer version. Nothing was changed; restore it with that version (or newer)."
        )


def _sqlite_revision(source: Path) -> str | None:
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            return None
    return str(row[0]) if row else None


def _postgres_revision(source: Path) -> str | None:
    """The revision in a ``pg_dump -Fc`` file, read with pg_restore without touching any database."""
    completed = subprocess.run(
        [_postgres_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(source)],
        capture_output=True, text=True, check=False,
    )
    lines = completed.stdout.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(lines):
            value = lines[number + 1].strip()
            return None if value in ("", "\\.") else value
    return None


def _check_sqlite_backup(source: Path) -> None:
    try:
        with closing(sqlite3.connect(source)) as connection:
            result = connection.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a SQLite database: {exc}") from exc
    if result != ("ok",):
        raise BackupError(f"{source} is damaged: {result}")


def _postgres_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in _POSTGRES_BIN_DIRS if (Path(d) / name).is_file()), None
    )
    if found is None:
        raise BackupError(f"{name} not found on PATH or in {', '.join(_POSTGRES_BIN_DIRS)} (install postgresql-client)")
    return found


def _run(tool: str, *args: str, url: str | URL) -> None:
    """Run a PostgreSQL client with the URL as a libpq connection string; the password goes in the environment."""
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    libpq = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    with tempfile.TemporaryFile() as errors:
        completed = subprocess.run([tool, *args, f"--dbname={libpq}"], env=environment, stderr=errors, check=False)
        if completed.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise BackupError(f"{Path(tool).name} failed (exit {completed.returncode}): {message}")

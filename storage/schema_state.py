"""Which migration a database is at, upgrading it, and refusing to run on an outdated schema.

The migrations ship inside the package (``storage/migrations``) and are driven from here, so the bot and
``ats-bot db upgrade`` need no ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from storage.db import make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
UPGRADE_COMMAND = "ats-bot db upgrade"


class SchemaBehindError(RuntimeError):
    """The database needs ``ats-bot db upgrade`` before the bot may use it."""

    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(
            f"The database schema is behind (at {current or 'nothing: an empty database'}, needs {head}). "
            f"Run: {UPGRADE_COMMAND}"
        )
        self.current, self.head = current, head


class SchemaUnknownError(RuntimeError):
    """The database was migrated by a newer (or different) version of the bot than this one."""


def alembic_config(url: str | URL | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["url"] = str(url) if isinstance(url, str) else url.render_as_string(hide_password=False)
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage/migrations has no revision"
    return head


def current_revision(url: str | URL) -> str | None:
    """The revision stamped in the database, None for a database never migrated."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Create or upgrade the database schema (creating a SQLite file and its directory if needed); refuses a
    database that a newer version of the bot migrated."""
    current = current_revision(url)
    if current is not None and current not in known_revisions():
        raise SchemaUnknownError(_unknown(current))
    command.upgrade(alembic_config(url), revision)


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _unknown(current: str) -> str:
    return (f"The database schema is at revision {current}, which this version of ATS Bot does not know "
            f"(it needs {head_revision()}). Was the database upgraded by a newer version of the bot?")


def ensure_current(url: str | URL) -> None:
    """Raise unless the database is exactly at this code's head revision (the bot's start-up check)."""
    current, head = current_revision(url), head_revision()
    if current == head:
        return
    if current is None or current in known_revisions():
        raise SchemaBehindError(current, head)
    raise SchemaUnknownError(_unknown(current))

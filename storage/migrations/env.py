"""Alembic environment: the models' metadata, and a URL or connection handed in by ``storage.schema_state``.

From the command line (``alembic -c storage/alembic.ini ...``) the URL comes from ``-x url=...`` or, failing
that, from the bot's settings (``DATABASE_URL``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.db import WRITE_OPTION, make_engine
from storage.models import Base

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return str(url)
    from core.settings import get_settings

    return get_settings().database_url


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection.execution_options(**{WRITE_OPTION: True}),
        target_metadata=Base.metadata,
        render_as_batch=sqlite,  # SQLite can only ALTER a table by copying it
        compare_type=True,
    )
    if not sqlite:
        with context.begin_transaction():
            context.run_migrations()
        return
    # Copying a table must not trip (or cascade through) foreign keys; the pragma only works outside a
    # transaction, and the keys are checked again before the migration commits.
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if violations:
                raise RuntimeError(f"migration left foreign key violations: {violations[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()

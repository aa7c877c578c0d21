"""The checks the bot makes before it touches the database."""

from __future__ import annotations

from core.settings import Settings
from storage.db import Database
from storage.keyring_check import verify_keyring
from storage.keys import keyring_from_settings
from storage.schema_state import ensure_current


def open_database(settings: Settings, *, workers: int | None = None, pre_ping: bool = True) -> Database:
    """The bot's database, or a clear error: no key or a weak one (``DataKeyError``), a key that is not the one
    the data was encrypted with (``WrongKeyError``), a schema behind this code (``SchemaBehindError``: run
    ``ats-bot db upgrade``). ``workers``: threads that use it at once (sizes the connection pool);
    ``pre_ping``: see :func:`storage.db.make_engine`."""
    keyring = keyring_from_settings(settings)
    ensure_current(settings.database_url)
    database = Database.from_url(settings.database_url, keyring, workers=workers, pre_ping=pre_ping)
    try:
        verify_keyring(database)
    except Exception:
        database.dispose()
        raise
    return database


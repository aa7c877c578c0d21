"""The checks the bot makes before it touches the database."""

from __future__ import annotations

from app.settings import Settings
from storage.crypto import cipher_from_settings
from storage.db import Database
from storage.schema_state import ensure_current


def open_database(settings: Settings) -> Database:
    """The bot's database, or a clear error: no data key outside development (``MissingDataKeyError``),
    a schema behind this code (``SchemaBehindError``: run ``ats-bot db upgrade``)."""
    cipher = cipher_from_settings(settings)
    ensure_current(settings.database_url)
    return Database.from_url(settings.database_url, cipher)

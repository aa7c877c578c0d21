"""Start-up check that the configured keys are the ones the database was encrypted with."""

from __future__ import annotations

from sqlalchemy import select

from storage.crypto import DataKeyError, Keyring, NikDecryptionError
from storage.db import Database
from storage.models import DataKey
from storage.repositories.sql import insert_if_absent
from storage.types import utcnow

_CHECK = b"ats-bot data key check"


class WrongKeyError(DataKeyError):
    """The database was encrypted with a key the configuration does not hold."""


def check_value(keyring: Keyring) -> bytes:
    return keyring.encrypt(_CHECK)


def register_current_key(db: Database) -> None:
    """Record the current key id (idempotent), so later starts can recognise a wrong key."""
    keyring = db.cipher
    with db.write() as session:
        insert_if_absent(
            session,
            DataKey,
            {"key_id": keyring.current_id, "check_value": check_value(keyring), "added_at": utcnow(), "retired_at": None},
            ["key_id"],
        )


def verify_keyring(db: Database) -> None:
    """Raise :class:`WrongKeyError` (one line) unless every key the data still uses is in the configured ring."""
    keyring = db.cipher
    with db.read() as session:
        in_use = list(session.scalars(select(DataKey).where(DataKey.retired_at.is_(None))))
    missing = [k.key_id for k in in_use if k.key_id not in keyring.key_ids]
    if missing:
        raise WrongKeyError(
            f"Wrong data key: this database was encrypted with key {', '.join(missing)}, but the configured key is "
            f"{keyring.current_id}. Set DATA_KEY or KEY_FILE to the right key (restore the key file from your backup)."
        )
    for key in in_use:
        try:
            keyring.decrypt(key.check_value)
        except NikDecryptionError as exc:
            raise WrongKeyError(f"Wrong data key: the key named {key.key_id} does not decrypt this database's data.") from exc
    if keyring.current_id not in {k.key_id for k in in_use}:
        register_current_key(db)

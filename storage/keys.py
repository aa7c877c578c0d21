"""Where the data keys come from: ``DATA_KEY`` or the key file, created 0600 on first start; never a default.

The key file holds one secret per line, the first encrypting and the others (older keys, after a rotation) only
decrypting; ``#`` lines are comments. A running bot re-reads it when it changes (see ``Keyring``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from core.settings import Environment, Settings
from storage.crypto import Keyring, MissingDataKeyError, WeakDataKeyError, key_id

MIN_PRODUCTION_KEY_CHARS = 32
MIN_DISTINCT_CHARS = 12
_HEADER = (
    "# ATS Bot data keys. Without this file the NIKs, KK and phone numbers and GPS positions in the database\n"
    "# and in every backup cannot be read: keep a copy apart from the backups (a password manager, a safe).\n"
    "# The first key encrypts; the keys below it only read data written before a rotation.\n"
)


def private_file(path: Path, content: bytes) -> None:
    """Write ``content`` readable by the owner only (0600), atomically, creating the directory 0700."""
    private_directory(path.parent)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(partial, path)


def private_directory(path: Path) -> None:
    """Create a directory (and parents) accessible to the owner only; an existing one is left as it is."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.chmod(0o700)


def new_secret() -> str:
    """A fresh key: 256 random bits, URL-safe text (43 characters)."""
    return secrets.token_urlsafe(32)


def read_key_file(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def write_key_file(path: Path, secrets_: list[str]) -> None:
    private_file(path, (_HEADER + "".join(f"{s}\n" for s in secrets_)).encode())


def check_strength(secret: str, settings: Settings) -> None:
    """Refuse, in production, a key an attacker could guess (short, or few distinct characters)."""
    if settings.environment is not Environment.PRODUCTION:
        return
    if len(secret) < MIN_PRODUCTION_KEY_CHARS or len(set(secret)) < MIN_DISTINCT_CHARS:
        raise WeakDataKeyError(
            f"The data key {key_id(secret)} is too weak for production (needs at least {MIN_PRODUCTION_KEY_CHARS} "
            f"characters, {MIN_DISTINCT_CHARS} of them different). Generate one with: ats-bot keys new"
        )


@dataclass(frozen=True)
class KeySource:
    """The configured keys and where they came from, for messages."""

    secrets: list[str]
    origin: str
    """``DATA_KEY`` or the key file's path."""
    created: bool = False
    """True when this call generated the key file (the first start)."""

    def keyring(self, settings: Settings) -> Keyring:
        reload = None if self.origin == "DATA_KEY" else _FileReloader(settings.key_file)
        return Keyring(self.secrets, reload=reload)


class _FileReloader:
    """The key file's keys, re-read only when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path, self.mtime = path, _mtime(path)
        self.secrets = read_key_file(path) if path.exists() else []

    def __call__(self) -> list[str]:
        mtime = _mtime(self.path)
        if mtime is not None and mtime != self.mtime:
            self.mtime, self.secrets = mtime, read_key_file(self.path)
        return list(self.secrets)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def key_source(settings: Settings, *, create: bool = False) -> KeySource:
    """The configured keys: ``DATA_KEY`` if set, else the key file (generated when ``create`` and missing)."""
    if settings.data_key.strip():
        found = [s.strip() for s in settings.data_key.split(",") if s.strip()]
        check_strength(found[0], settings)
        return KeySource(found, "DATA_KEY")
    path = settings.key_file
    if path.exists():
        try:
            found = read_key_file(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise MissingDataKeyError(f"The key file {path} cannot be read ({exc}); restore it from your backup.") from exc
        if not found:
            raise MissingDataKeyError(f"The key file {path} holds no key; restore it from your backup.")
        check_strength(found[0], settings)
        return KeySource(found, str(path))
    if not create:
        raise MissingDataKeyError(
            f"No data key: DATA_KEY is empty and the key file {path} does not exist. New installation: run "
            "`ats-bot db upgrade` (it creates the key). Existing data: restore the key file from your backup."
        )
    secret = new_secret()
    write_key_file(path, [secret])
    return KeySource([secret], str(path), created=True)


def keyring_from_settings(settings: Settings, *, create: bool = False) -> Keyring:
    return key_source(settings, create=create).keyring(settings)


FIRST_START_NOTICE = (
    "A new data key {kid} was written to {path} (readable by you only).\n"
    "Back it up now, apart from the database backups: without it nobody, you included, can read the NIKs,\n"
    "KK and phone numbers and GPS positions in the database or in any backup. `ats-bot db backup FILE --key-file KEYFILE`\n"
    "writes a copy next to a backup."
)

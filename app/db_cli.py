"""``ats-bot db ...`` and ``ats-bot regions ...``: database administration from the command line.

Their arguments are declared in ``app/commands/db.py``; each ``cmd_*`` takes the parsed arguments and returns
the exit code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.settings import get_settings
from storage.backup import BackupError, backup, restore
from storage.db import Database
from storage.keyring_check import verify_keyring
from storage.keys import FIRST_START_NOTICE, key_source, write_key_file
from storage.regions import import_regions_csv, load_regions
from storage.repositories.audit import record
from storage.schema_state import UPGRADE_COMMAND, SchemaUnknownError, current_revision, head_revision, upgrade
from storage.startup import open_database


def _url() -> str:
    return get_settings().database_url


def cmd_upgrade(_args: argparse.Namespace) -> int:
    """First start: the data key is created (or read) before the schema, so the migration can encrypt with it."""
    settings = get_settings()
    source = key_source(settings, create=True)
    keyring = source.keyring(settings)
    if source.created:
        print(FIRST_START_NOTICE.format(kid=keyring.current_id, path=Path(source.origin).resolve()))
    before = current_revision(_url())
    try:
        upgrade(_url())
    except SchemaUnknownError as exc:
        print(f"Not upgraded: {exc}")
        return 1
    db = Database.from_url(_url(), keyring)
    try:
        verify_keyring(db)
    finally:
        db.dispose()
    after = current_revision(_url())
    if before is None:
        done = f"Created the database schema ({after})"
    elif before == after:
        done = f"Database schema is at {after} (up to date; nothing to do)"
    else:
        done = f"Database schema upgraded from {before} to {after}"
    print(f"{done}; data key {keyring.current_id} from {source.origin}.")
    return 0


def cmd_current(_args: argparse.Namespace) -> int:
    current, head = current_revision(_url()), head_revision()
    if current == head:
        print(f"{current} (up to date)")
        return 0
    print(f"{current or 'empty database'}; this version needs {head}. Run: {UPGRADE_COMMAND}")
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    settings = get_settings()
    source = key_source(settings)
    if args.key_file is not None and args.key_file.resolve() == args.file.resolve():
        print("Backup not written: the key must go to a file apart from the backup.")
        return 1
    try:
        backup(_url(), args.file)
    except BackupError as exc:
        print(f"Backup failed: {exc}")
        return 1
    kid = source.keyring(settings).current_id
    print(f"Backup written to {args.file} ({args.file.stat().st_size:,} bytes, readable by you only).")
    if args.key_file is not None:
        write_key_file(args.key_file, source.secrets)
        print(f"Data key {kid} written to {args.key_file} (readable by you only): store it apart from the backup.")
    else:
        print(
            f"NIKs, KK and phone numbers and GPS positions in it are encrypted with data key {kid} ({source.origin}): "
            "the backup is unreadable without that key. Keep a copy of the key apart from the backups "
            "(--key-file KEYFILE writes one)."
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    if not args.yes:
        print(f"Nothing restored: restoring {args.file} replaces everything in the database "
              "(all that was written since the backup is lost). Stop the bot, then repeat with --yes to confirm.")
        return 1
    try:
        revision = restore(_url(), args.file, overwrite=args.yes)
    except BackupError as exc:
        print(f"Restore failed: {exc}")
        return 1
    _audit_restore(args.file, revision)
    head = head_revision()
    if revision == head:
        print(f"Restored {args.file}; schema is up to date ({revision}).")
        return _check_key_after_restore()
    if revision is None:
        print(f"Restored {args.file}, but it has no schema revision: is it an ATS Bot backup?")
        return 1
    print(f"Restored {args.file} at schema {revision}; this version needs {head}. Run: {UPGRADE_COMMAND}")
    return 0


def _audit_restore(source: Path, revision: str | None) -> None:
    """The restored database records who restored it, from which file (its own log was replaced)."""
    db = Database.from_url(_url())
    try:
        record(db, "db.restore", "database", "restore", detail={"file": str(source), "revision": revision})
    except SQLAlchemyError as exc:
        print(f"Note: the restore could not be audited in the database ({type(exc).__name__}).")
    finally:
        db.dispose()


def _check_key_after_restore() -> int:
    """A backup made under another key is named now, not when a NIK is first read."""
    db = open_database(get_settings())
    db.dispose()
    return 0


def cmd_regions_load(args: argparse.Namespace) -> int:
    return _load_regions(lambda session: load_regions(session, args.kabupaten_code))


def cmd_regions_import_csv(args: argparse.Namespace) -> int:
    return _load_regions(lambda session: import_regions_csv(session, args.file))


def _load_regions(loader: Callable[[Session], int]) -> int:
    db = Database.from_url(_url())
    try:
        with db.write() as session:
            created = loader(session)
    except ValueError as exc:
        print(f"Regions not loaded: {exc}")
        return 1
    finally:
        db.dispose()
    print(f"{created} new region(s) stored.")
    return 0

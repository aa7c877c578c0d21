"""``ats-bot db ...`` and ``ats-bot regions ...``: database administration from the command line.

Their arguments are declared in ``app/commands/db.py``; each ``cmd_*`` takes the parsed arguments and returns
the exit code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.settings import get_settings
from storage.backup import BackupError, backup, restore
from storage.db import Database
from storage.regions import import_regions_csv, load_regions
from storage.schema_state import UPGRADE_COMMAND, SchemaUnknownError, current_revision, head_revision, upgrade


def _url() -> str:
    return get_settings().database_url


def cmd_upgrade(_args: argparse.Namespace) -> int:
    before = current_revision(_url())
    try:
        upgrade(_url())
    except SchemaUnknownError as exc:
        print(f"Not upgraded: {exc}")
        return 1
    after = current_revision(_url())
    if before is None:
        print(f"Created the database schema ({after}).")
    elif before == after:
        print(f"Database schema is at {after} (up to date; nothing to do).")
    else:
        print(f"Database schema upgraded from {before} to {after}.")
    return 0


def cmd_current(_args: argparse.Namespace) -> int:
    current, head = current_revision(_url()), head_revision()
    if current == head:
        print(f"{current} (up to date)")
        return 0
    print(f"{current or 'empty database'}; this version needs {head}. Run: {UPGRADE_COMMAND}")
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        backup(_url(), args.file)
    except BackupError as exc:
        print(f"Backup failed: {exc}")
        return 1
    print(f"Backup written to {args.file} ({args.file.stat().st_size:,} bytes).")
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
    head = head_revision()
    if revision == head:
        print(f"Restored {args.file}; schema is up to date ({revision}).")
        return 0
    if revision is None:
        print(f"Restored {args.file}, but it has no schema revision: is it an ATS Bot backup?")
        return 1
    print(f"Restored {args.file} at schema {revision}; this version needs {head}. Run: {UPGRADE_COMMAND}")
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

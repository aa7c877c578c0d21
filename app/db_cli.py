"""``ats-bot db ...`` and ``ats-bot regions ...``: database administration from the command line.

``app/cli.py`` calls :func:`register` and :func:`register_regions` on its sub-parsers; each command sets
``func`` (namespace → exit code) as its handler.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sqlalchemy.orm import Session

from app.settings import get_settings
from storage.backup import BackupError, backup, restore
from storage.db import Database
from storage.regions import import_regions_csv, load_regions
from storage.schema_state import UPGRADE_COMMAND, current_revision, head_revision, upgrade


def _url() -> str:
    return get_settings().database_url


def cmd_upgrade(_args: argparse.Namespace) -> int:
    upgrade(_url())
    print(f"Database schema is at {current_revision(_url())} (up to date).")
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

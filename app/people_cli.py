"""``ats-bot invite``, ``ats-bot requests`` and ``ats-bot data purge``: people, their requests, retention."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import segno
from sqlalchemy import select

from app.telegram_check import TelegramRefused, TelegramUnreachable, bot_username
from cases.schools import school_by_npsn
from core.authz import covers
from core.settings import get_settings
from storage.models import DataRequest, DataRequestStatus, Region, Role
from storage.repositories.audit import record
from storage.repositories.invitations import add_invitation
from storage.retention import purge_closed_cases
from storage.startup import open_database
from storage.types import utcnow


def cmd_invite(args: argparse.Namespace) -> int:
    settings = get_settings()
    db = open_database(settings)
    role = Role(args.role)
    with db.read() as session:
        region = session.get(Region, args.region)
    if region is None:
        print(f"region {args.region} is not loaded: check the Kemendagri code, or load it first "
              f"(ats-bot regions load {'.'.join(args.region.split('.')[:2])})", file=sys.stderr)
        return 2
    school = school_by_npsn(db, args.school) if args.school else None
    if (role is Role.OPERATOR_SEKOLAH) != (args.school is not None):
        print("--school NPSN is needed for operator_sekolah, and only for it", file=sys.stderr)
        return 2
    if args.school and (school is None or not covers(args.region, school.region_code)):
        print(f"school {args.school} is not in the school list of region {args.region} (ats-bot schools import)", file=sys.stderr)
        return 2
    try:
        username = bot_username(settings)  # before storing anything: no orphan invitation when Telegram is away
    except (TelegramUnreachable, TelegramRefused) as exc:
        print(f"{exc}. No invitation was created.", file=sys.stderr)
        return 1
    with db.write() as session:
        token = add_invitation(session, role, args.region, validity=dt.timedelta(days=args.days), school_id=school.id if school else None)
    link = f"https://t.me/{username}?start={token}"
    target = args.qr or settings.files_dir.parent / "invitations" / f"invite-{args.role}-{args.region}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    segno.make(link, error="m").save(str(target), kind="png", scale=8, border=2)
    target.chmod(0o600)  # the QR code is the invitation: whoever scans it joins
    print(link)
    print(f"QR code: {target} (valid {args.days} days, usable once)", file=sys.stderr)
    return 0


def cmd_requests_list(args: argparse.Namespace) -> int:
    db = open_database(get_settings())
    with db.read() as session:
        rows = session.scalars(select(DataRequest).where(DataRequest.status == DataRequestStatus.OPEN).order_by(DataRequest.id)).all()
    if not rows:
        print("No open requests.")
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

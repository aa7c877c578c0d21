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


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    invite = subparsers.add_parser("invite", help="create a one-time invitation link (and QR code) for a role in a region")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.MASYARAKAT])
    invite.add_argument("--region", required=True, help="Kemendagri code, e.g. 33.26 or 33.26.08")
    invite.add_argument("--school", metavar="NPSN", help="for operator_sekolah: their school, from the district's list")
    invite.add_argument("--days", type=int, default=7, help="validity in days (default 7)")
    invite.add_argument("--qr", type=Path, help="write the QR code PNG here (default invite-ROLE-REGION.png)")
    invite.set_defaults(func=cmd_invite)

    requests = subparsers.add_parser("requests", help="correction and deletion requests (UU PDP)")
    sub = requests.add_subparsers(dest="requests_command", required=True)
    sub.add_parser("list", help="open requests").set_defaults(func=cmd_requests_list)
    resolve = sub.add_parser("resolve", help="mark a request handled (after correcting or deleting the data)")
    resolve.add_argument("number", type=int)
    resolve.add_argument("--note", default="", help="what was done")
    resolve.set_defaults(func=cmd_requests_resolve)

    data = subparsers.add_parser("data", help="personal data retention")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    purge = data_sub.add_parser("purge", help="anonymise children of cases closed longer than RETENTION_DAYS")
    purge.add_argument("--dry-run", action="store_true")
    purge.set_defaults(func=cmd_purge)


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

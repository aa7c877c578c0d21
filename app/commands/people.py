"""``ats-bot invite``, ``requests`` and ``data purge`` (implementation: ``app.people_cli``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import handler
from core.enums import Role

IMPL = "app.people_cli"
MAX_INVITE_DAYS = 90


INVITABLE = [r.value for r in Role if r is not Role.MASYARAKAT]
"""Anyone may propose a child without an invitation (masyarakat); every other role is invited."""


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_INVITE_DAYS} days, not {days}")
    return days


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invite = subparsers.add_parser("invite", help="create a one-time invitation link (and QR code) for a role in a region")
    invite.add_argument("--role", required=True, choices=INVITABLE, help="who the link is for")
    invite.add_argument("--region", required=True, help="Kemendagri code, e.g. 33.26 or 33.26.08 (loaded with 'ats-bot regions load')")
    invite.add_argument("--school", metavar="NPSN", help="for operator_sekolah: their school, from the district's list")
    invite.add_argument("--days", type=_days, default=7, help=f"validity in days, 1 to {MAX_INVITE_DAYS} (default 7)")
    invite.add_argument("--qr", type=Path, metavar="FILE",
                        help="write the QR code PNG here (default data/invitations/invite-ROLE-REGION.png)")
    handler(invite, f"{IMPL}:cmd_invite")

    requests = subparsers.add_parser("requests", help="correction and deletion requests (UU PDP)")
    sub = requests.add_subparsers(dest="requests_command", required=True, metavar="COMMAND")
    handler(sub.add_parser("list", help="open requests"), f"{IMPL}:cmd_requests_list")
    resolve = sub.add_parser("resolve", help="mark a request handled (after correcting or deleting the data)")
    resolve.add_argument("number", type=int, metavar="NUMBER", help="the request number ('ats-bot requests list')")
    resolve.add_argument("--note", default="", help="what was done")
    handler(resolve, f"{IMPL}:cmd_requests_resolve")

    data = subparsers.add_parser("data", help="personal data retention")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="COMMAND")
    purge = data_sub.add_parser("purge", help="anonymise children of cases closed longer than RETENTION_DAYS")
    purge.add_argument("--dry-run", action="store_true", help="count, change nothing")
    handler(purge, f"{IMPL}:cmd_purge")

"""``ats-bot reminders due`` (what is due now) and ``ats-bot reminders run-once`` (send it now).

Both use the bot's settings (``DATABASE_URL``, ``BOT_TOKEN``, ``BOT_API_BASE_URL``…) and the reminder settings
(``REMINDER_*``). ``due`` writes nothing; ``run-once`` does what the bot's job does once: materialise the
rules, then claim and send inside the daily window (``--ignore-window`` to send outside it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from core.settings import get_settings
from reminders import rules
from reminders.schedule import OPEN_STATES, materialise
from reminders.settings import get_reminder_settings
from storage.db import Database
from storage.models import Case, Person, Region, Reminder
from storage.types import utcnow

ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def _open() -> Database:
    from storage.startup import open_database

    return open_database(get_settings())


def due_rows(db: Database, now: dt.datetime, limit: int = 200) -> list[dict[str, Any]]:
    """What is due at ``now``: stored pending/snoozed rows and rows the rules want but nobody stored yet."""
    settings = get_reminder_settings()
    planned = materialise(db, settings, now, dry_run=True, horizon=now).planned
    with db.read() as session:
        stored = session.execute(
            select(Reminder.kind, Reminder.person_id, Reminder.due_at, Reminder.timezone, Reminder.state, Reminder.case_id)
            .where(Reminder.state.in_(OPEN_STATES), Reminder.due_at <= now)
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        ).all()
        items = [(k, p, d, tz.value, s.value, c) for k, p, d, tz, s, c in stored]
        items += [(str(d.kind), d.person_id, d.due_at, d.timezone, "new", d.case_id) for d in planned]
        items = sorted(items, key=lambda item: item[2])[:limit]
        people = {
            pid: (name, role.value, region)
            for pid, name, role, region in session.execute(
                select(Person.id, Person.display_name, Person.role, Person.region_code).where(Person.id.in_({i[1] for i in items}))
            )
        }
        regions = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_({p[2] for p in people.values() if p[2]}))).all())
        references = dict(session.execute(select(Case.id, Case.reference).where(Case.id.in_({i[5] for i in items if i[5]}))).all())
    rows = []
    for kind, pid, due_at, tz, state, case_id in items:
        name, role, region = people.get(pid, ("", "", None))
        local = due_at.astimezone(rules.zone(tz))
        rows.append({
            "kind": kind,
            "recipient": (name.split() or ["?"])[0],
            "role": role,
            "region": regions.get(region, region) if region else "—",
            "due": f"{local:%Y-%m-%d %H:%M} {ZONE_NAMES.get(tz, tz)}",
            "state": state,
            "case": references.get(case_id, "") if case_id else "",
        })
    return rows


def _table(rows: Sequence[dict[str, Any]]) -> str:
    columns = ["kind", "recipient", "role", "region", "due", "state", "case"]
    widths = {c: max([len(c), *(len(str(r[c])) for r in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def _due(args: argparse.Namespace) -> int:
    db = _open()
    try:
        rows = due_rows(db, utcnow(), args.limit)
    finally:
        db.dispose()
    print(_table(rows) if rows else "Nothing is due.")
    return 0


def _run_once(args: argparse.Namespace) -> int:
    from telegram import Bot

    from reminders.job import Runner

    settings = get_settings()
    if not settings.bot_token:
        print("BOT_TOKEN is not set: nothing can be sent.", file=sys.stderr)
        return 2
    db = _open()

    async def run() -> tuple[Any, Any]:
        bot = Bot(settings.bot_token, base_url=settings.bot_api_base_url, base_file_url=settings.file_url())
        async with bot:
            runner = Runner(db, get_reminder_settings(), claimed_by=f"cli:{socket.gethostname()[:60]}:{os.getpid()}")
            return await runner.run_once(bot, ignore_window=args.ignore_window)

    try:
        scheduled, swept = asyncio.run(run())
    finally:
        db.dispose()
    print(f"materialised: {scheduled.inserted} new, {scheduled.cancelled} cancelled ({scheduled.cases_seen} open cases, {scheduled.seconds:.1f}s)")
    if not swept.open_zones:
        print("outside the daily window in every time zone: nothing sent (use --ignore-window to send anyway)")
    print(f"sent: {swept.sent}, failed: {swept.failed}, released after 429: {swept.released}, "
          f"uncertain: {swept.uncertain}, skipped (unreachable): {swept.skipped}, newly unreachable: {len(swept.blocked)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.reminders_cli due|run-once`` (the same as ``ats-bot reminders …``)."""
    from app.cli import main as cli_main

    return cli_main(["reminders", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    sys.exit(main())

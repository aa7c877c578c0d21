"""``ats-bot web`` and ``ats-bot web link``: serve the dashboard, or print a sign-in link for the operator."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from sqlalchemy import select

from core.clock import Clock, shifted_clock
from core.settings import Settings, get_settings
from storage.crypto import MissingDataKeyError
from storage.db import Database
from storage.models import Person
from storage.schema_state import SchemaBehindError, SchemaUnknownError
from storage.startup import open_database


def _database() -> Database | None:
    try:
        return open_database(get_settings())
    except (SchemaBehindError, SchemaUnknownError, MissingDataKeyError) as exc:
        print(str(exc), file=sys.stderr)
        return None


def product_clock(today: str | None, settings: Settings) -> Clock:
    """The product's clock: ``--today``, else ``SIMULATED_DATE``, shifts it to that date (:mod:`core.clock`)."""
    try:
        day = dt.date.fromisoformat(today) if today else settings.simulated_date
    except ValueError:
        raise SystemExit(f"--today: {today!r} is not a date like 2026-11-23") from None
    return shifted_clock(day)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    settings = get_settings()
    clock = product_clock(args.today, settings)
    db = _database()
    if db is None:
        return 2
    host, port = args.host or settings.web_host, args.port or settings.web_port
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stdout)
    print(f"ATS dashboard: {settings.dashboard_url()} (listening on {host}:{port}); sign in with /dasbor in the chat "
          "or `ats-bot web link --telegram-id ID`", flush=True)
    uvicorn.run(create_app(db, settings, clock), host=host, port=port, proxy_headers=True, log_level="warning")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from web.auth import NotForDashboard, issue_link

    settings = get_settings()
    db = _database()
    if db is None:
        return 2
    with db.read() as session:
        person_id = session.scalar(select(Person.id).where(Person.telegram_user_id == args.telegram_id))
    if person_id is None:
        print(f"No person with Telegram id {args.telegram_id} has used the bot yet.", file=sys.stderr)
        return 1
    try:
        token = issue_link(db, person_id, shifted_clock(settings.simulated_date)(), settings.web_link_minutes, via="cli")
    except NotForDashboard as refused:
        print(f"This person's role ({refused}) has no dashboard: teams, school operators and pendamping do.", file=sys.stderr)
        return 1
    print(f"{settings.dashboard_url()}/masuk/{token}")
    print(f"(one use, valid {settings.web_link_minutes} minutes)", file=sys.stderr)
    return 0

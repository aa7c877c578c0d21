"""The scheduled early-warning pass: flagged pupils reach their pendamping, desa team and kecamatan coordinator.

Monitoring and Indikator Risiko forms alert at once from the chat (``bot.handlers.programme``); this job catches the
rest (signs found by an import, a reconciliation, a form sent from the command line) on PTB's job queue. It runs
every ``ALERT_INTERVAL`` seconds, sends only inside the daily window of the pupil's time zone (the reminders'
window: WITA pupils hear at 08:00 WITA, not WIB), and records each alert, so the same signs are never re-sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

from telegram import Bot
from telegram.ext import Application, ContextTypes, Job

from core.clock import Clock as WallClock
from core.outbound import Delivered, send_text
from reminders.rules import is_open
from reminders.settings import ReminderSettings, get_reminder_settings
from reports.early_warning import Alert, due_alerts, mark_alerted
from storage.db import Database
from storage.regions import timezone_for
from storage.types import utcnow

log = logging.getLogger(__name__)
JOB_NAME = "early-warning"
ALERT_INTERVAL = 3600.0


def sendable(alerts: list[Alert], now: dt.datetime, settings: ReminderSettings) -> list[Alert]:
    """The alerts whose pupil's time zone is inside the daily window now, for people reachable on Telegram."""
    return [a for a in alerts if a.chat_id is not None and a.region_code and is_open(now, timezone_for(a.region_code).value, settings)]


async def run_pass(bot: Bot, db: Database, settings: ReminderSettings, now: dt.datetime | None = None,
                   today: dt.date | None = None) -> int:
    """Send every due alert that may go out now; returns how many were delivered."""
    now = now or utcnow()
    alerts = sendable(await asyncio.to_thread(due_alerts, db, "", today or now.date()), now, settings)
    delivered = 0
    for alert in alerts:
        sent = await send_text(bot, alert.chat_id, alert.text)  # type: ignore[arg-type]
        if not isinstance(sent, Delivered):  # blocked, refused or lost: the desa team and the kecamatan still hear
            log.warning(json.dumps({"early_warning": "not delivered", "case": alert.case_id}))
            continue
        await asyncio.to_thread(mark_alerted, db, alert)
        delivered += 1
    return delivered


def install(application: Application, db: Database, settings: ReminderSettings | None = None,
            wall: WallClock = utcnow) -> Job[Any] | None:
    """Register the repeating early-warning pass on ``application.job_queue`` (off with the reminders)."""
    settings = settings or get_reminder_settings()
    if not settings.enabled or application.job_queue is None:
        return None

    async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            sent = await run_pass(context.bot, db, settings, now=wall())
        except Exception:
            log.exception("early-warning pass failed")
            return
        if sent:
            log.info(json.dumps({"early_warning": "sent", "alerts": sent}))

    return application.job_queue.run_repeating(job, interval=ALERT_INTERVAL, first=settings.first_sweep_seconds + 5, name=JOB_NAME,
                                               job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})

"""The one repeating job that keeps the accompaniment going, on PTB's job queue (APScheduler underneath).

Reminders are rows, not scheduler jobs: every ``sweep_seconds`` the job claims and sends the due rows
(:func:`reminders.sweep.deliver_due`), and every ``materialise_seconds`` it evaluates the rules over the cases
whose next check is due in a worker thread (:func:`reminders.schedule.materialise`) without holding up the
sweeps; once every ``reconcile_hours`` the pass starts with the set-based reconciliation
(:func:`reminders.next_due.reconcile`). Several bot
processes may run it on one PostgreSQL database: claims never overlap and only one materialises at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import socket
import time
import uuid
from typing import Any

from telegram import Bot
from telegram.ext import Application, ContextTypes, Job

from core.clock import Clock as WallClock
from reminders.next_due import reconcile
from reminders.schedule import ScheduleReport, materialise
from reminders.settings import ReminderSettings, get_reminder_settings
from reminders.sweep import Clock, Sleep, SweepReport, deliver_due
from storage.db import Database
from storage.types import utcnow

log = logging.getLogger(__name__)
JOB_NAME = "reminders"


def default_claimer() -> str:
    """Who claims rows: host, process and a random suffix (recorded in ``reminders.claimed_by``)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Runner:
    """The state of the job between ticks: when the rules last ran, and the pass running now (if any)."""

    def __init__(
        self,
        db: Database,
        settings: ReminderSettings,
        claimed_by: str | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall: WallClock = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.claimed_by = claimed_by or default_claimer()
        self.clock, self.sleep = clock, sleep
        """The pacing's clock (tests use a virtual one)."""
        self.wall = wall
        """What time it is for the rules (the product's clock: SIMULATED_DATE shifts it)."""
        self.last_materialised = float("-inf")
        self.last_reconciled = float("-inf")
        self.materialising: asyncio.Task[ScheduleReport] | None = None
        self.last_sweep: SweepReport | None = None

    def _start_materialise(self, now: dt.datetime) -> asyncio.Task[ScheduleReport] | None:
        if self.materialising is not None and not self.materialising.done():
            return None
        if time.monotonic() - self.last_materialised < self.settings.materialise_seconds:
            return None
        self.last_materialised = time.monotonic()
        reconcile_first = time.monotonic() - self.last_reconciled >= self.settings.reconcile_hours * 3600
        if reconcile_first:
            self.last_reconciled = time.monotonic()
        self.materialising = asyncio.create_task(asyncio.to_thread(self._pass, now, reconcile_first))
        self.materialising.add_done_callback(_log_failure)
        return self.materialising

    def _pass(self, now: dt.datetime, reconcile_first: bool) -> ScheduleReport:
        """The background pass: the daily reconciliation when it is time, then the materialisation."""
        if reconcile_first:
            reconcile(self.db, now)
        return materialise(self.db, self.settings, now)

    async def tick(self, bot: Bot, now: dt.datetime | None = None) -> SweepReport | None:
        """One tick: start the rules' pass when it is time (in the background), then sweep."""
        now = now or self.wall()
        self._start_materialise(now)
        try:
            self.last_sweep = await deliver_due(bot, self.db, self.settings, now, claimed_by=self.claimed_by, clock=self.clock, sleep=self.sleep)
        except Exception:
            log.exception("reminder sweep failed")
            return None
        return self.last_sweep

    async def run_once(self, bot: Bot, now: dt.datetime | None = None, *, ignore_window: bool = False) -> tuple[ScheduleReport, SweepReport]:
        """Materialise, then send everything due (sweep after sweep), and wait for both (the CLI's ``run-once``, tests)."""
        now = now or self.wall()
        scheduled = await asyncio.to_thread(self._pass, now, False)
        self.last_materialised = time.monotonic()
        total: SweepReport | None = None
        while True:
            swept = await deliver_due(bot, self.db, self.settings, now, claimed_by=self.claimed_by, ignore_window=ignore_window,
                                      clock=self.clock, sleep=self.sleep)
            total = swept if total is None else total.merge(swept)
            if swept.claimed < self.settings.max_per_sweep:
                return scheduled, total

    async def __call__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.tick(context.bot)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error(json.dumps({"reminders": "materialise failed", "error": type(error).__name__}), exc_info=error)


def install(application: Application, db: Database, settings: ReminderSettings | None = None,
            wall: WallClock = utcnow) -> Job[Any] | None:
    """Register the reminders' one repeating job on ``application.job_queue``; None when reminders are disabled.

    Call it once while building the application (before ``run_polling``/``run_webhook``). The job's first run is
    a few seconds after start-up; a tick never overlaps the previous one (APScheduler ``max_instances=1``).
    """
    settings = settings or get_reminder_settings()
    if not settings.enabled:
        log.info("reminders disabled (REMINDER_ENABLED=false)")
        return None
    if application.job_queue is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    runner = Runner(db, settings, wall=wall)
    application.bot_data["reminders"] = runner
    return application.job_queue.run_repeating(
        runner,
        interval=settings.sweep_seconds,
        first=settings.first_sweep_seconds,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )

"""The bot's scheduled housekeeping: forgetting handled update ids once Telegram can no longer redeliver them, and
deleting kept files no row names.

Every update id a turn handles is stored with the turn (``processed_updates``), so a redelivered update changes
nothing. Telegram keeps an undelivered update for 24 hours, so ids older than ``UPDATE_IDS_HOURS`` (48 by
default) can never come back: a job on PTB's job queue (APScheduler) deletes them every hour, so the table stays
the size of two days of traffic however long the bot runs. The same job deletes a received photo's file whose
turn never committed (the process died between writing the file and the commit: nothing names it, see
:mod:`storage.repositories.files`), once it is older than ``UNREFERENCED_GRACE``; the first run is a minute
after start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from telegram.ext import Application, ContextTypes, Job

from storage.db import Database
from storage.repositories.files import UNREFERENCED_GRACE, sweep_unreferenced
from storage.repositories.updates import prune_processed_updates
from storage.types import utcnow

log = logging.getLogger(__name__)
JOB_NAME = "forget-update-ids"
PRUNE_INTERVAL = 3600.0


def prune(db: Database, keep: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Forget the update ids handled more than ``keep`` ago; returns how many."""
    return prune_processed_updates(db, (now or utcnow()) - keep)


def sweep_files(db: Database, files_dir: Path, now: dt.datetime | None = None) -> int:
    """Delete the kept files no row names that are older than any turn lasts; returns how many."""
    return sweep_unreferenced(db, files_dir, (now or utcnow()) - UNREFERENCED_GRACE)


def install(application: Application, db: Database, keep_hours: int, files_dir: Path | None = None) -> Job[Any] | None:
    """Register the hourly pruning (and, given ``files_dir``, the sweep of unreferenced files) on
    ``application.job_queue`` (the first run a minute after start)."""
    if application.job_queue is None:
        return None
    keep = dt.timedelta(hours=keep_hours)

    async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            forgotten = await asyncio.to_thread(prune, db, keep)
            swept = await asyncio.to_thread(sweep_files, db, files_dir) if files_dir is not None else 0
        except Exception:  # the next run tries again; the bot keeps answering either way
            log.exception("housekeeping failed")
            return
        log.info(json.dumps({"update_ids_forgotten": forgotten, "unreferenced_files_deleted": swept}))

    return application.job_queue.run_repeating(job, interval=PRUNE_INTERVAL, first=60, name=JOB_NAME,
                                               job_kwargs={"max_instances": 1, "coalesce": True})

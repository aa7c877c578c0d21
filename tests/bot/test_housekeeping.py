"""Handled update ids are forgotten on a schedule, once Telegram can no longer redeliver them."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from telegram.ext import ApplicationBuilder

from bot.conversation import Conversations
from bot.housekeeping import JOB_NAME, PRUNE_INTERVAL, install, prune
from bot.model import Incoming, Kind
from core.settings import Settings
from storage.db import Database
from storage.models import ProcessedUpdate
from storage.repositories.files import UNREFERENCED_GRACE
from storage.types import utcnow

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def handled(db: Database, *ages_in_hours: float, now: dt.datetime = NOW) -> None:
    with db.write() as session:
        for n, hours in enumerate(ages_in_hours, start=1):
            session.add(ProcessedUpdate(bot_id=0, update_id=n, processed_at=now - dt.timedelta(hours=hours)))


def kept(db: Database) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id)))


def test_ids_older_than_the_retention_are_forgotten(db: Database, conversations: Conversations) -> None:
    handled(db, 72, 49, 47, 1)
    assert prune(db, dt.timedelta(hours=48), NOW) == 2
    assert kept(db) == [3, 4]
    again = conversations.process(Incoming(4, 1001, 1001, "Siti", "id", Kind.TEXT, text="halo"))
    assert again.duplicate  # an id still kept is still recognised when Telegram sends it again


def test_the_bot_prunes_hourly_on_its_job_queue(db: Database, tmp_path: Path) -> None:
    handled(db, 50, 2, now=utcnow())
    orphan = tmp_path / "files" / "ab" / "abcdef.enc"  # a photo whose turn died before its commit
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"ciphertext")
    old = (utcnow() - 2 * UNREFERENCED_GRACE).timestamp()
    os.utime(orphan, (old, old))
    application = ApplicationBuilder().token("123:ABC").build()
    job = install(application, db, keep_hours=48, files_dir=tmp_path / "files")
    assert job is not None and [j.name for j in application.job_queue.jobs()] == [JOB_NAME]  # type: ignore[union-attr]
    assert job.job.trigger.interval == dt.timedelta(seconds=PRUNE_INTERVAL)
    asyncio.run(job.callback(None))  # what the scheduler runs every hour
    assert kept(db) == [2] and not orphan.exists()


def test_the_retention_is_configurable_but_never_shorter_than_telegrams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_IDS_HOURS", "72")
    assert Settings(_env_file=None).update_ids_hours == 72
    monkeypatch.setenv("UPDATE_IDS_HOURS", "12")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)

"""A bot process that only sweeps reminders, for the two-process test.

    python -m tests.reminders.sweeper DB_URL BASE_URL TOKEN NOW_ISO START_AT NAME OUT_JSON

Waits until ``START_AT`` (a ``time.time()`` value) so that both processes start together, then sweeps with a
real ``telegram.Bot`` against the Bot API emulator until two sweeps in a row claim nothing, and writes its
reports to ``OUT_JSON``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time

from telegram import Bot

from reminders.settings import ReminderSettings
from reminders.sweep import deliver_due
from storage.db import Database


async def main(url: str, base_url: str, token: str, now: dt.datetime, start_at: float, name: str, out: str) -> None:
    db = Database.from_url(url)
    settings = ReminderSettings(_env_file=None, max_per_second=500, per_chat_seconds=0, claim_batch=5, max_in_flight=4)
    reports = []
    async with Bot(token, base_url=base_url) as bot:
        time.sleep(max(0.0, start_at - time.time()))  # noqa: ASYNC251  both processes start together; nothing else runs yet
        empty = 0
        while empty < 2:
            report = await deliver_due(bot, db, settings, now, claimed_by=name)
            reports.append(report.as_dict())
            empty = empty + 1 if report.claimed == 0 else 0
    db.dispose()
    with open(out, "w", encoding="utf-8") as fh:  # noqa: ASYNC230  after the loop, once
        json.dump(reports, fh, default=str)


if __name__ == "__main__":
    url, base_url, token, now, start_at, name, out = sys.argv[1:8]
    asyncio.run(main(url, base_url, token, dt.datetime.fromisoformat(now), float(start_at), name, out))

"""The product's clock: the real one, or one that reads a simulated date (training, demonstrations, tests).

``SIMULATED_DATE`` in the settings (or ``--today`` on the command line) shifts the real clock by whole days so
that it reads that date. The shift is computed from the real date, so every process started with the same setting
agrees to the second: a sign-in link the bot issues is valid for exactly its minutes in the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def shifted_clock(day: dt.date | None, real: Clock = utc_now) -> Clock:
    """``real``, or ``real`` moved by whole days so that today (UTC) is ``day``; the time of day runs on."""
    if day is None:
        return real
    shift = dt.timedelta(days=(day - real().date()).days)
    return lambda: real() + shift


def local_day(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The calendar day of ``now`` where ``zone`` keeps time (WIB, WITA or WIT)."""
    return now.astimezone(zone).date()

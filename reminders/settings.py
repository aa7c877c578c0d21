"""What an operator may tune about reminders: ``REMINDER_*`` environment variables (or ``.env``).

Periods and grace periods follow the KUDU Sekolah guide by default: a visit log at least every 2 months before
the return to school (Bab II.D.4), monitoring every month after it (Bab II.H), a recap every 3 months and an
evaluation every 6 months (Bab IV). Grace periods count working days (national holidays and cuti bersama off).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import ClassVar

from pydantic import Field, model_validator

from core.env_settings import EnvSettings


class ReminderSettings(EnvSettings):
    env_prefix: ClassVar[str] = "REMINDER_"

    enabled: bool = True
    """False: ``reminders.job.install`` registers nothing (the CLI still works)."""

    # -- rules ------------------------------------------------------------------------------------------------
    visit_months: int = Field(default=2, ge=1, le=12)
    """Before the return to school: remind the pendamping when no visit log for this many months (Bab II.D.4)."""
    monitoring_months: int = Field(default=1, ge=1, le=12)
    """After the return: prompt the monitoring this many months after the last one (Bab II.H)."""
    followup_working_days: int = Field(default=5, ge=1, le=60)
    """Remind the pendamping again this many working days after the first reminder if the log is still missing."""
    escalation_working_days: int = Field(default=5, ge=1, le=60)
    """Tell the village team this many working days after the second reminder if the log is still missing."""
    recap_months: int = Field(default=3)
    """Recap to the kecamatan team every this many months (calendar periods starting in January)."""
    evaluation_months: int = Field(default=6)
    """Evaluation prompt to the kabupaten team every this many months (calendar periods starting in January)."""
    snooze_working_days: int = Field(default=3, ge=1, le=30)
    max_snoozes: int = Field(default=3, ge=0, le=20)
    """How many times one reminder may be snoozed."""
    catch_up_days: int = Field(default=14, ge=0, le=366)
    """Recaps, evaluations and unreachable notices older than this are not sent any more (first start, long outage)."""

    # -- when -------------------------------------------------------------------------------------------------
    window_start: dt.time = dt.time(8, 0)
    """Local time (of the recipient's region) from which reminders may go out."""
    window_end: dt.time = dt.time(17, 0)
    """Local time until which reminders may go out (exclusive)."""
    working_days_only: bool = True
    """Send only on working days (no weekends, national holidays or cuti bersama)."""
    lookahead_minutes: int = Field(default=60, ge=0, le=24 * 60)
    """Rows are materialised this long before they are due, so they go out on time at the window's opening."""

    # -- how often --------------------------------------------------------------------------------------------
    sweep_seconds: float = Field(default=30, gt=0)
    """The one repeating job: how often it claims and sends due reminders."""
    first_sweep_seconds: float = Field(default=5, ge=0)
    """Delay of the job's first run after the bot starts."""
    materialise_seconds: float = Field(default=600, gt=0)
    """How often the rules are evaluated over all open cases (in the background of the sweep)."""
    materialise_batch: int = Field(default=5000, ge=100)
    reconcile_hours: float = Field(default=24, gt=0)
    """How often the set-based safety net over the cases' next checks runs (:func:`reminders.next_due.reconcile`)."""

    # -- delivery ---------------------------------------------------------------------------------------------
    max_per_second: float = Field(default=25, gt=0)
    """Messages per second from this process (Telegram allows about 30 per bot; share it between processes)."""
    per_chat_seconds: float = Field(default=1.0, ge=0)
    """At most one message per chat this often."""
    claim_batch: int = Field(default=700, ge=1, le=10_000)
    """Rows claimed per statement: by default what one sweep may send (``max_per_sweep``), so a sweep claims once.
    A crash can lose at most one batch (claimed = recorded as sent): lower it to lose fewer."""
    max_per_sweep: int = Field(default=700, ge=1)
    """At most this many reminders per sweep (700 at 25/s: about the 30 s between sweeps); the rest go in the next."""
    max_in_flight: int = Field(default=8, ge=1, le=100)
    max_retries: int = Field(default=5, ge=0, le=50)
    """Retries of one message after a 429 (each after ``retry_after``); then the row is released for later."""
    retry_delay_seconds: int = Field(default=300, ge=1)
    """A row released after repeated 429s comes due again this much later."""

    @model_validator(mode="after")
    def _check(self) -> ReminderSettings:
        for name in ("recap_months", "evaluation_months"):
            if getattr(self, name) not in (1, 2, 3, 4, 6, 12):
                raise ValueError(f"{name} must divide the year: 1, 2, 3, 4, 6 or 12")
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


@cache
def get_reminder_settings() -> ReminderSettings:
    """The process-wide reminder settings, read once."""
    return ReminderSettings()

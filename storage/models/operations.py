"""What keeps the bot running: reminders, the audit log, processed Telegram updates and received files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import ReminderState, TimeZone
from storage.models.base import Base, Timestamps, str_enum
from storage.types import utcnow


class Reminder(Timestamps, Base):
    """A message due to someone at a UTC instant (see ``reminders/`` and ``docs/reminders.md``).

    ``period`` (e.g. the date a visit became due, ``2026-10`` for a quarterly recap) makes a reminder unique
    per (kind, case, recipient, period), so schedulers running twice cannot remind twice. A sweep claims a
    due row and marks it ``sent`` in one transaction; ``snoozed`` rows come due again at ``due_at``.
    """

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    period: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    state: Mapped[ReminderState] = mapped_column(
        str_enum(ReminderState, "reminder_state"), default=ReminderState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str | None] = mapped_column(String(24), unique=True)
    """Random and opaque: the only thing the reminder's buttons carry (``r.<token>.<action>``)."""
    timezone: Mapped[TimeZone] = mapped_column(
        str_enum(TimeZone, "time_zone"), default=TimeZone.WIB, server_default=TimeZone.WIB.value
    )
    """The recipient's zone: the row is only claimed inside that zone's daily window."""
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    """Whom a notice is about: the pendamping of an escalation, the unreachable person, the one asking to hand over."""
    detail: Mapped[dict[str, Any] | None]
    """What the message needs beyond the rows it points to (``since``: the last log's date, ``base``: visit/monitoring)."""
    snoozes: Mapped[int] = mapped_column(default=0, server_default="0")


# NULL case ids would never compare equal in a plain unique constraint, hence coalesce.
Index(
    "uq_reminders_period",
    Reminder.kind,
    func.coalesce(Reminder.case_id, 0),
    Reminder.person_id,
    Reminder.period,
    unique=True,
)
# The sweep's queue: only the rows still to send, in due order (a few thousand among millions of sent ones).
_OPEN = Reminder.state.in_([ReminderState.PENDING.value, ReminderState.SNOOZED.value])
Index("ix_reminders_open_due", Reminder.due_at, Reminder.id, postgresql_where=_OPEN, sqlite_where=_OPEN)


class AuditLog(Base):
    """Who did what to which record, when. Never updated; the subject id is text to cover every kind of key."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str | None] = mapped_column(String(13))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ImportBatch(Timestamps, Base):
    """An import being published, chunk by chunk: what each committed chunk wrote is recorded in the same
    transaction, so an import interrupted half-way (the process killed, the machine down) can be removed
    completely later (``ats-bot import --clean``). ``state``: ``publishing``, then ``published`` or ``undone``."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(13))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), index=True)
    rows: Mapped[int] = mapped_column(default=0)
    """Rows published so far."""
    written: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What the committed chunks wrote (ids as ``[first, last]`` ranges), for undoing; emptied once published."""


class ProcessedUpdate(Base):
    """A Telegram update already handled, so a redelivered update is not handled twice."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StoredFile(Base):
    """A photo or document received from Telegram and kept on disk; one row per distinct Telegram file."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_file_id: Mapped[str] = mapped_column(String(200))
    telegram_unique_id: Mapped[str] = mapped_column(String(100), unique=True)
    path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Questionnaires in progress (drafts) and submitted (responses), and their reference numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import DraftStatus
from storage.models.base import Base, Timestamps, str_enum
from storage.sealing import SealedAnswers, SealedJSON
from storage.types import utcnow


class InstrumentSession(Timestamps, Base):
    """A draft: the flow engine's state after every answer, so nothing typed is lost if the bot stops.

    ``version`` is bumped by every save; a save names the version it read, so of two racing saves of one
    draft only one can win (optimistic locking).
    """

    __tablename__ = "instrument_sessions"
    __table_args__ = (Index("ix_instrument_sessions_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    instrument: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(SealedJSON(), default=dict)
    """Opaque to storage: whatever the flow engine needs to resume (current question, answers so far).
    Encrypted as a whole: a draft holds answers not yet checked, pending ones included."""
    current_question: Mapped[str | None] = mapped_column(String(40))
    label: Mapped[str | None] = mapped_column(String(200))
    """A short human description for listing drafts, e.g. the child's name once known."""
    status: Mapped[DraftStatus] = mapped_column(str_enum(DraftStatus, "draft_status"), default=DraftStatus.DRAFT)
    version: Mapped[int] = mapped_column(default=1)


class Response(Base):
    """A submitted questionnaire, frozen with the instrument version it was answered under."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_instrument", "instrument", "instrument_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    instrument: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(SealedAnswers())
    """Answers by question id; those the instrument declares ``personal`` are encrypted (storage.sealing)."""
    session_id: Mapped[int | None] = mapped_column(ForeignKey("instrument_sessions.id"), unique=True)
    """The draft it came from; unique, so a draft can be submitted only once."""
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    location: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON())
    """Where it was answered, e.g. ``{"lat": -7.0, "lon": 109.6}`` from a shared Telegram location."""
    import_batch_id: Mapped[int | None]
    """The import that saved this ``impor`` row: hidden until that import is published (``storage.published``)."""


class ReferenceCounter(Base):
    """The last reference number issued in a kabupaten; bumped atomically by an upsert."""

    __tablename__ = "reference_counters"

    kabupaten_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    last_value: Mapped[int]

"""Cases (one child's way back to school), their status history, pendamping assignments and visits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamps
from storage.types import utcnow


class Case(Timestamps, Base):
    """A child's case. ``status`` is the workflow's vocabulary, kept as text so it can evolve without a migration."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_region_status", "region_code", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    status: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    category: Mapped[str | None] = mapped_column(String(40))


class CaseEvent(Base):
    """One status change; the full history of a case is its events in order."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """A pendamping accompanying a case for a period; ``active`` is false once handed over or finished."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_case_active", "case_id", "active"),
        Index("ix_assignments_pendamping_active", "pendamping_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    pendamping_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_to: Mapped[datetime | None]


class Visit(Base):
    """A home or school visit by a pendamping, with the response recorded during it."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    pendamping_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    visit_date: Mapped[date]
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Cases (one child's way back to school), their status history, pendamping assignments and visits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamps
from storage.sealing import SealedJSON
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
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    """Who proposed the child (Bab II.C): told whether the proposal was valid."""
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    """The volunteer who took the proposal to verify it."""
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    """When closed as a duplicate: the case that already follows this child."""
    import_batch_id: Mapped[int | None]
    """The import that opened it: hidden until that import is published (``storage.published``)."""


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
    event: Mapped[str | None] = mapped_column(String(40))
    """The lifecycle event (``cases.lifecycle``) that made the change; None for the opening and older rows."""
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    """The form that caused the change (Rekonfirmasi, Surat Pernyataan, Pemilihan Sekolah, Monitoring)."""


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


class CaseProposal(Base):
    """What a member of the public knew when proposing a child (Bab II.C); one per proposed case.

    Kept apart from the child so that the free text, photo and location can be erased on their own.
    """

    __tablename__ = "case_proposals"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    approx_age: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    """Telegram file id of the photo sent with the proposal."""
    location: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON())
    """Encrypted. ``{"latitude": -7.0, "longitude": 109.6}`` when the proposer shared where the child lives."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchoolChoice(Base):
    """The school or PKBM agreed with the family (Bab II.E, Lampiran 9); the latest row is the current choice."""

    __tablename__ = "school_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    pathway: Mapped[str] = mapped_column(String(10))
    """``formal`` or ``nonformal`` (Paket A/B/C at a PKBM)."""
    level: Mapped[str | None] = mapped_column(String(40))
    """The jenjang (SD/MI, SMP/MTs, SMA/MA, SMK) or paket chosen, as labelled on the form."""
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    """The school in the district's list, when its NPSN is there."""
    npsn: Mapped[str | None] = mapped_column(String(8))
    school_name: Mapped[str] = mapped_column(String(200))
    class_level: Mapped[str | None] = mapped_column(String(60))
    chosen_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrolment(Base):
    """A child back in a school (Bab II.F–G): which school, class and year. ``active`` until they leave it."""

    __tablename__ = "enrolments"
    __table_args__ = (Index("ix_enrolments_case_active", "case_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    class_level: Mapped[str] = mapped_column(String(60))
    year: Mapped[int]
    """The year the child (re-)entered, as Monitoring B.6 "Tahun Masuk Sekolah Sekarang"."""
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    """The lifecycle event that ended it: ``drop_out``, ``graduate``, ``move_away``."""

"""Referrals to other agencies and assistance to a returned child (guide Bab II.D, III), with their history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamps
from storage.types import utcnow


class Referral(Timestamps, Base):
    """A child referred to an agency (Disdukcapil for a birth certificate, Dinsos for PKH/KIP, SLB, KUA …).

    ``agency`` is a code of ``cases/data/agencies.yaml``; ``status`` is ``sent``, ``accepted``, ``done`` or
    ``refused``. Its reminder falls on ``due_date`` while it is still open."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_status_due", "status", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agency: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="sent")
    reason: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date]
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    """The visit it came from, when it did."""
    referred_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    closed_at: Mapped[datetime | None]


class Assistance(Timestamps, Base):
    """One programme of help for one child (Bab III): proposed, verified by the kecamatan (Korwil), approved by
    the kabupaten team, disbursed, and the family's report of how it was spent (with a receipt photo)."""

    __tablename__ = "assistance"
    __table_args__ = (Index("ix_assistance_case_programme", "case_id", "programme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    programme: Mapped[str] = mapped_column(String(40))
    """A code of ``cases/data/programmes.yaml``."""
    year: Mapped[int]
    amount: Mapped[int] = mapped_column(BigInteger)
    """Rupiah."""
    level: Mapped[str | None] = mapped_column(String(10))
    """The school level the amount was taken for (SD, SMP, SMA, Paket A …)."""
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    disbursed_at: Mapped[datetime | None]
    report_note: Mapped[str | None] = mapped_column(Text)
    receipt_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    """The photo of the receipt, kept encrypted like every photo (``storage.repositories.files``)."""
    reported_at: Mapped[datetime | None]


class ProgrammeEvent(Base):
    """One step of a referral or an assistance, for the case's history (who, when, what, why)."""

    __tablename__ = "programme_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    subject: Mapped[str] = mapped_column(String(20))
    """``referral`` or ``assistance``."""
    subject_id: Mapped[int]
    step: Mapped[str] = mapped_column(String(20))
    """The status it reached (``sent``, ``accepted`` … ``proposed``, ``verified``, ``approved`` …)."""
    what: Mapped[str] = mapped_column(String(40))
    """The agency or programme code."""
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

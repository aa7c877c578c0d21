"""Households, children (found by name and address, optionally by NIK) and schools."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import SchoolLevel, SchoolStatus, Sex
from storage.models.base import Base, Timestamps, str_enum
from storage.types import utcnow


class Household(Timestamps, Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    kk_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Nomor Kartu Keluarga, encrypted like a NIK."""
    kk_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    head_name: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class Child(Timestamps, Base):
    """A child as identified in the field. Many have no NIK, so the name and address identify them too."""

    __tablename__ = "children"
    __table_args__ = (Index("ix_children_identity", "name_normalized", "birth_date", "region_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_normalized: Mapped[str] = mapped_column(String(200))
    """Lower case, no punctuation or accents, single spaces: see ``storage.repositories.children``."""
    nik_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    nik_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    nisn: Mapped[str | None] = mapped_column(String(10), index=True)
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "sex"))
    birth_place: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    """The desa (or, when the desa is unknown, the kecamatan) the child lives in."""
    address: Mapped[str | None] = mapped_column(Text)
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    import_batch_id: Mapped[int | None]
    """The import that recorded the child: hidden until that import is published (``storage.published``)."""


class School(Timestamps, Base):
    """A formal school or PKBM, under its NPSN (Nomor Pokok Sekolah Nasional)."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    npsn: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[SchoolLevel] = mapped_column(str_enum(SchoolLevel, "school_level"))
    status: Mapped[SchoolStatus] = mapped_column(str_enum(SchoolStatus, "school_status"))
    address: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)


class IdentityConflict(Base):
    """Two records that share a NIK but not a name or sex: kept apart until the team decides.

    ``held_child_id`` is the record the new submission or imported row created (without the NIK, which the
    existing child keeps); ``nik_hash``/``nik_encrypted`` are the NIK it gave."""

    __tablename__ = "identity_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    existing_child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    held_child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"), index=True)
    nik_hash: Mapped[str] = mapped_column(String(64))
    nik_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(20))
    """``chat`` or ``import``."""
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    """Where the held record lives: its desa and kecamatan teams review it."""
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    """``open``, then ``merged``, ``kept_apart`` or ``nik_fixed``."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

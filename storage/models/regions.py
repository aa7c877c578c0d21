"""The Kemendagri region hierarchy: kabupaten/kota → kecamatan → desa/kelurahan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import RegionLevel, TimeZone
from storage.models.base import Base, str_enum
from storage.types import utcnow


class Region(Base):
    """One region under its official code (e.g. ``33.26.01.2001``); every region carries its time zone
    because reminders and "today" are local to the district, while storage keeps instants in UTC."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, "region_level"))
    kind: Mapped[str] = mapped_column(String(16))
    """The finer official kind: kabupaten or kota, kecamatan, desa or kelurahan."""
    name: Mapped[str] = mapped_column(String(120))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    timezone: Mapped[TimeZone] = mapped_column(str_enum(TimeZone, "time_zone"))


class RegionTarget(Base):
    """How many out-of-school children a region means to bring back to school in a year (guide Bab I.F).

    Kept in the database so the kabupaten team edits them (dashboard, chat); ``reports/targets.yaml`` only
    seeds the table when it is created. A region without rows of its own is given the sum of the regions
    inside it (:meth:`reports.targets.Targets.for_region`)."""

    __tablename__ = "region_targets"
    __table_args__ = (CheckConstraint("children >= 0", name="children_not_negative"),)

    region_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    """No foreign key: the seed may name a district whose regions are loaded later."""
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    children: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

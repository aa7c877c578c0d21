"""The Kemendagri region hierarchy: kabupaten/kota → kecamatan → desa/kelurahan."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, str_enum
from storage.models.enums import RegionLevel, TimeZone


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

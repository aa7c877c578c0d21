"""The district a case, a person or a letter belongs to: its name, capital and programme, from region data.

Nothing here is about one kabupaten: the name comes from the loaded regions (``ats-bot regions load``), the
capital and the programme's name from ``cases/data/districts.yaml`` (or the ``DISTRICTS_FILE`` setting), with
a sensible fallback for a kabupaten the file does not list.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Region, TimeZone
from storage.regions import kabupaten_of

DISTRICTS_FILE = Path(__file__).parent / "data" / "districts.yaml"
GENERIC_PROGRAMME = "Penanganan Anak Tidak Sekolah"


@dataclass(frozen=True)
class District:
    """A kabupaten/kota as the letters print it."""

    code: str
    name: str
    """``Kabupaten Pekalongan``, ``Kota Palopo``."""
    capital: str
    """The letterhead place: ``Kajen``."""
    programme: str
    timezone: str


@cache
def _district_file(path: str) -> dict[str, dict[str, str]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise TypeError(f"{path}: expected kabupaten codes mapping to {{capital, programme}}")
    return {str(code): {str(k): str(v) for k, v in (entry or {}).items()} for code, entry in data.items()}


def _configured() -> dict[str, dict[str, str]]:
    return _district_file(os.environ.get("DISTRICTS_FILE") or str(DISTRICTS_FILE))


def short_name(name: str) -> str:
    """``Kabupaten Purworejo`` → ``Purworejo``; ``Kota Palopo`` → ``Palopo``."""
    return re.sub(r"^\s*(kabupaten|kab\.|kota)\s+", "", name, flags=re.IGNORECASE).strip() or name


def district_of(session: Session, region_code: str | None) -> District | None:
    """The kabupaten/kota of any region code (kabupaten, kecamatan or desa); None when it is not loaded."""
    if not region_code or region_code.count(".") < 1:
        return None
    code = kabupaten_of(region_code)
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        return None
    entry = _configured().get(code, {})
    return District(code, region.name, entry.get("capital") or short_name(region.name), entry.get("programme") or GENERIC_PROGRAMME,
                    region.timezone.value if isinstance(region.timezone, TimeZone) else str(region.timezone))

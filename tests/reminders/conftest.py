"""Reminder tests: pure rules, and storage-backed tests on SQLite (a temporary file) and a real PostgreSQL.

The storage tests' fixtures (``db``, ``db_url``, ...) give each test a clean, migrated database on either
backend.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from storage.db import Database
from tests.reminders.factory import World
from tests.storage.conftest import (  # noqa: F401  (the storage tests' fixtures, on SQLite and PostgreSQL)
    backend,
    cipher,
    db,
    db_url,
    postgres_server,
    postgres_session_database,
    sqlite_dir,
    sqlite_template,
)

# ruff: noqa: F811  (fixture parameters named like the imported fixtures)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # the Bot API emulator package ``botapi``


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


class VirtualClock:
    """Monotonic time that only moves when someone sleeps: pacing is tested exactly and instantly."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def vclock() -> VirtualClock:
    return VirtualClock()

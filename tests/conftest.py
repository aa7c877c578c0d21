"""Shared test settings: a fixed "today" so ages in fixtures never drift."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def today() -> dt.date:
    return TODAY

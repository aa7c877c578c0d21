"""Two processes polling with one token: said once, in words, without tracebacks (issue 14 §11)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import Conflict, NetworkError

from bot.app import ANOTHER_INSTANCE, _log_error


async def test_a_conflict_is_reported_once_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    bot_data: dict[str, Any] = {}
    caplog.set_level(logging.DEBUG)
    for _ in range(30):  # what four minutes of two pollers produce
        await _log_error(None, SimpleNamespace(error=Conflict("terminated by other getUpdates request"), bot_data=bot_data))  # type: ignore[arg-type]
    assert [r.getMessage() for r in caplog.records] == [ANOTHER_INSTANCE]
    assert all(r.exc_info is None for r in caplog.records)


async def test_other_errors_are_still_logged_with_their_traceback(caplog: pytest.LogCaptureFixture) -> None:
    await _log_error(None, SimpleNamespace(error=NetworkError("boom"), bot_data={}))  # type: ignore[arg-type]
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None

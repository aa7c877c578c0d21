"""Fixtures shared by the engine's tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the machine's events as they are triggered."""
    from transitions.core import Event

    fired: list[str] = []
    trigger = Event.trigger

    def counting(self: Event, model: Any, *args: Any, **kwargs: Any) -> bool:
        fired.append(self.name)
        return bool(trigger(self, model, *args, **kwargs))

    monkeypatch.setattr(Event, "trigger", counting)
    return fired

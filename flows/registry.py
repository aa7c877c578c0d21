"""One compiled machine per instrument version, shared by every conversation in the process."""

from __future__ import annotations

from functools import cache

from flows.compiler import CompiledInstrument
from flows.engine import Engine
from flows.loader import load_version


@cache
def engine(name: str, version: int | None = None) -> Engine:
    """The engine of an instrument; the current version unless an archived one is asked for."""
    return Engine(CompiledInstrument(load_version(name, version)))

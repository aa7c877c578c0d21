"""One compiled machine per instrument version, shared by every conversation in the process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flows.compiler import CompiledInstrument
from flows.engine import Engine
from flows.loader import INSTRUMENT_DIR, load_file, load_instrument

ARCHIVE_DIR = INSTRUMENT_DIR / "archive"
"""Earlier versions of instruments, ``NAME@VERSION.yaml``, kept so old drafts can still be finished."""


@cache
def engine(name: str, version: int | None = None) -> Engine:
    """The engine of an instrument; the current version unless an archived one is asked for."""
    current = load_instrument(name)
    if version is None or version == current.version:
        return Engine(CompiledInstrument(current))
    archived = ARCHIVE_DIR / f"{name}@{version}.yaml"
    if not archived.exists():
        raise KeyError(f"instrument {name!r} has no version {version} (current: {current.version})")
    return Engine(CompiledInstrument(load_file(Path(archived))))

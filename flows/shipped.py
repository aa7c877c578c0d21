"""Where the shipped instruments live and what they are called (no parsing: cheap enough for argument checks)."""

from __future__ import annotations

from pathlib import Path

INSTRUMENT_DIR = Path(__file__).parent / "instruments"


def instrument_names() -> list[str]:
    """Names of the instruments shipped in ``flows/instruments``, in file order."""
    return sorted(p.stem for p in INSTRUMENT_DIR.glob("*.yaml"))

"""Read instrument files: YAML → pydantic model → validated definition (stage 1 and 2 of load/validate/compile)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from flows import errors
from flows.errors import DefinitionProblem, InstrumentError
from flows.roles import check_read
from flows.schema import Instrument
from flows.shipped import INSTRUMENT_DIR, instrument_names
from flows.validate import validate

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when present: ten times faster than the pure-Python one on the instrument files."""

__all__ = ["ARCHIVE_DIR", "INSTRUMENT_DIR", "bound", "instrument_names", "load_file", "load_instrument", "load_version", "parse_instrument"]


def _question_at(raw: Any, loc: tuple[Any, ...]) -> str | None:
    """The id of the innermost question a pydantic error location points into."""
    node, found = raw, None
    for step in loc:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "id" in node and "type" in node:
            found = str(node["id"])
    return found


_UNION_TAGS = {"str", "int", "float", "bool"}


def _where(loc: tuple[Any, ...]) -> str:
    """A pydantic location without the union-member tags (``list[Choice]``, ``str``) people never wrote."""
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS or p.startswith("function-"))))


def _meaningful(errs: list[Any]) -> list[Any]:
    """Drop the "or it could have been a string" alternatives of a union when the real error is known."""
    real = [e for e in errs if not (e["loc"] and e["loc"][-1] in _UNION_TAGS)]
    return real or errs


def parse_instrument(raw: Any, source: str) -> Instrument:
    """Validate raw data (from YAML or JSON) into an instrument, raising errors that name the question."""
    name = raw.get("name", source) if isinstance(raw, dict) else source
    try:
        instrument = Instrument.model_validate(raw)
    except ValidationError as exc:
        problems = [
            DefinitionProblem(
                str(name),
                _question_at(raw, tuple(err["loc"])),
                errors.SCHEMA.format(message=f"{_where(tuple(err['loc']))}: {err['msg'].removeprefix('Value error, ')}"),
                errors.SCHEMA_FIX,
            )
            for err in _meaningful(exc.errors())
        ]
        raise InstrumentError(problems) from None
    problems = validate(instrument)
    if problems:
        raise InstrumentError(problems)
    return instrument


def load_file(path: Path) -> Instrument:
    """Load and validate one instrument file."""
    with path.open(encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=SAFE_LOADER)
    try:
        return parse_instrument(raw, path.stem)
    except InstrumentError as exc:
        raise InstrumentError(exc.problems, str(path)) from None


@cache
def load_instrument(name: str) -> Instrument:
    """Load a shipped instrument by its CLI name; cached, since definitions never change while running."""
    path = INSTRUMENT_DIR / f"{name}.yaml"
    if not path.exists():
        raise KeyError(f"unknown instrument {name!r}; known: {', '.join(instrument_names())}")
    return load_file(path)


ARCHIVE_DIR = INSTRUMENT_DIR / "archive"
"""Earlier versions of instruments, ``NAME@VERSION.yaml``, kept so old drafts and responses can still be read."""


@cache
def load_version(name: str, version: int | None = None) -> Instrument:
    """A shipped instrument as it was in ``version`` (an archived file); the current one when None or current."""
    current = load_instrument(name)
    if version is None or version == current.version:
        return current
    archived = ARCHIVE_DIR / f"{name}@{version}.yaml"
    if not archived.exists():
        raise KeyError(f"instrument {name!r} has no version {version} (current: {current.version})")
    return load_file(archived)


@cache
def bound(instrument: str, role: str, version: int | None = None) -> str:
    """The question id a shipped instrument (its current version unless ``version`` says) binds to ``role``
    (see ``flows.roles``), e.g. ``bound("pendataan", "category")`` → ``"3.6"``: how code outside ``flows/``
    reaches a question without naming its paper code."""
    check_read(instrument, role)
    return load_version(instrument, version).bound(role)

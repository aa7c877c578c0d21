"""Before a form: the privacy notice, and a parent's consent by purpose (UU PDP 27/2022 art. 20–21).

Lower than :mod:`bot.handlers.asking`, which asks here before it opens a form; what the parent answers is
handled in :mod:`bot.handlers.privacy`.
"""

from __future__ import annotations

from typing import Any

from bot import render as R
from bot import texts as T
from bot.model import Button
from bot.turn import Turn
from flows.engine import Engine
from flows.loader import bound
from storage.models import Role
from storage.repositories import consents
from storage.repositories.consents import Purpose

PARENT_FORMS = {"kesediaan": ("fill_kesediaan", T.FILL_STATEMENT), "pemilihan-sekolah": ("fill_pemilihan", T.CHOOSE_SCHOOL)}
"""The parent's own forms (Lampiran 8 and 9), consent asked before the first one about a child: the notice
button that opens each again."""
CONSENT_CHOICES: tuple[tuple[str, frozenset[Purpose]], ...] = (
    (T.CONSENT_ALL, frozenset(Purpose)),
    (T.CONSENT_NO_REFERRAL, frozenset({Purpose.COLLECT, Purpose.SHARE_SCHOOL})),
    (T.CONSENT_NONE, frozenset()),
)


def privacy_notice(turn: Turn, eng: Engine) -> None:
    """Before the first personal question of a child: who holds the answers, why, how long, the rights."""
    if eng.layout.field_classes and turn.result.outcome != "consent:given":  # just read with the consent question
        turn.say(turn.t(T.PRIVACY_NOTICE))


def consent_missing(turn: Turn, name: str, case_id: int | None) -> bool:
    """For a parent's own form about their child: ask consent first (True: asked, the form waits)."""
    if name not in PARENT_FORMS or case_id is None or turn.actor.role is not Role.ORANG_TUA:
        return False
    child = turn.store.child_of_case(case_id)
    if child is None or Purpose.COLLECT in consents.active(turn.db, turn.person.id, child.id):
        return False
    nonce = turn.nonce("consent", case=case_id, child=child.id, form=name)
    buttons = [[Button(turn.t(label), R.data(nonce, R.CHOICE, i))] for i, (label, _) in enumerate(CONSENT_CHOICES)]
    turn.say(turn.t(T.PRIVACY_NOTICE) + "\n\n" + turn.t(T.CONSENT_ASK, child=child.name), buttons, live=True)
    turn.result.outcome = "consent:asked"
    return True


def parent_prefill(turn: Turn, form: str, case_id: int) -> dict[str, Any]:
    """Answers about the child the case already knows, for a parent's form about them (the parent reads them
    in the review and may change any), under the questions the form binds to the child's identity."""
    child = turn.store.child_of_case(case_id)
    if child is None:
        return {}
    values = {"name": child.name, "birth_place": child.birth_place, "birth_date": child.birth_date.isoformat() if child.birth_date else None,
              "sex": {"L": "1", "P": "2"}.get(child.sex.value) if child.sex else None, "address": child.address}
    return {bound(form, role): value for role, value in values.items() if value}


def purpose_list(turn: Turn, purposes: set[Purpose] | frozenset[Purpose]) -> str:
    return ", ".join(turn.t(T.PURPOSE_NAMES[p.value]) for p in Purpose if p in purposes) or turn.t(T.PURPOSE_NONE)

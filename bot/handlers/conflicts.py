"""The review list in chat: the desa and kecamatan teams hear of a NIK clash in their area (both records side by
side, buttons merge / keep apart) and ``/konflik`` lists the open ones; ``/konflik N NIK`` fixes the held record's
NIK. Decisions go through :mod:`cases.conflicts` (checked, audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.model import Reply
from bot.turn import Turn
from cases import conflicts as C
from core.authz import TEAM
from flows.messages import N_
from storage.models import Role

CLASH_NOTICE = N_("Possible mix-up of two children: this NIK is already recorded for a child with another name or sex. "
                  "Nothing was merged; the records are kept apart until the team decides.")
REVIEW_ASK = N_("Are these the same child? Compare and decide:")
NO_CONFLICTS = N_("No open NIK conflict in your area.")
MERGE = N_("Same child: merge")
APART = N_("Two children: keep apart")
FIX_NIK_HINT = N_("If the NIK of the new record is wrong, send /konflik {number} followed by the correct NIK.")
SUBMITTER_NOTICE = N_("Note: the NIK you entered belongs to another child already recorded with another name or sex. "
                      "Your form was saved and kept apart; the village team will check it.")
LIST_LIMIT = 10


def announce_conflict(turn: Turn, conflict_id: int) -> None:
    """Tell the submitter, and send the area's desa and kecamatan teams the two records with decision buttons."""
    turn.say(turn.t(SUBMITTER_NOTICE))
    view = C.conflict_view(turn.uow, conflict_id)
    for person_id, chat_id, language in C.reviewers(turn.uow, view.region_code):
        if chat_id is None:
            continue
        t = turn.translator_for(language)
        turn.result.notifications.append((chat_id, _review_message(turn, view, person_id, t, t(CLASH_NOTICE))))


def cmd_conflicts(turn: Turn, args: str) -> None:
    """/konflik: the open conflicts of the team's area; /konflik N NIK: correct the held record's NIK."""
    if Role(turn.person.role) not in TEAM:
        turn.deny("conflicts")
        return
    parts = args.split(maxsplit=1)
    if len(parts) == 2 and parts[0].isdigit():
        _decide(turn, int(parts[0]), "fix_nik", parts[1])
        return
    views = C.open_conflicts(turn.uow, turn.person.region_code or "")
    if not views:
        turn.say(turn.t(NO_CONFLICTS))
    for view in views[:LIST_LIMIT]:
        turn.result.replies.append(_review_message(turn, view, turn.person.id, turn.t, turn.t(REVIEW_ASK)))
    turn.result.outcome = "conflicts"


def notice_conflict(turn: Turn, payload: dict[str, Any]) -> None:
    _decide(turn, int(payload["conflict_id"]), str(payload["decision"]), None)


def _decide(turn: Turn, conflict_id: int, decision: str, nik: str | None) -> None:
    try:
        view = C.decide(turn.uow, conflict_id, decision, turn.person.id, nik=nik)
    except C.ConflictError as refused:
        turn.say("✗ " + refused.render(turn.t))
        turn.result.outcome = "conflict-refused"
        return
    name = view.held.name if decision == "fix_nik" and view.held else view.existing.name
    done = turn.t(C.DECIDED[decision], number=view.id, name=name)
    if turn.incoming.message_id:
        turn.edit_pressed(done)
    else:
        turn.say(done)
    turn.result.outcome = f"conflict:{decision}"


def _review_message(turn: Turn, view: C.ConflictView, person_id: int, t: Callable[..., str], intro: str) -> Reply:
    text = "\n".join([intro, *C.side_by_side(view), t(FIX_NIK_HINT, number=view.id)])
    buttons = [[turn.notice_button(person_id, "conflict", t(MERGE), conflict_id=view.id, decision="merge")],
               [turn.notice_button(person_id, "conflict", t(APART), conflict_id=view.id, decision="apart")]]
    return Reply(text, buttons)



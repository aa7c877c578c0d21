"""The chosen school accepts the child, or refuses with a reason (guide Bab II.F), in chat.

After the family's choice the school's operator (or, when the school has none in the bot, the kecamatan team)
gets the child's name with two one-off buttons. Accepting records it and sends a short statement (PDF) to be
printed beside the parent's letter — to the school, the pendamping and the parent; refusing asks for the
reason, which goes back to the pendamping, and the family chooses again. Each press is checked again
(:func:`cases.school_acceptance.may_answer`), so another school's operator can do nothing with the case.
"""

from __future__ import annotations

from typing import Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Reply
from bot.turn import Menu, Turn
from cases import school_acceptance as acceptance
from cases import service
from cases.errors import CaseError
from cases.messages import SCHOOL_ALREADY_ANSWERED


def ask_school_acceptance(turn: Turn, case_id: int) -> None:
    summary = service.case_summary(turn.uow, case_id)
    for person in acceptance.acceptors(turn.uow, case_id):
        if person.chat_id is None:
            continue
        t = turn.translator_for(person.language)
        buttons = [[turn.notice_button(person.person_id, "accept_school", t(T.SCHOOL_ACCEPT), case_id=case_id),
                    turn.notice_button(person.person_id, "refuse_school", t(T.SCHOOL_REFUSE), case_id=case_id)]]
        text = t(T.SCHOOL_ACCEPT_ASK, name=summary.child_name, reference=summary.reference, school=summary.school_name or "—")
        turn.result.notifications.append((person.chat_id, Reply(text, buttons)))


def notice_accept_school(turn: Turn, payload: dict[str, Any]) -> None:
    case_id = int(payload["case_id"])
    if not acceptance.may_answer(turn.uow, case_id, turn.person.id):
        turn.deny("accept_school", "case", case_id, turn.store.case_region(case_id))
        return
    try:
        moved = acceptance.accept(turn.uow, case_id, turn.person.id)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        return
    from cases.documents import penerimaan_sekolah_pdf  # PDF (fpdf) loads on the first letter, not at start-up

    summary = service.case_summary(turn.uow, case_id)
    pdf = (f"penerimaan-sekolah-{moved.reference}.pdf", penerimaan_sekolah_pdf(turn.db, case_id, turn.person.id))
    turn.edit_pressed(turn.t(T.SCHOOL_ACCEPTED, name=summary.child_name, reference=moved.reference))
    turn.result.replies.append(Reply(turn.t(T.SCHOOL_ACCEPTED_PDF), document=pdf))
    turn.result.outcome = "school:accepted"
    for chat_id, language in family_and_pendamping(turn, moved.pendamping_id, summary.child_id):
        t = turn.translator_for(language)
        turn.result.notifications.append((chat_id, Reply(t(T.SCHOOL_ACCEPTED_FOR_FAMILY, name=summary.child_name, school=summary.school_name or "—"),
                                                         document=pdf)))


def notice_refuse_school(turn: Turn, payload: dict[str, Any]) -> None:
    case_id = int(payload["case_id"])
    if not acceptance.may_answer(turn.uow, case_id, turn.person.id):
        turn.deny("refuse_school", "case", case_id, turn.store.case_region(case_id))
        return
    if acceptance.answered(turn.uow, case_id):
        turn.say("✗ " + turn.t(SCHOOL_ALREADY_ANSWERED))
        turn.result.outcome = "school:already-answered"
        return
    nonce = turn.nonce("school_refusal", case=case_id)
    turn.say(turn.t(T.SCHOOL_REFUSE_ASK), [[Button(turn.t(T.CANCEL), R.data(nonce, R.CANCEL))]], live=True)


def menu_school_refusal(turn: Turn, action: str, index: int, menu: Menu) -> None:
    turn.close_pressed()
    turn.changes.menu = None


def on_school_refusal(turn: Turn, text: str) -> None:
    case_id = int((turn.menu or {}).get("case", 0))
    if not text.strip():
        turn.say(turn.t(T.SCHOOL_REFUSE_ASK))
        return
    try:
        moved = acceptance.refuse(turn.uow, case_id, turn.person.id, text[:500])
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        return
    turn.changes.menu = None
    summary = service.case_summary(turn.uow, case_id)
    turn.say(turn.t(T.SCHOOL_REFUSED, reference=moved.reference))
    turn.result.outcome = "school:refused"
    target = turn.store.chat_of(moved.pendamping_id)
    if target is not None:
        t = turn.translator_for(target[1])
        turn.result.notifications.append((target[0], Reply(t(T.SCHOOL_REFUSED_FOR_PENDAMPING, name=summary.child_name,
                                                             reference=moved.reference, reason=moved.reason or ""))))


def family_and_pendamping(turn: Turn, pendamping_id: int | None, child_id: int) -> list[tuple[int, str]]:
    targets = acceptance.parents(turn.uow, child_id)
    pendamping = turn.store.chat_of(pendamping_id)
    if pendamping is not None:
        targets.append(pendamping)
    return [(chat, language) for chat, language in dict.fromkeys(targets) if chat != turn.incoming.chat_id]

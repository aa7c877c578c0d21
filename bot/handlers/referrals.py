"""Referrals in chat (guide Bab II.D): ``/rujuk`` sends a child to an agency of the kabupaten's list, from a case or
from a visit; ``/rujukan`` lists the open ones and records the agency's answer. The rules live in
:mod:`cases.referrals`; who may refer is whoever follows the child (its pendamping) and the teams of its area,
checked on every press.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import programme_texts as P
from bot import render as R
from bot.model import Button, Reply
from bot.turn import Menu, Turn
from cases import referrals
from cases.errors import CaseError
from cases.messages import REFERRAL_STATUS
from cases.service import case_summary
from core.authz import TEAM
from storage.models import Role

REFERRERS = frozenset({Role.PENDAMPING, *TEAM})
DUE_CHOICES = (7, 14, 30)
ACCEPTED, DONE, REFUSED = "ra", "rd", "rr"
ANSWERS = {ACCEPTED: "accepted", DONE: "done", REFUSED: "refused"}
LISTED = 10


def may_refer(turn: Turn, case_id: int | None) -> bool:
    return case_id is not None and turn.actor.role in REFERRERS and turn.follows(case_id)


def cmd_refer(turn: Turn, args: str) -> None:
    """``/rujuk REF`` (then the agency and the due date by buttons) or ``/rujuk REF AGENCY [DUE] [reason]``."""
    words = args.split()
    if not words:
        turn.say(turn.t(P.REFER_USAGE, agencies=_agency_list(turn.person.region_code)))
        return
    case_id = turn.store.case_id_by_reference(words[0])
    if not may_refer(turn, case_id):
        turn.deny("refer", "case", words[0][:20], turn.store.case_region(case_id) if case_id else None)
        return
    assert case_id is not None
    if len(words) == 1:
        ask_agency(turn, case_id, None)
        return
    due_text, reason = _due_and_reason(words[2:])
    try:
        due = referrals.due_date(due_text, turn.today)
        sent = referrals.refer(turn.uow, case_id, words[1], due, turn.person.id, turn.today, reason=reason)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t) + "\n\n" + turn.t(P.REFER_USAGE, agencies=_agency_list(turn.store.case_region(case_id))))
        turn.result.outcome = "refer:refused"
        return
    _sent(turn, sent)


def ask_agency(turn: Turn, case_id: int, visit_id: int | None) -> None:
    """The agencies of the child's kabupaten as buttons (also offered after a visit log)."""
    region = turn.store.case_region(case_id)
    known = referrals.agencies(region)
    nonce = turn.nonce("refer_agency", case=case_id, visit=visit_id, agencies=[a.code for a in known])
    rows = [[Button(a.name, R.data(nonce, R.CHOICE, i))] for i, a in enumerate(known)]
    summary = case_summary(turn.uow, case_id, turn.today)
    turn.say(turn.t(P.REFER_CHOOSE_AGENCY, name=summary.child_name, reference=summary.reference), rows, live=True)


def notice_refer(turn: Turn, payload: dict[str, Any]) -> None:
    """The button under a visit log: refer the child, the referral linked to that visit."""
    case_id = int(payload["case_id"])
    if not may_refer(turn, case_id):
        turn.deny("refer", "case", case_id, turn.store.case_region(case_id))
        return
    visit = payload.get("visit_id")
    ask_agency(turn, case_id, int(visit) if visit is not None else None)


def menu_refer_agency(turn: Turn, action: str, index: int, menu: Menu) -> None:
    case_id = int(menu["case"])
    if not may_refer(turn, case_id):
        turn.deny("refer", "case", case_id, turn.store.case_region(case_id))
        return
    agency = menu["agencies"][index]
    turn.close_pressed()
    nonce = turn.nonce("refer_due", case=case_id, visit=menu.get("visit"), agency=agency)
    rows = [[Button(turn.t(P.DUE_DAYS, days=days), R.data(nonce, R.CHOICE, days)) for days in DUE_CHOICES]]
    turn.say(turn.t(P.REFER_CHOOSE_DUE, agency=_agency_name(turn, case_id, agency)), rows, live=True)


def menu_refer_due(turn: Turn, action: str, index: int, menu: Menu) -> None:
    _refer_by_menu(turn, menu, turn.today + dt.timedelta(days=index) if index in DUE_CHOICES else None)


def on_refer_due(turn: Turn, text: str) -> None:
    """A due date typed instead of tapped."""
    try:
        due = referrals.due_date(text, turn.today)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        turn.result.outcome = "refer:refused"
        return
    _refer_by_menu(turn, turn.menu or {}, due)


def _refer_by_menu(turn: Turn, menu: Menu, due: dt.date | None) -> None:
    case_id = menu.get("case")
    if not isinstance(case_id, int) or due is None or not may_refer(turn, case_id):
        turn.deny("refer", "case", case_id or "", turn.store.case_region(case_id) if isinstance(case_id, int) else None)
        return
    try:
        sent = referrals.refer(turn.uow, case_id, menu.get("agency"), due, turn.person.id, turn.today, visit_id=menu.get("visit"))
    except CaseError as refused:
        turn.changes.menu = None
        turn.say("✗ " + refused.render(turn.t))
        turn.result.outcome = "refer:refused"
        return
    turn.close_pressed()
    turn.changes.menu = None
    _sent(turn, sent)


def _sent(turn: Turn, sent: referrals.ReferralView) -> None:
    summary = case_summary(turn.uow, sent.case_id, turn.today)
    turn.say(turn.t(P.REFERRAL_SENT, id=sent.id, name=summary.child_name, reference=sent.reference, agency=sent.agency.name,
                    due=turn.t.date(sent.due_date)))
    if summary.pendamping_id not in (None, turn.person.id) and (reach := turn.store.chat_of(summary.pendamping_id)) is not None:
        t = turn.translator_for(reach[1])
        turn.notify(reach[0], Reply(t(P.REFERRAL_FOR_PENDAMPING, name=summary.child_name, reference=sent.reference,
                                      agency=sent.agency.name, due=t.date(sent.due_date))))
    turn.result.outcome = "refer:sent"


# -- /rujukan: the open referrals and the agency's answer ---------------------------------------------------------
def cmd_referrals(turn: Turn, args: str) -> None:
    """``/rujukan``: the open referrals of the person's area (a team) or of the children they follow; ``/rujukan N``
    one referral (the reminder names it); ``/rujukan REF`` the referrals of one case."""
    if turn.actor.role not in REFERRERS:
        turn.deny("referrals")
        return
    wanted = args.strip().lstrip("#")
    case_id = None
    session = turn.uow.session
    if wanted.isdigit():
        case_id = referrals.referral_case(session, int(wanted))
        found = [r for r in referrals.referrals_of(session, case_id) if r.id == int(wanted)] if case_id else []
    elif wanted:
        case_id = turn.store.case_id_by_reference(wanted)
        found = referrals.referrals_of(session, case_id) if case_id else []
    elif turn.actor.role in TEAM:
        found = referrals.open_referrals(session, turn.person.region_code or "")
    else:
        found = [r for followed, *_ in turn.store.cases_of(turn.person.id) for r in referrals.referrals_of(session, followed)
                 if r.status in referrals.OPEN]
    if wanted and (case_id is not None or not wanted.isdigit()) and not may_refer(turn, case_id):
        turn.deny("referrals", "referral", wanted[:20], turn.store.case_region(case_id) if case_id else None)
        return
    show(turn, found[:LISTED])


def show(turn: Turn, found: list[referrals.ReferralView]) -> None:
    if not found:
        turn.say(turn.t(P.REFERRALS_NONE))
        return
    lines = [turn.t(P.REFERRALS_TITLE, count=len(found))]
    rows: list[list[Button]] = []
    nonce = turn.nonce("referral", referrals=[r.id for r in found])
    for i, r in enumerate(found):
        child = turn.store.child_of_case(r.case_id)
        status = turn.t(REFERRAL_STATUS[r.status]) + (" ⚠ " + turn.t(P.OVERDUE) if r.overdue(turn.today) else "")
        lines.append(turn.t(P.REFERRAL_LINE, id=r.id, name=child.name if child else "", reference=r.reference, agency=r.agency.name,
                            status=status, due=turn.t.date(r.due_date)))
        if r.status in referrals.OPEN:
            row = [Button(turn.t(P.BUTTON_ACCEPTED, id=r.id), R.data(nonce, ACCEPTED, i))] if r.status == "sent" else []
            row += [Button(turn.t(P.BUTTON_DONE, id=r.id), R.data(nonce, DONE, i)), Button(turn.t(P.BUTTON_REFUSED, id=r.id), R.data(nonce, REFUSED, i))]
            rows.append(row)
    turn.say("\n".join(lines), rows, live=bool(rows))
    turn.result.outcome = "referrals"


def menu_referral(turn: Turn, action: str, index: int, menu: Menu) -> None:
    referral_id = int(menu["referrals"][index])
    case_id = referrals.referral_case(turn.uow.session, referral_id)
    if action not in ANSWERS or not may_refer(turn, case_id):
        turn.deny("referrals", "referral", referral_id, turn.store.case_region(case_id) if case_id else None)
        return
    if action == REFUSED:
        turn.close_pressed()
        assert case_id is not None
        agency = next(r.agency.name for r in _of_case(turn, case_id) if r.id == referral_id)
        turn.nonce("referral_note", referral=referral_id)
        turn.say(turn.t(P.REFERRAL_NOTE_ASK, agency=agency, id=referral_id))
        return
    _answer(turn, referral_id, ANSWERS[action], None)


def on_referral_note(turn: Turn, text: str) -> None:
    referral_id = (turn.menu or {}).get("referral")
    case_id = referrals.referral_case(turn.uow.session, referral_id) if isinstance(referral_id, int) else None
    if not isinstance(referral_id, int) or not may_refer(turn, case_id):
        turn.deny("referrals", "referral", referral_id or "")
        return
    _answer(turn, referral_id, "refused", text)


def _answer(turn: Turn, referral_id: int, status: str, note: str | None) -> None:
    try:
        done = referrals.update_referral(turn.uow, referral_id, status, turn.person.id, note)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        turn.result.outcome = "referral:refused"
        return
    turn.changes.menu = None
    turn.close_pressed()
    turn.say(turn.t(P.REFERRAL_UPDATED, id=done.id, agency=done.agency.name, status=turn.t(REFERRAL_STATUS[done.status])))
    turn.result.outcome = f"referral:{done.status}"


def _of_case(turn: Turn, case_id: int) -> list[referrals.ReferralView]:
    return referrals.referrals_of(turn.uow.session, case_id)


def _agency_list(region: str | None) -> str:
    return ", ".join(f"{a.code} ({a.name})" if a.name.lower() != a.code else a.code for a in referrals.agencies(region))


def _agency_name(turn: Turn, case_id: int, code: str) -> str:
    return next((a.name for a in referrals.agencies(turn.store.case_region(case_id)) if a.code == code), code)


def _due_and_reason(words: list[str]) -> tuple[str, str]:
    """The first word is the due date when it reads as one (a number of days or a date), the rest the reason."""
    if words and (words[0].isdigit() or any(c in words[0] for c in "/-.")):
        return words[0], " ".join(words[1:])
    return "", " ".join(words)

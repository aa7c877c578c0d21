"""Assistance in chat (guide Bab III): ``/bantuan REF PROGRAMME [amount]`` proposes one of the kabupaten's
programmes for a child going back to school; ``/bantuan`` alone lists what waits for the person, with buttons:
the kecamatan verifies, the kabupaten team approves (or not, with a note) and records the disbursement (only
after the kecamatan's verification), and the family — the parent or the pendamping — reports the spending with
a photo of the receipt. Each press is checked again: the step's roles (:data:`cases.assistance.STEP_ROLES`) and
the case's area, or following the child.
"""

from __future__ import annotations

from bot import programme_texts as P
from bot import render as R
from bot.model import Button, Reply
from bot.turn import Menu, Turn
from cases import assistance
from cases.assistance import AssistanceView
from cases.errors import CaseError
from cases.messages import ASSISTANCE_STATUS, ASSISTANCE_VERIFIED
from cases.service import case_summary
from core.authz import TEAM
from core.i18n import Translator

STEPS = {"av": "verify", "aa": "approve", "ar": "refuse", "ad": "disburse", "ap": "report"}
LISTED = 10


def may(turn: Turn, step: str, case_id: int | None) -> bool:
    """The step's roles, and the child inside the person's area (a team) or followed by them."""
    return case_id is not None and assistance.may(turn.actor.role, step) and turn.follows(case_id)


def cmd_assistance(turn: Turn, args: str) -> None:
    words = args.split()
    if not words:
        show_waiting(turn)
        return
    case_id = turn.store.case_id_by_reference(words[0])
    if not may(turn, "propose", case_id):
        turn.deny("assistance", "case", words[0][:20], turn.store.case_region(case_id) if case_id else None)
        return
    assert case_id is not None
    region = turn.store.case_region(case_id)
    try:
        amount = assistance.parse_amount(" ".join(words[2:])) if len(words) > 2 else None
        proposed = assistance.propose(turn.uow, case_id, words[1] if len(words) > 1 else None, turn.person.id, turn.today, amount=amount)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t) + "\n\n" + turn.t(P.ASSISTANCE_USAGE, programmes=_programme_list(region)))
        turn.result.outcome = "assistance:refused"
        return
    turn.say(turn.t(P.ASSISTANCE_PROPOSED, programme=proposed.programme.name, name=proposed.child_name, reference=proposed.reference,
                    year=str(proposed.year), amount=turn.t.number(proposed.amount)))
    turn.result.outcome = "assistance:proposed"


def show_waiting(turn: Turn) -> None:
    """The team's queue (the kecamatan verifies, the kabupaten decides and disburses); for a parent or a
    pendamping, the disbursed assistance of their children whose spending is still to be reported."""
    session = turn.uow.session
    if turn.actor.role in TEAM:
        found = assistance.waiting_for(session, turn.actor.role, turn.person.region_code or "", LISTED)
    else:
        found = [a for case_id, *_ in turn.store.cases_of(turn.person.id) for a in assistance.of_case(session, case_id)
                 if a.status == "disbursed"]
    if not found:
        turn.say(turn.t(P.ASSISTANCE_NONE))
        return
    nonce = turn.nonce("assistance", items=[a.id for a in found])
    lines, rows = [turn.t(P.ASSISTANCE_TITLE, count=len(found))], []
    for i, a in enumerate(found[:LISTED]):
        lines.append(_line(turn, a))
        buttons = [Button(turn.t(label, id=a.id), R.data(nonce, action, i)) for action, label in _actions(turn, a)]
        if buttons:
            rows.append(buttons)
    turn.say("\n".join(lines), rows, live=bool(rows))
    turn.result.outcome = "assistance:list"


def _actions(turn: Turn, a: AssistanceView) -> list[tuple[str, str]]:
    role = turn.actor.role
    offered = []
    if not a.verified and a.status in ("proposed", "approved") and assistance.may(role, "verify"):
        offered.append(("av", P.BUTTON_VERIFY))
    if a.status == "proposed" and assistance.may(role, "approve"):
        offered += [("aa", P.BUTTON_APPROVE), ("ar", P.BUTTON_NOT_APPROVE)]
    if a.status == "approved" and a.verified and assistance.may(role, "disburse"):
        offered.append(("ad", P.BUTTON_DISBURSED))
    if a.status == "disbursed" and assistance.may(role, "report"):
        offered.append(("ap", P.BUTTON_REPORT))
    return offered


def menu_assistance(turn: Turn, action: str, index: int, menu: Menu) -> None:
    assistance_id = int(menu["items"][index])
    step = STEPS.get(action, "")
    case_id = assistance.assistance_case(turn.uow.session, assistance_id)
    if not step or not may(turn, step, case_id):
        turn.deny("assistance", "assistance", assistance_id, turn.store.case_region(case_id) if case_id else None)
        return
    if step == "refuse":
        turn.close_pressed()
        turn.nonce("assistance_note", item=assistance_id)
        turn.say(turn.t(P.ASSISTANCE_NOTE_ASK, id=assistance_id))
        return
    if step == "report":
        turn.close_pressed()
        found = _one(turn, assistance_id)
        turn.nonce("receipt", item=assistance_id)
        turn.say(turn.t(P.ASSISTANCE_RECEIPT_ASK, id=assistance_id, programme=found.programme.name, name=found.child_name))
        return
    _step(turn, assistance_id, step, None)


def on_assistance_note(turn: Turn, text: str) -> None:
    _from_menu(turn, "refuse", text)


def on_receipt(turn: Turn) -> None:
    """The photo of the receipt: kept encrypted by the router (``stored_file``), attached to the report."""
    _from_menu(turn, "report", None)


def _from_menu(turn: Turn, step: str, note: str | None) -> None:
    assistance_id = (turn.menu or {}).get("item")
    case_id = assistance.assistance_case(turn.uow.session, assistance_id) if isinstance(assistance_id, int) else None
    if not isinstance(assistance_id, int) or not may(turn, step, case_id):
        turn.deny("assistance", "assistance", assistance_id or "")
        return
    _step(turn, assistance_id, step, note)


def _step(turn: Turn, assistance_id: int, step: str, note: str | None) -> None:
    try:
        if step == "verify":
            done = assistance.verify(turn.uow, assistance_id, turn.person.id)
        elif step in ("approve", "refuse"):
            done = assistance.decide(turn.uow, assistance_id, turn.person.id, step == "approve", note)
        elif step == "disburse":
            done = assistance.disburse(turn.uow, assistance_id, turn.person.id)
        else:
            value = turn.incoming.value if isinstance(turn.incoming.value, dict) else {}
            stored = value.get("stored_file")
            done = assistance.report_spending(turn.uow, assistance_id, turn.person.id, stored if isinstance(stored, int) else None)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        turn.result.outcome = "assistance:refused"
        return
    turn.changes.menu = None
    turn.close_pressed()
    turn.say(_updated(turn.t, done))
    _tell_pendamping(turn, done)
    turn.result.outcome = f"assistance:{step}"


def _tell_pendamping(turn: Turn, done: AssistanceView) -> None:
    summary = case_summary(turn.uow, done.case_id, turn.today)
    if summary.pendamping_id not in (None, turn.person.id) and (reach := turn.store.chat_of(summary.pendamping_id)) is not None:
        turn.notify(reach[0], Reply(_updated(turn.translator_for(reach[1]), done)))


def _updated(t: Translator, done: AssistanceView) -> str:
    return t(P.ASSISTANCE_UPDATED, id=done.id, programme=done.programme.name, name=done.child_name, reference=done.reference,
             status=_status(t, done))


def _status(t: Translator, a: AssistanceView) -> str:
    status = t(ASSISTANCE_STATUS[a.status])
    if a.status in ("proposed", "approved"):
        status += " · " + t(ASSISTANCE_VERIFIED if a.verified else P.NOT_VERIFIED_YET)
    return status


def _line(turn: Turn, a: AssistanceView) -> str:
    return turn.t(P.ASSISTANCE_LINE, id=a.id, name=a.child_name, reference=a.reference, programme=a.programme.name,
                  amount=turn.t.number(a.amount), status=_status(turn.t, a))


def _one(turn: Turn, assistance_id: int) -> AssistanceView:
    session = turn.uow.session
    case_id = assistance.assistance_case(session, assistance_id)
    return next(a for a in assistance.of_case(session, case_id or 0) if a.id == assistance_id)


def _programme_list(region: str | None) -> str:
    return ", ".join(p.code for p in assistance.programmes(region))

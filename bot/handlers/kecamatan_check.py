"""``/periksa``: the kecamatan team checks each desa's verified cases before they count at kabupaten level.

The team picks a desa (with how many cases wait), reads its list with what looks incomplete or doubtful, and
accepts the cases or returns one to the desa team with a note; the desa team hears either way. The rules live
in :mod:`cases.checks`; every press is checked again against the person's role and area.
"""

from __future__ import annotations

from typing import Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Reply
from bot.turn import Menu, Turn
from cases import checks
from cases.errors import CaseError
from cases.messages import CHECK_PROBLEMS
from core.authz import Action, allowed
from storage.models import Role


def may_check(turn: Turn, region: str | None) -> bool:
    return turn.actor.role in (Role.TIM_KECAMATAN, Role.ADMIN) and allowed(turn.actor, Action.VERIFY, region)


def cmd_check(turn: Turn, _: str) -> None:
    """/periksa: the desa of the kecamatan whose verified cases wait for the check."""
    kecamatan = turn.person.region_code
    if not may_check(turn, kecamatan):
        turn.deny("check")
        return
    waiting = checks.desa_awaiting(turn.uow, kecamatan or "")
    if not waiting:
        turn.say(turn.t(T.CHECK_NOTHING))
        return
    nonce = turn.nonce("check_desa", desa=[code for code, _, _ in waiting])
    rows = [[Button(turn.t(T.CHECK_DESA_BUTTON, desa=name, count=count), R.data(nonce, R.CHOICE, i))] for i, (_, name, count) in enumerate(waiting)]
    turn.say(turn.t(T.CHECK_CHOOSE_DESA), rows, live=True)


def menu_check_desa(turn: Turn, action: str, index: int, menu: Menu) -> None:
    desa = menu["desa"][index]
    if not may_check(turn, desa):
        turn.deny("check", "region", desa, desa)
        return
    turn.close_pressed()
    show_check_list(turn, desa)


def show_check_list(turn: Turn, desa: str) -> None:
    items = checks.review_list(turn.uow, desa, turn.today)
    if not items:
        turn.changes.menu = None
        turn.say(turn.t(T.CHECK_NOTHING))
        return
    lines = [turn.t(T.CHECK_LIST, desa=items[0].desa, count=len(items))]
    for item in items:
        problems = ", ".join(turn.t(CHECK_PROBLEMS[p]) for p in item.problems)
        age = f" ({item.age})" if item.age is not None else ""
        lines.append(f"• {item.reference} · {item.name}{age}" + (f" — ⚠ {problems}" if problems else " ✓"))
    turn.store.audit("child.read", turn.person.id, "region", desa, desa, {"via": "kecamatan-check", "cases": len(items)})
    nonce = turn.nonce("check_cases", desa=desa, cases=[i.case_id for i in items])
    rows = [[Button(turn.t(T.CHECK_ACCEPT_ALL, count=len(items)), R.data(nonce, R.YES))]]
    rows += [[Button(turn.t(T.CHECK_RETURN, reference=i.reference), R.data(nonce, R.CHOICE, n))] for n, i in enumerate(items)]
    turn.say("\n".join(lines), rows, live=True)


def menu_check_cases(turn: Turn, action: str, index: int, menu: Menu) -> None:
    desa = menu["desa"]
    if not may_check(turn, desa):
        turn.deny("check", "region", desa, desa)
        return
    if action == R.YES:
        accepted = checks.accept(turn.uow, menu["cases"], turn.person.id)
        turn.edit_pressed(turn.t(T.CHECK_ACCEPTED, count=len(accepted), desa=turn.store.region_name(desa)))
        turn.changes.menu = None
        tell_desa_team(turn, desa, T.CHECK_ACCEPTED_FOR_DESA, count=len(accepted), desa=turn.store.region_name(desa))
        turn.result.outcome = "check:accepted"
        return
    case_id = menu["cases"][index]
    turn.close_pressed()
    nonce = turn.nonce("check_note", desa=desa, case=case_id)
    turn.say(turn.t(T.CHECK_NOTE_ASK, reference=turn.store.case_reference(case_id)), [[Button(turn.t(T.BACK), R.data(nonce, R.BACK))]], live=True)


def menu_check_note(turn: Turn, action: str, index: int, menu: Menu) -> None:
    turn.close_pressed()
    show_check_list(turn, menu["desa"])


def on_check_note(turn: Turn, text: str) -> None:
    """The note of a returned case, typed by the kecamatan team; the case goes back to the desa team."""
    menu = turn.menu or {}
    desa, case_id = menu.get("desa"), menu.get("case")
    if not may_check(turn, desa) or not isinstance(case_id, int):
        turn.deny("check", "region", desa, desa)
        return
    try:
        moved = checks.return_to_desa(turn.uow, case_id, turn.person.id, text.strip()[:500])
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        return
    turn.changes.menu = None
    turn.say(turn.t(T.CHECK_RETURNED, reference=moved.reference))
    tell_desa_team(turn, desa or "", T.CHECK_RETURNED_FOR_DESA, reference=moved.reference, note=moved.reason or "")
    turn.result.outcome = "check:returned"


def tell_desa_team(turn: Turn, area: str, message: str, **params: Any) -> None:
    for chat_id, language in turn.store.coordinators(area):
        if chat_id != turn.incoming.chat_id:
            turn.result.notifications.append((chat_id, Reply(turn.translator_for(language)(message, **params))))

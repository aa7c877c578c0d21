"""A parent's consent answered, its withdrawal, and a parent's view of their child's data (UU PDP 27/2022
art. 20–21, 25, 32). The notice and the consent question themselves are asked in :mod:`bot.handlers.consent`.
"""

from __future__ import annotations

from bot import render as R
from bot import texts as T
from bot.handlers.asking import start_form
from bot.handlers.case_views import shown
from bot.handlers.consent import CONSENT_CHOICES, PARENT_FORMS, parent_prefill, purpose_list
from bot.model import Button, Reply
from bot.turn import Menu, Turn
from cases import service
from cases.messages import STATUS_LABELS
from core.visibility import FieldClass, policy
from storage.models import Role
from storage.repositories import consents
from storage.repositories.consents import Purpose


def menu_consent(turn: Turn, action: str, index: int, menu: Menu) -> None:
    label, purposes = CONSENT_CHOICES[index]
    turn.changes.menu = None
    turn.edit_pressed(turn.t(label) + " ✓")
    if not purposes:
        turn.store.audit("consent.refused", turn.person.id, "child", menu["child"], turn.store.case_region(menu["case"]), {"form": menu["form"]})
        kind, label = PARENT_FORMS[menu["form"]]
        turn.say(turn.t(T.CONSENT_REFUSED), [[turn.notice_button(turn.person.id, kind, turn.t(label), case_id=menu["case"])]])
        turn.result.outcome = "consent:refused"
        return
    consents.give(turn.db, turn.person.id, menu["child"], set(purposes))
    turn.say(turn.t(T.CONSENT_GIVEN, purposes=purpose_list(turn, purposes)))
    turn.result.outcome = "consent:given"
    start_form(turn, menu["form"], case_id=menu["case"], prefill=parent_prefill(turn, menu["form"], menu["case"]))


# -- the parent's own view and withdrawal ---------------------------------------------------------------
def my_children(turn: Turn) -> None:
    """/dataku of a parent: each child's data as the parent's row of the matrix shows it, with consents."""
    view = policy(Role.ORANG_TUA).for_chat()
    cases = turn.store.parent_cases(turn.person.id)
    withdrawable: list[int] = []
    for case_id in cases:
        s = service.case_summary(turn.uow, case_id)
        turn.store.audit("child.read", turn.person.id, "child", s.child_id, s.region_code, {"case": s.reference, "via": "dataku"})
        given = consents.active(turn.db, turn.person.id, s.child_id)
        turn.say(turn.t(T.MYDATA_CHILD, reference=s.reference, name=shown(view, FieldClass.IDENTITY, s.child_name),
                        status=turn.t(STATUS_LABELS[s.status]), nik=shown(view, FieldClass.NIK, s.nik_masked),
                        address=shown(view, FieldClass.LOCATION, s.address), village=s.village or "—",
                        school=s.school_name or "—", consents=purpose_list(turn, given)))
        if given:
            withdrawable.append(s.child_id)
    if withdrawable:
        nonce = turn.nonce("withdraw", children=withdrawable)
        names = [turn.store.child_name(c) for c in withdrawable]
        turn.say(turn.t(T.WITHDRAW_OFFER), [[Button(turn.t(T.WITHDRAW_FOR, child=n), R.data(nonce, R.CHOICE, i))]
                                            for i, n in enumerate(names)], live=True)


def menu_withdraw(turn: Turn, action: str, index: int, menu: Menu) -> None:
    turn.changes.menu = None
    turn.edit_pressed(turn.t(T.WITHDRAW_FOR, child=turn.store.child_name(menu["children"][index])) + " ✓")
    withdraw_consents(turn, menu["children"][index])


def withdraw_consents(turn: Turn, child_id: int | None) -> None:
    """Withdraw (one child's, or every) consent the person gave, and tell them and the area's team."""
    withdrawn = consents.withdraw(turn.db, turn.person.id, child_id)
    if not withdrawn:
        return
    children = {c for c, _ in withdrawn}
    for draft in turn.store.drafts(turn.person.id):  # the parent's unfinished forms about the child stop here
        about = turn.store.child_of_case(draft.case_id) if draft.case_id is not None else None
        if about is not None and about.id in children:
            turn.store.cancel(draft.id)
            if turn.draft is not None and turn.draft.id == draft.id:
                turn.draft, turn.changes.active_draft_id = None, None
    turn.say(turn.t(T.CONSENT_WITHDRAWN, purposes=purpose_list(turn, {Purpose(k) for _, k in withdrawn})))
    for child in dict.fromkeys(c for c, _ in withdrawn):
        for chat_id, language in turn.store.coordinators(turn.store.child_region(child)):
            t = turn.translator_for(language)
            turn.notify(chat_id, Reply(t(T.CONSENT_WITHDRAWN_TEAM, child=turn.store.child_name(child), name=turn.person.name or "—")))
    turn.result.outcome = "consent:withdrawn"

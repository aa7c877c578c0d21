"""A child's case in chat: ``/kasus`` (a person's children, a team's area a page at a time, one case by its
reference), the summary with the actions the reader's relation to the child allows, and messages about a case
to the people who follow it.
"""

from __future__ import annotations

from typing import Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Kind, Reply
from bot.turn import Menu, Turn
from cases import service
from cases.errors import CaseError
from cases.messages import STATUS_LABELS
from core.authz import TEAM
from core.visibility import HIDDEN, FieldClass, Policy, policy
from storage.models import Role

CASE_ACTIONS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.PENDAMPING: (("visit_log", T.VISIT_LOG), ("invite_parent", T.INVITE_PARENT), ("record_return", T.RECORD_RETURN),
                      ("monitoring", T.MONITORING), ("risk_indicators", T.RISK_INDICATORS)),
    Role.OPERATOR_SEKOLAH: (("record_return", T.RECORD_RETURN), ("monitoring", T.MONITORING), ("risk_indicators", T.RISK_INDICATORS)),
    Role.ORANG_TUA: (("fill_kesediaan", T.FILL_STATEMENT), ("fill_pemilihan", T.CHOOSE_SCHOOL)),
}
"""What a child's summary offers, by the role of the person reading it."""
RELATION_OF_ROLE = {Role.PENDAMPING: "assigned", Role.OPERATOR_SEKOLAH: "school", Role.ORANG_TUA: "parent"}
"""The relation to the case (:meth:`BotStore.relations`) a role's actions need: being a pendamping somewhere is
not enough to log a visit on a case, nor being someone's parent to act as a pendamping."""
NOTICE_RELATIONS: dict[str, frozenset[str]] = {
    kind: frozenset(RELATION_OF_ROLE[role] for role, actions in CASE_ACTIONS.items() if kind in dict(actions))
    for actions in CASE_ACTIONS.values() for kind, _ in actions
}
for _parent_form in ("fill_kesediaan", "fill_pemilihan"):  # the pendamping may fill the family's forms with them
    NOTICE_RELATIONS[_parent_form] |= {"assigned"}
CASE_NOTICES = frozenset(NOTICE_RELATIONS)
"""Notice buttons that act on a case: role AND relation checked again on every press."""
CASES_PER_PAGE = 10
MAX_PAGE = 100_000


def shown(view: Policy, field_class: FieldClass, value: str | None) -> str:
    """A field of a child's record as the reader's role sees it in chat (``core.visibility``); "—" for none."""
    seen = view.present(field_class, value)
    return "—" if seen is HIDDEN or seen is None or seen == "" else str(seen)


def may_act(turn: Turn, kind: str, case_id: int) -> bool:
    """Whether this person may press a case button of ``kind`` now: the relation the action needs."""
    return bool(NOTICE_RELATIONS[kind] & turn.store.relations(turn.person.id, case_id))


def cmd_cases(turn: Turn, reference: str) -> None:
    """/kasus: the children a person follows (a pendamping's, a school's pupils, a parent's own child); a team
    gets every case of its area, a page at a time. ``/kasus ATS-3326-000142`` (or a form receipt ``F-…``)
    opens one case."""
    if reference.strip():
        open_case_by_reference(turn, reference)
    elif turn.actor.role in TEAM:
        list_area_cases(turn, 0)
    else:
        cases = turn.store.cases_of(turn.person.id)
        if not cases:
            turn.say(turn.t(T.NO_CASES))
            return
        nonce = turn.nonce("case", cases=[c[0] for c in cases])
        turn.say(turn.t(T.CHOOSE_CASE), case_rows(turn, nonce, cases), live=True)


def list_area_cases(turn: Turn, page: int) -> None:
    """One page of the team's area, with ◀ ▶ to move; a press on a page button edits the list in place."""
    page = min(page, MAX_PAGE)
    cases, total = turn.store.area_cases(turn.actor.region_code, page * CASES_PER_PAGE, CASES_PER_PAGE)
    if not total:
        turn.say(turn.t(T.NO_CASES))
        return
    pages = (total + CASES_PER_PAGE - 1) // CASES_PER_PAGE
    if page >= pages:  # the list shrank since it was shown: the last page
        page = pages - 1
        cases, total = turn.store.area_cases(turn.actor.region_code, page * CASES_PER_PAGE, CASES_PER_PAGE)
    nonce = turn.nonce("case", cases=[c[0] for c in cases], page=page)
    moves = ([Button("◀", R.data(nonce, R.PAGE, page - 1))] if page > 0 else []) + \
            ([Button("▶", R.data(nonce, R.PAGE, page + 1))] if page + 1 < pages else [])
    text = turn.t(T.AREA_CASES, region=turn.store.region_name(turn.actor.region_code), total=total, page=page + 1, pages=pages)
    reply = Reply(text, case_rows(turn, nonce, cases) + ([moves] if moves else []), live=True)
    if turn.incoming.message_id and turn.incoming.kind is Kind.CALLBACK:
        reply.edit_message_id = turn.incoming.message_id
        turn.edited.add(turn.incoming.message_id)
    turn.reply(reply)


def case_rows(turn: Turn, nonce: str, cases: list[tuple[int, str, str, str]]) -> list[list[Button]]:
    view = policy(turn.person.role).for_chat()
    return [[Button(f"{ref} · {shown(view, FieldClass.IDENTITY, name)} · {turn.t(STATUS_LABELS[status])}", R.data(nonce, R.CHOICE, i))]
            for i, (_, ref, name, status) in enumerate(cases)]


def open_case_by_reference(turn: Turn, reference: str) -> None:
    """A case by its reference or by the receipt of one of its forms, if this person may open it."""
    try:
        case_id = service.case_by_reference(turn.uow, reference)
    except CaseError:
        turn.say(turn.t(T.NO_SUCH_CASE, reference=reference.strip()[:40]))
        return
    if not turn.follows(case_id):
        turn.deny("read_child", "case", case_id, turn.store.case_region(case_id))
        return
    send_case(turn, turn.person.id, case_id)


def open_case_link(turn: Turn, reference: str) -> None:
    """The link of a letter's QR code: the child's summary for someone who follows the child (the parent, the
    pendamping, the school); anyone else is refused and the attempt audited — the link grants nothing."""
    case_id = turn.store.case_id_by_reference(reference)
    if case_id is None or not turn.follows(case_id):
        turn.deny("open_case_link", "case", reference[:20], turn.store.case_region(case_id) if case_id else None)
        return
    send_case(turn, turn.person.id, case_id)
    turn.result.outcome = "case-link"


def menu_case(turn: Turn, action: str, index: int, menu: Menu) -> None:
    if action == R.PAGE and "page" in menu:
        list_area_cases(turn, index)
        return
    if action != R.CHOICE:
        return
    case_id = menu["cases"][index]
    if not turn.follows(case_id):  # handed over meanwhile
        turn.deny("read_child", "case", case_id)
        return
    turn.close_pressed()
    turn.changes.menu = None
    send_case(turn, turn.person.id, case_id)


def send_case(turn: Turn, person_id: int, case_id: int, intro: str | None = None) -> None:
    """A child's summary with the pendamping's actions; reading another person's record is audited."""
    target = turn.store.chat_of(person_id)
    if target is None:
        return
    chat_id, language = target
    t = turn.translator_for(language)
    s = service.case_summary(turn.uow, case_id)
    turn.store.audit("child.read", person_id, "child", s.child_id, s.region_code, {"case": s.reference, "via": "summary"})
    view = policy(turn.store.role_of(person_id) or Role.MASYARAKAT).for_chat()
    text = t(T.CASE_SUMMARY, reference=s.reference, name=shown(view, FieldClass.IDENTITY, s.child_name), status=t(STATUS_LABELS[s.status]),
             age=s.age if s.age is not None else "—", sex=s.sex or "—", nik=shown(view, FieldClass.NIK, s.nik_masked),
             village=s.village or "—", address=shown(view, FieldClass.LOCATION, s.address), last_visit=s.last_visit or "—",
             school=s.school_name or "—")
    if intro:
        text = t(intro) + "\n\n" + text
    relations = turn.store.relations(person_id, case_id)
    actions = [a for role, offered in CASE_ACTIONS.items() if RELATION_OF_ROLE[role] in relations for a in offered]
    actions = list(dict.fromkeys(actions))
    buttons = [turn.notice_button(person_id, kind, t(label), case_id=case_id) for kind, label in actions]
    reply = Reply(text, [buttons[i : i + 2] for i in range(0, len(buttons), 2)])
    if person_id == turn.person.id:
        turn.reply(reply)
    else:
        turn.notify(chat_id, reply)


def joined_parent(turn: Turn, case_id: int) -> None:
    """A parent who opened the pendamping's link: the statement of willingness is one tap away."""
    turn.say(turn.t(T.FILL_STATEMENT), [[turn.notice_button(turn.person.id, "fill_kesediaan", turn.t(T.FILL_STATEMENT), case_id=case_id)]])


def tell_proposer(turn: Turn, proposer_id: int | None, message: str, **params: Any) -> None:
    target = turn.store.chat_of(proposer_id)
    if target is not None and proposer_id != turn.person.id:
        turn.notify(target[0], Reply(turn.translator_for(target[1])(message, **params)))


def tell_pendamping(turn: Turn, pendamping_id: int | None, message: str, pdf: tuple[str, bytes] | None, *, case_id: int,
                    status_key: str | None = None) -> None:
    target = turn.store.chat_of(pendamping_id)
    if target is None or pendamping_id == turn.person.id:
        return
    t = turn.translator_for(target[1])
    summary = service.case_summary(turn.uow, case_id)
    text = t(message, name=summary.child_name, reference=summary.reference, status=t(STATUS_LABELS[status_key]) if status_key else "")
    turn.notify(target[0], Reply(text, document=pdf))

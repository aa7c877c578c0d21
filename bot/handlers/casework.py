"""The KUDU Sekolah cycle in chat: a neighbour's tip, verification, a pendamping, the parent's decision, school.

The workflow rules live in :mod:`cases.service`. Buttons in notices to other people are one-off tokens bound to
their recipient (``notice_*`` handlers, :data:`bot.registry.NOTICES`); each submitted form of a case moves it
(``after_*`` handlers, :data:`bot.registry.AFTER_SUBMIT`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import programme_texts as P
from bot import render as R
from bot import texts as T
from bot.handlers import referrals
from bot.handlers.asking import start_form
from bot.handlers.case_views import send_case, shown, tell_pendamping, tell_proposer
from bot.handlers.consent import parent_prefill
from bot.handlers.programme import warn_if_at_risk
from bot.handlers.school_acceptance import ask_school_acceptance
from bot.model import Button, Reply
from bot.qr import qr_png
from bot.turn import Menu, Submitted, Turn
from cases import service
from cases.errors import CaseError, DuplicateCase
from cases.messages import STATUS_LABELS
from core.authz import Action, allowed
from core.visibility import FieldClass, policy
from flows.loader import bound
from storage.models import Role
from storage.repositories.responses import SubmitResult

ASSIGNABLE = ("verified", "dropped_out_again")
INVITATION_DAYS = 7


# -- after a form is sent -------------------------------------------------------------------------------
def after_usulan(turn: Turn, sent: Submitted) -> None:
    proposal = service.propose_from_response(turn.uow, sent.result.response_id)
    details = service.proposal_details(turn.uow, proposal.case_id)
    turn.say(turn.t(T.PROPOSAL_SENT, reference=proposal.reference))
    for recipient in service.proposal_recipients(turn.uow, proposal.case_id):
        t = turn.translator_for(recipient.language)
        view = policy(turn.store.role_of(recipient.person_id) or Role.MASYARAKAT).for_chat()
        text = t(T.NEW_PROPOSAL, reference=proposal.reference, name=shown(view, FieldClass.IDENTITY, details.child_name),
                 age=details.approx_age, village=details.village, note=shown(view, FieldClass.FREE_TEXT, details.note))
        take = turn.notice_button(recipient.person_id, "take_proposal", t(T.TAKE), case_id=proposal.case_id)
        turn.notify(recipient.chat_id, Reply(text, [[take]]))


def after_rekonfirmasi(turn: Turn, sent: Submitted) -> None:
    submitted, case_id = sent.result, sent.case_id
    if case_id is None:
        return
    summary = service.case_summary(turn.uow, case_id)
    if summary.status != "recorded":
        return
    nonce = turn.nonce("verify", case=case_id, response=submitted.response_id)
    buttons = [[Button(turn.t(T.VALID), R.data(nonce, R.YES)), Button(turn.t(T.NOT_VALID), R.data(nonce, R.NO))]]
    turn.say(turn.t(T.VERIFY_ASK, reference=summary.reference), buttons, live=True)


def after_pendampingan(turn: Turn, sent: Submitted) -> None:
    submitted, case_id = sent.result, sent.case_id
    if case_id is None:
        return
    logged = service.log_visit(turn.uow, case_id, turn.person.id, submitted.response_id)
    refer = [[turn.notice_button(turn.person.id, "refer", turn.t(P.REFER_FROM_VISIT), case_id=case_id, visit_id=logged.visit_id)]]
    turn.say(turn.t(T.VISIT_LOGGED, date=logged.visit_date, reference=service.case_summary(turn.uow, case_id).reference),
             refer if referrals.may_refer(turn, case_id) else None)


def after_kesediaan(turn: Turn, sent: Submitted) -> None:
    submitted, case_id = sent.result, sent.case_id
    if case_id is None:
        return
    moved = service.record_consent_response(turn.uow, case_id, submitted.response_id)
    status = turn.t(STATUS_LABELS[moved.to_status])
    if moved.to_status != "willing":  # no statement to sign: the pendamping keeps accompanying the family
        turn.say(turn.t(T.DECISION_RECORDED, reference=moved.reference, status=status))
        tell_pendamping(turn, moved.pendamping_id, T.PARENT_DECIDED_NO_LETTER, None, case_id=case_id, status_key=moved.to_status)
        return
    from cases.documents import surat_pernyataan_pdf  # PDF (fpdf) loads on the first letter, not at start-up

    pdf = ("surat-pernyataan-" + moved.reference + ".pdf", surat_pernyataan_pdf(turn.db, case_id, submitted.response_id, link=turn.case_link(moved.reference)))
    buttons = [[turn.notice_button(turn.person.id, "fill_pemilihan", turn.t(T.CHOOSE_SCHOOL), case_id=case_id)]]
    turn.result.replies.append(Reply(turn.t(T.CONSENT_RECORDED, reference=moved.reference, status=status), buttons, document=pdf))
    tell_pendamping(turn, moved.pendamping_id, T.PARENT_DECIDED, pdf, case_id=case_id, status_key=moved.to_status)


def after_pemilihan_sekolah(turn: Turn, sent: Submitted) -> None:
    submitted, case_id = sent.result, sent.case_id
    if case_id is None:
        return
    from cases.documents import pemilihan_sekolah_pdf  # see after_kesediaan

    moved = service.record_school_choice(turn.uow, case_id, submitted.response_id)
    pdf = ("pemilihan-sekolah-" + moved.reference + ".pdf", pemilihan_sekolah_pdf(turn.db, case_id, submitted.response_id, link=turn.case_link(moved.reference)))
    turn.result.replies.append(Reply(turn.t(T.SCHOOL_RECORDED, reference=moved.reference), document=pdf))
    tell_pendamping(turn, moved.pendamping_id, T.SCHOOL_RECORDED, pdf, case_id=case_id)
    ask_school_acceptance(turn, case_id)


def after_kembali_sekolah(turn: Turn, sent: Submitted) -> None:
    case_id = sent.case_id
    if case_id is None:
        return
    answers = sent.answers
    moved = service.record_return(turn.uow, case_id, turn.person.id, school_npsn=str(answers[bound("kembali-sekolah", "school_npsn")]),
                                  class_level=str(answers[bound("kembali-sekolah", "class_level")]),
                                  year=int(answers[bound("kembali-sekolah", "year_entered")]))
    summary = service.case_summary(turn.uow, case_id)
    monitoring = turn.notice_button(turn.person.id, "monitoring", turn.t(T.MONITORING), case_id=case_id)
    turn.say(turn.t(T.BACK_IN_SCHOOL, name=summary.child_name, reference=moved.reference), [[monitoring]])


def after_monitoring(turn: Turn, sent: Submitted) -> None:
    submitted, case_id = sent.result, sent.case_id
    if case_id is None:
        return
    moved = service.record_monitoring(turn.uow, case_id, submitted.response_id)
    turn.say(turn.t(T.MONITORING_RECORDED, reference=moved.reference, status=turn.t(STATUS_LABELS[moved.to_status])))
    warn_if_at_risk(turn, case_id)


# -- buttons in notices ---------------------------------------------------------------------------------
def notice_take_proposal(turn: Turn, payload: dict[str, Any]) -> None:
    case_id = int(payload["case_id"])
    try:
        details = service.take_proposal(turn.uow, case_id, turn.person.id)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        return
    turn.edit_pressed(turn.t(T.TAKEN, reference=details.reference, name=details.child_name, village=details.village))
    start_form(turn, "rekonfirmasi", case_id=case_id, prefill={bound("rekonfirmasi", "name"): details.child_name})


def notice_visit_log(turn: Turn, payload: dict[str, Any]) -> None:
    start_form(turn, "pendampingan", case_id=int(payload["case_id"]))


def notice_monitoring(turn: Turn, payload: dict[str, Any]) -> None:
    case_id = int(payload["case_id"])
    summary = service.case_summary(turn.uow, case_id)
    start_form(turn, "monitoring", case_id=case_id, prefill={bound("monitoring", "name"): summary.child_name})


def notice_record_return(turn: Turn, payload: dict[str, Any]) -> None:
    start_form(turn, "kembali-sekolah", case_id=int(payload["case_id"]))


def notice_invite_parent(turn: Turn, payload: dict[str, Any]) -> None:
    case_id = int(payload["case_id"])
    token = service.invite_parent(turn.uow, case_id, turn.person.id, dt.timedelta(days=INVITATION_DAYS))
    link = turn.start_link(token)
    name = service.case_summary(turn.uow, case_id).child_name
    turn.result.replies.append(Reply(turn.t(T.PARENT_INVITATION, name=name, days=INVITATION_DAYS, link=link), photo=qr_png(link)))


def notice_fill_kesediaan(turn: Turn, payload: dict[str, Any]) -> None:
    case_id = int(payload["case_id"])
    start_form(turn, "kesediaan", case_id=case_id, prefill=parent_prefill(turn, "kesediaan", case_id))


def notice_fill_pemilihan(turn: Turn, payload: dict[str, Any]) -> None:
    case_id = int(payload["case_id"])
    start_form(turn, "pemilihan-sekolah", case_id=case_id, prefill=parent_prefill(turn, "pemilihan-sekolah", case_id))


def notice_use_existing(turn: Turn, payload: dict[str, Any]) -> None:
    moved = service.mark_duplicate(turn.uow, int(payload["case_id"]), int(payload["existing_id"]), turn.person.id, payload.get("response_id"))
    turn.edit_pressed(turn.t(T.VERIFIED, reference=moved.reference, status=turn.t(STATUS_LABELS[moved.to_status])))
    tell_proposer(turn, moved.proposer_id, T.VERDICT_DUPLICATE, reference=moved.reference, existing=moved.duplicate_of or "")


# -- the village team -----------------------------------------------------------------------------------
def menu_verify(turn: Turn, action: str, index: int, menu: Menu) -> None:
    if action == R.YES:
        turn.close_pressed()
        verify(turn, menu["case"], menu["response"], True, None)
        return
    turn.close_pressed()
    nonce = turn.nonce("reason", case=menu["case"], response=menu["response"])
    turn.say(turn.t(T.REASON_ASK), [[Button(turn.t(T.BACK), R.data(nonce, R.BACK))]], live=True)


def menu_reason(turn: Turn, action: str, index: int, menu: Menu) -> None:
    turn.close_pressed()
    after_rekonfirmasi(turn, Submitted("rekonfirmasi", SubmitResult(menu["response"], "", None, False, menu["case"]), menu["case"], {}))


def on_reason_text(turn: Turn, text: str) -> None:
    menu = turn.menu or {}
    verify(turn, menu["case"], menu["response"], False, text.strip()[:500])


def verify(turn: Turn, case_id: int, response_id: int, valid: bool, reason: str | None) -> None:
    try:
        moved = service.verify(turn.uow, case_id, turn.person.id, valid, reason, response_id)
    except DuplicateCase as duplicate:
        existing = duplicate.existing[0]
        use = turn.notice_button(turn.person.id, "use_existing", turn.t(T.USE_EXISTING, reference=existing.reference),
                                 case_id=case_id, existing_id=existing.case_id, response_id=response_id)
        turn.say(turn.t(T.DUPLICATE_OFFER, existing=existing.reference), [[use]])
        return
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        return
    turn.changes.menu = None
    turn.say(turn.t(T.VERIFIED, reference=moved.reference, status=turn.t(STATUS_LABELS[moved.to_status])))
    if valid:
        tell_proposer(turn, moved.proposer_id, T.VERDICT_VALID, reference=moved.reference)
    else:
        tell_proposer(turn, moved.proposer_id, T.VERDICT_NOT_VALID, reference=moved.reference, reason=reason or "")
    turn.result.outcome = "verified" if valid else "not-valid"


def cmd_assign(turn: Turn, _: str) -> None:
    """/tugaskan: the village team gives a verified child a pendamping."""
    scope = turn.person.region_code
    if not allowed(turn.actor, Action.ASSIGN, scope):
        turn.deny("assign")
        return
    cases = turn.store.cases_in(scope or "", ASSIGNABLE)
    if not cases:
        turn.say(turn.t(T.NO_CASES))
        return
    nonce = turn.nonce("assign_case", cases=[c[0] for c in cases])
    turn.say(turn.t(T.CHOOSE_CASE), [[Button(f"{ref} · {name}", R.data(nonce, R.CHOICE, i))] for i, (_, ref, name, _) in enumerate(cases)], live=True)


def menu_assign_case(turn: Turn, action: str, index: int, menu: Menu) -> None:
    case_id = menu["cases"][index]
    region = turn.store.case_region(case_id)
    if not allowed(turn.actor, Action.ASSIGN, region):
        turn.deny("assign", "case", case_id, region)
        return
    people = turn.store.pendamping_near(region or "")
    summary = service.case_summary(turn.uow, case_id)
    turn.edit_pressed(f"{summary.reference} · {summary.child_name} ✓")
    if not people:
        turn.say(turn.t(T.NO_PENDAMPING))
        return
    nonce = turn.nonce("assign_person", case=case_id, people=[p[0] for p in people])
    turn.say(turn.t(T.CHOOSE_PENDAMPING, name=summary.child_name), [[Button(name, R.data(nonce, R.CHOICE, i))] for i, (_, name) in enumerate(people)], live=True)


def menu_assign_person(turn: Turn, action: str, index: int, menu: Menu) -> None:
    case_id, pendamping_id = menu["case"], menu["people"][index]
    if not allowed(turn.actor, Action.ASSIGN, turn.store.case_region(case_id)):
        turn.deny("assign", "case", case_id)
        return
    try:
        moved = service.assign_pendamping(turn.uow, case_id, pendamping_id, turn.person.id)
    except CaseError as refused:
        turn.say("✗ " + refused.render(turn.t))
        return
    summary = service.case_summary(turn.uow, case_id)
    turn.edit_pressed(turn.t(T.ASSIGNED, name=summary.pendamping_name or "", child=summary.child_name, reference=moved.reference))
    turn.changes.menu = None
    send_case(turn, pendamping_id, case_id, intro=T.YOU_ACCOMPANY)

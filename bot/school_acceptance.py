"""The chosen school accepts the child, or refuses with a reason (guide Bab II.F), in chat.

After the family's choice the school's operator (or, when the school has none in the bot, the kecamatan team)
gets the child's name with two one-off buttons. Accepting records it and sends a short statement (PDF) to be
printed beside the parent's letter — to the school, the pendamping and the parent; refusing asks for the
reason, which goes back to the pendamping, and the family chooses again. Each press is checked again
(:func:`cases.school_acceptance.may_answer`), so another school's operator can do nothing with the case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Reply
from cases import school_acceptance as acceptance
from cases import service
from cases.errors import CaseError
from cases.messages import SCHOOL_ALREADY_ANSWERED

if TYPE_CHECKING:
    from bot.conversation import _Turn

    Base = _Turn
else:
    Base = object


class SchoolAcceptance(Base):
    """Asking the chosen school, and its answer."""

    def ask_school_acceptance(self, case_id: int) -> None:
        summary = service.case_summary(self.uow, case_id)
        for person in acceptance.acceptors(self.uow, case_id):
            if person.chat_id is None:
                continue
            t = self.translator_for(person.language)
            buttons = [[self.notice_button(person.person_id, "accept_school", t(T.SCHOOL_ACCEPT), case_id=case_id),
                        self.notice_button(person.person_id, "refuse_school", t(T.SCHOOL_REFUSE), case_id=case_id)]]
            text = t(T.SCHOOL_ACCEPT_ASK, name=summary.child_name, reference=summary.reference, school=summary.school_name or "—")
            self.result.notifications.append((person.chat_id, Reply(text, buttons)))

    def notice_accept_school(self, payload: dict[str, Any]) -> None:
        case_id = int(payload["case_id"])
        if not acceptance.may_answer(self.uow, case_id, self.person.id):
            self.deny("accept_school", "case", case_id, self.store.case_region(case_id))
            return
        try:
            moved = acceptance.accept(self.uow, case_id, self.person.id)
        except CaseError as refused:
            self.say("✗ " + refused.render(self.t))
            return
        from cases.documents import penerimaan_sekolah_pdf  # PDF (fpdf) loads on the first letter, not at start-up

        summary = service.case_summary(self.uow, case_id)
        pdf = (f"penerimaan-sekolah-{moved.reference}.pdf", penerimaan_sekolah_pdf(self.db, case_id, self.person.id))
        self.edit_pressed(self.t(T.SCHOOL_ACCEPTED, name=summary.child_name, reference=moved.reference))
        self.result.replies.append(Reply(self.t(T.SCHOOL_ACCEPTED_PDF), document=pdf))
        self.result.outcome = "school:accepted"
        for chat_id, language in self.family_and_pendamping(moved.pendamping_id, summary.child_id):
            t = self.translator_for(language)
            self.result.notifications.append((chat_id, Reply(t(T.SCHOOL_ACCEPTED_FOR_FAMILY, name=summary.child_name, school=summary.school_name or "—"),
                                                             document=pdf)))

    def notice_refuse_school(self, payload: dict[str, Any]) -> None:
        case_id = int(payload["case_id"])
        if not acceptance.may_answer(self.uow, case_id, self.person.id):
            self.deny("refuse_school", "case", case_id, self.store.case_region(case_id))
            return
        if acceptance.answered(self.uow, case_id):
            self.say("✗ " + self.t(SCHOOL_ALREADY_ANSWERED))
            self.result.outcome = "school:already-answered"
            return
        nonce = self.nonce("school_refusal", case=case_id)
        self.say(self.t(T.SCHOOL_REFUSE_ASK), [[Button(self.t(T.CANCEL), R.data(nonce, R.CANCEL))]], live=True)

    def menu_school_refusal(self, action: str, index: int, menu: dict[str, Any]) -> None:
        self.close_pressed()
        self.changes.menu = None

    def on_school_refusal(self, text: str) -> None:
        case_id = int((self.menu or {}).get("case", 0))
        if not text.strip():
            self.say(self.t(T.SCHOOL_REFUSE_ASK))
            return
        try:
            moved = acceptance.refuse(self.uow, case_id, self.person.id, text[:500])
        except CaseError as refused:
            self.say("✗ " + refused.render(self.t))
            return
        self.changes.menu = None
        summary = service.case_summary(self.uow, case_id)
        self.say(self.t(T.SCHOOL_REFUSED, reference=moved.reference))
        self.result.outcome = "school:refused"
        target = self.store.chat_of(moved.pendamping_id)
        if target is not None:
            t = self.translator_for(target[1])
            self.result.notifications.append((target[0], Reply(t(T.SCHOOL_REFUSED_FOR_PENDAMPING, name=summary.child_name,
                                                                 reference=moved.reference, reason=moved.reason or ""))))

    def family_and_pendamping(self, pendamping_id: int | None, child_id: int) -> list[tuple[int, str]]:
        targets = acceptance.parents(self.uow, child_id)
        pendamping = self.store.chat_of(pendamping_id)
        if pendamping is not None:
            targets.append(pendamping)
        return [(chat, language) for chat, language in dict.fromkeys(targets) if chat != self.incoming.chat_id]

"""Privacy in the conversation: the notice before personal questions, a parent's consent by purpose, its
withdrawal, and a parent's view of their child's data (UU PDP 27/2022 art. 20–21, 25, 32).

A mixin of the conversation turn (:class:`bot.conversation._Turn`), like :mod:`bot.casework`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import render as R
from bot import texts as T
from bot.casework import shown
from bot.model import Button, Reply
from cases import service
from cases.messages import STATUS_LABELS
from core.i18n import translator
from core.visibility import FieldClass, policy
from flows.engine import Engine
from storage.models import Role
from storage.repositories import consents
from storage.repositories.consents import Purpose

if TYPE_CHECKING:
    from bot.conversation import _Turn

    Base = _Turn
else:
    Base = object

PARENT_FORMS = {"kesediaan": ("fill_kesediaan", T.FILL_STATEMENT), "pemilihan-sekolah": ("fill_pemilihan", T.CHOOSE_SCHOOL)}
"""The parent's own forms (Lampiran 8 and 9), consent asked before the first one about a child: the notice
button that opens each again."""
CONSENT_CHOICES: tuple[tuple[str, frozenset[Purpose]], ...] = (
    (T.CONSENT_ALL, frozenset(Purpose)),
    (T.CONSENT_NO_REFERRAL, frozenset({Purpose.COLLECT, Purpose.SHARE_SCHOOL})),
    (T.CONSENT_NONE, frozenset()),
)


class Privacy(Base):
    """Notice, consent and the parent's own view."""

    def privacy_notice(self, eng: Engine) -> None:
        """Before the first personal question of a child: who holds the answers, why, how long, the rights."""
        if eng.layout.field_classes and self.result.outcome != "consent:given":  # just read with the consent question
            self.say(self.t(T.PRIVACY_NOTICE))

    def consent_missing(self, name: str, case_id: int | None) -> bool:
        """For a parent's own form about their child: ask consent first (True: asked, the form waits)."""
        if name not in PARENT_FORMS or case_id is None or self.actor.role is not Role.ORANG_TUA:
            return False
        child = self.store.child_of_case(case_id)
        if child is None or Purpose.COLLECT in consents.active(self.db, self.person.id, child.id):
            return False
        nonce = self.nonce("consent", case=case_id, child=child.id, form=name)
        buttons = [[Button(self.t(label), R.data(nonce, R.CHOICE, i))] for i, (label, _) in enumerate(CONSENT_CHOICES)]
        self.say(self.t(T.PRIVACY_NOTICE) + "\n\n" + self.t(T.CONSENT_ASK, child=child.name), buttons, live=True)
        self.result.outcome = "consent:asked"
        return True

    def menu_consent(self, action: str, index: int, menu: dict[str, Any]) -> None:
        label, purposes = CONSENT_CHOICES[index]
        self.changes.menu = None
        self.edit_pressed(self.t(label) + " ✓")
        if not purposes:
            self.store.audit("consent.refused", self.person.id, "child", menu["child"], self.store.case_region(menu["case"]), {"form": menu["form"]})
            kind, label = PARENT_FORMS[menu["form"]]
            self.say(self.t(T.CONSENT_REFUSED), [[self.notice_button(self.person.id, kind, self.t(label), case_id=menu["case"])]])
            self.result.outcome = "consent:refused"
            return
        consents.give(self.db, self.person.id, menu["child"], set(purposes))
        self.say(self.t(T.CONSENT_GIVEN, purposes=self.purpose_list(purposes)))
        self.result.outcome = "consent:given"
        self.start_form(menu["form"], case_id=menu["case"], prefill=self.parent_prefill(menu["form"], menu["case"]))

    def parent_prefill(self, form: str, case_id: int) -> dict[str, Any]:
        if form == "kesediaan":
            return self.child_prefill(case_id, name="B.1", place="B.2", born="B.3", sex="B.4", address="B.7")
        return self.child_prefill(case_id, name="A.1", place="A.3", born="A.4", sex="A.5", address="A.8")

    def purpose_list(self, purposes: set[Purpose] | frozenset[Purpose]) -> str:
        return ", ".join(self.t(T.PURPOSE_NAMES[p.value]) for p in Purpose if p in purposes) or self.t(T.PURPOSE_NONE)

    # -- the parent's own view and withdrawal ---------------------------------------------------------------
    def my_children(self) -> None:
        """/dataku of a parent: each child's data as the parent's row of the matrix shows it, with consents."""
        view = policy(Role.ORANG_TUA).for_chat()
        cases = self.store.parent_cases(self.person.id)
        withdrawable: list[int] = []
        for case_id in cases:
            s = service.case_summary(self.db, case_id)
            self.store.audit("child.read", self.person.id, "child", s.child_id, s.region_code, {"case": s.reference, "via": "dataku"})
            given = consents.active(self.db, self.person.id, s.child_id)
            self.say(self.t(T.MYDATA_CHILD, reference=s.reference, name=shown(view, FieldClass.IDENTITY, s.child_name),
                            status=self.t(STATUS_LABELS[s.status]), nik=shown(view, FieldClass.NIK, s.nik_masked),
                            address=shown(view, FieldClass.LOCATION, s.address), village=s.village or "—",
                            school=s.school_name or "—", consents=self.purpose_list(given)))
            if given:
                withdrawable.append(s.child_id)
        if withdrawable:
            nonce = self.nonce("withdraw", children=withdrawable)
            names = [self.store.child_name(c) for c in withdrawable]
            self.say(self.t(T.WITHDRAW_OFFER), [[Button(self.t(T.WITHDRAW_FOR, child=n), R.data(nonce, R.CHOICE, i))]
                                                for i, n in enumerate(names)], live=True)

    def menu_withdraw(self, action: str, index: int, menu: dict[str, Any]) -> None:
        self.changes.menu = None
        self.edit_pressed(self.t(T.WITHDRAW_FOR, child=self.store.child_name(menu["children"][index])) + " ✓")
        self.withdraw_consents(menu["children"][index])

    def withdraw_consents(self, child_id: int | None) -> None:
        """Withdraw (one child's, or every) consent the person gave, and tell them and the area's team."""
        withdrawn = consents.withdraw(self.db, self.person.id, child_id)
        if not withdrawn:
            return
        children = {c for c, _ in withdrawn}
        for draft in self.store.drafts(self.person.id):  # the parent's unfinished forms about the child stop here
            child = self.store.child_of_case(draft.case_id) if draft.case_id is not None else None
            if child is not None and child.id in children:
                self.store.cancel(draft.id)
                if self.draft is not None and self.draft.id == draft.id:
                    self.draft, self.changes.active_draft_id = None, None
        self.say(self.t(T.CONSENT_WITHDRAWN, purposes=self.purpose_list({Purpose(k) for _, k in withdrawn})))
        for child in dict.fromkeys(c for c, _ in withdrawn):
            for chat_id, language in self.store.coordinators(self.store.child_region(child)):
                t = translator(language)
                self.result.notifications.append((chat_id, Reply(t(T.CONSENT_WITHDRAWN_TEAM, child=self.store.child_name(child),
                                                                  name=self.person.name or "—"))))
        self.result.outcome = "consent:withdrawn"

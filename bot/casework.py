"""The KUDU Sekolah cycle in chat: a neighbour's tip, verification, a pendamping, the parent's decision, school.

A mixin of the conversation turn (:class:`bot.conversation._Turn`): the same live keyboard, replies and saved
changes, with the workflow rules in :mod:`cases.service`. Buttons in notices to other people are one-off tokens
bound to their recipient (``notice_*`` handlers); each submitted form of a case moves it (``after_*``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Kind, Reply
from cases import service
from cases.errors import CaseError, DuplicateCase
from cases.messages import STATUS_LABELS
from core.authz import TEAM, Action, allowed
from core.visibility import HIDDEN, FieldClass, Policy, policy
from reports.messages import IMPORT_CONFLICTS, IMPORT_PROGRESS_CHECK, IMPORT_PROGRESS_SAVE
from reports.recap import build_recap
from storage.models import Role
from storage.repositories.responses import SubmitResult

if TYPE_CHECKING:
    from bot.conversation import _Turn

    Base = _Turn
else:
    Base = object

ASSIGNABLE = ("verified", "dropped_out_again")
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
INVITATION_DAYS = 7


class Casework(Base):
    """Workflow steps of a conversation turn."""

    # -- after a form is sent -------------------------------------------------------------------------------
    def after_submit(self, instrument: str, submitted: SubmitResult, case_id: int | None) -> None:
        handler = self.after_submit_handlers().get(instrument) or getattr(self, "after_" + instrument.replace("-", "_"), None)
        if handler is None:
            return
        try:
            handler(submitted, case_id)
        except CaseError as refused:
            self.say("✗ " + refused.render(self.t))

    def after_usulan(self, submitted: SubmitResult, case_id: int | None) -> None:
        proposal = service.propose_from_response(self.db, submitted.response_id)
        details = service.proposal_details(self.db, proposal.case_id)
        self.say(self.t(T.PROPOSAL_SENT, reference=proposal.reference))
        for recipient in service.proposal_recipients(self.db, proposal.case_id):
            t = self.translator_for(recipient.language)
            view = policy(self.store.role_of(recipient.person_id) or Role.MASYARAKAT).for_chat()
            text = t(T.NEW_PROPOSAL, reference=proposal.reference, name=shown(view, FieldClass.IDENTITY, details.child_name),
                     age=details.approx_age, village=details.village, note=shown(view, FieldClass.FREE_TEXT, details.note))
            take = self.notice_button(recipient.person_id, "take_proposal", t(T.TAKE), case_id=proposal.case_id)
            self.result.notifications.append((recipient.chat_id, Reply(text, [[take]])))

    def after_rekonfirmasi(self, submitted: SubmitResult, case_id: int | None) -> None:
        if case_id is None:
            return
        summary = service.case_summary(self.db, case_id)
        if summary.status != "recorded":
            return
        nonce = self.nonce("verify", case=case_id, response=submitted.response_id)
        buttons = [[Button(self.t(T.VALID), R.data(nonce, R.YES)), Button(self.t(T.NOT_VALID), R.data(nonce, R.NO))]]
        self.say(self.t(T.VERIFY_ASK, reference=summary.reference), buttons, live=True)

    def after_pendampingan(self, submitted: SubmitResult, case_id: int | None) -> None:
        if case_id is None:
            return
        logged = service.log_visit(self.db, case_id, self.person.id, submitted.response_id)
        self.say(self.t(T.VISIT_LOGGED, date=logged.visit_date, reference=service.case_summary(self.db, case_id).reference))

    def after_kesediaan(self, submitted: SubmitResult, case_id: int | None) -> None:
        if case_id is None:
            return
        moved = service.record_consent_response(self.db, case_id, submitted.response_id)
        status = self.t(STATUS_LABELS[moved.to_status])
        if moved.to_status != "willing":  # no statement to sign: the pendamping keeps accompanying the family
            self.say(self.t(T.DECISION_RECORDED, reference=moved.reference, status=status))
            self.tell_pendamping(moved.pendamping_id, T.PARENT_DECIDED_NO_LETTER, None, case_id=case_id, status_key=moved.to_status)
            return
        from cases.documents import surat_pernyataan_pdf  # PDF (fpdf) loads on the first letter, not at start-up

        pdf = ("surat-pernyataan-" + moved.reference + ".pdf", surat_pernyataan_pdf(self.db, case_id, submitted.response_id, link=self.case_link(moved.reference)))
        buttons = [[self.notice_button(self.person.id, "fill_pemilihan", self.t(T.CHOOSE_SCHOOL), case_id=case_id)]]
        self.result.replies.append(Reply(self.t(T.CONSENT_RECORDED, reference=moved.reference, status=status), buttons, document=pdf))
        self.tell_pendamping(moved.pendamping_id, T.PARENT_DECIDED, pdf, case_id=case_id, status_key=moved.to_status)

    def after_pemilihan_sekolah(self, submitted: SubmitResult, case_id: int | None) -> None:
        if case_id is None:
            return
        from cases.documents import pemilihan_sekolah_pdf  # see after_kesediaan

        moved = service.record_school_choice(self.db, case_id, submitted.response_id)
        pdf = ("pemilihan-sekolah-" + moved.reference + ".pdf", pemilihan_sekolah_pdf(self.db, case_id, submitted.response_id, link=self.case_link(moved.reference)))
        self.result.replies.append(Reply(self.t(T.SCHOOL_RECORDED, reference=moved.reference), document=pdf))
        self.tell_pendamping(moved.pendamping_id, T.SCHOOL_RECORDED, pdf, case_id=case_id)
        self.ask_school_acceptance(case_id)

    def after_kembali_sekolah(self, submitted: SubmitResult, case_id: int | None) -> None:
        if case_id is None:
            return
        answers = self.draft.state.answers if self.draft else {}
        moved = service.record_return(self.db, case_id, self.person.id, school_npsn=str(answers["K.1"]),
                                      class_level=str(answers["K.2"]), year=int(answers["K.3"]))
        summary = service.case_summary(self.db, case_id)
        monitoring = self.notice_button(self.person.id, "monitoring", self.t(T.MONITORING), case_id=case_id)
        self.say(self.t(T.BACK_IN_SCHOOL, name=summary.child_name, reference=moved.reference), [[monitoring]])

    def after_monitoring(self, submitted: SubmitResult, case_id: int | None) -> None:
        if case_id is None:
            return
        moved = service.record_monitoring(self.db, case_id, submitted.response_id)
        self.say(self.t(T.MONITORING_RECORDED, reference=moved.reference, status=self.t(STATUS_LABELS[moved.to_status])))
        self.warn_if_at_risk(case_id)

    # -- the teams' recaps and exports ------------------------------------------------------------------------
    def cmd_recap(self, _: str) -> None:
        """/rekap: counts for the team's own region, as a chart and a short text."""
        region = self.person.region_code
        if not allowed(self.actor, Action.RECAP, region):
            self.deny("recap")
            return
        recap = build_recap(self.db, region or "", self.today, self.person.language, view=policy(self.person.role).for_chat())
        self.result.replies.append(Reply("", photo=recap.chart_png))
        self.say(recap.text + "\n" + self.programme_recap_lines(region or ""))
        self.result.outcome = "recap"

    def cmd_import(self, _: str) -> None:
        """/impor: a kabupaten team member sends an initial list (BDT, DAPODIK, EMIS, LTM/DO) as a file."""
        if not allowed(self.actor, Action.IMPORT, self.person.region_code):
            self.deny("import")
            return
        nonce = self.nonce("import", scope=self.person.region_code)
        self.say(self.t(T.IMPORT_ASK), [[Button(self.t(T.CANCEL), R.data(nonce, R.CANCEL))]], live=True)

    def menu_import(self, action: str, index: int, menu: dict[str, Any]) -> None:
        self.close_pressed()
        self.changes.menu = None

    def on_import_file(self) -> None:
        """All or nothing: a file with any bad row is rejected whole, with a report by row and column."""
        if self.incoming.problem or not self.incoming.value:
            self.say(self.t(self.incoming.problem or T.NOT_A_LIST_FILE))
            return
        scope = (self.menu or {}).get("scope") or ""
        if not allowed(self.actor, Action.IMPORT, scope):
            self.deny("import")
            return
        from reports.imports import import_file  # spreadsheets (openpyxl) load with the first import

        upload = self.incoming.value
        report = import_file(self.db, upload["content"], upload["filename"], actor_id=self.person.id, region_scope=scope,
                             progress=self._import_progress())
        self.changes.menu = None
        self.result.outcome = "import:" + ("saved" if report.saved else "rejected")
        if report.saved:
            done = self.t(T.IMPORT_DONE, filename=report.filename, rows=report.rows, created=report.created, merged=report.merged,
                          cases=report.cases_opened)
            if report.conflicts:
                done += "\n" + self.t(IMPORT_CONFLICTS, count=report.conflicts)
            self.say(done)
            return
        lines = [self.t(T.IMPORT_REJECTED, filename=report.filename, count=len(report.errors))]
        lines += [self.t(T.IMPORT_PROBLEM, row=p.row, column=p.column or "—", message=p.message.render(self.t)) for p in report.errors[:15]]
        self.say("\n".join(lines))

    def _import_progress(self) -> Callable[[int, int, str], None] | None:
        tell = self.incoming.progress
        if tell is None:
            return None

        def progress(done: int, total: int, stage: str) -> None:
            if stage == "save":
                tell(self.t(IMPORT_PROGRESS_SAVE, done=done, total=total, percent=done * 100 // max(total, 1)))
            elif total == 0:
                tell(self.t(IMPORT_PROGRESS_CHECK, done=done))
        return progress

    def cmd_export(self, reason: str) -> None:
        """/ekspor: the region's data as XLSX (Lampiran 2 columns); only teams, and every export is audited.
        ``/ekspor <reason>`` asks for full NIKs (the kabupaten team, reconciling with Dapodik/Disdukcapil)."""
        from reports.export import NotAllowed, export_region  # spreadsheets (openpyxl) load with the first export

        region = self.person.region_code
        if not allowed(self.actor, Action.EXPORT, region):
            self.deny("export")
            return
        try:
            filename, content = export_region(self.db, region or "", "xlsx", self.person.id, reason=reason.strip() or None)
        except NotAllowed as refused:
            self.say("✗ " + self.t(refused.message, **refused.params))
            self.result.outcome = "denied:export-full-nik"
            return
        text = self.t(T.EXPORT_READY, region=self.store.region_name(region))
        if reason.strip():
            text += "\n" + self.t(T.EXPORT_FULL_NIK, reason=reason.strip())
        self.result.replies.append(Reply(text, document=(filename, content)))
        self.result.outcome = "export"

    # -- buttons in notices ---------------------------------------------------------------------------------
    def notice_take_proposal(self, payload: dict[str, Any]) -> None:
        case_id = int(payload["case_id"])
        try:
            details = service.take_proposal(self.db, case_id, self.person.id)
        except CaseError as refused:
            self.say("✗ " + refused.render(self.t))
            return
        self.edit_pressed(self.t(T.TAKEN, reference=details.reference, name=details.child_name, village=details.village))
        self.start_form("rekonfirmasi", case_id=case_id, prefill={"B.2": details.child_name})

    def notice_visit_log(self, payload: dict[str, Any]) -> None:
        self.start_form("pendampingan", case_id=int(payload["case_id"]))

    def notice_monitoring(self, payload: dict[str, Any]) -> None:
        case_id = int(payload["case_id"])
        summary = service.case_summary(self.db, case_id)
        self.start_form("monitoring", case_id=case_id, prefill={"B.3": summary.child_name})

    def notice_record_return(self, payload: dict[str, Any]) -> None:
        self.start_form("kembali-sekolah", case_id=int(payload["case_id"]))

    def notice_invite_parent(self, payload: dict[str, Any]) -> None:
        case_id = int(payload["case_id"])
        token = service.invite_parent(self.db, case_id, self.person.id, dt.timedelta(days=INVITATION_DAYS))
        link = f"https://t.me/{self.owner.bot_username}?start={token}"
        name = service.case_summary(self.db, case_id).child_name
        self.result.replies.append(Reply(self.t(T.PARENT_INVITATION, name=name, days=INVITATION_DAYS, link=link), photo=self.qr(link)))

    def notice_fill_kesediaan(self, payload: dict[str, Any]) -> None:
        case_id = int(payload["case_id"])
        self.start_form("kesediaan", case_id=case_id, prefill=self.parent_prefill("kesediaan", case_id))

    def notice_fill_pemilihan(self, payload: dict[str, Any]) -> None:
        case_id = int(payload["case_id"])
        self.start_form("pemilihan-sekolah", case_id=case_id, prefill=self.parent_prefill("pemilihan-sekolah", case_id))

    def notice_use_existing(self, payload: dict[str, Any]) -> None:
        moved = service.mark_duplicate(self.db, int(payload["case_id"]), int(payload["existing_id"]), self.person.id, payload.get("response_id"))
        self.edit_pressed(self.t(T.VERIFIED, reference=moved.reference, status=self.t(STATUS_LABELS[moved.to_status])))
        self.tell_proposer(moved.proposer_id, T.VERDICT_DUPLICATE, reference=moved.reference, existing=moved.duplicate_of or "")

    # -- the village team -----------------------------------------------------------------------------------
    def menu_verify(self, action: str, index: int, menu: dict[str, Any]) -> None:
        if action == R.YES:
            self.close_pressed()
            self.verify(menu["case"], menu["response"], True, None)
            return
        self.close_pressed()
        nonce = self.nonce("reason", case=menu["case"], response=menu["response"])
        self.say(self.t(T.REASON_ASK), [[Button(self.t(T.BACK), R.data(nonce, R.BACK))]], live=True)

    def menu_reason(self, action: str, index: int, menu: dict[str, Any]) -> None:
        self.close_pressed()
        self.after_rekonfirmasi(SubmitResult(menu["response"], "", None, False, menu["case"]), menu["case"])

    def on_reason_text(self, text: str) -> None:
        menu = self.menu or {}
        self.verify(menu["case"], menu["response"], False, text.strip()[:500])

    def verify(self, case_id: int, response_id: int, valid: bool, reason: str | None) -> None:
        try:
            moved = service.verify(self.db, case_id, self.person.id, valid, reason, response_id)
        except DuplicateCase as duplicate:
            existing = duplicate.existing[0]
            use = self.notice_button(self.person.id, "use_existing", self.t(T.USE_EXISTING, reference=existing.reference),
                                     case_id=case_id, existing_id=existing.case_id, response_id=response_id)
            self.say(self.t(T.DUPLICATE_OFFER, existing=existing.reference), [[use]])
            return
        except CaseError as refused:
            self.say("✗ " + refused.render(self.t))
            return
        self.changes.menu = None
        self.say(self.t(T.VERIFIED, reference=moved.reference, status=self.t(STATUS_LABELS[moved.to_status])))
        if valid:
            self.tell_proposer(moved.proposer_id, T.VERDICT_VALID, reference=moved.reference)
        else:
            self.tell_proposer(moved.proposer_id, T.VERDICT_NOT_VALID, reference=moved.reference, reason=reason or "")
        self.result.outcome = "verified" if valid else "not-valid"

    def cmd_assign(self, _: str) -> None:
        """/tugaskan: the village team gives a verified child a pendamping."""
        scope = self.person.region_code
        if not allowed(self.actor, Action.ASSIGN, scope):
            self.deny("assign")
            return
        cases = self.store.cases_in(scope or "", ASSIGNABLE)
        if not cases:
            self.say(self.t(T.NO_CASES))
            return
        nonce = self.nonce("assign_case", cases=[c[0] for c in cases])
        self.say(self.t(T.CHOOSE_CASE), [[Button(f"{ref} · {name}", R.data(nonce, R.CHOICE, i))] for i, (_, ref, name, _) in enumerate(cases)], live=True)

    def menu_assign_case(self, action: str, index: int, menu: dict[str, Any]) -> None:
        case_id = menu["cases"][index]
        region = self.store.case_region(case_id)
        if not allowed(self.actor, Action.ASSIGN, region):
            self.deny("assign", "case", case_id, region)
            return
        people = self.store.pendamping_near(region or "")
        summary = service.case_summary(self.db, case_id)
        self.edit_pressed(f"{summary.reference} · {summary.child_name} ✓")
        if not people:
            self.say(self.t(T.NO_PENDAMPING))
            return
        nonce = self.nonce("assign_person", case=case_id, people=[p[0] for p in people])
        self.say(self.t(T.CHOOSE_PENDAMPING, name=summary.child_name), [[Button(name, R.data(nonce, R.CHOICE, i))] for i, (_, name) in enumerate(people)], live=True)

    def menu_assign_person(self, action: str, index: int, menu: dict[str, Any]) -> None:
        case_id, pendamping_id = menu["case"], menu["people"][index]
        if not allowed(self.actor, Action.ASSIGN, self.store.case_region(case_id)):
            self.deny("assign", "case", case_id)
            return
        try:
            moved = service.assign_pendamping(self.db, case_id, pendamping_id, self.person.id)
        except CaseError as refused:
            self.say("✗ " + refused.render(self.t))
            return
        summary = service.case_summary(self.db, case_id)
        self.edit_pressed(self.t(T.ASSIGNED, name=summary.pendamping_name or "", child=summary.child_name, reference=moved.reference))
        self.changes.menu = None
        self.send_case(pendamping_id, case_id, intro=T.YOU_ACCOMPANY)

    # -- the pendamping -------------------------------------------------------------------------------------
    def cmd_cases(self, reference: str) -> None:
        """/kasus: the children a person follows (a pendamping's, a school's pupils, a parent's own child); a team
        gets every case of its area, a page at a time. ``/kasus ATS-3326-000142`` (or a form receipt ``F-…``)
        opens one case."""
        if reference.strip():
            self.open_case_by_reference(reference)
        elif self.actor.role in TEAM:
            self.list_area_cases(0)
        else:
            cases = self.store.cases_of(self.person.id)
            if not cases:
                self.say(self.t(T.NO_CASES))
                return
            nonce = self.nonce("case", cases=[c[0] for c in cases])
            self.say(self.t(T.CHOOSE_CASE), self.case_rows(nonce, cases), live=True)

    def list_area_cases(self, page: int) -> None:
        """One page of the team's area, with ◀ ▶ to move; a press on a page button edits the list in place."""
        page = min(page, MAX_PAGE)
        cases, total = self.store.area_cases(self.actor.region_code, page * CASES_PER_PAGE, CASES_PER_PAGE)
        if not total:
            self.say(self.t(T.NO_CASES))
            return
        pages = (total + CASES_PER_PAGE - 1) // CASES_PER_PAGE
        if page >= pages:  # the list shrank since it was shown: the last page
            page = pages - 1
            cases, total = self.store.area_cases(self.actor.region_code, page * CASES_PER_PAGE, CASES_PER_PAGE)
        nonce = self.nonce("case", cases=[c[0] for c in cases], page=page)
        moves = ([Button("◀", R.data(nonce, R.PAGE, page - 1))] if page > 0 else []) + \
                ([Button("▶", R.data(nonce, R.PAGE, page + 1))] if page + 1 < pages else [])
        text = self.t(T.AREA_CASES, region=self.store.region_name(self.actor.region_code), total=total, page=page + 1, pages=pages)
        reply = Reply(text, self.case_rows(nonce, cases) + ([moves] if moves else []), live=True)
        if self.incoming.message_id and self.incoming.kind is Kind.CALLBACK:
            reply.edit_message_id = self.incoming.message_id
            self.edited.add(self.incoming.message_id)
        self.result.replies.append(reply)

    def case_rows(self, nonce: str, cases: list[tuple[int, str, str, str]]) -> list[list[Button]]:
        view = policy(self.person.role).for_chat()
        return [[Button(f"{ref} · {shown(view, FieldClass.IDENTITY, name)} · {self.t(STATUS_LABELS[status])}", R.data(nonce, R.CHOICE, i))]
                for i, (_, ref, name, status) in enumerate(cases)]

    def open_case_by_reference(self, reference: str) -> None:
        """A case by its reference or by the receipt of one of its forms, if this person may open it."""
        try:
            case_id = service.case_by_reference(self.db, reference)
        except CaseError:
            self.say(self.t(T.NO_SUCH_CASE, reference=reference.strip()[:40]))
            return
        if not self.follows(case_id):
            self.deny("read_child", "case", case_id, self.store.case_region(case_id))
            return
        self.send_case(self.person.id, case_id)

    def menu_case(self, action: str, index: int, menu: dict[str, Any]) -> None:
        if action == R.PAGE and "page" in menu:
            self.list_area_cases(index)
            return
        if action != R.CHOICE:
            return
        case_id = menu["cases"][index]
        if not self.follows(case_id):  # handed over meanwhile
            self.deny("read_child", "case", case_id)
            return
        self.close_pressed()
        self.changes.menu = None
        self.send_case(self.person.id, case_id)

    def send_case(self, person_id: int, case_id: int, intro: str | None = None) -> None:
        """A child's summary with the pendamping's actions; reading another person's record is audited."""
        target = self.store.chat_of(person_id)
        if target is None:
            return
        chat_id, language = target
        t = self.translator_for(language)
        s = service.case_summary(self.db, case_id)
        self.store.audit("child.read", person_id, "child", s.child_id, s.region_code, {"case": s.reference, "via": "summary"})
        view = policy(self.store.role_of(person_id) or Role.MASYARAKAT).for_chat()
        text = t(T.CASE_SUMMARY, reference=s.reference, name=shown(view, FieldClass.IDENTITY, s.child_name), status=t(STATUS_LABELS[s.status]),
                 age=s.age if s.age is not None else "—", sex=s.sex or "—", nik=shown(view, FieldClass.NIK, s.nik_masked),
                 village=s.village or "—", address=shown(view, FieldClass.LOCATION, s.address), last_visit=s.last_visit or "—",
                 school=s.school_name or "—")
        if intro:
            text = t(intro) + "\n\n" + text
        relations = self.store.relations(person_id, case_id)
        actions = [a for role, offered in CASE_ACTIONS.items() if RELATION_OF_ROLE[role] in relations for a in offered]
        actions = list(dict.fromkeys(actions))
        buttons = [self.notice_button(person_id, kind, t(label), case_id=case_id) for kind, label in actions]
        reply = Reply(text, [buttons[i : i + 2] for i in range(0, len(buttons), 2)])
        if person_id == self.person.id:
            self.result.replies.append(reply)
        else:
            self.result.notifications.append((chat_id, reply))

    # -- helpers --------------------------------------------------------------------------------------------
    def follows(self, case_id: int) -> bool:
        """Whether this person may act on the case: a team inside its region, anyone else only the children
        they follow (:meth:`BotStore.cases_of`)."""
        if self.actor.role in TEAM:
            return allowed(self.actor, Action.READ_CHILD, self.store.case_region(case_id))
        return self.store.follows(self.person.id, case_id)

    def may_act(self, kind: str, case_id: int) -> bool:
        """Whether this person may press a case button of ``kind`` now: the relation the action needs."""
        return bool(NOTICE_RELATIONS[kind] & self.store.relations(self.person.id, case_id))

    def joined_parent(self, case_id: int) -> None:
        """A parent who opened the pendamping's link: the statement of willingness is one tap away."""
        self.say(self.t(T.FILL_STATEMENT), [[self.notice_button(self.person.id, "fill_kesediaan", self.t(T.FILL_STATEMENT), case_id=case_id)]])

    def child_prefill(self, case_id: int, **refs: str) -> dict[str, Any]:
        """Answers about the child the case already knows, for a form about them (the parent reads them in the
        review and may change any)."""
        child = self.store.child_of_case(case_id)
        answers: dict[str, Any] = {}
        if child is not None:
            values = {"name": child.name, "place": child.birth_place, "born": child.birth_date.isoformat() if child.birth_date else None,
                      "sex": {"L": "1", "P": "2"}.get(child.sex.value) if child.sex else None, "address": child.address}
            answers = {refs[key]: value for key, value in values.items() if key in refs and value}
        return answers

    def tell_proposer(self, proposer_id: int | None, message: str, **params: Any) -> None:
        target = self.store.chat_of(proposer_id)
        if target is not None and proposer_id != self.person.id:
            self.result.notifications.append((target[0], Reply(self.translator_for(target[1])(message, **params))))

    def tell_pendamping(self, pendamping_id: int | None, message: str, pdf: tuple[str, bytes] | None, *, case_id: int,
                        status_key: str | None = None) -> None:
        target = self.store.chat_of(pendamping_id)
        if target is None or pendamping_id == self.person.id:
            return
        t = self.translator_for(target[1])
        summary = service.case_summary(self.db, case_id)
        text = t(message, name=summary.child_name, reference=summary.reference, status=t(STATUS_LABELS[status_key]) if status_key else "")
        self.result.notifications.append((target[0], Reply(text, document=pdf)))


CASES_PER_PAGE = 10
MAX_PAGE = 100_000


def shown(view: Policy, field_class: FieldClass, value: str | None) -> str:
    """A field of a child's record as the reader's role sees it in chat (``core.visibility``); "—" for none."""
    seen = view.present(field_class, value)
    return "—" if seen is HIDDEN or seen is None or seen == "" else str(seen)

"""Steps of the programme the chat carries besides the core cycle (issue 19), as explicit handler registries.

A mixin of the conversation turn, like :mod:`bot.casework`. Each concern registers its handlers by name in
one of the tables below, so nothing is dispatched by building method names:

- ``after_submit``: what follows a sent form (a household roster opens cases; risk indicators warn);
- ``notices``: buttons in a child's summary that act on the case;
- ``commands`` and ``menus``: chat commands and the live keyboards they open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot import texts as T
from bot.model import Reply
from cases.checks import awaiting_count
from cases.roster import cases_from_roster
from core.authz import Action, allowed
from reports.early_warning import due_alerts, mark_alerted
from reports.targets import TargetError, set_target, targets_for
from storage.repositories.responses import SubmitResult

if TYPE_CHECKING:
    from bot.conversation import _Turn

    Base = _Turn
else:
    Base = object

CASE_LINK_PREFIX = "kasus-"
"""``/start kasus-ATS-3326-000142``: the QR code on the family's letters opens the child's case."""
AfterSubmit = Callable[[SubmitResult, "int | None"], None]


class Programme(Base):
    """Roster → cases and the early warning wired into the chat."""

    # -- registries -----------------------------------------------------------------------------------------
    def after_submit_handlers(self) -> dict[str, AfterSubmit]:
        return {"rumah-tangga": self.after_roster, "indikator-risiko": self.after_risk_indicators}

    def programme_notices(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        return {"risk_indicators": self.notice_risk_indicators, "accept_school": self.notice_accept_school,
                "refuse_school": self.notice_refuse_school}

    def programme_commands(self) -> dict[str, Callable[[str], None]]:
        return {"periksa": self.cmd_check, "target": self.cmd_target}

    def programme_menus(self) -> dict[str, Callable[[str, int, dict[str, Any]], None]]:
        return {"check_desa": self.menu_check_desa, "check_cases": self.menu_check_cases, "check_note": self.menu_check_note,
                "school_refusal": self.menu_school_refusal}

    def programme_texts(self) -> dict[str, Callable[[str], None]]:
        """Live keyboards that wait for typed text (a note), by their kind."""
        return {"check_note": self.on_check_note, "school_refusal": self.on_school_refusal}

    def programme_recap_lines(self, region: str) -> str:
        """What the recap adds for the programme's steps: cases awaiting the kecamatan's check."""
        return self.t(T.CHECK_AWAITING_RECAP, count=awaiting_count(self.db, region))

    # -- yearly targets ---------------------------------------------------------------------------------------
    def cmd_target(self, args: str) -> None:
        """/target [YEAR CHILDREN]: the kabupaten team reads or sets its yearly target (Bab I.F); "-" removes one."""
        region = self.person.region_code
        if not allowed(self.actor, Action.SET_TARGETS, region) or not region or region.count(".") != 1:
            self.deny("set_targets")
            return
        words = args.split()
        if words:
            if len(words) != 2 or not words[0].isdigit() or not (words[1].isdigit() or words[1] == "-"):
                self.say(self.t(T.TARGET_USAGE))
                return
            try:
                with self.db.write() as session:
                    set_target(session, region, int(words[0]), None if words[1] == "-" else int(words[1]), actor_id=self.person.id)
            except TargetError as refused:
                self.say("✗ " + self.t(T.TARGET_REFUSED[refused.reason]) + "\n" + self.t(T.TARGET_USAGE))
                return
            self.result.outcome = "target:set"
        with self.db.read() as session:
            years = targets_for(session, region)
        lines = [self.t(T.TARGET_LINE, year=year, count=count) for year, count in sorted(years.items())]
        self.say(self.t(T.TARGETS_OF, region=self.store.region_name(region)) + "\n" + ("\n".join(lines) or "—") + "\n\n" + self.t(T.TARGET_USAGE))

    # -- the QR code on the letters --------------------------------------------------------------------------
    def case_link(self, reference: str) -> str:
        return f"https://t.me/{self.owner.bot_username}?start={CASE_LINK_PREFIX}{reference}"

    def open_case_link(self, reference: str) -> None:
        """The link of a letter's QR code: the child's summary for someone who follows the child (the parent, the
        pendamping, the school); anyone else is refused and the attempt audited — the link grants nothing."""
        case_id = self.store.case_id_by_reference(reference)
        if case_id is None or not self.follows(case_id):
            self.deny("open_case_link", "case", reference[:20], self.store.case_region(case_id) if case_id else None)
            return
        self.send_case(self.person.id, case_id)
        self.result.outcome = "case-link"

    # -- roster → cases ------------------------------------------------------------------------------------
    def after_roster(self, submitted: SubmitResult, case_id: int | None) -> None:
        """Each out-of-school member of the household opens a case (or joins the child's existing one)."""
        found = cases_from_roster(self.db, submitted.response_id, self.person.id)
        if not found:
            self.say(self.t(T.ROSTER_NONE))
            return
        lines = [self.t(T.ROSTER_OPENED if c.opened else T.ROSTER_JOINED, reference=c.reference, name=c.name) for c in found]
        self.say(self.t(T.ROSTER_CASES, count=len(found)) + "\n" + "\n".join(lines))
        self.result.outcome = "roster:cases"

    # -- early warning ---------------------------------------------------------------------------------------
    def after_risk_indicators(self, submitted: SubmitResult, case_id: int | None) -> None:
        if case_id is not None:
            self.warn_if_at_risk(case_id)

    def warn_if_at_risk(self, case_id: int) -> None:
        """Early warning (Lampiran 7, Bab II.H, IV): a flagged pupil's pendamping, desa team and kecamatan
        coordinator are told at once; signs they were already told of are not repeated."""
        region = self.store.case_region(case_id) or ""
        for alert in due_alerts(self.db, region, self.today, case_id=case_id):
            if alert.chat_id is None:
                continue
            if alert.person_id == self.person.id:
                self.say(alert.text)
            else:
                self.result.notifications.append((alert.chat_id, Reply(alert.text)))
            mark_alerted(self.db, alert)

    def notice_risk_indicators(self, payload: dict[str, Any]) -> None:
        self.start_form("indikator-risiko", case_id=int(payload["case_id"]))

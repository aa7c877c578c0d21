"""Steps of the programme the chat carries besides the core cycle: a household roster opens cases, the early
warning after risk indicators and monitoring, and the kabupaten's yearly targets."""

from __future__ import annotations

from typing import Any

from bot import texts as T
from bot.handlers.asking import start_form
from bot.model import Reply
from bot.turn import Submitted, Turn
from cases.roster import cases_from_roster
from core.authz import Action, allowed
from reports.early_warning import due_alerts, record_alert
from reports.targets import TargetError, set_target, targets_for


# -- yearly targets ---------------------------------------------------------------------------------------
def cmd_target(turn: Turn, args: str) -> None:
    """/target [YEAR CHILDREN]: the kabupaten team reads or sets its yearly target (Bab I.F); "-" removes one."""
    region = turn.person.region_code
    if not allowed(turn.actor, Action.SET_TARGETS, region) or not region or region.count(".") != 1:
        turn.deny("set_targets")
        return
    words = args.split()
    if words:
        if len(words) != 2 or not words[0].isdigit() or not (words[1].isdigit() or words[1] == "-"):
            turn.say(turn.t(T.TARGET_USAGE))
            return
        try:  # refused before anything is written
            set_target(turn.uow.session, region, int(words[0]), None if words[1] == "-" else int(words[1]), actor_id=turn.person.id)
        except TargetError as refused:
            turn.say("✗ " + turn.t(T.TARGET_REFUSED[refused.reason]) + "\n" + turn.t(T.TARGET_USAGE))
            return
        turn.result.outcome = "target:set"
    years = targets_for(turn.uow.session, region)
    lines = [turn.t(T.TARGET_LINE, year=year, count=count) for year, count in sorted(years.items())]
    turn.say(turn.t(T.TARGETS_OF, region=turn.store.region_name(region)) + "\n" + ("\n".join(lines) or "—") + "\n\n" + turn.t(T.TARGET_USAGE))


# -- roster → cases ------------------------------------------------------------------------------------
def after_roster(turn: Turn, sent: Submitted) -> None:
    """Each out-of-school member of the household opens a case (or joins the child's existing one)."""
    found = cases_from_roster(turn.uow, sent.result.response_id, turn.person.id)
    if not found:
        turn.say(turn.t(T.ROSTER_NONE))
        return
    lines = [turn.t(T.ROSTER_OPENED if c.opened else T.ROSTER_JOINED, reference=c.reference, name=c.name) for c in found]
    turn.say(turn.t(T.ROSTER_CASES, count=len(found)) + "\n" + "\n".join(lines))
    turn.result.outcome = "roster:cases"


# -- early warning ---------------------------------------------------------------------------------------
def after_risk_indicators(turn: Turn, sent: Submitted) -> None:
    if sent.case_id is not None:
        warn_if_at_risk(turn, sent.case_id)


def warn_if_at_risk(turn: Turn, case_id: int) -> None:
    """Early warning (Lampiran 7, Bab II.H, IV): a flagged pupil's pendamping, desa team and kecamatan
    coordinator are told at once; signs they were already told of are not repeated."""
    region = turn.store.case_region(case_id) or ""
    for alert in due_alerts(turn.db, region, turn.today, case_id=case_id):
        if alert.chat_id is None:
            continue
        if alert.person_id == turn.person.id:
            turn.say(alert.text)
        else:
            turn.notify(alert.chat_id, Reply(alert.text))
        record_alert(turn.uow.session, alert)


def notice_risk_indicators(turn: Turn, payload: dict[str, Any]) -> None:
    start_form(turn, "indikator-risiko", case_id=int(payload["case_id"]))

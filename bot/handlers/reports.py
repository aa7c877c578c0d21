"""The teams' recaps, exports and imports in chat: ``/rekap``, ``/ekspor``, ``/impor`` (and the file it waits for)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import render as R
from bot import texts as T
from bot.model import Button, Reply
from bot.turn import Menu, Turn
from core.authz import Action, allowed
from core.visibility import policy
from reports.messages import IMPORT_CONFLICTS, IMPORT_PROGRESS_BOTH, IMPORT_PROGRESS_CHECK, IMPORT_PROGRESS_SAVE
from reports.programme_recap import programme_lines, programme_recap
from reports.recap import build_recap
from storage.db import Database


def cmd_recap(turn: Turn, _: str) -> None:
    """/rekap: counts for the team's own region, as a chart and a short text."""
    region = turn.person.region_code
    if not allowed(turn.actor, Action.RECAP, region):
        turn.deny("recap")
        return
    recap = build_recap(turn.db, region or "", turn.today, turn.person.language, view=policy(turn.person.role).for_chat())
    turn.result.replies.append(Reply("", photo=recap.chart_png))
    helped = programme_recap(turn.uow.session, region or "", turn.today)
    turn.say("\n".join([recap.text, *programme_lines(helped, region or "", turn.t)]))
    turn.result.outcome = "recap"


def cmd_import(turn: Turn, _: str) -> None:
    """/impor: a kabupaten team member sends an initial list (BDT, DAPODIK, EMIS, LTM/DO) as a file."""
    if not allowed(turn.actor, Action.IMPORT, turn.person.region_code):
        turn.deny("import")
        return
    nonce = turn.nonce("import", scope=turn.person.region_code)
    turn.say(turn.t(T.IMPORT_ASK), [[Button(turn.t(T.CANCEL), R.data(nonce, R.CANCEL))]], live=True)


def menu_import(turn: Turn, action: str, index: int, menu: Menu) -> None:
    turn.close_pressed()
    turn.changes.menu = None


def on_import_file(turn: Turn) -> None:
    """All or nothing: a file with any bad row is rejected whole, with a report by row and column."""
    if turn.incoming.problem or not turn.incoming.value:
        turn.say(turn.t(turn.incoming.problem or T.NOT_A_LIST_FILE))
        return
    scope = (turn.menu or {}).get("scope") or ""
    if not allowed(turn.actor, Action.IMPORT, scope):
        turn.deny("import")
        return
    turn.changes.menu = None
    upload = turn.incoming.value
    # An import publishes in short transactions of its own, so the bot keeps answering: after the turn's commit.
    turn.after_commit.append(lambda db: _import(turn, db, upload, scope))


def _import(turn: Turn, db: Database, upload: dict[str, Any], scope: str) -> None:
    from reports.imports import import_file  # spreadsheets (openpyxl) load with the first import

    report = import_file(db, upload["content"], upload["filename"], actor_id=turn.person.id, region_scope=scope,
                         progress=_import_progress(turn))
    turn.result.outcome = "import:" + ("saved" if report.saved else "rejected")
    if report.saved:
        done = turn.t(T.IMPORT_DONE, filename=report.filename, rows=report.rows, created=report.created, merged=report.merged,
                      cases=report.cases_opened)
        if report.conflicts:
            done += "\n" + turn.t(IMPORT_CONFLICTS, count=report.conflicts)
        turn.say(done)
        return
    lines = [turn.t(T.IMPORT_REJECTED, filename=report.filename, count=len(report.errors))]
    lines += [turn.t(T.IMPORT_PROBLEM, row=p.row, column=p.column or "—", message=p.message.render(turn.t)) for p in report.errors[:15]]
    turn.say("\n".join(lines))


def _import_progress(turn: Turn) -> Callable[[int, int, str], None] | None:
    """While the check reads the list, the rows checked and saved so far (the total is not known yet: the rows
    are saved as they pass); then the saving's end, with its percentage."""
    tell = turn.incoming.progress
    if tell is None:
        return None
    counts = {"check": 0, "save": 0}

    def progress(done: int, total: int, stage: str) -> None:
        counts[stage] = done
        if stage == "save" and total:
            tell(turn.t(IMPORT_PROGRESS_SAVE, done=done, total=total, percent=done * 100 // max(total, 1)))
        elif not total and counts["save"]:
            tell(turn.t(IMPORT_PROGRESS_BOTH, checked=counts["check"], saved=counts["save"]))
        elif not total:
            tell(turn.t(IMPORT_PROGRESS_CHECK, done=done))
    return progress


def cmd_export(turn: Turn, reason: str) -> None:
    """/ekspor: the region's data as XLSX (Lampiran 2 columns); only teams, and every export is audited.
    ``/ekspor <reason>`` asks for full NIKs (the kabupaten team, reconciling with Dapodik/Disdukcapil)."""
    from reports.export import NotAllowed, export_region  # spreadsheets (openpyxl) load with the first export

    region = turn.person.region_code
    if not allowed(turn.actor, Action.EXPORT, region):
        turn.deny("export")
        return
    try:
        filename, content = export_region(turn.db, region or "", "xlsx", turn.person.id, reason=reason.strip() or None)
    except NotAllowed as refused:
        turn.say("✗ " + turn.t(refused.message, **refused.params))
        turn.result.outcome = "denied:export-full-nik"
        return
    text = turn.t(T.EXPORT_READY, region=turn.store.region_name(region))
    if reason.strip():
        text += "\n" + turn.t(T.EXPORT_FULL_NIK, reason=reason.strip())
    turn.result.replies.append(Reply(text, document=(filename, content)))
    turn.result.outcome = "export"

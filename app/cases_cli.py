"""``ats-bot schools import`` and ``ats-bot cases show|history``: the school list and a case as the team sees it."""

from __future__ import annotations

import argparse
from zoneinfo import ZoneInfo

from cases import messages as m
from cases.presenting import action_label, status_label, step_label, summary_lines
from cases.schools import SchoolImportError, import_schools_file
from cases.service import CaseError, case_by_reference, case_history, case_summary, proposal_details
from core.i18n import translator
from core.settings import get_settings
from storage.db import Database
from storage.models import Case, Region
from storage.repositories.audit import add_entry
from storage.startup import open_database
from storage.uow import reading, unit_of_work


def _database() -> Database:
    return open_database(get_settings())


def cmd_schools_import(args: argparse.Namespace) -> int:
    t = translator(args.lang)
    db = _database()
    try:
        result = import_schools_file(db, args.file, scope=args.scope)
    except SchoolImportError as error:
        for problem in error.errors:
            print(t(problem.message, **problem.params))
        print(t(m.IMPORT_FAILED, count=len(error.errors)))
        return 1
    finally:
        db.dispose()
    print(t(m.IMPORT_DONE, created=result.created, updated=result.updated))
    return 0


def cmd_cases_show(args: argparse.Namespace) -> int:
    t = translator(args.lang)
    db = _database()
    try:
        with unit_of_work(db) as uow:
            case_id = case_by_reference(uow, args.reference)
            summary = case_summary(uow, case_id)
            add_entry(uow.session, "child.read", "child", summary.child_id, region_code=summary.region_code,
                      detail={"case": summary.reference, "via": "cli"})  # the OS user and host are the actor
            proposal = proposal_details(uow, case_id) if summary.proposed_by is not None else None
        print("\n".join(summary_lines(t, summary)))
        if proposal is not None and proposal.note:
            print(f"> {proposal.note}")
    except CaseError as error:
        print(error.render(t))
        return 1
    finally:
        db.dispose()
    return 0


def cmd_cases_history(args: argparse.Namespace) -> int:
    t = translator(args.lang)
    db = _database()
    try:
        with reading(db) as uow:
            case_id = case_by_reference(uow, args.reference)
            entries = case_history(uow, case_id)
        zone = _zone(db, case_id)
    except CaseError as error:
        print(error.render(t))
        return 1
    finally:
        db.dispose()
    for entry in entries:
        moved = f"{status_label(t, entry.from_status)} → " if entry.from_status else "→ "
        parts = [
            entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
            step_label(t, entry) if entry.subject else moved + status_label(t, entry.to_status),
            action_label(t, entry.event) if entry.event and not entry.subject else "",
            entry.actor_name or (f"#{entry.actor_id}" if entry.actor_id else "-"),
            entry.reason or "",
            entry.response_reference or "",
        ]
        print("  ".join(p for p in parts if p))
    return 0


def _zone(db: Database, case_id: int) -> ZoneInfo:
    with db.read() as session:
        case = session.get(Case, case_id)
        region = session.get(Region, case.region_code) if case else None
    return ZoneInfo(region.timezone.value if region else "Asia/Jakarta")

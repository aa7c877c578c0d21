"""``ats-bot schools import`` and ``ats-bot cases show|history`` (implementation: ``app.cases_cli``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import handler
from core.languages import LANGUAGES

IMPL = "app.cases_cli"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schools = subparsers.add_parser("schools", help="the district's school list (for the parent's choice)")
    schools_sub = schools.add_subparsers(dest="schools_command", required=True, metavar="COMMAND")
    load = schools_sub.add_parser(
        "import", help="import or update schools from a CSV (NPSN, NAMA, JENJANG, STATUS, ALAMAT, KODE_WILAYAH or KECAMATAN)"
    )
    load.add_argument("file", type=Path, metavar="FILE", help="the CSV file")
    load.add_argument("--scope", help="the kabupaten the list belongs to, e.g. 33.26 (KECAMATAN names are looked up there)")
    load.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the report (default en)")
    handler(load, f"{IMPL}:cmd_schools_import")

    cases = subparsers.add_parser("cases", help="a child's case: summary and history")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True, metavar="COMMAND")
    show = cases_sub.add_parser("show", help="the case's summary (NIK masked)")
    show.add_argument("reference", metavar="REFERENCE", help="e.g. ATS-3326-000142")
    show.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the summary (default en)")
    handler(show, f"{IMPL}:cmd_cases_show")
    history = cases_sub.add_parser("history", help="every move of the case: when, who, why")
    history.add_argument("reference", metavar="REFERENCE", help="e.g. ATS-3326-000142")
    history.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the history (default en)")
    handler(history, f"{IMPL}:cmd_cases_history")
    conflicts = cases_sub.add_parser(
        "conflicts", help="the review list: records sharing a NIK but not a name or sex (list, show, merge, apart, fix-nik)"
    )
    conflicts.add_argument("action", nargs="?", default="list", choices=("list", "show", "merge", "apart", "fix-nik"),
                           metavar="ACTION", help="list (default), show N, merge N, apart N or fix-nik N NIK")
    conflicts.add_argument("number", nargs="?", type=int, metavar="N", help="the conflict's number")
    conflicts.add_argument("nik", nargs="?", metavar="NIK", help="for fix-nik: the held record's correct NIK")
    conflicts.add_argument("--region", default="", help="only this region (Kemendagri code), e.g. 33.26.01")
    conflicts.add_argument("--all", action="store_true", help="also the decided ones")
    conflicts.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the output (default en)")
    handler(conflicts, "app.conflicts_cli:cmd_conflicts")

"""``ats-bot report | export | list | import | import-clean | reconcile | recap-summary`` (implementation: ``app.reports_cli``).

REGION ``nasional`` (or ``all``) is every region.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import handler
from core.languages import LANGUAGES

IMPL = "app.reports_cli"
REGION_HELP = "Kemendagri code (33.26, 33.26.01, 33.26.01.2001) or 'nasional' for every region"
LANG_HELP = "language of the output and progress (default id)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="recap of a region (text; --chart writes the PNG)")
    report.add_argument("region", metavar="REGION", help=REGION_HELP)
    report.add_argument("--lang", default="id", choices=LANGUAGES, help=LANG_HELP)
    report.add_argument("--today", default=None, help="YYYY-MM-DD (default: today)")
    report.add_argument("--chart", type=Path, default=None, metavar="FILE", help="write the chart to this PNG file")
    handler(report, f"{IMPL}:_report")

    export = subparsers.add_parser("export", help="a region's data (Lampiran 2) or an instrument's responses")
    export.add_argument("region", metavar="REGION", help=REGION_HELP)
    export.add_argument("--format", dest="fmt", choices=("xlsx", "csv"), required=True, help="xlsx, or csv (a .zip of one CSV per sheet)")
    export.add_argument("--instrument", default=None, help="NAME or 'all' for the responses of forms (default: Lampiran 2)")
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write (its folder is created)")
    export.add_argument("--lang", default="id", choices=LANGUAGES, help=LANG_HELP)
    export.add_argument("--full-nik-reason", default=None, metavar="REASON",
                        help="export full NIKs (masked otherwise), e.g. 'rekonsiliasi Dapodik'; audited with the reason")
    handler(export, f"{IMPL}:_export")

    lists = subparsers.add_parser("list", help="the kabupaten's programme lists: recipients of assistance (XLSX), the Bupati's list")
    lists.add_argument("kind", choices=("recipients", "bupati"), help="recipients: assistance of a year; bupati: children to handle")
    lists.add_argument("region", metavar="REGION", help="the kabupaten (or a kecamatan of it)")
    lists.add_argument("--year", type=int, default=None, help="recipients: the year (default: this year)")
    lists.add_argument("--decree-date", default=None, metavar="YYYY-MM-DD", help="bupati: the decree's date (deadline 2 months after)")
    lists.add_argument("--out", type=Path, required=True, metavar="FILE", help="FILE.xlsx (bupati: or FILE.pdf), written 0600")
    handler(lists, f"{IMPL}:_list")

    imp = subparsers.add_parser("import", help="import a Lampiran 2 list (BDT, DAPODIK, EMIS, LTM, DO) from XLSX or CSV")
    imp.add_argument("file", type=Path, metavar="FILE", help="the XLSX or CSV file")
    imp.add_argument("--region", required=True, help="the scope whose desa and kecamatan the list names")
    imp.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
    imp.add_argument("--lang", default="id", choices=LANGUAGES, help=LANG_HELP)
    handler(imp, f"{IMPL}:_import")

    clean = subparsers.add_parser("import-clean", help="remove imports interrupted while saving (stopped for 10 minutes)")
    clean.add_argument("--lang", default="id", choices=LANGUAGES, help=LANG_HELP)
    handler(clean, f"{IMPL}:_import_clean")

    rec = subparsers.add_parser("reconcile", help="match a Dapodik/EMIS enrolment export against the ATS list")
    rec.add_argument("file", type=Path, metavar="FILE", help="the XLSX or CSV enrolment export")
    rec.add_argument("--region", required=True, help=REGION_HELP)
    rec.add_argument("--lang", default="id", choices=LANGUAGES, help=LANG_HELP)
    handler(rec, f"{IMPL}:_reconcile")

    summary = subparsers.add_parser("recap-summary", help="check the recap summary against the cases and repair it (set-based)")
    summary.add_argument("--check", action="store_true", help="only count the counters that differ; change nothing")
    summary.add_argument("--lang", default="id", choices=LANGUAGES, help=LANG_HELP)
    handler(summary, f"{IMPL}:_recap_summary")

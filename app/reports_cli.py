"""``ats-bot report | export | list | import | reconcile``: the teams' recaps, exports, the programme's lists and
list imports on the command line.

    ats-bot report 33.26 [--lang id|en|jv] [--today 2026-11-23] [--chart rekap.png]
    ats-bot export 33.26 --format xlsx|csv [--instrument NAME|all] --out FILE
    ats-bot list recipients 33.26 [--year 2026] --out penerima.xlsx
    ats-bot list bupati 33.26 --decree-date 2026-12-01 --out daftar.xlsx|daftar.pdf
    ats-bot import daftar-do.xlsx --region 33.26 [--dry-run] [--lang id]
    ats-bot import-clean [--lang id]
    ats-bot reconcile dapodik.xlsx --region 33.26 [--lang id]

REGION ``nasional`` (or ``all``) is every region. The command line acts as the operator who can read the
database: no role check; exports and imports are audited without a person.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import zipfile
from collections.abc import Callable
from typing import Any, BinaryIO

from flows.messages import N_

NATIONAL = ("nasional", "national", "all", "*", "")
UNKNOWN_REGION = N_("Region {region} is not loaded: check the Kemendagri code (e.g. 33.26), or load it with: "
                    "ats-bot regions load {kabupaten}. Nothing was written.")
UNREADABLE_FILE = N_("Cannot read {file}: it is not a spreadsheet (XLSX) or a CSV file ({problem}).")
SUMMARY_CHECKED = N_("Recap summary: {cases} cases counted; {differ} counters differ from the cases (nothing changed: --check).")
SUMMARY_REPAIRED = N_("Recap summary: {cases} cases counted; {differ} counters differed from the cases and were repaired.")
CHECKING = N_("checking")
SAVING = N_("saving")
ROWS = N_("rows")
IMPORT_CLEANED = N_("Removed the interrupted import of {filename}: the {rows} rows it had saved are gone; import the file again.")
NOTHING_TO_CLEAN = N_("No interrupted import to remove.")


def _region(value: str) -> str:
    return "" if value.strip().lower() in NATIONAL else value.strip()


def _unknown_region(db: Any, args: argparse.Namespace) -> bool:
    """Whether REGION names no loaded region (then say so, in the command's language)."""
    from core.i18n import translator
    from storage.models import Region

    code = _region(args.region)
    if not code:
        return False
    with db.read() as session:
        if session.get(Region, code) is not None:
            return False
    print(translator(args.lang)(UNKNOWN_REGION, region=code, kabupaten=".".join(code.split(".")[:2])), file=sys.stderr)
    return True


def _database() -> Any:
    from core.settings import get_settings
    from storage.startup import open_database

    return open_database(get_settings())


def _report(args: argparse.Namespace) -> int:
    from reports.recap import build_recap

    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    db = _database()
    try:
        if _unknown_region(db, args):
            return 2
        recap = build_recap(db, _region(args.region), today, args.lang)
    finally:
        db.dispose()
    print(recap.text)
    if args.chart:
        from storage.private_files import write_private

        write_private(args.chart, recap.chart_png)
        print(f"\n{args.chart}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from reports.export import UnknownInstrument, export_region_to, export_responses_to

    def produce(db: Any, out: BinaryIO) -> None:
        if args.instrument:
            export_responses_to(db, _region(args.region), args.instrument, args.fmt, None, out, reason=args.full_nik_reason)
        else:
            export_region_to(db, _region(args.region), args.fmt, None, out, reason=args.full_nik_reason)

    try:
        return _write_private_file(args, produce)
    except UnknownInstrument as exc:
        print(exc, file=sys.stderr)
        return 2


def _list(args: argparse.Namespace) -> int:
    """The recipients of assistance (XLSX) or the Bupati's list (XLSX, or PDF when ``--out`` ends in .pdf)."""
    from reports.programme_lists import bupati_pdf, bupati_xlsx, write_recipients

    if args.kind == "recipients":
        year = args.year or dt.date.today().year
        return _write_private_file(args, lambda db, out: write_recipients(db, _region(args.region), year, None, out))
    try:
        decree = dt.date.fromisoformat(args.decree_date or "")
    except ValueError:
        print("--decree-date YYYY-MM-DD is needed for the Bupati's list (the deadline is 2 months after it)", file=sys.stderr)
        return 2
    make = bupati_pdf if args.out.suffix.lower() == ".pdf" else bupati_xlsx
    return _write_private_file(args, lambda db, out: out.write(make(db, _region(args.region), decree, None)[1]))


def _write_private_file(args: argparse.Namespace, produce: Callable[[Any, BinaryIO], object]) -> int:
    """Streams into a private (0600) temporary file beside ``--out``, renamed into place when complete: memory
    stays flat at any size, and a refused or failed export leaves no file behind."""
    import os

    from storage.private_files import open_private

    db = _database()
    partial = args.out.with_name(f".{args.out.name}.part")
    try:
        if _unknown_region(db, args):
            return 2
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open_private(partial) as out:
            produce(db, out)
        os.replace(partial, args.out)
    finally:
        partial.unlink(missing_ok=True)
        db.dispose()
    print(f"{args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


class _Bars:
    """tqdm progress bars for the two passes of an import (plain lines when tqdm is not installed)."""

    def __init__(self, language: str) -> None:
        from core.i18n import translator

        self.bars: dict[str, Any] = {}
        self.t = translator(language)

    def __call__(self, done: int, total: int, stage: str) -> None:
        """``total`` 0: not known yet (the check streams the file), the bar counts rows and their rate."""
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            label = {"check": self.t(CHECKING), "save": self.t(SAVING)}.get(stage, stage)
            bar = self.bars[stage] = tqdm(total=total or None, desc=label, unit=f" {self.t(ROWS)}", file=sys.stderr)
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _import(args: argparse.Namespace) -> int:
    from core.i18n import translator
    from reports.imports import import_file

    db = _database()
    bars = _Bars(args.lang)
    try:
        report = import_file(db, args.file, args.file.name, actor_id=None, region_scope=_region(args.region),
                             dry_run=args.dry_run, progress=bars)
    finally:
        bars.close()
        db.dispose()
    print(report.render(translator(args.lang), limit=10_000))
    return 1 if report.rejected else 0


def _import_clean(args: argparse.Namespace) -> int:
    from core.i18n import translator
    from reports.import_publish import clean_interrupted

    t = translator(args.lang)
    db = _database()
    try:
        cleaned = clean_interrupted(db)
    finally:
        db.dispose()
    for batch in cleaned:
        print(t(IMPORT_CLEANED, filename=batch.filename, rows=batch.rows))
    if not cleaned:
        print(t(NOTHING_TO_CLEAN))
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from core.i18n import translator
    from reports import messages as M
    from reports.reconcile import EnrolmentFileError, reconcile

    t = translator(args.lang)
    db = _database()
    try:
        matches = reconcile(db, args.file, args.file.name, _region(args.region))
    except EnrolmentFileError:
        print(t(M.RECONCILE_NO_COLUMNS), file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # a damaged or mislabelled file
        print(t(UNREADABLE_FILE, file=str(args.file), problem=str(exc) or type(exc).__name__), file=sys.stderr)
        return 2
    finally:
        db.dispose()
    if not matches:
        print(t(M.RECONCILE_NONE))
    for m in matches:
        print(t(M.RECONCILE_MATCH, name=m.child_name, reference=m.reference, school=m.school or "?",
                class_level=m.class_level or "?", how=t(M.MATCH_BY[m.matched_by])))
    return 0


def _recap_summary(args: argparse.Namespace) -> int:
    """Recompute the recap summary from the cases in one transaction (set-based on PostgreSQL): committed as a
    repair, rolled back with ``--check``. Exit 1 when ``--check`` finds a difference (for a nightly cron)."""
    from core.i18n import translator
    from reports.summary import reconcile

    db = _database()
    try:
        with db.engine.connect() as conn:
            transaction = conn.begin()
            cases, differ = reconcile(conn)
            if args.check:
                transaction.rollback()
            else:
                transaction.commit()
    finally:
        db.dispose()
    t = translator(args.lang)
    print(t(SUMMARY_CHECKED if args.check else SUMMARY_REPAIRED, cases=t.number(cases), differ=t.number(differ)))
    return 1 if args.check and differ else 0

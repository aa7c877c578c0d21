"""``ats-bot report | export | import | reconcile``: the teams' recaps, exports and list imports on the command line.

    ats-bot report 33.26 [--lang id|en|jv] [--today 2026-11-23] [--chart rekap.png]
    ats-bot export 33.26 --format xlsx|csv [--instrument NAME|all] --out FILE
    ats-bot import daftar-do.xlsx --region 33.26 [--dry-run] [--lang id]
    ats-bot reconcile dapodik.xlsx --region 33.26 [--lang id]

REGION ``nasional`` (or ``all``) is every region. The command line acts as the operator who can read the
database: no role check; exports and imports are audited without a person.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

NATIONAL = ("nasional", "national", "all", "*", "")


def _region(value: str) -> str:
    return "" if value.strip().lower() in NATIONAL else value.strip()


def _database() -> Any:
    from app.settings import get_settings
    from storage.startup import open_database

    return open_database(get_settings())


def _report(args: argparse.Namespace) -> int:
    from reports.recap import build_recap

    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    db = _database()
    try:
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
    from reports.export import UnknownInstrument, export_region, export_responses

    db = _database()
    try:
        if args.instrument:
            _, content = export_responses(db, _region(args.region), args.instrument, args.fmt, None, reason=args.full_nik_reason)
        else:
            _, content = export_region(db, _region(args.region), args.fmt, None, reason=args.full_nik_reason)
    except UnknownInstrument as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        db.dispose()
    from storage.private_files import write_private

    write_private(args.out, content)
    print(f"{args.out} ({len(content):,} bytes)")
    return 0


class _Bars:
    """tqdm progress bars for the two passes of an import (plain lines when tqdm is not installed)."""

    def __init__(self) -> None:
        self.bars: dict[str, Any] = {}

    def __call__(self, done: int, total: int, stage: str) -> None:
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency, this only keeps the import usable without it
            if done == total:
                print(f"{stage}: {done}/{total}", file=sys.stderr)
            return
        bar = self.bars.get(stage)
        if bar is None:
            label = {"check": "memeriksa", "save": "menyimpan"}.get(stage, stage)
            bar = self.bars[stage] = tqdm(total=total, desc=label, unit="baris", file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _import(args: argparse.Namespace) -> int:
    from app.i18n import translator
    from reports.imports import import_file

    db = _database()
    bars = _Bars()
    try:
        report = import_file(db, args.file, args.file.name, actor_id=None, region_scope=_region(args.region),
                             dry_run=args.dry_run, progress=bars)
    finally:
        bars.close()
        db.dispose()
    print(report.render(translator(args.lang), limit=10_000))
    return 1 if report.rejected else 0


def _reconcile(args: argparse.Namespace) -> int:
    from app.i18n import translator
    from reports import messages as M
    from reports.reconcile import EnrolmentFileError, reconcile

    t = translator(args.lang)
    db = _database()
    try:
        matches = reconcile(db, args.file, args.file.name, _region(args.region))
    except EnrolmentFileError:
        print(t(M.RECONCILE_NO_COLUMNS), file=sys.stderr)
        return 2
    finally:
        db.dispose()
    if not matches:
        print(t(M.RECONCILE_NONE))
    for m in matches:
        print(t(M.RECONCILE_MATCH, name=m.child_name, reference=m.reference, school=m.school or "?",
                class_level=m.class_level or "?", how=t(M.MATCH_BY[m.matched_by])))
    return 0

"""Import of an initial list (BDT, DAPODIK, EMIS, LTM and DO lists) in the guide's Format Pendataan ATS
(Lampiran 2), from XLSX or CSV, by a kabupaten team member or on the command line.

The *check* (:mod:`reports.import_check`) reads every row and reports every problem by row and column; a file
with any problem is rejected whole. The *publication* (:mod:`reports.import_publish`) stores the good rows in
short transactions, a chunk at a time, while the check goes on (on a large list the check runs in a worker
process, on another core): the child is found (same NIK, or same name, birth date and desa, as the storage
repository matches children) or created, an open case is reused or a ``recorded`` case opened, and the row is
kept as an ``impor`` response keyed by Pendataan question ids (so recaps and exports read it like a Pendataan).
The chunks are staged: they belong to a batch that nobody sees until the last transaction publishes it, and a
list the check rejects after some chunks were stored has them removed again. Duplicate rows inside the file
merge into one child. ``dry_run`` checks and decides every row without writing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.authz import Action
from core.i18n import Translator
from reports import messages as M
from reports.export import authorize
from reports.import_check import Chunk, Event, Regions, RowProblem, Verdict, check_events, checked_elsewhere
from reports.import_publish import PUBLISHED, UNDONE, Preparer, Publisher, clean_interrupted, close_batch, open_batch, undo
from reports.lampiran2 import COLUMNS
from reports.sql import in_scope
from reports.tables import Limits
from storage.db import Database
from storage.models import Language, Person, Region, Role
from storage.repositories.audit import record
from storage.repositories.sql import insert_if_absent
from storage.types import utcnow

Progress = Callable[[int, int, str], None]
"""``progress(done, total, stage)``: stage ``"check"`` (rows checked) and ``"save"`` (rows stored); ``total`` is 0
until the check has read the whole file."""

LIMITS = Limits()
PARALLEL_FROM = 512 * 1024
"""Bytes of file from which the check runs in a worker process (≈ 4,000 XLSX or 2,500 CSV rows); below it the
worker's start would cost more than it saves."""
COMMAND_LINE_TELEGRAM_ID = 0
"""The person imports from the command line are attributed to (Telegram never uses user id 0)."""
COMMAND_LINE_NAME = "ats-bot (baris perintah)"


@dataclass
class ImportReport:
    filename: str
    scope: str
    rows: int = 0
    created: int = 0
    """Children new to the database."""
    merged: int = 0
    """Rows that were a child already recorded (before, or in an earlier row of the file)."""
    cases_opened: int = 0
    conflicts: int = 0
    """Rows whose NIK is another child's (name or sex disagree): kept apart, on the review list."""
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    saved: bool = False
    """True when the rows were written (not rejected, not a dry run)."""
    cleaned: int = 0
    """Rows an interrupted earlier import of the same file had saved, removed before this one was saved."""
    longest_write: float = 0.0
    """Seconds of the publication's longest write transaction (how long others waited for the write lock at most)."""

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    def render(self, t: Translator, limit: int = 25) -> str:
        """The validation report for a person: the outcome, then problems and notes by row and column."""
        lines = []
        if self.errors:
            lines.append(t(M.IMPORT_REJECTED, count=len(self.errors)))
            lines += [self._line(p, t) for p in self.errors[:limit]]
            if len(self.errors) > limit:
                lines.append(t(M.RECAP_MORE, count=len(self.errors) - limit))
            return "\n".join(lines)
        summary = M.IMPORT_DRY_RUN if self.dry_run else M.IMPORT_DONE
        lines.append(t(summary, rows=self.rows, created=self.created, merged=self.merged))
        if self.conflicts:
            lines.append(t(M.IMPORT_CONFLICTS, count=self.conflicts))
        if self.warnings:
            lines.append(t(M.IMPORT_WARNINGS, count=len(self.warnings)))
            lines += [self._line(p, t) for p in self.warnings[:limit]]
            if len(self.warnings) > limit:
                lines.append(t(M.RECAP_MORE, count=len(self.warnings) - limit))
        return "\n".join(lines)

    @staticmethod
    def _line(problem: RowProblem, t: Translator) -> str:
        message = problem.message.render(t)
        if problem.row == 0:
            return message
        return t(M.IMPORT_ROW_PROBLEM, row=str(problem.row), column=problem.column, problem=message)


# -- saving ---------------------------------------------------------------------------------------------------------
def _command_line_person(session: Session) -> int:
    now = utcnow()
    insert_if_absent(session, Person, {
        "telegram_user_id": COMMAND_LINE_TELEGRAM_ID, "telegram_chat_id": None, "display_name": COMMAND_LINE_NAME,
        "role": Role.MASYARAKAT, "language": Language.ID, "unreachable": True, "created_at": now, "updated_at": now,
    }, ["telegram_user_id"])
    return session.scalars(select(Person.id).where(Person.telegram_user_id == COMMAND_LINE_TELEGRAM_ID)).one()




def import_file(
    db: Database,
    source: str | Path | bytes,
    filename: str,
    *,
    actor_id: int | None,
    region_scope: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
    limits: Limits = LIMITS,
    parallel: bool | None = None,
) -> ImportReport:
    """Check and (unless rejected or ``dry_run``) publish a Lampiran 2 list into ``region_scope``.

    ``actor_id`` None is the command line; a person must be the kabupaten team of the scope (or admin),
    else :class:`reports.export.NotAllowed`. The report lists every problem as (row, column, message); a
    rejected file (unreadable, beyond the limits, or with any bad row) leaves nothing but an audit entry.
    ``parallel``: check in a worker process (None: when the file has :data:`PARALLEL_FROM` bytes or more).
    """
    region_scope = (region_scope or "").strip()
    today = today or dt.date.today()
    authorize(db, actor_id, Action.IMPORT, region_scope)
    report = ImportReport(filename=filename, scope=region_scope, dry_run=dry_run)
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    with db.read() as session:
        regions = Regions(region_scope, session.execute(
            select(Region.code, Region.name, Region.level, Region.parent_code).where(in_scope(Region.code, region_scope))).all())
    if parallel is None:
        parallel = (len(source) if isinstance(source, bytes) else Path(source).stat().st_size) >= PARALLEL_FROM
    check = checked_elsewhere if parallel else check_events
    with collector_paused():
        preparer = Preparer(db, dry_run=dry_run)  # one, for the check's worker and for the publisher
        _Import(db, report, actor_id, progress, preparer).run(check(source, filename, limits, regions, today, preparer))
    return report


class _CollectorPause:
    """Python's cycle collector off while lists are imported, and one collection after. A publication keeps
    ~150,000 objects alive and each full collection walked them all (23 times, 3–5 s of a 100,000-row import).
    The collector is process-wide, so holders are counted: with two imports at once, the last to end turns it
    back on (if it was on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._was_enabled = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            self._holders += 1
            if self._holders == 1:
                self._was_enabled = gc.isenabled()
                gc.disable()
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._was_enabled:
                    gc.enable()
            gc.collect()


collector_paused = _CollectorPause()


class _Import:
    """One import's publication, fed by the check's events as they come."""

    def __init__(self, db: Database, report: ImportReport, actor_id: int | None, progress: Progress | None,
                 preparer: Preparer) -> None:
        self.db, self.report, self.actor_id, self.progress, self.preparer = db, report, actor_id, progress, preparer
        self.publisher: Publisher | None = None
        self.batch: int | None = None
        self.saved = 0

    def run(self, events: Iterator[Event]) -> None:
        verdict = None
        try:
            for event in events:
                if isinstance(event, Verdict):
                    verdict = event
                elif isinstance(event, int):
                    self._tell(event, 0, "check")
                else:
                    self._publish(event)
        except BaseException:
            self._undo()
            raise
        assert verdict is not None, "a check always ends with its verdict"
        self._end(verdict)

    def _tell(self, done: int, total: int, stage: str) -> None:
        if self.progress is not None:
            self.progress(done, total, stage)

    def _publish(self, chunk: Chunk) -> None:
        if self.publisher is None:
            self.publisher = self._publisher()
        self.publisher.publish(chunk.rows, chunk.prepared)
        self.saved += len(chunk.rows)
        self._tell(self.saved, 0, "save")

    def _publisher(self) -> Publisher:
        report = self.report
        with self.db.write() as session:
            submitter = self.actor_id if self.actor_id is not None else _command_line_person(session)
        if not report.dry_run:  # a re-run of a file whose import was interrupted: what that one saved goes first
            report.cleaned = sum(c.rows for c in clean_interrupted(db=self.db, filename=report.filename[:200],
                                                                   region_code=report.scope or None))
            self.batch = open_batch(self.db, report.filename, report.scope or None, self.actor_id)
        return Publisher(self.db, self.actor_id, submitter, self.preparer, dry_run=report.dry_run, batch_id=self.batch)

    def _undo(self) -> None:
        if self.publisher is not None:
            with contextlib.suppress(Exception):  # a failed tail is what is being undone: its transaction rolled back
                self.publisher.close()
            undo(self.db, self.publisher.written)
        if self.batch is not None:
            close_batch(self.db, self.batch, UNDONE)

    def _end(self, verdict: Verdict) -> None:
        report = self.report
        report.rows, report.errors, report.warnings = verdict.rows, verdict.errors, verdict.warnings
        self._tell(report.rows, report.rows, "check")
        if report.errors:  # what was staged before the check found the first error goes again
            self._undo()
            record(self.db, "import.rejected", "import", report.filename[:40], actor_id=self.actor_id,
                   region_code=report.scope or None,
                   detail={"rows": report.rows, "errors": len(report.errors), "filename": report.filename,
                           "reason": report.errors[0].message.id})
            return
        publisher = self.publisher
        assert publisher is not None, "a list without errors has at least one good row"
        try:
            publisher.close()  # the last chunk's tail
        except BaseException:
            self._undo()
            raise
        self._tell(self.saved, report.rows, "save")
        counts = publisher.counts
        report.longest_write = max(publisher.longest_write, publisher.tail_longest)
        report.created, report.merged, report.cases_opened, report.conflicts = (
            counts.created, counts.merged, counts.cases_opened, counts.conflicts)
        if self.batch is None:
            return
        started = time.perf_counter()
        close_batch(self.db, self.batch, PUBLISHED, publisher.pending)  # the recap counts of the whole list, at once
        report.longest_write = max(report.longest_write, time.perf_counter() - started)
        record(self.db, "import.file", "import", report.filename[:40], actor_id=self.actor_id, region_code=report.scope or None,
               detail={"rows": report.rows, "created": report.created, "merged": report.merged, "cases_opened": report.cases_opened,
                       "conflicts": report.conflicts, "warnings": len(report.warnings), "filename": report.filename})
        report.saved = True


def template_header() -> list[str]:
    """The header row of an empty import template."""
    return list(COLUMNS)


def iter_problems(report: ImportReport) -> Iterable[tuple[int, str, str]]:
    """Errors then warnings as plain (row, column, English message) tuples."""
    for problem in (*report.errors, *report.warnings):
        yield problem.row, problem.column, str(problem.message)

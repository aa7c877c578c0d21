"""The check and the publication run together: chunks are stored while later rows are still being checked (by a
worker process on a large list). A row that fails after chunks were stored still leaves nothing, and a worker
that dies is a rejected file, never a crash."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import os
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from reports import import_check, import_publish
from reports import messages as M
from reports.import_publish import Preparer
from reports.imports import collector_paused, import_file
from reports.lampiran2 import COLUMNS
from storage.db import Database, sqlite_path
from storage.models import AuditLog, ImportBatch, RecapCount
from tests.reports.conftest import KABUPATEN, TODAY, People
from tests.reports.test_imports import GOOD, NIK_BUDI, NIK_SITI, counts, row, xlsx

GOOD_ROWS = [row(NO=n, **{"NAMA LENGKAP": f"Anak Nomor {n}"}) for n in range(1, 2101)]
LATE_ERROR = [*GOOD_ROWS, row(NO=2101, **{"NAMA LENGKAP": "Eko", "TANGGAL LAHIR": "31/02/2013"}), *GOOD[:2]]
"""Two chunks of good rows and a hundred more, then a row with an impossible date (row 2,103 of the sheet), then
more good rows: the chunks are staged before the check reaches it, whether this process or a worker (forked, or
started afresh and so with the default chunk size) checks the list."""


@pytest.mark.parametrize("parallel", [False, True], ids=["checked-here", "checked-by-a-worker"])
def test_a_bad_row_after_stored_chunks_leaves_nothing_but_the_rejection(db: Database, world: People, parallel: bool,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[int] = []
    original = import_check.check_events

    def watched(*args: Any) -> Any:  # the publication has stored chunks when the bad row is checked
        for event in original(*args):
            if isinstance(event, int) and event == len(LATE_ERROR):  # the last count: the bad row is behind
                stored.append(counts(db)[1])  # cases: a chunk's responses may still be on the writer thread
            yield event

    monkeypatch.setattr("reports.imports.check_events", watched)
    report = import_file(db, xlsx(LATE_ERROR), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, parallel=parallel)
    if not parallel:  # checked here, the chunks before the bad row were stored by then (a worker cannot look)
        assert stored == [2 * import_check.CHUNK]
    assert report.rejected and not report.saved
    assert [(e.row, e.column) for e in report.errors] == [(2103, "TANGGAL LAHIR")]
    assert report.rows == len(LATE_ERROR)
    assert counts(db) == (0, 0, 0)
    with db.read() as session:
        assert session.scalars(select(AuditLog.action)).all() == ["import.rejected"]
        assert session.scalars(select(ImportBatch.state)).all() == ["undone"]  # a batch opens with the first chunk
        assert session.scalar(select(func.count()).select_from(RecapCount)) == 0


def test_a_worker_that_dies_is_a_rejected_file(db: Database, world: People, monkeypatch: pytest.MonkeyPatch) -> None:
    if threading.active_count() != 1:
        pytest.skip("the worker is forked (and sees this test's replacement) only from a process of one thread")

    def dying(*args: Any) -> Any:
        yield from ()
        os._exit(3)  # killed: no verdict, no message

    monkeypatch.setattr(import_check, "check_events", dying)
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, parallel=True)
    assert report.rejected and [e.message.id for e in report.errors] == [M.IMPORT_CHECK_STOPPED]
    assert "(exit code 3)" in str(report.errors[0].message)
    assert counts(db) == (0, 0, 0)


def test_a_large_file_is_checked_by_a_worker(db: Database, world: People, monkeypatch: pytest.MonkeyPatch) -> None:
    """From :data:`reports.imports.PARALLEL_FROM` bytes on, by default."""
    used: list[str] = []
    elsewhere = import_check.checked_elsewhere
    def counted(*args: Any) -> Any:
        used.append("worker")
        return elsewhere(*args)

    monkeypatch.setattr("reports.imports.checked_elsewhere", counted)
    content = xlsx(GOOD)
    monkeypatch.setattr("reports.imports.PARALLEL_FROM", len(content) + 1)
    import_file(db, content, "a.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, dry_run=True)
    assert used == []
    monkeypatch.setattr("reports.imports.PARALLEL_FROM", len(content))
    report = import_file(db, content, "a.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert used == ["worker"] and report.saved and report.created == 4


@pytest.mark.parametrize("parallel", [False, True], ids=["checked-here", "checked-by-a-worker"])
def test_a_list_on_disk_is_read_to_its_end(db: Database, world: People, tmp_path: Path, parallel: bool) -> None:
    """``ats-bot import FILE`` hands a path: the file stays open until its last row is checked (a list longer
    than what the reader takes in at once, 1 MB)."""
    rows = [row(NO=n, **{"NAMA LENGKAP": f"Anak Nomor {n}", "ALAMAT": "Dukuh Krajan " + "x" * 150}) for n in range(1, 6001)]
    path = tmp_path / "daftar.csv"
    path.write_bytes(csv_of(rows))
    assert path.stat().st_size > 1 << 20
    report = import_file(db, path, path.name, actor_id=None, region_scope=KABUPATEN, today=TODAY, dry_run=True, parallel=parallel)
    assert report.errors == [] and (report.rows, report.created) == (6000, 6000)


def csv_of(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for values in rows:
        writer.writerow(["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for v in values])
    return out.getvalue().encode()


def test_a_threaded_process_starts_its_worker_afresh_and_keeps_the_key_ring(db: Database, world: People) -> None:
    """The bot imports from a process with many threads: its worker is started afresh (not forked), so nothing
    holding the key ring crosses to it; the rows are prepared here and stored the same."""
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(Preparer(db))
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, parallel=True)
    finally:
        stop.set()
        busy.join()
    assert report.saved and (report.rows, report.created, report.merged) == (5, 4, 1)
    assert counts(db) == (4, 4, 5)


def test_the_cycle_collector_rests_while_lists_are_imported(db: Database, world: People, monkeypatch: pytest.MonkeyPatch) -> None:
    """Off during a publication (its full collections walked every object the import keeps), on again after;
    two imports at once (the bot's threads) turn it back on only when the last ends; a process that runs without
    it keeps it off."""
    seen: list[bool] = []
    original = import_publish.Publisher._chunk

    def watched(self: import_publish.Publisher, session: Any, rows: list[Any]) -> Any:
        seen.append(gc.isenabled())
        return original(self, session, rows)

    monkeypatch.setattr(import_publish.Publisher, "_chunk", watched)
    assert gc.isenabled()
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and seen == [False] and gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other import still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_rows_prepared_by_the_worker_leave_no_nik_in_clear_on_disk(db: Database, db_url: str, backend: str,
                                                                    world: People) -> None:
    """The worker hashes, encrypts and seals before the rows cross to the publisher: the database file and its WAL
    hold neither NIK in clear (the bytes scanned as a stranger with the file would)."""
    if backend != "sqlite":
        pytest.skip("the file scan is SQLite's; tests/reports/test_at_rest.py dumps PostgreSQL")
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, parallel=True)
    assert report.saved and report.created == 4
    path = sqlite_path(db_url)
    assert path is not None
    stored = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    assert stored and all(nik.encode() not in stored for nik in (NIK_SITI, NIK_BUDI))


def _postgres_only(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a chunk is one transaction there")


def test_a_chunks_tail_is_written_while_the_next_chunk_is_decided(db: Database, world: People,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The first chunk's tail waits (on the writer thread) until the second chunk has been decided: a publication
    that wrote tails in turn with the chunks would time out here."""
    _postgres_only(db)
    monkeypatch.setattr(import_check, "CHUNK", 2)
    second_decided = threading.Event()
    writers: list[str] = []
    chunk, tail = import_publish.Publisher._chunk, import_publish.Publisher._write_tail

    def deciding(self: import_publish.Publisher, session: Any, rows: list[Any]) -> Any:
        decided = chunk(self, session, rows)
        if self.done == 2:
            second_decided.set()
        return decided

    def writing(self: import_publish.Publisher, session: Any, written: Any) -> None:
        writers.append(threading.current_thread().name)
        if len(writers) == 1:
            assert second_decided.wait(10), "the next chunk was not decided while this tail was written"
        tail(self, session, written)

    monkeypatch.setattr(import_publish.Publisher, "_chunk", deciding)
    monkeypatch.setattr(import_publish.Publisher, "_write_tail", writing)
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and len(writers) == 3 and all(name.startswith("import-writer") for name in writers)
    assert counts(db)[2] == len(GOOD)


def test_a_tail_that_fails_undoes_the_whole_list(db: Database, world: People, monkeypatch: pytest.MonkeyPatch) -> None:
    _postgres_only(db)
    monkeypatch.setattr(import_check, "CHUNK", 2)
    tail = import_publish.Publisher._write_tail
    calls: list[int] = []

    def failing(self: import_publish.Publisher, session: Any, written: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the server went away")
        tail(self, session, written)

    monkeypatch.setattr(import_publish.Publisher, "_write_tail", failing)
    with pytest.raises(RuntimeError, match="went away"):
        import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert counts(db) == (0, 0, 0)
    with db.read() as session:
        assert session.scalars(select(ImportBatch.state)).all() == ["undone"]
        assert session.scalar(select(func.count()).select_from(RecapCount)) == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("import-writer")]

"""A big import never blocks the others: while it publishes, the bot answers and the reminder sweep claims
(SQLite and PostgreSQL; no "database is locked"). The chat shows the import's progress."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.model import Kind, TurnResult
from reminders.sweep import claim_ids
from reports import import_publish
from reports.imports import import_file
from reports.lampiran2 import COLUMNS
from storage.db import Database
from storage.models import ImportBatch, Reminder, ReminderState, Response, TimeZone
from tests.reports.conftest import KABUPATEN, TODAY, People, Seed
from tests.reports.turns import Chat
from tests.storage.conftest import TEST_KEY

ROWS = 3000
BIG = 20_000
ROOT = Path(__file__).resolve().parents[2]


def big_list(rows: int = ROWS) -> bytes:
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(COLUMNS)
    for n in range(rows):
        values = {"NO": n + 1, "NAMA LENGKAP": f"Anak Nomor {n}", "TANGGAL LAHIR": "05/07/2012", "L/P": "LP"[n % 2],
                  "DESA": "Klesem", "KECAMATAN": "Kandangserang", "KATEGORI": "Putus Sekolah", "SUMBER DATA": "DO 2026"}
        out.writerow([values.get(c, "") for c in COLUMNS])
    return buffer.getvalue().encode()


def test_bot_and_sweep_work_during_an_import(db: Database, world: People, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    _, case_id = seed.case("Ani", "33.26.01.2001", pendamping=world.pendamping)
    now = dt.datetime(2026, 11, 23, 3, tzinfo=dt.UTC)
    with db.write() as session:
        for n in range(5):
            session.add(Reminder(kind="visit", case_id=case_id, person_id=world.pendamping, region_code="33.26.01.2001",
                                 period=f"2026-1{n}", due_at=now - dt.timedelta(hours=1), state=ReminderState.PENDING,
                                 timezone=TimeZone.WIB))
    monkeypatch.setattr(import_publish, "CHUNK", 200)
    original = import_publish.Publisher._chunk
    chunks_done = []

    def slow_chunk(self: import_publish.Publisher, session: object, rows: list) -> object:  # room for the others to run
        tail = original(self, session, rows)  # type: ignore[arg-type]
        chunks_done.append(len(rows))
        time.sleep(0.02)
        return tail

    monkeypatch.setattr(import_publish.Publisher, "_chunk", slow_chunk)
    failures: list[BaseException] = []
    report_box = []

    def run_import() -> None:
        try:
            report_box.append(import_file(db, big_list(), "besar.csv", actor_id=None, region_scope=KABUPATEN, today=TODAY))
        except BaseException as exc:  # noqa: BLE001  (the assertion below shows it)
            failures.append(exc)

    importer = threading.Thread(target=run_import)
    importer.start()
    while not chunks_done and importer.is_alive():
        time.sleep(0.01)
    answers: list[TurnResult] = []
    claimed: list[int] = []
    chat = Chat(db, 2002, "Tim Kecamatan")
    while importer.is_alive() and len(claimed) < 5:
        answers.append(chat.command("help"))  # a turn: reads, then commits the update id
        claimed += claim_ids(db, now, [TimeZone.WIB.value], 1, "test-sweep")
    published_meanwhile = len(chunks_done)
    importer.join(timeout=600)
    assert not failures, failures
    assert answers and all(a.replies for a in answers)
    assert len(claimed) >= 1 and published_meanwhile < ROWS // 200  # claimed while chunks were still to come
    [report] = report_box
    assert report.saved and report.created == ROWS
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == ROWS


def test_chat_import_reports_progress(db: Database, world: People, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_publish, "CHUNK", 100)
    monkeypatch.setattr("reports.import_check.CHUNK", 100)
    shown: list[str] = []
    chat = Chat(db, 2001, "Tim Kabupaten")
    chat.command("impor")
    original = chat._send

    def with_progress(kind: Kind, **fields: object) -> object:
        if kind is Kind.DOCUMENT:
            fields["progress"] = shown.append
        return original(kind, **fields)

    monkeypatch.setattr(chat, "_send", with_progress)
    result = chat.document(big_list(600), "daftar.csv")
    assert result.outcome == "import:saved"
    # Saved while checked: each chunk's rows are counted as stored before the check reaches the end of the list.
    counted = [(int(m.group(1)), int(m.group(2))) for text in shown if (m := re.search(r"(\d+) baris, (\d+) tersimpan", text))]
    assert [saved for _, saved in counted] == sorted(saved for _, saved in counted)
    assert {saved for _, saved in counted} == {100, 200, 300, 400, 500, 600}
    assert all(checked >= saved for checked, saved in counted)
    assert [t for t in shown if "%" in t] == ["Menyimpan: 600 dari 600 baris (100%)…"]  # the end, once the total is known


def _due_reminders(db: Database, case_id: int, person: int, now: dt.datetime, n: int) -> None:
    with db.write() as session:
        for k in range(n):
            session.add(Reminder(kind="visit", case_id=case_id, person_id=person, region_code="33.26.01.2001",
                                 period=f"2026-{k:04d}", due_at=now - dt.timedelta(hours=1), state=ReminderState.PENDING,
                                 timezone=TimeZone.WIB))


def test_the_bot_answers_while_another_process_imports_20000_rows(db: Database, db_url: str, backend: str, world: People,
                                                                   seed: Seed, tmp_path: Path) -> None:
    """The importer is a process of its own with its own connections (as ``ats-bot import`` beside the running
    bot): no shared queue, only the database's write lock. While it publishes 20,000 rows the bot answers every
    message and the reminder sweep claims, nothing fails with "database is locked", and no write of the import
    holds the lock long."""
    if backend != "sqlite":
        pytest.skip("the write lock that could block the bot is SQLite's (PostgreSQL locks rows)")
    _, case_id = seed.case("Ani", "33.26.01.2001", pendamping=world.pendamping)
    now = dt.datetime(2026, 11, 23, 3, tzinfo=dt.UTC)
    _due_reminders(db, case_id, world.pendamping, now, 200)
    source, out = tmp_path / "besar.csv", tmp_path / "report.json"
    source.write_bytes(big_list(BIG))
    importer = subprocess.Popen(
        [sys.executable, "-m", "tests.reports.importer_process", db_url, TEST_KEY, str(source), KABUPATEN, TODAY.isoformat(), str(out)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chat = Chat(db, 2002, "Tim Kecamatan")
    latencies: list[float] = []
    claimed_meanwhile, answered_meanwhile = 0, 0
    while importer.poll() is None:
        with db.read() as session:
            progress = session.execute(select(ImportBatch.state, ImportBatch.rows)).first()
        started = time.perf_counter()
        answer = chat.command("help")  # a turn: reads, then commits the update id
        latencies.append(time.perf_counter() - started)
        assert answer.replies
        claimed = claim_ids(db, now, [TimeZone.WIB.value], 1, "test-sweep")
        if progress is not None and progress.state == "publishing" and 0 < progress.rows < BIG:
            answered_meanwhile += 1  # the import had published some chunks and had more to come
            claimed_meanwhile += len(claimed)
        time.sleep(0.05)
    output = importer.communicate()[0].decode(errors="replace")
    assert importer.returncode == 0, output
    result = json.loads(out.read_text())
    assert result["saved"] and result["created"] == BIG, result
    assert answered_meanwhile >= 3 and claimed_meanwhile >= 1, (answered_meanwhile, claimed_meanwhile, result)
    assert max(latencies) < 10, latencies  # waiting at most for one chunk's write, never the whole import
    assert result["longest_write"] < 10, result
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == BIG

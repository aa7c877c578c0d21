"""A turn that changes several things, killed at every write point: after a restart and Telegram's redelivery of the
same update, everything happened once, or (before the commit) nothing at all. On SQLite and on PostgreSQL.

The turn runs in a real process of its own (:mod:`tests.crash.turn_process`, forked from one that imported the bot
once) and is killed with SIGKILL right after each
table's first write of the turn (the form, the child, the case and its first event, the proposal, the audit
rows, the reminder and recap rows derived from the case, the draft, the update id; the file of a received
photo), as the commit is issued, and after the commit before any reply went out: for a proposal (the ``usulan``
opens a case and its proposal), for a Monitoring that moves a case, and for a programme step that carries a
photo (the family's report of how an assistance was spent, with the receipt). The proposal is written in the
same transaction as the form, so no crash can leave a form without its proposal; a receipt's file is on disk
before its row commits, so no row ever names a missing file, and the one a crash leaves unnamed is swept.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text, update
from sqlalchemy.engine import make_url

from bot import programme_texts as P
from bot import render as R
from bot.conversation import Conversations
from bot.model import Incoming, Kind, Upload
from bot.store import BotStore
from cases import assistance
from core.i18n import translator
from flows.registry import engine as engine_for
from storage.db import Database
from storage.models import Assignment, Person, Role
from storage.repositories.cases import add_case
from storage.repositories.children import ChildIdentity
from storage.repositories.files import sweep_unreferenced
from storage.repositories.responses import Submission, submit_response
from storage.uow import unit_of_work
from tests.bot.conftest import Phone, answered_state, enrol, resume_at
from tests.cases.conftest import path_answers
from tests.crash.turn_process import TODAY, encode
from tests.districts.helpers import case_at
from tests.storage.conftest import (  # noqa: F401  (fixtures)
    DESA,
    KECAMATAN,
    _admin,
    backend,
    cipher,
    db,
    db_url,
    postgres_server,
    postgres_session_database,
    regions,
    sqlite_dir,
    sqlite_template,
)

# ruff: noqa: F811  (fixture parameters named like the imported fixtures)

ROOT = Path(__file__).resolve().parents[2]
PROPOSAL = {"U.1": "Dimas", "U.2": 12, "U.3": KECAMATAN, "U.4": DESA, "U.5": "RT 2 RW 3, dekat masjid",
            "U.6": "Sudah dua tahun tidak sekolah."}
RECEIPT = b"\xff\xd8\xff\xe0 JFIF seragam dan buku Rp500.000"
USER = 7001


def _phone(db: Database, files: Path) -> Phone:
    return Phone(Conversations(BotStore(db), today=lambda: TODAY, files_dir=files), USER)


def _send_press(phone: Phone) -> Incoming:
    send = next(b.data for m in phone.messages.values() for row in m.buttons for b in row
                if b.data and (parsed := R.parse_data(b.data)) and parsed[1] == R.SUBMIT)
    return Incoming(9_000_001, USER, USER, "Siti", "id", Kind.CALLBACK, data=send, message_id=phone.live_id())


def proposal(db: Database, files: Path) -> Incoming:
    """A member of the public with a finished ``usulan`` on the review: sending it stores the form, a bare child,
    a ``proposed`` case, the proposal and their audit rows."""
    enrol(db, USER, Role.MASYARAKAT)
    phone = _phone(db, files)
    resume_at(phone, "usulan", answered_state("usulan", PROPOSAL))
    return _send_press(phone)


def monitoring(db: Database, files: Path) -> Incoming:
    """A pendamping with a finished Monitoring of a pupil back in school saying the child dropped out again:
    sending it stores the form and moves the case (``dropped_out_again``), with its event, audit and reminders."""
    person = enrol(db, USER, Role.PENDAMPING)
    child = submit_response(db, Submission("pendataan", 1, {}, person, DESA, child=ChildIdentity("Ahmad Fauzi", DESA))).child_id
    assert child is not None
    with db.write() as session:
        case = add_case(session, child, DESA, "back_in_school", category="2", actor_id=person)
        session.add(Assignment(case_id=case.id, pendamping_id=person, active=True))
    phone = _phone(db, files)
    state = answered_state("monitoring", path_answers("monitoring", "c1-tidak-putus-sekolah-lagi"))
    draft = phone.conversations.store.new_draft(person, "monitoring", engine_for("monitoring").compiled.version, case_id=case.id, state=state)
    with db.write() as session:
        session.execute(update(Person).where(Person.id == person).values(active_draft_id=draft.id))
    phone.send("/lanjut")
    return _send_press(phone)


def receipt(db: Database, files: Path) -> Incoming:
    """A pendamping reporting how a disbursed assistance was spent, asked for the receipt: the photo's turn keeps
    the file and its row, marks the assistance ``reported`` and writes the step's history and audit."""
    person = enrol(db, USER, Role.PENDAMPING, KECAMATAN)
    case = case_at(db, "Budi", DESA, "back_in_school", pendamping_id=person)
    with unit_of_work(db) as uow:
        aid = assistance.propose(uow, case.id, "personal", person, TODAY)
        assistance.verify(uow, aid.id, None)
        assistance.decide(uow, aid.id, None, approve=True)
        assistance.disburse(uow, aid.id, None)
    phone = _phone(db, files)
    phone.send("/bantuan")
    phone.press(translator("id")(P.BUTTON_REPORT, id=aid.id))
    assert phone.last.outcome == "button:assistance:ap"
    return Incoming(9_000_001, USER, USER, "Siti", "id", Kind.PHOTO, value={"file_id": "f-receipt", "size": len(RECEIPT)},
                    upload=Upload(RECEIPT, "f-receipt", "u-receipt", "image/jpeg"))


SCENARIOS = {
    "proposal": (proposal, {"responses": 1, "cases": 1, "case_proposals": 1, "case_events": 1},
                 {"responses", "case_events", "audit_log", "processed_updates", "instrument_sessions"}),
    "case moved": (monitoring, {"responses": 1, "cases": 0, "case_events": 1},
                   {"responses", "case_events", "audit_log", "processed_updates", "instrument_sessions"}),
    "programme step with a photo": (receipt, {"stored_files": 1, "programme_events": 1, "assistance": 0},
                                    {"files", "stored_files", "assistance", "programme_events", "audit_log", "processed_updates"}),
}


class Copies:
    """Copies of the prepared database, one per crash: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
    PostgreSQL (dropped at the end)."""

    def __init__(self, url: str, tmp_path: Path, server: str | None) -> None:
        self.url, self.tmp_path, self.server = url, tmp_path, server
        self.made: list[str] = []

    def copy(self, name: str) -> str:
        if self.server is None:
            path = self.tmp_path / f"{name}.db"
            shutil.copyfile(make_url(self.url).database or "", path)
            return f"sqlite:///{path}"
        clone = f"ats_crash_{uuid.uuid4().hex[:10]}"
        with _admin(self.server) as admin:
            admin.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{make_url(self.url).database}"')
        self.made.append(clone)
        return make_url(self.url).set(database=clone).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.server is not None:
            with _admin(self.server) as admin:
                for clone in self.made:
                    admin.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')


@pytest.fixture(params=sorted(SCENARIOS))
def ready(request: pytest.FixtureRequest, backend: str, tmp_path: Path, db_url: str, db: Database,
          regions: None) -> Iterator[tuple[Copies, Incoming, dict[str, int], set[str]]]:
    """A database where someone is one update away from a turn that changes several things, that update, how many
    rows of which tables it adds and which tables it must write."""
    prepare, added, written = SCENARIOS[request.param]
    incoming = prepare(db, tmp_path / "files-ready")
    db.dispose()
    copies = Copies(db_url, tmp_path, request.getfixturevalue("postgres_server") if backend == "postgresql" else None)
    yield copies, incoming, added, written
    copies.drop()


class TurnProcesses:
    """Runs :mod:`tests.crash.turn_process` turns, each in a process of its own, forked from one that imported the
    bot once (``--serve``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.errors = (folder / "stderr.txt").open("w", encoding="utf-8")
        self.server = subprocess.Popen([sys.executable, "-m", "tests.crash.turn_process", "--serve"], cwd=ROOT, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        self.count = 0

    def run(self, url: str, update_file: Path, files: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
        assert self.server.stdin and self.server.stdout
        self.count += 1
        out = self.folder / f"out-{self.count}.txt"
        request = {"url": url, "update": str(update_file), "files": str(files), "kill_at": kill_at, "out": str(out)}
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline()
        assert reply, (self.folder / "stderr.txt").read_text(encoding="utf-8")
        return subprocess.CompletedProcess(["turn_process", url, str(kill_at)], json.loads(reply)["returncode"],
                                           out.read_text(encoding="utf-8") if out.exists() else "", "")

    def close(self) -> None:
        assert self.server.stdin
        self.server.stdin.close()
        self.server.wait(timeout=60)
        self.errors.close()


@pytest.fixture(scope="module")
def turns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TurnProcesses]:
    processes = TurnProcesses(tmp_path_factory.mktemp("turns"))
    yield processes
    processes.close()


@pytest.mark.parametrize("ready", ["programme step with a photo"], indirect=True)
def test_a_turn_forked_from_the_server_is_what_a_fresh_process_does(
    tmp_path: Path, ready: tuple[Copies, Incoming, dict[str, int], set[str]], turns: TurnProcesses
) -> None:
    """The crashes below run in processes forked from one that imported the bot already: such a process makes the
    same writes, leaves the same rows and dies the same way as one started from scratch."""
    copies, incoming, _, _ = ready
    update_file = tmp_path / "update.json"
    update_file.write_text(encode(incoming), encoding="utf-8")
    for kill_at in (None, "commit"):
        forked, fresh = copies.copy(f"forked-{kill_at}"), copies.copy(f"fresh-{kill_at}")
        by_fork = turns.run(forked, update_file, tmp_path / f"files-forked-{kill_at}", kill_at)
        by_process = _run(fresh, update_file, tmp_path / f"files-fresh-{kill_at}", kill_at)
        assert (by_fork.returncode, by_fork.stdout) == (by_process.returncode, by_process.stdout), kill_at
        assert _counts(forked) == _counts(fresh), kill_at
    assert by_fork.returncode == -signal.SIGKILL and "files write" in turns.run(forked, update_file, tmp_path / "again").stdout


def test_a_turn_commits_whole_or_not_at_all(tmp_path: Path, ready: tuple[Copies, Incoming, dict[str, int], set[str]], cipher: Any,
                                            turns: TurnProcesses) -> None:
    copies, incoming, added, written = ready
    update_file = tmp_path / "update.json"
    update_file.write_text(encode(incoming), encoding="utf-8")
    before = _rows(copies.url)

    reference = copies.copy("reference")
    writes = turns.run(reference, update_file, tmp_path / "files-reference").stdout.split()
    tables = list(dict.fromkeys(writes[0::2]))
    expected = _counts(reference)
    assert written <= set(tables), tables
    assert {t: expected[t] - len(before[t]) for t in added} == added

    first_write = {table: writes[0::2].index(table) + 1 for table in tables}
    for kill_at in [*map(str, first_write.values()), "commit", "replies"]:
        crashed, files = copies.copy(f"crash-{kill_at}"), tmp_path / f"files-{kill_at}"
        assert turns.run(crashed, update_file, files, kill_at).returncode == -signal.SIGKILL, kill_at
        if kill_at == "replies":
            assert _counts(crashed) == expected  # committed: Telegram may redeliver, nothing is done twice
        else:
            assert _rows(crashed) == before, kill_at  # nothing at all happened
        redelivered = _redeliver(crashed, files, incoming, cipher)
        assert _counts(crashed) == expected, kill_at  # and now everything, once
        assert redelivered.duplicate is (kill_at == "replies")
        _files_match_rows(crashed, files, cipher)


def _files_match_rows(url: str, files: Path, cipher: Any) -> None:
    """Every kept file's row names a file on disk; a file no row names (its turn died before the commit) is
    swept, and then the files on disk are exactly those the rows name."""
    with create_engine(url).connect() as connection:
        named = {Path(p).name for (p,) in connection.execute(text("SELECT path FROM stored_files"))}
    on_disk = {p.name for p in files.rglob("*") if p.is_file()} if files.exists() else set()
    assert named <= on_disk and len(on_disk - named) <= 1
    database = Database.from_url(url, cipher)
    try:
        sweep_unreferenced(database, files, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    finally:
        database.dispose()
    assert ({p.name for p in files.rglob("*") if p.is_file()} if files.exists() else set()) == named


def _run(url: str, update_file: Path, files: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.crash.turn_process", url, str(update_file), str(files), *([kill_at] if kill_at else [])]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def _redeliver(url: str, files: Path, incoming: Incoming, cipher: Any) -> Any:
    """A restarted bot handles the same update again."""
    database = Database.from_url(url, cipher)
    try:
        return Conversations(BotStore(database), today=lambda: TODAY, files_dir=files).process(incoming)
    finally:
        database.dispose()


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {t: sorted((tuple(r) for r in connection.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
                    for t in sorted(inspect(connection).get_table_names())}
    finally:
        engine.dispose()


def _counts(url: str) -> dict[str, int]:
    return {t: len(rows) for t, rows in _rows(url).items()}

"""A submission killed at every write point: after a restart and Telegram's redelivery of the same update,
everything happened once, or (before the commit) nothing at all.

The turn runs in a real subprocess (:mod:`tests.crash.turn_process`) on a SQLite file and is killed with SIGKILL
right after each table's first write of the turn (the form, the child, the case and its first event, the
proposal, the audit rows, the reminder and recap rows derived from the case, the draft, the update id), as the
commit is issued, and after the commit before any reply went out: for a proposal (the ``usulan`` opens a case
and its proposal) and for a Monitoring that moves a case. The proposal is written in the same transaction as
the form, so no crash can leave a form without its proposal.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot import render as R
from bot.conversation import Conversations
from bot.model import Incoming, Kind
from bot.store import BotStore
from flows.registry import engine as engine_for
from storage.db import Database
from storage.models import Assignment, Person, Role
from storage.repositories.cases import add_case
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission, submit_response
from tests.bot.conftest import Phone, answered_state, enrol, resume_at
from tests.cases.conftest import path_answers
from tests.crash.turn_process import TODAY
from tests.storage.conftest import DESA, KECAMATAN, cipher, regions, sqlite_template  # noqa: F401

# ruff: noqa: F811  (fixture parameters named like the imported fixtures)

ROOT = Path(__file__).resolve().parents[2]
PROPOSAL = {"U.1": "Dimas", "U.2": 12, "U.3": KECAMATAN, "U.4": DESA, "U.5": "RT 2 RW 3, dekat masjid",
            "U.6": "Sudah dua tahun tidak sekolah."}
USER = 7001


@pytest.fixture
def db(tmp_path: Path, sqlite_template: Path, cipher: Any) -> Iterator[Database]:
    shutil.copyfile(sqlite_template, tmp_path / "ready.db")
    database = Database.from_url(f"sqlite:///{tmp_path / 'ready.db'}", cipher)
    yield database
    database.dispose()


def proposal(db: Database) -> Phone:
    """A member of the public with a finished ``usulan`` on the review: sending it stores the form, a bare child,
    a ``proposed`` case, the proposal and their audit rows."""
    enrol(db, USER, Role.MASYARAKAT)
    phone = Phone(Conversations(BotStore(db), today=lambda: TODAY), USER)
    resume_at(phone, "usulan", answered_state("usulan", PROPOSAL))
    return phone


def monitoring(db: Database) -> Phone:
    """A pendamping with a finished Monitoring of a pupil back in school saying the child dropped out again:
    sending it stores the form and moves the case (``dropped_out_again``), with its event, audit and reminders."""
    person = enrol(db, USER, Role.PENDAMPING)
    child = submit_response(db, Submission("pendataan", 1, {}, person, DESA, child=ChildIdentity("Ahmad Fauzi", DESA))).child_id
    assert child is not None
    with db.write() as session:
        case = add_case(session, child, DESA, "back_in_school", category="2", actor_id=person)
        session.add(Assignment(case_id=case.id, pendamping_id=person, active=True))
    phone = Phone(Conversations(BotStore(db), today=lambda: TODAY), USER)
    state = answered_state("monitoring", path_answers("monitoring", "c1-tidak-putus-sekolah-lagi"))
    draft = phone.conversations.store.new_draft(person, "monitoring", engine_for("monitoring").compiled.version, case_id=case.id, state=state)
    with db.write() as session:
        session.execute(update(Person).where(Person.id == person).values(active_draft_id=draft.id))
    phone.send("/lanjut")
    return phone


SCENARIOS = {"proposal": (proposal, {"responses": 1, "cases": 1, "case_proposals": 1, "case_events": 1}),
             "case moved": (monitoring, {"responses": 1, "cases": 0, "case_events": 1})}


@pytest.fixture(params=sorted(SCENARIOS))
def ready(request: pytest.FixtureRequest, tmp_path: Path, db: Database, regions: None) -> tuple[Path, Incoming, dict[str, int]]:
    """A database where someone has a finished form on the review, the update of their press on Send, and how
    many rows of which tables sending it adds."""
    prepare, added = SCENARIOS[request.param]
    phone = prepare(db)
    send = next(b.data for m in phone.messages.values() for row in m.buttons for b in row
                if b.data and (parsed := R.parse_data(b.data)) and parsed[1] == R.SUBMIT)
    incoming = Incoming(9_000_001, USER, USER, "Siti", "id", Kind.CALLBACK, data=send, message_id=phone.live_id())
    db.dispose()
    return tmp_path / "ready.db", incoming, added


class TurnProcesses:
    """Runs :mod:`tests.crash.turn_process` turns, each in a process of its own, forked from one that imported the
    bot once (``--serve``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.errors = (folder / "stderr.txt").open("w", encoding="utf-8")
        self.server = subprocess.Popen([sys.executable, "-m", "tests.crash.turn_process", "--serve"], cwd=ROOT, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        self.count = 0

    def run(self, path: Path, update_file: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
        assert self.server.stdin and self.server.stdout
        self.count += 1
        out = self.folder / f"out-{self.count}.txt"
        self.server.stdin.write(json.dumps({"db": str(path), "update": str(update_file), "kill_at": kill_at, "out": str(out)}) + "\n")
        self.server.stdin.flush()
        reply = self.server.stdout.readline()
        assert reply, (self.folder / "stderr.txt").read_text(encoding="utf-8")
        return subprocess.CompletedProcess(["turn_process", str(path), str(kill_at)], json.loads(reply)["returncode"],
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


def test_a_turn_process_of_the_server_is_what_a_fresh_process_does(turns: TurnProcesses, tmp_path: Path,
                                                                      ready: tuple[Path, Incoming, dict[str, int]]) -> None:
    """The crashes below run in processes forked from one that imported the bot already: such a process writes the
    same statements, and dies the same way, as one started from scratch (``python -m tests.crash.turn_process``)."""
    path, incoming, _ = ready
    update_file = tmp_path / "update.json"
    update_file.write_text(json.dumps({**dataclasses.asdict(incoming), "kind": incoming.kind.value, "progress": None}))
    for kill_at in (None, "commit"):
        forked = turns.run(_copy(path, tmp_path / f"forked-{kill_at}.db"), update_file, kill_at)
        fresh = _run(_copy(path, tmp_path / f"fresh-{kill_at}.db"), update_file, kill_at)
        assert (forked.returncode, forked.stdout) == (fresh.returncode, fresh.stdout), kill_at
        assert _counts(tmp_path / f"forked-{kill_at}.db") == _counts(tmp_path / f"fresh-{kill_at}.db"), kill_at
    assert forked.returncode == -signal.SIGKILL


def test_a_submission_commits_whole_or_not_at_all(tmp_path: Path, ready: tuple[Path, Incoming, dict[str, int]], cipher: Any,
                                                   turns: TurnProcesses) -> None:
    path, incoming, added = ready
    update_file = tmp_path / "update.json"
    update_file.write_text(json.dumps({**dataclasses.asdict(incoming), "kind": incoming.kind.value, "progress": None}))
    before = _rows(path)

    reference = _copy(path, tmp_path / "reference.db")
    writes = turns.run(reference, update_file).stdout.split()
    tables = list(dict.fromkeys(writes[0::2]))
    expected = _counts(reference)
    assert {"responses", "case_events", "audit_log", "processed_updates", "instrument_sessions"} <= set(tables)
    assert {t: expected[t] - len(before[t]) for t in added} == added

    first_write = {table: writes[0::2].index(table) + 1 for table in tables}
    for kill_at in [*map(str, first_write.values()), "commit", "replies"]:
        crashed = _copy(path, tmp_path / f"crash-{kill_at}.db")
        assert turns.run(crashed, update_file, kill_at).returncode == -signal.SIGKILL, kill_at
        if kill_at == "replies":
            assert _counts(crashed) == expected  # committed: Telegram may redeliver, nothing is done twice
        else:
            assert _rows(crashed) == before, kill_at  # nothing at all happened
        redelivered = _redeliver(crashed, incoming, cipher)
        assert _counts(crashed) == expected, kill_at  # and now everything, once
        assert redelivered.duplicate is (kill_at == "replies")


def _copy(path: Path, to: Path) -> Path:
    shutil.copyfile(path, to)
    return to


def _run(path: Path, update_file: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tests.crash.turn_process", str(path), str(update_file), *([kill_at] if kill_at else [])]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def _redeliver(path: Path, incoming: Incoming, cipher: Any) -> Any:
    """A restarted bot handles the same update again."""
    database = Database.from_url(f"sqlite:///{path}", cipher)
    try:
        return Conversations(BotStore(database), today=lambda: TODAY).process(incoming)
    finally:
        database.dispose()


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as connection:
        return {t: sorted(connection.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in _tables(connection)}


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _tables(connection)}

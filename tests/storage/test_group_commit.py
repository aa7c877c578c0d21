"""Group commit: writers that finish together share a COMMIT, nothing acknowledged is lost, a failing writer
takes nobody else down. The same behaviour is required of PostgreSQL (its own per-block transactions)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, text

from storage.db import Database, pool_for
from storage.group_commit import CommitFailed, GroupCommit
from storage.models import ProcessedUpdate
from storage.repositories.drafts import create_draft, get_draft
from storage.types import utcnow
from tests.storage.conftest import ROOT
from tests.storage.test_concurrency import run_together


def _mark(session: object, update_id: int) -> None:
    session.add(ProcessedUpdate(bot_id=0, update_id=update_id, processed_at=utcnow()))  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]


def _stored(db: Database) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(ProcessedUpdate.update_id)))


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _queued(db: Database) -> int:
    assert db.group_commit is not None
    return db.group_commit._queued


def test_one_turn_fails_the_other_still_commits(db: Database) -> None:
    """Two people of the same group answer at once; one turn fails halfway: the other's answer is stored, the
    failed one left nothing behind (on SQLite the two share a batch: the failure is inside it)."""
    first_inside = threading.Event()
    errors: list[BaseException] = []

    def good() -> None:
        with db.write() as session:
            _mark(session, 1)
            first_inside.set()
            if db.group_commit is not None:  # stay until the other turn queues behind us: one batch
                _wait_until(lambda: _queued(db) == 1)

    def bad() -> None:
        first_inside.wait()
        try:
            with db.write() as session:
                _mark(session, 2)
                raise ValueError("the handler failed")
        except ValueError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=good), threading.Thread(target=bad)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [str(e) for e in errors] == ["the handler failed"]
    assert _stored(db) == {1}
    if db.group_commit is not None:
        assert (db.group_commit.blocks, db.group_commit.commits) == (1, 1)


def test_writers_that_finish_together_share_a_commit(db: Database) -> None:
    """32 writers at once, each acknowledged after its block: all stored, in fewer commits than writers."""
    before = (db.group_commit.blocks, db.group_commit.commits) if db.group_commit else (0, 0)

    def writer(i: int) -> int:
        for n in range(5):
            with db.write() as session:
                _mark(session, i * 100 + n)
            assert i * 100 + n in _stored(db), "acknowledged but not visible to a reader"
        return i

    run_together(writer, threads=8)
    assert _stored(db) == {i * 100 + n for i in range(8) for n in range(5)}
    if db.group_commit is not None:
        blocks, commits = db.group_commit.blocks - before[0], db.group_commit.commits - before[1]
        assert blocks == 40
        assert commits < blocks


def test_a_lone_writer_commits_at_once(db: Database) -> None:
    """Nobody waits for company: with no one queued, every block is its own commit, visible when it returns."""
    for n in range(3):
        with db.write() as session:
            _mark(session, n)
        assert _stored(db) == set(range(n + 1))
    if db.group_commit is not None:
        assert (db.group_commit.blocks, db.group_commit.commits) == (3, 3)


def test_a_failed_commit_fails_every_block_of_its_batch(db: Database, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend != "sqlite":
        pytest.skip("the shared COMMIT exists on SQLite only")
    assert db.group_commit is not None
    first_inside = threading.Event()
    outcomes: dict[int, str] = {}
    real_commit = type(db.group_commit)._commit

    def failing_commit(self: GroupCommit, batch: object) -> None:
        connection = self._connection
        assert connection is not None
        monkeypatch.setattr(connection, "commit", lambda: (_ for _ in ()).throw(OSError("disk I/O error")))
        real_commit(self, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(type(db.group_commit), "_commit", failing_commit)

    def writer(update_id: int) -> None:
        if update_id == 2:
            first_inside.wait()
        try:
            with db.write() as session:
                _mark(session, update_id)
                if update_id == 1:
                    first_inside.set()
                    _wait_until(lambda: _queued(db) == 1)
            outcomes[update_id] = "stored"
        except CommitFailed as exc:
            outcomes[update_id] = f"failed: {exc.__cause__}"

    threads = [threading.Thread(target=writer, args=(i,)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    monkeypatch.undo()
    assert outcomes == {1: "failed: disk I/O error", 2: "failed: disk I/O error"}
    assert _stored(db) == set()
    with db.write() as session:  # the next writer gets a fresh connection and a fresh batch
        _mark(session, 3)
    assert _stored(db) == {3}


def test_a_write_inside_a_write_raises_at_once(db: Database, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL allows a second transaction on another connection")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="inside another write"), db.write(), db.write():
        pass
    assert time.monotonic() - started < 1
    with db.write() as session:  # and the outer block's turn was given back
        _mark(session, 1)
    assert _stored(db) == {1}


def test_the_pool_fits_the_worker_threads(db_url: str) -> None:
    database = Database.from_url(db_url, workers=16)
    try:
        assert database.engine.pool.size() == pool_for(16)["pool_size"] == 18  # type: ignore[attr-defined]
        assert database.engine.pool._max_overflow == 18  # type: ignore[attr-defined]
    finally:
        database.dispose()
    with pytest.raises(ValueError, match="at least 1"):
        pool_for(0)


@pytest.fixture
def writer_process(db: Database, db_url: str, pendata: int) -> Iterator[Callable[[], tuple[dict[int, int], list[int]]]]:
    """A child process saving answers to four drafts from four threads, printing each answer once its
    ``db.write()`` returned; killed with SIGKILL mid-stream. Yields a function that runs it and returns
    ``(last acknowledged answer per draft, drafts)``."""
    drafts = [create_draft(db, pendata, "pendataan", 1).id for _ in range(4)]
    children: list[subprocess.Popen[str]] = []

    def run() -> tuple[dict[int, int], list[int]]:
        child = subprocess.Popen([sys.executable, "-m", "tests.storage.crash_writer", "--threads", db_url, *map(str, drafts)],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        children.append(child)
        assert child.stdout is not None
        acknowledged: dict[int, int] = {}
        for _ in range(150):
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child exited"
            draft_id, n = map(int, line.split())
            acknowledged[draft_id] = max(n, acknowledged.get(draft_id, -1))
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        for line in rest.splitlines():
            draft_id, n = map(int, line.split())
            acknowledged[draft_id] = max(n, acknowledged.get(draft_id, -1))
        assert child.returncode == -signal.SIGKILL
        return acknowledged, drafts

    yield run
    for child in children:
        if child.poll() is None:
            child.kill()


def test_acknowledged_answers_survive_a_kill(db: Database, writer_process: Callable[[], tuple[dict[int, int], list[int]]]) -> None:
    """Four conversations write at once (sharing commits on SQLite); SIGKILL; every acknowledged answer is there."""
    acknowledged, drafts = writer_process()
    assert set(acknowledged) == set(drafts)
    for draft_id, last in acknowledged.items():
        draft = get_draft(db, draft_id)
        assert draft is not None
        answers = draft.state["answers"]
        assert all(answers.get(f"q{n}") == n for n in range(last + 1)), f"draft {draft_id} lost an acknowledged answer"
        assert len(answers) in (last + 1, last + 2)  # at most one more, committed but not yet printed



def test_a_queue_that_never_empties_still_commits(db: Database, backend: str) -> None:
    """With writers always queued, a batch is closed after its limit of turns: nobody waits for the queue to empty."""
    if backend != "sqlite":
        pytest.skip("the shared COMMIT exists on SQLite only")
    assert db.group_commit is not None
    db.group_commit._max_batch = 4
    before = (db.group_commit.blocks, db.group_commit.commits)

    def writer(i: int) -> None:
        for n in range(5):
            with db.write() as session:
                _mark(session, i * 100 + n)

    run_together(writer, threads=8)
    blocks, commits = db.group_commit.blocks - before[0], db.group_commit.commits - before[1]
    assert blocks == 40
    assert commits >= 10  # at most 4 blocks per COMMIT
    assert len(_stored(db)) == 40


def test_the_bot_runs_its_turns_on_the_threads_its_pool_is_sized_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ats-bot run``: the turns' executor has WORKER_THREADS threads and the database is opened for as many,
    without a ping per checkout (a turn on a dead connection is handled again instead: test_reconnect.py)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from app import bot_cli
    from bot import app as bot_app
    from bot.app import WORKER_THREADS
    from core.settings import Settings

    opened: dict[str, object] = {}

    def open_database(_settings: Settings, **options: object) -> str:
        opened.update(options)
        return "db"

    async def serve_health(_db: object, _port: int) -> None:
        return None

    monkeypatch.setattr(bot_cli, "open_database", open_database)
    monkeypatch.setattr(bot_cli, "wait_for_telegram", lambda _settings: "ats_bot")
    monkeypatch.setattr(bot_app, "serve_health", serve_health)
    assert bot_cli._prepare(Settings(_env_file=None, bot_token="1:x")) == "db"
    assert opened == {"workers": WORKER_THREADS, "pre_ping": False}
    bot_cli._prepare_loop("db", 0)  # type: ignore[arg-type]
    loop = asyncio.get_event_loop()
    try:
        executor = loop._default_executor  # type: ignore[attr-defined]
        assert isinstance(executor, ThreadPoolExecutor) and executor._max_workers == WORKER_THREADS
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _sync_level(session: object, backend: str) -> str:
    """What this transaction's commit will wait for: SQLite's ``synchronous`` (1 NORMAL, 2 FULL) or PostgreSQL's
    ``synchronous_commit``."""
    query = "PRAGMA synchronous" if backend == "sqlite" else "SHOW synchronous_commit"
    return str(session.execute(text(query)).scalar_one())  # type: ignore[attr-defined]


def _wait_for_the_wal(connection: Any, _record: object) -> None:
    connection.execute("SET synchronous_commit = on")
    connection.commit()


def test_a_staged_block_is_not_synced_and_never_relaxes_anybody_else(db: Database, backend: str) -> None:
    """``durable=False`` (a bulk import's staged chunks): its own commit does not wait for the disk, it commits
    alone, and a durable writer queued behind it gets a synced commit of its own; afterwards everything is synced
    again, and a staged block that joins a durable batch is simply synced with it."""
    relaxed, durable = ("1", "2") if backend == "sqlite" else ("off", "on")
    if backend == "postgresql":  # the test databases do not wait for the WAL; a district's server does
        db.engine.dispose()
        event.listen(db.engine, "connect", _wait_for_the_wal)
    inside = threading.Event()
    seen: dict[str, str] = {}

    def staged() -> None:
        with db.write(durable=False) as session:
            _mark(session, 1)
            seen["staged"] = _sync_level(session, backend)
            inside.set()
            if db.group_commit is not None:  # a durable writer queues behind us: it must not join our batch
                _wait_until(lambda: _queued(db) == 1)

    def answer() -> None:
        inside.wait(10)
        with db.write() as session:
            _mark(session, 2)
            seen["durable"] = _sync_level(session, backend)

    commits = db.group_commit.commits if db.group_commit is not None else 0
    run_together(lambda i: (staged, answer)[i](), threads=2)
    assert seen == {"staged": relaxed, "durable": durable}
    assert _stored(db) == {1, 2}
    if db.group_commit is not None:
        assert db.group_commit.commits - commits == 2  # two batches: the staged one alone
    with db.write() as session:
        assert _sync_level(session, backend) == durable
    if db.group_commit is None:
        return
    first_inside = threading.Event()

    def first() -> None:
        with db.write() as session:
            _mark(session, 3)
            first_inside.set()
            _wait_until(lambda: _queued(db) == 1)

    def joining() -> None:
        first_inside.wait(10)
        with db.write(durable=False) as session:
            _mark(session, 4)
            seen["joined"] = _sync_level(session, backend)

    run_together(lambda i: (first, joining)[i](), threads=2)
    assert seen["joined"] == durable
    assert _stored(db) == {1, 2, 3, 4}

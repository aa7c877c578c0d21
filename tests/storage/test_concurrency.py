"""Concurrent writers: no "database is locked", no lost update, no duplicate number or update id.

SQLite runs on a real file with one connection per thread, as the bot does under ``asyncio.to_thread``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select

from storage.db import Database
from storage.errors import StaleDraftError
from storage.models import Child, ReferenceCounter
from storage.repositories.children import ChildIdentity
from storage.repositories.drafts import create_draft, get_draft, save_state
from storage.repositories.responses import Submission, submit_response
from storage.repositories.updates import mark_update_processed
from storage.schema_state import upgrade
from tests.storage.conftest import DESA

THREADS = 10
T = TypeVar("T")


def run_together(work: Callable[[int], T], threads: int = THREADS) -> list[T]:
    """Run ``work(i)`` in ``threads`` threads released at the same instant; any exception fails the test."""
    barrier = threading.Barrier(threads)

    def start(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(start, range(threads)))


def test_answers_to_different_drafts(db: Database, pendata: int) -> None:
    answers_each = 25
    drafts = [create_draft(db, pendata, "pendataan", 1).id for _ in range(THREADS)]

    def conversation(i: int) -> None:
        state: dict[str, dict[str, int]] = {"answers": {}}
        for n in range(answers_each):
            state["answers"][f"q{n}"] = n
            save_state(db, drafts[i], state, n + 1, current_question=f"q{n + 1}")

    run_together(conversation)
    for draft_id in drafts:
        draft = get_draft(db, draft_id)
        assert draft is not None
        assert draft.version == answers_each + 1
        assert draft.state["answers"] == {f"q{n}": n for n in range(answers_each)}


def test_racing_answers_to_one_draft_lose_nothing(db: Database, pendata: int) -> None:
    """Read-modify-write from 10 threads: the version check makes losers retry instead of overwriting."""
    answers_each = 8
    draft_id = create_draft(db, pendata, "pendataan", 1, state={"answers": {}}).id

    def writer(i: int) -> int:
        conflicts = 0
        for n in range(answers_each):
            while True:
                draft = get_draft(db, draft_id)
                assert draft is not None
                answers = {**draft.state["answers"], f"t{i}-{n}": n}
                try:
                    save_state(db, draft_id, {"answers": answers}, draft.version)
                    break
                except StaleDraftError:
                    conflicts += 1
        return conflicts

    conflicts = run_together(writer)
    draft = get_draft(db, draft_id)
    assert draft is not None
    assert len(draft.state["answers"]) == THREADS * answers_each
    assert draft.version == 1 + THREADS * answers_each
    assert sum(conflicts) > 0  # the race really happened


def test_update_ids_are_claimed_once(db: Database) -> None:
    ids = range(60)
    claimed = run_together(lambda _: [u for u in ids if mark_update_processed(db, u)])
    flat = [u for claims in claimed for u in claims]
    assert sorted(flat) == list(ids)


def test_reference_numbers_are_unique_and_gap_free(db: Database, pendata: int) -> None:
    per_thread = 6

    def submit(_: int) -> list[str]:
        return [
            submit_response(db, Submission("pendataan", 1, {"n": n}, pendata, DESA)).reference
            for n in range(per_thread)
        ]

    references = [ref for refs in run_together(submit) for ref in refs]
    assert sorted(references) == [f"F-3326-{n:06d}" for n in range(1, THREADS * per_thread + 1)]


def test_the_same_child_submitted_at_once_is_created_once(db: Database, pendata: int) -> None:
    by_nik = ChildIdentity("Ayu Lestari", DESA, nik="3326014501120003", birth_date=date(2012, 1, 5))
    by_name = ChildIdentity("Budi", DESA, birth_date=date(2011, 1, 1))

    def submit(i: int) -> int | None:
        child = by_nik if i % 2 else by_name
        return submit_response(db, Submission("pendataan", 1, {}, pendata, DESA, child=child)).child_id

    assert len(set(run_together(submit))) == 2
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 2


def test_sqlite_writers_without_a_shared_lock(tmp_path: Path) -> None:
    """Separate Database objects (as separate processes would be) contend on the file itself: BEGIN IMMEDIATE
    plus the busy timeout must make them queue, so read-then-write inside one transaction loses nothing."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    databases = [Database.from_url(url) for _ in range(THREADS)]
    increments = 30

    def bump(i: int) -> None:
        for _ in range(increments):
            with databases[i].write() as session:
                counter = session.get(ReferenceCounter, "0000")
                if counter is None:
                    session.add(ReferenceCounter(kabupaten_code="0000", last_value=1))
                else:
                    counter.last_value += 1

    try:
        run_together(bump)
        with databases[0].read() as session:
            counter = session.get(ReferenceCounter, "0000")
        assert counter is not None and counter.last_value == THREADS * increments
    finally:
        for database in databases:
            database.dispose()

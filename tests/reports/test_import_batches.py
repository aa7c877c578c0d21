"""An import interrupted while publishing (the process killed between two chunks) is recorded exactly, and
``clean_interrupted`` (``ats-bot import-clean``) removes all of it once it has stopped advancing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app import reports_cli
from app.cli import main
from reports import import_check, import_publish, imports
from reports.import_publish import clean_interrupted
from reports.imports import import_file
from storage.db import Database
from storage.derived import case_changed
from storage.models import AuditLog, Case, Child, ImportBatch, RecapCount
from storage.types import utcnow
from tests.reports.conftest import DESA_A1, KABUPATEN, TODAY, People, Seed
from tests.reports.test_imports import GOOD, NIK_SITI, counts, xlsx
from tests.reports.test_summary import rebuilt, snapshot


def _recap(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as session:
        return sorted(tuple(r) for r in session.execute(select(*RecapCount.__table__.c)))


def _interrupt(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Import GOOD in chunks of two rows; the process stops at the third chunk (no undo, nothing after it)."""
    chunks = {"n": 0}
    original = import_publish.Publisher._chunk

    def killed_at_the_third(self: import_publish.Publisher, session: Any, rows: list[Any]) -> Any:
        chunks["n"] += 1
        if chunks["n"] == 3:
            raise KeyboardInterrupt  # the process is stopped: nothing after this runs
        return original(self, session, rows)

    monkeypatch.setattr(import_check, "CHUNK", 2)
    monkeypatch.setattr(import_publish.Publisher, "_chunk", killed_at_the_third)
    monkeypatch.setattr(imports, "undo", lambda *args: None)
    monkeypatch.setattr(imports, "close_batch", lambda *args: None)
    with pytest.raises(KeyboardInterrupt):
        import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    monkeypatch.undo()


def test_an_interrupted_import_is_removed_completely(db: Database, world: People, seed: Seed,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    siti, _ = seed.case("Siti Aminah", DESA_A1, sex="P", born=None, nik=NIK_SITI)  # the import fills her birth date
    before, recap_before = counts(db), _recap(db)
    _interrupt(db, monkeypatch)
    assert counts(db) != before  # two chunks (four rows) were committed
    assert _recap(db) == recap_before  # but the recap moves only when the whole list is published
    with db.read() as session:
        [batch] = session.scalars(select(ImportBatch)).all()
        assert (batch.state, batch.rows, batch.filename) == ("publishing", 4, "do.xlsx")
        assert session.get(Child, siti).birth_date == dt.date(2012, 7, 5)  # type: ignore[union-attr]

    assert clean_interrupted(db) == []  # advanced a moment ago: it may be an import still running
    cleaned = clean_interrupted(db, now=utcnow() + dt.timedelta(minutes=11))
    assert [(c.filename, c.rows) for c in cleaned] == [("do.xlsx", 4)]
    assert counts(db) == before and _recap(db) == recap_before and snapshot(db) == rebuilt(db)
    with db.read() as session:
        assert session.get(Child, siti).birth_date is None  # type: ignore[union-attr]
        assert session.scalars(select(ImportBatch.state)).all() == ["undone"]
        actions = session.scalars(select(AuditLog.action)).all()
        assert "import.cleaned" in actions and "case.open" not in actions
    assert clean_interrupted(db, now=utcnow() + dt.timedelta(minutes=11)) == []  # once


def test_a_finished_import_leaves_a_published_batch(db: Database, world: People) -> None:
    import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    with db.read() as session:
        assert session.execute(select(ImportBatch.state, ImportBatch.rows, ImportBatch.written)).one() == ("published", 5, {})
    assert clean_interrupted(db, now=utcnow() + dt.timedelta(days=1)) == []
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 4


def test_the_command_line_removes_a_stopped_import(db: Database, world: People, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _interrupt(db, monkeypatch)
    monkeypatch.setattr(reports_cli, "_database", lambda: db)
    assert main(["import-clean", "--lang", "en"]) == 0
    assert "No interrupted import to remove." in capsys.readouterr().out  # it stopped a moment ago
    with db.write() as session:
        session.execute(update(ImportBatch).values(updated_at=utcnow() - dt.timedelta(minutes=11)))
    assert main(["import-clean", "--lang", "en"]) == 0
    assert "Removed the interrupted import of do.xlsx: the 4 rows it had saved are gone" in capsys.readouterr().out
    assert counts(db) == (0, 0, 0)


def test_the_recap_shows_a_list_only_once_it_is_published(db: Database, world: People, seed: Seed,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of two rows: before each chunk the recap counts are still those before the import (one child
    already recorded gets a new form meanwhile), even when a case of the list is moved by another transaction in
    between; the publication moves them all at once, and the summary is what a rebuild gives."""
    from reports.summary import counts as recap_counts

    _, seeded = seed.case("Siti Aminah", DESA_A1, sex="P", born=None, nik=NIK_SITI)
    recap_before, seen, moved = _recap(db), [], []
    original = import_publish.Publisher._prepare

    def watched(self: import_publish.Publisher, rows: list[Any], prepared: Any) -> None:
        with db.read() as reader:
            seen.append(recap_counts(reader, KABUPATEN))
            listed = reader.scalar(select(func.min(Case.id)).where(Case.id != seeded))
        if len(seen) == 2 and listed is not None:  # a turn moves a case of the list, in a transaction of its own
            with db.write() as session:
                session.execute(update(Case).where(Case.id == listed).values(status="verified"))
                case_changed(session, listed)
            moved.append(listed)
        original(self, rows, prepared)

    monkeypatch.setattr(import_check, "CHUNK", 2)
    monkeypatch.setattr(import_publish.Publisher, "_prepare", watched)
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and len(seen) == 3 and moved
    assert seen[0] == seen[1] != seen[2]  # nothing of the list before the move; the move counted at once
    with db.read() as reader:
        after = recap_counts(reader, KABUPATEN)
    assert after != seen[2] and _recap(db) != recap_before and snapshot(db) == rebuilt(db)


def test_a_rerun_of_an_interrupted_file_removes_what_it_had_saved_first(db: Database, world: People,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The process that was importing has ended (its pid is gone on this host): the same file imported again
    removes the interrupted import at once, without waiting for it to go stale, then saves the list once."""
    import subprocess
    import sys

    import_file(db, xlsx(GOOD), "other.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    once = counts(db)
    _interrupt(db, monkeypatch)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    with db.write() as session:
        batch = session.scalars(select(ImportBatch).where(ImportBatch.state == "publishing")).one()
        assert batch.written["owner"]["pid"] > 0
        batch.written = {**batch.written, "owner": {**batch.written["owner"], "pid": int(ended.stdout)}}
    assert clean_interrupted(db, filename="another.xlsx", region_code=KABUPATEN) == []  # another file: left alone
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    assert report.saved and report.cleaned == 4 and report.merged == 5  # every row the same child as other.xlsx's
    assert counts(db)[0] == once[0] and snapshot(db) == rebuilt(db)
    with db.read() as session:
        assert sorted(session.scalars(select(ImportBatch.state))) == ["published", "published", "undone"]
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import.cleaned")) == 1


def test_a_chunk_whose_tail_was_never_written_is_removed_completely(db: Database, world: People, seed: Seed,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A process killed between a chunk's two transactions (PostgreSQL: children and cases committed, their events,
    audit entries and responses not): the ids recorded with the first are enough to remove it all."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a chunk is one transaction on SQLite")
    before, recap_before = counts(db), _recap(db)
    monkeypatch.setattr(import_check, "CHUNK", 2)
    monkeypatch.setattr(import_publish.Publisher, "_tail_transaction", lambda self, tail: None)  # killed before each tail
    monkeypatch.setattr(imports, "undo", lambda *args: None)
    monkeypatch.setattr(imports, "close_batch", lambda *args: None)
    import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY)
    monkeypatch.undo()
    children, cases, responses = counts(db)
    assert (children, cases, responses) != before and responses == before[2]  # the first transactions only
    cleaned = clean_interrupted(db, now=utcnow() + dt.timedelta(minutes=11))
    assert [c.filename for c in cleaned] == ["do.xlsx"]
    assert counts(db) == before and _recap(db) == recap_before and snapshot(db) == rebuilt(db)

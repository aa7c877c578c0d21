"""The recap summary is kept current by the writes themselves, in their own transaction: after any change the
counters equal a rebuild from scratch, a failed transaction leaves them as they were, and a recap reads them."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from cases import checks, service
from reports.recap import age_group, recap_data
from reports.summary import rebuild
from storage.db import Database
from storage.derived import case_changed, flush_derived
from storage.models import Case, RecapCount, RecapFact
from storage.repositories.responses import Submission, submit_response
from tests.reports.conftest import DESA_A1, KABUPATEN, TODAY, Seed
from tests.reports.test_recap import TARGETS, cases  # noqa: F401  (the recap tests' district)
from tests.uow import committed

# ruff: noqa: F811  (fixture parameters named like the imported fixture)


def snapshot(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with db.read() as session:
        counts = sorted(tuple(r) for r in session.execute(select(*RecapCount.__table__.c)).all())
        facts = sorted(tuple(r) for r in session.execute(select(*RecapFact.__table__.c)).all())
    return counts, facts


def rebuilt(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """What a rebuild from the cases gives (then rolled back, so the test sees the incremental state again)."""
    with db.engine.connect() as conn:
        conn.begin()
        rebuild(conn)
        counts = sorted(tuple(r) for r in conn.execute(select(*RecapCount.__table__.c)).all())
        facts = sorted(tuple(r) for r in conn.execute(select(*RecapFact.__table__.c)).all())
        conn.rollback()
    return counts, facts


def test_kept_current_through_status_changes_and_forms(db: Database, seed: Seed, cases: dict[str, int]) -> None:
    assert snapshot(db) == rebuilt(db)
    before = recap_data(db, KABUPATEN, TODAY, targets=TARGETS)
    team = seed.people.kecamatan_team
    committed(db, service.transition, cases["ayu"], "verify", team)  # moves of the case workflow
    waiting = recap_data(db, KABUPATEN, TODAY, targets=TARGETS)  # verified, not yet through the kecamatan's check
    assert (waiting.total, waiting.awaiting_check) == (before.total - 1, before.awaiting_check + 1)
    assert snapshot(db) == rebuilt(db)
    committed(db, checks.accept, [cases["ayu"]], team)
    committed(db, service.assign_pendamping, cases["ayu"], seed.people.pendamping, team)
    submit_response(db, Submission("rekonfirmasi", 1, {"B.2": "Budi", "D.1": ["5", "11"], "D.4": "1"}, seed.people.pendata,
                                   DESA_A1, case_id=cases["budi"]))  # a newer form: other reasons and category
    assert snapshot(db) == rebuilt(db)
    after = recap_data(db, KABUPATEN, TODAY, targets=TARGETS)
    assert (after.total, after.awaiting_check) == (before.total, before.awaiting_check)
    assert sum(after.by_status["accompanied"].values()) == sum(before.by_status.get("accompanied", {}).values()) + 1
    assert sum(after.by_reason["5"].values()) == 1 and "3" not in after.by_reason  # Budi's old reasons are gone
    assert sum(after.by_category["1"].values()) == sum(before.by_category["1"].values()) + 1


def test_a_failed_transaction_changes_nothing(db: Database, cases: dict[str, int]) -> None:
    before = snapshot(db)
    with pytest.raises(RuntimeError), db.write() as session:
        case = session.get(Case, cases["ayu"])
        assert case is not None
        case.status = "graduated"
        case_changed(session, case.id)
        raise RuntimeError("crash before the commit")
    assert snapshot(db) == before


def test_duplicates_are_not_counted_and_national_sums_the_kabupaten(db: Database, cases: dict[str, int]) -> None:
    with db.write() as session:
        case = session.get(Case, cases["hadi"])
        assert case is not None
        case.duplicate_of = cases["gita"]
        case_changed(session, case.id)
    assert snapshot(db) == rebuilt(db)
    national = recap_data(db, "", TODAY, targets=TARGETS)
    assert national.total == 8  # ten cases: one a duplicate from the start, and Hadi now
    assert set(national.by_area) == {KABUPATEN, "73.71"}
    with db.read() as session:
        assert session.scalar(select(RecapFact.case_id).where(RecapFact.case_id == cases["hadi"])) is None


@pytest.mark.parametrize(
    ("born", "group"),
    [("2019-12", "under-7"), ("2019-11", "7-12"), ("2013-11", "13-15"), ("2010-11", "16-18"), ("2007-11", "over-18"), ("", "unknown")],
)
def test_age_groups_count_whole_months(born: str, group: str) -> None:
    assert age_group(born, dt.date(2026, 11, 23)) == group


def test_many_cases_in_one_transaction_are_refreshed_in_chunks(db: Database, cases: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import derived

    monkeypatch.setattr(derived, "CHUNK", 2)  # a bulk import marks thousands: refreshed a chunk at a time
    with db.write() as session:
        for name in ("ayu", "budi", "citra", "dodi", "fajar"):
            case = session.get(Case, cases[name])
            assert case is not None
            case.status = "aged_out"
            case_changed(session, case.id)
    assert snapshot(db) == rebuilt(db)
    assert sum(recap_data(db, KABUPATEN, TODAY, targets=TARGETS).by_status["aged_out"].values()) == 5


def test_two_transactions_refreshing_one_case_take_turns(db: Database, cases: dict[str, int]) -> None:
    """A move holds the case while its refresh is not committed; a second transaction that marks the same case (a
    form, an import's writer thread) refreshes it after, from what the first wrote, instead of inserting the same
    recap rows a second time."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    errors: list[BaseException] = []
    second_done = threading.Event()

    def second() -> None:
        try:
            with db.write() as session:
                case_changed(session, cases["ayu"])
        except BaseException as exc:  # noqa: BLE001  (reported to the test)
            errors.append(exc)
        second_done.set()

    with db.write() as session:
        case = session.get(Case, cases["ayu"])
        assert case is not None
        case.status = "verified"
        case_changed(session, case.id)
        flush_derived(session)  # refreshed, not yet committed
        other = threading.Thread(target=second)
        other.start()
        assert not second_done.wait(0.5)  # it waits for this one
    other.join(10)
    assert second_done.is_set() and errors == []
    assert snapshot(db) == rebuilt(db)

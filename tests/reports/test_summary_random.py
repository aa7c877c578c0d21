"""The recap summary equals a recomputation from the raw data after every kind of change, in random order.

A seeded random walk writes what the product writes — lifecycle moves (verify, the kecamatan's accept/return
check, drop out, monitor …), status changes, forms (Pendataan, Rekonfirmasi, Monitoring, Indikator Risiko) at
instants around local midnights and quarter ends, duplicates, a child's sex and birth date, a failed
transaction — and after each change checks, on SQLite and PostgreSQL:

* the incrementally kept facts and counters equal :func:`reports.summary.rebuild` (set-based SQL on PostgreSQL);
* every few changes, :func:`reports.recap.recap_data` equals numbers recomputed here from the cases, events and
  forms with the recap's rules (back in school per local year, the quarterly stayed/dropped, the status funnel
  without the cases awaiting the kecamatan's check), the early warning run live over the forms and
  :func:`cases.checks.awaiting_count`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from cases import lifecycle
from cases.checks import AWAITING_STATUSES, awaiting_count
from cases.service import DATA_EVENTS, transition
from reports.early_warning import at_risk
from reports.recap import build_recap, recap_data
from reports.summary import CHECKABLE, flagged_ids, reconcile
from reports.targets import Targets
from storage.db import Database
from storage.derived import case_changed
from storage.models import Case, CaseEvent, Child, Region, Response, Sex
from tests.reports.conftest import DESA_A1, DESA_A2, DESA_B1, KABUPATEN, KEC_A, KEC_B, MAKASSAR_DESA, TODAY, Seed
from tests.reports.test_summary import rebuilt, snapshot
from tests.uow import committed

STEPS = 60
PLACES = (DESA_A1, DESA_A2, DESA_B1, KEC_A, MAKASSAR_DESA)
INSTANTS = (  # UTC instants on both sides of local midnights that end a year or a quarter (WIB +7, WITA +8)
    dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC), dt.datetime(2025, 12, 31, 17, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 31, 16, 15, tzinfo=dt.UTC), dt.datetime(2026, 6, 30, 15, 45, tzinfo=dt.UTC),
    dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC), dt.datetime(2026, 10, 14, 3, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC), dt.datetime(2025, 8, 1, 3, tzinfo=dt.UTC),
)
TARGETS = Targets({KABUPATEN: {2025: 3, 2026: 5}})


def test_checkable_statuses_are_the_case_workflows() -> None:
    assert set(CHECKABLE) == set(AWAITING_STATUSES)


# -- the recomputation from raw data --------------------------------------------------------------------------
def _covers(scope: str, code: str) -> bool:
    return not scope or code == scope or code.startswith(scope + ".")


def expected(db: Database, scope: str) -> dict[str, object]:
    """The recap's figures for ``scope`` recomputed from cases, events and forms (plain Python, no summary)."""
    wide = scope.count(".") <= 1
    with db.read() as session:
        zones = {code: ZoneInfo(getattr(zone, "value", zone)) for code, zone in session.execute(select(Region.code, Region.timezone))}
        cases = [c for c in session.scalars(select(Case).where(Case.duplicate_of.is_(None))) if _covers(scope, c.region_code)]
        events: dict[int, list[CaseEvent]] = defaultdict(list)
        for event in session.scalars(select(CaseEvent).order_by(CaseEvent.id)):
            events[event.case_id].append(event)
        monitorings: dict[int, list[Response]] = defaultdict(list)
        for form in session.scalars(select(Response).where(Response.instrument == "monitoring")):
            if form.case_id is not None:
                monitorings[form.case_id].append(form)
        sexes = {child.id: child.sex for child in session.scalars(select(Child))}
    status: Counter[str] = Counter()
    returned: Counter[int] = Counter()
    quarters: dict[tuple[int, int], dict[int, bool]] = defaultdict(dict)
    by_sex: Counter[str | None] = Counter()
    for case in cases:
        history = events[case.id]
        verified = max((e.id for e in history if e.event == "verify"), default=None)
        accepted = max((e.id for e in history if e.event == "accept_check"), default=None)
        awaiting = case.status in AWAITING_STATUSES and verified is not None and (accepted is None or accepted < verified)
        if awaiting and wide:
            continue
        status[case.status] += 1
        sex = sexes[case.child_id]
        by_sex[sex.value if isinstance(sex, Sex) else sex] += 1
        zone = zones.get(case.region_code, ZoneInfo("Asia/Jakarta"))
        backs = [e.at for e in history if e.to_status == "back_in_school"]
        if backs:
            returned[min(backs).astimezone(zone).year] += 1
        for form in monitorings[case.id]:
            answer = str(form.answers.get("C.1"))
            if answer in ("1", "2"):
                local = form.submitted_at.astimezone(zone)
                key = (local.year, (local.month - 1) // 3 + 1)
                quarters[key][case.id] = quarters[key].get(case.id, True) and answer == "1"
        for e in history:
            if e.to_status == "dropped_out_again":
                local = e.at.astimezone(zone)
                quarters[(local.year, (local.month - 1) // 3 + 1)][case.id] = False
    if scope:
        awaiting_total = committed(db, awaiting_count, scope)
    else:
        awaiting_total = committed(db, awaiting_count, KABUPATEN) + committed(db, awaiting_count, "73.71")
    return {
        "status": dict(status), "by_sex": {k: v for k, v in by_sex.items() if v}, "returned": returned,
        "quarters": {k: (len(v), sum(1 for still in v.values() if not still)) for k, v in quarters.items()},
        "awaiting": awaiting_total, "risks": [r.case_id for r in at_risk(db, scope, TODAY)],
    }


def assert_recap_equals_raw(db: Database, scope: str, today: dt.date = TODAY) -> None:
    """On ``today`` (the quarters shown are the last four up to it)."""
    data = recap_data(db, scope, today, targets=TARGETS)
    raw = expected(db, scope)
    assert data.totals(data.by_status) == raw["status"]
    assert {k: v for k, v in data.by_sex.items() if v} == raw["by_sex"]
    assert data.awaiting_check == raw["awaiting"]
    returned = raw["returned"]
    assert isinstance(returned, Counter)
    assert {y.year: y.returned for y in data.returned} == {y.year: returned.get(y.year, 0) for y in data.returned}
    quarters = raw["quarters"]
    assert isinstance(quarters, dict)
    for q in data.quarters:
        total, dropped = quarters.get((q.year, q.quarter), (0, 0))
        assert (q.still, q.dropped) == (total - dropped, dropped), (q, scope)
    risks = raw["risks"]
    assert isinstance(risks, list)
    assert data.at_risk_total == len(risks)
    with db.read() as session:
        assert flagged_ids(session, scope) == set(risks)  # what the dashboard's case list filters by
    assert [r.case_id for r in build_recap(db, scope, TODAY, "en", targets=TARGETS).at_risk] == risks[:10]


# -- the random walk ------------------------------------------------------------------------------------------------
class Walk:
    def __init__(self, db: Database, seed: Seed, rng: random.Random) -> None:
        self.db, self.seed, self.rng = db, seed, rng
        self.cases: list[int] = []

    def open_case(self) -> str:
        place = self.rng.choice(PLACES)
        name = f"Anak {len(self.cases) + 1}"
        born = self.rng.choice([dt.date(2012, 5, 1), dt.date(2019, 12, 31), None])
        child, case_id = self.seed.case(name, place, sex=self.rng.choice(["L", "P", None]), born=born,
                                        category=self.rng.choice([None, "1", "2", "3"]))
        self.cases.append(case_id)
        if self.rng.random() < 0.6:
            self.identify(case_id, child)
        return "open"

    def identify(self, case_id: int, child: int | None = None) -> str:
        answers: dict[str, object]
        if self.rng.random() < 0.5:
            answers = {"1.1": "Anak", "3.1": str(self.rng.randint(1, 11)), "3.6": self.rng.choice(["1", "2", "3", "Putus Sekolah"]),
                       "1.7.desa": self.rng.choice(["Bodas", " klesem ", "Entah"])}
            self.seed.response("pendataan", answers, case_id=case_id, child_id=child)
        else:
            answers = {"B.2": "Anak", "D.1": [str(self.rng.randint(1, 11)) for _ in range(self.rng.randint(1, 3))],
                       "D.4": self.rng.choice(["1", "2", "3"]), "B.10": "Bodas"}
            self.seed.response("rekonfirmasi", answers, case_id=case_id, child_id=child)
        return "form"

    def move(self, case_id: int) -> str:
        with self.db.read() as session:
            status = session.scalar(select(Case.status).where(Case.id == case_id))
        events = [e for e in lifecycle.allowed_events(status or "") if e not in DATA_EVENTS]
        if not events:
            return "no move"
        event = self.rng.choice(events)
        committed(self.db, transition, case_id, event, self.seed.people.kecamatan_team, reason="alasan")
        return f"move {event}"

    def back_or_drop(self, case_id: int) -> str:
        to_status = self.rng.choice(["back_in_school", "back_in_school", "dropped_out_again", "dropped_out_again", "monitored"])
        with self.db.write() as session:
            case = session.get(Case, case_id)
            assert case is not None
            session.add(CaseEvent(case_id=case_id, from_status=case.status, to_status=to_status, at=self.rng.choice(INSTANTS)))
            case.status = to_status
            case_changed(session, case_id)
        return f"event {to_status}"

    def monitoring(self, case_id: int) -> str:
        answers = {"C.1": self.rng.choice(["1", "1", "2"]), "C.2": self.rng.choice(["1", "2"]),
                   "C.6": self.rng.choice([["1"], ["5", "6"], ["2"]]), "C.9": self.rng.choice(["1", "3"])}
        self.seed.response("monitoring", answers, case_id=case_id, when=self.rng.choice(INSTANTS))
        return "monitoring"

    def indicators(self, case_id: int) -> str:
        self.seed.response("indikator-risiko", {"I.1c": self.rng.choice([10, 70]), "I.4": "1"}, case_id=case_id)
        return "indikator"

    def duplicate(self, case_id: int) -> str:
        with self.db.write() as session:
            case = session.get(Case, case_id)
            assert case is not None
            case.duplicate_of = self.rng.choice([c for c in self.cases if c != case_id] or [case_id])
            case_changed(session, case_id)
        return "duplicate"

    def child(self, case_id: int) -> str:
        with self.db.write() as session:
            case = session.get(Case, case_id)
            assert case is not None
            child = session.get(Child, case.child_id)
            assert child is not None
            child.sex = self.rng.choice([Sex("L"), Sex("P"), None])
            child.birth_date = self.rng.choice([dt.date(2010, 1, 1), None])
            case_changed(session, case_id)
        return "child"

    def failure(self, case_id: int) -> str:
        with pytest.raises(RuntimeError), self.db.write() as session:
            case = session.get(Case, case_id)
            assert case is not None
            case.status = "graduated"
            case_changed(session, case_id)
            raise RuntimeError("crash before the commit")
        return "failed"

    def step(self) -> str:
        if len(self.cases) < 4 or self.rng.random() < 0.15:
            return self.open_case()
        case_id = self.rng.choice(self.cases)
        action = self.rng.choice([self.move, self.move, self.move, self.back_or_drop, self.back_or_drop, self.back_or_drop,
                                  self.monitoring, self.monitoring, self.monitoring, self.indicators, self.identify,
                                  self.duplicate, self.child, self.failure])
        return action(case_id)


@pytest.mark.parametrize("walk_seed", [17])
def test_summary_equals_the_raw_data_after_every_change(db: Database, seed: Seed, walk_seed: int) -> None:
    walk = Walk(db, seed, random.Random(walk_seed))
    done: list[str] = []
    for number in range(STEPS):
        done.append(walk.step())
        assert snapshot(db) == rebuilt(db), done
        if number % 5 == 4 or number == STEPS - 1:
            for scope in ("", KABUPATEN, KEC_A, KEC_B, DESA_A2):
                assert_recap_equals_raw(db, scope)
            assert_recap_equals_raw(db, "", dt.date(2026, 3, 1))  # 2025 Q2 to 2026 Q1: across the year's end
    kinds = {d.split()[0] for d in done}
    assert {"open", "move", "event", "monitoring", "indikator", "form"} <= kinds, done  # the walk covered the kinds


def test_reconcile_repairs_what_a_plain_sql_write_left_behind(db: Database, seed: Seed) -> None:
    walk = Walk(db, seed, random.Random(3))
    for _ in range(6):
        walk.open_case()
    with db.write() as session:  # a repair made with plain SQL: nobody marks the case
        session.execute(update(Case).where(Case.id == walk.cases[0]).values(status="graduated"))
    with db.engine.connect() as conn:
        conn.begin()
        cases, differ = reconcile(conn)
        conn.rollback()
    assert cases == 6 and differ > 0
    assert snapshot(db) != rebuilt(db)
    with db.engine.begin() as conn:
        reconcile(conn)
    assert snapshot(db) == rebuilt(db)
    assert_recap_equals_raw(db, KABUPATEN)

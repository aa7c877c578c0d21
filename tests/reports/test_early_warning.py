"""Early warning from the latest Monitoring (Lampiran 6) and Indikator Risiko (Lampiran 7) of pupils back in school."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.registry import engine
from reports import messages as M
from reports.early_warning import assess, at_risk, due_alerts, mark_alerted
from reports.recap import build_recap
from reports.targets import Targets
from storage.db import Database
from tests.reports.conftest import DESA_A1, DESA_B1, KABUPATEN, KEC_A, TODAY, People, Seed, at

WELL = {"C.1": "1", "C.2": "1", "C.3": 80, "C.4A": "IPA", "C.4B": "seru", "C.5A": "PKn", "C.5B": "hafalan", "C.6": ["1"], "D.1": ["3"], "D.2": ["3"], "D.3": ["3"]}


def monitoring(**changes: object) -> dict:
    """A complete Monitoring as the engine stores it (checked against the form)."""
    raw = {"B.1": "4", "B.2": "Bu Guru", "B.3": "Anak", "B.6": 2026, "B.7": "7", "B.8": "SMP N 1", **WELL, **changes}
    if raw.get("C.6") != ["1"]:
        raw.setdefault("C.9", "1")
    report = engine("monitoring").check(raw, today=TODAY)
    assert report.complete and report.error is None, report
    return report.answers


def indicators(**changes: object) -> dict:
    raw = {"I.0": "2026/2027 Ganjil", "I.1a": 3, "I.1b": 100, "I.1d": ["2"], "I.2a": 0, "I.2b": 20, "I.3": 1, "I.4": "4",
           "I.5": "3", "I.6a": 75, "I.6b": "2", "I.7a": "1", **changes}
    report = engine("indikator-risiko").check(raw, today=TODAY)
    assert report.complete and report.error is None, report
    return report.answers


@pytest.mark.parametrize(
    ("mon", "ind", "expected"),
    [
        (monitoring(), indicators(), []),
        (monitoring(**{"C.2": "2"}), None, [M.RISK_ABSENCE]),
        (None, indicators(**{"I.1a": 55}), [M.RISK_ABSENCE]),
        (monitoring(**{"C.6": ["5", "6"], "C.7": "3", "C.8": ["4"], "C.9": "3"}), None, [M.RISK_BULLYING, M.RISK_COST, M.RISK_UNSURE]),
        (monitoring(**{"C.6": ["6"], "C.7": "1", "C.8": ["4"], "C.9": "1"}), None, []),  # no bullying this semester
        (monitoring(**{"C.6": ["2"], "C.9": "2", "C.3": 55}), None, [M.RISK_LEARNING, M.RISK_WONT_CONTINUE, M.RISK_LOW_GRADES]),
        (monitoring(**{"D.1": ["1"]}), None, [M.RISK_NO_PARENT_SUPPORT]),
        (None, indicators(**{"I.7a": "2", "I.7b": ["3"], "I.8": ["5"], "I.9": "1"}), [M.RISK_DISABILITY]),
        (None, indicators(**{"I.6b": "4"}), [M.RISK_LOW_GRADES]),
        # context only counts next to a signal
        (None, indicators(**{"I.2a": 1, "I.3": 4, "I.5": "1", "I.4": "2"}), []),
        (monitoring(**{"C.2": "2"}), indicators(**{"I.2a": 1, "I.3": 4, "I.5": "1", "I.4": "2"}),
         [M.RISK_ABSENCE, M.RISK_LONG_TRAVEL, M.RISK_LARGE_POOR_FAMILY, M.RISK_LOW_PARENT_EDUCATION]),
        # out of school again: the lifecycle follows that child
        (monitoring(**{"C.1": "2", "C.10": "2026-10-01", "C.11": ["6"]}), None, []),
    ],
)
def test_assess(mon: dict | None, ind: dict | None, expected: list[str]) -> None:
    signals, context = assess(mon, ind)
    assert signals + context == expected


@pytest.fixture
def pupils(seed: Seed, world: People) -> dict[str, int]:
    ids = {}
    _, ids["absent"] = seed.case("Ani", DESA_A1, status="monitored", pendamping=world.pendamping)
    seed.response("monitoring", monitoring(), case_id=ids["absent"], when=at(dt.date(2026, 9, 1)))
    seed.response("monitoring", monitoring(**{"C.2": "2", "C.6": ["5"], "C.9": "3"}), case_id=ids["absent"],
                  when=at(dt.date(2026, 11, 1)))
    _, ids["recovered"] = seed.case("Bayu", DESA_A1, status="monitored", pendamping=world.pendamping)
    seed.response("monitoring", monitoring(**{"C.2": "2"}), case_id=ids["recovered"], when=at(dt.date(2026, 9, 1)))
    seed.response("monitoring", monitoring(), case_id=ids["recovered"], when=at(dt.date(2026, 11, 1)))  # latest is fine
    _, ids["indicator"] = seed.case("Citra", DESA_B1, status="back_in_school")
    seed.response("indikator-risiko", indicators(**{"I.1a": 60, "I.2a": 2}), case_id=ids["indicator"], region=DESA_B1)
    _, ids["dropped"] = seed.case("Dedi", DESA_A1, status="dropped_out_again")  # not a pupil any more
    seed.response("monitoring", monitoring(**{"C.2": "2"}), case_id=ids["dropped"])
    return ids


def test_at_risk(db: Database, pupils: dict[str, int], world: People) -> None:
    risks = at_risk(db, KABUPATEN, TODAY)
    assert [(r.case_id, r.reasons) for r in risks] == [
        (pupils["absent"], [M.RISK_ABSENCE, M.RISK_COST, M.RISK_UNSURE]),
        (pupils["indicator"], [M.RISK_ABSENCE, M.RISK_LONG_TRAVEL]),
    ]
    assert risks[0].pendamping_id == world.pendamping and risks[0].child_name == "Ani" and risks[1].pendamping_id is None
    assert [r.case_id for r in at_risk(db, KEC_A, TODAY)] == [pupils["absent"]]


def test_recap_lists_pupils_at_risk(db: Database, pupils: dict[str, int]) -> None:
    recap = build_recap(db, KABUPATEN, TODAY, "en", targets=Targets({}))
    assert [r.case_id for r in recap.at_risk] == [pupils["absent"], pupils["indicator"]]
    assert "At risk of dropping out again: 2" in recap.text
    assert "• Ani (SEED-" in recap.text and "absent more than half of the school days" in recap.text


def test_alerts_reach_the_pendamping_and_the_kecamatan_team_once_per_sign(db: Database, pupils: dict[str, int], world: People) -> None:
    alerts = due_alerts(db, KABUPATEN, TODAY)
    assert sorted((a.person_id, a.chat_id, a.case_id, a.language) for a in alerts) == [
        (world.kecamatan_team, 2002, pupils["absent"], "id"), (world.pendamping, 2003, pupils["absent"], "id")]
    assert all("Ani" in alert.text for alert in alerts)
    mark_alerted(db, alerts[0])
    assert [a.person_id for a in due_alerts(db, KABUPATEN, TODAY)] == [alerts[1].person_id]
    mark_alerted(db, alerts[1])
    assert due_alerts(db, KABUPATEN, TODAY) == []
    assert due_alerts(db, KABUPATEN, dt.date(2026, 12, 2)) == []  # the same signs next month: not re-sent

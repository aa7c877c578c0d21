"""Yearly targets live in the database: seeded from the YAML file by the migration, edited by the kabupaten
team (audited), read by the recap in the same transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select

from core.authz import Action, Actor, allowed
from reports.recap import recap_data
from reports.settings import get_report_settings
from reports.targets import TargetError, TargetsFileError, read_targets_file, set_target, stored_targets, targets_for
from storage.db import Database
from storage.models import AuditLog, RegionTarget, Role
from storage.schema_state import upgrade
from tests.reports.conftest import KABUPATEN, KEC_A, TODAY, People, Seed
from tests.storage.conftest import fresh_url  # noqa: F401  (a database without schema, both backends)

# ruff: noqa: F811  (fixture parameters named like the imported fixtures)


@pytest.fixture
def no_targets(db: Database) -> Database:
    """The fixture database without the seeded Pekalongan targets (PostgreSQL truncates them, SQLite keeps them)."""
    with db.write() as session:
        session.execute(delete(RegionTarget))
    return db


def test_the_migration_seeds_the_targets_file(fresh_url: str) -> None:
    upgrade(fresh_url)
    database = Database.from_url(fresh_url)
    try:
        with database.read() as session:
            assert targets_for(session, KABUPATEN) == {2019: 389, 2020: 680, 2021: 1025, 2022: 2392}
            assert targets_for(session, "")[2022] == 2392  # national: the sum over the kabupaten
            assert targets_for(session, KEC_A) == {}
    finally:
        database.dispose()


def test_set_update_and_clear_a_target_audited(no_targets: Database, world: People) -> None:
    db = no_targets
    with db.write() as session:
        set_target(session, KABUPATEN, 2026, 120, actor_id=world.kabupaten_team)
    with db.write() as session:
        set_target(session, KABUPATEN, 2026, 150, actor_id=world.kabupaten_team)
        set_target(session, KABUPATEN, 2027, 200, actor_id=world.kabupaten_team)
        set_target(session, KABUPATEN, 2027, 200, actor_id=world.kabupaten_team)  # unchanged: not audited again
    with db.read() as session:
        assert targets_for(session, KABUPATEN) == {2026: 150, 2027: 200}
        assert targets_for(session, "") == {2026: 150, 2027: 200}
        assert stored_targets(session, "73.71").by_region == {}
    with db.write() as session:
        set_target(session, KABUPATEN, 2027, None, actor_id=world.kabupaten_team)
    with db.read() as session:
        assert targets_for(session, KABUPATEN) == {2026: 150}
        audit = session.execute(
            select(AuditLog.action, AuditLog.subject_id, AuditLog.actor_id, AuditLog.detail).order_by(AuditLog.id)
        ).all()
    assert [(a, s, d["before"], d["after"]) for a, s, _, d in audit] == [
        ("target.set", "33.26/2026", None, 120),
        ("target.set", "33.26/2026", 120, 150),
        ("target.set", "33.26/2027", None, 200),
        ("target.set", "33.26/2027", 200, None),
    ]
    assert {actor for _, _, actor, _ in audit} == {world.kabupaten_team}


@pytest.mark.parametrize(
    ("region", "year", "children", "reason"),
    [(KEC_A, 2026, 5, "region"), ("99.99", 2026, 5, "region"), (KABUPATEN, 1999, 5, "year"), (KABUPATEN, 2026, -1, "count"),
     (KABUPATEN, 2026, 10**9, "count")],
)
def test_refused_targets_change_nothing(no_targets: Database, world: People, region: str, year: int, children: int,
                                        reason: str) -> None:
    with pytest.raises(TargetError) as caught, no_targets.write() as session:
        set_target(session, region, year, children, actor_id=world.kabupaten_team)
    assert caught.value.reason == reason
    with no_targets.read() as session:
        assert session.scalar(select(RegionTarget.year)) is None
        assert session.scalar(select(AuditLog.id)) is None


def test_the_recap_reads_the_stored_targets(no_targets: Database, seed: Seed) -> None:
    with no_targets.write() as session:
        set_target(session, KABUPATEN, 2026, 8, actor_id=seed.people.kabupaten_team)
    returned = {y.year: y.target for y in recap_data(no_targets, KABUPATEN, TODAY).returned}
    assert returned[2026] == 8
    assert {y.year: y.target for y in recap_data(no_targets, KEC_A, TODAY).returned} == {2026: None}


def test_only_the_kabupaten_team_sets_targets() -> None:
    assert allowed(Actor(1, Role.TIM_KABUPATEN, KABUPATEN), Action.SET_TARGETS, KABUPATEN)
    assert allowed(Actor(1, Role.ADMIN, None), Action.SET_TARGETS, KABUPATEN)
    assert not allowed(Actor(1, Role.TIM_KABUPATEN, "33.25"), Action.SET_TARGETS, KABUPATEN)
    assert not allowed(Actor(1, Role.TIM_KECAMATAN, KEC_A), Action.SET_TARGETS, KABUPATEN)


def test_targets_file(tmp_path: Path) -> None:
    default = read_targets_file(get_report_settings().targets_path())
    assert default.for_region(KABUPATEN) == {2019: 389, 2020: 680, 2021: 1025, 2022: 2392}
    path = tmp_path / "t.yaml"
    path.write_text('targets:\n  "33.26.01": {2026: 5}\n  "33.26.02": {2026: 7, 2027: 1}\n', encoding="utf-8")
    assert read_targets_file(path).for_region(KABUPATEN) == {2026: 12, 2027: 1}
    path.write_text("targets: [1, 2]\n", encoding="utf-8")
    with pytest.raises(TargetsFileError):
        read_targets_file(path)
    assert read_targets_file(tmp_path / "missing.yaml").for_region(KABUPATEN) == {}

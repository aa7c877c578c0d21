"""The review list of NIK clashes: chat submission → conflict; the team decides in chat or on the command line
(merge, keep apart, fix the NIK); every decision audited; a refused decision changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app import conflicts_cli
from app.cli import main
from cases.opening import submit_form
from storage.db import Database
from storage.models import AuditLog, Case, Child, IdentityConflict, Response, Sex
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission
from storage.uow import unit_of_work
from tests.reports.conftest import DESA_A1, People, Seed
from tests.reports.test_imports import NIK_SITI
from tests.reports.turns import Chat

NIK_OTHER = "3326011203110002"


def clash(db: Database, seed: Seed, world: People) -> tuple[int, int]:
    """Siti is recorded; a volunteer's Pendataan gives her NIK for a boy named Budi. (existing child, conflict)."""
    siti, _ = seed.case("Siti Aminah", DESA_A1, sex="P", born=dt.date(2012, 7, 5), nik=NIK_SITI)
    budi = ChildIdentity("Budi Santoso", DESA_A1, nik=NIK_SITI, sex=Sex.L, birth_date=dt.date(2011, 3, 12))
    with unit_of_work(db) as uow:
        result = submit_form(uow, Submission("pendataan", 1, {"1.1": "Budi Santoso"}, world.pendata, DESA_A1, child=budi))
    assert result.conflict_id is not None and result.child_id != siti and result.child_created
    return siti, result.conflict_id


def state(db: Database) -> tuple[object, ...]:
    with db.read() as session:
        conflicts = tuple(session.execute(select(IdentityConflict.status, IdentityConflict.held_child_id)).all())
        children = tuple(session.execute(select(Child.id, Child.name, Child.nik_hash).order_by(Child.id)).all())
        responses = tuple(session.execute(select(Response.id, Response.child_id).order_by(Response.id)).all())
        return conflicts, children, responses


def audit_actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditLog.action).where(AuditLog.action.like("identity.%")).order_by(AuditLog.id)))


def test_chat_submission_clash_is_kept_apart(db: Database, seed: Seed, world: People) -> None:
    siti, _ = clash(db, seed, world)
    with db.read() as session:
        assert session.scalars(select(Response.child_id)).all() != [siti]  # the form is not Siti's
        held = session.scalars(select(Child).where(Child.name == "Budi Santoso")).one()
        assert held.nik_hash is None and held.sex is Sex.L
        assert session.scalar(select(func.count()).select_from(Case).where(Case.child_id == held.id)) == 1


def test_team_merges_from_chat(db: Database, seed: Seed, world: People) -> None:
    siti, _ = clash(db, seed, world)
    team = Chat(db, 2002, "Tim Kecamatan")  # the kecamatan team of Kandangserang
    listing = team.command("konflik")
    [message] = listing.replies
    assert "Siti Aminah" in message.text and "Budi Santoso" in message.text and "3326********0001" in message.text
    assert NIK_SITI not in message.text
    merge = message.buttons[0][0]
    assert merge.data is not None
    done = team.press(merge.data)
    assert done.outcome == "conflict:merge"
    with db.read() as session:
        assert session.scalar(select(IdentityConflict.status)) == "merged"
        assert set(session.scalars(select(Response.child_id))) == {siti}
        assert [c.duplicate_of is not None for c in session.scalars(select(Case).order_by(Case.id))] == [False, True]
        assert session.scalar(select(func.count()).select_from(Child)) == 1
    assert audit_actions(db) == ["identity.conflict", "identity.merge"]
    assert team.press(merge.data).outcome == "stale-notice-button"  # a button works once


def test_other_roles_and_areas_cannot_decide(db: Database, seed: Seed, world: People) -> None:
    _, conflict_id = clash(db, seed, world)
    before = state(db)
    assert Chat(db, 2004, "Pak Pendata").command("konflik").outcome == "denied:conflicts"
    from cases import conflicts as C

    with unit_of_work(db) as uow, pytest.raises(C.ConflictError):  # the refusal is kept when the work commits
        C.decide(uow, conflict_id, "merge", world.pendamping)
    assert state(db) == before
    assert "identity.denied" in audit_actions(db)


def test_fix_nik_from_chat_refuses_bad_input(db: Database, seed: Seed, world: People) -> None:
    _, conflict_id = clash(db, seed, world)
    team = Chat(db, 2002, "Tim Kecamatan")
    before = state(db)
    for bad in ("3.32601E+15", "12345", NIK_SITI):
        result = team.command("konflik", f"{conflict_id} {bad}")
        assert result.outcome == "conflict-refused" and result.replies[0].text.startswith("✗")
        assert state(db) == before
    assert team.command("konflik", f"{conflict_id} {NIK_OTHER}").outcome == "conflict:fix_nik"
    with db.read() as session:
        held = session.scalars(select(Child).where(Child.name == "Budi Santoso")).one()
        assert held.nik_hash == db.cipher.nik_hash(NIK_OTHER)
    assert audit_actions(db)[-1] == "identity.fix_nik"


def test_cli_lists_side_by_side_and_keeps_apart(db: Database, seed: Seed, world: People, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, conflict_id = clash(db, seed, world)
    monkeypatch.setattr(conflicts_cli, "_database", lambda: db)
    assert main(["cases", "conflicts"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "NAMA" in line)
    assert "Siti Aminah" in line and "Budi Santoso" in line and line.startswith("≠")
    assert NIK_SITI not in out
    assert main(["cases", "conflicts", "show", "999"]) == 1
    assert main(["cases", "conflicts", "apart", str(conflict_id)]) == 0
    assert main(["cases", "conflicts", "merge", str(conflict_id)]) == 1  # decided already
    with db.read() as session:
        assert session.scalar(select(IdentityConflict.status)) == "kept_apart"
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "identity.apart")).one()
        assert entry.detail["os_user"] and entry.detail["host"] and entry.detail["via"] == "cli"
        assert session.scalar(select(func.count()).select_from(Child)) == 2

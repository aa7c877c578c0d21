"""``ats-bot schools import`` and ``ats-bot cases show|history`` as an operator runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import main
from cases import service
from core.settings import get_settings
from storage.db import Database
from storage.models import AuditLog
from tests.cases.conftest import DESA, People
from tests.storage.conftest import TEST_KEY
from tests.uow import committed

SAMPLE = Path(__file__).resolve().parents[2] / "cases" / "data" / "sekolah-contoh.csv"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("DATA_KEY", TEST_KEY)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(_cli: None, *argv: str) -> int:
    return main(list(argv))


def test_schools_import(cli: None, db: Database, regions: None, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "sekolah.csv"
    bad.write_text("NPSN,NAMA,JENJANG,STATUS,ALAMAT,KODE_WILAYAH\n123,SD,SD,negeri,,33.26.01\n99260101,SD,TK,negeri,,33.26.01\n")
    assert run(cli, "schools", "import", str(bad)) == 1
    assert capsys.readouterr().out.splitlines() == [
        'Row 2: NPSN "123" must be 8 digits, or P and 7 digits for a PKBM.',
        'Row 3: JENJANG "TK" is not one of SD, MI, SMP, MTs, SMA, SMK, MA, SLB, PKBM.',
        "Nothing was imported: the file has 2 errors.",
    ]
    good = tmp_path / "baik.csv"
    good.write_text("NPSN,NAMA,JENJANG,STATUS,ALAMAT,KODE_WILAYAH\n99260101,SD Negeri 1 Kandangserang,SD,negeri,,33.26.01\n")
    assert run(cli, "schools", "import", str(good), "--scope", "33.26", "--lang", "id") == 0
    assert capsys.readouterr().out.strip() == "Sekolah ditambahkan: 1; diperbarui: 0."
    assert SAMPLE.is_file()


def test_cases_show_and_history(cli: None, db: Database, people: People,
                                capsys: pytest.CaptureFixture[str]) -> None:
    proposal = committed(db, service.propose, people.proposer, "Ahmad Fauzi", 14, DESA, "Membantu di sawah")
    committed(db, service.take_proposal, proposal.case_id, people.volunteer)
    committed(db, service.verify, proposal.case_id, people.volunteer, False, "Sudah sekolah di MTs")
    assert run(cli, "cases", "show", proposal.reference.lower()) == 0
    shown = capsys.readouterr().out
    assert f"Ahmad Fauzi · {proposal.reference}" in shown and "Status: not valid" in shown and "> Membantu di sawah" in shown
    with db.read() as session:  # the read is audited, with the operating-system user and host as the actor
        [read] = session.scalars(select(AuditLog).where(AuditLog.action == "child.read")).all()
    assert read.detail["via"] == "cli" and read.detail["os_user"] and read.detail["host"] and read.actor_id is None
    assert run(cli, "cases", "history", proposal.reference, "--lang", "id") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("→ diusulkan  Bu Darmi (tetangga)") and " WIB " in lines[0]
    assert "diusulkan → tercatat" in lines[1] and "Siti (pendata)" in lines[1]
    assert lines[2].endswith("tercatat → tidak valid  Nyatakan tidak valid  Siti (pendata)  Sudah sekolah di MTs")
    assert run(cli, "cases", "show", "ATS-3326-999999") == 1
    assert capsys.readouterr().out.strip() == "There is no case ATS-3326-999999."

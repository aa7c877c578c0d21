"""``ats-bot report | export | import | reconcile | recap-summary`` (registered by app.reports_cli)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app import reports_cli
from app.cli import main
from storage.db import Database
from tests.reports.conftest import DESA_A1, KABUPATEN, People, Seed
from tests.reports.test_imports import GOOD, xlsx


def run(argv: list[str]) -> int:
    return main(argv)


@pytest.fixture(autouse=True)
def use_test_database(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports_cli, "_database", lambda: db)


def test_import_export_report(world: People, seed: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "do-2026.xlsx"
    source.write_bytes(xlsx(GOOD))
    assert run(["import", str(source), "--region", KABUPATEN, "--dry-run", "--lang", "en"]) == 0
    assert "Nothing was saved" in capsys.readouterr().out
    assert run(["import", str(source), "--region", KABUPATEN, "--lang", "en"]) == 0
    out = capsys.readouterr()
    assert "Imported 5 rows: 4 new children, 1 merged" in out.out
    assert "saving" in out.err and "menyimpan" not in out.err  # the progress bar speaks --lang
    assert run(["import", str(source), "--region", KABUPATEN, "--dry-run"]) == 0
    assert "memeriksa" in capsys.readouterr().err

    target = tmp_path / "ats.xlsx"
    assert run(["export", KABUPATEN, "--format", "xlsx", "--out", str(target)]) == 0
    book = load_workbook(io.BytesIO(target.read_bytes()), read_only=True)
    assert book.sheetnames[0] == "Format Pendataan ATS"
    assert run(["export", "nasional", "--format", "csv", "--instrument", "all", "--out", str(tmp_path / "f.zip")]) == 0
    assert run(["export", KABUPATEN, "--format", "csv", "--instrument", "nope", "--out", str(tmp_path / "g.zip")]) == 2

    chart = tmp_path / "rekap.png"
    assert run(["report", KABUPATEN, "--lang", "en", "--today", "2026-11-23", "--chart", str(chart)]) == 0
    assert "Children: 4 (boys 2, girls 2)" in capsys.readouterr().out
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_rejected_import_exits_1(world: People, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("NAMA LENGKAP,DESA,TANGGAL LAHIR\nAni,Atlantis,01/01/2013\n", encoding="utf-8")
    assert run(["import", str(source), "--region", KABUPATEN, "--lang", "en"]) == 1
    assert 'row 2, DESA: no desa "Atlantis" in Pekalongan' in capsys.readouterr().out


def test_reconcile(seed: Seed, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed.case("Budi", DESA_A1, nisn="0098765432", born=dt.date(2012, 1, 1))
    source = tmp_path / "emis.csv"
    source.write_text("Nama;NISN;Nama Sekolah;Kelas\nBudi;0098765432;MI Klesem;4\n", encoding="utf-8")
    assert run(["reconcile", str(source), "--region", KABUPATEN, "--lang", "en"]) == 0
    assert "Budi (SEED-000001) is enrolled at MI Klesem, class 4 (by NISN)" in capsys.readouterr().out
    source.write_text("x;y\n1;2\n", encoding="utf-8")
    assert run(["reconcile", str(source), "--region", KABUPATEN]) == 2


def test_unknown_regions_missing_folders_and_damaged_files_get_a_clear_answer(
    world: People, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "not" / "yet" / "ats.xlsx"
    assert run(["export", KABUPATEN, "--format", "xlsx", "--out", str(target)]) == 0
    assert load_workbook(io.BytesIO(target.read_bytes()), read_only=True).sheetnames[0] == "Format Pendataan ATS"
    capsys.readouterr()

    nowhere = tmp_path / "nowhere.xlsx"
    assert run(["export", "99.99", "--format", "xlsx", "--out", str(nowhere), "--lang", "en"]) == 2
    assert "Region 99.99 is not loaded" in capsys.readouterr().err and not nowhere.exists()
    assert run(["report", "33.99", "--lang", "en"]) == 2
    assert "Region 33.99 is not loaded" in capsys.readouterr().err

    fake = tmp_path / "dapodik.xlsx"
    fake.write_text("NISN;NAMA\n0098765432;Budi\n", encoding="utf-8")  # a CSV someone renamed
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    assert run(["reconcile", str(fake), "--region", KABUPATEN, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "Cannot read" in err and "Traceback" not in err


def test_recap_summary_checks_then_repairs(db: Database, seed: Seed, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import update

    from storage.models import Case

    _, case_id = seed.case("Ayu", DESA_A1, status="recorded")
    assert run(["recap-summary", "--check", "--lang", "en"]) == 0
    assert "1 cases counted; 0 counters differ" in capsys.readouterr().out
    with db.write() as session:  # a repair made with plain SQL leaves the summary behind
        session.execute(update(Case).where(Case.id == case_id).values(status="aged_out"))
    assert run(["recap-summary", "--check", "--lang", "en"]) == 1
    assert "nothing changed" in capsys.readouterr().out
    assert run(["recap-summary"]) == 0
    assert "sudah diperbaiki" in capsys.readouterr().out
    assert run(["recap-summary", "--check"]) == 0

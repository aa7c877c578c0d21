"""``ats-bot db ...`` and ``ats-bot regions ...`` as an operator would run them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from core.settings import get_settings
from storage.schema_state import current_revision, head_revision


@pytest.fixture
def cli(fresh_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", fresh_url)
    monkeypatch.setenv("KEY_FILE", str(tmp_path / "keys" / "ats-bot.key"))
    monkeypatch.delenv("DATA_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(_cli: None, *argv: str) -> int:
    return main(list(argv))


def test_db_commands(
    cli: None, fresh_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(cli, "db", "current") == 1
    assert "Run: ats-bot db upgrade" in capsys.readouterr().out
    assert run(cli, "db", "upgrade") == 0
    assert current_revision(fresh_url) == head_revision()
    assert run(cli, "db", "current") == 0
    assert "up to date" in capsys.readouterr().out

    assert run(cli, "regions", "load", "33.26") == 0
    assert "305 new region(s)" in capsys.readouterr().out
    backup_file = tmp_path / "ats.backup"
    assert run(cli, "db", "backup", str(backup_file)) == 0
    assert backup_file.is_file()
    assert run(cli, "db", "restore", str(backup_file)) == 1
    assert "--yes" in capsys.readouterr().out
    assert run(cli, "db", "restore", str(backup_file), "--yes") == 0
    assert "schema is up to date" in capsys.readouterr().out
    assert run(cli, "regions", "load", "33.26") == 0
    assert "0 new region(s)" in capsys.readouterr().out


def test_regions_commands_report_errors(
    cli: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cli, "db", "upgrade")
    assert run(cli, "regions", "load", "99.99") == 1
    assert "not a kabupaten/kota" in capsys.readouterr().out
    csv = tmp_path / "regions.csv"
    csv.write_text("code,name,level,parent_code,timezone\n33.26,Kabupaten Pekalongan,kabupaten,,\n")
    assert run(cli, "regions", "import-csv", str(csv)) == 0
    assert "1 new region(s)" in capsys.readouterr().out


def test_requires_a_subcommand(cli: None) -> None:
    with pytest.raises(SystemExit):
        main(["db"])

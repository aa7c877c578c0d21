"""The district IT officer's command line on a real database: what each command says when things are not as
expected (a new file, a backup from a newer version, a region that is not loaded, Telegram out of reach)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from app import telegram_check
from app.cli import main
from core.settings import get_settings
from storage.models import Invitation
from storage.schema_state import current_revision, head_revision
from tests.storage.conftest import TEST_KEY

UNREACHABLE = "http://127.0.0.1:9/bot"  # the discard port: nothing listens


@pytest.fixture
def operator(fresh_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", fresh_url)
    monkeypatch.setenv("DATA_KEY", TEST_KEY)
    monkeypatch.setenv("BOT_TOKEN", "")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield fresh_url
    get_settings.cache_clear()


def _with_region(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["db", "upgrade"]) == 0
    regions = tmp_path / "regions.csv"
    regions.write_text("code,name,level,parent_code,timezone\n33.26,Kabupaten Pekalongan,kabupaten,,\n")
    assert main(["regions", "import-csv", str(regions)]) == 0
    capsys.readouterr()


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_upgrade_says_what_it_did(operator: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert f"Created the database schema ({head_revision()})" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "up to date; nothing to do" in capsys.readouterr().out


def test_restore_asks_for_yes_and_refuses_a_backup_from_a_newer_version(
    operator: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    newer = tmp_path / "newer.backup"
    _stamp(operator, "9999_from_the_future")
    assert main(["db", "backup", str(newer)]) == 0
    assert main(["db", "upgrade"]) == 1  # a database a newer version migrated: a message, not a crash
    assert "does not know" in capsys.readouterr().out
    _stamp(operator, head_revision())
    capsys.readouterr()

    assert main(["db", "restore", str(newer)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Nothing restored") and "--yes" in out and "failed" not in out
    assert main(["db", "restore", str(newer), "--yes"]) == 1
    assert "written by a newer version" in capsys.readouterr().out
    assert current_revision(operator) == head_revision()  # nothing was replaced


def test_requests_list_says_when_there_are_none(operator: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["requests", "list"]) == 0
    assert capsys.readouterr().out.strip() == "No open requests."


def test_invite_refuses_a_region_that_is_not_loaded(operator: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _with_region(capsys, tmp_path)
    assert main(["invite", "--role", "pendata", "--region", "99.99"]) == 2
    err = capsys.readouterr().err
    assert "region 99.99 is not loaded" in err and "Traceback" not in err


def _invitations(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(Invitation)).scalar_one()
    engine.dispose()
    return int(count)


def test_invite_stores_nothing_when_telegram_is_out_of_reach(
    operator: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_region(capsys, tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_API_BASE_URL", UNREACHABLE)
    get_settings.cache_clear()
    assert main(["invite", "--role", "pendata", "--region", "33.26"]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach Telegram at {UNREACHABLE}" in err and "No invitation was created" in err
    assert "123:abc" not in err
    assert _invitations(operator) == 0


def test_invite_writes_the_qr_code_under_data_or_where_asked(
    operator: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_region(capsys, tmp_path)
    assert main(["invite", "--role", "pendata", "--region", "33.26"]) == 0
    qr = tmp_path / "data" / "invitations" / "invite-pendata-33.26.png"
    assert qr.read_bytes().startswith(b"\x89PNG") and stat.S_IMODE(qr.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.png"))
    asked = tmp_path / "qr" / "for-budi.png"
    assert main(["invite", "--role", "pendata", "--region", "33.26", "--qr", str(asked)]) == 0
    assert asked.is_file()
    assert _invitations(operator) == 2


def test_run_says_telegram_is_out_of_reach_and_retries_with_backoff(
    operator: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_API_BASE_URL", UNREACHABLE)
    get_settings.cache_clear()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 4:
            raise KeyboardInterrupt  # the operator gives up

    monkeypatch.setattr(telegram_check.time, "sleep", sleep)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert waits == [1, 2, 4, 8]
    assert err.count(f"cannot reach Telegram at {UNREACHABLE}…") == 4 and "retrying in 8 s" in err
    assert "Traceback" not in err and "123:abc" not in err

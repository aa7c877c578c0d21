"""Data keys as an operator meets them: created 0600 on first start, weak keys refused in production, a wrong or
missing key or damaged ciphertext named in one line (database unchanged), rotation while the bot writes."""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.cli import main
from core.settings import Environment, Settings, get_settings
from storage.crypto import RELOAD_SECONDS, Keyring, MissingDataKeyError, WeakDataKeyError, key_id, token_key_id
from storage.db import Database, sqlite_path
from storage.keyring_check import register_current_key
from storage.keys import key_source, keyring_from_settings, new_secret, read_key_file, write_key_file
from storage.models import AuditLog, Case, Child, DataKey, InstrumentSession, Response, Sex
from storage.repositories.children import ChildIdentity
from storage.repositories.drafts import create_draft, save_state
from storage.repositories.files import keep_file, read_kept_file
from storage.repositories.responses import Submission, submit_response
from storage.rotation import rotate
from storage.schema_state import upgrade
from tests.storage.conftest import DESA

STRONG = "Zq8vL2mX9pR4tY7wB1nC5kD3fG6hJ0sA-strong"
NIK = "3326014501120003"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An installation in a fresh directory: SQLite under data/, no DATA_KEY, the key file's default place."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATA_KEY", "KEY_FILE", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'ats-bot.db'}")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str, **env: str) -> int:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return main(list(argv))
    finally:
        for name in env:
            monkeypatch.delenv(name)
        get_settings.cache_clear()


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_first_start_creates_a_private_key_file_once(operator: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(monkeypatch, "db", "upgrade") == 0
    out = capsys.readouterr().out
    key_file = operator / "data" / "ats-bot.key"
    secrets = read_key_file(key_file)
    assert len(secrets) == 1 and len(secrets[0]) >= 43
    assert mode(key_file) == 0o600 and mode(key_file.parent) == 0o700
    assert mode(operator / "data" / "ats-bot.db") == 0o600
    assert f"A new data key {key_id(secrets[0])} was written to {key_file}" in out and "Back it up" in out
    assert secrets[0] not in out  # shown by its id, never printed
    assert cli(monkeypatch, "db", "upgrade") == 0
    again = capsys.readouterr().out
    assert "A new data key" not in again and key_id(secrets[0]) in again
    assert read_key_file(key_file) == secrets


def test_no_built_in_key(tmp_path: Path) -> None:
    settings = Settings(data_key="", key_file=tmp_path / "missing.key", _env_file=None)
    with pytest.raises(MissingDataKeyError, match="ats-bot db upgrade"):
        key_source(settings)
    assert not (tmp_path / "missing.key").exists()


@pytest.mark.parametrize("weak", ["a", "k" * 32, "0123456789" * 3, "abcabcabcabcabcabcabcabcabcabcabcabc"])
def test_production_refuses_a_weak_key(weak: str, tmp_path: Path) -> None:
    production = Settings(environment=Environment.PRODUCTION, data_key=weak, _env_file=None)
    with pytest.raises(WeakDataKeyError, match="too weak for production"):
        key_source(production)
    assert key_source(production.model_copy(update={"environment": Environment.DEVELOPMENT})).secrets == [weak]
    write_key_file(tmp_path / "weak.key", [weak])
    with pytest.raises(WeakDataKeyError):
        key_source(production.model_copy(update={"data_key": "", "key_file": tmp_path / "weak.key"}))
    assert key_source(production.model_copy(update={"data_key": new_secret()})).origin == "DATA_KEY"


def test_production_refusal_is_one_line(operator: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(monkeypatch, "db", "upgrade", ENVIRONMENT="production", DATA_KEY="a") == 2
    assert "too weak for production" in one_line(capsys.readouterr().err)
    assert not (operator / "data" / "ats-bot.db").exists()


def _installation_with_a_child(operator: Path, monkeypatch: pytest.MonkeyPatch, pendata_region: str = DESA) -> tuple[Database, str]:
    """``db upgrade`` (key created), regions loaded, one child with a NIK and a case; returns (db, case reference)."""
    assert cli(monkeypatch, "db", "upgrade") == 0
    assert cli(monkeypatch, "regions", "load", "33.26") == 0
    settings = Settings(_env_file=None, database_url=f"sqlite:///{operator / 'data' / 'ats-bot.db'}", key_file=operator / "data" / "ats-bot.key")
    db = Database.from_url(settings.database_url, keyring_from_settings(settings))
    from storage.repositories.people import get_or_create_person

    person = get_or_create_person(db, 5001, chat_id=5001, display_name="Siti").id
    from cases.opening import submit_form
    from storage.uow import unit_of_work

    with unit_of_work(db) as uow:
        submit_form(uow, Submission(
            "pendataan", 1, {"1.1": "Ayu", "1.2.nik": NIK}, person, pendata_region,
            child=ChildIdentity("Ayu", pendata_region, nik=NIK, sex=Sex.P, birth_date=date(2012, 1, 5)),
        ))
    with db.read() as session:
        reference = session.scalars(select(Case.reference)).one()
    return db, reference


def _snapshot(db: Database) -> tuple[int, int, bytes | None]:
    with db.engine.connect() as connection:
        audit = connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        responses = connection.execute(text("SELECT count(*) FROM responses")).scalar_one()
        token = connection.execute(text("SELECT nik_encrypted FROM children")).scalar_one()
    return audit, responses, token


def test_wrong_or_missing_key_is_one_clear_line(operator: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    db, reference = _installation_with_a_child(operator, monkeypatch)
    capsys.readouterr()
    before = _snapshot(db)
    assert cli(monkeypatch, "cases", "show", reference) == 0
    assert "3326" in capsys.readouterr().out  # the right key reads it (masked)
    before = _snapshot(db)

    assert cli(monkeypatch, "cases", "show", reference, DATA_KEY=new_secret()) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("ats-bot: Wrong data key: this database was encrypted with key ") and "restore the key file" in line
    assert _snapshot(db) == before

    (operator / "data" / "ats-bot.key").rename(operator / "elsewhere.key")
    assert cli(monkeypatch, "cases", "show", reference) == 2
    assert "No data key" in one_line(capsys.readouterr().err)
    assert cli(monkeypatch, "keys", "status") == 2
    assert "restore the key file from your backup" in one_line(capsys.readouterr().err)
    assert not (operator / "data" / "ats-bot.key").exists() and _snapshot(db) == before
    db.dispose()


def test_damaged_ciphertext_is_one_clear_line(operator: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db, reference = _installation_with_a_child(operator, monkeypatch)
    with db.engine.begin() as connection:
        token = bytearray(connection.execute(text("SELECT nik_encrypted FROM children")).scalar_one())
        token[-1] ^= 1
        connection.execute(text("UPDATE children SET nik_encrypted = :t"), {"t": bytes(token)})
    capsys.readouterr()
    before = _snapshot(db)
    assert cli(monkeypatch, "cases", "show", reference) == 2
    line = one_line(capsys.readouterr().err)
    assert "Encrypted data cannot be read with key" in line and "damaged" in line
    assert _snapshot(db) == before
    db.dispose()


def test_backup_warns_about_the_key_and_can_write_it_apart(operator: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = _installation_with_a_child(operator, monkeypatch)
    db.dispose()
    capsys.readouterr()
    kid = key_id(read_key_file(operator / "data" / "ats-bot.key")[0])
    assert cli(monkeypatch, "db", "backup", "backups/ats.backup") == 0
    out = capsys.readouterr().out
    assert f"encrypted with data key {kid}" in out and "unreadable without that key" in out
    assert mode(operator / "backups" / "ats.backup") == 0o600
    assert cli(monkeypatch, "db", "backup", "backups/b2.backup", "--key-file", "keys/ats.key") == 0
    assert f"Data key {kid} written to keys/ats.key" in capsys.readouterr().out
    assert mode(operator / "keys" / "ats.key") == 0o600 and mode(operator / "keys") == 0o700
    assert read_key_file(operator / "keys" / "ats.key") == read_key_file(operator / "data" / "ats-bot.key")
    assert cli(monkeypatch, "db", "backup", "same.backup", "--key-file", "same.backup") == 1
    assert not (operator / "same.backup").exists()

    # Restoring is audited with the OS user and host; a backup under another key is named at once.
    assert cli(monkeypatch, "db", "restore", "backups/ats.backup", "--yes") == 0
    check = Database.from_url(f"sqlite:///{operator / 'data' / 'ats-bot.db'}")
    with check.read() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "db.restore")).one()
    check.dispose()
    assert entry.detail["file"] == "backups/ats.backup" and entry.detail["os_user"] and entry.detail["host"]
    capsys.readouterr()
    assert cli(monkeypatch, "db", "restore", "backups/ats.backup", "--yes", DATA_KEY=new_secret()) == 2
    assert "Wrong data key" in capsys.readouterr().err


def test_keys_rotate_from_the_command_line(operator: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = _installation_with_a_child(operator, monkeypatch)
    photo = keep_file(db, operator / "data" / "files", b"\xff\xd8\xff photo of a child", telegram_file_id="f", telegram_unique_id="u")
    assert b"photo of a child" not in Path(photo.path).read_bytes() and mode(Path(photo.path)) == 0o600
    old = read_key_file(operator / "data" / "ats-bot.key")
    capsys.readouterr()
    assert cli(monkeypatch, "keys", "rotate", "--batch", "1") == 0
    out = capsys.readouterr().out
    keys = read_key_file(operator / "data" / "ats-bot.key")
    assert len(keys) == 2 and keys[1:] == old and mode(operator / "data" / "ats-bot.key") == 0o600
    assert f"New data key {key_id(keys[0])}" in out and f"Retired key(s) {key_id(old[0])}" in out
    only_new = Database.from_url(str(db.engine.url), Keyring(keys[0]))
    with only_new.read() as session:
        child = session.scalars(select(Child)).one()
        assert child.nik_encrypted is not None and only_new.cipher.decrypt_nik(child.nik_encrypted) == NIK and child.nik_hash == only_new.cipher.nik_hash(NIK)
        assert session.scalars(select(Response)).one().answers["1.2.nik"] == NIK
        assert read_kept_file(only_new, photo) == b"\xff\xd8\xff photo of a child"
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "keys.rotate")).one()
        assert entry.detail["retired"] == [key_id(old[0])] and entry.detail["os_user"]
    only_new.dispose()
    db.dispose()


def test_rotation_while_the_bot_writes_loses_nothing(db: Database, db_url: str, pendata: int, tmp_path: Path) -> None:
    """Writers keep saving drafts and submitting forms (their key ring follows the key file, as the bot's does)
    while the key file gains a new key and everything is re-encrypted in batches; afterwards the new key alone
    reads every row, each draft holds its last save and no submission is missing."""
    key_file = tmp_path / "ats-bot.key"
    first = new_secret()
    write_key_file(key_file, [first])
    settings = Settings(_env_file=None, database_url=db_url, key_file=key_file, data_key="")
    bot = Database.from_url(db_url, keyring_from_settings(settings))
    register_current_key(bot)
    stop = threading.Event()
    last_saved: dict[int, int] = {}
    submitted: list[str] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            draft = create_draft(bot, pendata, "pendataan", 1, state={"answers": {}}).id
            version, step = 1, 0
            while not stop.is_set() or step < 5:
                step += 1
                version = save_state(bot, draft, {"answers": {"1.2.nik": f"33260145011{n:02d}{step:03d}", "step": step}}, version)
                last_saved[draft] = step
                if step % 4 == 0:
                    nik = f"3326014501{n:02d}{step:04d}"
                    submit_response(bot, Submission("pendataan", 1, {"1.1": f"Anak {n}-{step}", "1.2.nik": nik}, pendata, DESA,
                                                    child=ChildIdentity(f"Anak {n}-{step}", DESA, nik=nik)))
                    submitted.append(nik)
        except Exception as exc:  # noqa: BLE001  (reported by the test below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    second = new_secret()
    write_key_file(key_file, [second, first])  # what `ats-bot keys rotate` does first
    time.sleep(2 * RELOAD_SECONDS + 0.5)
    rotator = Database.from_url(db_url, keyring_from_settings(settings))
    register_current_key(rotator)
    report = rotate(rotator, batch=7)
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert report.rows_rewritten > 0 and report.retired == [key_id(first)]

    alone = Database.from_url(db_url, Keyring(second))
    with alone.read() as session:
        drafts = {d.id: d.state for d in session.scalars(select(InstrumentSession))}
        assert {d: state["answers"]["step"] for d, state in drafts.items()} == last_saved
        answers = [r.answers["1.2.nik"] for r in session.scalars(select(Response))]
        assert sorted(answers) == sorted(submitted) and len(submitted) >= 3
        children = list(session.scalars(select(Child)))
        tokens = [c.nik_encrypted for c in children if c.nik_encrypted is not None]
        assert len(tokens) == len(children)
        assert sorted(alone.cipher.decrypt_nik(t) for t in tokens) == sorted(submitted)
        assert all(token_key_id(t) == key_id(second) for t in tokens)
        assert all(c.nik_hash == alone.cipher.nik_hash(alone.cipher.decrypt_nik(t)) for c, t in zip(children, tokens, strict=True))
        retired = session.scalars(select(DataKey).where(DataKey.key_id == key_id(first))).one()
        assert retired.retired_at is not None
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "keys.rotate")) == 1
    for database in (alone, rotator, bot):
        database.dispose()


def test_sqlite_database_file_is_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'ats.db'}"
    upgrade(url)
    path = sqlite_path(url)
    assert path is not None and mode(path) == 0o600 and mode(path.parent) == 0o700

"""End to end through the Bot API emulator with the real PTB ``Bot``: 429s, a blocked user, buttons, the job, the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botapi import BotApiEmulator
from sqlalchemy import select
from telegram import Bot
from telegram.ext import ApplicationBuilder

from app import reminders_cli
from reminders.actions import Snoozed, StartForm, handle_button
from reminders.job import JOB_NAME, Runner, install
from reminders.settings import ReminderSettings
from storage.db import Database
from storage.models import AuditLog, Person, Reminder, Role
from tests.reminders.factory import DESA, MAKASSAR_DESA, World, at

ROOT = Path(__file__).resolve().parents[2]
S = ReminderSettings(_env_file=None, lookahead_minutes=0)


@pytest.fixture
def emu() -> Iterator[BotApiEmulator]:
    emulator = BotApiEmulator().start()
    yield emulator
    emulator.stop()


def bot_for(emu: BotApiEmulator) -> Bot:
    return Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)


async def test_real_bot_429_and_a_blocked_user(emu: BotApiEmulator, world: World, db: Database) -> None:
    siti_user, kades_user, rina_user = emu.user(1001, "Siti"), emu.user(1002, "Kades"), emu.user(1003, "Rina")
    kades = world.person("Pak Kades", Role.TIM_DESA, DESA, telegram_id=kades_user.id)
    siti = world.person("Siti Aminah", Role.PENDAMPING, DESA, telegram_id=siti_user.id)
    rina = world.person("Rina", Role.PENDAMPING, DESA, telegram_id=rina_user.id, language="jv")
    ayu = world.case("Ayu Lestari", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    world.case("Budi", "monitored", at(2026, 2, 16, 10), pendamping=siti)
    world.case("Citra", "willing", at(2026, 1, 15, 11), pendamping=rina)
    emu.fail_next("sendMessage", 429, retry_after=1)
    emu.block(rina_user.id)
    started = time.monotonic()
    async with bot_for(emu) as bot:
        _, report = await Runner(db, S, "e2e").run_once(bot, at(2026, 3, 16, 9))
    assert time.monotonic() - started >= 1.0  # waited retry_after
    assert (report.sent, report.retried_429, report.blocked) == (3, 1, [rina])  # Siti ×2, the notice to Kades
    ok = [c for c in emu.calls("sendMessage") if c.error_code is None]
    by_chat = {chat: [c for c in ok if int(c.params["chat_id"]) == chat] for chat in (1001, 1002, 1003)}
    assert len(by_chat[1001]) == 2 and by_chat[1003] == []
    (notice,) = by_chat[1002]
    assert "Rina" in notice.params["text"] and "reply_markup" not in notice.params
    assert [c.error_code for c in emu.calls("sendMessage") if c.error_code] == [429, 403]
    with db.read() as session:
        assert session.get(Person, rina).unreachable  # type: ignore[union-attr]
    # The reminder as Siti sees it, and its buttons.
    visit = next(c for c in by_chat[1001] if "Ayu Lestari" in c.params["text"])
    assert "Klesem" in visit.params["text"]
    buttons = [b for row in visit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["📝 Isi catatan pendampingan", "⏰ Ingatkan nanti", "🔁 Minta pendamping lain"]
    fill, snooze, _ = (b["callback_data"] for b in buttons)
    assert handle_button(db, siti, fill, at(2026, 3, 16, 9, 30), settings=S) == StartForm("pendampingan", ayu)
    assert handle_button(db, kades, fill, at(2026, 3, 16, 9, 30), settings=S).__class__.__name__ == "Invalid"
    assert isinstance(handle_button(db, siti, snooze, at(2026, 3, 16, 9, 31), settings=S), Snoozed)
    # Nothing is sent twice, whatever runs next.
    async with bot_for(emu) as bot:
        _, again = await Runner(db, S, "e2e-2").run_once(bot, at(2026, 3, 16, 10))
    assert (again.sent, dict(again.by_kind)) == (1, {"escalation": 1})  # Rina's child now goes to the village team, once
    assert len([c for c in emu.calls("sendMessage") if c.error_code is None and int(c.params["chat_id"]) == 1001]) == 2


async def test_the_job_runs_on_ptbs_job_queue(emu: BotApiEmulator, world: World, db: Database) -> None:
    user = emu.user(1001, "Siti")
    siti = world.person("Siti", Role.PENDAMPING, DESA, telegram_id=user.id)
    now = dt.datetime.now(dt.UTC)
    # A case whose visit became due today, whatever today is; the window and working days are off for this test.
    world.case("Ayu", "accompanied", now - dt.timedelta(days=75), pendamping=siti)
    settings = ReminderSettings(_env_file=None, working_days_only=False, window_start=dt.time(0, 0), window_end=dt.time(23, 59, 59),
                                sweep_seconds=0.3, first_sweep_seconds=0.1, materialise_seconds=3600, lookahead_minutes=0)
    application = ApplicationBuilder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    job = install(application, db, settings)
    assert job is not None and [j.name for j in application.job_queue.jobs()] == [JOB_NAME]  # type: ignore[union-attr]
    async with application:
        await application.start()
        try:
            for _ in range(100):
                if any(c.error_code is None for c in emu.calls("sendMessage")):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # a few more ticks: nothing more goes out
        finally:
            await application.stop()
    sends = [c for c in emu.calls("sendMessage") if c.error_code is None]
    assert len(sends) == 1 and "Ayu" in sends[0].params["text"]
    assert install(application, db, ReminderSettings(_env_file=None, enabled=False)) is None


async def test_cli_lists_what_is_due_and_sends_it(emu: BotApiEmulator, world: World, db: Database, db_url: str,
                                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    emu.user(1001, "Siti")
    emu.user(1004, "Dewi")
    siti = world.person("Siti Aminah", Role.PENDAMPING, DESA, telegram_id=1001)
    dewi = world.person("Dewi Lestari", Role.PENDAMPING, MAKASSAR_DESA, telegram_id=1004)
    world.case("Ayu Lestari", "accompanied", at(2026, 1, 15, 10), pendamping=siti)
    world.case("Budi", "back_in_school", at(2026, 2, 16, 10, tz="Asia/Makassar"), region=MAKASSAR_DESA, pendamping=dewi)
    rows = reminders_cli.due_rows(db, at(2026, 3, 17, 10))
    assert [(r["kind"], r["recipient"], r["role"], r["region"], r["due"], r["state"]) for r in rows] == [
        ("monitoring", "Dewi", "pendamping", "Bontorannu", "2026-03-16 08:00 WITA", "new"),
        ("visit", "Siti", "pendamping", "Klesem", "2026-03-16 08:00 WIB", "new"),
    ]
    table = reminders_cli._table(rows)
    assert "Ayu" not in table and "Lestari" not in table and "Aminah" not in table  # first names only, no children

    monkeypatch.setenv("BOT_TOKEN", emu.token)
    monkeypatch.setenv("BOT_API_BASE_URL", emu.base_url)
    monkeypatch.setenv("BOT_API_FILE_URL", emu.base_file_url)
    monkeypatch.setattr(reminders_cli, "_open", lambda: Database.from_url(db_url))
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        assert await asyncio.to_thread(reminders_cli.main, ["run-once", "--ignore-window"]) == 0
    finally:
        get_settings.cache_clear()
    assert "sent: 2" in capsys.readouterr().out
    assert sorted(int(c.params["chat_id"]) for c in emu.calls("sendMessage") if c.error_code is None) == [1001, 1004]
    assert reminders_cli.due_rows(db, dt.datetime.now(dt.UTC)) == []  # everything due now went out


def test_cli_as_an_operator_runs_it(emu: BotApiEmulator, tmp_path: Path) -> None:
    """``python -m app.reminders_cli`` in a fresh installation (database upgraded by ``ats-bot db upgrade``)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'ats.db'}", "DATA_KEY": "k" * 32, "ENVIRONMENT": "development",
           "BOT_TOKEN": emu.token, "BOT_API_BASE_URL": emu.base_url, "BOT_API_FILE_URL": emu.base_file_url, "PYTHONPATH": str(ROOT)}

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("app.cli", "db", "upgrade")
    assert run("app.reminders_cli", "due").strip() == "Nothing is due."
    assert "sent: 0" in run("app.reminders_cli", "run-once", "--ignore-window")
    with Database.from_url(env["DATABASE_URL"]).engine.connect() as connection:
        assert connection.execute(select(Reminder.id)).all() == []
        assert connection.execute(select(AuditLog.id)).all() == []

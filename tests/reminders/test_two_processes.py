"""Two bot processes sweep one database at the same time: every reminder reaches Telegram exactly once.

Both processes are real subprocesses with their own connections and a real PTB ``Bot`` talking to the Bot API
emulator, which counts what arrives. On PostgreSQL the claims use ``FOR UPDATE SKIP LOCKED``; on SQLite the
write lock of ``BEGIN IMMEDIATE`` serialises them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from botapi import BotApiEmulator
from sqlalchemy import select

from reminders.rules import Due
from reminders.schedule import insert_dues
from storage.db import Database
from storage.models import Reminder, Role
from tests.reminders.factory import DESA, World, at

ROOT = Path(__file__).resolve().parents[2]
CHATS, PER_CHAT = 30, 12


def test_two_processes_send_every_reminder_exactly_once(world: World, db: Database, db_url: str, tmp_path: Path) -> None:
    with BotApiEmulator() as emu:
        people = []
        for i in range(CHATS):
            user = emu.user(9000 + i, f"P{i}")
            people.append(world.person(f"P{i}", Role.PENDAMPING, DESA, telegram_id=user.id))
        case = world.case("Ayu", "accompanied", at(2026, 1, 1))
        due = at(2026, 11, 24, 8)
        with db.write() as session:
            insert_dues(session, [Due("visit", p, f"2026-11-{k:02d}", due, "Asia/Jakarta", case, DESA) for p in people for k in range(PER_CHAT)], due)
        with db.read() as session:
            tokens = {r.token: r.id for r in session.scalars(select(Reminder))}
        assert len(tokens) == CHATS * PER_CHAT

        start_at = time.time() + 3.0
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.reminders.sweeper", db_url, emu.base_url, emu.token, at(2026, 11, 24, 9).isoformat(),
                 str(start_at), name, str(tmp_path / f"{name}.json")],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            for name in ("bot-a", "bot-b")
        ]
        for proc in procs:
            output, _ = proc.communicate(timeout=180)
            assert proc.returncode == 0, output.decode(errors="replace")
        calls = [c for c in emu.calls("sendMessage") if c.error_code is None]

    # Every reminder reached Telegram exactly once.
    sent_tokens = Counter(
        button["callback_data"].split(".")[1]
        for call in calls
        for button in call.params["reply_markup"]["inline_keyboard"][0]
    )
    assert set(sent_tokens) == set(tokens)
    assert all(n == 1 for n in sent_tokens.values()), [t for t, n in sent_tokens.items() if n > 1]
    assert Counter(int(c.params["chat_id"]) for c in calls) == Counter({9000 + i: PER_CHAT for i in range(CHATS)})
    # Both processes worked, on disjoint rows; the database agrees with what Telegram received.
    reports = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in ("bot-a", "bot-b")}
    sent_by = {name: sum(r["sent"] for r in rs) for name, rs in reports.items()}
    assert sum(sent_by.values()) == CHATS * PER_CHAT and all(n > 0 for n in sent_by.values()), sent_by
    with db.read() as session:
        rows = list(session.scalars(select(Reminder)))
    assert {r.state.value for r in rows} == {"sent"} and all(r.attempts == 1 for r in rows)
    assert Counter(r.claimed_by for r in rows) == Counter(sent_by)

"""A bot installation for end-to-end tests: database, files and environment, prepared as an operator would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botapi import BotApiEmulator
from driver import Volunteer

from core.authz import ROLE_NAMES
from core.i18n import translator
from flows.engine import State
from flows.registry import engine
from storage.db import Database
from storage.models import Response

REPO = Path(__file__).resolve().parents[2]
PATHS = REPO / "tests" / "fixtures" / "paths"
DATA_KEY = "e2e-test-key-not-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fixture_answers(instrument: str, name: str) -> dict[str, Any]:
    return json.loads((PATHS / instrument / f"{name}.json").read_text(encoding="utf-8"))["answers"]


class Deployment:
    """One bot installation: its database, files and environment; it can start (and restart) the bot."""

    def __init__(self, tmp: Path, start_bot: Callable[..., Any], emulator: BotApiEmulator, db_url: str | None = None) -> None:
        self.db_url = db_url or f"sqlite:///{tmp / 'ats.db'}"
        """SQLite in ``tmp`` unless given (an empty PostgreSQL database, as a district's server has it)."""
        self.health_port = free_port()
        self.tmp = tmp
        self.env = {"DATABASE_URL": self.db_url, "DATA_KEY": DATA_KEY, "FILES_DIR": str(tmp / "files"),
                    "HEALTH_PORT": str(self.health_port), "ENVIRONMENT": "development", "BOT_TOKEN": emulator.token,
                    "BOT_API_BASE_URL": emulator.base_url, "BOT_API_FILE_URL": emulator.base_file_url}
        self._start_bot = start_bot
        self.cli("db", "upgrade")
        self.cli("regions", "load", "33.26")

    def cli(self, *args: str) -> str:
        """Run ``ats-bot ARGS`` as an operator would; returns what it printed."""
        done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=self.tmp, env={**os.environ, **self.env},
                              check=True, capture_output=True, text=True)
        return done.stdout

    def invitation(self, role: str, region: str, days: int = 7, school: str | None = None) -> str:
        extra = ("--school", school) if school else ()
        link = self.cli("invite", "--role", role, "--region", region, "--days", str(days), "--qr", str(self.tmp / "qr.png"), *extra).strip()
        assert link.startswith("https://t.me/ats_test_bot?start="), link
        return link.rsplit("=", 1)[1]

    def enrol(self, user: Any, role: str, region: str, school: str | None = None) -> None:
        """The volunteer opens the invitation link her coordinator shared."""
        user.send(f"/start {self.invitation(role, region, school=school)}")
        user.wait_text(translator(user.language_code or "id")(ROLE_NAMES[role]))

    def start(self, *args: str, ready: bool = True) -> Any:
        return self._start_bot("-m", "app.cli", *(args or ("run",)), env=self.env, ready=ready)

    def database(self) -> Database:
        from core.settings import Settings
        from storage.crypto import cipher_from_settings

        return Database.from_url(self.db_url, cipher_from_settings(Settings(data_key=DATA_KEY, environment="development")))

    def active_state(self, telegram_user_id: int) -> State:
        """The saved state of the draft a person is filling (a form started from a case is prefilled)."""
        from sqlalchemy import select

        from storage.models import InstrumentSession, Person

        db = self.database()
        with db.read() as session:
            draft_id = session.scalars(select(Person.active_draft_id).where(Person.telegram_user_id == telegram_user_id)).one()
            state = State.from_json(session.get(InstrumentSession, draft_id).state)  # type: ignore[union-attr]
        db.dispose()
        return state

    def responses(self) -> list[Response]:
        db = self.database()
        with db.read() as session:
            rows = list(session.query(Response).order_by(Response.id))
        db.dispose()
        return rows


def begin(emulator: BotApiEmulator, deployment: Deployment, instrument: str, *, user_id: int = 1001, language: str = "id",
          role: str = "pendamping", region: str = "33.26.08", enrolled: bool = False) -> Volunteer:
    """A volunteer of Kajen (33.26.08) opens her invitation, then starts a form."""
    user = emulator.user(user_id, "Siti", language_code=language)
    if not enrolled:
        deployment.enrol(user, role, region)
    user.send(f"/isi {instrument}")
    return Volunteer(user, engine(instrument), language)

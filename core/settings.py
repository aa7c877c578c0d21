"""Settings from the environment or ``.env``: one place that says what can be configured (see ``.env.example``)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from functools import cache
from pathlib import Path

from pydantic import Field

from core.env_settings import EnvSettings


class Environment(str, Enum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(EnvSettings):
    """Everything an operator may set; defaults run a development bot on SQLite."""

    environment: Environment = Environment.DEVELOPMENT
    bot_token: str = ""
    bot_api_base_url: str = "https://api.telegram.org/bot"
    """A self-hosted or test Bot API server: messages go to ``{base}{token}/{method}``."""
    bot_api_file_url: str = ""
    """File downloads; derived from ``bot_api_base_url`` (``.../bot`` → ``.../file/bot``) when empty."""
    database_url: str = "sqlite:///data/ats-bot.db"
    data_key: str = ""
    """Data key(s), comma-separated, the first encrypting; when empty, the keys are read from ``key_file``."""
    key_file: Path = Path("data/ats-bot.key")
    """Where the data keys live (created 0600 by ``ats-bot db upgrade`` on first start when ``data_key`` is empty)."""
    files_dir: Path = Path("data/files")
    default_language: str = "id"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    health_port: int = 8080
    log_level: str = "INFO"
    retention_days: int = Field(default=3650, description="Keep closed cases this long before deletion.")
    update_ids_hours: int = Field(default=48, ge=24)
    """How long handled Telegram update ids are kept (a redelivered update is recognised by its id; Telegram
    redelivers for 24 hours at most)."""
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_base_url: str = ""
    """The dashboard's address as people's browsers reach it (sign-in links); ``http://localhost:{port}`` when empty.
    An ``https://`` address marks the session cookie ``Secure``."""
    web_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    """Map tiles (a district's own tile server on an intranet); markers are drawn even when tiles cannot load."""
    web_tile_attribution: str = "© OpenStreetMap contributors"
    web_link_minutes: int = 10
    web_session_hours: int = 8
    simulated_date: dt.date | None = None
    """Run the product's clock as if today were this date (training, demonstrations): the dashboard, its sign-in
    links and ``ats-bot web`` (``--today`` overrides it) read :func:`core.clock.shifted_clock` of it."""

    def dashboard_url(self) -> str:
        return (self.web_base_url or f"http://localhost:{self.web_port}").rstrip("/")

    def file_url(self) -> str:
        """The base URL for file downloads of the configured Bot API server."""
        if self.bot_api_file_url:
            return self.bot_api_file_url
        base = self.bot_api_base_url.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

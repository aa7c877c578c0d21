"""The idle bot holds only what serving a chat needs: ``ats-bot run``, long polling, after its first reminder sweep
and early-warning pass, has imported none of the libraries that reports, documents, imports, migrations, regions
and the dashboard load on first use, nor the webhook server and httpx's command line, which long polling never
uses. A regression here costs every district's server megabytes of memory
(``benchmarks/bench_cli.py`` measures how many)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiEmulator
from deployment import Deployment

pytestmark = pytest.mark.e2e

PROBE = """
import atexit, json, os, sys
atexit.register(lambda: open(os.environ["MODULES_FILE"], "w").write(json.dumps([sys.flags.optimize, sorted(sys.modules)])))
from app.cli import main
sys.argv[1:] = ["run"]
sys.exit(main())
"""
"""``ats-bot run`` as the console script runs it (started again as ``python -OO``, which runs this again), writing
the modules it holds when it stops (SIGTERM)."""

LOADED_ON_FIRST_USE = {
    "matplotlib": "charts of /rekap",
    "numpy": "charts of /rekap",
    "PIL": "charts and QR images",
    "fpdf": "the Surat Pernyataan and report PDFs",
    "openpyxl": "spreadsheet exports and imports",
    "segno": "invitation QR codes",
    "alembic": "ats-bot db upgrade only (the start-up check reads the migration files)",
    "mako": "Alembic's templates",
    "lokal": "the first NIK, region load or working-day check",
    "starlette": "the dashboard (ats-bot web)",
    "uvicorn": "the dashboard (ats-bot web)",
    "jinja2": "the dashboard (ats-bot web)",
    "multipart": "the dashboard (ats-bot web)",
    "pyxform": "the XLSForm export",
    "tqdm": "progress bars of the command line",
    "pydantic_settings": "nothing: core.env_settings reads the settings",
    "tornado": "PTB's webhook server (ats-bot webhook): a polling bot keeps it out (app.bot_cli.keep_out)",
    "click": "httpx's command line (kept out) and the dashboard's uvicorn",
    "pygments": "httpx's command line (kept out)",
    "aiohttp": "nothing: the Bot API client (bot.api_client) is asyncio's streams",
    "yarl": "nothing (aiohttp's)",
    "multidict": "nothing (aiohttp's)",
    "babel.messages": "nothing: core.i18n reads the .po files itself",
}
PROJECT_ON_FIRST_USE = ("reports.export", "reports.imports", "reports.import_publish", "reports.chart", "reports.lampiran2",
                        "reports.xlsx_stream", "cases.documents", "web.app", "web.pages", "storage.backup",
                        "app.db_cli", "app.reports_cli", "app.web_cli", "app.terminal_chat")


def test_idle_bot_imports_nothing_it_loads_on_first_use(emulator: BotApiEmulator, deployment: Deployment,
                                                        start_bot: Callable[..., Any], tmp_path: Path) -> None:
    modules_file = tmp_path / "modules.json"
    env = {**deployment.env, "MODULES_FILE": str(modules_file), "REMINDER_FIRST_SWEEP_SECONDS": "0"}
    bot = start_bot("-c", PROBE, env=env)
    deadline = time.monotonic() + 30  # the first sweep runs at once, the early-warning pass 5 s after it
    while not all(re.search(f'Job "{job} \\(trigger.*executed successfully', bot.log()) for job in ("reminders", "early-warning")):
        assert time.monotonic() < deadline, bot.log()
        time.sleep(0.2)
    assert bot.stop() == 0, bot.log()
    optimize, modules = json.loads(modules_file.read_text())
    assert optimize == 2  # the bot as deployed: python -OO
    loaded = set(modules)
    assert "telegram.ext" in loaded and "bot.app" in loaded and "reminders.job" in loaded  # it did run the bot
    heavy = {top: why for top, why in LOADED_ON_FIRST_USE.items() if any(m == top or m.startswith(top + ".") for m in loaded)}
    assert heavy == {}, f"the idle bot imported libraries it only needs later: {heavy}"
    assert sorted(m for m in PROJECT_ON_FIRST_USE if m in loaded) == []

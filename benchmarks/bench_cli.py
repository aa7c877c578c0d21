"""Command-line start-up and bot memory: what each costs now, beside the eager-import baseline.

- ``ats-bot --help``, ``ats-bot instruments list`` and ``ats-bot instruments walk pendataan FULL.json``: CPU
  seconds (user + system) of the whole process, best of 3. Baseline: the same command after importing what
  the command line used to import up front (the bot, PTB, fpdf, matplotlib, openpyxl, the reports).
- The bot idle: ``ats-bot run`` polling a Bot API stand-in on 127.0.0.1, resident memory (VmRSS) once it has
  polled for a few seconds with nothing to do. Baselines: the same bot with Alembic (its start-up check) and
  lokal imported up front, as before they were deferred; and with fpdf, openpyxl, matplotlib and segno too, as
  before those were loaded on first use. Floor: a bare process importing only the libraries the bot cannot
  start without (PTB with its job queue, SQLAlchemy's ORM, pydantic-settings, cryptography, Babel, PyYAML,
  transitions).

Run: python benchmarks/bench_cli.py      (about a minute; needs the test extras for the stand-in)
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT / "tests" / "fixtures" / "paths" / "pendataan" / "full.json"
EAGER = "import app.bot_cli, app.cases_cli, app.db_cli, app.people_cli, app.reports_cli, app.reminders_cli, app.instruments_cli, " \
        "fpdf, matplotlib, openpyxl, reports.recap, reports.export, reports.imports, cases.documents; "
EAGER_START = "import alembic.command, alembic.script, alembic.runtime.migration, lokal; "
EAGER_BOT = EAGER_START + "import fpdf, openpyxl, matplotlib, segno, cases.documents, reports.export, reports.imports; "
FLOOR = ("import telegram.ext, sqlalchemy.orm, pydantic_settings, cryptography.hazmat.primitives.ciphers.aead, babel.dates, yaml, "
         "transitions, apscheduler.schedulers.asyncio; ")
TOKEN = "123456:BENCH"


def cpu_seconds(argv: list[str], prelude: str = "", stdin: bytes | None = None, env: dict[str, str] | None = None) -> float:
    """CPU time of a fresh ``ats-bot ARGV`` process (best of 3)."""
    code = f"{prelude}import sys; from app.cli import main; sys.exit(main({argv!r}))"
    best = float("inf")
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], input=stdin, stdout=subprocess.DEVNULL, check=True, cwd=ROOT, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def idle_rss(env: dict[str, str], prelude: str = "", settle: float = 6.0) -> float:
    """MiB resident of ``ats-bot run`` once it has polled the stand-in for ``settle`` seconds."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from botapi_standin import StandIn

    loop = asyncio.new_event_loop()
    standin = StandIn(TOKEN)
    loop.run_until_complete(standin.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    code = f"{prelude}import sys; from app.cli import main; sys.exit(main(['run']))"
    bot = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**env, "BOT_TOKEN": TOKEN, "BOT_API_BASE_URL": standin.base_url, "HEALTH_PORT": str(_free_port())})
    try:
        deadline = time.monotonic() + 60
        while standin.calls["getUpdates"] < 2 and time.monotonic() < deadline and bot.poll() is None:
            time.sleep(0.2)
        if standin.calls["getUpdates"] < 2:
            raise RuntimeError(f"the bot did not start polling (exit code {bot.poll()})")
        time.sleep(settle)
        status = Path(f"/proc/{bot.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024
    finally:
        bot.terminate()
        bot.wait(10)
        asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def floor_rss() -> float:
    """MiB resident of a bare process that imported the bot's indispensable libraries."""
    code = FLOOR + "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmRSS:')))"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout) / 1024


def main() -> None:
    answers = json.dumps(json.loads(FULL.read_text(encoding="utf-8"))["answers"]).encode()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/ats.db", "DATA_KEY": "bench-data-key-" + "x" * 32,
               "ENVIRONMENT": "development"}
        subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"{'command':<44} {'now':>9} {'eager imports':>14} {'goal':>8}")
        for label, argv, stdin, goal in (
            ("ats-bot --help", ["--help"], None, "≤ 0.5 s"),
            ("ats-bot instruments list", ["instruments", "list"], None, "≤ 0.5 s"),
            ("ats-bot instruments walk pendataan (full)", ["instruments", "walk", "pendataan", "--today", "2026-11-23"], answers, "≤ 1 s"),
        ):
            now, before = cpu_seconds(argv, "", stdin, env), cpu_seconds(argv, EAGER, stdin, env)
            print(f"{label:<44} {now:>7.2f} s {before:>12.2f} s {goal:>8}")
        now_rss, start_rss, eager_rss = idle_rss(env), idle_rss(env, EAGER_START), idle_rss(env, EAGER_BOT)
        print(f"{'bot idle (ats-bot run, polling), RSS':<44} {now_rss:>6.0f} MiB {eager_rss:>10.0f} MiB {'≤ 80 MB':>8}")
        print(f"  with Alembic's start-up check and lokal imported up front: {start_rss:.0f} MiB; "
              f"floor (the libraries the bot cannot start without, nothing else): {floor_rss():.0f} MiB")


if __name__ == "__main__":
    main()

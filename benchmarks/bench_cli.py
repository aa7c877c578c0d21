"""Command-line start-up and bot memory: what each costs now, beside the eager-import baseline.

- ``ats-bot --help``, ``ats-bot instruments list`` and ``ats-bot instruments walk pendataan FULL.json``: CPU
  seconds (user + system) of the whole process, best of 3. Baseline: the same command after importing what
  the command line used to import up front (the bot, PTB, fpdf, matplotlib, openpyxl, the reports).
- The bot idle: ``ats-bot run`` polling a Bot API stand-in on 127.0.0.1 (started as an installation starts it: it
  runs itself again as ``python -OO``, on the bytecode ``scripts/compile_bytecode.sh`` compiled, which this
  benchmark runs first), resident memory (VmRSS, best of 3) once it has polled for a few seconds with nothing to do, on an empty SQLite database (and on PostgreSQL when
  ``TEST_POSTGRES_URL`` is set, as a district's server runs it). Baselines: the same bot with Alembic (its start-up
  check) and lokal imported up front, as before they were deferred; and with fpdf, openpyxl, matplotlib and segno
  too, as before those were loaded on first use; ``--against DIR`` adds the bot of another checkout (an older
  commit) measured in the same run; and the bot as started, without ``-OO`` (``BOT_KEEP_ASSERTS=1``).
- Floor: a bare process importing only the libraries the bot cannot start without (PTB with its job queue,
  without its webhook server and httpx's command line, as ``ats-bot run`` keeps them out; SQLAlchemy's
  ORM and dialects, pydantic, cryptography, Babel, PyYAML, transitions),
  printed with what each library adds on top of the ones above it (fresh processes, best of 3), then the
  project's own modules and what running adds, all under ``python -OO`` as the bot runs.

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
LAYERS = (
    ("Python itself", ""),
    ("asyncio + ssl (stdlib)", "asyncio, ssl"),
    ("cryptography (AES-GCM, HKDF)", "cryptography.hazmat.primitives.ciphers.aead, cryptography.hazmat.primitives.kdf.hkdf"),
    ("httpx + httpcore", "httpx"),
    ("python-telegram-bot (telegram)", "telegram"),
    ("APScheduler (PTB's job queue)", "apscheduler.schedulers.asyncio"),
    ("python-telegram-bot (telegram.ext)", "telegram.ext"),
    ("SQLAlchemy core", "sqlalchemy"),
    ("SQLAlchemy ORM", "sqlalchemy.orm"),
    ("SQLAlchemy dialects (sqlite, postgresql)", "sqlalchemy.dialects.sqlite, sqlalchemy.dialects.postgresql"),
    ("pydantic", "pydantic, pydantic.main"),
    ("python-dotenv (.env)", "dotenv"),
    ("Babel", "babel.dates, babel.support"),
    ("PyYAML", "yaml"),
    ("transitions", "transitions"),
)
"""The libraries the bot cannot start without, in the order each is added on top of the ones before it."""
PROJECT = "app.cli, app.bot_cli, app.commands.bot, bot.app"
FLOOR = ", ".join(imports for _, imports in LAYERS if imports)
TOKEN = "123456:BENCH"
LAST_ANON = [0.0]
"""RssAnon of the last bot measured: its resident memory less the pages of files (libraries) it maps."""


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


def idle_rss(env: dict[str, str], prelude: str = "", settle: float = 6.0, root: Path = ROOT) -> float:
    """MiB resident of ``ats-bot run`` (of the checkout at ``root``) once it has polled the stand-in for ``settle`` seconds."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from botapi_standin import StandIn

    loop = asyncio.new_event_loop()
    standin = StandIn(TOKEN)
    loop.run_until_complete(standin.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    code = f"{prelude}import sys; from app.cli import main; sys.argv[1:] = ['run']; sys.exit(main())"  # as ats-bot run
    bot = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**env, "BOT_TOKEN": TOKEN, "BOT_API_BASE_URL": standin.base_url, "HEALTH_PORT": str(_free_port())})
    try:
        deadline = time.monotonic() + 60
        while standin.calls["getUpdates"] < 2 and time.monotonic() < deadline and bot.poll() is None:
            time.sleep(0.2)
        if standin.calls["getUpdates"] < 2:
            raise RuntimeError(f"the bot did not start polling (exit code {bot.poll()})")
        time.sleep(settle)
        status = Path(f"/proc/{bot.pid}/status").read_text()
        LAST_ANON[0] = int(next(line.split()[1] for line in status.splitlines() if line.startswith("RssAnon:"))) / 1024
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024
    finally:
        bot.terminate()
        bot.wait(10)
        asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


KEEP_OUT = "import sys; sys.modules['httpx._main'] = sys.modules['telegram.ext._utils.webhookhandler'] = None\n"
"""What ``ats-bot run`` keeps out of its process (``app.bot_cli.keep_out``), kept out of the floor's too."""


def import_rss(modules: str) -> float:
    """MiB resident of a fresh process that imported ``modules`` (best of 3)."""
    code = KEEP_OUT + (f"import {modules}\n" if modules else "") + \
        "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmRSS:')))"
    return min(int(subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout)
               for _ in range(3)) / 1024


def floor_layers() -> list[tuple[str, float]]:
    """Each library's share of the floor: RSS with it and the ones above it, minus RSS without it."""
    rows, imported, before = [], [], 0.0
    for label, modules in LAYERS:
        imported += [modules] if modules else []
        now = import_rss(", ".join(imported))
        rows.append((label, now - before))
        before = now
    return rows


def best_idle(env: dict[str, str], prelude: str = "", root: Path = ROOT, runs: int = 3) -> float:
    return min(idle_rss(env, prelude, root=root) for _ in range(runs))


def postgres_env(env: dict[str, str]) -> tuple[dict[str, str], str, str] | None:
    """A fresh, upgraded database on the TEST_POSTGRES_URL server for the bot; None without one."""
    server = os.environ.get("TEST_POSTGRES_URL")
    if not server:
        return None
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"bench_cli_{os.getpid()}"
    admin = make_url(server).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    pg_env = {**env, "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=pg_env, check=True, stdout=subprocess.DEVNULL)
    return pg_env, admin, name


def drop_database(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "compile_bytecode.sh"), sys.executable], check=True)
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
        memory(env, Path(sys.argv[sys.argv.index("--against") + 1]) if "--against" in sys.argv else None)


def memory(env: dict[str, str], against: Path | None) -> None:
    """The bot idle beside its baselines and the floor, and the floor library by library, in one run."""
    now_rss = older = anon = float("inf")
    for _ in range(3):  # this checkout and the other one interleaved, so both see the same host
        now_rss = min(now_rss, idle_rss(env))
        anon = min(anon, LAST_ANON[0])
        if against is not None:
            older = min(older, idle_rss(env, root=against))
    eager_rss = best_idle(env, EAGER_BOT, runs=1)
    print(f"{'bot idle (ats-bot run, polling), RSS':<44} {now_rss:>6.1f} MiB {eager_rss:>10.0f} MiB {'≤ 80 MB':>8}")
    print(f"  of which anonymous (RssAnon; the rest are library files' pages, shared with other processes): {anon:.1f} MiB")
    print(f"  with Alembic's start-up check and lokal imported up front: {best_idle(env, EAGER_START, runs=1):.1f} MiB")
    print(f"  as started, without -OO (BOT_KEEP_ASSERTS=1): {best_idle({**env, 'BOT_KEEP_ASSERTS': '1'}, runs=1):.1f} MiB")
    if against is not None:
        print(f"  the bot of {against}: {older:.1f} MiB")
    pg = postgres_env(env)
    if pg is not None:
        try:
            print(f"  on PostgreSQL (psycopg): {best_idle(pg[0], runs=2):.1f} MiB")
        finally:
            drop_database(pg[1], pg[2])
    print(f"\n{'what the idle bot holds (MiB RSS, python -OO, each row on top of those above)':<58} {'adds':>6} {'total':>7}")
    total = 0.0
    for label, added in floor_layers():
        total += added
        print(f"  {label:<56} {added:>6.1f} {total:>7.1f}")
    floor = total
    print(f"  {'= floor: the libraries the bot cannot start without':<56} {'':>6} {floor:>7.1f}")
    project = import_rss(f"{FLOOR}, {PROJECT}")
    print(f"  {'the project modules (import app.bot_cli, bot.app)':<56} {project - floor:>6.1f} {project:>7.1f}")
    print(f"  {'running: database, Bot API clients, catalogs, jobs':<56} {now_rss - project:>6.1f} {now_rss:>7.1f}")
    print(f"bot idle {now_rss:.1f} MiB = {now_rss * 1.048576:.1f} MB against the goal of 80 MB; floor {floor:.1f} MiB = "
          f"{floor * 1.048576:.1f} MB")


if __name__ == "__main__":
    main()

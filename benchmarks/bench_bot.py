"""End-to-end bot benchmark: updates per second and p50/p99 latency through the real Application.

    python benchmarks/bench_bot.py [--conversations 1,100,1000] [--skip-postgres] [--scale 1.0] [--py-spy DIR]

The real bot (``python -m app.cli run``, the Application ``build_application`` makes, with PTB's real httpx
stack) long-polls a lean Bot API stand-in on 127.0.0.1 (``benchmarks/botapi_standin.py``), on a fresh
database prepared the way an operator does it (``ats-bot db upgrade``, ``ats-bot regions load 33.26``),
with SQLite and with PostgreSQL; a bare PTB echo bot (``benchmarks/echo_bot.py``) runs against the same
stand-in in the same run as the framework's floor.

Each of N concurrent conversations is an enrolled volunteer (pendamping of Kajen, 33.26.08) filling
Pendataan by typing, the way volunteers do: ``/isi pendataan``, the child's name, option numbers for
select questions, the NIK, a date (then "Ya" on the confirmation), ... until the review, "Kirim", and
again. Closed loop: a volunteer sends the next message only after the bot's reply to the previous one.
The echo bot gets the same typed messages (it ignores button presses, so those are left out).

Latency is measured in the stand-in: from the moment an update is available to getUpdates to the bot's
first message to that chat (sendMessage or an edit); "turn" is until the bot's last message of that turn
(the next question). Throughput counts updates whose turn completed inside the measurement window.

The application as built keeps PTB's AIORateLimiter (30 requests/s overall). Since that caps the bot at
about 30 / (Bot API calls per update), the ATS configurations run twice: as built, and built the same way
with the limiter's overall rate raised (``bench_bot.py _serve-bot``: the same ``app.cli run``, with
``bot.app.AIORateLimiter`` swapped for a subclass whose overall_max_rate is 1,000,000/s).

PostgreSQL comes from TEST_POSTGRES_URL or is started with scripts/pg-test-server.sh; the benchmark creates
and drops databases of its own on that server. A whole run takes about 6 minutes on 2 cores; the "other"
column says how much of the machine something else used meanwhile (figures from a shared host are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TOKEN = "123456:TEST"
DATA_KEY = "bench-bot-key-not-secret-0123456789abcdef"
REGION = "33.26.08"
RAISED_RATE = 1_000_000.0
FIXTURE = ROOT / "tests" / "fixtures" / "paths" / "pendataan" / "full.json"


# ---------------------------------------------------------------------------------------------------------
# Internal modes (run as subprocesses)
# ---------------------------------------------------------------------------------------------------------
def serve_bot(argv: list[str]) -> int:
    """``ats-bot run`` with the same Application, its AIORateLimiter's overall limit raised."""
    parser = argparse.ArgumentParser(prog="bench_bot.py _serve-bot")
    parser.add_argument("--overall-rate", type=float, default=RAISED_RATE)
    args = parser.parse_args(argv)
    from telegram.ext import AIORateLimiter

    import bot.app

    class RaisedLimiter(AIORateLimiter):  # type: ignore[misc]
        def __init__(self, *a: Any, **kw: Any) -> None:
            kw.setdefault("overall_max_rate", args.overall_rate)
            kw.setdefault("overall_time_period", 1)
            super().__init__(*a, **kw)

    bot.app.AIORateLimiter = RaisedLimiter  # type: ignore[misc]
    from app.cli import main

    return main(["run"])


def ceiling_client(argv: list[str]) -> int:
    """Hammer the stand-in with sendMessage calls (form-encoded, like PTB) from this separate process."""
    parser = argparse.ArgumentParser(prog="bench_bot.py _ceiling-client")
    parser.add_argument("--url", required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    import aiohttp

    markup = json.dumps({"inline_keyboard": [[{"text": f"Pilihan {i}", "callback_data": f"abcdefgh.c.{i}"}] for i in range(6)]})
    form = {"chat_id": "1001", "text": "1.8 · Status anak saat ini?  (8/50)\n" + "x" * 120, "reply_markup": markup}

    async def run() -> int:
        count = 0
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as session:
            deadline = time.perf_counter() + args.seconds

            async def worker() -> None:
                nonlocal count
                while time.perf_counter() < deadline:
                    async with session.post(args.url, data=form) as reply:
                        await reply.read()
                    count += 1

            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        return count

    started = time.perf_counter()
    count = asyncio.run(run())
    print(json.dumps({"requests": count, "seconds": time.perf_counter() - started}))
    return 0


# ---------------------------------------------------------------------------------------------------------
# The volunteers' script: what to type or press, and which bot message ends each turn
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    kind: str
    """"text" (type ``value``) or "press" (tap the button labelled ``value`` on the last turn's message)."""
    value: str
    expect: tuple[str, str]
    """How the turn ends: ("question", header prefix) a sendMessage asking it; ("button", label) a message
    carrying that button; ("contains", text) any message containing it; ("any", "") any message."""
    personal: str = ""
    """"name" or "nik": varied per volunteer and form, so no two children collide."""


def build_script() -> list[Step]:
    """One Pendataan form as the bot will walk it today, from the ``full`` fixture path."""
    from bot import texts as T
    from core.i18n import translator
    from flows.engine import Accepted, Complete, NeedsConfirmation, Prompt, State
    from flows.registry import engine
    from flows.schema import QuestionType

    eng, t, today = engine("pendataan"), translator("id"), dt.date.today()
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))["answers"]
    subject = eng.compiled.instrument.subject

    def ends(state: State) -> tuple[str, str]:
        prompt = eng.current(state, today)
        if isinstance(prompt, Complete):
            return ("button", t(T.SUBMIT))
        pos = prompt.position
        return ("question", f"{pos.qid}{f' #{pos.instance}' if pos.instance else ''} · ")

    def settle(outcome: Any, steps: list[Step]) -> State:
        if isinstance(outcome, NeedsConfirmation):
            steps[-1] = Step(steps[-1].kind, steps[-1].value, ("button", t(T.KEEP_ANYWAY)), steps[-1].personal)
            outcome = eng.confirm(outcome.state, today)
            assert isinstance(outcome, Accepted), outcome
            steps.append(Step("press", t(T.KEEP_ANYWAY), ends(outcome.state)))
        assert isinstance(outcome, Accepted), outcome
        return outcome.state

    state = State()
    steps = [Step("text", "/isi pendataan", ends(state))]
    while True:
        prompt = eng.current(state, today)
        if isinstance(prompt, Complete):
            break
        assert isinstance(prompt, Prompt)
        node = prompt.node
        value = raw.get(node.id) if node.group is None else raw[node.group][prompt.position.instance - 1].get(node.id)
        personal = "name" if node.id == subject.name else "nik" if node.type is QuestionType.NIK else ""
        if value is None:
            steps.append(Step("press", t(T.SKIP), ("any", "")))
            state = settle(eng.skip(state, today), steps)
        elif node.type is QuestionType.DATE:
            steps.append(Step("text", dt.date.fromisoformat(value).strftime("%d/%m/%Y"), ("button", t(T.YES))))
            steps.append(Step("press", t(T.YES), ("any", "")))
            state = settle(eng.answer(state, value, today), steps)
        elif node.type in (QuestionType.LOCATION, QuestionType.PHOTO):
            raise AssertionError(f"the benchmark path must be typed only: {node.id} is {node.type}")
        else:
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            steps.append(Step("text", text, ("any", ""), personal))
            state = settle(eng.answer(state, text, today), steps)
        if steps[-1].expect == ("any", ""):
            steps[-1] = Step(steps[-1].kind, steps[-1].value, ends(state), steps[-1].personal)
    steps.append(Step("press", t(T.SUBMIT), ("contains", "F-3326-")))
    return steps


SYLLABLES = ["ba", "di", "ka", "lu", "ma", "ni", "pe", "ra", "si", "tu", "wa", "ya", "ga", "ho", "je", "ko"]


def personal_value(kind: str, base: str, uid: int, form: int) -> str:
    n = uid * 131 + form
    if kind == "name":
        word = "".join(SYLLABLES[(n >> (4 * i)) & 15] for i in range(4))
        return f"{base} {word.capitalize()}"
    if kind == "nik":
        return base[:-4] + f"{1 + n % 9999:04d}"
    return base


# ---------------------------------------------------------------------------------------------------------
# The load: N volunteers on the stand-in's event loop
# ---------------------------------------------------------------------------------------------------------
class Rec:
    __slots__ = ("avail", "done", "fetched", "first")

    def __init__(self, avail: float) -> None:
        self.avail = avail
        self.fetched = 0.0
        self.first = 0.0
        self.done = 0.0


class Load:
    """One measured run: N conversations against whatever bot polls the stand-in."""

    def __init__(self, standin: Any, script: list[Step], first_uid: int, n: int, step_timeout: float) -> None:
        from botapi_standin import User

        self.standin = standin
        self.script = script
        self.step_timeout = step_timeout
        self.users = [User(first_uid + i, f"Relawan {first_uid + i}") for i in range(n)]
        self.convs = {u.id: Conversation(self, u) for u in self.users}
        self.by_update: dict[int, Rec] = {}
        self.done: list[Rec] = []
        self.stopping = False
        self.errors = 0
        self.unexpected = 0
        self.tasks: list[asyncio.Task[None]] = []

    def attach(self) -> None:
        self.standin.on_bot_message = self.on_bot_message
        self.standin.on_fetched = self.on_fetched

    def on_fetched(self, update_ids: list[int], now: float) -> None:
        for update_id in update_ids:
            rec = self.by_update.get(update_id)
            if rec is not None and not rec.fetched:
                rec.fetched = now

    def on_bot_message(self, chat_id: int, method: str, text: str | None, markup: str | None, message_id: int) -> None:
        conv = self.convs.get(chat_id)
        if conv is not None:
            conv.on_message(method, text, markup, message_id)

    def start(self) -> None:
        self.tasks = [asyncio.get_running_loop().create_task(c.run()) for c in self.convs.values()]

    async def stop(self, timeout: float) -> bool:
        """Let every conversation finish its current turn; False when some did not within ``timeout``."""
        self.stopping = True
        _, pending = await asyncio.wait(self.tasks, timeout=timeout) if self.tasks else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return not pending


class Conversation:
    def __init__(self, load: Load, user: Any) -> None:
        self.load = load
        self.user = user
        self.rec: Rec | None = None
        self.expect: tuple[str, str] = ("any", "")
        self.waiter: asyncio.Future[bool] | None = None
        self.last_message: tuple[int, str | None] = (0, None)
        self.turns = 0

    async def run(self) -> None:
        load, loop, form = self.load, asyncio.get_running_loop(), 0
        while not load.stopping:
            for step in load.script:
                if load.stopping:
                    return
                if step.kind == "text":
                    text = personal_value(step.personal, step.value, self.user.id, form) if step.personal else step.value
                    update_id = load.standin.send_text(self.user, text)
                else:
                    from botapi_standin import inline_buttons

                    message_id, markup = self.last_message
                    data = inline_buttons(markup).get(step.value)
                    if data is None:
                        load.errors += 1
                        break
                    update_id = load.standin.press(self.user, message_id, data)
                rec = Rec(time.perf_counter())
                load.by_update[update_id] = rec
                self.rec, self.expect = rec, step.expect
                self.waiter = loop.create_future()
                try:
                    ok = await asyncio.wait_for(self.waiter, load.step_timeout)
                except TimeoutError:
                    ok = False
                finally:
                    load.by_update.pop(update_id, None)
                    self.waiter = None
                if not ok:
                    load.errors += 1
                    break  # start a new form
                load.done.append(rec)
                self.turns += 1
            form += 1

    def on_message(self, method: str, text: str | None, markup: str | None, message_id: int) -> None:
        rec, waiter = self.rec, self.waiter
        if rec is None or waiter is None or waiter.done():
            self.load.unexpected += 1
            return
        now = time.perf_counter()
        if not rec.first:
            rec.first = now
        kind, arg = self.expect
        if kind == "question":
            hit = method == "sendMessage" and text is not None and text.startswith(arg)
        elif kind == "button":
            hit = markup is not None and arg in _button_texts(markup)
        elif kind == "contains":
            hit = text is not None and arg in text
        else:
            hit = True
        if hit:
            rec.done = now
            self.last_message = (message_id, markup)
            waiter.set_result(True)
        elif text is not None and text.startswith("\u2717"):  # the bot refused the answer: the script is off
            waiter.set_result(False)


def _button_texts(markup: str) -> list[str]:
    from botapi_standin import inline_buttons

    return list(inline_buttons(markup))


# ---------------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------------
def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu(database: str) -> float:
    """CPU seconds of the PostgreSQL backends serving ``database`` (not other users of a shared server)."""
    total, marker = 0.0, f" {database} ".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker not in (entry / "cmdline").read_bytes():
                    continue
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _machine_busy() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class CpuSample:
    at: float
    bot: float
    main: float
    pg: float
    busy: tuple[float, float]

    @classmethod
    def take(cls, bot_pid: int, pg_database: str) -> CpuSample:
        return cls(time.perf_counter(), _proc_cpu(bot_pid), time.process_time(), _postgres_cpu(pg_database) if pg_database else 0.0,
                   _machine_busy())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Result:
    config: str
    n: int
    updates: int = 0
    seconds: float = 0.0
    first: list[float] = field(default_factory=list)
    turn: list[float] = field(default_factory=list)
    wait: list[float] = field(default_factory=list)
    calls_per_update: float = 0.0
    bot_cpu: float = 0.0
    main_cpu: float = 0.0
    pg_cpu: float = 0.0
    machine: float = 0.0
    """Cores busy on the whole machine over the window (anything else running shows as ``other``)."""
    errors: int = 0
    steady: bool = True
    note: str = ""

    @property
    def cpu_ms(self) -> float:
        """Bot process CPU per update handled (all threads), ms: robust to other load on the machine."""
        return self.bot_cpu * self.seconds / self.updates * 1000 if self.updates else float("nan")

    @property
    def other(self) -> float:
        return max(0.0, self.machine - self.bot_cpu - self.pg_cpu - self.main_cpu)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def ms(self, values: list[float], q: float) -> float:
        return percentile(values, q) * 1000


REPLY_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")


async def measure(standin: Any, bot: BotProcess, script: list[Step], config: str, n: int, first_uid: int,
                  warmup: float, warmup_max: float, window: float, pg: tuple[str, str], py_spy: Path | None,
                  drain: bool) -> tuple[Result, bool]:
    """One configuration at N conversations; returns the result and whether the bot drained its backlog
    (when ``drain``: the last run of a bot does not wait for it)."""
    admin_url, pg_database = pg
    load = Load(standin, script, first_uid, n, step_timeout=180.0)
    load.attach()
    load.start()
    began = time.perf_counter()
    await asyncio.sleep(warmup)
    while time.perf_counter() - began < warmup_max and sum(1 for c in load.convs.values() if c.turns) < n:
        await asyncio.sleep(0.1)
    steady = sum(1 for c in load.convs.values() if c.turns) == n
    calls_before = sum(standin.calls[m] for m in REPLY_METHODS)
    errors_before = load.errors
    spy = _start_py_spy(py_spy, bot.proc.pid, f"{config}-{n}", window) if py_spy else None
    tx0 = await _pg_transactions(admin_url, pg_database)
    cpu0 = CpuSample.take(bot.proc.pid, pg_database)
    await asyncio.sleep(window)
    cpu1 = CpuSample.take(bot.proc.pid, pg_database)
    tx1 = await _pg_transactions(admin_url, pg_database)
    calls_after = sum(standin.calls[m] for m in REPLY_METHODS)
    start, end = cpu0.at, cpu1.at
    inside = [r for r in load.done if start <= r.done < end]
    elapsed = end - start
    result = Result(config, n, len(inside), elapsed,
                    first=[r.first - r.avail for r in inside], turn=[r.done - r.avail for r in inside],
                    wait=[r.fetched - r.avail for r in inside if r.fetched],
                    calls_per_update=(calls_after - calls_before) / len(inside) if inside else 0.0,
                    bot_cpu=(cpu1.bot - cpu0.bot) / elapsed, main_cpu=(cpu1.main - cpu0.main) / elapsed,
                    pg_cpu=(cpu1.pg - cpu0.pg) / elapsed,
                    machine=(cpu1.busy[0] - cpu0.busy[0]) / max(1.0, cpu1.busy[1] - cpu0.busy[1]) * (os.cpu_count() or 1),
                    errors=load.errors - errors_before, steady=steady)
    if pg_database and inside:
        result.note += f"  [PostgreSQL: ~{(tx1 - tx0) / len(inside):.1f} transactions/update]"
    drained = await load.stop(timeout=45.0 if drain else 0.0)
    if spy is not None:
        deadline = time.perf_counter() + 30
        while spy.poll() is None and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
    standin.on_bot_message = standin.on_fetched = None
    return result, drained


async def _pg_transactions(admin_url: str, database: str) -> int:
    """Committed + rolled-back transactions of ``database`` (cumulative statistics, flushed about once a second)."""
    if not database:
        return 0
    import psycopg

    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as conn:
        row = await (await conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (database,))).fetchone()
    return int(row[0]) if row else 0


def _start_py_spy(directory: Path, pid: int, name: str, seconds: float) -> subprocess.Popen[bytes] | None:
    exe = shutil.which("py-spy")
    if exe is None:
        print("  (py-spy not found on PATH: no profile)", file=sys.stderr)
        return None
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"{name.replace(' ', '_').replace('/', '_')}.txt"
    return _spawn([exe, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))), "--rate", "100", "--threads",
                   "--gil", "--nonblocking", "--format", "raw", "--output", str(out)], log=directory / f"{out.stem}.log")


# ---------------------------------------------------------------------------------------------------------
# Processes and databases
# ---------------------------------------------------------------------------------------------------------
_CHILDREN: list[subprocess.Popen[bytes]] = []


def _spawn(args: list[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
    _CHILDREN.append(proc)
    return proc


def _terminate(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
    if proc in _CHILDREN:
        _CHILDREN.remove(proc)


async def _aterminate(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``, without blocking the event loop the stand-in answers on
    (a polling bot's last getUpdates on shutdown must be answered)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.perf_counter() + timeout
        while proc.poll() is None and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    _terminate(proc, timeout=5.0)


def kill_all_children() -> None:
    while _CHILDREN:
        _terminate(_CHILDREN[0], timeout=5.0)  # removes it from _CHILDREN


@dataclass
class BotProcess:
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Config:
    name: str
    kind: str
    """"echo" or "ats"."""
    backend: str = ""
    raised: bool = False
    echo_limiter: bool = False


async def start_bot(standin: Any, config: Config, env: dict[str, str], workdir: Path) -> BotProcess:
    standin.reset()
    if config.kind == "echo":
        args = [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py")]
    elif config.raised:
        args = [sys.executable, str(Path(__file__).resolve()), "_serve-bot", "--overall-rate", str(RAISED_RATE)]
    else:
        args = [sys.executable, "-m", "app.cli", "run"]
    log = workdir / f"{config.name.replace(' ', '_').replace('/', '_').replace('+', '')}.log"
    started = time.perf_counter()
    proc = _spawn(args, log=log, env=env, cwd=workdir)
    deadline = started + 60
    while standin.last_poll < started:
        if proc.poll() is not None:
            raise RuntimeError(f"{config.name}: the bot exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{config.name}: the bot did not poll within 60 s:\n{log.read_text(errors='replace')[-3000:]}")
        await asyncio.sleep(0.05)
    return BotProcess(proc, log)


def cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def seed_volunteers(url: str, user_ids: list[int]) -> None:
    """Enrolled pendamping of Kajen, as if each had opened a coordinator's invitation (one transaction)."""
    from storage.db import Database
    from storage.models import Language, Person, Role

    db = Database.from_url(url)
    try:
        with db.write() as session:
            session.add_all([Person(telegram_user_id=uid, telegram_chat_id=uid, display_name=f"Relawan {uid}", role=Role.PENDAMPING,
                                    region_code=REGION, language=Language.ID) for uid in user_ids])
    finally:
        db.dispose()


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """The PostgreSQL server URL; started with scripts/pg-test-server.sh (and stopped after) if not running."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
        return
    script = ROOT / "scripts" / "pg-test-server.sh"
    was_running = subprocess.run(["bash", str(script), "status"], capture_output=True, check=False).returncode == 0
    url = subprocess.run(["bash", str(script), "start"], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    try:
        yield url
    finally:
        if not was_running:
            subprocess.run(["bash", str(script), "stop"], capture_output=True, check=False)


@contextlib.contextmanager
def fresh_database(backend: str, workdir: Path, server: str | None) -> Iterator[str]:
    if backend == "sqlite":
        path = workdir / f"ats-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    assert server is not None
    name = f"ats_bench_bot_{uuid.uuid4().hex[:8]}"
    admin = make_url(server).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------------------
# The stand-in's own ceiling
# ---------------------------------------------------------------------------------------------------------
async def standin_ceiling(standin: Any, workdir: Path) -> tuple[float, float]:
    """(requests/s with a client in another process, stand-in CPU µs per request)."""
    standin.reset()
    cpu0 = time.process_time()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).resolve()), "_ceiling-client", "--url", f"{standin.base_url}{TOKEN}/sendMessage",
        "--seconds", "3", "--concurrency", "64", stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    cpu = time.process_time() - cpu0
    report = json.loads(out.decode().strip().splitlines()[-1])
    served = standin.calls["sendMessage"]
    standin.reset()
    return report["requests"] / report["seconds"], cpu / max(1, served) * 1e6


# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------
def run_plan(n: int, scale: float) -> tuple[float, float, float]:
    """(warm-up seconds, warm-up cap, measured window) for N conversations."""
    if n <= 1:
        return 2.0 * scale, 10.0, 6.0 * scale
    if n <= 100:
        return 3.0 * scale, 12.0, 8.0 * scale
    return 4.0 * scale, 10.0 * scale, 8.0 * scale


async def bench(args: argparse.Namespace) -> list[Result]:
    from botapi_standin import StandIn

    script = build_script()
    texts_only = [s for s in script if s.kind == "text"]
    echo_script = [Step("text", s.value, ("any", ""), s.personal) for s in texts_only]
    standin = await StandIn(TOKEN).start()
    results: list[Result] = []
    workdir = Path(tempfile.mkdtemp(prefix="ats-bench-bot-"))
    try:
        rate, us = await standin_ceiling(standin, workdir)
        print(f"stand-in ceiling: {rate:,.0f} sendMessage/s from a 64-connection aiohttp client in another process "
              f"(stand-in CPU {us:.0f} µs per request, i.e. ~{1e6 / us:,.0f} requests/s per core)")
        print(f"script: one Pendataan form = {len(script)} updates ({len(texts_only)} typed, {len(script) - len(texts_only)} button presses); "
              f"echo gets the {len(texts_only)} typed ones")
        print(flush=True)
        print(HEADER, flush=True)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "WEBHOOK_", "BOT_", "ECHO_"))}
        base_env.update({"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), "BOT_TOKEN": TOKEN, "BOT_API_BASE_URL": standin.base_url,
                         "BOT_API_FILE_URL": standin.base_file_url})
        configs = [Config("echo (PTB floor)", "echo")]
        if args.echo_limiter:
            configs.append(Config("echo + AIORateLimiter", "echo", echo_limiter=True))
        backends = ["sqlite"] + ([] if args.skip_postgres else ["postgresql"])
        for backend in backends:
            label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
            configs.append(Config(f"ATS+{label} as built", "ats", backend))
            configs.append(Config(f"ATS+{label} raised", "ats", backend, raised=True))
        if args.only:
            configs = [c for c in configs if any(o.lower() in c.name.lower() for o in args.only.split(","))]
        pg = postgres_server() if "postgresql" in backends and any(c.backend == "postgresql" for c in configs) else contextlib.nullcontext(None)
        with pg as server:
            for config in configs:
                results += await bench_config(standin, config, script if config.kind == "ats" else echo_script, args, base_env, workdir, server)
    finally:
        kill_all_children()
        await standin.stop()
        if args.keep:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


async def bench_config(standin: Any, config: Config, script: list[Step], args: argparse.Namespace, base_env: dict[str, str],
                       workdir: Path, server: str | None) -> list[Result]:
    from bot.app import MAX_CONCURRENT_UPDATES

    ns = [int(n) for n in args.conversations.split(",")]
    first_uids = {n: 10_000_000 * (i + 1) for i, n in enumerate(ns)}
    env = dict(base_env)
    results: list[Result] = []
    pg = ("", "")
    with contextlib.ExitStack() as stack:
        if config.kind == "echo":
            env.update({"ECHO_CONCURRENT_UPDATES": str(MAX_CONCURRENT_UPDATES), "ECHO_RATE_LIMITER": "1" if config.echo_limiter else "0"})
        else:
            url = stack.enter_context(fresh_database(config.backend, workdir, server))
            if config.backend == "postgresql":
                from sqlalchemy.engine import make_url

                pg = (make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False),
                      make_url(url).database or "")
            env.update({"DATABASE_URL": url, "DATA_KEY": DATA_KEY, "ENVIRONMENT": "development", "HEALTH_PORT": str(_free_port()),
                        "FILES_DIR": str(workdir / "files")})
            prepared = time.perf_counter()
            cli(env, workdir, "db", "upgrade")
            cli(env, workdir, "regions", "load", "33.26")
            seed_volunteers(url, [first_uids[n] + i for n in ns for i in range(n)])
            print(f"  [{config.name}: fresh database ready in {time.perf_counter() - prepared:.1f} s]", flush=True)
        bot = await start_bot(standin, config, env, workdir)
        began = time.perf_counter()
        try:
            for i, n in enumerate(ns):
                warmup, warmup_max, window = run_plan(n, args.scale)
                result, drained = await measure(standin, bot, script, config.name, n, first_uids[n], warmup, warmup_max, window,
                                                pg, args.py_spy, drain=i + 1 < len(ns))
                if standin.unknown:
                    result.note += " unknown methods: " + ",".join(standin.unknown)
                results.append(result)
                print(_row(result, None), flush=True)
                if not drained and i + 1 < len(ns):  # a backlog would skew the next run: start afresh
                    result.note += " (backlog not drained in 45 s: bot restarted)"
                    await _aterminate(bot.proc)
                    bot = await start_bot(standin, config, env, workdir)
        finally:
            logged = bot.log.stat().st_size  # what a bot cut short with a backlog says on its way out is not its fault
            await _aterminate(bot.proc, timeout=3.0)  # a bot with a backlog would work through it first
            if bot.proc.returncode not in (0, -signal.SIGTERM, None) and config.kind == "ats":
                print(f"  [{config.name}: bot exited with {bot.proc.returncode}]")
            with bot.log.open("rb") as log:
                lines = log.read(logged).decode(errors="replace").splitlines()
            errors = [line for line in lines if " ERROR " in line or "Traceback" in line]
            if errors:
                print(f"  [{config.name}: {len(errors)} error line(s) in the bot log, first: {errors[0][:200]}]")
            print(f"  [{config.name}: {time.perf_counter() - began:.0f} s]", flush=True)
    return results


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


HEADER = (f"{'configuration':<24} {'N':>4} {'upd/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'turn50':>7} {'turn99':>7} {'poll50':>6} "
          f"{'calls':>5} {'CPU ms':>6} {'bot':>5} {'pg':>4} {'stand':>5} {'other':>5} {'err':>3}")


RATIO_HEADER = f" {'upd/s':>6} {'p50':>6} {'CPUms':>6}"


def _row(r: Result, echo: Result | None) -> str:
    flag = "" if r.steady else "*"
    line = (f"{r.config:<24} {r.n:>4} {r.rate:>6.1f} {r.ms(r.first, .5):>7.1f} {r.ms(r.first, .99):>7.0f} {r.ms(r.turn, .5):>7.1f} "
            f"{r.ms(r.turn, .99):>7.0f} {r.ms(r.wait, .5):>6.1f} {r.calls_per_update:>5.2f} {r.cpu_ms:>6.1f} {r.bot_cpu:>5.0%} {r.pg_cpu:>4.0%} "
            f"{r.main_cpu:>5.0%} {r.other:>5.0%} {r.errors:>3}{flag:1}")
    if echo is not None and echo.rate and r is not echo:
        line += f" {r.rate / echo.rate:>6.2f} {r.ms(r.first, .5) / echo.ms(echo.first, .5):>6.1f} {r.cpu_ms / echo.cpu_ms:>6.1f}"
    return line + r.note


def print_report(results: list[Result], args: argparse.Namespace) -> None:
    echo = {r.n: r for r in results if r.config == "echo (PTB floor)"}
    print()
    print("Updates handled per second and latency through the real Application (PTB httpx stack, Bot API stand-in on 127.0.0.1)")
    print("p50/p99 = update available in getUpdates -> the bot's first message to that chat (sendMessage or edit)")
    print("turn50/99 = available -> the turn's last message (the next question); poll50 = available -> handed to the bot by getUpdates")
    print("calls = Bot API calls (send, edit, answerCallbackQuery) per update; CPU ms = bot process CPU per update (all threads)")
    print("bot/pg/stand/other = cores busy over the window: the bot process, its PostgreSQL backends, the stand-in (with the simulated")
    print("volunteers), and the rest of the machine (other processes and unattributed kernel time: > 0 means the run shared its cores)")
    print()
    print(" " * (len(HEADER) + 1) + "÷ echo (PTB floor) at the same N")
    print(HEADER + RATIO_HEADER)
    print("-" * (len(HEADER) + len(RATIO_HEADER)))
    for r in results:
        print(_row(r, echo.get(r.n)))
    print()
    print("as built = the Application exactly as build_application makes it (AIORateLimiter: 30 requests/s overall).")
    print(f"raised   = the same Application with AIORateLimiter(overall_max_rate={RAISED_RATE:,.0f}/s): the framework's own overhead.")
    print("echo + AIORateLimiter = the echo bot under PTB's default limiter: the cap is 30 / (calls per update) updates/s.")
    if any(not r.steady for r in results):
        print("*        = not every conversation had a reply before the window: the bot's backlog was still growing (no steady state;")
        print("           in a closed loop the steady-state latency is about N / throughput).")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_serve-bot":
        return serve_bot(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "_ceiling-client":
        return ceiling_client(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", default="1,100,1000", help="comma-separated N (default 1,100,1000)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--no-echo-limiter", dest="echo_limiter", action="store_false", help="skip the echo bot with PTB's AIORateLimiter")
    parser.add_argument("--only", default="", help="run only configurations whose name contains one of these (comma-separated)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply warm-up and measurement windows")
    parser.add_argument("--py-spy", type=Path, default=None, help="record a py-spy profile (GIL holder, collapsed stacks) of the bot during each window into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the bots' logs (and SQLite files)")
    args = parser.parse_args()
    import telegram

    cores = os.cpu_count() or 1
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    print(f"machine: {cores} cores ({model}), Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
          f"{platform.system()} {platform.release()}")
    started = time.perf_counter()

    def on_sigterm(signum: int, _frame: object) -> None:  # unwind, so the bots and databases are cleaned up
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        results = asyncio.run(bench(args))
    finally:
        kill_all_children()
    print_report(results, args)
    print(f"\ntotal benchmark time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end bot benchmark: the ATS bot beside a bare PTB echo bot, people typing with a think time.

    python benchmarks/bench_bot.py [--skip-postgres] [--scale 1.0] [--only echo,sqlite] [--keep]

The real bot (``ats-bot run``: the Application ``build_application`` makes, its real HTTP stack: bot/api_client.py; the echo bot keeps PTB's httpx) long-polls
a lean Bot API stand-in on 127.0.0.1 (``benchmarks/botapi_standin.py``), on a fresh database prepared the way
an operator does it (``ats-bot db upgrade``, ``ats-bot regions load 33.26``), with SQLite and with PostgreSQL;
a bare PTB echo bot (``benchmarks/echo_bot.py``) is the framework's floor. Each bot has a stand-in of its own
and all of them stay up for the whole run: every scenario is measured on each bot in turn, one after the
other (the bots not being measured are stopped with SIGSTOP), so that the ratios compare figures taken
minutes apart on the same shared machine, not a whole run apart.

Each conversation is an enrolled volunteer (pendamping of Kajen, 33.26.08) filling Pendataan by typing:
``/isi pendataan``, the child's name, option numbers, the NIK, a date (then "Ya"), ... until "Kirim", and
again. A volunteer sends the next message only after the bot's reply to the previous one, and first
thinks: 2–5 s (uniform) as people type. The echo bot gets the same typed messages (it ignores buttons).
Scenarios:

- ``think N``: N = 1, 100 and 1,000 conversations with the think time (offered ≈ N / 3.5 updates/s while
  the bot keeps up; a bot that cannot keep up makes everyone wait, the closed loop's way of saying so);
- ``200/s``: 700 conversations with the think time, an offered load of 200 updates/s: p50/p99 latency;
- ``saturation``: 100 conversations without think time: the most updates/s the bot sustains.

Latency is measured in the stand-in: from the moment an update is available to getUpdates to the bot's
first message to that chat; "turn" is until the message that ends the turn (the next question).

The ATS bot runs with PTB's AIORateLimiter's overall limit raised (Telegram's 30 messages/s would cap it at
30 / calls per update: that cap is Telegram's, not the bot's): ``bench_bot.py _serve-bot`` is ``ats-bot run``
with ``bot.app.AIORateLimiter`` swapped for a subclass whose overall_max_rate is 1,000,000/s; it also counts
the database's transactions (every ``Database.read``/``write`` block, on both databases) and COMMITs (disk syncs,
through SQLAlchemy's events), reported per update.

PostgreSQL comes from TEST_POSTGRES_URL or is started with scripts/pg-test-server.sh; the benchmark creates and
drops databases of its own on that server. The "other" column says how much of the machine something else
used meanwhile (figures from a shared host are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
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
THINK = (2.0, 5.0)
"""Seconds a volunteer thinks and types before each message (uniform)."""


# ---------------------------------------------------------------------------------------------------------
# Internal modes (run as subprocesses)
# ---------------------------------------------------------------------------------------------------------
def serve_bot(argv: list[str]) -> int:
    """``ats-bot run`` with the same Application, its AIORateLimiter's overall limit raised; on SIGUSR1 it
    writes its database counters (``Database`` blocks and COMMITs so far) to ``--counters``."""
    parser = argparse.ArgumentParser(prog="bench_bot.py _serve-bot")
    parser.add_argument("--overall-rate", type=float, default=RAISED_RATE)
    parser.add_argument("--counters", type=Path, required=True)
    args = parser.parse_args(argv)
    from sqlalchemy import event
    from sqlalchemy.engine import Connection, Engine
    from telegram.ext import AIORateLimiter

    import bot.app

    class RaisedLimiter(AIORateLimiter):
        def __init__(self, *a: Any, **kw: Any) -> None:
            kw.setdefault("overall_max_rate", args.overall_rate)
            kw.setdefault("overall_time_period", 1)
            super().__init__(*a, **kw)

    bot.app.AIORateLimiter = RaisedLimiter  # type: ignore[misc]
    counts = {"blocks": 0, "commits": 0}
    from storage.db import Database

    def counted(block: Any) -> Any:  # every Database.read/write block: one transaction of the application
        def opened(self: Database) -> Any:
            counts["blocks"] += 1
            return block(self)

        return opened

    Database.read = counted(Database.read)  # type: ignore[method-assign]
    Database.write = counted(Database.write)  # type: ignore[method-assign]

    def commit(_connection: Connection) -> None:  # a COMMIT (on SQLite, one per batch of write blocks)
        counts["commits"] += 1

    event.listen(Engine, "commit", commit)

    def dump(_signum: int, _frame: object) -> None:
        args.counters.write_text(json.dumps(counts))

    signal.signal(signal.SIGUSR1, dump)
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

    def __init__(self, standin: Any, script: list[Step], first_uid: int, n: int, think: tuple[float, float] | None,
                 step_timeout: float) -> None:
        from botapi_standin import User

        self.standin = standin
        self.script = script
        self.think = think
        self.step_timeout = step_timeout
        self.users = [User(first_uid + i, f"Relawan {first_uid + i}") for i in range(n)]
        self.convs = {u.id: Conversation(self, u) for u in self.users}
        self.by_update: dict[int, Rec] = {}
        self.sent: list[float] = []
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

    async def pause(self) -> None:
        """Think before a message (nothing without a think time)."""
        if self.think is not None:
            await asyncio.sleep(random.uniform(*self.think))

    async def stop(self, timeout: float) -> bool:
        """Let every conversation finish its current turn; False when some did not within ``timeout``."""
        self.stopping = True
        _, pending = await asyncio.wait(self.tasks, timeout=timeout) if self.tasks else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self.standin.on_bot_message = self.standin.on_fetched = None
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
        if load.think is not None:  # people do not all start typing at the same instant
            await asyncio.sleep(random.uniform(0, load.think[1]))
        while not load.stopping:
            for step in load.script:
                await load.pause()
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
                load.sent.append(rec.avail)
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
        if kind == "question":  # the question's header starts a line (an echo of the answer may come first)
            hit = method == "sendMessage" and text is not None and any(line.startswith(arg) for line in text.splitlines())
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
    return _proc_cpu_file(Path(f"/proc/{pid}/stat"))


def _loop_cpu(pid: int) -> float:
    """CPU seconds of a process's main thread: the bot's event loop (PTB, the HTTP client, the rate limiter, the router and
    sender); the turns themselves run in worker threads."""
    return _proc_cpu_file(Path(f"/proc/{pid}/task/{pid}/stat"))


def _system_cpu(pid: int) -> float:
    """CPU seconds a process spent in the kernel (all threads): system calls, context switches."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    return int(stat[stat.rindex(")") + 2 :].split()[12]) / os.sysconf("SC_CLK_TCK")


def _worker_switches(pid: int) -> int:
    """Context switches so far of a process's threads other than the main one (the bot's worker threads): each
    is a wait, for the network, the database or the GIL."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        if task.name == str(pid):
            continue
        try:
            status = (task / "status").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in status.splitlines()
                     if line.split(":")[0] in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
    return total


def _proc_cpu_file(path: Path) -> float:
    try:
        stat = path.read_text()
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
    loop: float = 0.0
    system: float = 0.0
    switches: int = 0

    @classmethod
    def take(cls, bot_pid: int, pg_database: str) -> CpuSample:
        return cls(time.perf_counter(), _proc_cpu(bot_pid), time.process_time(), _postgres_cpu(pg_database) if pg_database else 0.0,
                   _machine_busy(), _loop_cpu(bot_pid), _system_cpu(bot_pid), _worker_switches(bot_pid))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Result:
    config: str
    scenario: str
    n: int
    updates: int = 0
    seconds: float = 0.0
    offered: float = 0.0
    """Updates the volunteers sent per second over the window."""
    first: list[float] = field(default_factory=list)
    turn: list[float] = field(default_factory=list)
    calls_per_update: float = 0.0
    blocks_per_update: float = float("nan")
    commits_per_update: float = float("nan")
    bot_cpu: float = 0.0
    loop_cpu: float = 0.0
    """The bot's event-loop thread (cores busy), part of :attr:`bot_cpu`."""
    system_cpu: float = 0.0
    """The bot's time in the kernel (cores busy), part of :attr:`bot_cpu`."""
    switches: int = 0
    """Context switches of the bot's worker threads over the window."""
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
    def loop_ms(self) -> float:
        """The event-loop thread's share of :attr:`cpu_ms` (the rest: the worker threads that run the turns)."""
        return self.loop_cpu * self.seconds / self.updates * 1000 if self.updates else float("nan")

    @property
    def system_ms(self) -> float:
        """The kernel's share of :attr:`cpu_ms` (system calls, context switches)."""
        return self.system_cpu * self.seconds / self.updates * 1000 if self.updates else float("nan")

    @property
    def switches_per_update(self) -> float:
        return self.switches / self.updates if self.updates else float("nan")

    @property
    def other(self) -> float:
        return max(0.0, self.machine - self.bot_cpu - self.pg_cpu - self.main_cpu)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def ms(self, values: list[float], q: float) -> float:
        return percentile(values, q) * 1000


REPLY_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")


@dataclass(frozen=True)
class Scenario:
    name: str
    n: int
    think: tuple[float, float] | None
    window: float
    """Seconds measured (before --scale)."""

    @property
    def warmup(self) -> float:
        return self.think[1] + 2.0 if self.think else 3.0


SCENARIOS = [
    Scenario("think", 1, THINK, 24.0),
    Scenario("think", 100, THINK, 12.0),
    Scenario("think", 1000, THINK, 12.0),
    Scenario("200/s", 700, THINK, 12.0),
    Scenario("saturation", 100, None, 10.0),
]


@dataclass
class Bot:
    """A bot process with its own stand-in; stopped (SIGSTOP) while another bot is measured."""

    config: Config
    standin: Any
    proc: subprocess.Popen[bytes]
    log: Path
    counters: Path | None
    env: dict[str, str]
    workdir: Path
    pg: tuple[str, str] = ("", "")
    """(admin URL, database name) on PostgreSQL, for the backends' CPU."""

    def pause(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGCONT)

    async def database_counts(self) -> dict[str, int]:
        """The bot's database counters right now (SIGUSR1 makes it write them)."""
        if self.counters is None:
            return {}
        self.counters.unlink(missing_ok=True)
        os.kill(self.proc.pid, signal.SIGUSR1)
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            with contextlib.suppress(OSError, ValueError):
                return dict(json.loads(self.counters.read_text()))
            await asyncio.sleep(0.01)
        return {}


async def measure(bot: Bot, scenario: Scenario, script: list[Step], first_uid: int, scale: float,
                  py_spy: Path | None) -> tuple[Result, bool]:
    """One scenario on one bot (resumed for it, stopped again after); and whether the bot worked through its
    backlog within 20 s after the window (else the caller starts it afresh rather than wait)."""
    standin = bot.standin
    bot.resume()
    load = Load(standin, script, first_uid, scenario.n, scenario.think, step_timeout=180.0)
    load.attach()
    load.start()
    began = time.perf_counter()
    await asyncio.sleep(scenario.warmup * scale)
    while time.perf_counter() - began < scenario.warmup * scale + 10 and sum(1 for c in load.convs.values() if c.turns) < scenario.n:
        await asyncio.sleep(0.1)
    steady = sum(1 for c in load.convs.values() if c.turns) == scenario.n
    calls_before = sum(standin.calls[m] for m in REPLY_METHODS)
    errors_before = load.errors
    window = scenario.window * scale
    spy = _start_py_spy(py_spy, bot.proc.pid, f"{bot.config.name}-{scenario.name}-{scenario.n}", window) if py_spy else None
    db0 = await bot.database_counts()
    cpu0 = CpuSample.take(bot.proc.pid, bot.pg[1])
    await asyncio.sleep(window)
    cpu1 = CpuSample.take(bot.proc.pid, bot.pg[1])
    db1 = await bot.database_counts()
    calls_after = sum(standin.calls[m] for m in REPLY_METHODS)
    start, end = cpu0.at, cpu1.at
    inside = [r for r in load.done if start <= r.done < end]
    elapsed = end - start
    result = Result(bot.config.name, scenario.name, scenario.n, len(inside), elapsed,
                    offered=sum(1 for t in load.sent if start <= t < end) / elapsed,
                    first=[r.first - r.avail for r in inside], turn=[r.done - r.avail for r in inside],
                    calls_per_update=(calls_after - calls_before) / len(inside) if inside else 0.0,
                    bot_cpu=(cpu1.bot - cpu0.bot) / elapsed, loop_cpu=(cpu1.loop - cpu0.loop) / elapsed,
                    system_cpu=(cpu1.system - cpu0.system) / elapsed, switches=cpu1.switches - cpu0.switches, main_cpu=(cpu1.main - cpu0.main) / elapsed,
                    pg_cpu=(cpu1.pg - cpu0.pg) / elapsed,
                    machine=(cpu1.busy[0] - cpu0.busy[0]) / max(1.0, cpu1.busy[1] - cpu0.busy[1]) * (os.cpu_count() or 1),
                    errors=load.errors - errors_before, steady=steady)
    if db0 and db1 and inside:
        result.blocks_per_update = (db1["blocks"] - db0["blocks"]) / len(inside)
        result.commits_per_update = (db1["commits"] - db0["commits"]) / len(inside)
    drained = await load.stop(timeout=20.0)
    if spy is not None:
        deadline = time.perf_counter() + 30
        while spy.poll() is None and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
    bot.pause()
    return result, drained


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
@dataclass
class Config:
    name: str
    kind: str
    """"echo" or "ats"."""
    backend: str = ""


async def start_bot(config: Config, env: dict[str, str], workdir: Path, pg: tuple[str, str], first_update_id: int = 1) -> Bot:
    from botapi_standin import StandIn

    standin = await StandIn(TOKEN, first_update_id=first_update_id).start()
    bot_env = {**env, "BOT_API_BASE_URL": standin.base_url, "BOT_API_FILE_URL": standin.base_file_url}
    slug = config.name.replace(" ", "_").replace("/", "_").replace("+", "")
    counters = None
    if config.kind == "echo":
        args = [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py")]
    else:
        counters = workdir / f"{slug}.counters.json"
        args = [sys.executable, str(Path(__file__).resolve()), "_serve-bot", "--overall-rate", str(RAISED_RATE), "--counters", str(counters)]
    log = workdir / f"{slug}-{time.monotonic_ns()}.log"  # one per start: a restart must not inherit a log
    started = time.perf_counter()
    proc = _spawn(args, log=log, env=bot_env, cwd=workdir)
    deadline = started + 90
    while standin.last_poll < started:
        if proc.poll() is not None:
            raise RuntimeError(f"{config.name}: the bot exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{config.name}: the bot did not poll within 90 s:\n{log.read_text(errors='replace')[-3000:]}")
        await asyncio.sleep(0.05)
    bot = Bot(config, standin, proc, log, counters, env, workdir, pg)
    bot.pause()
    return bot


async def stop_bot(bot: Bot) -> None:
    bot.resume()
    logged = bot.log.stat().st_size  # what a bot cut short says on its way out is not its fault
    await _aterminate(bot.proc, timeout=3.0)
    await bot.standin.stop()
    with bot.log.open("rb") as log:
        lines = log.read(logged).decode(errors="replace").splitlines()
    errors = [line for line in lines if " ERROR " in line or "Traceback" in line]
    if errors:
        print(f"  [{bot.config.name}: {len(errors)} error line(s) in the bot log, first: {errors[0][:200]}]")


async def prepare(config: Config, base_env: dict[str, str], workdir: Path, server: str | None, stack: contextlib.ExitStack,
                  user_ids: list[int]) -> tuple[dict[str, str], tuple[str, str]]:
    """The bot's environment (and PostgreSQL admin URL + database name) on a fresh database with the volunteers."""
    env = dict(base_env)
    if config.kind == "echo":
        from bot.app import MAX_CONCURRENT_UPDATES

        env.update({"ECHO_CONCURRENT_UPDATES": str(MAX_CONCURRENT_UPDATES), "ECHO_RATE_LIMITER": "0"})
        return env, ("", "")
    url = stack.enter_context(fresh_database(config.backend, workdir, server))
    pg = ("", "")
    if config.backend == "postgresql":
        from sqlalchemy.engine import make_url

        pg = (make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False), make_url(url).database or "")
    env.update({"DATABASE_URL": url, "DATA_KEY": DATA_KEY, "ENVIRONMENT": "development", "HEALTH_PORT": str(_free_port()),
                "FILES_DIR": str(workdir / f"files-{config.backend}")})
    prepared = time.perf_counter()
    cli(env, workdir, "db", "upgrade")
    cli(env, workdir, "regions", "load", "33.26")
    seed_volunteers(url, user_ids)
    print(f"  [{config.name}: fresh database ready in {time.perf_counter() - prepared:.1f} s]", flush=True)
    return env, pg


async def bench(args: argparse.Namespace) -> list[Result]:
    script = build_script()
    texts_only = [s for s in script if s.kind == "text"]
    echo_script = [Step("text", s.value, ("any", ""), s.personal) for s in texts_only]
    scenarios = [s for s in SCENARIOS if not args.scenarios or f"{s.name} {s.n}" in args.scenarios.split(",")]
    first_uids = [10_000_000 * (i + 1) for i in range(len(scenarios))]
    user_ids = [first + i for first, s in zip(first_uids, scenarios, strict=True) for i in range(s.n)]
    results: list[Result] = []
    workdir = Path(tempfile.mkdtemp(prefix="ats-bench-bot-"))
    bots: list[Bot] = []
    try:
        from botapi_standin import StandIn

        probe = await StandIn(TOKEN).start()
        rate, us = await standin_ceiling(probe, workdir)
        await probe.stop()
        print(f"stand-in ceiling: {rate:,.0f} sendMessage/s from a 64-connection aiohttp client in another process "
              f"(stand-in CPU {us:.0f} µs per request, i.e. ~{1e6 / us:,.0f} requests/s per core)")
        print(f"script: one Pendataan form = {len(script)} updates ({len(texts_only)} typed, {len(script) - len(texts_only)} button presses); "
              f"echo gets the {len(texts_only)} typed ones; think time {THINK[0]:g}–{THINK[1]:g} s before each message")
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "WEBHOOK_", "BOT_", "ECHO_"))}
        base_env.update({"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT), "BOT_TOKEN": TOKEN})
        configs = [Config("echo (PTB floor)", "echo"), Config("ATS+SQLite", "ats", "sqlite")]
        if not args.skip_postgres:
            configs.append(Config("ATS+PostgreSQL", "ats", "postgresql"))
        if args.only:
            configs = [c for c in configs if any(o.lower() in c.name.lower() for o in args.only.split(","))]
        needs_pg = any(c.backend == "postgresql" for c in configs)
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(postgres_server()) if needs_pg else None
            for config in configs:
                env, pg = await prepare(config, base_env, workdir, server, stack, user_ids)
                bots.append(await start_bot(config, env, workdir, pg))
            print(flush=True)
            print(HEADER, flush=True)
            for scenario, first_uid in zip(scenarios, first_uids, strict=True):
                for i, bot in enumerate(bots):  # interleaved: each scenario on every bot in turn
                    result, drained = await measure(bot, scenario, script if bot.config.kind == "ats" else echo_script, first_uid,
                                                    args.scale, args.py_spy)
                    if not drained:  # a backlog would skew the next scenario: start afresh
                        result.note += " (backlog left: bot restarted)"
                        await stop_bot(bot)
                        bots[i] = await start_bot(bot.config, bot.env, bot.workdir, bot.pg, bot.standin.next_update_id)
                    results.append(result)
                    print(_row(result, None), flush=True)
            for bot in bots:
                await stop_bot(bot)
            bots.clear()
    finally:
        for bot in bots:
            bot.resume()
        kill_all_children()
        if args.keep:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


HEADER = (f"{'scenario':<10} {'N':>4} {'configuration':<17} {'sent/s':>6} {'upd/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'turn99':>7} "
          f"{'calls':>5} {'tx':>5} {'syncs':>5} {'CPU ms':>6} {'loop':>5} {'sys':>4} {'cs':>4} {'bot':>5} {'pg':>4} {'stand':>5} {'other':>5} {'err':>3}")
RATIO_HEADER = f" {'upd/s':>6} {'CPUms':>6}"


def _row(r: Result, echo: Result | None) -> str:
    flag = "" if r.steady else "*"
    line = (f"{r.scenario:<10} {r.n:>4} {r.config:<17} {r.offered:>6.1f} {r.rate:>6.1f} {r.ms(r.first, .5):>7.1f} {r.ms(r.first, .99):>7.0f} "
            f"{r.ms(r.turn, .99):>7.0f} {r.calls_per_update:>5.2f} {r.blocks_per_update:>5.2f} {r.commits_per_update:>5.2f} {r.cpu_ms:>6.1f} "
            f"{r.loop_ms:>5.1f} {r.system_ms:>4.1f} {r.switches_per_update:>4.0f} {r.bot_cpu:>5.0%} {r.pg_cpu:>4.0%} {r.main_cpu:>5.0%} {r.other:>5.0%} {r.errors:>3}{flag:1}")
    if echo is not None and echo.rate and r is not echo:
        line += f" {r.rate / echo.rate:>6.2f} {r.cpu_ms / echo.cpu_ms:>6.1f}"
    return line + r.note


def print_report(results: list[Result]) -> None:
    echo = {(r.scenario, r.n): r for r in results if r.config.startswith("echo")}
    print()
    print("Updates per second and latency through the real Application (real HTTP clients: aiohttp for ATS, PTB's httpx for the echo bot; a Bot API stand-in per bot on 127.0.0.1)")
    print("sent/s = updates the volunteers sent per second (the offered load); upd/s = updates whose turn ended in the window")
    print("p50/p99 = update available in getUpdates -> the bot's first message to that chat; turn99 = -> the message ending the turn")
    print("calls = Bot API calls (send, edit, answerCallbackQuery) per update; tx = database transactions per update (every")
    print("read and write block); syncs = COMMITs that wrote (disk syncs) per update; CPU ms = bot process CPU per update (all threads)")
    print("loop = the part of CPU ms spent in the bot's event-loop thread (PTB, HTTP client, rate limiter, router, sender); the rest")
    print("is the worker threads running the turns (engine, database, encryption, rendering)")
    print("sys = the part of CPU ms spent in the kernel (system calls, context switches); cs = context switches of the worker")
    print("threads per update (each a wait: for the network, the database or the GIL)")
    print("bot/pg/stand/other = cores busy over the window: the bot, its PostgreSQL backends, the stand-ins with the simulated")
    print("volunteers, and the rest of the machine (> 0 means the run shared its cores)")
    print()
    print(" " * (len(HEADER) + 1) + "÷ echo, same scenario")
    print(HEADER + RATIO_HEADER)
    print("-" * (len(HEADER) + len(RATIO_HEADER)))
    for r in results:
        print(_row(r, echo.get((r.scenario, r.n))))
    print()
    for r in results:
        floor = echo.get((r.scenario, r.n))
        if r.config.startswith("echo") or floor is None:
            continue
        if r.scenario == "saturation":
            verdict = "met" if floor.rate and r.rate >= 0.8 * floor.rate else "NOT met"
            print(f"{r.config}: saturation {r.rate:.1f} updates/s = {r.rate / floor.rate:.2f}× the echo bot's {floor.rate:.1f} (goal ≥ 0.8×: {verdict})")
        if r.scenario == "200/s":
            p99 = r.ms(r.first, .99)
            print(f"{r.config}: p99 {p99:.0f} ms at {r.offered:.0f} updates/s sent ({r.rate:.0f}/s handled; echo bot {floor.ms(floor.first, .99):.0f} ms) "
                  f"(goal ≤ 250 ms at 200/s: {'met' if p99 <= 250 and r.offered >= 190 else 'NOT met'})")
    if any(not r.steady for r in results):
        print("*  = not every conversation had a reply before the window: the bot's backlog was still growing (no steady state;")
        print("     in a closed loop the steady-state latency is about N / throughput - think time).")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_serve-bot":
        return serve_bot(sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "_ceiling-client":
        return ceiling_client(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--only", default="", help="run only configurations whose name contains one of these (comma-separated)")
    parser.add_argument("--scenarios", default="", help='run only these scenarios, e.g. "think 100,saturation 100"')
    parser.add_argument("--scale", type=float, default=1.0, help="multiply warm-up and measurement windows")
    parser.add_argument("--py-spy", type=Path, default=None, help="record a py-spy profile (GIL holder, collapsed stacks) of the bot during each window into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the bots' logs (and SQLite files)")
    args = parser.parse_args()
    import telegram

    cores = os.cpu_count() or 1
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    print(f"machine: {cores} cores ({model}), Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
          f"{platform.system()} {platform.release()}; load average at start {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()

    def on_sigterm(signum: int, _frame: object) -> None:  # unwind, so the bots and databases are cleaned up
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        results = asyncio.run(bench(args))
    finally:
        kill_all_children()
    print_report(results)
    print(f"\ntotal benchmark time: {time.perf_counter() - started:.0f} s; load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

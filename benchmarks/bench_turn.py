"""CPU of one chat turn, in process: ``Conversations.process`` beside the plain SQL a turn cannot do without.

    python benchmarks/bench_turn.py [--forms 3] [--rounds 5] [--threads N] [--skip-postgres] [--profile FILE]

A stable micro-benchmark for a noisy host: no Telegram, no event loop, no threads; CPU time of the calling
thread (``time.thread_time``), product and baseline interleaved round by round, best round reported.
``--threads N`` then fills the forms again with N volunteers at once, one thread each (the bot's worker threads
without its event loop): CPU per typed answer of the thread that ran it, user and system apart, and its context
switches (waits for the network or the GIL), beside the one-thread figure.

- **turn**: enrolled volunteers (pendamping of Kajen) fill Pendataan through ``Conversations.process`` exactly as
  ``benchmarks/bench_bot.py`` types it (``/isi pendataan``, names, option numbers, dates confirmed with "Ya", …,
  "Kirim"), on a database prepared the way an operator does it (``ats-bot db upgrade``, ``ats-bot regions load
  33.26``), SQLite (a file, ``synchronous=FULL``) and PostgreSQL. Reported: CPU µs per **typed answer** (a text
  message that answers the current question: the turn the 50 questions of a form are mostly made of), per
  button press, and per turn of every kind over whole forms (the commands and the sent form included).
- **plain SQL**: what a typed answer needs at the least, through the database driver itself: read the draft
  row, write its state back (a blob of the real sealed state's size), insert the update id, commit.

The ratio turn ÷ plain SQL is the figure to watch: both move together with the host's speed. The PostgreSQL
figures are the bot process's CPU only (the server's own CPU is not counted).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_bot import DATA_KEY, REGION, Step, build_script, cli, fresh_database, personal_value, postgres_server

BOT_ID = 123456
FIRST_UID = 910_000


@dataclass
class Timings:
    typed: list[float] = field(default_factory=list)
    pressed: list[float] = field(default_factory=list)
    other: list[float] = field(default_factory=list)

    @property
    def every(self) -> list[float]:
        return self.typed + self.pressed + self.other


class Volunteer:
    """One person typing the script into ``Conversations.process`` (the phone side of the seam)."""

    def __init__(self, conversations: Any, uid: int, counter: Iterator[int]) -> None:
        self.conversations = conversations
        self.uid = uid
        self.counter = counter
        self.buttons: dict[str, str] = {}
        self.message_id = 0
        self.next_message = 1

    def step(self, step: Step, form: int) -> tuple[str, Any]:
        from bot.model import Incoming, Kind

        update_id = next(self.counter)
        if step.kind == "text":
            text = personal_value(step.personal, step.value, self.uid, form) if step.personal else step.value
            if text.startswith("/"):
                head, _, args = text.partition(" ")
                incoming = Incoming(update_id, self.uid, self.uid, "Relawan", "id", Kind.COMMAND, command=head[1:], text=args)
                kind = "other"
            else:
                incoming = Incoming(update_id, self.uid, self.uid, "Relawan", "id", Kind.TEXT, text=text)
                kind = "typed"
        else:
            data = self.buttons[step.value]
            incoming = Incoming(update_id, self.uid, self.uid, "Relawan", "id", Kind.CALLBACK, data=data, message_id=self.message_id)
            kind = "pressed" if step.value != "Kirim" else "other"
        return kind, incoming

    def shown(self, result: Any) -> None:
        """What the phone shows: the buttons of the last message with buttons, and its id (as the router
        remembers the live keyboard's message)."""
        if result.duplicate or result.outcome.startswith("stale") or result.outcome == "forged-button":
            raise AssertionError(f"the script went off the form: {result.outcome}")
        for reply in result.replies:
            if reply.edit_message_id is not None:
                continue
            message_id, self.next_message = self.next_message, self.next_message + 1
            if reply.buttons:
                self.buttons = {b.text: b.data for row in reply.buttons for b in row if b.data}
                self.message_id = message_id
            if reply.live and result.nonce and result.person_id is not None:
                self.conversations.remember_message(result.person_id, result.nonce, message_id)


def prepare(backend: str, workdir: Path, server: str | None, stack: contextlib.ExitStack, uids: list[int]) -> str:
    from bench_bot import seed_volunteers

    url = stack.enter_context(fresh_database(backend, workdir, server))
    env = {**os.environ, "DATABASE_URL": url, "DATA_KEY": DATA_KEY, "ENVIRONMENT": "development"}
    cli(env, workdir, "db", "upgrade")
    cli(env, workdir, "regions", "load", REGION.rsplit(".", 1)[0])
    seed_volunteers(url, uids)
    return url


def run_forms(conversations: Any, script: list[Step], volunteers: list[Volunteer], form: int, timings: Timings,
              profile: cProfile.Profile | None) -> None:
    """Every volunteer fills one form; each turn's CPU goes to its kind."""
    clock = time.thread_time
    for volunteer in volunteers:
        for step in script:
            kind, incoming = volunteer.step(step, form)
            profiled = profile is not None and kind == "typed"
            if profiled:
                profile.enable()  # type: ignore[union-attr]
            started = clock()
            result = conversations.process(incoming)
            spent = clock() - started
            if profiled:
                profile.disable()  # type: ignore[union-attr]
            getattr(timings, kind).append(spent)
            volunteer.shown(result)


def run_threaded(conversations: Any, script: list[Step], volunteers: list[Volunteer], form: int) -> dict[str, float]:
    """Every volunteer fills one form in a thread of its own, all at once (as the bot's worker threads do);
    the typed answers' CPU of each thread, split into user and system time, and the thread's context switches
    (``RUSAGE_THREAD``: waiting for the network or for the GIL)."""
    import resource
    import threading
    from concurrent.futures import ThreadPoolExecutor

    user: list[float] = []
    system: list[float] = []
    switches: list[int] = []
    start = threading.Barrier(len(volunteers))

    def fill(volunteer: Volunteer) -> None:
        start.wait()
        for step in script:
            kind, incoming = volunteer.step(step, form)
            before = resource.getrusage(resource.RUSAGE_THREAD)
            result = conversations.process(incoming)
            after = resource.getrusage(resource.RUSAGE_THREAD)
            if kind == "typed":
                user.append(after.ru_utime - before.ru_utime)
                system.append(after.ru_stime - before.ru_stime)
                switches.append(after.ru_nvcsw + after.ru_nivcsw - before.ru_nvcsw - before.ru_nivcsw)
            volunteer.shown(result)

    with ThreadPoolExecutor(max_workers=len(volunteers)) as pool:
        for done in [pool.submit(fill, v) for v in volunteers]:
            done.result()  # a failed turn is raised here
    return {"user": statistics.fmean(user) * 1e6, "system": statistics.fmean(system) * 1e6, "switches": statistics.fmean(switches)}


class PlainSQL:
    """The minimal typed answer through the driver: read the draft row, write it back, insert the update id, commit."""

    def __init__(self, url: str, draft_ids: list[int], blob: str) -> None:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            import sqlite3

            self.conn: Any = sqlite3.connect(parsed.database or "", isolation_level=None)
            for pragma in ("busy_timeout = 30000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
            self.mark = "%s"
        self.draft_ids = draft_ids
        self.blob = blob
        self.update_id = 2_000_000_000

    def turn(self, draft_id: int) -> None:
        m, conn = self.mark, self.conn
        self.update_id += 1
        if self.sqlite:
            conn.execute("BEGIN IMMEDIATE")
        cur = conn.cursor()
        cur.execute(f"SELECT state, version FROM instrument_sessions WHERE id = {m}", (draft_id,))
        cur.fetchone()
        cur.execute(f"UPDATE instrument_sessions SET state = {m}, version = version + 1 WHERE id = {m}", (self.blob, draft_id))
        cur.execute(f"INSERT INTO processed_updates (bot_id, update_id, processed_at) VALUES ({m}, {m}, CURRENT_TIMESTAMP)", (BOT_ID, self.update_id))
        conn.commit() if not self.sqlite else conn.execute("COMMIT")

    def run(self, turns: int) -> list[float]:
        clock, out = time.thread_time, []
        for i in range(turns):
            started = clock()
            self.turn(self.draft_ids[i % len(self.draft_ids)])
            out.append(clock() - started)
        return out

    def close(self) -> None:
        self.conn.close()


def draft_rows(db: Any) -> tuple[list[int], str]:
    """Ids of drafts to rewrite, and the stored (sealed) state of the largest as the blob to write."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, state FROM instrument_sessions ORDER BY id")).all()
    blob = max((r[1] if isinstance(r[1], str) else json.dumps(r[1]) for r in rows), key=len)
    return [r[0] for r in rows], blob


def bench_backend(backend: str, url: str, args: argparse.Namespace, script: list[Step], uids: list[int]) -> dict[str, Any]:
    import itertools

    from bot.conversation import Conversations
    from bot.store import BotStore
    from storage.crypto import Keyring
    from storage.db import Database

    db = Database.from_url(url, Keyring(DATA_KEY))
    conversations = Conversations(BotStore(db, BOT_ID))
    counter = itertools.count(1)
    volunteers = [Volunteer(conversations, uid, counter) for uid in uids]
    run_forms(conversations, script, volunteers, 0, Timings(), None)  # warm-up: imports, caches, first statements
    draft_ids, blob = draft_rows(db)
    plain = PlainSQL(url, draft_ids, blob)
    plain.run(50)
    rounds: list[tuple[Timings, list[float]]] = []
    for form in range(1, args.rounds + 1):
        timings = Timings()
        run_forms(conversations, script, volunteers, form, timings, None)
        rounds.append((timings, plain.run(len(timings.typed))))
    plain.close()
    threaded: list[dict[str, float]] = []
    if args.threads > 1:  # the same forms filled by every volunteer at once, one thread each
        for form in range(args.rounds + 1, 2 * args.rounds + 1):
            threaded.append(run_threaded(conversations, script, volunteers[:args.threads], form))
    breakdown: dict[str, float] = {}
    if args.profile:  # one more round, typed answers profiled on thread CPU (slower: not part of the figures above)
        profile = cProfile.Profile(time.thread_time)
        profiled = Timings()
        run_forms(conversations, script, volunteers, 2 * args.rounds + 1, profiled, profile)
        profile.dump_stats(f"{args.profile}.{backend}")
        breakdown = components(profile, len(profiled.typed))
    db.dispose()

    def best(pick: Any) -> float:
        return min(statistics.fmean(pick(t, p)) for t, p in rounds) * 1e6

    return {
        "typed": best(lambda t, p: t.typed), "pressed": best(lambda t, p: t.pressed), "every": best(lambda t, p: t.every),
        "plain": best(lambda t, p: p), "typed_p50": min(statistics.median(t.typed) for t, _ in rounds) * 1e6,
        "turns": sum(len(t.every) for t, _ in rounds), "typed_n": len(rounds[0][0].typed), "breakdown": breakdown,
        "threaded": min(threaded, key=lambda r: r["user"] + r["system"]) if threaded else None,
    }


COMPONENTS = [  # (component, path fragments of the code whose own CPU counts for it), first match wins
    ("engine (flows/, transitions)", ("/flows/", "/transitions/")),
    ("encryption (sealing, AES-GCM)", ("/storage/crypto.py", "/storage/sealing.py", "/cryptography/", "/hazmat/", "base64")),
    ("ORM/SQL (SQLAlchemy, driver)", ("/sqlalchemy/", "sqlite3", "psycopg", "/storage/")),
    ("rendering/i18n (render, texts, babel)", ("/bot/render.py", "/bot/texts.py", "/core/i18n.py", "/babel/", "gettext", "/core/presenting.py")),
    ("JSON", ("/json/", "_json")),
    ("logging", ("/logging/",)),
    ("bot turn and handlers (bot/, cases/, core/)", ("/bot/", "/cases/", "/core/", "/reminders/", "/reports/")),
]


def components(profile: cProfile.Profile, turns: int) -> dict[str, float]:
    """Own CPU (µs per profiled turn) by component, from the code each function belongs to."""
    import pstats

    out: dict[str, float] = {}
    for (filename, _, name), (_, _, own, _, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{name}"
        label = next((c for c, parts in COMPONENTS if any(p in where for p in parts)), "other (stdlib, dataclasses, …)")
        out[label] = out.get(label, 0.0) + own / max(1, turns) * 1e6
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=4, help="people filling forms one after another (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (each: every volunteer fills one form, then the plain SQL as many turns); the best is reported")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--threads", type=int, default=1,
                        help="also fill the forms in N threads at once (N volunteers, one thread each) and report their CPU per typed answer")
    parser.add_argument("--profile", default="", help="write cProfile statistics of the measured turns to FILE.<backend>")
    args = parser.parse_args()
    if args.volunteers < 1 or args.rounds < 1 or args.threads < 1:
        parser.error("--volunteers, --rounds and --threads must be at least 1")
    args.volunteers = max(args.volunteers, args.threads)
    script = build_script()
    uids = [FIRST_UID + i for i in range(args.volunteers)]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-turn-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        server = None if args.skip_postgres else stack.enter_context(postgres_server())
        for backend in ["sqlite"] + ([] if args.skip_postgres else ["postgresql"]):
            url = prepare(backend, workdir, server, stack, uids)
            results[backend] = bench_backend(backend, url, args, script, uids)
    print(f"CPU per turn (µs, thread CPU, best of {args.rounds} rounds; {args.volunteers} volunteers × {len(script)} turns per form)")
    print(f"{'database':<11} {'typed answer':>13} {'p50':>7} {'press':>8} {'any turn':>9} {'plain SQL':>10} {'typed ÷ plain':>14}")
    for backend, r in results.items():
        print(f"{backend:<11} {r['typed']:>13.0f} {r['typed_p50']:>7.0f} {r['pressed']:>8.0f} {r['every']:>9.0f} {r['plain']:>10.0f} {r['typed'] / r['plain']:>13.1f}×")
    if args.threads > 1:
        print(f"\n{args.threads} threads at once (one volunteer each), typed answer: CPU of its thread (µs, user + system, best of {args.rounds} rounds)")
        for backend, r in results.items():
            t = r["threaded"]
            print(f"{backend:<11} {t['user'] + t['system']:>6.0f} = {t['user']:.0f} user + {t['system']:.0f} system, "
                  f"{t['switches']:.1f} context switches   (one thread: {r['typed']:.0f})")
    for backend, r in results.items():
        if r["breakdown"]:
            total = sum(r["breakdown"].values())
            print(f"\n{backend}: own CPU per typed answer under cProfile (µs; profiling inflates the total: {total:.0f})")
            for label, us in r["breakdown"].items():
                print(f"  {label:<46} {us:>7.0f}  {us / total:>4.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

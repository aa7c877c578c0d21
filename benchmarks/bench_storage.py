"""Storage benchmark: answers written per second, and disk used per 10,000 children.

    python benchmarks/bench_storage.py [--children 10000] [--skip-postgres]

An "answer" is what the bot does when a person answers a question: one ``save_state`` transaction that
replaces the draft's JSON state (growing to ~70 answers, as in Pendataan). 1, 10 and 100 conversations run
in as many threads against the default engine settings (so 100 conversations share the connection pool,
as in the bot). The size test submits full synthetic Pendataan responses through ``cases.opening.submit_form`` (form and case).

PostgreSQL comes from TEST_POSTGRES_URL or is started with scripts/pg-test-server.sh; the benchmark
creates and drops a database of its own on that server.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cases.opening import submit_form
from storage.crypto import NikCipher
from storage.db import Database, sqlite_path
from storage.models import Sex
from storage.regions import load_regions
from storage.repositories.children import ChildIdentity
from storage.repositories.drafts import create_draft, save_state
from storage.repositories.people import get_or_create_person
from storage.repositories.responses import Submission
from storage.schema_state import upgrade
from storage.uow import unit_of_work

KABUPATEN = "33.26"
ANSWERS_PER_FORM = 70
CONVERSATIONS = (1, 10, 100)
QUESTION_IDS = [
    f"{section}.{n}" for section, count in ((1, 18), (2, 14), (3, 14), (4, 24)) for n in range(1, count + 1)
]
WORDS = ("anak", "sekolah", "ingin", "kembali", "belajar", "paket", "rumah", "sawah", "bekerja", "membantu", "jauh")


@dataclass(frozen=True)
class Throughput:
    backend: str
    conversations: int
    answers: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.answers / self.seconds


@dataclass(frozen=True)
class Size:
    backend: str
    children: int
    empty_bytes: int
    full_bytes: int

    @property
    def per_10k(self) -> float:
        return (self.full_bytes - self.empty_bytes) * 10_000 / self.children


def synthetic_answer(rng: random.Random, question: str) -> Any:
    kind = sum(map(ord, question)) % 5  # the same question always gets the same kind of answer
    if kind == 0:
        return str(rng.randint(1, 9))
    if kind == 1:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
    if kind == 2:
        return (date(2008, 1, 1) + timedelta(days=rng.randint(0, 3650))).isoformat()
    if kind == 3:
        return sorted(rng.sample(range(1, 10), rng.randint(1, 3)))
    return rng.randint(0, 20)


def pendataan_answers(rng: random.Random) -> dict[str, Any]:
    return {q: synthetic_answer(rng, q) for q in QUESTION_IDS[:ANSWERS_PER_FORM]}


def throughput(db: Database, backend: str, person_id: int, conversations: int, answers_each: int) -> Throughput:
    drafts = [create_draft(db, person_id, "pendataan", 1).id for _ in range(conversations)]
    latencies: list[list[float]] = [[] for _ in range(conversations)]
    barrier = threading.Barrier(conversations)

    def conversation(i: int) -> None:
        rng = random.Random(i)
        state: dict[str, Any] = {"answers": {}, "current": None, "history": []}
        barrier.wait()
        for n in range(answers_each):
            question = QUESTION_IDS[n % ANSWERS_PER_FORM]
            state["answers"][question] = synthetic_answer(rng, question)
            state["history"].append(question)
            state["current"] = QUESTION_IDS[(n + 1) % ANSWERS_PER_FORM]
            started = time.perf_counter()
            save_state(db, drafts[i], state, n + 1, current_question=state["current"])
            latencies[i].append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(conversations) as pool:
        list(pool.map(conversation, range(conversations)))
    seconds = time.perf_counter() - started
    flat = [latency for per_thread in latencies for latency in per_thread]
    return Throughput(backend, conversations, len(flat), seconds, flat)


def fill_children(db: Database, person_id: int, desa: list[str], children: int) -> None:
    """``children`` Pendataan submissions, each from a draft holding the full state, in 10 threads."""

    def submit(i: int) -> None:
        rng = random.Random(1_000_000 + i)
        region = rng.choice(desa)
        answers = pendataan_answers(rng)
        identity = ChildIdentity(
            name=f"Anak {i} {rng.choice(WORDS).title()}",
            region_code=region,
            nik=f"3326{rng.randint(0, 10**12 - 1):012d}" if rng.random() < 0.7 else None,
            sex=rng.choice([Sex.L, Sex.P]),
            birth_place="Pekalongan",
            birth_date=date(2007, 1, 1) + timedelta(days=rng.randint(0, 4000)),
            address=f"Dukuh {rng.choice(WORDS).title()} No. {rng.randint(1, 200)}",
            rt=f"{rng.randint(1, 12):03d}",
            rw=f"{rng.randint(1, 6):03d}",
        )
        draft = create_draft(db, person_id, "pendataan", 1, state={"answers": answers, "history": list(answers)})
        with unit_of_work(db) as uow:  # the form and the case that follows the child, as the bot stores them
            submit_form(uow, Submission(
                "pendataan",
                1,
                answers,
                person_id,
                region,
                draft_id=draft.id,
                child=identity,
                location={"lat": -7.0 - rng.random(), "lon": 109.5 + rng.random()},
            ))

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(submit, range(children)))


def database_bytes(db: Database, url: str) -> int:
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = sqlite_path(url)
        assert path is not None
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with db.engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def open_database(url: str) -> tuple[Database, int]:
    """A migrated database holding the kabupaten's regions, and the id of one volunteer."""
    upgrade(url)
    db = Database.from_url(url, NikCipher("benchmark-key"))
    with db.write() as session:
        load_regions(session, KABUPATEN)
    return db, get_or_create_person(db, 1, chat_id=1, display_name="Benchmark").id


def measure_throughput(backend: str, url: str, answers_total: int) -> list[Throughput]:
    db, person_id = open_database(url)
    try:
        results = []
        for conversations in CONVERSATIONS:
            answers_each = max(ANSWERS_PER_FORM // 3, answers_total // conversations)
            result = throughput(db, backend, person_id, conversations, answers_each)
            print(f"  {backend}: {conversations:>3} conversations: {result.per_second:8.0f} answers/s", flush=True)
            results.append(result)
        return results
    finally:
        db.dispose()


def measure_size(backend: str, url: str, children: int) -> Size:
    """Growth of a fresh database (schema + regions) when ``children`` Pendataan responses are submitted."""
    db, person_id = open_database(url)
    try:
        empty = database_bytes(db, url)
        started = time.perf_counter()
        fill_children(db, person_id, _desa_codes(db), children)
        print(f"  {backend}: {children} children submitted in {time.perf_counter() - started:.0f} s", flush=True)
        return Size(backend, children, empty, database_bytes(db, url))
    finally:
        db.dispose()


def _desa_codes(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(text("SELECT code FROM regions WHERE level = 'desa' ORDER BY code")))


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ats-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    server = (
        os.environ.get("TEST_POSTGRES_URL")
        or subprocess.run(
            [ROOT / "scripts" / "pg-test-server.sh", "start"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    name = f"ats_bench_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(server).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def print_report(throughputs: list[Throughput], sizes: list[Size]) -> None:
    print()
    print("Answers written per second (one save_state transaction per answer, durable commit)")
    print(
        f"{'backend':<11}{'conversations':>14}{'answers':>9}{'seconds':>9}{'answers/s':>11}{'p50 ms':>9}{'p95 ms':>9}"
    )
    for t in throughputs:
        quantiles = statistics.quantiles(t.latencies_ms, n=20)
        print(
            f"{t.backend:<11}{t.conversations:>14}{t.answers:>9}{t.seconds:>9.2f}{t.per_second:>11.0f}"
            f"{statistics.median(t.latencies_ms):>9.1f}{quantiles[18]:>9.1f}"
        )
    print()
    print(f"Disk size per 10,000 children with full Pendataan responses (~{ANSWERS_PER_FORM} answers each,")
    print("plus the submitted draft, child record, case and audit entry)")
    print(f"{'backend':<11}{'children':>9}{'before':>11}{'after':>12}{'per 10,000 children':>22}")
    for s in sizes:
        print(
            f"{s.backend:<11}{s.children:>9}{s.empty_bytes / 2**20:>9.1f}MB{s.full_bytes / 2**20:>10.1f}MB"
            f"{s.per_10k / 2**20:>20.1f}MB"
        )
    print("(before = schema + regions of one kabupaten; SQLite: file + WAL after a checkpoint;")
    print(" PostgreSQL: pg_database_size)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=10_000, help="children for the size test (default 10000)")
    parser.add_argument("--answers", type=int, default=2_000, help="answers per throughput run (default 2000)")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    backends = [("sqlite", sqlite_database)] + ([] if args.skip_postgres else [("postgresql", postgres_database)])
    throughputs: list[Throughput] = []
    sizes: list[Size] = []
    for backend, database in backends:
        with database() as url:
            throughputs += measure_throughput(backend, url, args.answers)
        with database() as url:
            sizes.append(measure_size(backend, url, args.children))
    print_report(throughputs, sizes)


if __name__ == "__main__":
    main()

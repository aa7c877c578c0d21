"""Encryption-at-rest benchmark: what sealing costs per answer, and how fast ``keys rotate`` re-encrypts.

    python benchmarks/bench_crypto.py [--rows 5000] [--postgres]

Printed side by side with its baseline in the same run:
- sealing a draft state of 70 answers (what every answer saves) against serializing it as plain JSON, and a
  Pendataan response's answers (only declared personal answers sealed) against plain JSON;
- ``save_state`` transactions per second with the sealed column against the same statement writing plain JSON;
- rotation: rows re-encrypted per second against a pass that only scans (nothing left to re-encrypt).
PostgreSQL (``--postgres``) comes from TEST_POSTGRES_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg
from sqlalchemy import type_coerce, update
from sqlalchemy.engine import make_url

from storage.crypto import Keyring
from storage.db import Database
from storage.keyring_check import register_current_key
from storage.models import InstrumentSession
from storage.regions import load_regions
from storage.repositories.drafts import create_draft, save_state
from storage.repositories.people import get_or_create_person
from storage.repositories.responses import Submission, submit_response
from storage.rotation import rotate
from storage.schema_state import upgrade
from storage.sealing import open_answers, seal_answers
from storage.types import JSONType, utcnow

KEY_A, KEY_B = "bench-key-A-0123456789abcdefghijklmnop", "bench-key-B-0123456789abcdefghijklmnop"
ANSWERS = {f"{s}.{n}": f"jawaban {s}.{n} anak sekolah" for s in range(1, 5) for n in range(1, 18)} | {"1.2.nik": "3326014501120003"}
STATE: dict[str, Any] = {"answers": ANSWERS, "cursor": None, "pending": None, "confirmed": []}


def per_call(fn: Callable[[], Any], n: int = 5000) -> float:
    """Microseconds per call (best of three runs)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - started) / n * 1e6)
    return best


def costs() -> None:
    ring = Keyring(KEY_A)
    sealed_state, sealed_answers = ring.seal(STATE), seal_answers(ANSWERS, ring)
    plain = lambda: json.dumps(STATE)
    print("cost per call (µs)                       baseline (plain JSON)   encrypted")
    print(f"  draft state, 70 answers: write          {per_call(plain):8.1f}            {per_call(lambda: json.dumps(ring.seal(STATE))):8.1f}")
    print(f"  draft state, 70 answers: read           {per_call(lambda: json.loads(json.dumps(STATE))):8.1f}            "
          f"{per_call(lambda: ring.open(sealed_state)):8.1f}")
    print(f"  response answers (1 personal): write    {per_call(lambda: json.dumps(ANSWERS)):8.1f}            "
          f"{per_call(lambda: json.dumps(seal_answers(ANSWERS, ring))):8.1f}")
    print(f"  response answers (1 personal): read     {per_call(lambda: json.loads(json.dumps(ANSWERS))):8.1f}            "
          f"{per_call(lambda: open_answers(sealed_answers, ring)):8.1f}")


def answers_per_second(db: Database, person: int, n: int, *, sealed: bool) -> float:
    draft = create_draft(db, person, "pendataan", 1).id
    version, started = 1, time.perf_counter()
    for step in range(n):
        state = {**STATE, "step": step}
        if sealed:
            version = save_state(db, draft, state, version)
        else:  # the same statement, the state written as plain JSON
            with db.write() as session:
                session.execute(update(InstrumentSession).where(InstrumentSession.id == draft)
                                .values(state=type_coerce(state, JSONType), version=InstrumentSession.version + 1, updated_at=utcnow()))
    return n / (time.perf_counter() - started)


def rotation(db: Database, person: int, rows: int) -> None:
    started = time.perf_counter()
    for i in range(rows):
        nik = f"33260145{i:08d}"
        submit_response(db, Submission("pendataan", 1, {**ANSWERS, "1.2.nik": nik}, person, "33.26.01.2001"))
    print(f"  wrote {rows:,} responses in {time.perf_counter() - started:.1f} s")
    db_b = Database(db.engine, Keyring([KEY_B, KEY_A]))
    register_current_key(db_b)
    first = rotate(db_b, batch=200)
    again = rotate(db_b, batch=200)
    print("rotation (rows/s)                        baseline (scan only)    re-encrypt")
    print(f"  {first.rows_scanned:,} rows, {first.rows_rewritten:,} rewritten     "
          f"{again.rows_scanned / again.seconds:10,.0f}            {first.rows_scanned / first.seconds:10,.0f}")


def run(url: str, rows: int) -> None:
    upgrade(url)
    db = Database.from_url(url, Keyring(KEY_A))
    with db.write() as session:
        load_regions(session, "33.26")
    register_current_key(db)
    person = get_or_create_person(db, 1, chat_id=1, display_name="Bench").id
    plain, sealed = answers_per_second(db, person, 500, sealed=False), answers_per_second(db, person, 500, sealed=True)
    print("save_state, 1 conversation (answers/s)   baseline (plain JSON)   encrypted")
    print(f"  {make_url(url).get_backend_name():<38} {plain:8.0f}            {sealed:8.0f}")
    rotation(db, person, rows)
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    costs()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.rows)
    if args.postgres:
        server = os.environ["TEST_POSTGRES_URL"]
        name = f"bench_crypto_{uuid.uuid4().hex[:6]}"
        admin = make_url(server).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            run(make_url(server).set(database=name).render_as_string(hide_password=False), args.rows)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

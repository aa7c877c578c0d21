"""Reminders benchmark over 1,000,000 cases: claiming a sweep's due rows (product and plain SQL side by side),
the materialisation and the daily reconciliation, one whole sweep, and peak memory.

    python benchmarks/bench_reminders.py [--cases 1000000] [--url postgresql+psycopg://...] [--keep]

Seeds a district-sized synthetic database on PostgreSQL (COPY, foreign keys off while loading): 1,000,000
children and cases with a realistic mix of statuses, two status events per case, an active pendamping for every
case being accompanied or monitored, visits, monitoring forms, 20,000 pendamping (1 % unreachable) and the
desa/kecamatan/kabupaten teams in WIB, WITA and WIT; every reminder a bot running until Monday 23 Nov 2026
17:00 WIB would have sent (the rules' own output, recorded as sent) and each open case's next check
(``case_reminder_due``) as that bot left it. The clock is Tue 24 Nov 2026 09:00 WIB: what came due since Monday
evening is due now. Then, each phase in a fresh child process (so its peak RSS is its own):

1. ``reconcile``: the daily set-based reconciliation of the next checks (a few statements, no loop over cases);
2. ``materialise``: the rules over the cases whose next check is due (an index range), inserting what is due
   (the job does this every 10 minutes); a second pass right after it (nothing due any more);
3. ``claim``: claiming one sweep's due rows (``max_per_sweep`` = 700): the product's ``claim`` (one
   ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`` and one joined read of what the
   messages need) against the plain-SQL baseline (one statement: the same UPDATE in a CTE joined with the
   data to render, through psycopg), alternately, median of 15 each;
4. ``sweep``: ``deliver_due`` with a bot that sends nothing, no rate limit: claims and renders every due row.

Peak memory is the child process's peak RSS (the interpreter and libraries are about 90 MB of it); the sweep is
run a second time on the same rows under tracemalloc for the Python heap's peak (``--tracemalloc`` does the same
for the materialisation, which tracemalloc slows down about six times). PostgreSQL comes from ``--url``, ``TEST_POSTGRES_URL`` or ``scripts/pg-test-server.sh``; the
benchmark creates and drops a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg
from sqlalchemy.engine import make_url

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # Tue 24 Nov 2026, 09:00 WIB / 10:00 WITA / 11:00 WIT
PREVIOUS_EVENING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # Mon 23 Nov 17:00 WIB: the bot ran until then
STATUSES = [  # (status, share): found, being accompanied, back in school, closed
    ("proposed", 3), ("recorded", 3), ("verified", 4), ("not_valid", 5), ("accompanied", 15), ("willing", 8),
    ("undecided", 3), ("not_willing", 2), ("school_chosen", 5), ("back_in_school", 12), ("monitored", 20),
    ("graduated", 12), ("dropped_out_again", 3), ("moved_away", 3), ("aged_out", 2),
]
BEFORE = {"accompanied", "willing", "undecided", "not_willing", "school_chosen"}
AFTER = {"back_in_school", "monitored"}
ZONES = [("33.26", "Kabupaten Pekalongan", "Asia/Jakarta", 19, 20), ("73.71", "Kota Makassar", "Asia/Makassar", 5, 10),
         ("91.71", "Kota Jayapura", "Asia/Jayapura", 3, 10)]
PENDAMPING = 20_000


def _pg(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _server_url(cli_url: str | None) -> str:
    if cli_url:
        return cli_url
    if os.environ.get("TEST_POSTGRES_URL"):
        return os.environ["TEST_POSTGRES_URL"]
    return subprocess.run([str(ROOT / "scripts" / "pg-test-server.sh"), "start"], check=True, capture_output=True, text=True).stdout.strip()


# -- seeding ------------------------------------------------------------------------------------------------------
def seed(url: str, cases: int, rng: random.Random) -> dict[str, int]:
    from reminders import rules
    from reminders.rules import CaseSnapshot, Existing, Recipient
    from reminders.schedule import new_token
    from reminders.settings import ReminderSettings

    counts: dict[str, int] = {}
    with psycopg.connect(_pg(url)) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
        desas: list[tuple[str, str]] = []
        with conn.cursor().copy("COPY regions (code, level, kind, name, parent_code, timezone) FROM STDIN") as copy:
            for kab, name, tz, kecs, per_kec in ZONES:
                copy.write_row((kab, "kabupaten", "kabupaten", name, None, tz))
                for k in range(1, kecs + 1):
                    kec = f"{kab}.{k:02d}"
                    copy.write_row((kec, "kecamatan", "kecamatan", f"Kecamatan {kec}", kab, tz))
                    for n in range(1, per_kec + 1):
                        desa = f"{kec}.{2000 + n}"
                        copy.write_row((desa, "desa", "desa", f"Desa {desa}", kec, tz))
                        desas.append((desa, tz))
        counts["desa"] = len(desas)
        created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        people: list[tuple[int, str, str]] = []  # id, role, region
        unreachable_ids: list[int] = []
        with conn.cursor().copy(
            "COPY people (id, telegram_user_id, telegram_chat_id, display_name, role, region_code, language, unreachable, created_at, updated_at) FROM STDIN"
        ) as copy:
            pid = 0

            def person(role: str, region: str, unreachable: bool = False) -> None:
                nonlocal pid
                pid += 1
                copy.write_row((pid, 10_000_000 + pid, 10_000_000 + pid, f"Orang {pid}", role, region, "id", unreachable, created, created))
                people.append((pid, role, region))

            for desa, _ in desas:
                person("tim_desa", desa)
            for kab, _, _, kecs, _ in ZONES:
                person("tim_kabupaten", kab)
                for k in range(1, kecs + 1):
                    person("tim_kecamatan", f"{kab}.{k:02d}")
            for _ in range(PENDAMPING):
                gone = rng.random() < 0.01
                person("pendamping", rng.choice(desas)[0], gone)
                if gone:
                    unreachable_ids.append(pid)
        pendamping_by_desa: dict[str, list[int]] = {}
        for p, role, region in people:
            if role == "pendamping":
                pendamping_by_desa.setdefault(region, []).append(p)
        all_pendamping = [p for p, role, _ in people if role == "pendamping"]
        counts["people"] = len(people)
        conn.execute("SELECT setval(pg_get_serial_sequence('people', 'id'), %s)", (len(people),))

        statuses = [s for s, share in STATUSES for _ in range(share)]
        plan: list[tuple[int, str, str, dt.datetime]] = []
        with conn.cursor().copy("COPY children (id, name, name_normalized, region_code, created_at, updated_at) FROM STDIN") as copy:
            for cid in range(1, cases + 1):
                desa, _ = desas[cid % len(desas)]
                copy.write_row((cid, f"Anak {cid}", f"anak {cid}", desa, created, created))
                since = NOW - dt.timedelta(days=rng.randint(3, 160), hours=rng.randint(0, 23))
                plan.append((cid, rng.choice(statuses), desa, since))
        with conn.cursor().copy("COPY cases (id, reference, child_id, status, region_code, created_at, updated_at) FROM STDIN") as copy:
            for cid, status, desa, since in plan:
                copy.write_row((cid, f"B-{cid:07d}", cid, status, desa, created, since))
        with conn.cursor().copy("COPY case_events (case_id, from_status, to_status, at, event) FROM STDIN") as copy:
            for cid, status, _, since in plan:
                copy.write_row((cid, None, "recorded", since - dt.timedelta(days=60), None))
                copy.write_row((cid, "recorded", status, since, "bench"))
        open_cases = [(cid, status, desa, since) for cid, status, desa, since in plan if status in BEFORE | AFTER]
        zone_of = dict(desas)
        unreachable = {p for p, role, _ in people if role == "pendamping"} & set(unreachable_ids)
        region_of = {p: region for p, _, region in people}
        team = {region: Recipient(p, zone_of.get(region, "Asia/Jakarta")) for p, role, region in people if role == "tim_desa"}
        assigned: dict[int, int] = {}
        with conn.cursor().copy("COPY assignments (case_id, pendamping_id, active, valid_from) FROM STDIN") as copy:
            for cid, _, desa, since in open_cases:
                assigned[cid] = rng.choice(pendamping_by_desa.get(desa) or all_pendamping)
                copy.write_row((cid, assigned[cid], True, since))
        counts["open_cases"] = len(open_cases)
        visits = responses = history = 0
        last_visit: dict[int, dt.date] = {}
        last_form: dict[int, dt.datetime] = {}
        with conn.cursor().copy("COPY visits (case_id, pendamping_id, visit_date, created_at) FROM STDIN") as copy:
            for cid, status, _, since in open_cases:
                if status in BEFORE and rng.random() < 0.4:
                    day = max((NOW - dt.timedelta(days=rng.randint(1, 90))).date(), since.date())
                    copy.write_row((cid, assigned[cid], day, dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)))
                    last_visit[cid] = day
                    visits += 1
        with conn.cursor().copy(
            "COPY responses (reference, instrument, instrument_version, answers, case_id, submitted_by, submitted_at, region_code) FROM STDIN"
        ) as copy:
            for cid, status, desa, since in open_cases:
                if status in AFTER and rng.random() < 0.5:
                    at = max(since, NOW - dt.timedelta(days=rng.randint(1, 45)))
                    copy.write_row((f"M-{cid:07d}", "monitoring", 1, "{}", cid, assigned[cid], at, desa))
                    last_form[cid] = at
                    responses += 1
        # What a bot running until Monday evening has sent: the rules' own output, each row sent when it was due;
        # and each case's next check as that bot left it.
        settings = ReminderSettings(_env_file=None)
        checks: list[tuple[int, dt.datetime]] = []
        with conn.cursor().copy(
            "COPY reminders (kind, case_id, person_id, region_code, period, due_at, state, attempts, claimed_by, claimed_at, sent_at, "
            "token, timezone, subject_person_id, detail, snoozes, created_at, updated_at) FROM STDIN"
        ) as copy:
            for cid, status, desa, since in open_cases:
                tz = zone_of[desa]
                p = assigned[cid]
                snapshot = CaseSnapshot(cid, status, desa, tz, since, last_visit.get(cid), last_form.get(cid),
                                        Recipient(p, zone_of.get(region_of[p], tz), p not in unreachable), (team[desa],))
                stored: list[Existing] = []
                for _ in range(4):  # the first reminder, its follow-up, the escalation
                    dues = [d for d in rules.case_reminders(snapshot, settings, PREVIOUS_EVENING, stored)
                            if (d.kind, d.person_id, d.period) not in {(e.kind, e.person_id, e.period) for e in stored}]
                    if not dues:
                        break
                    for d in dues:
                        stored.append(Existing(str(d.kind), d.person_id, d.period, "sent", d.due_at))
                        copy.write_row((str(d.kind), cid, d.person_id, desa, d.period, d.due_at, "sent", 1, "history", d.due_at, d.due_at,
                                        new_token(), d.timezone, d.subject_person_id, json.dumps(dict(d.detail)), 0, d.due_at, d.due_at))
                        history += 1
                check = rules.next_check(snapshot, settings, PREVIOUS_EVENING, PREVIOUS_EVENING, stored)
                if check is not None:
                    checks.append((cid, check))
        with conn.cursor().copy("COPY case_reminder_due (case_id, due_at, updated_at) FROM STDIN") as copy:
            for cid, check in checks:
                copy.write_row((cid, check, PREVIOUS_EVENING))
        counts["checks_due_now"] = sum(1 for _, check in checks if check <= NOW)
        counts.update(visits=visits, responses=responses, reminders_history=history, cases=cases)
        for table in ("children", "cases", "case_events", "assignments", "visits", "responses", "reminders"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
        conn.execute("SET session_replication_role = origin")
        conn.commit()
    with psycopg.connect(_pg(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts


# -- phases (each in a child process) ------------------------------------------------------------------------------
class NullBot:
    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        return SimpleNamespace(message_id=1)


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


BASELINE_CLAIM = """
WITH due AS MATERIALIZED (SELECT id FROM reminders WHERE state IN ('pending', 'snoozed') AND due_at <= %(now)s
                          AND timezone = ANY(%(zones)s) ORDER BY due_at, id LIMIT %(n)s FOR UPDATE SKIP LOCKED),
claimed AS (
  UPDATE reminders SET state = 'sent', claimed_by = %(by)s, claimed_at = %(now)s, sent_at = %(now)s,
         attempts = attempts + 1, updated_at = %(now)s
  FROM due WHERE reminders.id = due.id
  RETURNING reminders.*)
SELECT c.id, c.kind, c.token, c.period, c.detail, p.telegram_chat_id, p.language, ch.name, v.name, s.display_name, a.name
FROM claimed c JOIN people p ON p.id = c.person_id
LEFT JOIN cases k ON k.id = c.case_id LEFT JOIN children ch ON ch.id = k.child_id LEFT JOIN regions v ON v.code = k.region_code
LEFT JOIN people s ON s.id = c.subject_person_id LEFT JOIN regions a ON a.code = c.region_code
"""
ZONES_ALL = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
CLAIM_RUNS = 15


def run_phase(url: str, phase: str, trace: bool) -> dict[str, Any]:
    from reminders.next_due import reconcile
    from reminders.schedule import materialise
    from reminders.settings import ReminderSettings
    from reminders.sweep import claim, deliver_due
    from storage.db import Database

    db = Database.from_url(url)
    settings = ReminderSettings(_env_file=None, max_per_second=1e9, per_chat_seconds=0, max_per_sweep=10**9)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result: dict[str, Any] = {"phase": phase, "tracemalloc": trace}
    if phase == "reconcile":
        result.update(reconcile(db, NOW).__dict__)
    elif phase == "materialise":
        report = materialise(db, settings, NOW)
        result.update(report.as_dict())
        again = materialise(db, settings, NOW)
        result.update(again_seconds=round(again.seconds, 3), again_cases_seen=again.cases_seen)
    elif phase == "sweep":
        swept = asyncio.run(deliver_due(NullBot(), db, settings, NOW, claimed_by="bench-sweep"))  # type: ignore[arg-type]
        result.update(claimed=swept.claimed, sent=swept.sent, skipped=swept.skipped)
    elif phase == "claim":
        product, baseline = [], []
        with psycopg.connect(_pg(url)) as plain:
            (due,) = plain.execute("SELECT count(*) FROM reminders WHERE state = 'pending' AND due_at <= %s", (NOW,)).fetchone() or (0,)
            plain.rollback()
            per_sweep = min(ReminderSettings(_env_file=None).max_per_sweep, max(1, due // (2 * CLAIM_RUNS)))  # small runs: less
            for _ in range(CLAIM_RUNS):
                t = time.perf_counter()
                batch = claim(db, NOW, ZONES_ALL, per_sweep, "bench-claim")
                product.append(time.perf_counter() - t)
                assert len(batch) == per_sweep, len(batch)
                t = time.perf_counter()
                rows = plain.execute(BASELINE_CLAIM, {"by": "bench-plain", "now": NOW, "zones": ZONES_ALL, "n": per_sweep}).fetchall()
                plain.commit()
                baseline.append(time.perf_counter() - t)
                assert len(rows) == per_sweep, len(rows)
        result.update(rows=per_sweep, runs=CLAIM_RUNS, product_ms=round(statistics.median(product) * 1000, 1),
                      baseline_ms=round(statistics.median(baseline) * 1000, 1),
                      product_max_ms=round(max(product) * 1000, 1), baseline_max_ms=round(max(baseline) * 1000, 1))
    result["seconds"] = round(time.perf_counter() - started, 2)
    if trace:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    result["peak_rss_mb"] = _peak_rss_mb()
    db.dispose()
    return result


def child(url: str, phase: str, trace: bool) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--url", url, *(["--trace"] if trace else [])],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def reset(url: str, phase: str) -> None:
    """Undo a phase so the next run does the same work."""
    with psycopg.connect(_pg(url), autocommit=True) as conn:
        if phase == "materialise":
            conn.execute("DELETE FROM reminders WHERE claimed_by IS NULL AND state = 'pending'")
            conn.execute("DELETE FROM case_reminder_due")
            conn.execute("INSERT INTO case_reminder_due SELECT * FROM bench_checks")
        elif phase in ("sweep", "claim"):
            conn.execute("UPDATE reminders SET state = 'pending', claimed_by = NULL, claimed_at = NULL, sent_at = NULL, attempts = 0 "
                         "WHERE claimed_by LIKE 'bench-%'")
        conn.execute("VACUUM ANALYZE reminders")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="a PostgreSQL server (the benchmark makes its own database on it)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--tracemalloc", action="store_true", help="also run the materialisation under tracemalloc (slow)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.url, args.phase, args.trace)))
        return 0

    from storage.schema_state import upgrade

    server = _server_url(args.url)
    name = f"ats_bench_reminders_{uuid.uuid4().hex[:6]}"
    admin = make_url(server).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    total = time.perf_counter()
    try:
        upgrade(url)
        t = time.perf_counter()
        counts = seed(url, args.cases, random.Random(args.seed))
        print(f"seeded in {time.perf_counter() - t:.0f}s: {json.dumps(counts)}", flush=True)
        with psycopg.connect(_pg(url), autocommit=True) as conn:  # the checks as seeded, to run a pass again
            conn.execute("CREATE TABLE bench_checks AS SELECT * FROM case_reminder_due")
        results = {}
        for phase in ("reconcile", "materialise", "claim", "sweep"):
            timed = child(url, phase, False)
            if phase == "sweep" or (phase == "materialise" and args.tracemalloc):
                reset(url, phase)  # the same work again, under tracemalloc (several times slower: timed apart)
                traced = child(url, phase, True)
                timed["tracemalloc_peak_mb"] = traced["tracemalloc_peak_mb"]
                timed["seconds_with_tracemalloc"] = traced["seconds"]
            if phase in ("claim", "sweep"):
                reset(url, phase)  # materialised rows stay: the claims and the sweep take them
            results[phase] = timed
            print(json.dumps(timed), flush=True)
        with psycopg.connect(_pg(url), autocommit=True) as conn:
            (due,) = conn.execute("SELECT count(*) FROM reminders WHERE state = 'pending' AND due_at <= %s", (NOW,)).fetchone() or (0,)
        r, m, c, w = results["reconcile"], results["materialise"], results["claim"], results["sweep"]
        print()
        print(f"{args.cases:,} cases ({counts['open_cases']:,} open, {counts['checks_due_now']:,} next checks due), PostgreSQL, "
              f"clock Tue 24 Nov 2026 09:00 WIB, {due:,} reminders due")
        print(f"  claim one sweep's due rows ({c['rows']} rows, median of {c['runs']}): product {c['product_ms']} ms "
              f"(max {c['product_max_ms']}), plain SQL one statement {c['baseline_ms']} ms (max {c['baseline_max_ms']}), "
              f"ratio {c['product_ms'] / max(c['baseline_ms'], 1e-9):.2f}x")
        print(f"  reconciliation (daily, set-based): {r['seconds']:.2f} s (added {r['added']}, brought forward {r['touched']}, "
              f"removed {r['removed']}, cancelled {r['cancelled']})")
        print(f"  materialise (cases whose check is due): {m['seconds']:.2f} s, {m['cases_seen']:,} cases looked at, "
              f"{m['inserted']:,} rows inserted, peak RSS {m['peak_rss_mb']:.0f} MB; the pass right after: "
              f"{m['again_seconds']:.3f} s, {m['again_cases_seen']} cases")
        print(f"  sweep (claim and render every due row, null bot): {w['seconds']:.1f} s for {w['claimed']:,} rows "
              f"({w['claimed'] / max(w['seconds'], 1e-9):,.0f} rows/s), peak RSS {w['peak_rss_mb']:.0f} MB, "
              f"tracemalloc peak {w['tracemalloc_peak_mb']:.1f} MB")
        print(f"total {time.perf_counter() - total:.0f}s")
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

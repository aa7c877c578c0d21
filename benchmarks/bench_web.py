"""Dashboard benchmark on PostgreSQL: the kabupaten overview over 5,000 cases (goal ≤ 300 ms server time) and,
with ``--national N``, the national overview over N cases (goal ≤ 1 s at 4,000,000).

    python benchmarks/bench_web.py [--kabupaten 5000] [--national 0] [--repeat 5] [--keep]

The data is ``benchmarks/bench_reports.py``'s (generated inside PostgreSQL, then the product's recap summary backfill). Server time is measured in process
through the ASGI application (Starlette's test client: routing, session lookup, the recap, the early warning,
the template), so network and browser time are left out. Printed side by side, medians of ``--repeat`` runs
after a warm-up:

* ``GET /ringkasan``: the whole overview page;
* baseline ``recap_data``: the report call the page is built on (every figure, pupils at risk included, from the
  recap summary), called directly;
* baseline ``bare Starlette``: a route answering a constant page, the framework's own floor.

``--national-db NAME`` reuses the national database ``bench_reports.py --national-db NAME`` keeps (generated once:
4,000,000 cases take about 10 minutes to seed and half an hour to summarise on a shared 2-core host).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_reports import (
    KABUPATEN,
    TODAY,
    backfill,
    create_database,
    drop_database,
    national_database,
    seed,
    server_url,
    timed,
)
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from core.settings import Settings
from reports.recap import recap_data
from storage.crypto import NikCipher
from storage.db import Database
from storage.models import Role
from storage.repositories.people import get_or_create_person, set_role
from web.app import create_app
from web.auth import issue_link

NOW = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 3, tzinfo=dt.UTC)


def signed_in_client(db: Database, role: Role, region: str | None) -> TestClient:
    person = get_or_create_person(db, 9_000_001 if role is Role.ADMIN else 9_000_002, chat_id=1, display_name="Bench")
    set_role(db, person.id, role, region)
    client = TestClient(create_app(db, Settings(), lambda: NOW), base_url="http://127.0.0.1:8000")
    token = issue_link(db, person.id, NOW, 10)
    assert client.post(f"/masuk/{token}", follow_redirects=False).status_code == 303
    return client


def bare_client() -> TestClient:
    page = "<!doctype html><title>x</title><p>" + "x" * 20_000
    return TestClient(Starlette(routes=[Route("/", lambda request: HTMLResponse(page))]))


def measure(db: Database, region: str, role: Role, label: str, repeat: int) -> dict[str, float]:
    client = signed_in_client(db, role, region or None)
    response = client.get("/ringkasan")
    assert response.status_code == 200, response.text[:500]
    print(f"{label}: {recap_data(db, region, TODAY).total:,} cases; page {len(response.content):,} bytes", flush=True)
    bare = bare_client()
    return {
        "page": timed("GET /ringkasan (whole page)", lambda: client.get("/ringkasan"), repeat),
        "reports": timed("baseline: recap_data", lambda: recap_data(db, region, TODAY), repeat),
        "bare": timed("baseline: bare Starlette page", lambda: bare.get("/"), repeat),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kabupaten", type=int, default=5_000)
    parser.add_argument("--national", type=int, default=0, help="also time the national overview over this many cases")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--national-db", default=None, metavar="NAME", help="reuse (or create and keep) this national database")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    server = server_url()
    cipher = NikCipher("bench-web")
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    names, results = [], []
    try:
        name = f"ats_bench_web_kab_{suffix}"
        names.append(name)
        url = create_database(server, name)
        print(f"seeded {args.kabupaten:,} cases in {seed(url, args.kabupaten, args.kabupaten, 0):.1f} s", flush=True)
        db = Database.from_url(url, cipher)
        print(f"recap summary backfill {backfill(db):.1f} s", flush=True)
        results.append((f"kabupaten overview, {args.kabupaten:,} cases", measure(db, KABUPATEN, Role.TIM_KABUPATEN, "kabupaten", args.repeat)))
        db.dispose()
        if args.national:
            url, _ = national_database(server, args.national_db, f"ats_bench_web_nat_{suffix}", args.national, args.kabupaten, names)
            db = Database.from_url(url, cipher)
            results.append((f"national overview, {args.national:,} cases", measure(db, "", Role.ADMIN, "national", args.repeat)))
            db.dispose()
    finally:
        if not args.keep:
            for name in names:
                drop_database(server, name)
    print("\ndashboard on PostgreSQL (median seconds, server time)")
    print(f"{'scenario':<40} {'GET /ringkasan':>15} {'recap_data':>19} {'bare Starlette':>15}")
    for label, times in results:
        print(f"{label:<40} {times['page']:>15.3f} {times['reports']:>19.3f} {times['bare']:>15.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

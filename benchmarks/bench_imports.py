"""Import and export benchmark: a Lampiran 2 list of 100,000 rows as XLSX and as CSV, on SQLite and PostgreSQL.

    python benchmarks/bench_imports.py [--rows 100000] [--backends sqlite,postgres] [--keep]

Each measurement runs in a process of its own, so its peak RSS is its own. Side by side in one run:

* ``import``: ``reports.imports.import_file`` on a database holding only Kabupaten Pekalongan's regions (every
  row checked, NIKs validated and encrypted, identity rule, cases, reference numbers, ``impor`` responses with
  sealed personal answers, recap summary and reminder checks kept current, audit) against the plain-SQL
  baseline: the same file read with the same streaming reader, then the children, cases, their first events and
  the responses inserted with ``executemany`` in one transaction (no checks, no encryption, no matching);
  While the import runs, this process plays the bot beside it (its own connections, as the bot runs beside
  ``ats-bot import``): a ``/help`` through the bot's real turn every 0.25 s; the line under each pair gives the
  import's longest write transaction (the longest the bot can wait for the write lock) and the bot's reply
  latencies;
* ``zip bomb``: a workbook of ~0.4 MB whose sheet inflates to ~147 MB of XML, refused (time and peak RSS);
* ``export``: the kabupaten's Lampiran 2 export (XLSX, streamed to a file) against a plain ``SELECT`` of the
  same columns written with the csv module.

``--reader`` measures reading only, best of ``--rounds`` interleaved rounds, each read in a process of its own:
``reports.tables.read_sheets`` over the XLSX (inline strings, as openpyxl writes it, and the same sheet with
shared strings, as Excel and LibreOffice save it) and over the CSV, against openpyxl's read-only mode, the csv
module, and python-calamine when it is installed (it is not a dependency); then the zip bomb refused by the reader.

PostgreSQL databases are created on the test server (TEST_POSTGRES_URL, else ``scripts/pg-test-server.sh start``)
and dropped afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KABUPATEN = "33.26"
TODAY = dt.date(2026, 11, 23)
KEY = "bench-imports-key-0123456789abcdef"
FIRST = ["Siti", "Ahmad", "Dewi", "Budi", "Rina", "Eko", "Nur", "Agus", "Putri", "Rizky", "Ayu", "Fajar", "Indah", "Joko"]
LAST = ["Aminah", "Santoso", "Lestari", "Wijaya", "Hidayat", "Rahmawati", "Saputra", "Kurniawan", "Susanti", "Pratama"]


def peak_mb() -> float:
    """This process's peak RSS since it started its program (Linux's VmHWM: ``ru_maxrss`` would keep the peak of
    the parent it was forked from)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process and of the processes it waited for (the import's check worker), the
    database's too on SQLite; not the PostgreSQL server's."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def worker_peak_mb() -> float:
    """The largest peak RSS of the processes this one waited for (the import's check worker), 0 without any."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# -- data -----------------------------------------------------------------------------------------------------
def generate(rows: int, folder: Path) -> tuple[Path, Path]:
    """The same list as XLSX (openpyxl, write-only) and CSV: valid NIKs, real desa and kecamatan names."""
    from openpyxl import Workbook

    from reports.lampiran2 import COLUMNS
    from storage.regions import lokal_rows

    regions = list(lokal_rows(KABUPATEN))
    names = {r.code: r.name for r in regions}
    desas = [(r.code, r.name, names[r.parent_code or ""]) for r in regions if r.level.value == "desa"]
    rng = random.Random(7)
    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet("Format Pendataan ATS")
    sheet.append(list(COLUMNS))
    csv_path, xlsx_path = folder / "lampiran2.csv", folder / "lampiran2.xlsx"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for n in range(rows):
            code, desa, kecamatan = desas[n % len(desas)]
            born = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(365 * 11))
            female = n % 2 == 1
            day = born.day + (40 if female else 0)
            nik = f"{code[:2]}{code[3:5]}{code[6:8]}{day:02d}{born.month:02d}{born.year % 100:02d}{1 + n // 4000:04d}"
            values = {
                "NO": n + 1, "NIK": nik, "NAMA LENGKAP": f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}", "TEMPAT LAHIR": "Pekalongan",
                "TANGGAL LAHIR": born.strftime("%d/%m/%Y"), "L/P": "P" if female else "L", "NAMA AYAH": rng.choice(FIRST),
                "NAMA IBU": rng.choice(FIRST), "PENDIDIKAN TERAKHIR": "Putus Kelas 8 (SMP/MTs)", "ALAMAT": f"Dukuh {rng.choice(LAST)}",
                "RT": f"{1 + n % 9:03d}", "RW": f"{1 + n % 5:03d}", "DESA": desa, "KECAMATAN": kecamatan, "AGAMA": "Islam",
                "ALASAN": "Tidak punya biaya", "KATEGORI": "Putus Sekolah", "TAHUN KELUAR": "2024", "KELUAR KELAS": "8",
                "SEKOLAH SEBELUMNYA": "SMP N 1", "SUMBER DATA": "DO Dapodik 2026",
            }
            row = [values.get(c, "") for c in COLUMNS]
            out.writerow(row)
            sheet.append(row)
    book.save(xlsx_path)
    return xlsx_path, csv_path


def with_shared_strings(xlsx: Path, out: Path) -> Path:
    """The workbook with its inline strings in a shared strings table, as Excel and LibreOffice save a sheet."""
    import re

    table: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        return match.group(1) + b't="s"><v>' + str(table.setdefault(match.group(2), len(table))).encode() + b"</v></c>"

    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    cell = re.compile(rb'(<c r="[A-Z]+\d+" )t="inlineStr"><is>(.*?)</is></c>')
    with zipfile.ZipFile(xlsx) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename.startswith("xl/worksheets/"):  # row by row: the sheet is never held whole
                with source.open(info) as sheet, archive.open(info.filename, "w", force_zip64=True) as target:
                    rest = b""
                    while chunk := sheet.read(1 << 20):
                        head, _, rest = (rest + chunk).rpartition(b"</row>")
                        if head:
                            target.write(cell.sub(shared, head) + b"</row>")
                    target.write(cell.sub(shared, rest))
                continue
            data = source.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdS" Type="{rels}" Target="sharedStrings.xml"/>'
                                    "</Relationships>".encode())
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                                    b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            archive.writestr(info, data)
        with archive.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for text in table:
                strings.write(b"<si>" + text + b"</si>")
            strings.write(b"</sst>")
    return out


def zip_bomb(folder: Path, megabytes: int = 147) -> Path:
    """A workbook whose sheet XML inflates from a few hundred kilobytes to ``megabytes`` MB."""
    from openpyxl import Workbook

    book = Workbook()
    first: Any = book.active
    first.append(["NO", "NIK", "NAMA LENGKAP", "DESA"])
    plain = io.BytesIO()
    book.save(plain)
    base = zipfile.ZipFile(plain)
    path = folder / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in base.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, base.read(info.filename))
                continue
            with archive.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                row = b'<row><c t="inlineStr"><is><t>' + b"x" * 2000 + b"</t></is></c></row>"
                for _ in range(megabytes * 1024 * 1024 // len(row)):
                    sheet.write(row)
                sheet.write(b"</sheetData></worksheet>")
    return path


# -- databases ------------------------------------------------------------------------------------------------
def server_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return url
    return subprocess.run([str(ROOT / "scripts" / "pg-test-server.sh"), "start"], check=True, capture_output=True, text=True).stdout.strip()


def fresh_database(backend: str, folder: Path) -> str:
    """A migrated database with Pekalongan's regions; its URL."""
    from sqlalchemy import insert
    from sqlalchemy.engine import make_url

    from storage.db import Database
    from storage.models import Region
    from storage.regions import lokal_rows
    from storage.schema_state import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    else:
        import psycopg

        server = server_url()
        name = f"bench_imports_{uuid.uuid4().hex[:8]}"
        admin = make_url(server).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    db = Database.from_url(url)
    with db.write() as session:
        session.execute(insert(Region), [{"code": r.code, "level": r.level, "kind": r.kind, "name": r.name,
                                          "parent_code": r.parent_code, "timezone": r.timezone} for r in lokal_rows(KABUPATEN)])
    db.dispose()
    return url


def drop(url: str) -> None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(parsed.database) + suffix).unlink(missing_ok=True)
        return
    import psycopg

    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


# -- one measurement per process ------------------------------------------------------------------------------
def open_db(url: str) -> Any:
    from storage.crypto import NikCipher
    from storage.db import Database

    return Database.from_url(url, NikCipher(KEY))


def run_import(url: str, path: Path) -> dict[str, Any]:
    from reports.imports import import_file

    db = open_db(url)
    started = time.perf_counter()
    report = import_file(db, path, path.name, actor_id=None, region_scope=KABUPATEN, today=TODAY)
    seconds = time.perf_counter() - started
    db.dispose()
    assert report.saved, report.render(lambda m, **p: m.format(**p))  # type: ignore[arg-type]
    return {"rows": report.rows, "created": report.created, "seconds": seconds, "longest_write": report.longest_write}


def run_baseline(url: str, path: Path) -> dict[str, Any]:
    """Plain SQL: read the rows, insert children, cases, events and responses with executemany, one transaction."""
    from sqlalchemy import create_engine, text

    from reports.tables import read_sheets

    started = time.perf_counter()
    engine = create_engine(url)
    sheets = read_sheets(path, path.name)  # kept referenced: it holds the file open
    sheet = next(sheets)
    header = [str(c) for c in next(sheet)[1]]
    regions: dict[tuple[str, str], str] = {}
    with engine.begin() as conn:
        for code, name, parent in conn.execute(text("SELECT d.code, d.name, k.name FROM regions d JOIN regions k ON k.code = d.parent_code")):
            regions[(name, parent)] = code
        person = conn.execute(text("INSERT INTO people (telegram_user_id, display_name, role, language, unreachable, created_at, updated_at) "
                                   "VALUES (999, 'bench', 'masyarakat', 'id', false, :now, :now) RETURNING id"),
                              {"now": dt.datetime.now(dt.UTC)}).scalar_one()
        rows = 0
        batch: list[dict[str, Any]] = []

        next_id = {"children": 1, "cases": 1}

        def flush() -> None:
            if not batch:
                return
            now = dt.datetime.now(dt.UTC)
            for b in batch:
                b["child"], b["case"] = next_id["children"], next_id["cases"]
                next_id["children"] += 1
                next_id["cases"] += 1
            conn.execute(text("INSERT INTO children (id, name, name_normalized, region_code, created_at, updated_at) "
                              "VALUES (:child, :name, :norm, :region, :now, :now)"),
                         [{"child": b["child"], "name": b["NAMA LENGKAP"], "norm": b["NAMA LENGKAP"].lower(), "region": b["region"],
                           "now": now} for b in batch])
            conn.execute(text("INSERT INTO cases (id, reference, child_id, status, region_code, created_at, updated_at) "
                              "VALUES (:case, :ref, :child, 'recorded', :region, :now, :now)"),
                         [{"case": b["case"], "ref": f"ATS-3326-{b['n']:06d}", "child": b["child"], "region": b["region"], "now": now}
                          for b in batch])
            conn.execute(text("INSERT INTO case_events (case_id, to_status, at) VALUES (:case, 'recorded', :now)"),
                         [{"case": b["case"], "now": now} for b in batch])
            conn.execute(text("INSERT INTO responses (reference, instrument, instrument_version, answers, case_id, child_id, submitted_by, "
                              "submitted_at, region_code) VALUES (:ref, 'impor', 1, :answers, :case, :child, :person, :now, :region)"),
                         [{"ref": f"F-3326-{b['n']:06d}", "answers": json.dumps(b["answers"]), "case": b["case"], "child": b["child"],
                           "person": person, "now": now, "region": b["region"]} for b in batch])
            batch.clear()

        for _, values in sheet:
            cells = dict(zip(header, [("" if v is None else str(v)) for v in values], strict=False))
            rows += 1
            batch.append({"n": rows, "NAMA LENGKAP": cells["NAMA LENGKAP"], "region": regions[(cells["DESA"], cells["KECAMATAN"])],
                          "answers": cells})
            if len(batch) == 1000:
                flush()
        flush()
    engine.dispose()
    return {"rows": rows, "seconds": time.perf_counter() - started}


def run_bomb(url: str, path: Path) -> dict[str, Any]:
    from sqlalchemy import func, select

    from reports.imports import import_file
    from storage.models import AuditLog

    db = open_db(url)
    started = time.perf_counter()
    report = import_file(db, path, path.name, actor_id=None, region_scope=KABUPATEN, today=TODAY)
    seconds = time.perf_counter() - started
    with db.read() as session:
        audited = session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import.rejected",
                                                                                  AuditLog.subject_id == path.name[:40]))
    db.dispose()
    return {"refused": report.rejected, "audited": bool(audited), "message": str(report.errors[0].message)[:80], "seconds": seconds}


def run_export(url: str, out: Path) -> dict[str, Any]:
    from reports.export import export_region_to

    db = open_db(url)
    started = time.perf_counter()
    with out.open("wb") as handle:
        export_region_to(db, KABUPATEN, "xlsx", None, handle)
    seconds = time.perf_counter() - started
    db.dispose()
    return {"seconds": seconds, "bytes": out.stat().st_size}


def run_export_baseline(url: str, out: Path) -> dict[str, Any]:
    """Plain SQL reading what the Lampiran 2 sheet reads (each case, its child and its latest form's answers as
    stored), written with the csv module: no decryption, no labels, no masking, no other sheets."""
    from sqlalchemy import create_engine, text

    started = time.perf_counter()
    engine = create_engine(url)
    with engine.connect() as conn, out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        result = conn.execution_options(yield_per=1000).execute(text(
            "SELECT c.reference, ch.nik_encrypted, ch.name, ch.birth_place, ch.birth_date, ch.sex, ch.address, ch.rt, ch.rw, "
            "ch.nisn, c.region_code, c.status, c.category, f.instrument, f.reference, f.answers "
            "FROM cases c JOIN children ch ON ch.id = c.child_id "
            "LEFT JOIN (SELECT case_id, max(id) AS rid FROM responses WHERE instrument IN ('pendataan', 'rekonfirmasi', 'impor') "
            "GROUP BY case_id) l ON l.case_id = c.id LEFT JOIN responses f ON f.id = l.rid "
            "WHERE c.duplicate_of IS NULL ORDER BY c.region_code, ch.name_normalized, c.id"))
        for row in result:
            writer.writerow(row)
    engine.dispose()
    return {"seconds": time.perf_counter() - started, "bytes": out.stat().st_size}


def read_product(url: str, path: Path) -> dict[str, Any]:
    """``reports.tables.read_sheets``, every sheet, every row (an XLSX or a CSV by its name)."""
    from reports.tables import read_sheets

    started, rows, cells = time.perf_counter(), 0, 0
    for sheet in read_sheets(path, path.name):
        for _, values in sheet:
            rows += 1
            cells += len(values)
    return {"rows": rows, "cells": cells, "seconds": time.perf_counter() - started}


def read_openpyxl(url: str, path: Path) -> dict[str, Any]:
    from openpyxl import load_workbook

    started, rows, cells = time.perf_counter(), 0, 0
    book = load_workbook(path, read_only=True, data_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            rows += 1
            cells += len(row)
    book.close()
    return {"rows": rows, "cells": cells, "seconds": time.perf_counter() - started}


def read_calamine(url: str, path: Path) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook  # type: ignore[import-not-found,unused-ignore]

    started, rows, cells = time.perf_counter(), 0, 0
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).iter_rows():
            rows += 1
            cells += len(row)
    return {"rows": rows, "cells": cells, "seconds": time.perf_counter() - started}


def read_csv_module(url: str, path: Path) -> dict[str, Any]:
    started, rows, cells = time.perf_counter(), 0, 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            rows += 1
            cells += len(row)
    return {"rows": rows, "cells": cells, "seconds": time.perf_counter() - started}


def read_bomb(url: str, path: Path) -> dict[str, Any]:
    from reports.tables import TableRefused, read_sheets

    started = time.perf_counter()
    try:
        for sheet in read_sheets(path, path.name):
            for _ in sheet:
                pass
    except TableRefused as refused:
        return {"refused": str(refused)[:60], "seconds": time.perf_counter() - started}
    return {"refused": None, "seconds": time.perf_counter() - started}


def reader_run(rows: int, rounds: int) -> None:
    """Reading alone: each reader in a process of its own, best of ``rounds`` interleaved rounds by rows per CPU second."""
    import importlib.util

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xlsx_path, csv_path = generate(rows, folder)
        shared_path = with_shared_strings(xlsx_path, folder / "lampiran2-shared.xlsx")
        bomb = zip_bomb(folder)
        print(f"data: {rows:,} Lampiran 2 rows of 25 columns (+ header); XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB "
              f"(inline strings), {shared_path.stat().st_size / 1e6:.1f} MB (shared strings), CSV {csv_path.stat().st_size / 1e6:.1f} MB")
        print(f"load average {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} on {os.cpu_count()} CPUs")
        readers = [("read_sheets XLSX, inline strings", "read_product", xlsx_path),
                   ("read_sheets XLSX, shared strings", "read_product", shared_path),
                   ("openpyxl read-only, inline strings", "read_openpyxl", xlsx_path),
                   ("openpyxl read-only, shared strings", "read_openpyxl", shared_path)]
        if importlib.util.find_spec("python_calamine"):
            readers += [("python-calamine, inline strings", "read_calamine", xlsx_path),
                        ("python-calamine, shared strings", "read_calamine", shared_path)]
        readers += [("read_sheets CSV", "read_product", csv_path), ("csv module", "read_csv_module", csv_path)]
        best: dict[str, dict[str, Any]] = {}
        for _ in range(rounds):
            for label, kind, path in readers:
                result = measure(kind, "-", path)
                if label not in best or result["cpu"] < best[label]["cpu"]:
                    best[label] = result
        print(f"{'reader':<36} {'rows/CPU s':>11} {'µs/row':>7} {'CPU s':>6} {'rows/s':>9} {'wall s':>7} {'peak MB':>8}")
        for label, _, _ in readers:
            r = best[label]
            print(f"{label:<36} {r['rows'] / max(r['cpu'], 0.001):>11,.0f} {1e6 * r['cpu'] / r['rows']:>7.1f} {r['cpu']:>6.2f} "
                  f"{r['rows'] / r['seconds']:>9,.0f} {r['seconds']:>7.2f} {r['peak_mb']:>8.0f}")
        refused = measure("read_bomb", "-", bomb)
        print(f"zip bomb ({bomb.stat().st_size / 1e3:.0f} KB → {sum(i.file_size for i in zipfile.ZipFile(bomb).infolist()) / 1e6:.0f} MB): "
              f"refused in {refused['seconds']:.3f} s ({refused['refused']}…), peak {refused['peak_mb']:.0f} MB")
        print(f"load average {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} after")


MEASURES = {"import": run_import, "baseline": run_baseline, "bomb": run_bomb, "export": run_export,
            "export_baseline": run_export_baseline, "read_product": read_product, "read_openpyxl": read_openpyxl,
            "read_calamine": read_calamine, "read_csv_module": read_csv_module, "read_bomb": read_bomb}


def _rates(result: dict[str, Any]) -> str:
    return (f"{result['rows'] / result['seconds']:>15,.0f} {result['seconds']:>7.1f} {result['cpu']:>6.1f} "
            f"{result['rows'] / max(result['cpu'], 0.01):>10,.0f} {result['peak_mb']:>8.0f}")


def measure(kind: str, url: str, path: Path, probe: bool = False) -> dict[str, Any]:
    """Run one measurement in its own process; with ``probe``, the bot answers a message in this process every
    0.25 s meanwhile (its own connections, as the running bot beside ``ats-bot import``): the reply latencies."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, __file__, "--one", kind, url, str(path)], stdout=out, stderr=err, text=True)
        latencies = bot_probe(url, proc) if probe else []
        proc.wait()
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{kind} failed:\n{err.read()[-3000:]}")
        result: dict[str, Any] = json.loads(out.read().strip().splitlines()[-1])
    if latencies:
        result["bot"] = {"turns": len(latencies), "max": max(latencies), "median": sorted(latencies)[len(latencies) // 2]}
    return result


def bot_probe(url: str, proc: subprocess.Popen[str]) -> list[float]:
    """A person's ``/help`` through the bot's real turn (reads, then commits the update id) while ``proc`` runs."""
    from bot.conversation import Conversations
    from bot.model import Incoming, Kind
    from bot.store import BotStore

    db = open_db(url)
    conversations = Conversations(BotStore(db), today=lambda: TODAY)
    latencies: list[float] = []
    update = 0
    while proc.poll() is None:
        update += 1
        started = time.perf_counter()
        result = conversations.process(Incoming(update_id=update, user_id=424242, chat_id=424242, name="Probe", language_hint="id",
                                                kind=Kind.COMMAND, command="help"))
        latencies.append(time.perf_counter() - started)
        assert result.replies, "the bot did not answer"
        time.sleep(0.25)
    db.dispose()
    return latencies


# -- the run --------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reader", action="store_true", help="measure reading alone (see above)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", nargs=3, metavar=("KIND", "URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        kind, url, path = args.one
        # Imported before the CPU count starts: the measurement is the work, not the process's start-up.
        import reports.export
        import reports.imports  # noqa: F401

        cpu_before = cpu_seconds()
        result = MEASURES[kind](url, Path(path))
        print(json.dumps({**result, "peak_mb": round(peak_mb(), 1), "cpu": round(cpu_seconds() - cpu_before, 2),
                          "worker_peak_mb": round(worker_peak_mb(), 1)}))
        return 0
    if args.reader:
        reader_run(args.rows, args.rounds)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        xlsx_path, csv_path = generate(args.rows, folder)
        bomb = zip_bomb(folder)
        print(f"data: {args.rows:,} rows; XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB, CSV {csv_path.stat().st_size / 1e6:.1f} MB "
              f"(generated in {time.perf_counter() - started:.0f} s); zip bomb {bomb.stat().st_size / 1e3:.0f} KB → "
              f"{sum(i.file_size for i in zipfile.ZipFile(bomb).infolist()) / 1e6:.0f} MB")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock rates fall with it; rows per CPU second do not)")
        print(f"{'backend':<9} {'file':<5} {'product rows/s':>15} {'s':>7} {'CPU s':>6} {'rows/CPU s':>10} {'peak MB':>8} | "
              f"{'baseline rows/s':>15} {'s':>7} {'CPU s':>6} {'rows/CPU s':>10} {'peak MB':>8}")
        for backend in args.backends.split(","):
            export_url = None
            for label, path in (("xlsx", xlsx_path), ("csv", csv_path)):
                url = fresh_database(backend, folder)
                product = measure("import", url, path, probe=True)
                base_url = fresh_database(backend, folder)
                baseline = measure("baseline", base_url, path)
                if not args.keep:
                    drop(base_url)
                print(f"{backend:<9} {label:<5} {_rates(product)} | {_rates(baseline)}", flush=True)
                bot = product.get("bot", {"turns": 0, "max": 0.0, "median": 0.0})
                print(f"{'':<9} {label:<5} longest write transaction {product['longest_write']:.2f} s; the bot answered "
                      f"{bot['turns']} messages meanwhile, median {bot['median'] * 1000:.0f} ms, slowest {bot['max'] * 1000:.0f} ms; "
                      f"the check's worker process peaked at {product['worker_peak_mb']:.0f} MB (its CPU is in the product's); "
                      f"load average now {os.getloadavg()[0]:.1f}", flush=True)
                if export_url is None:
                    export_url = url
                elif not args.keep:
                    drop(url)
            assert export_url is not None
            refused = measure("bomb", export_url, bomb)
            print(f"{backend:<9} zip bomb refused={refused['refused']} audited={refused['audited']} in {refused['seconds']:.2f} s, "
                  f"peak {refused['peak_mb']:.0f} MB ({refused['message']}…)", flush=True)
            exported = measure("export", export_url, folder / "export.xlsx")
            plain = measure("export_baseline", export_url, folder / "export.csv")
            print(f"{backend:<9} export {args.rows:,} cases: XLSX streamed {exported['seconds']:.1f} s ({exported['cpu']:.1f} CPU s), "
                  f"peak {exported['peak_mb']:.0f} MB, {exported['bytes'] / 1e6:.1f} MB | plain SELECT of the same rows → csv "
                  f"{plain['seconds']:.1f} s ({plain['cpu']:.1f} CPU s), peak {plain['peak_mb']:.0f} MB | ratio "
                  f"{exported['seconds'] / plain['seconds']:.1f}× wall, {exported['cpu'] / max(plain['cpu'], 0.01):.1f}× CPU", flush=True)
            if not args.keep:
                drop(export_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

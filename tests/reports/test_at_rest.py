"""No NIK, KK number or phone number in clear anywhere the bot keeps data: every table and JSON column, the raw
SQLite file and its WAL, the files directory and a backup — after filling forms by chat and importing a list.
On SQLite and on PostgreSQL (a text dump of every column and ``pg_restore`` of the backup)."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from reports.imports import import_file
from storage.backup import _postgres_tool, backup
from storage.db import Database, sqlite_path
from storage.models import Base, Child, InstrumentSession, Person, Response
from storage.repositories.files import keep_file
from tests.reports.conftest import DESA_A1, KABUPATEN, KEC_A, TODAY, People
from tests.reports.filling import FormFiller
from tests.reports.test_imports import GOOD, NIK_BUDI, NIK_SITI, xlsx
from tests.reports.turns import Chat

PATHS = Path(__file__).resolve().parents[1] / "fixtures" / "paths"


def fixture_answers(instrument: str, name: str) -> dict[str, Any]:
    return json.loads((PATHS / instrument / f"{name}.json").read_text(encoding="utf-8"))["answers"]


PENDATAAN = fixture_answers("pendataan", "1.2-punya-nik")
ROSTER = fixture_answers("rumah-tangga", "full")
DRAFT_NIK = "3326015506130004"  # typed into a form left unfinished


def secrets_written() -> dict[str, str]:
    """Every personal number this test writes, by what it is."""
    return {
        "pendataan NIK": PENDATAAN["1.2.nik"],
        "roster KK": ROSTER["R.1"],
        "roster phone": ROSTER["R.8"],
        "roster NIK 1": ROSTER["ART"][0]["ART.2"],
        "roster NIK 2": ROSTER["ART"][1]["ART.2"],
        "imported NIK Siti": NIK_SITI,
        "imported NIK Budi": NIK_BUDI,
        "draft NIK": DRAFT_NIK,
    }


def forms_in_our_area() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    pendataan = {**PENDATAAN, "1.7.kecamatan": KEC_A, "1.7.desa": DESA_A1}
    roster = copy.deepcopy(ROSTER)
    roster.update({"R.3": KEC_A, "R.4": DESA_A1})
    unfinished = {**pendataan, "1.1": "Rina Wulandari", "1.2.nik": DRAFT_NIK}
    return pendataan, roster, unfinished


def _fill_everything(db: Database, world: People, files_dir: Path) -> None:
    pendataan, roster, unfinished = forms_in_our_area()
    volunteer = FormFiller(Chat(db, 2004, "Pak Pendata"), TODAY)
    volunteer.fill("pendataan", pendataan)
    volunteer.fill("rumah-tangga", roster)
    FormFiller(Chat(db, 2003, "Bu Pendamping"), TODAY).fill("pendataan", unfinished, until="1.4")
    report = import_file(db, xlsx(GOOD), "do-2026.xlsx", actor_id=world.kabupaten_team, region_scope=KABUPATEN, today=TODAY)
    assert report.saved, report.errors
    # A photo of the family card as a volunteer sends it (its metadata carries the number in clear).
    keep_file(db, files_dir, b"\xff\xd8\xff\xe0JFIF Exif ImageDescription KK " + ROSTER["R.1"].encode(),
              telegram_file_id="AgAD-kk", telegram_unique_id="kk-photo", mime="image/jpeg")
    with db.write() as session:  # a phone on a person's record too
        person = session.get(Person, world.pendata)
        assert person is not None
        person.phone = ROSTER["R.8"]


def _forms_were_written(db: Database) -> None:
    """The scan is only meaningful if the data is really there (and readable with the key)."""
    with db.read() as session:
        instruments = sorted(session.scalars(select(Response.instrument)))
        assert instruments.count("pendataan") == 1 and instruments.count("rumah-tangga") == 1 and instruments.count("impor") >= 4
        form = session.scalars(select(Response).where(Response.instrument == "pendataan")).one()
        assert form.answers["1.2.nik"] == PENDATAAN["1.2.nik"] and form.answers["1.1"] == PENDATAAN["1.1"]
        household = session.scalars(select(Response).where(Response.instrument == "rumah-tangga")).one()
        assert household.answers["R.1"] == ROSTER["R.1"] and household.answers["R.8"].endswith(ROSTER["R.8"][1:])
        assert household.answers["ART"][1]["ART.2"] == ROSTER["ART"][1]["ART.2"]
        draft = session.scalars(select(InstrumentSession).where(InstrumentSession.status == "draft")).one()
        assert draft.state["answers"]["1.2.nik"] == DRAFT_NIK
        tokens = session.scalars(select(Child.nik_encrypted).where(Child.nik_encrypted.is_not(None)))
        niks = {db.cipher.decrypt_nik(token) for token in tokens if token is not None}
        assert {PENDATAAN["1.2.nik"], NIK_SITI, NIK_BUDI} <= niks
        assert session.scalar(select(func.count()).select_from(Person).where(Person.phone.is_not(None))) == 1


def _forms(value: str) -> set[str]:
    """A number as it could appear: as typed, digits only, a phone in international form."""
    digits = "".join(ch for ch in value if ch.isdigit())
    found = {value, digits}
    if digits.startswith("0"):
        found |= {"62" + digits[1:], digits[1:]}
    return found


def _leaks(blob: str | bytes, where: str) -> list[str]:
    data = blob.encode("utf-8", "replace") if isinstance(blob, str) else blob
    return [f"{what} in {where}" for what, value in secrets_written().items() for form in _forms(value) if form.encode() in data]


def _table_dump(db: Database) -> list[str]:
    """Every column of every table as the database returns it without the product's column types (raw SQL)."""
    leaks: list[str] = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).all()
            for row in rows:
                for column, value in zip(table.columns.keys(), row, strict=False):
                    if value is None:
                        continue
                    blob = bytes(value) if isinstance(value, bytes | memoryview) else json.dumps(value, default=str)
                    leaks += _leaks(blob, f"{table.name}.{column}")
    return leaks


def _files(root: Path) -> list[str]:
    leaks: list[str] = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            leaks += _leaks(path.read_bytes(), str(path.relative_to(root)))
    return leaks


@pytest.fixture
def filled(db: Database, world: People, tmp_path: Path) -> Database:
    _fill_everything(db, world, tmp_path / "files")
    _forms_were_written(db)
    return db


def test_nothing_personal_in_clear_anywhere(filled: Database, db_url: str, backend: str, tmp_path: Path) -> None:
    assert _table_dump(filled) == []
    backups = tmp_path / "backups"
    backup(db_url, backups / "ats.backup")
    if backend == "sqlite":
        database_file = sqlite_path(db_url)
        assert database_file is not None
        wal = database_file.with_name(database_file.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the WAL holds the latest pages while the engine is open"
        assert _files(database_file.parent) == []  # the database file, its WAL and shared memory, the files directory
    else:
        plain = subprocess.run(
            [_postgres_tool("pg_restore"), "--file=-", str(backups / "ats.backup")], check=True, capture_output=True
        ).stdout
        assert len(plain) > 10_000 and b"COPY public.responses" in plain  # the whole dump, as SQL text
        assert _leaks(plain, "pg_restore of the backup") == []
    assert _files(backups) == []
    kept = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert len(kept) == 1 and _files(tmp_path / "files") == []


def test_the_scan_would_see_a_nik_in_clear(filled: Database) -> None:
    """The scan is not blind: a NIK written past the storage layer (raw SQL) is found."""
    with filled.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET detail = :d WHERE id = (SELECT min(id) FROM audit_log)"),
                           {"d": json.dumps({"oops": NIK_SITI})})
    assert _table_dump(filled) == ["imported NIK Siti in audit_log.detail"]


"""A kabupaten team imports a list through Telegram: the file goes up as a document and the bot answers with the
outcome; a list with a bad row leaves nothing; somebody else's /impor is refused. On SQLite and on PostgreSQL,
where each chunk's responses and derived rows are written by the import's writer thread."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from botapi import BotApiEmulator
from deployment import Deployment
from sqlalchemy import func, select

from bot import texts as T
from core.i18n import translator
from reports.lampiran2 import COLUMNS
from storage.models import Case, Child, ImportBatch, Response
from tests.storage.conftest import fresh_postgres_database, postgres_empty_session_database, postgres_server  # noqa: F401

pytestmark = pytest.mark.e2e
t = translator("id")


def lampiran2(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for values in rows:
        writer.writerow([values.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


CHILD = {"NAMA LENGKAP": "Siti Aminah", "TANGGAL LAHIR": "05/07/2012", "L/P": "P", "DESA": "Klesem", "KECAMATAN": "Kandangserang",
         "KATEGORI": "Putus Sekolah"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def installation(request: pytest.FixtureRequest, tmp_path: Path, start_bot: Any, emulator: BotApiEmulator) -> Deployment:
    url = request.getfixturevalue("fresh_postgres_database") if request.param == "postgresql" else None
    return Deployment(tmp_path, start_bot, emulator, db_url=url)


def test_a_list_sent_as_a_document_is_imported_and_a_bad_one_leaves_nothing(emulator: BotApiEmulator,
                                                                            installation: Deployment) -> None:
    deployment = installation
    deployment.start()
    team, stranger = emulator.user(3001, "Tim Kabupaten"), emulator.user(3002, "Warga")
    deployment.enrol(team, "tim_kabupaten", "33.26")
    team.send("/impor")
    team.wait_text(t(T.IMPORT_ASK)[:40])
    bad = lampiran2(CHILD, {**CHILD, "NAMA LENGKAP": "Budi", "TANGGAL LAHIR": "31/02/2013"},
                    {**CHILD, "NAMA LENGKAP": "=HYPERLINK(\"http://x\")" + "a" * 300})
    team.send_document(bad, "daftar-salah.csv", "text/csv")
    rejected = team.wait_text("daftar-salah.csv", timeout=30)
    assert "TANGGAL LAHIR" in rejected.text and "NAMA LENGKAP" in rejected.text  # every problem by row and column
    db = deployment.database()
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 0
    team.send("/impor")
    team.wait_text(t(T.IMPORT_ASK)[:40])
    team.send_document(lampiran2(CHILD, {**CHILD, "NAMA LENGKAP": "Budi Santoso", "L/P": "L"}), "daftar.csv", "text/csv")
    done = team.wait_text(t(T.IMPORT_DONE, filename="daftar.csv", rows=2, created=2, merged=0, cases=2), timeout=30)
    assert done is not None
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2
        assert session.scalar(select(func.count()).select_from(Response)) == 2  # PostgreSQL: by the writer thread
        assert session.scalars(select(ImportBatch.state)).all() == ["published"]
    db.dispose()
    stranger.send("/impor")  # not a team member: refused, and no file is asked for
    reply = stranger.wait_for(lambda m: True)
    assert t(T.IMPORT_ASK)[:40] not in reply.text
    volunteer = emulator.user(3003, "Siti")  # enrolled, but a volunteer: not hers to import
    deployment.enrol(volunteer, "pendata", "33.26.08")
    volunteer.send("/impor")
    volunteer.wait_text(t(T.NOT_ALLOWED))

"""``storage.bulk.insert_rows`` (imports' executemany / COPY) goes through the column types like any insert:
personal answers sealed, instants stored in UTC, naive datetimes refused, Python-side defaults filled."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from sqlalchemy import Table, text

from storage.bulk import insert_rows
from storage.db import Database
from storage.models import Case, Child, Response
from storage.repositories.people import get_or_create_person
from tests.storage.conftest import DESA

NIK = "3326015506130004"


def _tables() -> tuple[Table, Table, Table]:
    return cast(Table, Child.__table__), cast(Table, Case.__table__), cast(Table, Response.__table__)


def _write(db: Database, answers: list[dict[str, Any]], submitted_at: dt.datetime | None = None) -> None:
    children, cases, responses = _tables()
    person = get_or_create_person(db, 4242, display_name="Tim Kabupaten").id
    with db.write() as session:
        conn = session.connection()
        insert_rows(conn, children, [{"id": n, "name": f"Anak {n}", "name_normalized": f"anak {n}"} for n in (1, 2)],
                    {"region_code": DESA})
        insert_rows(conn, cases, [{"id": n, "child_id": n, "reference": f"ATS-TEST-{n}"} for n in (1, 2)],
                    {"status": "recorded", "region_code": DESA})
        shared: dict[str, Any] = {"instrument": "impor", "instrument_version": 1, "submitted_by": person, "region_code": DESA}
        if submitted_at is not None:
            shared["submitted_at"] = submitted_at
        insert_rows(conn, responses, [{"id": n, "case_id": n, "child_id": n, "reference": f"F-TEST-{n}", "answers": a}
                                      for n, a in enumerate(answers, start=1)], shared)


def test_bulk_rows_are_sealed_and_read_back(db: Database, regions: None) -> None:
    answers: list[dict[str, Any]] = [{"1.1": "Siti", "1.2": "1", "1.2.nik": NIK}, {"1.1": "Budi", "ART": [{"ART.2": NIK}]}]
    at = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    _write(db, answers, at)
    with db.read() as session:
        raw = session.execute(text("SELECT answers FROM responses ORDER BY id")).scalars().all()
        assert all(NIK not in str(value) for value in raw) and all("$sealed" in str(value) for value in raw)
        assert "Siti" in str(raw[0])  # what is not personal stays readable by SQL
        stored = session.query(Response).order_by(Response.id).all()
        assert [r.answers for r in stored] == answers
        assert stored[0].submitted_at == dt.datetime(2026, 11, 23, 3, 30, tzinfo=dt.UTC)
        cases = session.query(Case).order_by(Case.id).all()
        assert all(c.created_at is not None and c.created_at.tzinfo is not None for c in cases)  # defaults filled


def test_bulk_rows_refuse_a_naive_datetime(db: Database, regions: None) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        _write(db, [{"1.1": "Siti"}], dt.datetime(2026, 11, 23, 10, 30))
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM children")).scalar_one() == 0  # the transaction rolled back

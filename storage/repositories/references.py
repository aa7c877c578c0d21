"""Reference numbers like ``ATS-3326-000142``: one gap-free series per kabupaten, shared by responses and cases.

A single series means a number read out over the phone identifies exactly one record.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.models import ReferenceCounter
from storage.regions import kabupaten_of
from storage.repositories.sql import upsert_insert


def allocate_reference(session: Session, region_code: str) -> str:
    """The next number of the region's kabupaten, inside the caller's transaction.

    One atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` row-locks the counter until commit on
    PostgreSQL (SQLite's write transaction is exclusive anyway), so concurrent submissions never share a
    number, and a rolled-back submission gives its number back.
    """
    kabupaten = kabupaten_of(region_code).replace(".", "")
    statement = (
        upsert_insert(session, ReferenceCounter)
        .values(kabupaten_code=kabupaten, last_value=1)
        .on_conflict_do_update(index_elements=["kabupaten_code"], set_={"last_value": ReferenceCounter.last_value + 1})
        .returning(ReferenceCounter.last_value)
    )
    number = session.execute(statement).scalar_one()
    return f"ATS-{kabupaten}-{number:06d}"


def reserve_references(session: Session, region_code: str, count: int) -> list[str]:
    """``count`` consecutive numbers of the region's kabupaten in ONE statement (a bulk import's batch), in
    order, inside the caller's transaction; the same guarantees as :func:`allocate_reference`."""
    if count <= 0:
        return []
    kabupaten = kabupaten_of(region_code).replace(".", "")
    statement = (
        upsert_insert(session, ReferenceCounter)
        .values(kabupaten_code=kabupaten, last_value=count)
        .on_conflict_do_update(index_elements=["kabupaten_code"], set_={"last_value": ReferenceCounter.last_value + count})
        .returning(ReferenceCounter.last_value)
    )
    last = session.execute(statement).scalar_one()
    return [f"ATS-{kabupaten}-{number:06d}" for number in range(last - count + 1, last + 1)]

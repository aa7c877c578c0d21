"""Reference numbers: cases ``ATS-3326-000142``, form receipts ``F-3326-000142``; each a gap-free series per
kabupaten.

Two series with two prefixes: a parent or a volunteer who reads a number out over the phone is asked for the
case (the child), and a receipt is recognisably not one; every lookup accepts either and finds the case.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.models import ReferenceCounter
from storage.regions import kabupaten_of
from storage.repositories.sql import upsert_insert

CASE = "ATS"
RECEIPT = "F"


def allocate_reference(session: Session, region_code: str, series: str = CASE) -> str:
    """The next number of the region's kabupaten in ``series`` (:data:`CASE` or :data:`RECEIPT`), inside the
    caller's transaction.

    One atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` row-locks the counter until commit on
    PostgreSQL (SQLite's write transaction is exclusive anyway), so concurrent submissions never share a
    number, and a rolled-back submission gives its number back.
    """
    kabupaten = kabupaten_of(region_code).replace(".", "")
    counter = kabupaten if series == CASE else series + kabupaten  # cases keep the counters they always had
    statement = (
        upsert_insert(session, ReferenceCounter)
        .values(kabupaten_code=counter, last_value=1)
        .on_conflict_do_update(index_elements=["kabupaten_code"], set_={"last_value": ReferenceCounter.last_value + 1})
        .returning(ReferenceCounter.last_value)
    )
    number = session.execute(statement).scalar_one()
    return f"{series}-{kabupaten}-{number:06d}"


def is_receipt(reference: str) -> bool:
    """Whether a (normalised) reference is a form receipt rather than a case."""
    return reference.startswith(RECEIPT + "-")


def normalise(reference: str) -> str:
    """A reference as typed (``ats 3326 142``, `` f-3326-000142``) in its stored form, when it looks like one."""
    parts = reference.replace("-", " ").replace("·", " ").split()
    if len(parts) == 3 and parts[0].upper() in (CASE, RECEIPT) and parts[1].isdigit() and parts[2].isdigit():
        return f"{parts[0].upper()}-{parts[1]}-{int(parts[2]):06d}"
    return reference.strip().upper()


def reserve_references(session: Session, region_code: str, count: int, series: str = CASE) -> list[str]:
    """``count`` consecutive numbers of ``series`` in the region's kabupaten in ONE statement (a bulk import's
    chunk), in order, inside the caller's transaction; the same guarantees as :func:`allocate_reference`."""
    if count <= 0:
        return []
    kabupaten = kabupaten_of(region_code).replace(".", "")
    counter = kabupaten if series == CASE else series + kabupaten
    statement = (
        upsert_insert(session, ReferenceCounter)
        .values(kabupaten_code=counter, last_value=count)
        .on_conflict_do_update(index_elements=["kabupaten_code"], set_={"last_value": ReferenceCounter.last_value + count})
        .returning(ReferenceCounter.last_value)
    )
    last = session.execute(statement).scalar_one()
    return [f"{series}-{kabupaten}-{number:06d}" for number in range(last - count + 1, last + 1)]

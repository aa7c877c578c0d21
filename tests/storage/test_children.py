"""Finding children that are probably already recorded."""

from __future__ import annotations

from datetime import date

import pytest

from storage.db import Database
from storage.repositories.children import ChildIdentity, find_duplicate_children, normalize_name
from storage.repositories.responses import Submission, submit_response
from tests.storage.conftest import DESA, DESA_2


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("Ayu Lestari", "ayu lestari"),
        ("  AYU   lestari ", "ayu lestari"),
        ("Muh. Rizky_Ardiansyah", "muh rizky ardiansyah"),
        ("Siti Nur'aini", "siti nur aini"),
        ("Zoë Ándrea", "zoe andrea"),
    ],
)
def test_normalize_name(typed: str, normalized: str) -> None:
    assert normalize_name(typed) == normalized


def test_find_duplicate_children(db: Database, pendata: int) -> None:
    def add(identity: ChildIdentity) -> int:
        result = submit_response(
            db, Submission("pendataan", 1, {}, submitted_by=pendata, region_code=identity.region_code, child=identity)
        )
        assert result.child_id is not None
        return result.child_id

    with_nik = add(ChildIdentity("Ayu Lestari", DESA, nik="3326014501120003", birth_date=date(2012, 1, 5)))
    by_name = add(ChildIdentity("Budi Santoso", DESA, birth_date=date(2011, 2, 3)))
    add(ChildIdentity("Budi Santoso", DESA_2, birth_date=date(2011, 2, 3)))

    with db.read() as session:
        def found(identity: ChildIdentity) -> list[int]:
            return [c.id for c in find_duplicate_children(session, db.cipher, identity)]

        assert found(ChildIdentity("Someone Else", DESA_2, nik="3326-0145-0112-0003")) == [with_nik]
        assert found(ChildIdentity("budi  SANTOSO", DESA, birth_date=date(2011, 2, 3))) == [by_name]
        assert found(ChildIdentity("Budi Santoso", DESA)) == []
        assert found(ChildIdentity("Citra", DESA, birth_date=date(2011, 2, 3))) == []

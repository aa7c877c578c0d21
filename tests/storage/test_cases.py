"""Cases: opening with a reference number, status history."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.errors import NotFoundError
from storage.repositories.audit import history
from storage.repositories.cases import case_history, change_case_status, open_case
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission, submit_response
from tests.storage.conftest import DESA


@pytest.fixture
def child_id(db: Database, pendata: int) -> int:
    result = submit_response(db, Submission("pendataan", 1, {}, pendata, DESA, child=ChildIdentity("Ayu", DESA)))
    assert result.child_id is not None
    return result.child_id


def test_open_case_and_follow_its_history(db: Database, pendata: int, child_id: int) -> None:
    case = open_case(db, child_id, DESA, "teridentifikasi", category="DO", actor_id=pendata)
    assert case.reference == "ATS-3326-000001"  # the response before it took receipt F-3326-000001
    change_case_status(db, case.id, "terverifikasi", actor_id=pendata)
    event = change_case_status(db, case.id, "kembali_sekolah", actor_id=pendata, reason="Masuk PKBM Paket B")
    assert (event.from_status, event.to_status, event.reason) == (
        "terverifikasi",
        "kembali_sekolah",
        "Masuk PKBM Paket B",
    )
    assert [(e.from_status, e.to_status) for e in case_history(db, case.id)] == [
        (None, "teridentifikasi"),
        ("teridentifikasi", "terverifikasi"),
        ("terverifikasi", "kembali_sekolah"),
    ]
    assert [e.action for e in history(db, "case", case.id)] == ["case.open", "case.status", "case.status"]


def test_change_status_of_missing_case(db: Database) -> None:
    with pytest.raises(NotFoundError):
        change_case_status(db, 404, "x")

"""Submitting responses: reference numbers, child linking, drafts and atomicity (cases: tests/cases/test_opening.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.errors import DraftClosedError
from storage.models import AuditLog, Child, DraftStatus, ReferenceCounter, Response, Sex
from storage.repositories.children import ChildIdentity
from storage.repositories.drafts import cancel_draft, create_draft, get_draft, save_state
from storage.repositories.responses import Submission, get_response, submit_response
from tests.storage.conftest import DESA, DESA_2, OTHER_KABUPATEN_DESA

NIK = "3326014501120003"
AYU = ChildIdentity(
    name="Ayu Lestari",
    region_code=DESA,
    nik=NIK,
    sex=Sex.P,
    birth_place="Pekalongan",
    birth_date=date(2012, 1, 5),
    address="Dukuh Krajan",
    rt="002",
    rw="001",
)


def submission(person: int, **changes: object) -> Submission:
    values: dict[str, object] = {
        "instrument": "pendataan",
        "instrument_version": 2,
        "answers": {"1.1": "Ayu Lestari", "1.2": "1", "1.2.nik": NIK},
        "submitted_by": person,
        "region_code": DESA,
        "child": AYU,
    }
    values.update(changes)
    return Submission(**values)  # type: ignore[arg-type]


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_submit_creates_response_and_child(db: Database, pendata: int) -> None:
    location = {"lat": -7.05, "lon": 109.6}
    result = submit_response(db, submission(pendata, location=location))
    assert result.reference == "F-3326-000001"
    assert result.child_created and not result.already_submitted
    response = get_response(db, result.reference)
    assert response is not None
    assert (response.instrument, response.instrument_version, response.child_id) == ("pendataan", 2, result.child_id)
    assert response.answers["1.2.nik"] == NIK
    assert (response.location, response.region_code, response.submitted_by) == (location, DESA, pendata)
    with db.read() as session:
        child = session.get(Child, result.child_id)
    assert child is not None
    assert (child.name, child.name_normalized, child.birth_date, child.sex, child.rt) == (
        "Ayu Lestari",
        "ayu lestari",
        date(2012, 1, 5),
        Sex.P,
        "002",
    )
    assert child.nik_encrypted is not None and NIK.encode() not in child.nik_encrypted
    assert db.cipher.decrypt_nik(child.nik_encrypted) == NIK
    assert child.nik_hash == db.cipher.nik_hash(NIK)
    assert child.created_by == pendata
    assert get_response(db, "F-3326-999999") is None


def test_reference_numbers_count_per_kabupaten(db: Database, pendata: int) -> None:
    references = [submit_response(db, submission(pendata, child=None)).reference for _ in range(3)]
    other = submit_response(db, submission(pendata, child=None, region_code=OTHER_KABUPATEN_DESA)).reference
    assert references == ["F-3326-000001", "F-3326-000002", "F-3326-000003"]
    assert other == "F-7371-000001"


def test_same_nik_links_the_existing_child(db: Database, pendata: int) -> None:
    first = submit_response(db, submission(pendata))
    renamed = ChildIdentity(name="Ayu L.", region_code=DESA_2, nik="3326 0145 0112 0003")
    second = submit_response(db, submission(pendata, child=renamed, instrument="rekonfirmasi", instrument_version=1))
    assert second.child_id == first.child_id and not second.child_created
    assert count(db, Child) == 1


def test_name_birth_date_and_desa_link_a_child_without_nik(db: Database, pendata: int) -> None:
    without_nik = ChildIdentity(name="Rizky Ardiansyah", region_code=DESA, birth_date=date(2010, 7, 1))
    first = submit_response(db, submission(pendata, child=without_nik))
    typed_differently = ChildIdentity(
        name="  RIZKY  ardiansyah. ", region_code=DESA, birth_date=date(2010, 7, 1), nik="3326010107100001", rt="003"
    )
    second = submit_response(db, submission(pendata, child=typed_differently))
    assert second.child_id == first.child_id
    with db.read() as session:
        child = session.get(Child, first.child_id)
    assert child is not None
    assert child.name == "Rizky Ardiansyah"  # what was recorded first is not overwritten
    assert child.rt == "003" and child.nik_hash == db.cipher.nik_hash("3326010107100001")  # gaps are filled


def test_a_later_response_without_nik_finds_the_child_with_nik(db: Database, pendata: int) -> None:
    first = submit_response(db, submission(pendata))
    no_nik = ChildIdentity(name="ayu lestari", region_code=DESA, birth_date=date(2012, 1, 5))
    assert submit_response(db, submission(pendata, child=no_nik)).child_id == first.child_id


def test_different_nik_or_place_or_date_is_another_child(db: Database, pendata: int) -> None:
    first = submit_response(db, submission(pendata))
    twin_other_nik = ChildIdentity(
        name="Ayu Lestari", region_code=DESA, birth_date=date(2012, 1, 5), nik="3326014501120011"
    )
    other_desa = ChildIdentity(name="Ayu Lestari", region_code=DESA_2, birth_date=date(2012, 1, 5))
    other_day = ChildIdentity(name="Ayu Lestari", region_code=DESA, birth_date=date(2012, 1, 6))
    ids = {submit_response(db, submission(pendata, child=c)).child_id for c in (twin_other_nik, other_desa, other_day)}
    assert first.child_id not in ids and len(ids) == 3


def test_a_bare_name_never_merges(db: Database, pendata: int) -> None:
    bare = ChildIdentity(name="Dewi", region_code=DESA)
    ids = {submit_response(db, submission(pendata, child=bare)).child_id for _ in range(2)}
    assert len(ids) == 2


def test_draft_is_marked_submitted_and_double_submit_is_idempotent(db: Database, pendata: int) -> None:
    draft = create_draft(db, pendata, "pendataan", 2, label="Ayu")
    save_state(db, draft.id, {"answers": {"1.1": "Ayu"}}, 1)
    first = submit_response(db, submission(pendata, draft_id=draft.id))
    stored = get_draft(db, draft.id)
    assert stored is not None and stored.status == DraftStatus.SUBMITTED
    again = submit_response(db, submission(pendata, draft_id=draft.id))
    assert again.already_submitted
    assert (again.response_id, again.reference, again.child_id) == (first.response_id, first.reference, first.child_id)
    assert count(db, Response) == 1
    with pytest.raises(DraftClosedError):
        save_state(db, draft.id, {}, stored.version)


def test_cancelled_or_mismatched_draft_is_refused(db: Database, pendata: int) -> None:
    cancelled = create_draft(db, pendata, "pendataan", 2)
    cancel_draft(db, cancelled.id)
    with pytest.raises(DraftClosedError):
        submit_response(db, submission(pendata, draft_id=cancelled.id))
    other_version = create_draft(db, pendata, "pendataan", 1)
    with pytest.raises(ValueError, match="v1"):
        submit_response(db, submission(pendata, draft_id=other_version.id))
    assert count(db, Response) == 0


def test_submission_is_all_or_nothing(db: Database, pendata: int) -> None:
    """A failure late in the transaction leaves no child, no response, no used number and an open draft."""
    draft = create_draft(db, pendata, "pendataan", 2)
    with pytest.raises(Exception, match="(?i)foreign key"):
        submit_response(db, submission(pendata, draft_id=draft.id, case_id=987654))
    assert (count(db, Child), count(db, Response), count(db, ReferenceCounter), count(db, AuditLog)) == (0, 0, 0, 0)
    stored = get_draft(db, draft.id)
    assert stored is not None and stored.status == DraftStatus.DRAFT
    assert submit_response(db, submission(pendata, draft_id=draft.id)).reference == "F-3326-000001"


def test_submission_is_audited(db: Database, pendata: int) -> None:
    result = submit_response(db, submission(pendata))
    with db.read() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "response.submit")).one()
    assert (entry.subject_type, entry.subject_id, entry.actor_id, entry.region_code) == (
        "response",
        str(result.response_id),
        pendata,
        DESA,
    )
    assert entry.detail == {"reference": result.reference, "instrument": "pendataan", "child_created": True}

"""Form receipts and case references look different, and every lookup accepts either (issue 14 §9)."""

from __future__ import annotations

import re

import pytest

from cases import service
from cases.errors import CaseNotFound
from cases.opening import submit_form
from storage.db import Database
from storage.models import Response
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission
from tests.cases.conftest import DESA, People, path_answers
from tests.cases.test_cli import cli, run  # noqa: F401
from tests.uow import committed


def _receipt_and_case(db: Database, people: People) -> tuple[str, str, int]:
    submission = Submission("pendataan", 1, path_answers("pendataan", "full"), people.volunteer, DESA,
                            child=ChildIdentity("Ayu Lestari", DESA))
    response_id = committed(db, submit_form, submission).response_id
    with db.read() as session:
        response = session.get(Response, response_id)
        assert response is not None and response.case_id is not None
        receipt, case_id = response.reference, response.case_id
    return receipt, committed(db, service.case_summary, case_id).reference, case_id


def test_receipts_and_cases_have_formats_of_their_own(db: Database, people: People) -> None:
    receipt, case, _ = _receipt_and_case(db, people)
    assert re.fullmatch(r"F-3326-\d{6}", receipt), receipt
    assert re.fullmatch(r"ATS-3326-\d{6}", case), case


def test_a_case_is_found_by_its_reference_or_by_a_form_receipt(db: Database, people: People) -> None:
    receipt, case, case_id = _receipt_and_case(db, people)
    for typed in (receipt, case, f" {receipt.lower()} ", case.replace("-", " ").replace(" 0000", " ")):
        assert committed(db, service.case_by_reference, typed) == case_id, typed
    with pytest.raises(CaseNotFound):
        committed(db, service.case_by_reference, "F-3326-999999")
    with db.write() as session:  # a receipt issued before receipts had their own prefix still finds its case
        session.query(Response).filter(Response.reference == receipt).update({"reference": "ATS-3326-000777"})
    assert committed(db, service.case_by_reference, "ATS-3326-000777") == case_id


def test_cases_show_accepts_a_receipt(cli: None, db: Database, people: People, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    receipt, case, _ = _receipt_and_case(db, people)
    assert run(cli, "cases", "show", receipt) == 0
    assert f"Ayu Lestari · {case}" in capsys.readouterr().out

"""A submitted form, and the case that follows the child a data collection found (guide Bab II.B).

Storing a form (:func:`storage.repositories.responses.submit_response`) only links its child; whether the child
needs a case, and which, is the workflow's decision and lives here, in the same unit of work as the form.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from cases.forms import FormReader
from storage.derived import case_changed
from storage.models import Case, Response
from storage.repositories.cases import add_case
from storage.repositories.responses import Submission, SubmitResult, submit_response
from storage.uow import UnitOfWork, atomic

FINDING_FORMS = ("pendataan", "rekonfirmasi")
"""The data collections: a child they find is followed by a case."""
FOUND = "recorded"
"""The status a case opened by a data collection starts in (``cases.lifecycle.INITIAL``)."""


@atomic
def submit_form(uow: UnitOfWork, submission: Submission) -> SubmitResult:
    """Store a finished form and, for a data collection, the case that follows its child: one step of the
    caller's unit of work. Submitting a draft again returns the earlier result and changes nothing."""
    result = submit_response(uow.database, submission)
    if result.already_submitted:
        return result
    return replace(result, case_id=follow_found_child(uow, result.response_id))


def follow_found_child(uow: UnitOfWork, response_id: int) -> int | None:
    """The case of a submitted form: its own; for a data collection about a child without one, the child's
    latest case when the same child (same NIK, or same name, birth date and desa) is known already — never a
    second case — else a new ``recorded`` one in the form's ATS category. The form joins it."""
    session = uow.session
    response = session.get(Response, response_id)
    if response is None or response.case_id is not None or response.child_id is None or response.instrument not in FINDING_FORMS:
        return response.case_id if response else None
    case_id = session.scalar(select(Case.id).where(Case.child_id == response.child_id).order_by(Case.id.desc()).limit(1))
    if case_id is None:
        category = FormReader(response).raw("category")
        case_id = add_case(session, response.child_id, response.region_code, FOUND,
                           category=None if category is None else str(category), actor_id=response.submitted_by).id
    response.case_id = case_id
    case_changed(session, case_id)
    return case_id

"""The case workflow on stored cases: every move is checked by :mod:`cases.lifecycle` and written with its history.

Each public function works inside the caller's :class:`~storage.uow.UnitOfWork` and commits nothing itself: a
chat turn, a command or a web request opens one and commits everything it changed together. A write that raises
leaves the unit of work as it was (:func:`~storage.uow.atomic`). The case row is locked while it moves, so two
volunteers tapping at once get a linear history (the second one sees the first one's move and is refused if it
no longer applies). Every change writes a ``CaseEvent``
(who, when, why, which event, which form) and an audit entry in the same transaction.

Errors for people are :class:`CaseError` subclasses carrying a message id of :mod:`cases.messages` and its
parameters (:meth:`CaseError.render` translates them). ``ValueError`` means the caller broke the contract.

Who may call what (checked by the bot with :mod:`core.authz`, not here): proposing — anyone; taking,
verifying, assigning, marking duplicates — ``Action.VERIFY`` / ``Action.ASSIGN`` on ``case.region_code``;
consent and school choice — the parent or the pendamping (``Action.FILL``); return and monitoring — the
pendamping or the school operator; :func:`transition` — the desa team and the pendamping.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cases import lifecycle
from cases import messages as m
from cases.catalogue import name_of
from cases.errors import (  # noqa: F401  (re-exported: the bot needs one import)
    AlreadyTaken,
    CaseError,
    CaseNotFound,
    DuplicateCase,
    IllegalTransition,
    InvalidInput,
)
from cases.forms import FormReader, load_form
from cases.programme_steps import history_rows
from cases.schools import NPSN
from core.authz import TEAM, covers
from core.visibility import mask_nik
from flows.values import age_on
from storage.crypto import NikCipher
from storage.derived import case_changed
from storage.models import (
    Assignment,
    Case,
    CaseEvent,
    Child,
    Invitation,
    Person,
    Region,
    RegionLevel,
    Response,
    Role,
    School,
    Visit,
)
from storage.models.cases import CaseProposal, Enrolment, SchoolChoice
from storage.published import published
from storage.repositories.audit import add_entry
from storage.repositories.cases import add_case
from storage.repositories.children import ChildIdentity, find_duplicate_children, find_or_create_child, normalize_name
from storage.repositories.invitations import add_invitation
from storage.repositories.references import is_receipt, normalise
from storage.types import utcnow
from storage.uow import UnitOfWork, atomic

MIN_AGE, MAX_AGE = 7, 18
"""Anak Tidak Sekolah are children aged 7 to 18 (Bab I.C.1)."""
APPROX_MIN_AGE, APPROX_MAX_AGE = 5, 20
"""A proposer's estimate may be off by a couple of years (the ``usulan`` form accepts 5–20)."""
MAX_NAME, MAX_NOTE, MAX_REASON, MAX_CLASS = 200, 2000, 2000, 60
FIRST_YEAR, LAST_YEAR = 2019, 2100
"""Gerakan KUDU Sekolah started on 2 May 2019; the upper bound only catches typos."""
DUPLICATE_REASON = "duplikat dari {reference}"
"""The reason stored when a case is closed as a duplicate (data, not a message)."""
DATA_EVENTS = frozenset({"assign", "reassign", "choose_school", "enrol"})
"""Moves that need data besides a reason: only through their own function (not :func:`transition`)."""
PENDAMPING_ROLES = (Role.PENDAMPING, *TEAM)

ConsentAnswer = Literal["willing", "not_willing", "undecided"]
CONSENT_EVENTS: dict[str, str] = {
    "willing": "consent_willing",
    "not_willing": "consent_not_willing",
    "undecided": "consent_undecided",
}
KESEDIAAN_CODES: dict[str, str] = {"1": "willing", "2": "not_willing", "3": "undecided"}
"""Lampiran 8 C.2: 1 Bersedia, 2 Tidak bersedia, 3 Belum memutuskan."""


# -- results --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseSummary:
    """What a pendamping (or the team) needs to recognise a child, with the NIK masked."""

    case_id: int
    reference: str
    status: str
    closed: bool
    child_id: int
    child_name: str
    nik_masked: str | None
    age: int | None
    age_estimated: bool
    """True when ``age`` comes from the proposer's estimate (no birth date known yet)."""
    sex: str | None
    """``L`` or ``P``."""
    region_code: str
    village: str | None
    kecamatan: str | None
    address: str | None
    pendamping_id: int | None
    pendamping_name: str | None
    last_visit: dt.date | None
    school_name: str | None
    school_npsn: str | None
    class_level: str | None
    school_is_choice: bool
    """True when the school is only chosen (Lampiran 9), False when the child is enrolled there."""
    proposed_by: int | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class Proposal:
    case_id: int
    reference: str
    child_id: int
    region_code: str
    village: str
    possible_duplicates: tuple[CaseSummary, ...] = ()
    """Open cases of a child with the same name in the same village: a hint for the team, not a verdict."""


@dataclass(frozen=True)
class ProposalDetails:
    """A proposal as the volunteer who verifies it sees it."""

    case_id: int
    reference: str
    status: str
    child_name: str
    approx_age: int
    region_code: str
    village: str
    note: str
    photo_file_id: str | None
    location: dict[str, Any] | None
    proposed_by: int | None
    taken_by: int | None
    proposed_at: dt.datetime


@dataclass(frozen=True)
class Moved:
    """The result of a move: what happened and whom the bot should tell."""

    case_id: int
    reference: str
    event: str
    from_status: str
    to_status: str
    actor_id: int | None
    reason: str | None
    proposer_id: int | None
    pendamping_id: int | None
    """The active pendamping after the move."""
    previous_pendamping_id: int | None = None
    """Set by :func:`assign_pendamping` when someone else was accompanying the child before."""
    duplicate_of: str | None = None
    """Set by :func:`mark_duplicate`: the reference of the case that already follows the child."""
    replayed: bool = False
    """The same form had been recorded before (a double tap): nothing was written, this is the earlier move."""


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    event: str | None
    """None for the opening of the case."""
    from_status: str | None
    to_status: str
    actor_id: int | None
    actor_name: str | None
    reason: str | None
    response_reference: str | None
    subject: str | None = None
    """``referral`` or ``assistance`` for a step of those (``event`` is then the step reached, ``what`` the agency
    or programme code); None for a move of the case itself."""
    what: str | None = None


@dataclass(frozen=True)
class VisitLogged:
    visit_id: int
    visit_date: dt.date
    suggested_events: tuple[str, ...]
    """Moves the visit log suggests (e.g. ``drop_out`` when V.4 says "Putus sekolah lagi"); the bot asks the
    pendamping to confirm each with :func:`transition`. Only events allowed in the current status."""
    replayed: bool = False


@dataclass(frozen=True)
class Recipient:
    person_id: int
    chat_id: int
    language: str


# -- reading --------------------------------------------------------------------------------------------------
def case_by_reference(uow: UnitOfWork, reference: str) -> int:
    """The id of the case ``ATS-3326-000142``, or of the case a form receipt ``F-3326-000142`` belongs to
    (letter case, spaces and leading zeros are forgiven)."""
    wanted = normalise(reference)
    session = uow.session
    case_id = None if is_receipt(wanted) else session.scalar(select(Case.id).where(Case.reference == wanted, published(Case)))
    if case_id is None:  # a receipt, or one issued as ATS-… before receipts had a prefix of their own
        case_id = session.scalar(select(Response.case_id).join(Case, Case.id == Response.case_id)
                                 .where(Response.reference == wanted, published(Response), published(Case)))
    if case_id is None:
        raise CaseNotFound(wanted)
    return int(case_id)


def case_summary(uow: UnitOfWork, case_id: int, today: dt.date | None = None) -> CaseSummary:
    """The child's summary for the pendamping's message (see :func:`cases.presenting.summary_text`)."""
    session = uow.session
    summaries = _summaries(session, uow.cipher, [case_id], today or dt.date.today())
    if not summaries:
        raise CaseNotFound(f"#{case_id}")
    return summaries[0]


def case_history(uow: UnitOfWork, case_id: int) -> list[HistoryEntry]:
    """Every move of a case, and every step of its referrals and assistance, oldest first, with who made it and why."""
    session = uow.session
    if session.scalar(select(Case.id).where(Case.id == case_id, published(Case))) is None:
        raise CaseNotFound(f"#{case_id}")
    rows = session.execute(
        select(CaseEvent, Person.display_name, Response.reference)
        .outerjoin(Person, Person.id == CaseEvent.actor_id)
        .outerjoin(Response, Response.id == CaseEvent.response_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.at, CaseEvent.id)
    ).all()
    region = session.scalar(select(Case.region_code).where(Case.id == case_id))
    steps = [HistoryEntry(e.at, e.step, None, e.step, e.actor_id, name, e.note, None, e.subject, name_of(e.subject, region, e.what))
             for e, name in history_rows(session, case_id)]
    moves = [HistoryEntry(e.at, e.event, e.from_status, e.to_status, e.actor_id, name, e.reason, ref) for e, name, ref in rows]
    return sorted(moves + steps, key=lambda entry: entry.at)


def proposal_details(uow: UnitOfWork, case_id: int) -> ProposalDetails:
    session = uow.session
    return _proposal_details(session, _get_case(session, case_id))


def find_duplicates(
    uow: UnitOfWork, identity: ChildIdentity, *, include_closed: bool = False, exclude_case_id: int | None = None,
    today: dt.date | None = None,
) -> list[CaseSummary]:
    """Cases of children already recorded that are probably this one, newest first: same NIK, or same normalized
    name, birth date and desa (two different NIKs are two children). Call it before opening a case and offer
    these instead; a bare name (no birth date, no NIK) matches nothing, as in ``storage``."""
    children = find_duplicate_children(uow.session, uow.cipher, identity)
    if identity.nik:
        same_nik = {None, *uow.cipher.nik_hashes(identity.nik)}
        children = [c for c in children if c.nik_hash in same_nik]
    if not children:
        return []
    session = uow.session
    query = select(Case.id).where(Case.child_id.in_([c.id for c in children]), published(Case))
    if not include_closed:
        query = query.where(Case.status.in_(lifecycle.OPEN))
    if exclude_case_id is not None:
        query = query.where(Case.id != exclude_case_id)
    ids = list(session.scalars(query.order_by(Case.id.desc())))
    return _summaries(session, uow.cipher, ids, today or dt.date.today())


def proposal_recipients(uow: UnitOfWork, case_id: int) -> list[Recipient]:
    """Who hears of a new proposal at once (Bab II.C): the desa team, or if it has nobody reachable on Telegram,
    the kecamatan team, then the kabupaten team."""
    session = uow.session
    case = _get_case(session, case_id)
    parts = case.region_code.split(".")
    for depth in range(len(parts), 1, -1):
        rows = session.execute(
            select(Person.id, Person.telegram_chat_id, Person.language)
            .where(
                Person.region_code == ".".join(parts[:depth]),
                Person.role.in_([Role.TIM_DESA, Role.TIM_KECAMATAN, Role.TIM_KABUPATEN]),
                Person.unreachable.is_(False),
                Person.telegram_chat_id.is_not(None),
            )
            .order_by(Person.id)
        ).all()
        if rows:
            return [Recipient(pid, chat, language.value) for pid, chat, language in rows if chat is not None]
    return []


# -- proposing and verifying (Bab II.C) -----------------------------------------------------------------------
@atomic
def propose(
    uow: UnitOfWork,
    proposer_id: int,
    name: str,
    approx_age: int,
    desa_code: str,
    note: str,
    photo_file_id: str | None = None,
    location: dict[str, Any] | None = None,
    *,
    address: str | None = None,
) -> Proposal:
    """A member of the public proposes a child: a child record with what is known and a ``proposed`` case.

    ``desa_code`` is the village (a kecamatan code is accepted when the village is not known);
    ``approx_age`` is the proposer's estimate (5–20, as the ``usulan`` form asks; whether the child is an ATS
    of 7–18 is settled by the verification). The bot then notifies :func:`proposal_recipients` with a button
    that calls :func:`take_proposal`. For a submitted ``usulan`` form use :func:`propose_from_response`.
    """
    name, note, location = _checked_proposal(name, approx_age, note, location)
    session = uow.session
    region = _proposal_region(session, desa_code)
    child, _ = find_or_create_child(
        session, uow.cipher, ChildIdentity(name=name, region_code=region.code, address=address or None), proposer_id
    )
    return _propose(session, uow.cipher, proposer_id, child, region, approx_age, note, photo_file_id, location)


@atomic
def propose_from_response(uow: UnitOfWork, response_id: int) -> Proposal:
    """:func:`propose` from a submitted ``usulan`` form (U.1 name, U.2 age, U.3 kecamatan, U.4 desa, U.5
    address, U.6 what the proposer knows, U.7 photo, U.8 location); the form joins the new case. The desa is
    the picked code, or (forms of before the list) a name matched within the kecamatan (:func:`resolve_desa`);
    when it matches no village the case is placed in the
    kecamatan. Recording the same form again returns the same proposal."""
    session = uow.session
    response = load_form(session, response_id, ("usulan",))
    f = FormReader(response)
    if response.case_id is not None:
        case = _get_case(session, response.case_id)
        region = session.get(Region, case.region_code)
        return Proposal(case.id, case.reference, case.child_id, case.region_code, region.name if region else case.region_code)
    kecamatan = str(f.raw("kecamatan") or "")
    desa = _desa_code(session, kecamatan, f.raw("desa")) or _find_desa(session, kecamatan, f.text("desa") or "") or kecamatan
    photo = f.raw("photo")
    photo_file_id = photo.get("file_id") if isinstance(photo, dict) else None
    location = f.raw("home_location") if isinstance(f.raw("home_location"), dict) else None
    age = f.raw("estimated_age")
    name, note, location = _checked_proposal(f.text("name") or "", age, f.text("note") or "", location)
    region = _proposal_region(session, desa)
    address = f.text("address")
    child = session.get(Child, response.child_id) if response.child_id is not None else None
    if child is None or child.birth_date is not None or child.nik_hash is not None:
        child, _ = find_or_create_child(session, uow.cipher, ChildIdentity(name=name, region_code=region.code, address=address),
                                        response.submitted_by)
    else:  # the bare record the submission made: place it in the village found
        child.region_code, child.address = region.code, child.address or address
    response.child_id = child.id
    proposal = _propose(session, uow.cipher, response.submitted_by, child, region, age, note, photo_file_id, location)
    response.case_id = proposal.case_id
    case_changed(session, proposal.case_id)
    return proposal


def resolve_desa(uow: UnitOfWork, kecamatan_code: str, name: str) -> str | None:
    """The code of the village called ``name`` in the kecamatan ("Desa Kutorejo", "kutorejo" and the typo
    "Kutorojo" all find Kutorejo); None when no village, or more than one, matches."""
    session = uow.session
    return _find_desa(session, kecamatan_code, name)


def _checked_proposal(name: str, approx_age: Any, note: str, location: dict[str, Any] | None) -> tuple[str, str, dict[str, Any] | None]:
    name = " ".join(name.split())
    note = note.strip()
    if not name:
        raise InvalidInput(m.NAME_REQUIRED)
    if len(name) > MAX_NAME:
        raise InvalidInput(m.NAME_TOO_LONG, {"max": MAX_NAME})
    if len(note) > MAX_NOTE:
        raise InvalidInput(m.NOTE_TOO_LONG, {"max": MAX_NOTE})
    if isinstance(approx_age, bool) or not isinstance(approx_age, int) or not APPROX_MIN_AGE <= approx_age <= APPROX_MAX_AGE:
        raise InvalidInput(m.AGE_RANGE, {"min": APPROX_MIN_AGE, "max": APPROX_MAX_AGE, "age": approx_age})
    return name, note, _checked_location(location)


def _proposal_region(session: Session, code: str) -> Region:
    region = session.get(Region, code)
    if region is None or region.level not in (RegionLevel.DESA, RegionLevel.KECAMATAN):
        raise InvalidInput(m.UNKNOWN_VILLAGE, {"code": code})
    return region


def _propose(
    session: Session, cipher: NikCipher, proposer_id: int, child: Child, region: Region, approx_age: int, note: str,
    photo_file_id: str | None, location: dict[str, Any] | None,
) -> Proposal:
    case = add_case(session, child.id, region.code, "proposed", category=None, actor_id=proposer_id)
    case.proposed_by = proposer_id
    session.add(CaseProposal(case_id=case.id, approx_age=approx_age, note=note, photo_file_id=photo_file_id, location=location))
    add_entry(session, "case.propose", "case", case.id, actor_id=proposer_id, region_code=region.code,
              detail={"reference": case.reference, "photo": photo_file_id is not None, "location": location is not None})
    session.flush()
    similar = list(session.scalars(
        select(Case.id).join(Child, Child.id == Case.child_id)
        .where(Child.name_normalized == child.name_normalized, Child.region_code == region.code,
               Case.id != case.id, Case.status.in_(lifecycle.OPEN), published(Case))
        .order_by(Case.id.desc())
    ))
    possible = tuple(_summaries(session, cipher, similar, dt.date.today()))
    return Proposal(case.id, case.reference, child.id, region.code, region.name, possible)


def _desa_code(session: Session, kecamatan_code: str, answer: Any) -> str | None:
    """The desa picked from the list (its code), when it is a loaded desa of the kecamatan."""
    if not isinstance(answer, str) or not kecamatan_code or not answer.startswith(kecamatan_code + "."):
        return None
    return session.scalar(select(Region.code).where(Region.code == answer, Region.level == RegionLevel.DESA))


def _find_desa(session: Session, kecamatan_code: str, name: str) -> str | None:
    def key(text: str) -> str:
        text = re.sub(r"^\s*(desa|kelurahan|kel\.|ds\.)\s*", "", text, flags=re.IGNORECASE)
        return normalize_name(text)

    wanted = key(name)
    if not wanted or not kecamatan_code:
        return None
    villages = {code: key(village) for code, village in session.execute(
        select(Region.code, Region.name).where(Region.parent_code == kecamatan_code, Region.level == RegionLevel.DESA))}
    exact = [code for code, village in villages.items() if village == wanted]
    if len(exact) == 1:
        return exact[0]
    close = difflib.get_close_matches(wanted, list(villages.values()), n=2, cutoff=0.85)
    matches = [code for code, village in villages.items() if village in close]
    return matches[0] if len(close) == 1 and len(matches) == 1 else None


@atomic
def take_proposal(uow: UnitOfWork, case_id: int, volunteer_id: int) -> ProposalDetails:
    """The volunteer who tapped "take" will verify the proposal (``proposed`` → ``recorded``).

    Of two volunteers tapping at once, the second gets :class:`AlreadyTaken` naming the first.
    """
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    if case.status == "recorded" and case.taken_by == volunteer_id:
        return _proposal_details(session, case)  # the same volunteer again: nothing to do
    if case.status != "proposed" and case.taken_by is not None:
        taker = session.get(Person, case.taken_by)
        raise AlreadyTaken(case.reference, taker.display_name if taker else "?", case.taken_by)
    _require_person(session, volunteer_id)
    _move(session, case, "record", volunteer_id, None)
    return _proposal_details(session, case)


@atomic
def verify(
    uow: UnitOfWork, case_id: int, actor_id: int, valid: bool, reason: str | None, response_id: int | None = None
) -> Moved:
    """The outcome of verval by home visit (``recorded`` → ``verified`` or ``not_valid``); tell ``proposer_id``.

    ``response_id`` is the volunteer's Rekonfirmasi (or Pendataan) of the child. If that form identified a
    child who is already followed by another open case, :class:`DuplicateCase` is raised and nothing is
    written: offer the existing case and call :func:`mark_duplicate`. Otherwise the form's (fuller) child
    record becomes the case's child and the form is attached to the case.
    """
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    if (earlier := _replay(session, case, response_id)) is not None:
        return earlier
    response = load_form(session, response_id, ("rekonfirmasi", "pendataan")) if response_id is not None else None
    if response is not None:
        other = response.case_id not in (None, case.id)
        if valid:
            existing = _other_open_cases(session, case, response)
            if existing:
                raise DuplicateCase(_summaries(session, uow.cipher, existing, dt.date.today()))
            if response.child_id is not None and response.child_id != case.child_id:
                _adopt_child(session, case, response.child_id)
        if other:
            owner = session.get(Case, response.case_id)
            raise InvalidInput(m.FORM_OF_OTHER_CASE, {"reference": response.reference, "other": owner.reference if owner else "?"})
        response.case_id = case.id
    return _move(session, case, "verify" if valid else "reject", actor_id, reason, response_id)


@atomic
def mark_duplicate(
    uow: UnitOfWork, case_id: int, existing_case_id: int, actor_id: int, response_id: int | None = None
) -> Moved:
    """Close ``case_id`` as ``not_valid`` because ``existing_case_id`` already follows the child (the volunteer
    accepted the existing case offered by :class:`DuplicateCase` or :func:`find_duplicates`). The proposer
    should hear that the tip was right (``Moved.duplicate_of`` is set). The form, if any, joins the existing case."""
    if case_id == existing_case_id:
        raise InvalidInput(m.SAME_CASE)
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    existing = _get_case(session, existing_case_id)
    if case.duplicate_of == existing.id and (earlier := _replay(session, case, response_id)) is not None:
        return _replace(earlier, duplicate_of=existing.reference)
    if response_id is not None:
        response = load_form(session, response_id, ("rekonfirmasi", "pendataan"))
        response.case_id = existing.id
    moved = _move(session, case, "reject", actor_id, DUPLICATE_REASON.format(reference=existing.reference), response_id)
    case.duplicate_of = existing.id
    return _replace(moved, duplicate_of=existing.reference)


# -- accompanying (Bab II.D) ----------------------------------------------------------------------------------
@atomic
def assign_pendamping(uow: UnitOfWork, case_id: int, pendamping_id: int, actor_id: int, reason: str | None = None) -> Moved:
    """``/tugaskan``: make ``pendamping_id`` the case's only active pendamping (earlier assignments end).

    A verified case (or one whose child dropped out again) becomes ``accompanied``; for a case already
    accompanied at any later stage this is a handover (``reassign``) and the status stays. Assigning the
    current pendamping again changes nothing (``replayed``). Send the new pendamping :func:`case_summary`.
    """
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    person = _require_person(session, pendamping_id)
    if person.role not in PENDAMPING_ROLES or (person.role is not Role.ADMIN and not covers(person.region_code, case.region_code)):
        raise InvalidInput(m.NOT_A_PENDAMPING, {"name": person.display_name})
    active = list(session.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active.is_(True))))
    previous = next((a.pendamping_id for a in sorted(active, key=lambda a: a.id, reverse=True)), None)
    if [a.pendamping_id for a in active] == [pendamping_id]:
        return Moved(case.id, case.reference, "reassign", case.status, case.status, actor_id, reason,
                     case.proposed_by, pendamping_id, previous, replayed=True)
    event = "assign" if case.status in ("verified", "dropped_out_again") else "reassign"
    moved = _move(session, case, event, actor_id, reason or f"pendamping: {person.display_name}", None,
                  detail={"pendamping_id": pendamping_id, "previous_pendamping_id": previous})
    _end_assignments(session, case.id)
    session.add(Assignment(case_id=case.id, pendamping_id=pendamping_id, assigned_by=actor_id, active=True))
    return _replace(moved, pendamping_id=pendamping_id, previous_pendamping_id=previous)


@atomic
def log_visit(uow: UnitOfWork, case_id: int, pendamping_id: int, response_id: int) -> VisitLogged:
    """Catatan Hasil Pendampingan (Bab II.D.4): a visit on the date of V.1, with the submitted form.

    A visit moves nothing by itself; ``suggested_events`` says what its answers point to (dropped out again,
    moved away, the parent's willingness) so the bot can ask the pendamping to confirm.
    """
    session = uow.session
    case = _get_case(session, case_id)
    earlier = session.scalar(select(Visit).where(Visit.case_id == case.id, Visit.response_id == response_id))
    if earlier is not None:
        return VisitLogged(earlier.id, earlier.visit_date, (), replayed=True)
    response = load_form(session, response_id, ("pendampingan",))
    _attach(session, response, case)
    f = FormReader(response)
    visit_date = f.date("visit_date") or dt.date.today()
    visit = Visit(case_id=case.id, pendamping_id=pendamping_id, visit_date=visit_date, response_id=response.id)
    session.add(visit)
    case_changed(session, case.id)
    session.flush()
    add_entry(session, "case.visit", "case", case.id, actor_id=pendamping_id, region_code=case.region_code,
              detail={"visit_id": visit.id, "response": response.reference})
    hints = {"4": "drop_out", "5": "move_away"}.get(str(f.raw("situation"))), {
        "1": "consent_willing", "2": "consent_undecided", "3": "consent_not_willing"
    }.get(str(f.raw("willingness")))
    allowed = lifecycle.allowed_events(case.status)
    suggested = tuple(e for e in dict.fromkeys(hints) if e is not None and e in allowed and lifecycle.next_status(case.status, e) != case.status)
    return VisitLogged(visit.id, visit_date, suggested)


@atomic
def invite_parent(uow: UnitOfWork, case_id: int, pendamping_id: int, validity: dt.timedelta = dt.timedelta(days=7)) -> str:
    """An invitation token for the child's parent (role ``orang_tua``, linked to the child and the case)."""
    session = uow.session
    case = _get_case(session, case_id)
    child_id, region = case.child_id, case.region_code
    return add_invitation(session, Role.ORANG_TUA, region, created_by=pendamping_id, validity=validity, child_id=child_id, case_id=case_id)


# -- the parent's decision and the school (Bab II.E, Lampiran 8 and 9) ----------------------------------------
@atomic
def record_consent(
    uow: UnitOfWork, case_id: int, parent_id: int, answer: ConsentAnswer, reason: str | None = None, *, response_id: int | None = None
) -> Moved:
    """The parent's answer to the statement of willingness: ``willing``, ``not_willing`` (a reason is required)
    or ``undecided``. ``parent_id`` is whoever answered (the parent, or the pendamping filling it with them)."""
    if answer not in CONSENT_EVENTS:
        raise ValueError(f"consent answer must be one of {sorted(CONSENT_EVENTS)}, not {answer!r}")
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    if (earlier := _replay(session, case, response_id)) is not None:
        return earlier
    if response_id is not None:
        _attach(session, load_form(session, response_id, ("kesediaan",)), case)
    return _move(session, case, CONSENT_EVENTS[answer], parent_id, reason, response_id)


def consent_from_response(uow: UnitOfWork, response_id: int) -> tuple[ConsentAnswer, str | None]:
    """The answer and reason of a submitted Surat Pernyataan (C.2; C.3 when not willing, C.4 when undecided)."""
    session = uow.session
    response = load_form(session, response_id, ("kesediaan",))
    return _consent_of(response)


def record_consent_response(uow: UnitOfWork, case_id: int, response_id: int) -> Moved:
    """:func:`record_consent` from a submitted ``kesediaan`` form (the submitter is the actor)."""
    session = uow.session
    response = load_form(session, response_id, ("kesediaan",))
    answer, reason = _consent_of(response)
    return record_consent(uow, case_id, response.submitted_by, answer, reason, response_id=response_id)


@atomic
def record_school_choice(uow: UnitOfWork, case_id: int, response_id: int) -> Moved:
    """The school agreed with the family, from a submitted ``pemilihan-sekolah`` form (``willing`` →
    ``school_chosen``; choosing again replaces the choice). C.1 gives the path (formal/nonformal), C.2/C.3 the
    jenjang or paket, C.4 the school's name, C.5 its NPSN (matched with the school list), C.8 the class."""
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    if (earlier := _replay(session, case, response_id)) is not None:
        return earlier
    response = load_form(session, response_id, ("pemilihan-sekolah",))
    f = FormReader(response)
    pathway = {"1": "formal", "2": "nonformal"}.get(str(f.raw("pathway")))
    name = f.text("school_name")
    if pathway is None or name is None:
        raise InvalidInput(m.FORM_INCOMPLETE, {"reference": response.reference, "question": f.qid("pathway" if pathway is None else "school_name")})
    npsn = (f.text("school_npsn") or "").upper() or None
    npsn = npsn if npsn and NPSN.match(npsn) else None
    school = session.scalar(select(School).where(School.npsn == npsn)) if npsn else None
    if school is None and npsn is None:
        school = _school_by_name(session, name, case.region_code)
    _attach(session, response, case)
    code = npsn or (school.npsn if school else None)
    reason = (school.name if school else name) + (f" ({code})" if code else "")
    moved = _move(session, case, "choose_school", response.submitted_by, reason, response.id)
    session.add(SchoolChoice(
        case_id=case.id, response_id=response.id, pathway=pathway,
        level=f.label("formal_level" if pathway == "formal" else "nonformal_level"), school_id=school.id if school else None,
        npsn=npsn or (school.npsn if school else None), school_name=(school.name if school else name)[:200],
        class_level=(f.text("class_level") or "")[:MAX_CLASS] or None, chosen_by=response.submitted_by,
    ))
    return moved


# -- back in school and monitoring (Bab II.F–H, IV) -----------------------------------------------------------
@atomic
def record_return(
    uow: UnitOfWork,
    case_id: int,
    actor_id: int,
    *,
    school_npsn: str | None = None,
    school_id: int | None = None,
    class_level: str,
    year: int,
    reason: str | None = None,
) -> Moved:
    """The child is back in school (``school_chosen`` → ``back_in_school``): which school of the list (by NPSN
    or id), which class (e.g. ``Kelas 7``, ``Paket B Tingkatan III``) and the year they entered."""
    if (school_npsn is None) == (school_id is None):
        raise ValueError("give exactly one of school_npsn and school_id")
    class_level = " ".join(class_level.split())
    if not class_level or len(class_level) > MAX_CLASS:
        raise InvalidInput(m.CLASS_REQUIRED)
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(m.YEAR_RANGE, {"min": FIRST_YEAR, "max": LAST_YEAR})
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    if school_id is not None:
        school = session.get(School, school_id)
    else:
        school = session.scalar(select(School).where(School.npsn == (school_npsn or "").strip().upper()))
    if school is None:
        raise InvalidInput(m.UNKNOWN_SCHOOL, {"npsn": school_npsn if school_npsn is not None else f"#{school_id}"})
    moved = _move(session, case, "enrol", actor_id, reason or f"{school.name} ({school.npsn}), {class_level}, {year}", None,
                  detail={"school_id": school.id, "class_level": class_level, "year": year})
    session.add(Enrolment(case_id=case.id, school_id=school.id, class_level=class_level, year=year, recorded_by=actor_id))
    return moved


@atomic
def record_monitoring(uow: UnitOfWork, case_id: int, response_id: int) -> Moved:
    """A monthly Monitoring (Lampiran 6): C.1 = Ya keeps the child ``monitored``; C.1 = Tidak means the child
    dropped out again (``dropped_out_again``, the reason from C.10 and C.11; the enrolment ends). Then the
    case goes back to accompaniment with :func:`assign_pendamping` or ``transition(..., "return_to_accompaniment")``."""
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    if (earlier := _replay(session, case, response_id)) is not None:
        return earlier
    response = load_form(session, response_id, ("monitoring",))
    f = FormReader(response)
    still = str(f.raw("still_in_school"))
    if still not in ("1", "2"):
        raise InvalidInput(m.FORM_INCOMPLETE, {"reference": response.reference, "question": f.qid("still_in_school")})
    _attach(session, response, case)
    if still == "1":
        return _move(session, case, "monitor", response.submitted_by, None, response.id)
    return _move(session, case, "drop_out", response.submitted_by, _dropout_reason(response), response.id)


@atomic
def transition(
    uow: UnitOfWork, case_id: int, event: str, actor_id: int | None, reason: str | None = None, *, response_id: int | None = None
) -> Moved:
    """Any move that needs nothing but a reason: ``record``, ``verify``, ``reject``, ``consent_*``, ``monitor``,
    ``graduate``, ``drop_out``, ``return_to_accompaniment``, ``move_away``, ``age_out``. Illegal moves raise
    :class:`IllegalTransition`; ``reject``, ``consent_not_willing``, ``drop_out`` and ``move_away`` need a reason."""
    if event in DATA_EVENTS:
        raise ValueError(f"{event!r} needs data: use assign_pendamping, record_school_choice or record_return")
    session = uow.session
    case = _get_case(session, case_id, lock=True)
    if (earlier := _replay(session, case, response_id)) is not None:
        return earlier
    return _move(session, case, event, actor_id, reason, response_id)


# -- internals ------------------------------------------------------------------------------------------------
def _get_case(session: Session, case_id: int, *, lock: bool = False) -> Case:
    case = session.get(Case, case_id, with_for_update=lock) if lock else session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"#{case_id}")
    return case


def _require_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise InvalidInput(m.UNKNOWN_PERSON)
    return person


def _active_pendamping(session: Session, case_id: int) -> int | None:
    return session.scalar(
        select(Assignment.pendamping_id).where(Assignment.case_id == case_id, Assignment.active.is_(True)).order_by(Assignment.id.desc()).limit(1)
    )


def _move(
    session: Session,
    case: Case,
    event: str,
    actor_id: int | None,
    reason: str | None,
    response_id: int | None = None,
    *,
    detail: dict[str, Any] | None = None,
) -> Moved:
    """Apply one lifecycle event to a locked case: check it, write the event and the audit entry, end what the
    new status ends (the enrolment when the child leaves school, the assignment when the case closes)."""
    outcome = lifecycle.next_status(case.status, event)
    if isinstance(outcome, lifecycle.Refusal):
        raise IllegalTransition(outcome.message, outcome.params, outcome.allowed)
    reason = reason.strip()[:MAX_REASON] if reason and reason.strip() else None
    if event in lifecycle.NEEDS_REASON and reason is None:
        raise InvalidInput(m.REASON_REQUIRED, {"action": event})
    from_status = case.status
    case.status = outcome
    case.updated_at = utcnow()
    case_changed(session, case.id)
    if event == "record":
        case.taken_by = actor_id
    session.add(CaseEvent(case_id=case.id, from_status=from_status, to_status=outcome, actor_id=actor_id, reason=reason,
                          event=event, response_id=response_id))
    if from_status in lifecycle.IN_SCHOOL and outcome not in lifecycle.IN_SCHOOL:
        session.execute(
            update(Enrolment).where(Enrolment.case_id == case.id, Enrolment.active.is_(True))
            .values(active=False, ended_at=utcnow(), end_reason=event).execution_options(synchronize_session=False)
        )
    if lifecycle.is_closed(outcome):
        _end_assignments(session, case.id)
    add_entry(session, "case.status", "case", case.id, actor_id=actor_id, region_code=case.region_code,
              detail={"event": event, "from": from_status, "to": outcome, "response_id": response_id, **(detail or {})})
    session.flush()
    return Moved(case.id, case.reference, event, from_status, outcome, actor_id, reason, case.proposed_by,
                 _active_pendamping(session, case.id))


def _end_assignments(session: Session, case_id: int) -> None:
    session.execute(
        update(Assignment).where(Assignment.case_id == case_id, Assignment.active.is_(True))
        .values(active=False, valid_to=utcnow()).execution_options(synchronize_session=False)
    )


def _replace(moved: Moved, **changes: Any) -> Moved:
    return Moved(**{**moved.__dict__, **changes})


def _replay(session: Session, case: Case, response_id: int | None) -> Moved | None:
    """The earlier move made with this form, if it was recorded before (a double tap, a redelivered update)."""
    if response_id is None:
        return None
    event = session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.response_id == response_id).order_by(CaseEvent.id.desc()).limit(1)
    )
    if event is None:
        return None
    return Moved(case.id, case.reference, event.event or "", event.from_status or "", event.to_status, event.actor_id, event.reason,
                 case.proposed_by, _active_pendamping(session, case.id), replayed=True)


def _attach(session: Session, response: Response, case: Case) -> None:
    """Make the form part of the case (it may have been submitted without one)."""
    if response.case_id not in (None, case.id):
        owner = session.get(Case, response.case_id)
        raise InvalidInput(m.FORM_OF_OTHER_CASE, {"reference": response.reference, "other": owner.reference if owner else "?"})
    response.case_id = case.id
    if response.child_id is None:
        response.child_id = case.child_id
    case_changed(session, case.id)


def _other_open_cases(session: Session, case: Case, response: Response) -> list[int]:
    """Open cases other than ``case`` that the verifying form's child already has."""
    ids: set[int] = set()
    if response.case_id is not None and response.case_id != case.id:
        ids.add(response.case_id)
    if response.child_id is not None and response.child_id != case.child_id:
        ids |= set(session.scalars(select(Case.id).where(Case.child_id == response.child_id)))
    ids.discard(case.id)
    if not ids:
        return []
    return list(session.scalars(select(Case.id).where(Case.id.in_(ids), Case.status.in_(lifecycle.OPEN)).order_by(Case.id.desc())))


def _adopt_child(session: Session, case: Case, child_id: int) -> None:
    """The verifying form identified the child fully (often as a new record, since a proposal has no birth
    date): the case follows that record; the proposal's bare record is deleted when nothing else uses it."""
    old = case.child_id
    case.child_id = child_id
    session.flush()
    used = (
        session.scalar(select(func.count()).select_from(Case).where(Case.child_id == old))
        or session.scalar(select(func.count()).select_from(Response).where(Response.child_id == old))
        or session.scalar(select(func.count()).select_from(Invitation).where(Invitation.child_id == old))
    )
    if not used:
        child = session.get(Child, old)
        if child is not None and child.nik_hash is None and child.birth_date is None:
            session.delete(child)
    add_entry(session, "case.child", "case", case.id, region_code=case.region_code, detail={"from": old, "to": child_id})


def _proposal_details(session: Session, case: Case) -> ProposalDetails:
    proposal = session.get(CaseProposal, case.id)
    child = session.get(Child, case.child_id)
    region = session.get(Region, case.region_code)
    assert child is not None
    return ProposalDetails(
        case.id, case.reference, case.status, child.name, proposal.approx_age if proposal else 0, case.region_code,
        region.name if region else case.region_code, proposal.note if proposal else "",
        proposal.photo_file_id if proposal else None, proposal.location if proposal else None,
        case.proposed_by, case.taken_by, proposal.created_at if proposal else case.created_at,
    )


def _summaries(session: Session, cipher: NikCipher, case_ids: list[int], today: dt.date) -> list[CaseSummary]:
    result = []
    shown = set(session.scalars(select(Case.id).where(Case.id.in_(case_ids), published(Case)))) if case_ids else set()
    for case_id in case_ids:
        case = session.get(Case, case_id) if case_id in shown else None
        if case is None:
            continue
        child = session.get(Child, case.child_id)
        assert child is not None
        # The case's region or the child's, whichever is more precise (a form may place the child by kecamatan only).
        region_code = max(case.region_code, child.region_code, key=lambda code: code.count("."))
        village = session.get(Region, region_code)
        kecamatan = session.get(Region, village.parent_code) if village and village.parent_code else None
        proposal = session.get(CaseProposal, case.id)
        if child.birth_date is not None:
            age, estimated = age_on(child.birth_date, today), False
        elif proposal is not None:
            age, estimated = proposal.approx_age + max(0, today.year - proposal.created_at.year), True
        else:
            age, estimated = None, False
        pendamping = session.execute(
            select(Person.id, Person.display_name).join(Assignment, Assignment.pendamping_id == Person.id)
            .where(Assignment.case_id == case.id, Assignment.active.is_(True)).order_by(Assignment.id.desc()).limit(1)
        ).first()
        last_visit = session.scalar(select(func.max(Visit.visit_date)).where(Visit.case_id == case.id))
        enrolment = session.execute(
            select(School.name, School.npsn, Enrolment.class_level).join(School, School.id == Enrolment.school_id)
            .where(Enrolment.case_id == case.id, Enrolment.active.is_(True)).order_by(Enrolment.id.desc()).limit(1)
        ).first()
        choice = None if enrolment else session.execute(
            select(SchoolChoice.school_name, SchoolChoice.npsn, SchoolChoice.class_level)
            .where(SchoolChoice.case_id == case.id).order_by(SchoolChoice.id.desc()).limit(1)
        ).first()
        school = enrolment or (choice if case.status == "school_chosen" else None)
        nik = cipher.decrypt_nik(child.nik_encrypted) if child.nik_encrypted else None
        result.append(CaseSummary(
            case_id=case.id, reference=case.reference, status=case.status, closed=lifecycle.is_closed(case.status),
            child_id=child.id, child_name=child.name, nik_masked=mask_nik(nik) if nik else None, age=age, age_estimated=estimated,
            sex=child.sex.value if child.sex else None, region_code=region_code, village=village.name if village else None,
            kecamatan=kecamatan.name if kecamatan else None, address=child.address,
            pendamping_id=pendamping[0] if pendamping else None, pendamping_name=pendamping[1] if pendamping else None,
            last_visit=last_visit, school_name=school[0] if school else None, school_npsn=school[1] if school else None,
            class_level=school[2] if school else None, school_is_choice=school is not None and enrolment is None,
            proposed_by=case.proposed_by, updated_at=case.updated_at,
        ))
    return result


def _checked_location(location: dict[str, Any] | None) -> dict[str, Any] | None:
    if location is None:
        return None
    try:
        latitude, longitude = float(location["latitude"]), float(location["longitude"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(m.BAD_LOCATION) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(m.BAD_LOCATION)
    return {**location, "latitude": latitude, "longitude": longitude}


def _consent_of(response: Response) -> tuple[ConsentAnswer, str | None]:
    f = FormReader(response)
    answer = KESEDIAAN_CODES.get(str(f.raw("willingness")))
    if answer is None:
        raise InvalidInput(m.FORM_INCOMPLETE, {"reference": response.reference, "question": f.qid("willingness")})
    role = {"not_willing": "reason_not_willing", "undecided": "what_would_help"}.get(answer)
    reason = f.text(role) if role else None
    return answer, reason  # type: ignore[return-value]


def _dropout_reason(response: Response) -> str:
    """``10/08/2026: Tidak Punya Biaya (Faktor Ekonomi Keluarga); Menikah`` from Monitoring C.10 and C.11."""
    f = FormReader(response)
    day = f.date("dropout_date")
    reasons = "; ".join(f.labels("dropout_reasons")) or "Putus sekolah lagi"
    return f"{day:%d/%m/%Y}: {reasons}" if day else reasons


def _school_by_name(session: Session, name: str, region_code: str) -> School | None:
    """The one school of the child's kabupaten with exactly this name (when the form gave no NPSN)."""
    kabupaten = ".".join(region_code.split(".")[:2])
    rows = list(session.scalars(
        select(School).where(func.lower(School.name) == name.lower(),
                             (School.region_code == kabupaten) | School.region_code.like(kabupaten + ".%")).limit(2)
    ))
    return rows[0] if len(rows) == 1 else None

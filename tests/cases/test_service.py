"""The workflow on stored cases (SQLite and PostgreSQL): every move checked, kept with who, when and why."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from cases import lifecycle, service
from cases import messages as m
from cases.service import (
    AlreadyTaken,
    DuplicateCase,
    IllegalTransition,
    InvalidInput,
    Moved,
)
from storage.db import Database
from storage.models import Assignment, Case, CaseEvent, Child, Invitation, Response, School, SchoolLevel, SchoolStatus, Sex, Visit
from storage.models.cases import CaseProposal, Enrolment, SchoolChoice
from storage.repositories.audit import history
from storage.repositories.children import ChildIdentity
from tests.cases.conftest import DESA, DESA_2, People, case_at, path_answers, submit
from tests.uow import committed

TODAY = dt.date(2026, 11, 23)
LEGAL = [tuple(r) for r in yaml.safe_load((Path(__file__).parent / "fixtures" / "lifecycle.yaml").read_text())["legal"]]
SMP_NPSN = "20325001"
PKBM_NPSN = "P9970512"


@pytest.fixture
def schools(db: Database, regions: None) -> dict[str, int]:
    with db.write() as session:
        rows = [
            School(npsn=SMP_NPSN, name="SMP Negeri 1 Kajen", level=SchoolLevel.SMP, status=SchoolStatus.NEGERI, region_code="33.26.01"),
            School(npsn=PKBM_NPSN, name="PKBM Bina Karya", level=SchoolLevel.PKBM, status=SchoolStatus.SWASTA, region_code=DESA),
        ]
        session.add_all(rows)
        session.flush()
        return {r.npsn: r.id for r in rows}


def proposed(db: Database, people: People, name: str = "Ahmad Fauzi", desa: str = DESA) -> service.Proposal:
    return committed(db, service.propose, people.proposer, name, 14, desa, "Sudah setahun tidak sekolah, membantu di sawah.",
                           photo_file_id="AgACAgUAAxkBAAIB", location={"latitude": -7.02, "longitude": 109.58})


def rekonfirmasi(db: Database, people: People, case_id: int | None = None, region: str = DESA, **changes: Any) -> int:
    answers = _rekonfirmasi_answers()
    answers.update(changes)
    identity = ChildIdentity(answers["B.2"], region, nik=answers.get("B.3"), sex=Sex.L, birth_date=dt.date.fromisoformat(answers["B.7"]))
    return submit(db, "rekonfirmasi", answers, people.volunteer, case_id=case_id, child=identity)


def _rekonfirmasi_answers() -> dict[str, Any]:
    return {"B.1": "2", "B.2": "Ahmad Fauzi", "B.3": "3326080503120001", "B.5": "1", "B.6": "Pekalongan", "B.7": "2012-03-05",
            "B.8": "Dukuh Krajan RT 001 RW 003", "B.9": "33.26.01", "B.10": "Klesem"}


def at_status(db: Database, people: People, status: str) -> int:
    """A case put straight into ``status`` (the way storage opens cases), for table-driven moves."""
    with db.write() as session:
        child = Child(name=f"Anak {status}", name_normalized=f"anak {status}", region_code=DESA)
        session.add(child)
        session.flush()
        child_id = child.id
    case = case_at(db, child_id, status, actor_id=people.team)
    return case.id


def events(db: Database, case_id: int) -> list[CaseEvent]:
    with db.read() as session:
        return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def enrolments(db: Database, case_id: int) -> list[Enrolment]:
    with db.read() as session:
        return list(session.scalars(select(Enrolment).where(Enrolment.case_id == case_id).order_by(Enrolment.id)))


# -- every legal move through storage, table-driven --------------------------------------------------------------
def test_every_legal_move_is_stored_with_who_when_why(db: Database, people: People, schools: dict[str, int]) -> None:
    for current, event, expected in LEGAL:
        case_id = at_status(db, people, current)
        to = current if expected == "same" else expected
        if event in ("assign", "reassign"):
            if event == "reassign":
                committed(db, service.assign_pendamping, case_id, people.pendamping, people.team)
            moved = committed(
                db, service.assign_pendamping, case_id, people.other_pendamping if event == "reassign" else people.pendamping, people.team)
        elif event == "choose_school":
            response = submit(db, "pemilihan-sekolah", path_answers("pemilihan-sekolah", "full"), people.parent)
            moved = committed(db, service.record_school_choice, case_id, response)
        elif event == "enrol":
            moved = committed(db, service.record_return, case_id, people.operator, school_npsn=SMP_NPSN, class_level="Kelas 7", year=2026)
        else:
            moved = committed(db, service.transition, case_id, event, people.team, f"alasan {event}")
        assert (moved.event, moved.from_status, moved.to_status) == (event, current, to), (current, event)
        last = events(db, case_id)[-1]
        assert (last.from_status, last.to_status, last.event, last.actor_id) == (current, to, event, moved.actor_id), (current, event)
        assert last.at is not None and last.reason
        with db.read() as session:
            assert session.get(Case, case_id).status == to  # type: ignore[union-attr]


def test_illegal_moves_raise_and_write_nothing(db: Database, people: People) -> None:
    case_id = at_status(db, people, "recorded")
    before = len(history(db, "case", case_id))
    with pytest.raises(IllegalTransition) as refused:
        committed(db, service.transition, case_id, "graduate", people.team, "lulus")
    assert refused.value.message == m.ILLEGAL_MOVE
    assert refused.value.params == {"status": "recorded", "action": "graduate"}
    assert refused.value.allowed == lifecycle.allowed_events("recorded")
    assert len(events(db, case_id)) == 1 and len(history(db, "case", case_id)) == before
    committed(db, service.transition, case_id, "reject", people.team, "Anak masih sekolah di MI")
    with pytest.raises(IllegalTransition) as closed:
        committed(db, service.transition, case_id, "verify", people.team)
    assert closed.value.message == m.CLOSED_CASE
    with pytest.raises(ValueError, match="record_return"):
        committed(db, service.transition, case_id, "enrol", people.team)


def test_moves_that_need_a_reason(db: Database, people: People) -> None:
    case_id = at_status(db, people, "monitored")
    for event in ("drop_out", "move_away"):
        with pytest.raises(InvalidInput) as refused:
            committed(db, service.transition, case_id, event, people.pendamping, "   ")
        assert refused.value.message == m.REASON_REQUIRED and refused.value.params == {"action": event}


# -- the whole journey ---------------------------------------------------------------------------------------------
def test_from_a_neighbours_tip_to_back_in_school_and_monitored(db: Database, people: People, schools: dict[str, int]) -> None:
    proposal = proposed(db, people)
    assert proposal.reference.startswith("ATS-3326-") and proposal.village == "Klesem"
    with db.read() as session:
        case = session.get(Case, proposal.case_id)
        assert case is not None and (case.status, case.proposed_by) == ("proposed", people.proposer)
        details = session.get(CaseProposal, proposal.case_id)
        assert details is not None and details.approx_age == 14 and details.location == {"latitude": -7.02, "longitude": 109.58}
    assert [r.person_id for r in committed(db, service.proposal_recipients, proposal.case_id)] == [people.team]

    taken = committed(db, service.take_proposal, proposal.case_id, people.volunteer)
    assert committed(db, service.take_proposal, proposal.case_id, people.volunteer) == taken  # a second tap changes nothing
    assert (taken.status, taken.taken_by, taken.note) == ("recorded", people.volunteer, "Sudah setahun tidak sekolah, membantu di sawah.")
    with pytest.raises(AlreadyTaken) as second:
        committed(db, service.take_proposal, proposal.case_id, people.other_volunteer)
    assert second.value.params == {"reference": proposal.reference, "name": "Siti (pendata)"}

    response = rekonfirmasi(db, people, case_id=proposal.case_id)
    verified = committed(db, service.verify, proposal.case_id, people.volunteer, True, "Benar tidak sekolah sejak 2025", response_id=response)
    assert (verified.to_status, verified.proposer_id) == ("verified", people.proposer)
    assert committed(db, service.verify, proposal.case_id, people.volunteer, True, "x", response_id=response).replayed

    assigned = committed(db, service.assign_pendamping, proposal.case_id, people.pendamping, people.team)
    assert (assigned.to_status, assigned.pendamping_id, assigned.previous_pendamping_id) == ("accompanied", people.pendamping, None)

    kesediaan = submit(db, "kesediaan", path_answers("kesediaan", "full"), people.parent, case_id=proposal.case_id)
    willing = committed(db, service.record_consent_response, proposal.case_id, kesediaan)
    assert (willing.to_status, willing.actor_id, willing.pendamping_id) == ("willing", people.parent, people.pendamping)

    choice = submit(db, "pemilihan-sekolah", path_answers("pemilihan-sekolah", "full"), people.parent, case_id=proposal.case_id)
    chosen = committed(db, service.record_school_choice, proposal.case_id, choice)
    assert chosen.to_status == "school_chosen"
    with db.read() as session:
        row = session.scalars(select(SchoolChoice).where(SchoolChoice.case_id == proposal.case_id)).one()
    assert (row.pathway, row.level, row.npsn, row.school_id, row.class_level) == ("formal", "SMP/MTs", SMP_NPSN, schools[SMP_NPSN], "Kelas 7")

    back = committed(db, service.record_return, proposal.case_id, people.operator, school_npsn=SMP_NPSN, class_level="Kelas 7", year=2026)
    assert back.to_status == "back_in_school"
    for _ in range(2):  # every month
        monthly = submit(db, "monitoring", {**path_answers("monitoring", "c1-tidak-putus-sekolah-lagi"), "C.1": "1"},
                         people.operator, case_id=proposal.case_id)
        assert committed(db, service.record_monitoring, proposal.case_id, monthly).to_status == "monitored"

    summary = committed(db, service.case_summary, proposal.case_id, TODAY)
    assert (summary.child_name, summary.nik_masked, summary.age, summary.age_estimated, summary.sex) == (
        "Ahmad Fauzi", "3326********0001", 14, False, "L")
    assert (summary.village, summary.kecamatan, summary.pendamping_name) == ("Klesem", "Kandangserang", "Mbak Umi (pendamping)")
    assert (summary.school_name, summary.class_level, summary.school_is_choice) == ("SMP Negeri 1 Kajen", "Kelas 7", False)

    trail = committed(db, service.case_history, proposal.case_id)
    assert [(e.from_status, e.to_status) for e in trail] == [
        (None, "proposed"), ("proposed", "recorded"), ("recorded", "verified"), ("verified", "accompanied"),
        ("accompanied", "willing"), ("willing", "school_chosen"), ("school_chosen", "back_in_school"),
        ("back_in_school", "monitored"), ("monitored", "monitored"),
    ]
    assert [e.actor_name for e in trail][:3] == ["Bu Darmi (tetangga)", "Siti (pendata)", "Siti (pendata)"]
    assert trail[2].reason == "Benar tidak sekolah sejak 2025" and trail[2].response_reference is not None
    assert trail[6].reason == "SMP Negeri 1 Kajen (20325001), Kelas 7, 2026"
    assert all(e.at.tzinfo is not None for e in trail)
    actions = [e.action for e in history(db, "case", proposal.case_id)]
    assert actions.count("case.status") == 8 and "case.propose" in actions


def test_dropped_out_again_goes_back_to_accompaniment(db: Database, people: People, schools: dict[str, int]) -> None:
    case_id = at_status(db, people, "school_chosen")
    committed(db, service.assign_pendamping, case_id, people.pendamping, people.team)
    committed(db, service.record_return, case_id, people.pendamping, school_npsn=SMP_NPSN, class_level="Kelas 8", year=2026)
    monitoring = submit(db, "monitoring", path_answers("monitoring", "c1-tidak-putus-sekolah-lagi"), people.operator, case_id=case_id)
    dropped = committed(db, service.record_monitoring, case_id, monitoring)
    assert dropped.to_status == "dropped_out_again"
    assert dropped.reason == "10/08/2026: Tidak Punya Biaya (Faktor Ekonomi Keluarga); Menikah"
    assert dropped.pendamping_id == people.pendamping  # told, and still accompanying
    [enrolment] = enrolments(db, case_id)
    assert (enrolment.active, enrolment.end_reason) == (False, "drop_out") and enrolment.ended_at is not None
    again = committed(db, service.transition, case_id, "return_to_accompaniment", people.pendamping, "Dikunjungi lagi")
    assert again.to_status == "accompanied"
    committed(db, service.transition, case_id, "consent_willing", people.parent)
    second_choice = submit(db, "pemilihan-sekolah", path_answers("pemilihan-sekolah", "nonformal-pkbm"), people.parent, case_id=case_id)
    committed(db, service.record_school_choice, case_id, second_choice)
    summary = committed(db, service.case_summary, case_id, TODAY)
    assert summary.school_is_choice and summary.school_name is not None and summary.status == "school_chosen"
    committed(db, service.record_return, case_id, people.pendamping, school_id=schools[PKBM_NPSN], class_level="Paket B Tingkatan III", year=2027)
    active = [e for e in enrolments(db, case_id) if e.active]
    assert [(e.school_id, e.class_level, e.year) for e in active] == [(schools[PKBM_NPSN], "Paket B Tingkatan III", 2027)]
    graduated = committed(db, service.transition, case_id, "graduate", people.operator, "Lulus Paket B")
    assert graduated.to_status == "graduated" and graduated.pendamping_id is None  # the case is closed
    assert [e.end_reason for e in enrolments(db, case_id)] == ["drop_out", "graduate"]


def test_monitoring_form_is_recorded_once(db: Database, people: People) -> None:
    case_id = at_status(db, people, "back_in_school")
    monthly = submit(db, "monitoring", {**path_answers("monitoring", "c1-tidak-putus-sekolah-lagi"), "C.1": "1"}, people.operator)
    first = committed(db, service.record_monitoring, case_id, monthly)
    again = committed(db, service.record_monitoring, case_id, monthly)
    assert not first.replayed and again.replayed and again.to_status == "monitored"
    assert len(events(db, case_id)) == 2
    with db.read() as session:
        assert session.get(Response, monthly).case_id == case_id  # type: ignore[union-attr]


def test_wrong_form_is_refused(db: Database, people: People) -> None:
    case_id = at_status(db, people, "back_in_school")
    kesediaan = submit(db, "kesediaan", path_answers("kesediaan", "full"), people.parent)
    with pytest.raises(InvalidInput) as refused:
        committed(db, service.record_monitoring, case_id, kesediaan)
    assert refused.value.message == m.WRONG_FORM and refused.value.params["expected"] == "monitoring"
    other = at_status(db, people, "back_in_school")
    monitoring = submit(db, "monitoring", path_answers("monitoring", "c1-tidak-putus-sekolah-lagi"), people.operator, case_id=other)
    with pytest.raises(InvalidInput) as foreign:
        committed(db, service.record_monitoring, case_id, monitoring)
    assert foreign.value.message == m.FORM_OF_OTHER_CASE


# -- consent -----------------------------------------------------------------------------------------------------
def test_parent_not_willing_with_reason_then_changes_mind(db: Database, people: People) -> None:
    case_id = at_status(db, people, "accompanied")
    answers = path_answers("kesediaan", "tidak-bersedia")
    assert committed(db, service.consent_from_response, submit(db, "kesediaan", answers, people.parent))[0] == "not_willing"
    refused = committed(db, service.record_consent_response, case_id, submit(db, "kesediaan", answers, people.parent))
    assert refused.to_status == "not_willing" and refused.reason == answers["C.3"]
    with pytest.raises(InvalidInput):
        committed(db, service.record_consent, case_id, people.parent, "not_willing", "")
    undecided = committed(db, service.record_consent, case_id, people.parent, "undecided", "Menunggu panen")
    assert undecided.to_status == "undecided"
    assert committed(db, service.record_consent, case_id, people.parent, "willing").to_status == "willing"
    with pytest.raises(ValueError):
        committed(db, service.record_consent, case_id, people.parent, "maybe")  # type: ignore[arg-type]


# -- assignments -------------------------------------------------------------------------------------------------
def test_assignment_replaces_the_previous_one(db: Database, people: People) -> None:
    case_id = at_status(db, people, "verified")
    first = committed(db, service.assign_pendamping, case_id, people.pendamping, people.team)
    assert first.event == "assign" and first.to_status == "accompanied"
    committed(db, service.transition, case_id, "consent_willing", people.parent)
    handover = committed(db, service.assign_pendamping, case_id, people.other_pendamping, people.team, "Mbak Umi pindah tugas")
    assert (handover.event, handover.from_status, handover.to_status) == ("reassign", "willing", "willing")
    assert (handover.pendamping_id, handover.previous_pendamping_id) == (people.other_pendamping, people.pendamping)
    with db.read() as session:
        rows = list(session.scalars(select(Assignment).where(Assignment.case_id == case_id).order_by(Assignment.id)))
    assert [(a.pendamping_id, a.active, a.valid_to is not None) for a in rows] == [
        (people.pendamping, False, True), (people.other_pendamping, True, False)]
    assert committed(db, service.assign_pendamping, case_id, people.other_pendamping, people.team).replayed
    assert events(db, case_id)[-1].reason == "Mbak Umi pindah tugas"


def test_only_a_pendamping_of_the_area_can_be_assigned(db: Database, people: People) -> None:
    case_id = at_status(db, people, "verified")
    for person in (people.far_pendamping, people.parent, people.proposer):
        with pytest.raises(InvalidInput) as refused:
            committed(db, service.assign_pendamping, case_id, person, people.team)
        assert refused.value.message == m.NOT_A_PENDAMPING
    with pytest.raises(IllegalTransition):
        committed(db, service.assign_pendamping, at_status(db, people, "proposed"), people.pendamping, people.team)


def test_two_teams_assigning_at_once_leave_one_active_pendamping(db: Database, people: People) -> None:
    case_id = at_status(db, people, "verified")
    errors: list[BaseException] = []

    def assign(person: int) -> None:
        try:
            committed(db, service.assign_pendamping, case_id, person, people.team)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=assign, args=(p,)) for p in (people.pendamping, people.other_pendamping)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.read() as session:
        active = list(session.scalars(select(Assignment).where(Assignment.case_id == case_id, Assignment.active.is_(True))))
    assert len(active) == 1
    assert [(e.from_status, e.to_status) for e in events(db, case_id)][1:] == [("verified", "accompanied"), ("accompanied", "accompanied")]


# -- proposals, verification and duplicates -------------------------------------------------------------------
def test_proposal_is_checked(db: Database, people: People) -> None:
    checks: list[tuple[dict[str, Any], str]] = [
        ({"name": "  "}, m.NAME_REQUIRED),
        ({"approx_age": 4}, m.AGE_RANGE),
        ({"approx_age": 21}, m.AGE_RANGE),
        ({"desa_code": "33.26"}, m.UNKNOWN_VILLAGE),  # a kabupaten is too vague
        ({"desa_code": "99.99.99.9999"}, m.UNKNOWN_VILLAGE),
        ({"location": {"latitude": 100, "longitude": 0}}, m.BAD_LOCATION),
        ({"note": "x" * 2001}, m.NOTE_TOO_LONG),
    ]
    for kwargs, message in checks:
        arguments: dict[str, Any] = {"proposer_id": people.proposer, "name": "Rina", "approx_age": 12, "desa_code": DESA, "note": "", **kwargs}
        with pytest.raises(InvalidInput) as refused:
            committed(db, service.propose, **arguments)
        assert refused.value.message == message, kwargs
    with db.read() as session:
        assert session.scalars(select(Case)).all() == []


def test_proposal_from_the_usulan_form(db: Database, people: People) -> None:
    answers = {**path_answers("usulan", "full"), "U.3": "33.26.01", "U.4": "desa  KLESM",
               "U.7": {"file_id": "AgACAgUAAxkBAAIC", "stored_file": None, "size": 1234}}
    response = submit(db, "usulan", answers, people.proposer, region="33.26.01",
                      child=ChildIdentity(answers["U.1"], "33.26.01", address=answers["U.5"]))
    proposal = committed(db, service.propose_from_response, response)
    assert (proposal.region_code, proposal.village) == (DESA, "Klesem")  # the typo still finds Klesem
    details = committed(db, service.proposal_details, proposal.case_id)
    assert (details.child_name, details.approx_age, details.photo_file_id, details.proposed_by) == ("Dimas", 12, "AgACAgUAAxkBAAIC", people.proposer)
    assert details.note == answers["U.6"] and details.location is not None and details.location["accuracy"] == 12
    with db.read() as session:
        stored = session.get(Response, response)
        child = session.get(Child, proposal.child_id)
        assert stored is not None and child is not None
        assert (stored.case_id, stored.child_id) == (proposal.case_id, proposal.child_id)
        assert (child.region_code, child.address) == (DESA, "RT 2 RW 3, dekat masjid")
        assert session.scalar(select(func.count()).select_from(Child)) == 1  # the submission's record is reused
    again = committed(db, service.propose_from_response, response)
    assert again.case_id == proposal.case_id
    unknown = submit(db, "usulan", {**answers, "U.4": "Atlantis"}, people.proposer, region="33.26.01")
    assert committed(db, service.propose_from_response, unknown).region_code == "33.26.01"  # placed in the kecamatan
    assert [r.person_id for r in committed(db, service.proposal_recipients, proposal.case_id)] == [people.team]


def test_resolve_desa(db: Database, regions: None) -> None:
    assert committed(db, service.resolve_desa, "33.26.01", "Kelurahan Bodas") == DESA_2
    assert committed(db, service.resolve_desa, "33.26.01", "klesem") == DESA
    assert committed(db, service.resolve_desa, "33.26.01", "Jakarta") is None
    assert committed(db, service.resolve_desa, "33.26.08", "Klesem") is None  # not in that kecamatan
    assert committed(db, service.resolve_desa, "33.26.01", "") is None


def test_not_valid_tells_the_proposer(db: Database, people: People) -> None:
    proposal = proposed(db, people)
    committed(db, service.take_proposal, proposal.case_id, people.volunteer)
    with pytest.raises(InvalidInput):
        committed(db, service.verify, proposal.case_id, people.volunteer, False, None)
    outcome = committed(db, service.verify, proposal.case_id, people.volunteer, False, "Anak sudah sekolah di MTs")
    assert (outcome.to_status, outcome.proposer_id, outcome.reason) == ("not_valid", people.proposer, "Anak sudah sekolah di MTs")
    assert committed(db, service.case_summary, proposal.case_id, TODAY).closed


def test_proposal_verified_by_rekonfirmasi_follows_the_identified_child(db: Database, people: People) -> None:
    proposal = proposed(db, people)
    committed(db, service.take_proposal, proposal.case_id, people.volunteer)
    # Submitted without the case and placed by kecamatan (as the bot does from B.9): a new, identified child record.
    response = rekonfirmasi(db, people, region="33.26.01")
    committed(db, service.verify, proposal.case_id, people.volunteer, True, "Valid", response_id=response)
    with db.read() as session:
        case = session.get(Case, proposal.case_id)
        stored = session.get(Response, response)
        assert case is not None and stored is not None
        assert case.child_id == stored.child_id != proposal.child_id and stored.case_id == case.id
        assert session.get(Child, proposal.child_id) is None  # the bare record of the proposal is gone
    summary = committed(db, service.case_summary, proposal.case_id, TODAY)
    assert (summary.age, summary.age_estimated, summary.nik_masked) == (14, False, "3326********0001")
    assert (summary.village, summary.region_code) == ("Klesem", DESA)  # the case's desa is more precise


def test_duplicate_caught_at_verification_and_existing_case_offered(db: Database, people: People) -> None:
    first = proposed(db, people)
    committed(db, service.take_proposal, first.case_id, people.volunteer)
    committed(db, service.verify, first.case_id, people.volunteer, True, "Valid", response_id=rekonfirmasi(db, people, case_id=first.case_id))

    second = proposed(db, people, name="Ahmad  FAUZI")
    assert [s.reference for s in second.possible_duplicates] == [first.reference]  # a hint for the team
    committed(db, service.take_proposal, second.case_id, people.other_volunteer)
    response = rekonfirmasi(db, people)
    with pytest.raises(DuplicateCase) as duplicate:
        committed(db, service.verify, second.case_id, people.other_volunteer, True, "Valid", response_id=response)
    assert [s.reference for s in duplicate.value.existing] == [first.reference]
    assert duplicate.value.params == {"references": first.reference}
    with db.read() as session:
        unchanged = session.get(Case, second.case_id)
        assert unchanged is not None and unchanged.status == "recorded"  # nothing written
    closed = committed(db, service.mark_duplicate, second.case_id, first.case_id, people.other_volunteer, response_id=response)
    assert (closed.to_status, closed.duplicate_of, closed.proposer_id) == ("not_valid", first.reference, people.proposer)
    again = committed(db, service.mark_duplicate, second.case_id, first.case_id, people.other_volunteer, response_id=response)
    assert again.replayed and again.duplicate_of == first.reference
    with db.read() as session:
        assert session.get(Case, second.case_id).duplicate_of == first.case_id  # type: ignore[union-attr]
        assert session.get(Response, response).case_id == first.case_id  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        committed(db, service.mark_duplicate, first.case_id, first.case_id, people.team)


def test_proposals_with_the_same_name_in_the_village_are_hinted(db: Database, people: People) -> None:
    first = proposed(db, people, name="Rina Wati")
    second = proposed(db, people, name="rina  wati")
    assert [s.reference for s in second.possible_duplicates] == [first.reference]
    assert second.possible_duplicates[0].age_estimated
    assert proposed(db, people, name="Rina Wati", desa=DESA_2).possible_duplicates == ()


def test_find_duplicates_by_nik_or_name_birth_date_and_village(db: Database, people: People) -> None:
    born = dt.date(2012, 3, 5)
    nik = "3326080503120001"
    submit(db, "pendataan", {}, people.volunteer, child=ChildIdentity("Ahmad Fauzi", DESA, nik=nik, birth_date=born))
    with db.read() as session:
        child_id = session.scalars(select(Child.id)).one()
    existing = case_at(db, child_id, "recorded", actor_id=people.volunteer)

    by_nik = committed(db, service.find_duplicates, ChildIdentity("Akhmad", DESA_2, nik=nik))
    by_name = committed(db, service.find_duplicates, ChildIdentity("  ahmad  FAUZI. ", DESA, birth_date=born))
    assert [s.reference for s in by_nik] == [s.reference for s in by_name] == [existing.reference]
    assert by_nik[0].nik_masked == "3326********0001"
    assert committed(db, service.find_duplicates, ChildIdentity("Ahmad Fauzi", DESA_2, birth_date=born)) == []  # another village
    assert committed(db, service.find_duplicates, ChildIdentity("Ahmad Fauzi", DESA)) == []  # a bare name is not enough
    different_nik = committed(db, service.find_duplicates, ChildIdentity("Ahmad Fauzi", DESA, nik="3326080503120002", birth_date=born))
    assert different_nik == []  # same name and birth date but another NIK: another child
    committed(db, service.transition, existing.id, "move_away", people.team, "Pindah ke Batang")
    assert committed(db, service.find_duplicates, ChildIdentity("Ahmad Fauzi", DESA, birth_date=born)) == []
    assert len(committed(db, service.find_duplicates, ChildIdentity("Ahmad Fauzi", DESA, birth_date=born), include_closed=True)) == 1


# -- visits, invitations, summaries -------------------------------------------------------------------------------
def test_visit_log_suggests_moves(db: Database, people: People) -> None:
    case_id = at_status(db, people, "monitored")
    committed(db, service.assign_pendamping, case_id, people.pendamping, people.team)
    answers = {"V.1": "2026-11-20", "V.2": "1", "V.3": ["1", "3"], "V.4": "4", "V.5": "3", "V.6": "2", "V.7": ["8"],
               "V.8": ["1"], "V.9": "Bicara dengan wali kelas", "V.10": "2026-12-20"}
    response = submit(db, "pendampingan", answers, people.pendamping, case_id=case_id)
    logged = committed(db, service.log_visit, case_id, people.pendamping, response)
    assert logged.visit_date == dt.date(2026, 11, 20) and logged.suggested_events == ("drop_out",)
    assert committed(db, service.log_visit, case_id, people.pendamping, response).replayed
    with db.read() as session:
        assert len(session.scalars(select(Visit).where(Visit.case_id == case_id)).all()) == 1
    assert committed(db, service.case_summary, case_id, TODAY).last_visit == dt.date(2026, 11, 20)
    accompanied = at_status(db, people, "accompanied")
    willing = submit(db, "pendampingan", {**answers, "V.4": "1", "V.6": "1"}, people.pendamping, case_id=accompanied)
    assert committed(db, service.log_visit, accompanied, people.pendamping, willing).suggested_events == ("consent_willing",)


def test_invite_parent_links_child_and_case(db: Database, people: People) -> None:
    case_id = at_status(db, people, "accompanied")
    token = committed(db, service.invite_parent, case_id, people.pendamping)
    assert len(token) > 16
    with db.read() as session:
        invitation = session.scalars(select(Invitation)).one()
        case = session.get(Case, case_id)
    assert case is not None and (invitation.case_id, invitation.child_id, invitation.region_code) == (case_id, case.child_id, DESA)


def test_summary_of_a_fresh_proposal_and_unknown_references(db: Database, people: People) -> None:
    proposal = proposed(db, people)
    summary = committed(db, service.case_summary, proposal.case_id, TODAY)
    assert (summary.age, summary.age_estimated, summary.nik_masked, summary.pendamping_id, summary.school_name) == (14, True, None, None, None)
    assert committed(db, service.case_by_reference, proposal.reference.lower()) == proposal.case_id
    with pytest.raises(service.CaseNotFound) as missing:
        committed(db, service.case_by_reference, "ATS-3326-999999")
    assert missing.value.params == {"reference": "ATS-3326-999999"}
    with pytest.raises(service.CaseNotFound):
        committed(db, service.case_summary, 4040)


def test_moved_is_a_plain_value(db: Database, people: People) -> None:
    moved = committed(db, service.transition, at_status(db, people, "accompanied"), "age_out", people.team, "Sudah 19 tahun")
    assert isinstance(moved, Moved) and moved.to_status == "aged_out" and not moved.replayed

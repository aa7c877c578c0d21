"""Assistance for a child back in school (guide Bab III): which programme (Rp500.000 personal aid, the BOS
top-up and the KKC scholarship by school level, BOP for Paket A/B/C, APBDes, CSR, Baznas — data in
``cases/data/programmes.yaml``, each kabupaten may change amounts and programmes) is proposed for the child,
verified by the kecamatan (Korwil, Bab III.C), approved or not by the kabupaten team, disbursed — never before
the kecamatan's verification — and how the family spent it, with a photo of the receipt (Bab III.D).

    proposed ──approve──▶ approved ──disburse (verified only)──▶ disbursed ──report──▶ reported
        └──refuse──▶ refused            (verify: the kecamatan, while proposed or approved)

Who may do what (checked by the bot, :func:`may`): propose — the pendamping who follows the child and the
teams of its area; verify — the kecamatan team; approve, refuse — the kabupaten team; disburse — the kabupaten
or kecamatan team (Korwil hands it over); report — the parent, the pendamping or a team of the area.
The steps (:func:`propose`, :func:`verify`, :func:`decide`, :func:`disburse`, :func:`report_spending`) take the
caller's unit of work (:mod:`storage.uow`: a chat turn's, a command's) and commit nothing; one that refuses has
changed nothing. The reads take a session.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases import lifecycle
from cases import messages as m
from cases.catalogue import entries, named
from cases.errors import InvalidInput
from cases.programme_steps import check_move, inside, locked_case, note_text, record_step
from storage.models import Assistance, Case, Child, Enrolment, Region, Role, School, SchoolChoice
from storage.types import utcnow
from storage.uow import UnitOfWork, atomic

STATUSES = ("proposed", "approved", "refused", "disbursed", "reported")
MOVES = {"proposed": ("approved", "refused"), "approved": ("disbursed",), "disbursed": ("reported",)}
CLOSED = ("refused", "reported")
ELIGIBLE = ("school_chosen", *lifecycle.IN_SCHOOL)
"""Assistance goes to children on their way back or back in school."""
SUBJECT = "assistance"
MAX_AMOUNT = 100_000_000
STEP_ROLES: dict[str, tuple[Role, ...]] = {
    "propose": (Role.PENDAMPING, Role.TIM_DESA, Role.TIM_KECAMATAN, Role.TIM_KABUPATEN, Role.ADMIN),
    "verify": (Role.TIM_KECAMATAN, Role.ADMIN),
    "approve": (Role.TIM_KABUPATEN, Role.ADMIN),
    "refuse": (Role.TIM_KABUPATEN, Role.ADMIN),
    "disburse": (Role.TIM_KABUPATEN, Role.TIM_KECAMATAN, Role.ADMIN),
    "report": (Role.ORANG_TUA, Role.PENDAMPING, Role.TIM_DESA, Role.TIM_KECAMATAN, Role.TIM_KABUPATEN, Role.ADMIN),
    "recipients": (Role.TIM_KABUPATEN, Role.ADMIN),
}
"""The roles that may take each step (besides being in the case's area or following the child)."""
_LEVELS = (("paket a", "Paket A"), ("paket b", "Paket B"), ("paket c", "Paket C"), ("sd", "SD"), ("mi", "SD"), ("smp", "SMP"),
           ("mts", "SMP"), ("sma", "SMA"), ("smk", "SMA"), ("ma", "SMA"), ("slb", "SLB"))
_AMOUNT = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:[.,]\d{3})+|\d+)(?:,-)?$")


@dataclass(frozen=True)
class Programme:
    code: str
    name: str
    source: str
    amount: int | None = None
    amounts: dict[str, int] = field(default_factory=dict)

    def amount_for(self, level: str | None) -> int | None:
        """The yearly amount for a child at ``level`` (SD, SMP, SMA, Paket A …), or the programme's one sum."""
        return self.amounts.get(level or "", self.amount)


@dataclass(frozen=True)
class AssistanceView:
    id: int
    case_id: int
    reference: str
    child_name: str
    programme: Programme
    year: int
    amount: int
    level: str | None
    status: str
    verified: bool
    receipt_file_id: int | None
    region_code: str


def may(role: Role, step: str) -> bool:
    return role in STEP_ROLES[step]


def programmes(region_code: str | None) -> list[Programme]:
    """The programmes of ``region_code``'s kabupaten, in the file's order."""
    return [Programme(code, str(e["name"]), str(e.get("source") or ""), _int(e.get("amount")),
                      {str(k): int(v) for k, v in (e.get("amounts") or {}).items()})
            for code, e in entries(SUBJECT, region_code).items()]


def find_programme(region_code: str | None, text: str | None) -> Programme:
    """The programme named by its code or its name (letter case and spaces forgiven); refused when not listed."""
    code = named(SUBJECT, region_code, text, m.ASSISTANCE_NO_PROGRAMME, m.ASSISTANCE_UNKNOWN_PROGRAMME, "programme", "programmes")
    return next(p for p in programmes(region_code) if p.code == code)


def parse_amount(text: str) -> int:
    """``500000``, ``500.000``, ``Rp 1.500.000,-`` → rupiah."""
    found = _AMOUNT.match(" ".join(text.split()).lower())
    value = int(re.sub(r"[.,]", "", found[1])) if found else 0
    if not 0 < value <= MAX_AMOUNT:
        raise InvalidInput(m.ASSISTANCE_BAD_AMOUNT, {"amount": text.strip()[:30]})
    return value


def child_level(session: Session, case_id: int) -> str | None:
    """The level the amounts are set by: the active enrolment's school, else the family's latest choice."""
    school_level = session.scalar(
        select(School.level).join(Enrolment, Enrolment.school_id == School.id)
        .where(Enrolment.case_id == case_id, Enrolment.active.is_(True)).order_by(Enrolment.id.desc()).limit(1)
    )
    chosen = session.execute(
        select(SchoolChoice.level, School.level).outerjoin(School, School.id == SchoolChoice.school_id)
        .where(SchoolChoice.case_id == case_id).order_by(SchoolChoice.id.desc()).limit(1)
    ).first()
    for text in (getattr(school_level, "value", school_level), *(chosen or ())):
        label = str(getattr(text, "value", text) or "").lower()
        for prefix, level in _LEVELS:
            if label.startswith(prefix):
                return level
    return None


@atomic
def propose(uow: UnitOfWork, case_id: int, programme: str | None, actor_id: int | None, today: dt.date, *,
            amount: int | None = None) -> AssistanceView:
    """Propose ``programme`` for the child this year; the amount by the child's school level unless given."""
    session = uow.session
    case = locked_case(session, case_id)
    found = find_programme(case.region_code, programme)
    if case.status not in ELIGIBLE:
        raise InvalidInput(m.ASSISTANCE_NOT_RETURNED, {"reference": case.reference, "status": case.status})
    level = child_level(session, case.id)
    value = amount if amount is not None else found.amount_for(level)
    if value is None:
        raise InvalidInput(m.ASSISTANCE_AMOUNT_NEEDED, {"programme": found.name, "level": level or "?"})
    if not 0 < value <= MAX_AMOUNT:
        raise InvalidInput(m.ASSISTANCE_BAD_AMOUNT, {"amount": str(value)})
    if session.scalar(select(Assistance.id).where(Assistance.case_id == case.id, Assistance.programme == found.code,
                                                  Assistance.year == today.year, Assistance.status != "refused")):
        raise InvalidInput(m.ASSISTANCE_ALREADY, {"reference": case.reference, "programme": found.name, "year": today.year})
    row = Assistance(case_id=case.id, programme=found.code, year=today.year, amount=value, level=level, status="proposed",
                     proposed_by=actor_id)
    session.add(row)
    session.flush()
    record_step(session, case, SUBJECT, row.id, "proposed", found.code, actor_id, amount=value, year=today.year)
    return _view(session, row, case)


@atomic
def verify(uow: UnitOfWork, assistance_id: int, actor_id: int | None) -> AssistanceView:
    """The kecamatan (Korwil) verified the child and the proposal (Bab III.C): disbursement may follow."""
    session = uow.session
    row, case = _locked(session, assistance_id)
    if row.status not in ("proposed", "approved") or row.verified_at is not None:
        raise InvalidInput(m.ASSISTANCE_MOVE, {"state": m.ASSISTANCE_STATUS[row.status]})
    row.verified_by, row.verified_at = actor_id, utcnow()
    record_step(session, case, SUBJECT, row.id, "verified", row.programme, actor_id)
    return _view(session, row, case)


@atomic
def decide(uow: UnitOfWork, assistance_id: int, actor_id: int | None, approve: bool, note: str | None = None) -> AssistanceView:
    """The kabupaten team approves the proposal, or refuses it with a note."""
    session = uow.session
    row, case = _locked(session, assistance_id)
    to = "approved" if approve else "refused"
    check_move(MOVES, row.status, to, m.ASSISTANCE_MOVE, {"state": m.ASSISTANCE_STATUS[row.status]})
    text = note_text(note)
    if not approve and text is None:
        raise InvalidInput(m.ASSISTANCE_NOTE_REQUIRED)
    row.status, row.decided_by, row.decided_at = to, actor_id, utcnow()
    record_step(session, case, SUBJECT, row.id, to, row.programme, actor_id, text)
    return _view(session, row, case)


@atomic
def disburse(uow: UnitOfWork, assistance_id: int, actor_id: int | None) -> AssistanceView:
    """The money reached the family: only approved, and only after the kecamatan's verification."""
    session = uow.session
    row, case = _locked(session, assistance_id)
    check_move(MOVES, row.status, "disbursed", m.ASSISTANCE_MOVE, {"state": m.ASSISTANCE_STATUS[row.status]})
    if row.verified_at is None:
        raise InvalidInput(m.ASSISTANCE_NOT_VERIFIED)
    row.status, row.disbursed_at = "disbursed", utcnow()
    record_step(session, case, SUBJECT, row.id, "disbursed", row.programme, actor_id, amount=row.amount)
    return _view(session, row, case)


@atomic
def report_spending(uow: UnitOfWork, assistance_id: int, actor_id: int | None, receipt_file_id: int | None,
                    note: str | None = None) -> AssistanceView:
    """The family's report of how the money was spent, with the photo of the receipt (kept encrypted)."""
    session = uow.session
    row, case = _locked(session, assistance_id)
    check_move(MOVES, row.status, "reported", m.ASSISTANCE_MOVE, {"state": m.ASSISTANCE_STATUS[row.status]})
    if receipt_file_id is None:
        raise InvalidInput(m.ASSISTANCE_RECEIPT_NEEDED)
    row.status, row.receipt_file_id, row.report_note, row.reported_at = "reported", receipt_file_id, note_text(note), utcnow()
    record_step(session, case, SUBJECT, row.id, "reported", row.programme, actor_id, row.report_note, receipt=receipt_file_id)
    return _view(session, row, case)


def assistance_case(session: Session, assistance_id: int) -> int | None:
    return session.scalar(select(Assistance.case_id).where(Assistance.id == assistance_id))


def of_case(session: Session, case_id: int) -> list[AssistanceView]:
    case = session.get(Case, case_id)
    if case is None:
        return []
    rows = session.scalars(select(Assistance).where(Assistance.case_id == case_id).order_by(Assistance.id))
    return [_view(session, r, case) for r in rows]


def waiting_for(session: Session, role: Role, scope: str, limit: int = 20) -> list[AssistanceView]:
    """What waits for this role in ``scope``: the kecamatan verifies; the kabupaten approves what is proposed
    and disburses what is approved and verified."""
    wanted = {
        Role.TIM_KECAMATAN: Assistance.status.in_(("proposed", "approved")) & Assistance.verified_at.is_(None),
        Role.TIM_KABUPATEN: (Assistance.status == "proposed") | ((Assistance.status == "approved") & Assistance.verified_at.is_not(None)),
    }.get(Role.TIM_KABUPATEN if role is Role.ADMIN else role)
    if wanted is None:
        return []
    rows = session.execute(
        select(Assistance, Case).join(Case, Case.id == Assistance.case_id)
        .where(wanted, inside(scope))
        .order_by(Assistance.id).limit(limit)
    ).all()
    return [_view(session, a, c) for a, c in rows]


def recipients(session: Session, scope: str, year: int) -> list[tuple[AssistanceView, Child, str, str]]:
    """Approved, disbursed and reported assistance of ``year`` in ``scope``: (assistance, child, desa, kecamatan),
    by kecamatan, desa and name."""
    rows = session.execute(
        select(Assistance, Case, Child).join(Case, Case.id == Assistance.case_id).join(Child, Child.id == Case.child_id)
        .where(Assistance.status.in_(("approved", "disbursed", "reported")), Assistance.year == year,
               inside(scope))
    ).all()
    names = _region_names(session, {c.region_code for _, c, _ in rows})
    out = []
    for a, c, child in rows:
        desa, kecamatan = names.get(c.region_code, (c.region_code, ""))
        out.append((_view(session, a, c, child.name), child, desa, kecamatan))
    return sorted(out, key=lambda r: (r[3], r[2], r[1].name, r[0].id))


def counts(session: Session, scope: str) -> dict[str, dict[str, tuple[int, int]]]:
    """For the recap: programme code → status → (children, rupiah) in ``scope`` (``""``: everywhere)."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for programme, status, n, total in session.execute(
        select(Assistance.programme, Assistance.status, func.count(), func.sum(Assistance.amount))
        .join(Case, Case.id == Assistance.case_id).where(inside(scope)).group_by(Assistance.programme, Assistance.status)
    ):
        out.setdefault(programme, {})[status] = (int(n), int(total or 0))
    return out


def _region_names(session: Session, codes: set[str]) -> dict[str, tuple[str, str]]:
    """code → (its name, its parent's name): the desa and the kecamatan."""
    rows = {code: (name, parent) for code, name, parent in session.execute(
        select(Region.code, Region.name, Region.parent_code).where(Region.code.in_(codes)))}
    parents = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_({p for _, p in rows.values() if p}))).all())
    return {code: (name, parents.get(parent or "", "")) for code, (name, parent) in rows.items()}


def _locked(session: Session, assistance_id: int) -> tuple[Assistance, Case]:
    row = session.get(Assistance, assistance_id, with_for_update=True)
    if row is None:
        raise InvalidInput(m.ASSISTANCE_NOT_FOUND, {"id": assistance_id})
    return row, locked_case(session, row.case_id)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, (int, str)) and str(value).isdigit() else None


def _view(session: Session, row: Assistance, case: Case, child_name: str | None = None) -> AssistanceView:
    name = child_name or session.scalar(select(Child.name).where(Child.id == case.child_id)) or ""
    found = next((p for p in programmes(case.region_code) if p.code == row.programme), Programme(row.programme, row.programme, ""))
    return AssistanceView(row.id, case.id, case.reference, name, found, row.year, row.amount, row.level, row.status,
                          row.verified_at is not None, row.receipt_file_id, case.region_code)

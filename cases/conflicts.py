"""The review list of identity conflicts: a NIK given for a child whose name or sex disagrees with the record
that already holds it. Nothing was merged; the desa/kecamatan team (or the command line) compares both records
side by side and decides: merge them, keep them apart, or fix the NIK of the held record. Every decision is
audited with its actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session

from cases.lifecycle import TERMINAL
from core.authz import Action, Actor, allowed
from core.visibility import mask_nik
from flows.messages import N_
from storage.crypto import NikCipher, NikDecryptionError
from storage.derived import cases_changed
from storage.models import Case, Child, Consent, IdentityConflict, Invitation, Person, Region, Response, Role
from storage.published import published
from storage.repositories.audit import add_entry
from storage.types import utcnow
from storage.uow import UnitOfWork

DECISIONS = ("merge", "apart", "fix_nik")

NOT_FOUND = N_("No open conflict number {number}.")
NOT_ALLOWED = N_("Only the team of {region} may decide this conflict.")
BAD_NIK = N_('"{value}" is not a valid NIK (16 digits).')
SAME_NIK = N_("That is the NIK both records share: give the held record's own NIK.")
NIK_IN_USE = N_("That NIK belongs to another child already ({name}, {reference}).")
DECIDED = {
    "merge": N_("Conflict {number}: the records were merged into {name}."),
    "apart": N_("Conflict {number}: kept apart as two children; the NIK stays with {name}."),
    "fix_nik": N_("Conflict {number}: the NIK of {name} was corrected."),
}


class ConflictError(Exception):
    """A refusal for a person: ``message`` is a message id above, ``params`` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message, self.params = message, params

    def render(self, t: Callable[..., str]) -> str:
        return t(self.message, **self.params)


@dataclass(frozen=True)
class Record:
    """One side of a conflict, as a team member compares it."""

    child_id: int | None
    name: str
    sex: str | None
    birth_date: dt.date | None
    birth_place: str | None
    region: str
    address: str | None
    nik: str
    """Masked (the last four digits)."""
    cases: tuple[str, ...]
    """Case references and statuses."""


@dataclass(frozen=True)
class ConflictView:
    id: int
    status: str
    source: str
    region_code: str
    existing: Record
    held: Record | None
    """None once merged (the held record was folded into the existing one)."""


def open_conflicts(uow: UnitOfWork, region_scope: str = "", status: str | None = "open") -> list[ConflictView]:
    """Conflicts in a region (a code prefix; "" is everywhere), oldest first."""
    session = uow.session
    statement = select(IdentityConflict).where(_shown()).order_by(IdentityConflict.id)
    if region_scope:
        statement = statement.where((IdentityConflict.region_code == region_scope)
                                    | IdentityConflict.region_code.startswith(region_scope + "."))
    if status:
        statement = statement.where(IdentityConflict.status == status)
    return [_view(session, uow.cipher, c) for c in session.scalars(statement)]


def conflict_view(uow: UnitOfWork, conflict_id: int) -> ConflictView:
    session = uow.session
    conflict = session.scalar(select(IdentityConflict).where(IdentityConflict.id == conflict_id, _shown()))
    if conflict is None:
        raise ConflictError(NOT_FOUND, number=conflict_id)
    return _view(session, uow.cipher, conflict)


def _shown() -> ColumnElement[bool]:
    """Not the conflict of a child held by an imported list still being published (``storage.published``)."""
    return ~exists().where(Child.id == IdentityConflict.held_child_id, ~published(Child))


def decide(uow: UnitOfWork, conflict_id: int, decision: str, actor_id: int | None, nik: str | None = None,
           actor_detail: dict[str, Any] | None = None) -> ConflictView:
    """Merge the held record into the existing one, keep them apart, or give the held record its own NIK.

    ``actor_id`` None is the command line (``actor_detail`` says who ran it); a person must be a team member
    whose area covers the conflict. Raises :class:`ConflictError`; nothing changes then."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    session = uow.session
    if actor_id is not None:
        region = session.scalar(select(IdentityConflict.region_code).where(IdentityConflict.id == conflict_id))
        if region is not None and not may_decide(session, actor_id, region):
            # Kept when the caller commits the unit of work after the refusal (the bot's turn does).
            add_entry(session, "identity.denied", "conflict", conflict_id, actor_id=actor_id, region_code=region,
                      detail={"decision": decision})
            raise ConflictError(NOT_ALLOWED, region=_region_name(session, region))
    with uow.attempt():
        conflict = session.get(IdentityConflict, conflict_id)
        if conflict is None or conflict.status != "open":
            raise ConflictError(NOT_FOUND, number=conflict_id)
        existing = session.get(Child, conflict.existing_child_id)
        held = session.get(Child, conflict.held_child_id) if conflict.held_child_id else None
        assert existing is not None
        detail: dict[str, Any] = {"decision": decision, "existing_child": existing.id,
                                  "held_child": held.id if held else None, **(actor_detail or {})}
        if decision == "merge" and held is not None:
            _merge(session, held, existing)
            conflict.held_child_id = None
            conflict.status = "merged"
        elif decision == "fix_nik":
            if held is None:
                raise ConflictError(NOT_FOUND, number=conflict_id)
            _fix_nik(session, uow.cipher, conflict, held, nik or "")
            conflict.status = "nik_fixed"
        else:
            conflict.status = "kept_apart"
        conflict.decided_by, conflict.decided_at = actor_id, utcnow()
        add_entry(session, f"identity.{decision}", "conflict", conflict.id, actor_id=actor_id,
                  region_code=conflict.region_code, detail=detail)
        session.flush()
    return _view(session, uow.cipher, conflict)


def may_decide(session: Session, person_id: int, region_code: str) -> bool:
    person = session.get(Person, person_id)
    return person is not None and allowed(Actor(person.id, person.role, person.region_code), Action.VERIFY, region_code)


def reviewers(uow: UnitOfWork, region_code: str) -> list[tuple[int, int | None, str]]:
    """(person id, chat id, language) of the desa team of the held record's desa and the kecamatan team above it."""
    session = uow.session
    codes = [region_code]
    parent = session.scalar(select(Region.parent_code).where(Region.code == region_code))
    if parent:
        codes.append(parent)
    rows = session.execute(
        select(Person.id, Person.telegram_chat_id, Person.language)
        .where(Person.role.in_((Role.TIM_DESA, Role.TIM_KECAMATAN)), Person.region_code.in_(codes))
        .order_by(Person.id)
    ).all()
    return [(pid, chat, getattr(language, "value", language)) for pid, chat, language in rows]


SIDES = (
    ("name", "NAMA"), ("sex", "L/P"), ("birth_date", "TANGGAL LAHIR"), ("birth_place", "TEMPAT LAHIR"), ("region", "DESA"),
    ("address", "ALAMAT"), ("nik", "NIK"), ("cases", "KASUS"),
)


def side_by_side(view: ConflictView) -> list[str]:
    """Both records in two columns, one field a line."""
    lines = [f"#{view.id} [{view.status}] ({view.source}, {view.region_code})", f"   {'':<14} {'TERCATAT':<34} | BARU"]
    existing, held = view.existing, view.held
    for field, label in SIDES:
        left = _field(existing, field)
        right = _field(held, field) if held else "-"
        mark = "  " if left == right else "≠ "
        lines.append(f"{mark}{label:<14} {left:<34} | {right}")
    return lines


def _field(record: Record, field: str) -> str:
    value = getattr(record, field)
    if isinstance(value, tuple):
        return ", ".join(value) or "-"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value) if value not in (None, "") else "-"


# -- the decisions --------------------------------------------------------------------------------------------
def _merge(session: Session, held: Child, existing: Child) -> None:
    """Everything recorded about the held child now belongs to the existing one; a second open case becomes a
    duplicate of the first. The held record's details fill only what the existing record lacks."""
    open_case = session.scalar(
        select(Case.id).where(Case.child_id == existing.id, Case.status.not_in(TERMINAL), Case.duplicate_of.is_(None))
        .order_by(Case.id).limit(1)
    )
    cases_changed(session, session.scalars(select(Case.id).where(Case.child_id.in_([held.id, existing.id]))))
    for model in (Response, Invitation, Consent):
        session.execute(update(model).where(model.child_id == held.id).values(child_id=existing.id))
    held_cases = update(Case).where(Case.child_id == held.id)
    if open_case is not None:
        session.execute(held_cases.where(Case.status.not_in(TERMINAL), Case.duplicate_of.is_(None))
                        .values(duplicate_of=open_case))
    session.execute(held_cases.values(child_id=existing.id))
    for field in ("sex", "birth_place", "birth_date", "address", "rt", "rw", "nisn", "household_id"):
        if getattr(existing, field) is None and getattr(held, field) is not None:
            setattr(existing, field, getattr(held, field))
    session.flush()
    session.execute(update(IdentityConflict).where(IdentityConflict.held_child_id == held.id).values(held_child_id=None))
    session.delete(held)


def _fix_nik(session: Session, cipher: NikCipher, conflict: IdentityConflict, held: Child, raw: str) -> None:
    from lokal import parse_nik  # ≈7 MB: loaded when a NIK is corrected, not with the bot

    digits = "".join(ch for ch in raw if ch.isdigit())
    info = parse_nik(digits) if len(digits) == 16 else None
    if info is None or info.nik is None or not info.valid or digits.endswith("0000"):
        raise ConflictError(BAD_NIK, value=raw.strip())
    nik_hash, same_nik = cipher.nik_hash(info.nik), cipher.nik_hashes(info.nik)
    if conflict.nik_hash in same_nik:
        raise ConflictError(SAME_NIK)
    owner = session.scalars(select(Child).where(Child.nik_hash.in_(same_nik), Child.id != held.id)).first()
    if owner is not None:
        reference = session.scalar(select(func.min(Case.reference)).where(Case.child_id == owner.id)) or "-"
        raise ConflictError(NIK_IN_USE, name=owner.name, reference=reference)
    held.nik_hash, held.nik_encrypted = nik_hash, cipher.encrypt_nik(info.nik)


# -- reading --------------------------------------------------------------------------------------------------
def _view(session: Session, cipher: NikCipher, conflict: IdentityConflict) -> ConflictView:
    existing = session.get(Child, conflict.existing_child_id)
    held = session.get(Child, conflict.held_child_id) if conflict.held_child_id else None
    given = _nik(cipher, conflict.nik_encrypted)
    assert existing is not None
    return ConflictView(
        conflict.id, conflict.status, conflict.source, conflict.region_code,
        _record(session, cipher, existing, None),
        _record(session, cipher, held, given) if held is not None else None,
    )


def _record(session: Session, cipher: NikCipher, child: Child, given_nik: str | None) -> Record:
    nik = _nik(cipher, child.nik_encrypted) if child.nik_encrypted else given_nik
    cases = session.execute(select(Case.reference, Case.status).where(Case.child_id == child.id).order_by(Case.id)).all()
    return Record(
        child.id, child.name, getattr(child.sex, "value", child.sex), child.birth_date, child.birth_place,
        _region_name(session, child.region_code), child.address, mask_nik(nik) if nik else "-",
        tuple(f"{reference} ({status})" for reference, status in cases),
    )


def _nik(cipher: NikCipher, encrypted: bytes | None) -> str | None:
    if not encrypted:
        return None
    try:
        return cipher.decrypt_nik(encrypted)
    except NikDecryptionError:
        return None


def _region_name(session: Session, code: str) -> str:
    return session.scalar(select(Region.name).where(Region.code == code)) or code

"""Children: identified by NIK when there is one, otherwise by normalized name, birth date and desa."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from difflib import SequenceMatcher
from enum import Enum
from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from storage.crypto import NikCipher
from storage.models import Child, IdentityConflict, Sex
from storage.repositories.audit import add_entry
from storage.repositories.sql import lock_keys


@dataclass(frozen=True)
class ChildIdentity:
    """What a questionnaire says about a child (the instrument's ``subject`` questions)."""

    name: str
    region_code: str
    """The desa, or the kecamatan when the desa is not known."""
    nik: str | None = None
    nisn: str | None = None
    sex: Sex | None = None
    birth_place: str | None = None
    birth_date: date | None = None
    address: str | None = None
    rt: str | None = None
    rw: str | None = None
    household_id: int | None = None


_PUNCTUATION = re.compile(r"[^\w\s]|_")


def normalize_name(name: str) -> str:
    """``"  Muh. Rizky  ARDIANSYAH "`` → ``"muh rizky ardiansyah"``: case, accents, punctuation and spacing
    differences between two volunteers typing the same name do not hide a duplicate."""
    if name.isascii():  # most names: nothing to decompose (a bulk import folds 100,000 of them)
        letters = name.casefold()
    else:
        letters = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    return " ".join(_PUNCTUATION.sub(" ", letters).split())


def _matching(cipher: NikCipher, identity: ChildIdentity) -> ColumnElement[bool]:
    by_name = and_(
        Child.name_normalized == normalize_name(identity.name),
        Child.birth_date == identity.birth_date,
        Child.region_code == identity.region_code,
    )
    if identity.nik is None:
        return by_name
    return or_(Child.nik_hash.in_(cipher.nik_hashes(identity.nik)), by_name)


def find_duplicate_children(session: Session, cipher: NikCipher, identity: ChildIdentity) -> list[Child]:
    """Children already recorded that are probably this one: same NIK, or same name, birth date and desa."""
    if identity.birth_date is None and identity.nik is None:
        return []  # a bare name is not enough to call two records the same child
    return list(session.scalars(select(Child).where(_matching(cipher, identity)).order_by(Child.id)))


class ChildRecord(Protocol):
    """What the identity rule reads of a recorded child (an ORM ``Child`` or a bulk import's lighter row)."""

    id: int
    name: str
    name_normalized: str
    nik_hash: str | None
    sex: Sex | None
    birth_date: date | None
    region_code: str


class Match(str, Enum):
    SAME = "same"
    """The same child: use the existing record."""
    CLASH = "clash"
    """The NIK of an existing child whose name or sex disagrees: never merged, the team decides."""
    NEW = "new"


@dataclass(frozen=True)
class Decision:
    match: Match
    child: ChildRecord | None = None
    """The existing record (SAME: this child; CLASH: the one that holds the NIK)."""
    held: ChildRecord | None = None
    """CLASH only: a record kept apart earlier for this same description (a repeated submission or row)."""


def names_agree(first: str, second: str) -> bool:
    """Whether two written names can be the same person: spelling (Akhmad/Ahmad), initials (Ayu L.), a short
    form (Muh/Muhammad), a missing part (Siti Aminah/Siti Aminah Putri) or a joined name (Nurhayati/Nur Hayati)."""
    a, b = normalize_name(first), normalize_name(second)
    if a == b or a.replace(" ", "") == b.replace(" ", ""):
        return True
    short, long = sorted((a.split(), b.split()), key=len)
    if not short:
        return False
    remaining = list(long)
    for word in short:
        found = next((w for w in remaining if _words_agree(word, w)), None)
        if found is None:
            return False
        remaining.remove(found)
    return True


def _words_agree(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    if (len(shorter) == 1 or len(shorter) >= 3) and longer.startswith(shorter):
        return True
    return len(shorter) >= 3 and SequenceMatcher(None, a, b).ratio() >= 0.8


def same_person(child: ChildRecord, identity: ChildIdentity) -> bool:
    """A record and a description agree on what identifies a person besides the NIK: the name, and the sex
    when both give it."""
    if child.sex is not None and identity.sex is not None and child.sex != identity.sex:
        return False
    return names_agree(child.name, identity.name)


def decide_child(
    session: Session | None, cipher: NikCipher, identity: ChildIdentity, candidates: Sequence[ChildRecord] | None = None
) -> Decision:
    """Same child, clash or new: the one rule imports, chat submissions and household rosters share.

    A NIK match is the same child only if the name and sex agree (else CLASH). Without a NIK match, a record
    with the same name, birth date and desa is the same child unless both carry different NIKs.
    ``candidates`` lets a bulk caller pass records it fetched for many rows in one query."""
    nik_hash = cipher.nik_hash(identity.nik) if identity.nik else None
    if candidates is None:
        assert session is not None, "pass the session or the candidates"
        candidates = find_duplicate_children(session, cipher, identity)
    folded = normalize_name(identity.name)
    by_name = next((c for c in candidates if identity.birth_date is not None and c.name_normalized == folded
                    and c.birth_date == identity.birth_date and c.region_code == identity.region_code
                    and (nik_hash is None or c.nik_hash is None)), None)
    same_nik = set(cipher.nik_hashes(identity.nik)) if identity.nik else set()  # any key's hash, mid-rotation too
    by_nik = next((c for c in candidates if c.nik_hash in same_nik), None)
    if by_nik is not None:
        if same_person(by_nik, identity):
            return Decision(Match.SAME, by_nik)
        return Decision(Match.CLASH, by_nik, by_name)
    return Decision(Match.SAME, by_name) if by_name is not None else Decision(Match.NEW)


@dataclass(frozen=True)
class Resolution:
    child: Child
    created: bool
    conflict: IdentityConflict | None = None
    """Set when the NIK clashed: ``child`` is then a new record held apart, without the NIK."""


def resolve_child(
    session: Session, cipher: NikCipher, identity: ChildIdentity, created_by: int | None, *, source: str = "chat",
    lock: bool = True, candidates: list[Child] | None = None,
) -> Resolution:
    """The existing record of this child (completed with anything new), or a new record; on a NIK clash a new
    record kept apart, without the NIK, and an open :class:`IdentityConflict` for the team to decide.

    Concurrent submissions about one child are serialized (see ``lock_keys``), so they cannot both create it.
    A bulk import that already holds a table lock passes ``lock=False``: thousands of per-child advisory
    locks in one transaction would exhaust PostgreSQL's lock table.
    """
    nik_hash = cipher.nik_hash(identity.nik) if identity.nik else None
    if lock:
        name_key = f"child:{normalize_name(identity.name)}|{identity.birth_date}|{identity.region_code}"
        lock_keys(session, name_key, *([f"child-nik:{nik_hash}"] if nik_hash else []))
    decision = decide_child(session, cipher, identity, candidates)
    if decision.match is Match.SAME and isinstance(decision.child, Child):
        _complete(decision.child, cipher, identity, nik_hash)
        return Resolution(decision.child, False)
    clash = decision.match is Match.CLASH
    if clash and isinstance(decision.held, Child):  # already kept apart, its conflict open or decided
        _complete(decision.held, cipher, identity, None)
        return Resolution(decision.held, False)
    child = Child(name=identity.name.strip(), name_normalized=normalize_name(identity.name), created_by=created_by)
    _complete(child, cipher, identity, None if clash else nik_hash)
    session.add(child)
    session.flush()
    if not clash or decision.child is None or nik_hash is None:
        return Resolution(child, True)
    conflict = IdentityConflict(
        existing_child_id=decision.child.id, held_child_id=child.id, nik_hash=nik_hash,
        nik_encrypted=cipher.encrypt_nik(identity.nik or ""), source=source, region_code=identity.region_code,
        status="open", created_by=created_by,
    )
    session.add(conflict)
    session.flush()
    add_entry(session, "identity.conflict", "child", decision.child.id, actor_id=created_by, region_code=identity.region_code,
              detail={"conflict": conflict.id, "held_child": child.id, "source": source})
    return Resolution(child, True, conflict)


def find_or_create_child(
    session: Session, cipher: NikCipher, identity: ChildIdentity, created_by: int | None, *, lock: bool = True
) -> tuple[Child, bool]:
    """(child, created) by :func:`resolve_child` (a NIK clash gives a new record held apart)."""
    resolution = resolve_child(session, cipher, identity, created_by, lock=lock)
    return resolution.child, resolution.created


def missing_details(child: object, identity: ChildIdentity) -> dict[str, object]:
    """What ``identity`` knows that the record lacks (never the name or NIK): filled, never overwritten
    (responses keep both versions)."""
    found: dict[str, object] = {}
    for field in fields(ChildIdentity):
        if field.name in ("name", "nik"):
            continue
        value = getattr(identity, field.name)
        if value is not None and getattr(child, field.name) is None:
            found[field.name] = value
    return found


def _complete(child: Child, cipher: NikCipher, identity: ChildIdentity, nik_hash: str | None) -> None:
    """Fill what the record lacks; never overwrite what someone recorded before (responses keep both)."""
    if nik_hash and child.nik_hash is None:
        child.nik_hash, child.nik_encrypted = nik_hash, cipher.encrypt_nik(identity.nik or "")
    for field, value in missing_details(child, identity).items():
        setattr(child, field, value)

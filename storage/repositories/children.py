"""Children: identified by NIK when there is one, otherwise by normalized name, birth date and desa."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from storage.crypto import NikCipher
from storage.db import Database
from storage.models import Child, Sex
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


def normalize_name(name: str) -> str:
    """``"  Muh. Rizky  ARDIANSYAH "`` → ``"muh rizky ardiansyah"``: case, accents, punctuation and spacing
    differences between two volunteers typing the same name do not hide a duplicate."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]|_", " ", letters).split())


def _matching(cipher: NikCipher, identity: ChildIdentity) -> ColumnElement[bool]:
    by_name = and_(
        Child.name_normalized == normalize_name(identity.name),
        Child.birth_date == identity.birth_date,
        Child.region_code == identity.region_code,
    )
    if identity.nik is None:
        return by_name
    return or_(Child.nik_hash.in_(cipher.nik_hashes(identity.nik)), by_name)


def _candidates(session: Session, cipher: NikCipher, identity: ChildIdentity) -> list[Child]:
    if identity.birth_date is None and identity.nik is None:
        return []  # a bare name is not enough to call two records the same child
    return list(session.scalars(select(Child).where(_matching(cipher, identity)).order_by(Child.id)))


def find_duplicate_children(db: Database, identity: ChildIdentity) -> list[Child]:
    """Children already recorded that are probably this one: same NIK, or same name, birth date and desa."""
    with db.read() as session:
        return _candidates(session, db.cipher, identity)


def find_or_create_child(
    session: Session, cipher: NikCipher, identity: ChildIdentity, created_by: int | None, *, lock: bool = True
) -> tuple[Child, bool]:
    """The existing record of this child, completed with anything new, or a new record; (child, created).

    A NIK match wins. A name match is the same child unless the two records carry different NIKs.
    Concurrent submissions about one child are serialized (see ``lock_keys``), so they cannot both create it.
    A bulk import that already holds a table lock passes ``lock=False``: thousands of per-child advisory
    locks in one transaction would exhaust PostgreSQL's lock table.
    """
    nik_hash = cipher.nik_hash(identity.nik) if identity.nik else None
    same_nik = set(cipher.nik_hashes(identity.nik)) if identity.nik else set()
    if lock:
        name_key = f"child:{normalize_name(identity.name)}|{identity.birth_date}|{identity.region_code}"
        lock_keys(session, name_key, *([f"child-nik:{nik_hash}"] if nik_hash else []))
    candidates = _candidates(session, cipher, identity)
    match = next((c for c in candidates if c.nik_hash in same_nik), None)
    if match is None:  # a name match, unless both records have a NIK and they differ
        match = next((c for c in candidates if nik_hash is None or c.nik_hash is None or c.nik_hash in same_nik), None)
    if match is not None:
        _complete(match, cipher, identity, nik_hash)
        return match, False
    child = Child(name=identity.name.strip(), name_normalized=normalize_name(identity.name), created_by=created_by)
    _complete(child, cipher, identity, nik_hash)
    session.add(child)
    session.flush()
    return child, True


def _complete(child: Child, cipher: NikCipher, identity: ChildIdentity, nik_hash: str | None) -> None:
    """Fill what the record lacks; never overwrite what someone recorded before (responses keep both)."""
    if nik_hash and child.nik_hash is None:
        child.nik_hash, child.nik_encrypted = nik_hash, cipher.encrypt_nik(identity.nik or "")
    for field in fields(ChildIdentity):
        if field.name in ("name", "nik"):
            continue
        value = getattr(identity, field.name)
        if value is not None and getattr(child, field.name) is None:
            setattr(child, field.name, value)

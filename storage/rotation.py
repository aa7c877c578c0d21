"""Re-encrypting everything under the current key, in small batches, while the bot keeps running.

Each batch is one short write transaction that reads the raw ciphertexts (rows locked on PostgreSQL, the write
lock held on SQLite, so a concurrent save cannot be overwritten by a stale copy), re-encrypts those made under
another key and writes them back. Passes repeat until one finds nothing left, since a process that has not yet
noticed the new key may still write under the old one for a moment; then the old keys are marked retired.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, Text, select, type_coerce, update
from sqlalchemy.orm import InstrumentedAttribute

from storage.crypto import Keyring, is_sealed, sealed_key_id, token_key_id
from storage.db import Database
from storage.keys import private_file
from storage.models import Child, DataKey, Household, IdentityConflict, InstrumentSession, Person, Response, StoredFile
from storage.models.cases import CaseProposal
from storage.repositories.audit import add_entry
from storage.repositories.files import FILE_AAD
from storage.types import JSONType, utcnow

MAX_PASSES = 10


@dataclass(frozen=True)
class _Target:
    key: InstrumentedAttribute[Any]
    json: tuple[InstrumentedAttribute[Any], ...] = ()
    text: tuple[InstrumentedAttribute[Any], ...] = ()
    number: tuple[tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]], ...] = ()
    """(ciphertext, keyed hash) pairs of NIK/KK numbers."""


TARGETS = (
    _Target(Response.id, json=(Response.answers, Response.location)),
    _Target(InstrumentSession.id, json=(InstrumentSession.state,)),
    _Target(CaseProposal.case_id, json=(CaseProposal.location,)),
    _Target(Person.id, text=(Person.phone,)),
    _Target(Child.id, number=((Child.nik_encrypted, Child.nik_hash),)),
    _Target(Household.id, number=((Household.kk_encrypted, Household.kk_hash),)),
    _Target(IdentityConflict.id, number=((IdentityConflict.nik_encrypted, IdentityConflict.nik_hash),)),
)
"""Every column holding ciphertext."""


@dataclass
class RotationReport:
    key_id: str
    rows_rewritten: int = 0
    rows_scanned: int = 0
    passes: int = 0
    seconds: float = 0.0
    retired: list[str] = field(default_factory=list)


def rotate(db: Database, *, batch: int = 200, progress: Callable[[str, int], None] | None = None) -> RotationReport:
    """Re-encrypt every ciphertext not under the current key; retire the old keys once none is left.

    Audited as ``keys.rotate`` (without a person: the OS user and host, see ``storage.repositories.audit``)."""
    keyring = db.cipher
    report = RotationReport(keyring.current_id)
    started = time.perf_counter()
    while report.passes < MAX_PASSES:
        report.passes += 1
        rewritten = sum(_rotate_target(db, keyring, target, batch, report, progress) for target in TARGETS)
        rewritten += _rotate_files(db, keyring, report)
        report.rows_rewritten += rewritten
        if rewritten == 0:
            break
    report.seconds = time.perf_counter() - started
    with db.write() as session:
        old = list(session.scalars(select(DataKey).where(DataKey.key_id != keyring.current_id, DataKey.retired_at.is_(None))))
        for key in old:
            key.retired_at = utcnow()
        report.retired = [k.key_id for k in old]
        add_entry(session, "keys.rotate", "data_key", keyring.current_id, detail={
            "retired": report.retired, "rows_rewritten": report.rows_rewritten, "passes": report.passes,
        })
    return report


def _rotate_target(db: Database, keyring: Keyring, target: _Target, batch: int, report: RotationReport,
                   progress: Callable[[str, int], None] | None) -> int:
    table = target.key.class_
    raw: list[Any] = [type_coerce(c, JSONType).label(c.key) for c in target.json]
    raw += [type_coerce(c, Text).label(c.key) for c in target.text]
    raw += [type_coerce(c, LargeBinary).label(c.key) for c, _ in target.number]
    raw += [h for _, h in target.number]
    last, rewritten = None, 0
    while True:
        with db.write() as session:
            query = select(target.key.label("pk"), *raw).order_by(target.key).limit(batch).with_for_update()
            if last is not None:
                query = query.where(target.key > last)
            rows = session.execute(query).mappings().all()
            if not rows:
                return rewritten
            last = rows[-1]["pk"]
            report.rows_scanned += len(rows)
            changes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                values = _reencrypted(keyring, target, row)
                if values:
                    changes.setdefault(tuple(sorted(values)), []).append({target.key.key: row["pk"], **values})
            for batch_rows in changes.values():  # one executemany per shape (by primary key)
                session.execute(update(table), batch_rows)
                rewritten += len(batch_rows)
        if progress:
            progress(table.__tablename__, rewritten)


def _rotate_files(db: Database, keyring: Keyring, report: RotationReport) -> int:
    """Kept files (photos) under an old key, re-encrypted and replaced atomically; a missing file is skipped."""
    with db.read() as session:
        paths = [Path(p) for p in session.scalars(select(StoredFile.path).where(StoredFile.path.like("%.enc")))]
    rewritten = 0
    for path in paths:
        report.rows_scanned += 1
        try:
            token = path.read_bytes()
        except FileNotFoundError:
            continue
        if token_key_id(token) not in (None, keyring.current_id):
            private_file(path, keyring.encrypt(keyring.decrypt(token, FILE_AAD), FILE_AAD))
            rewritten += 1
    return rewritten


def _reencrypted(keyring: Keyring, target: _Target, row: Any) -> dict[str, Any]:
    current = keyring.current_id
    values: dict[str, Any] = {}
    for column in target.json:
        value = row[column.key]
        if _has_old(value, current):
            values[column.key] = _reseal(value, keyring)
    for column in target.text:
        value = row[column.key]
        if value and value.startswith("$sealed:") and value[8:].partition(".")[0] != current:
            values[column.key] = "$sealed:" + keyring.seal(keyring.open({"$sealed": value[8:]}))["$sealed"]
    for column, hash_column in target.number:
        token = row[column.key]
        if token is None:
            continue
        number = keyring.decrypt_nik(bytes(token))
        # The hash is checked too: a writer may hash just before noticing the new key and encrypt just after.
        if token_key_id(bytes(token)) != current or row[hash_column.key] != keyring.nik_hash(number):
            values[column.key], values[hash_column.key] = keyring.encrypt_nik(number), keyring.nik_hash(number)
    return values


def _has_old(value: Any, current: str) -> bool:
    if is_sealed(value):
        return sealed_key_id(value) != current
    if isinstance(value, dict):
        return any(_has_old(v, current) for v in value.values())
    if isinstance(value, list):
        return any(_has_old(v, current) for v in value)
    return False


def _reseal(value: Any, keyring: Keyring) -> Any:
    if is_sealed(value):
        return value if sealed_key_id(value) == keyring.current_id else keyring.seal(keyring.open(value))
    if isinstance(value, dict):
        return {k: _reseal(v, keyring) for k, v in value.items()}
    if isinstance(value, list):
        return [_reseal(v, keyring) for v in value]
    return value

"""encryption at rest: the data_keys table, phones as sealed text, and everything already stored encrypted

Seals the personal answers of responses, whole draft states, GPS positions and phone numbers written in clear
before this version, and re-encrypts NIK and KK ciphertexts of the first format (no key id; made with DATA_KEY or
the former public development key) under the current key, with fresh keyed hashes. Needs the data key only when
there is something to encrypt (then, with neither DATA_KEY nor a key file, the key file is created).

Revision ID: 0009_encryption
Revises: 0008_recap_summary
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.types import JSONType, UTCDateTime

revision: str = "0009_encryption"
down_revision: str | None = "0008_recap_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORMER_PUBLIC_KEY = "ats-bot-development-key-NOT-SECRET"
"""Only to read NIKs a development setup encrypted with the former built-in key; never used to encrypt."""
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("check_value", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_data_keys")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.String(32), type_=sa.Text(), existing_nullable=True)
    _encrypt_existing(op.get_bind())


def downgrade() -> None:
    # Ciphertexts stay as they are: decrypting everything in bulk on a downgrade would defeat the point.
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.Text(), type_=sa.String(32), existing_nullable=True)
    op.drop_table("data_keys")


def _encrypt_existing(connection: sa.Connection) -> None:
    from storage.crypto import is_sealed, token_key_id

    meta = sa.MetaData()
    tables = {
        name: sa.Table(name, meta, *columns)
        for name, columns in {
            "responses": (sa.Column("id", sa.Integer), sa.Column("answers", JSONType), sa.Column("location", JSONType)),
            "instrument_sessions": (sa.Column("id", sa.Integer), sa.Column("state", JSONType)),
            "case_proposals": (sa.Column("case_id", sa.Integer), sa.Column("location", JSONType)),
            "people": (sa.Column("id", sa.Integer), sa.Column("phone", sa.Text)),
            "children": (sa.Column("id", sa.Integer), sa.Column("nik_encrypted", sa.LargeBinary), sa.Column("nik_hash", sa.String)),
            "households": (sa.Column("id", sa.Integer), sa.Column("kk_encrypted", sa.LargeBinary), sa.Column("kk_hash", sa.String)),
            "identity_conflicts": (sa.Column("id", sa.Integer), sa.Column("nik_encrypted", sa.LargeBinary), sa.Column("nik_hash", sa.String)),
        }.items()
    }
    keyring: Any = None
    counts: dict[str, int] = {}

    def ring() -> Any:
        nonlocal keyring
        if keyring is None:
            from core.settings import get_settings
            from storage.keys import key_source

            settings = get_settings()
            source = key_source(settings, create=True)
            keyring = source.keyring(settings)
            if source.created:
                print(f"A new data key {keyring.current_id} was written to {source.origin}: back it up.")
        return keyring

    from storage.sealing import personal_answer_keys, seal_answers

    personal = personal_answer_keys()
    for name, key_column, columns in (
        ("responses", "id", ("answers", "location")),
        ("instrument_sessions", "id", ("state",)),
        ("case_proposals", "case_id", ("location",)),
        ("people", "id", ("phone",)),
    ):
        table = tables[name]
        for row in _batches(connection, table, key_column):
            changes: dict[str, Any] = {}
            for column in columns:
                value = row[column]
                if value is None:
                    continue
                if column == "answers":
                    sealed = seal_answers(value, ring(), personal) if _has_clear(value, personal, is_sealed) else value
                elif column == "phone":
                    sealed = value if value.startswith("$sealed:") else "$sealed:" + ring().seal(value)["$sealed"]
                else:
                    sealed = value if is_sealed(value) else ring().seal(value)
                if sealed != value:
                    changes[column] = sealed
            if changes:
                connection.execute(sa.update(table).where(table.c[key_column] == row[key_column]).values(**changes))
                counts[name] = counts.get(name, 0) + 1

    for name, token_column, hash_column in (("children", "nik_encrypted", "nik_hash"), ("households", "kk_encrypted", "kk_hash"),
                                               ("identity_conflicts", "nik_encrypted", "nik_hash")):
        table = tables[name]
        legacy = connection.execute(
            sa.select(table.c.id, table.c[token_column]).where(table.c[token_column].is_not(None))
        ).all()
        for row_id, token in legacy:
            if token_key_id(bytes(token)) is not None:
                continue
            number = _legacy_decrypt(bytes(token), ring())
            counts[name] = counts.get(name, 0) + 1
            connection.execute(
                sa.update(table).where(table.c.id == row_id).values(
                    {token_column: ring().encrypt_nik(number), hash_column: ring().nik_hash(number)}
                )
            )
    counts["stored_files"] = _encrypt_kept_files(connection, ring)
    if keyring is not None:
        from storage.keyring_check import check_value

        data_keys = sa.table("data_keys", sa.column("key_id"), sa.column("check_value"), sa.column("added_at", UTCDateTime()))
        from storage.types import utcnow

        connection.execute(sa.insert(data_keys).values(key_id=keyring.current_id, check_value=check_value(keyring), added_at=utcnow()))
        from storage.repositories.audit import os_actor

        audit = sa.table("audit_log", sa.column("at", UTCDateTime()), sa.column("action"), sa.column("subject_type"),
                         sa.column("subject_id"), sa.column("detail", JSONType))
        connection.execute(sa.insert(audit).values(at=utcnow(), action="keys.encrypt_existing", subject_type="data_key",
                                                   subject_id=keyring.current_id, detail={**os_actor(), "rows": counts}))


def _encrypt_kept_files(connection: sa.Connection, ring: Any) -> int:
    """Photos kept in clear by earlier versions: encrypted beside them (``.enc``), the clear file removed."""
    import uuid
    from pathlib import Path

    from storage.keys import private_file

    files = sa.table("stored_files", sa.column("id"), sa.column("path"))
    done = 0
    for file_id, name in connection.execute(sa.select(files.c.id, files.c.path)).all():
        path = Path(name)
        if name.endswith(".enc") or not path.is_file():
            continue
        target = path.with_name(f"{uuid.uuid4().hex}.enc")
        private_file(target, ring().encrypt(path.read_bytes(), b"ats-bot:file"))
        connection.execute(sa.update(files).where(files.c.id == file_id).values(path=str(target)))
        path.unlink()
        done += 1
    return done


def _batches(connection: sa.Connection, table: sa.Table, key_column: str) -> Any:
    """Every row in key order, read BATCH at a time (a large database is not loaded at once)."""
    last = None
    while True:
        query = sa.select(table).order_by(table.c[key_column]).limit(BATCH)
        if last is not None:
            query = query.where(table.c[key_column] > last)
        rows = connection.execute(query).mappings().all()
        if not rows:
            return
        yield from rows
        last = rows[-1][key_column]


def _has_clear(value: Any, personal: frozenset[str], is_sealed: Any) -> bool:
    if isinstance(value, dict):
        return any((k in personal and v is not None and not is_sealed(v)) or _has_clear(v, personal, is_sealed) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_clear(v, personal, is_sealed) for v in value)
    return False


def _legacy_decrypt(token: bytes, keyring: Any) -> str:
    """A first-format NIK ciphertext (``0x01 | nonce | AES-GCM``), tried with every configured key, then the former
    public development key."""
    from storage.crypto import DataKeyError, _derive

    nonce, body = token[1:13], token[13:]
    for secret in [*keyring._secrets, FORMER_PUBLIC_KEY]:
        try:
            return AESGCM(_derive(secret, b"nik-encryption")).decrypt(nonce, body, b"ats-bot:nik").decode()
        except InvalidTag:
            continue
    raise DataKeyError(
        f"A NIK stored before this version cannot be decrypted with the configured key {keyring.current_id}: "
        "set DATA_KEY to the key the bot used so far, then run `ats-bot db upgrade` again."
    )

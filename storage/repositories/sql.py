"""Dialect-specific statements both backends support with the same meaning."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert_insert(session: Session, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` with ``ON CONFLICT`` support for the session's dialect (SQLite ≥ 3.24 and PostgreSQL)."""
    return postgresql.insert(model) if _dialect(session) == "postgresql" else sqlite.insert(model)


def insert_if_absent(session: Session, model: type[Any], values: dict[str, Any], key: list[str]) -> bool:
    """``INSERT ... ON CONFLICT (key) DO NOTHING``; True when the row was new. Atomic under concurrency."""
    # RETURNING yields a row only for an inserted row; rowcount is not reliable for this across drivers.
    column = getattr(model, key[0])
    statement = upsert_insert(session, model).values(**values).on_conflict_do_nothing(index_elements=key)
    return session.execute(statement.returning(column)).first() is not None


def lock_keys(session: Session, *keys: str) -> None:
    """Serialize transactions working on the same logical keys until commit.

    PostgreSQL takes transaction-scoped advisory locks (in a fixed order, so two transactions cannot
    deadlock); SQLite needs nothing because a write transaction (BEGIN IMMEDIATE) already excludes every
    other writer.
    """
    if _dialect(session) != "postgresql":
        return
    for key in sorted(set(keys)):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(number)))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name

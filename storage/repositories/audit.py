"""The audit log: who did what to which record."""

from __future__ import annotations

import getpass
import os
import socket
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import AuditLog


def command_line_actor() -> str:
    """Who ran a command-line action: ``user@host`` (the OS account; there is no Telegram person)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (some containers)
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def add_entry(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    actor_id: int | None = None,
    region_code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit inside the caller's transaction, so the entry exists exactly when the change does."""
    session.add(
        AuditLog(
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            actor_id=actor_id,
            region_code=region_code,
            detail=detail or {},
        )
    )


def record(
    db: Database,
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    actor_id: int | None = None,
    region_code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit something that happened outside storage (e.g. an export was downloaded)."""
    with db.write() as session:
        add_entry(session, action, subject_type, subject_id, actor_id=actor_id, region_code=region_code, detail=detail)


def history(db: Database, subject_type: str, subject_id: object) -> list[AuditLog]:
    """Every entry about one record, oldest first."""
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditLog)
                .where(AuditLog.subject_type == subject_type, AuditLog.subject_id == str(subject_id))
                .order_by(AuditLog.at, AuditLog.id)
            )
        )

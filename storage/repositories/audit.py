"""The audit log: who did what to which record."""

from __future__ import annotations

import getpass
import os
import socket
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import AuditLog


@cache
def os_actor() -> dict[str, str]:
    """Who runs this process, for entries without a person (the command line, a scheduled job): the operating
    system's user and the host, so ``ats-bot db restore`` or an export is never anonymous."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        user = str(os.getuid())
    return {"os_user": user, "host": socket.gethostname()}


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
    """Audit inside the caller's transaction, so the entry exists exactly when the change does. Without a person
    (``actor_id`` None) the entry names the operating-system user and host (:func:`os_actor`)."""
    if actor_id is None:
        detail = {**os_actor(), **(detail or {})}
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

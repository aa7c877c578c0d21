"""Audit entries always name a real actor: a person, or the operating-system user and host of the command line."""

from __future__ import annotations

import getpass
import socket

from sqlalchemy import select

from storage.db import Database
from storage.models import AuditLog
from storage.repositories.audit import os_actor, record


def test_an_entry_without_a_person_names_the_os_user_and_host(db: Database, pendata: int) -> None:
    record(db, "db.restore", "database", "backup.db")
    record(db, "export.region", "region", "33.26", actor_id=pendata, detail={"rows": 3})
    with db.read() as session:
        cli, chat = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert cli.actor_id is None and cli.detail == {"os_user": getpass.getuser(), "host": socket.gethostname()}
    assert chat.actor_id == pendata and chat.detail == {"rows": 3}  # a person is the actor: nothing added


def test_what_the_caller_says_wins_over_the_defaults(db: Database) -> None:
    record(db, "keys.rotate", "key", "k2", detail={"host": "given", "batches": 4})
    with db.read() as session:
        entry = session.scalars(select(AuditLog)).one()
    assert entry.detail == {"os_user": os_actor()["os_user"], "host": "given", "batches": 4}


"""Signing in without passwords: a one-time link sent in the chat opens a browser session bound to that person.

Tokens are random (``secrets``); only their SHA-256 is stored. A link works once, within minutes; a session
expires after hours and ends at ``/keluar`` or when the person asks in the chat (``/dasbor keluar``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from storage.db import Database
from storage.models import Person, Role, WebLogin, WebSession
from storage.repositories.audit import add_entry

DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.TIM_KABUPATEN, Role.TIM_KECAMATAN, Role.TIM_DESA, Role.PENDAMPING,
                             Role.OPERATOR_SEKOLAH})
"""Who may open the dashboard: the teams, school operators and pendamping (each sees only their own area)."""


class NotForDashboard(PermissionError):
    """This person's role has no dashboard (volunteers collecting data, parents, the public)."""


class LinkRefused(Exception):
    """A sign-in link that cannot be used; ``reason`` is ``unknown``, ``used`` or ``expired``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as every page and query sees them."""

    person_id: int
    name: str
    role: Role
    region_code: str | None
    school_id: int | None
    language: str
    csrf_token: str
    session_id: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(db: Database, person_id: int, now: dt.datetime, minutes: int, *, via: str = "chat") -> str:
    """A new one-time token for ``person_id`` (raises :class:`NotForDashboard` for roles without a dashboard).
    Audited: asked in the chat by the person themself, or printed by an operator (``via="cli"``: the entry names
    the operating-system user and host)."""
    token = secrets.token_urlsafe(32)
    with db.write() as session:
        role = session.scalar(select(Person.role).where(Person.id == person_id))
        if role not in DASHBOARD_ROLES:
            add_entry(session, "access.denied", "dashboard", person_id, actor_id=person_id,
                      detail={"action": "dashboard_link", "role": str(role)})
            raise NotForDashboard(str(role))
        session.add(WebLogin(token_hash=_hash(token), person_id=person_id, created_at=now,
                             expires_at=now + dt.timedelta(minutes=minutes)))
        add_entry(session, "web.link", "person", person_id, actor_id=person_id if via == "chat" else None,
                  detail={"via": via, "minutes": minutes})
    return token


def redeem_link(db: Database, token: str, now: dt.datetime, hours: int) -> tuple[str, int]:
    """Use a link once: ``(session token, person id)``; :class:`LinkRefused` (audited) when unknown, used or expired."""
    reason: str | None = None
    with db.write() as session:
        login = session.scalars(select(WebLogin).where(WebLogin.token_hash == _hash(token))).one_or_none()
        if login is None:
            reason = "unknown"
        else:
            # One UPDATE claims the link: two tabs racing on the same link cannot both sign in.
            claimed = session.execute(
                update(WebLogin).where(WebLogin.id == login.id, WebLogin.used_at.is_(None), WebLogin.expires_at > now)
                .values(used_at=now).execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            role = session.scalar(select(Person.role).where(Person.id == login.person_id))
            if not claimed:
                reason = "used" if login.used_at is not None else "expired"
            elif role not in DASHBOARD_ROLES:
                reason = "role"
        if reason is not None or login is None:
            add_entry(session, "web.login_refused", "web_login", login.id if login else "-",
                      actor_id=login.person_id if login else None, detail={"reason": reason})
        else:
            session_token = secrets.token_urlsafe(32)
            row = WebSession(token_hash=_hash(session_token), person_id=login.person_id, csrf_token=secrets.token_urlsafe(24),
                             created_at=now, expires_at=now + dt.timedelta(hours=hours))
            session.add(row)
            session.flush()
            add_entry(session, "web.login", "web_session", row.id, actor_id=login.person_id)
            return session_token, login.person_id
    raise LinkRefused(reason or "unknown")  # after the commit: the refusal stays in the audit log


def viewer_for(db: Database, session_token: str, now: dt.datetime) -> Viewer | None:
    """The person behind a session cookie, or None when it is unknown, ended, expired or their role lost the dashboard."""
    with db.read() as session:
        row = session.execute(
            select(WebSession, Person).join(Person, Person.id == WebSession.person_id)
            .where(WebSession.token_hash == _hash(session_token), WebSession.ended_at.is_(None), WebSession.expires_at > now)
        ).one_or_none()
    if row is None:
        return None
    web_session, person = row
    if person.role not in DASHBOARD_ROLES:
        return None
    return Viewer(person.id, person.display_name or "", Role(person.role), person.region_code, person.school_id,
                  str(person.language),
                  web_session.csrf_token, web_session.id)


def end_session(db: Database, session_token: str, now: dt.datetime) -> None:
    with db.write() as session:
        session.execute(update(WebSession).where(WebSession.token_hash == _hash(session_token), WebSession.ended_at.is_(None))
                        .values(ended_at=now))


def end_all_sessions(db: Database, person_id: int, now: dt.datetime) -> int:
    """Sign a person out of every browser (from the chat); the number of sessions ended."""
    with db.write() as session:
        ended = session.execute(
            update(WebSession).where(WebSession.person_id == person_id, WebSession.ended_at.is_(None))
            .values(ended_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if ended:
            add_entry(session, "web.logout_all", "person", person_id, actor_id=person_id, detail={"sessions": ended})
        return int(ended)


def csrf_ok(viewer: Viewer, submitted: str | None) -> bool:
    return bool(submitted) and secrets.compare_digest(viewer.csrf_token, submitted or "")

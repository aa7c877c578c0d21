"""Invitations: how people get a role. Single use, expiring, and only the token's hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import Child, Invitation, Person, Role
from storage.repositories.audit import add_entry
from storage.types import utcnow

DEFAULT_VALIDITY = timedelta(days=7)


ESCALATED = frozenset({"other_role", "other_family"})
"""Refusals the invitation's sender hears about: their link reached someone who is not that family."""


class InvitationError(Exception):
    """Why an invitation cannot be used: ``unknown``, ``used``, ``expired``, or (a parent's link) ``other_role``
    (the person already works with another role) or ``other_family`` (the parent of an unrelated child).
    For the last two, ``created_by``, ``child_id`` and ``region_code`` say whom to alert, about whom."""

    def __init__(self, reason: str, *, created_by: int | None = None, child_id: int | None = None,
                 region_code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.created_by, self.child_id, self.region_code = created_by, child_id, region_code


@dataclass(frozen=True)
class Redeemed:
    role: Role
    region_code: str | None
    child_id: int | None
    case_id: int | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_invitation(
    session: Session,
    role: Role,
    region_code: str | None,
    *,
    created_by: int | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
    child_id: int | None = None,
    case_id: int | None = None,
    school_id: int | None = None,
) -> str:
    """A new invitation; returns the token (shown once: only its hash is kept). A school operator's names their
    school."""
    token = secrets.token_urlsafe(18)
    invitation = Invitation(
        token_hash=token_hash(token), role=role, region_code=region_code, created_by=created_by,
        expires_at=utcnow() + validity, child_id=child_id, case_id=case_id, school_id=school_id,
    )
    session.add(invitation)
    session.flush()
    add_entry(session, "invitation.create", "invitation", invitation.id, actor_id=created_by, region_code=region_code,
              detail={"role": role.value, "child_id": child_id, "school_id": school_id})
    return token


def redeem_invitation(db: Database, token: str, person_id: int) -> Redeemed:
    """Use an invitation for ``person_id``: one winner even if two people open the link at the same moment.

    A link grants exactly what it says: a parent's link makes its user that child's parent only if they have no
    other role and are not the parent of an unrelated child; otherwise it is refused (and stays usable for the
    real family) and the caller alerts its sender. No refusal changes the person."""
    now = utcnow()
    digest = token_hash(token)
    with db.write() as session:
        invitation = session.scalars(select(Invitation).where(Invitation.token_hash == digest)).one_or_none()
        person = session.get(Person, person_id)
        assert person is not None
        reason = None
        if invitation is None:
            reason = "unknown"
        elif invitation.used_at is not None:
            reason = "used"
        elif invitation.expires_at <= now:
            reason = "expired"
        elif invitation.role is Role.ORANG_TUA and (reason := _not_that_family(session, person, invitation)) is not None:
            pass
        else:
            claimed = session.execute(
                update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                .values(used_at=now, used_by=person_id).execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                reason = "used"
        if reason is None:
            assert invitation is not None
            if invitation.role is not Role.ORANG_TUA or person.role is Role.MASYARAKAT:
                person.role, person.region_code = invitation.role, invitation.region_code
                person.school_id = invitation.school_id
            add_entry(session, "invitation.redeem", "invitation", invitation.id, actor_id=person_id,
                      region_code=invitation.region_code, detail={"role": invitation.role.value})
            return Redeemed(invitation.role, invitation.region_code, invitation.child_id, invitation.case_id)
        # The refusal is recorded (committed with this block), then reported.
        add_entry(session, "invitation.refused", "invitation", invitation.id if invitation else None, actor_id=person_id,
                  region_code=invitation.region_code if invitation else None,
                  detail={"reason": reason, "role": person.role.value, "region": person.region_code,
                          "child_id": invitation.child_id if invitation else None})
        escalated = invitation if invitation is not None and reason in ESCALATED else None
    if escalated is None:
        raise InvitationError(reason)
    raise InvitationError(reason, created_by=escalated.created_by, child_id=escalated.child_id, region_code=escalated.region_code)


def _not_that_family(session: Session, person: Person, invitation: Invitation) -> str | None:
    """Why ``person`` may not become the parent the invitation names, or None when they may: anyone new, or a
    parent whose children already linked live in the same household as this child (siblings)."""
    if person.role not in (Role.MASYARAKAT, Role.ORANG_TUA):
        return "other_role"
    linked = set(session.scalars(children_of_parent(person.id)))
    if not linked or invitation.child_id in linked:
        return None
    households = set(session.scalars(select(Child.household_id).where(Child.id.in_(linked | {invitation.child_id}))))
    return None if len(households) == 1 and None not in households else "other_family"


def children_of_parent(person_id: int) -> Select[int | None]:
    """The children a parent was linked to, by the invitations their pendamping sent them (a subquery)."""
    return select(Invitation.child_id).where(Invitation.used_by == person_id, Invitation.child_id.is_not(None))

"""What a signed-in person may see: the chat's role × region × relation rules, as SQL conditions and checks.

Teams (and the administrator) see every case of their region (``core.authz``: ``READ_CHILD``/``RECAP``);
pendamping and school operators see the children they follow (the chat's own rule, ``cases.relations.followed``).
Field visibility is :func:`core.visibility.policy` of the role, capped for the browser like the chat."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from cases.relations import followed as followed_cases  # the chat's rule, shared
from core.authz import TEAM, Action, Actor, allowed, covers
from core.visibility import Policy, policy
from reports.sql import in_scope
from storage.models import Case, Role
from storage.published import published
from web.auth import Viewer


def actor(viewer: Viewer) -> Actor:
    return Actor(viewer.person_id, viewer.role, viewer.region_code)


def is_team(viewer: Viewer) -> bool:
    return viewer.role in TEAM


def field_policy(viewer: Viewer) -> Policy:
    """The role's row of the visibility matrix; a full NIK never shows on a page (exports carry it with a reason)."""
    return policy(viewer.role).for_chat()


def home_region(viewer: Viewer) -> str:
    """The region a team's pages start from (``""``: every region, for the administrator)."""
    return "" if viewer.role is Role.ADMIN else (viewer.region_code or "")


def may_see_region(viewer: Viewer, region_code: str) -> bool:
    """Overview, drill-down, map and exports of a region: teams inside their own region only."""
    if viewer.role is Role.ADMIN:
        return True
    return allowed(actor(viewer), Action.RECAP, region_code or None) if region_code else False


def case_condition(session: Session, viewer: Viewer, region_code: str = "") -> ColumnElement[bool]:
    """The cases this person may open, within ``region_code`` (a drill-down inside their region); never those of
    an imported list not yet published (:func:`storage.published.published`)."""
    return _reach(session, viewer, region_code) & published(Case)


def _reach(session: Session, viewer: Viewer, region_code: str) -> ColumnElement[bool]:
    if is_team(viewer):
        scope = region_code or home_region(viewer)
        if viewer.role is not Role.ADMIN and not covers(viewer.region_code, scope):
            return false()
        return in_scope(Case.region_code, scope) if scope else true()
    followed = followed_cases(session, viewer.person_id)
    if followed is None:
        return false()
    return followed & in_scope(Case.region_code, region_code) if region_code else followed


def may_open_case(session: Session, viewer: Viewer, case_id: int) -> bool:
    return session.scalar(select(Case.id).where(Case.id == case_id, case_condition(session, viewer))) is not None

"""Least privilege by role and region: the pure rules behind every command and button."""

from __future__ import annotations

import pytest

from core.authz import Action, Actor, allowed, covers, forms_for, may_invite
from core.enums import Role

KAJEN = "33.26.08"
KUTOROJO = "33.26.08.2002"
KANDANGSERANG = "33.26.01"


def actor(role: Role, region: str | None = KAJEN) -> Actor:
    return Actor(1, role, region)


@pytest.mark.parametrize(("scope", "region", "expected"), [
    ("33.26", KUTOROJO, True), (KAJEN, KUTOROJO, True), (KAJEN, KAJEN, True), (KAJEN, KANDANGSERANG, False),
    ("33.26.0", KAJEN, False),  # a prefix of the digits is not a parent region
    (None, KAJEN, False), (KAJEN, None, False),
])
def test_region_containment_follows_kemendagri_codes(scope: str | None, region: str | None, expected: bool) -> None:
    assert covers(scope, region) is expected


def test_forms_by_role() -> None:
    assert forms_for(actor(Role.MASYARAKAT)) == {"usulan"}
    assert forms_for(actor(Role.ORANG_TUA)) == {"kesediaan", "pemilihan-sekolah", "usulan"}
    assert "pendataan" in forms_for(actor(Role.PENDATA)) and "monitoring" not in forms_for(actor(Role.PENDATA))
    assert "monitoring" in forms_for(actor(Role.OPERATOR_SEKOLAH)) and "pendataan" not in forms_for(actor(Role.OPERATOR_SEKOLAH))
    assert forms_for(actor(Role.TIM_DESA)) >= forms_for(actor(Role.PENDAMPING))


@pytest.mark.parametrize(("who", "where", "role", "region", "expected"), [
    (Role.TIM_KABUPATEN, "33.26", Role.TIM_KECAMATAN, KAJEN, True),
    (Role.TIM_KECAMATAN, KAJEN, Role.TIM_DESA, KUTOROJO, True),
    (Role.TIM_KECAMATAN, KAJEN, Role.TIM_DESA, KANDANGSERANG + ".2001", False),  # another kecamatan
    (Role.TIM_KECAMATAN, KAJEN, Role.TIM_KECAMATAN, KAJEN, False),  # not their own level
    (Role.TIM_KECAMATAN, KAJEN, Role.TIM_KABUPATEN, "33.26", False),  # not above themselves
    (Role.TIM_DESA, KUTOROJO, Role.PENDATA, KUTOROJO, True),
    (Role.TIM_DESA, KUTOROJO, Role.ADMIN, KUTOROJO, False),
    (Role.PENDAMPING, KAJEN, Role.ORANG_TUA, KUTOROJO, True),
    (Role.PENDAMPING, KAJEN, Role.PENDATA, KUTOROJO, False),
    (Role.PENDATA, KAJEN, Role.PENDATA, KAJEN, False),
    (Role.MASYARAKAT, None, Role.PENDATA, KAJEN, False),
    (Role.ADMIN, None, Role.TIM_KABUPATEN, "33.26", True),
])
def test_who_may_invite_whom(who: Role, where: str | None, role: Role, region: str, expected: bool) -> None:
    assert may_invite(actor(who, where), role, region) is expected


def test_team_actions_stay_inside_their_region() -> None:
    desa = actor(Role.TIM_DESA, KUTOROJO)
    assert allowed(desa, Action.ASSIGN, KUTOROJO) and not allowed(desa, Action.ASSIGN, KAJEN + ".2001")
    assert allowed(actor(Role.TIM_KECAMATAN), Action.RECAP, KUTOROJO)
    assert not allowed(actor(Role.TIM_KECAMATAN), Action.RECAP, KANDANGSERANG)
    assert not allowed(actor(Role.PENDAMPING), Action.EXPORT, KAJEN)
    assert allowed(actor(Role.TIM_KABUPATEN, "33.26"), Action.IMPORT, "33.26")
    assert not allowed(actor(Role.TIM_KECAMATAN), Action.IMPORT, KAJEN)
    assert allowed(actor(Role.PENDATA), Action.READ_CHILD, KUTOROJO) and not allowed(actor(Role.PENDATA), Action.READ_CHILD, KANDANGSERANG)
    assert not allowed(actor(Role.ORANG_TUA), Action.READ_CHILD, KUTOROJO)
    assert allowed(actor(Role.ADMIN, None), Action.EXPORT, KANDANGSERANG)

"""Who may do what, where: least privilege by role and region (UU PDP 27/2022).

Pure rules, checked on the server for every command and button. Regions are Kemendagri codes, so a team
whose region is ``33.26.01`` (a kecamatan) covers every desa ``33.26.01.*`` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.enums import Role
from flows.messages import N_


class Action(StrEnum):
    FILL = "fill"
    READ_CHILD = "read_child"
    INVITE = "invite"
    ASSIGN = "assign"
    VERIFY = "verify"
    RECAP = "recap"
    EXPORT = "export"
    IMPORT = "import"
    SET_TARGETS = "set_targets"
    HANDLE_DATA_REQUEST = "handle_data_request"


TEAM = (Role.ADMIN, Role.TIM_KABUPATEN, Role.TIM_KECAMATAN, Role.TIM_DESA)
RANK = {Role.ADMIN: 0, Role.TIM_KABUPATEN: 1, Role.TIM_KECAMATAN: 2, Role.TIM_DESA: 3}
WORKERS = (Role.PENDATA, Role.PENDAMPING, Role.OPERATOR_SEKOLAH)
ROLE_NAMES = {
    "admin": N_("administrator"),
    "tim_kabupaten": N_("kabupaten team"),
    "tim_kecamatan": N_("kecamatan team"),
    "tim_desa": N_("village team"),
    "pendata": N_("data volunteer"),
    "pendamping": N_("accompaniment volunteer"),
    "operator_sekolah": N_("school operator"),
    "orang_tua": N_("parent"),
    "masyarakat": N_("community member"),
}
"""What each role is called (English message ids), in chat and in reminders."""

FORMS_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.PENDATA: frozenset({"pendataan", "rekonfirmasi", "rumah-tangga", "usulan"}),
    Role.PENDAMPING: frozenset({"pendataan", "rekonfirmasi", "rumah-tangga", "monitoring", "pendampingan", "kesediaan",
                                "pemilihan-sekolah", "indikator-risiko", "usulan", "kembali-sekolah"}),
    Role.OPERATOR_SEKOLAH: frozenset({"monitoring", "indikator-risiko", "usulan", "kembali-sekolah"}),
    Role.ORANG_TUA: frozenset({"kesediaan", "pemilihan-sekolah", "usulan"}),
    Role.MASYARAKAT: frozenset({"usulan"}),
}
ALL_FORMS = frozenset().union(*FORMS_BY_ROLE.values())


@dataclass(frozen=True)
class Actor:
    """The person acting, as authorisation sees them."""

    person_id: int
    role: Role
    region_code: str | None


def covers(scope: str | None, region: str | None) -> bool:
    """Whether a person working in ``scope`` may act on something in ``region`` (a Kemendagri code prefix)."""
    if scope is None or region is None:
        return False
    return region == scope or region.startswith(scope + ".")


def forms_for(actor: Actor) -> frozenset[str]:
    """The questionnaires a person may fill: teams all of them, anyone the proposal of a child (``usulan``)."""
    return ALL_FORMS if actor.role in TEAM else FORMS_BY_ROLE.get(actor.role, frozenset())


def may_invite(actor: Actor, role: Role, region: str) -> bool:
    """Teams invite roles below them inside their own region; pendamping invite parents (for their children)."""
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.PENDAMPING:
        return role is Role.ORANG_TUA and covers(actor.region_code, region)
    if actor.role not in RANK or not covers(actor.region_code, region):
        return False
    if role in RANK:
        return RANK[role] > RANK[actor.role]
    return role in WORKERS or role is Role.ORANG_TUA


def allowed(actor: Actor, action: Action, region: str | None) -> bool:
    """The role-and-region rule for actions on things located in ``region``.

    For a child's record this is the outer bound only: a pendamping, school operator or parent acts on the
    children they follow (their assignment, their school's pupils, their own child: ``BotStore.cases_of``)."""
    if actor.role is Role.ADMIN:
        return True
    if action in (Action.RECAP, Action.EXPORT, Action.VERIFY, Action.ASSIGN, Action.HANDLE_DATA_REQUEST):
        return actor.role in TEAM and covers(actor.region_code, region)
    if action in (Action.IMPORT, Action.SET_TARGETS):
        return actor.role is Role.TIM_KABUPATEN and covers(actor.region_code, region)
    if action is Action.READ_CHILD:
        return (actor.role in TEAM or actor.role in WORKERS) and covers(actor.region_code, region)
    if action is Action.FILL:
        return actor.role in TEAM or actor.role in WORKERS or actor.role is Role.ORANG_TUA
    return False

"""Who sees which kind of personal field: a declared matrix of role × field class (UU PDP 27/2022, least privilege).

Authorisation (:mod:`core.authz`) decides *whose* records a person may read; this module decides *which fields*
of those records they see, and how: in full, masked, or not at all. Every surface that shows a child's data
(chat summaries, ``/kasus``, ``/dataku``, exports, recaps, the web) asks the same :func:`policy`.

Which field class a question belongs to is declared in the instrument YAML (``field_classes``); a question
of no class (a category, a status, a school) is shown to whoever may read the record. ``docs/privacy.md``
prints this matrix; a test keeps the two equal.

A full NIK never travels through chat: chat surfaces cap the NIK at *masked* (:meth:`Policy.for_chat`);
only an export with a stated reason by a role whose NIK level is *full* carries full NIKs, and that export
is audited with its reason (:meth:`Policy.for_export`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.enums import Role
from flows.schema import FieldClass

__all__ = ["FULL", "HIDDEN", "MASKED", "MATRIX", "FieldClass", "Level", "Policy", "filter_answers", "mask", "mask_nik",
           "mask_phone", "policy"]


class Level(StrEnum):
    FULL = "full"
    MASKED = "masked"
    HIDDEN = "hidden"


FULL, MASKED, HIDDEN = Level.FULL, Level.MASKED, Level.HIDDEN
F = FieldClass

MATRIX: dict[Role, dict[FieldClass, Level]] = {
    # The administrator is the data-protection officer's tool: everything, and every export with a reason.
    Role.ADMIN: {F.IDENTITY: FULL, F.NIK: FULL, F.CONTACT: FULL, F.LOCATION: FULL, F.HEALTH: FULL, F.FREE_TEXT: FULL},
    # Plans for the district and reconciles with Dapodik/Disdukcapil (full NIK in exports, with a reason);
    # never visits a family, so no phone numbers, street addresses, health details or field notes.
    Role.TIM_KABUPATEN: {F.IDENTITY: FULL, F.NIK: FULL, F.CONTACT: HIDDEN, F.LOCATION: MASKED, F.HEALTH: HIDDEN,
                         F.FREE_TEXT: HIDDEN},
    # Verifies and assigns within the kecamatan: names, places and notes; phones masked, no health details.
    Role.TIM_KECAMATAN: {F.IDENTITY: FULL, F.NIK: MASKED, F.CONTACT: MASKED, F.LOCATION: FULL, F.HEALTH: HIDDEN,
                         F.FREE_TEXT: FULL},
    # Verifies its own village's children door to door.
    Role.TIM_DESA: {F.IDENTITY: FULL, F.NIK: MASKED, F.CONTACT: FULL, F.LOCATION: FULL, F.HEALTH: HIDDEN,
                    F.FREE_TEXT: FULL},
    # Collects; reads back only what a proposal or a collection needs.
    Role.PENDATA: {F.IDENTITY: FULL, F.NIK: MASKED, F.CONTACT: HIDDEN, F.LOCATION: FULL, F.HEALTH: HIDDEN,
                   F.FREE_TEXT: HIDDEN},
    # Accompanies the family: everything about the children assigned, the NIK masked.
    Role.PENDAMPING: {F.IDENTITY: FULL, F.NIK: MASKED, F.CONTACT: FULL, F.LOCATION: FULL, F.HEALTH: FULL,
                      F.FREE_TEXT: FULL},
    # Receives the pupil: needs to know about a disability (accessible facilities), not where the family lives.
    Role.OPERATOR_SEKOLAH: {F.IDENTITY: FULL, F.NIK: MASKED, F.CONTACT: HIDDEN, F.LOCATION: MASKED, F.HEALTH: FULL,
                            F.FREE_TEXT: HIDDEN},
    # Their own child's data (right of access, UU PDP art. 32), the NIK masked in chat.
    Role.ORANG_TUA: {F.IDENTITY: FULL, F.NIK: MASKED, F.CONTACT: FULL, F.LOCATION: FULL, F.HEALTH: FULL,
                     F.FREE_TEXT: FULL},
    # Anyone may propose a child and reads nothing back.
    Role.MASYARAKAT: {F.IDENTITY: HIDDEN, F.NIK: HIDDEN, F.CONTACT: HIDDEN, F.LOCATION: HIDDEN, F.HEALTH: HIDDEN,
                      F.FREE_TEXT: HIDDEN},
}

MASK = "***"
_ORDER = {FULL: 0, MASKED: 1, HIDDEN: 2}


@dataclass(frozen=True)
class Policy:
    """One role's row of the matrix, possibly capped for a surface (chat, an export without a reason)."""

    role: Role
    levels: Mapping[FieldClass, Level]

    def level(self, field_class: FieldClass | None) -> Level:
        """Fields of no class are plain record data: shown to whoever may read the record."""
        return FULL if field_class is None else self.levels[field_class]

    def shows(self, field_class: FieldClass | None) -> bool:
        return self.level(field_class) is not HIDDEN

    def full(self, field_class: FieldClass | None) -> bool:
        return self.level(field_class) is FULL

    def capped(self, field_class: FieldClass, at: Level) -> Policy:
        """The same policy with ``field_class`` shown at most at level ``at``."""
        current = self.levels[field_class]
        level = current if _ORDER[current] >= _ORDER[at] else at
        return Policy(self.role, {**self.levels, field_class: level})

    def for_chat(self) -> Policy:
        """Chat keeps its messages on phones and Telegram's servers: never a full NIK there."""
        return self.capped(F.NIK, MASKED)

    def for_export(self, reason: str | None) -> Policy:
        """Full NIKs only with a stated reason (reconciling with Dapodik/Disdukcapil), which the caller audits."""
        return self if reason and reason.strip() else self.capped(F.NIK, MASKED)

    def present(self, field_class: FieldClass | None, value: Any) -> Any:
        """The value as this role sees it; :data:`HIDDEN` (the level itself) when they must not see it."""
        level = self.level(field_class)
        if level is HIDDEN:
            return HIDDEN
        if level is MASKED and field_class is not None and value is not None:
            return mask(field_class, value)
        return value


def policy(role: Role | str) -> Policy:
    """The matrix row of ``role`` (unknown roles see nothing, like the public)."""
    try:
        return Policy(Role(role), MATRIX[Role(role)])
    except ValueError:
        return Policy(Role.MASYARAKAT, MATRIX[Role.MASYARAKAT])


# -- masking -------------------------------------------------------------------------------------------------------
def mask_nik(nik: str) -> str:
    """``3326********0001``: enough to recognise a NIK, not enough to misuse it."""
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:] if len(nik) > 8 else "*" * len(nik)


def mask_phone(phone: str) -> str:
    """``*********321``: the last three digits, to tell two numbers apart."""
    digits = re.sub(r"\D", "", phone)
    return "*" * max(len(digits) - 3, 3) + digits[-3:] if len(digits) > 3 else MASK


def _initials(name: str) -> str:
    return " ".join(word[0].upper() + "." for word in name.split() if word) or MASK


def mask(field_class: FieldClass, value: Any) -> Any:
    """The masked form of a value of ``field_class``: partial NIKs and phones, initials for names, the year of
    a date, GPS to about a kilometre; any other text becomes ``***``."""
    if field_class is F.NIK and isinstance(value, (str, int)):
        return mask_nik(str(value))
    if field_class is F.CONTACT and isinstance(value, str):
        return mask_phone(value)
    if field_class is F.LOCATION and isinstance(value, Mapping) and "latitude" in value:
        return {"latitude": round(float(value["latitude"]), 2), "longitude": round(float(value["longitude"]), 2)}
    if field_class is F.IDENTITY and isinstance(value, str):
        try:
            return str(dt.date.fromisoformat(value).year)
        except ValueError:
            return _initials(value)
    if field_class is F.IDENTITY and isinstance(value, dt.date):
        return str(value.year)
    return MASK


def filter_answers(view: Policy, answers: Mapping[str, Any], classes: Mapping[str, FieldClass]) -> dict[str, Any]:
    """A form's answers as ``view`` may see them: hidden questions left out, masked ones masked, repeat-group
    instances (lists of answer dicts) filtered the same way. ``classes`` is the instrument's question → class
    (:meth:`flows.structure.Layout.field_classes`)."""
    shown: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            if view.shows(classes.get(key)):
                shown[key] = [filter_answers(view, item, classes) for item in value]
            continue
        seen = view.present(classes.get(key), value)
        if seen is not HIDDEN:
            shown[key] = seen
    return shown

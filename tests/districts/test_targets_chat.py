"""Yearly targets per kabupaten, edited by the kabupaten team in the chat (issue 19, item 1)."""

from __future__ import annotations

from sqlalchemy import select

from bot import texts as T
from core.i18n import translator
from reports.targets import targets_for
from storage.models import AuditLog, Role
from tests.districts.chat import Chat
from tests.districts.conftest import KAJEN, PEKALONGAN, PURWOREJO

t = translator("id")


def test_the_kabupaten_team_sets_its_own_target_and_nobody_else_can(chat: Chat) -> None:
    kabid = chat.member(8001, "Bu Kabid", Role.TIM_KABUPATEN, PURWOREJO)
    kabid.send("/target 2027 350")
    assert kabid.last_outcome == "target:set" and t(T.TARGET_LINE, year=2027, count=350) in kabid.last().text
    kabid.send("/target 2027 banyak")  # not a number: explained, nothing stored
    assert kabid.last().text == t(T.TARGET_USAGE)
    kabid.send("/target 1990 10")
    assert kabid.last().text.startswith("✗ " + t(T.TARGET_REFUSED["year"]))
    with chat.db.read() as session:
        assert targets_for(session, PURWOREJO) == {2027: 350} and 2027 not in targets_for(session, PEKALONGAN)
        assert session.scalars(select(AuditLog.actor_id).where(AuditLog.action == "target.set")).all() == [kabid.person_id]
    camat = chat.member(8002, "Pak Camat", Role.TIM_KECAMATAN, KAJEN)
    camat.send("/target 2027 10")
    assert camat.last_outcome == "denied:set_targets"

"""A link grants exactly what it says, and nothing of one area answers a person of another (UU PDP, least privilege).

Cross-village attempts through Telegram, as people really make them: forwarded invitation links of every kind,
buttons replayed from another area's messages, commands with another area's references. Each is refused
politely, changes nobody's role, shows no other child's name, and leaves a line in the audit log.
"""

from __future__ import annotations

import pytest
from botapi import BotApiEmulator, BotMessage, User
from deployment import Deployment
from sqlalchemy import select

from bot import texts as T
from cases import service
from core.authz import ROLE_NAMES
from core.i18n import translator
from storage.models import AuditLog, Person, Region
from tests.uow import committed

pytestmark = pytest.mark.e2e
t = translator("id")
KUTOROJO = "33.26.08.2002"  # a desa of Kajen


def audit(deployment: Deployment, action: str) -> list[dict]:
    db = deployment.database()
    with db.read() as session:
        rows = [a.detail for a in session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]
    db.dispose()
    return rows


def person(deployment: Deployment, telegram_id: int) -> Person:
    db = deployment.database()
    with db.read() as session:
        found = session.scalars(select(Person).where(Person.telegram_user_id == telegram_id)).one()
    db.dispose()
    return found


def invitation_link(pendamping: User, card: BotMessage) -> str:
    pendamping.press(t(T.INVITE_PARENT), card)
    return pendamping.wait_for(lambda m: m.kind == "photo" and "start=" in m.text).text.split("start=")[1].split()[0]


def test_forwarded_links_replayed_buttons_and_other_areas_references(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    kades_a, kades_b = emulator.user(6001, "Bu Kades Kutorojo"), emulator.user(6002, "Pak Kades Kandangserang")
    pend_a, pend_b = emulator.user(6003, "Mbak Rina"), emulator.user(6004, "Mas Joko")
    db = deployment.database()
    with db.read() as session:
        desa_b = session.scalar(select(Region.code).where(Region.parent_code == "33.26.01").order_by(Region.code))
    assert desa_b is not None
    deployment.enrol(kades_a, "tim_desa", KUTOROJO)
    deployment.enrol(kades_b, "tim_desa", desa_b)
    deployment.enrol(pend_a, "pendamping", "33.26.08")
    deployment.enrol(pend_b, "pendamping", "33.26.01")
    ids = {u.id: person(deployment, u.id).id for u in (kades_a, kades_b, pend_a, pend_b)}

    def verified_case(name: str, desa: str, kades: User, pendamping: User) -> int:
        case_id = committed(db, service.propose, ids[kades.id], name, 12, desa, "tidak sekolah sejak 2024").case_id
        committed(db, service.transition, case_id, "record", ids[kades.id])
        committed(db, service.transition, case_id, "verify", ids[kades.id])
        committed(db, service.assign_pendamping, case_id, ids[pendamping.id], ids[kades.id])
        return case_id

    dimas = verified_case("Dimas Anggara", KUTOROJO, kades_a, pend_a)
    verified_case("Bayu Saputra", desa_b, kades_b, pend_b)
    dimas_reference = committed(db, service.case_summary, dimas).reference

    pend_a.send("/kasus")
    listing = pend_a.wait_text(t(T.CHOOSE_CASE))
    pend_a.press(next(b for b in listing.button_texts() if "Dimas" in b), listing)
    card_a = pend_a.wait_for(lambda m: "Dimas Anggara" in m.text and t(T.INVITE_PARENT) in m.button_texts())
    link_a = invitation_link(pend_a, card_a)
    pend_b.send("/kasus")
    own = pend_b.wait_text(t(T.CHOOSE_CASE))
    pend_b.press(next(b for b in own.button_texts() if "Bayu" in b), own)
    card_b = pend_b.wait_for(lambda m: "Bayu Saputra" in m.text and t(T.INVITE_PARENT) in m.button_texts())
    link_b = invitation_link(pend_b, card_b)

    # 1. Village A's parent link, forwarded to the pendamping of another kecamatan: refused, nothing merged,
    #    and the pendamping who made the link is told who tried.
    pend_a.mark()
    pend_b.send(f"/start {link_a}")
    pend_b.wait_text(t(T.INVITATION_REFUSED["other_role"]))
    alert = pend_a.wait_text("Mas Joko")
    assert "Dimas Anggara" in alert.text
    joko = person(deployment, pend_b.id)
    assert (joko.role.value, joko.region_code) == ("pendamping", "33.26.01")
    pend_b.send("/kasus")
    assert all("Dimas" not in b for b in pend_b.wait_text(t(T.CHOOSE_CASE)).button_texts())

    # 2. ... and to the parent of village B's child: another family, refused the same way.
    parent_b = emulator.user(6011, "Ibu Bayu")
    parent_b.send(f"/start {link_b}")
    parent_b.wait_for(lambda m: t(T.FILL_STATEMENT) in m.button_texts())
    parent_b.send(f"/start {link_a}")
    parent_b.wait_text(t(T.INVITATION_REFUSED["other_family"]))
    parent_b.send("/kasus")
    mine = parent_b.wait_text(t(T.CHOOSE_CASE))
    assert len(mine.button_texts()) == 1 and "Bayu" in mine.button_texts()[0]
    assert [d["reason"] for d in audit(deployment, "invitation.refused")] == ["other_role", "other_family"]

    # 3. The link still works for the family it was made for, once.
    parent_a = emulator.user(6010, "Ibu Dimas")
    parent_a.send(f"/start {link_a}")
    parent_a.wait_for(lambda m: t(T.FILL_STATEMENT) in m.button_texts())
    parent_b.send(f"/start {link_a}")
    parent_b.wait_text(t(T.INVITATION_REFUSED["used"]))

    # 4. A team invitation of village A, forwarded after use to village B's team: used, nothing changes.
    team_link = deployment.invitation("tim_desa", KUTOROJO)
    newcomer = emulator.user(6012, "Pak Sekdes Kutorojo")
    newcomer.send(f"/start {team_link}")
    newcomer.wait_text(t(ROLE_NAMES["tim_desa"]))
    kades_b.send(f"/start {team_link}")
    kades_b.wait_text(t(T.INVITATION_REFUSED["used"]))
    assert person(deployment, kades_b.id).region_code == desa_b

    # 5. Buttons of village A's messages replayed by village B: the team's live keyboard and the case card.
    kades_a.send("/bahasa")
    languages_a = kades_a.wait_text(t(T.LANGUAGE_ASK))
    kades_b.send("/bahasa")
    own_b = kades_b.wait_text(t(T.LANGUAGE_ASK))
    kades_b.press_stale(own_b, languages_a.inline_keyboard[0][0]["callback_data"])
    assert kades_b.wait_answer().text == t(T.QUESTION_CLOSED)
    kades_b.press_stale(own_b, card_a.find_button(t(T.VISIT_LOG))["callback_data"])  # type: ignore[index]
    assert kades_b.wait_answer().text == t(T.QUESTION_CLOSED)
    reasons = [d["reason"] for d in audit(deployment, "button.refused")]
    assert reasons[-2:] == ["stale", "stale-notice"]

    # 6. Commands naming village A's child: the reference is no key to anything.
    for command in (f"/kasus {dimas_reference}", f"/start {dimas_reference}", f"/isi kesediaan {dimas_reference}"):
        kades_b.mark()
        kades_b.send(command)
        reply = kades_b.wait_for(lambda m: m.kind == "text")
        assert "Dimas" not in reply.text
    db.dispose()

    for outsider in (kades_b, pend_b, parent_b):
        assert all("Dimas" not in m.text for m in outsider.messages()), outsider

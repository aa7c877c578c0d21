"""People, roles and regions through Telegram: invitations, least privilege, personal data requests.

Every denial must be polite for the person, leak nothing, and leave a line in the audit log.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from botapi import BotApiEmulator, BotMessage, User
from deployment import Deployment, begin
from sqlalchemy import select

from bot import texts as T
from core.authz import ROLE_NAMES
from core.i18n import translator
from storage.models import AuditLog, DataRequest, Invitation, Person, Region
from storage.repositories.invitations import token_hash
from storage.types import utcnow
from tests.uow import committed

pytestmark = pytest.mark.e2e
t = translator("id")
SCHOOLS = Path(__file__).resolve().parents[2] / "cases" / "data" / "sekolah-contoh.csv"


def audit_actions(deployment: Deployment) -> list[tuple[str, dict]]:
    db = deployment.database()
    with db.read() as session:
        rows = [(a.action, a.detail) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    db.dispose()
    return rows


def person(deployment: Deployment, telegram_id: int) -> Person:
    db = deployment.database()
    with db.read() as session:
        found = session.scalars(select(Person).where(Person.telegram_user_id == telegram_id)).one()
    db.dispose()
    return found


def expired(deployment: Deployment, token: str) -> str:
    """The invitation behind ``token`` as it is once its days have passed (``--days`` is at least 1)."""
    db = deployment.database()
    with db.write() as session:
        invitation = session.scalars(select(Invitation).where(Invitation.token_hash == token_hash(token))).one()
        invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.dispose()
    return token


def test_invitation_is_single_use_and_expires(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    token = deployment.invitation("pendata", "33.26.08")
    siti, budi = emulator.user(1001, "Siti"), emulator.user(1002, "Budi")
    siti.send(f"/start {token}")
    siti.wait_text(t(T.JOINED, role=t(ROLE_NAMES["pendata"]), region="Kajen"))
    budi.send(f"/start {token}")
    budi.wait_text(t(T.INVITATION_REFUSED["used"]))
    budi.send(f"/start {expired(deployment, deployment.invitation('pendata', '33.26.08', days=1))}")
    budi.wait_text(t(T.INVITATION_REFUSED["expired"]))
    budi.send("/start forged-token-123")
    budi.wait_text(t(T.INVITATION_REFUSED["unknown"]))
    assert person(deployment, 1001).role.value == "pendata" and person(deployment, 1001).region_code == "33.26.08"
    assert person(deployment, 1002).role.value == "masyarakat"
    refusals = [d["reason"] for action, d in audit_actions(deployment) if action == "invitation.refused"]
    assert refusals == ["used", "expired", "unknown"]


def test_roles_limit_the_forms_and_denials_are_audited(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    neighbour = emulator.user(1003, "Tetangga")
    neighbour.send("/isi pendataan")
    reply = neighbour.wait_text(t(T.NOT_REGISTERED)[:30])
    assert "pendataan" not in reply.text.lower()
    parent = emulator.user(1004, "Ibu Rina")
    deployment.enrol(parent, "orang_tua", "33.26.08")
    parent.send("/isi pendataan")
    parent.wait_text(t(T.NOT_ALLOWED))
    parent.send("/isi")
    menu = parent.wait_text(t(T.CHOOSE_FORM))
    assert len(menu.button_texts()) == 3  # kesediaan, pemilihan sekolah, and the proposal anyone may make
    denied = [d for action, d in audit_actions(deployment) if action == "access.denied"]
    assert [(d["action"], d["role"]) for d in denied] == [("fill", "masyarakat"), ("fill", "orang_tua")]


def test_team_invites_only_below_itself_and_inside_its_region(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    camat = emulator.user(1010, "Pak Camat")
    deployment.enrol(camat, "tim_kecamatan", "33.26.08")
    camat.send("/undang")
    roles = camat.wait_text(t(T.INVITE_WHICH_ROLE))
    assert t(ROLE_NAMES["tim_kecamatan"]) not in roles.button_texts() and t(ROLE_NAMES["tim_kabupaten"]) not in roles.button_texts()
    camat.press(t(ROLE_NAMES["tim_desa"]), roles)
    areas = camat.wait_text(t(T.INVITE_WHICH_REGION))
    camat.press(areas.button_texts()[0], areas)
    invitation = camat.wait_for(lambda m: m.kind == "photo" and "start=" in m.text)
    token = invitation.text.split("start=")[1].split()[0]
    village = emulator.user(1011, "Bu Kades")
    village.send(f"/start {token}")
    village.wait_text(t(ROLE_NAMES["tim_desa"]))
    desa = person(deployment, 1011).region_code
    assert desa is not None and desa.startswith("33.26.08.")  # a desa of Kajen, nowhere else
    volunteer = emulator.user(1012, "Siti")
    deployment.enrol(volunteer, "pendata", "33.26.08")
    volunteer.send("/undang")
    volunteer.wait_text(t(T.NOT_ALLOWED))


def test_a_school_operator_is_invited_for_one_school_of_the_area(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.cli("schools", "import", str(SCHOOLS), "--scope", "33.26")
    deployment.start()
    camat = emulator.user(1013, "Pak Camat")
    deployment.enrol(camat, "tim_kecamatan", "33.26.08")
    camat.send("/undang")
    camat.press(t(ROLE_NAMES["operator_sekolah"]), camat.wait_text(t(T.INVITE_WHICH_ROLE)))
    offered = camat.wait_text(t(T.INVITE_WHICH_SCHOOL))
    assert all("Kajen" in b for b in offered.button_texts()[:-1])  # only schools of Kecamatan Kajen
    camat.send("smp")  # typing searches the area's list
    found = camat.wait_for(lambda m: t(T.INVITE_WHICH_SCHOOL) in m.text and m.button_texts()[:1] == ["SMP Negeri 1 Kajen (contoh) · 99260803"])
    camat.press("SMP Negeri 1 Kajen (contoh) · 99260803", found)
    invitation = camat.wait_for(lambda m: m.kind == "photo" and "start=" in m.text)
    operator = emulator.user(1014, "Pak Operator")
    operator.send("/start " + invitation.text.split("start=")[1].split()[0])
    operator.wait_text(t(ROLE_NAMES["operator_sekolah"]))
    joined = person(deployment, 1014)
    assert joined.role.value == "operator_sekolah" and joined.school_id is not None
    operator.send("/kasus")
    operator.wait_text(t(T.NO_CASES))  # no pupil of the list has come back yet


def test_drafts_of_one_person_stay_invisible_to_another(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    kajen = begin(emulator, deployment, "pendataan", user_id=1001, region="33.26.08")
    kajen.answer("Rina")
    kajen.expect_question()
    other = emulator.user(1020, "Dewi")
    deployment.enrol(other, "pendata", "33.26.01")  # another kecamatan
    other.send("/draf")
    other.wait_text(t(T.NO_DRAFT))
    kajen.user.send("/draf")
    listing = kajen.user.wait_text(t(T.DRAFTS))
    stolen = listing.inline_keyboard[0][0]["callback_data"]
    other.send("/bahasa")  # any message of her own with buttons, to forge a press on
    own = other.wait_text(t(T.LANGUAGE_ASK))
    other.press_stale(own, stolen)
    answer = other.wait_answer()
    assert answer.text == t(T.QUESTION_CLOSED)
    assert all("Rina" not in m.text for m in other.messages())


def test_my_data_and_requests_reach_the_coordinator(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    coordinator = emulator.user(1030, "Bu Kades")
    deployment.enrol(coordinator, "tim_desa", "33.26.08")
    siti = emulator.user(1031, "Siti")
    deployment.enrol(siti, "pendata", "33.26.08")
    siti.send("/dataku")
    mine = siti.wait_text("Siti")
    assert t(ROLE_NAMES["pendata"]) in mine.text and "Kajen" in mine.text
    siti.send("/koreksi nama saya Siti Aminah")
    siti.wait_text(t(T.REQUEST_RECEIVED, number=1))
    notice = coordinator.wait_text("Siti Aminah")
    assert "ats-bot requests resolve 1" in notice.text
    db = deployment.database()
    with db.read() as session:
        [request] = session.scalars(select(DataRequest)).all()
    db.dispose()
    assert request.kind.value == "correction" and request.detail == "nama saya Siti Aminah"
    assert "1" in deployment.cli("requests", "list")
    deployment.cli("requests", "resolve", "1", "--note", "nama diperbaiki")
    assert deployment.cli("requests", "list").strip() == "No open requests."


def test_nik_is_masked_in_the_chat(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    volunteer = begin(emulator, deployment, "pendataan")
    volunteer.answer("Rina")
    volunteer.answer("1")
    volunteer.answer("3326174503120001")
    volunteer.expect_question()
    record = volunteer.user.wait_for(lambda m: m.text.startswith("1.2.nik · "))  # the echo, above the next question
    assert "3326********0001" in record.text and all("3326174503120001" not in m.text for m in volunteer.user.messages())


def test_other_villages_and_other_parents_children_stay_out_of_reach(emulator: BotApiEmulator, deployment: Deployment) -> None:
    """Every command and button a person of one area could try on another area's child, and a parent on
    another parent's child: refused politely, audited, and the child's name never appears in their chat."""
    from cases import service

    deployment.start()
    kades_a, kades_b = emulator.user(3001, "Bu Kades Kutorojo"), emulator.user(3002, "Pak Kades Kandangserang")
    pend_a, pend_a2, pend_b = emulator.user(3003, "Mbak Rina"), emulator.user(3005, "Mbak Wati"), emulator.user(3004, "Mas Joko")
    db = deployment.database()
    with db.read() as session:
        desa_b = session.scalar(select(Region.code).where(Region.parent_code == "33.26.01").order_by(Region.code))
    assert desa_b is not None
    deployment.enrol(kades_a, "tim_desa", "33.26.08.2002")
    deployment.enrol(kades_b, "tim_desa", desa_b)
    for user, area in ((pend_a, "33.26.08"), (pend_a2, "33.26.08"), (pend_b, "33.26.01")):
        deployment.enrol(user, "pendamping", area)
    ids = {u.id: person(deployment, u.id).id for u in (kades_a, kades_b, pend_a, pend_a2, pend_b)}

    def verified_case(name: str, desa: str, kades: User) -> int:
        case_id = committed(db, service.propose, ids[kades.id], name, 12, desa, "tidak sekolah sejak 2024").case_id
        committed(db, service.transition, case_id, "record", ids[kades.id])
        committed(db, service.transition, case_id, "verify", ids[kades.id])
        return case_id

    dimas = verified_case("Dimas Anggara", "33.26.08.2002", kades_a)
    verified_case("Rudi Hartono", "33.26.08.2002", kades_a)  # waits for a pendamping in village A
    bayu = verified_case("Bayu Saputra", desa_b, kades_b)
    committed(db, service.assign_pendamping, dimas, ids[pend_a.id], ids[kades_a.id])
    committed(db, service.assign_pendamping, bayu, ids[pend_b.id], ids[kades_b.id])

    # Village B's team: its own children only, by /tugaskan, /rekap and /ekspor.
    kades_b.send("/tugaskan")
    kades_b.wait_text(t(T.NO_CASES))  # Bayu is assigned already; village A's Rudi is not offered
    kades_b.send("/rekap")
    kades_b.wait_for(lambda m: m.kind == "text" and m.text != "" and "Kutorojo" not in m.text and m.text != t(T.NO_CASES))
    kades_b.send("/ekspor")
    export = kades_b.wait_for(lambda m: m.kind == "document")
    assert export.file is not None and b"Dimas" not in _xlsx_text(export.file.data) and b"Bayu" in _xlsx_text(export.file.data)

    # Pendamping: /kasus lists their own children; another pendamping's buttons are refused.
    pend_a.send("/kasus")
    listing = pend_a.wait_text(t(T.CHOOSE_CASE))
    pend_a.press(_button_with("Dimas", listing), listing)
    card = pend_a.wait_for(lambda m: "Dimas Anggara" in m.text and t(T.VISIT_LOG) in m.button_texts())
    pend_b.send("/kasus")
    own = pend_b.wait_text(t(T.CHOOSE_CASE))
    assert [b for b in own.button_texts() if "Bayu" in b] and not [b for b in own.button_texts() if "Dimas" in b]
    for label in (t(T.VISIT_LOG), t(T.INVITE_PARENT)):
        pend_b.press_stale(own, card.find_button(label)["callback_data"])  # type: ignore[index]
        assert pend_b.wait_answer().text == t(T.QUESTION_CLOSED)
    pend_b.press_stale(own, "forged.c.0")
    assert pend_b.wait_answer().text == t(T.QUESTION_CLOSED)

    # The parents: each is linked to their own child by their pendamping and reaches nobody else's.
    pend_a.press(t(T.INVITE_PARENT), card)
    link_a = pend_a.wait_for(lambda m: m.kind == "photo" and "start=" in m.text).text.split("start=")[1].split()[0]
    pend_b.mark()
    pend_b.send("/kasus")  # a fresh list (the old one may still be edited meanwhile)
    own = pend_b.wait_for(lambda m: t(T.CHOOSE_CASE) in m.text and any("Bayu" in b for b in m.button_texts()))
    pend_b.press(_button_with("Bayu", own), own)
    card_b = pend_b.wait_for(lambda m: "Bayu Saputra" in m.text and t(T.INVITE_PARENT) in m.button_texts())
    pend_b.press(t(T.INVITE_PARENT), card_b)
    link_b = pend_b.wait_for(lambda m: m.kind == "photo" and "start=" in m.text).text.split("start=")[1].split()[0]
    parent_a, parent_b = emulator.user(3010, "Ibu Dimas"), emulator.user(3011, "Ibu Bayu")
    parent_a.send(f"/start {link_a}")
    statement = parent_a.wait_for(lambda m: t(T.FILL_STATEMENT) in m.button_texts())
    parent_b.send(f"/start {link_b}")
    parent_b.wait_for(lambda m: t(T.FILL_STATEMENT) in m.button_texts())
    parent_b.send("/kasus")
    mine = parent_b.wait_text(t(T.CHOOSE_CASE))
    assert len(mine.button_texts()) == 1 and "Bayu" in mine.button_texts()[0]
    parent_b.press_stale(mine, statement.find_button(t(T.FILL_STATEMENT))["callback_data"])  # type: ignore[index]
    assert parent_b.wait_answer().text == t(T.QUESTION_CLOSED)

    # Handed over: the first pendamping's unused buttons of the child's card stop working.
    committed(db, service.assign_pendamping, dimas, ids[pend_a2.id], ids[kades_a.id], "pindah tugas")
    pend_a.press(t(T.MONITORING), card)
    pend_a.wait_text(t(T.NOT_ALLOWED))
    pend_a.send("/kasus")
    pend_a.wait_text(t(T.NO_CASES))
    db.dispose()

    for outsider in (kades_b, pend_b, parent_b):
        assert all("Dimas" not in m.text for m in outsider.messages())
    audit = audit_actions(deployment)
    refused = [str(d.get("reason")) for action, d in audit if action == "button.refused"]
    assert sorted(refused) == ["stale", "stale-notice", "stale-notice", "stale-notice"]
    assert ("access.denied", "monitoring") in [(action, d.get("action")) for action, d in audit]


def _button_with(name: str, message: BotMessage) -> str:
    return next(b for b in message.button_texts() if name in b)


def _xlsx_text(data: bytes) -> bytes:
    """Every cell text of a workbook (its shared strings and inline strings)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return b"".join(book.read(name) for name in book.namelist() if name.startswith("xl/"))

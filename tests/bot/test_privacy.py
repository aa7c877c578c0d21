"""Privacy in chat: the notice, a parent's consent by purpose and its withdrawal, the parent's view of their
child, field visibility on the case card, and links that grant exactly what they say."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot import texts as T
from bot.conversation import Conversations
from cases import service
from cases.opening import submit_form
from core.i18n import translator
from storage.db import Database
from storage.models import AuditLog, Consent, Person, Role
from storage.repositories.children import ChildIdentity
from storage.repositories.responses import Submission
from tests.bot.conftest import Phone, enrol, question
from tests.storage.conftest import DESA, DESA_2
from tests.uow import committed

t = translator("id")
NIK = "3326014507120001"


class Family:
    """A verified child with a NIK, a pendamping, the village team, and the pendamping's link for the parent."""

    def __init__(self, db: Database, conversations: Conversations) -> None:
        self.db = db
        self.team = enrol(db, 2001, Role.TIM_DESA, DESA)
        self.pendamping = enrol(db, 2002, Role.PENDAMPING, DESA)
        submitted = committed(db, submit_form, Submission(
            instrument="pendataan", instrument_version=1, answers={"1.1": "Ayu Lestari", "1.2.nik": NIK}, submitted_by=self.pendamping,
            region_code=DESA, child=ChildIdentity("Ayu Lestari", DESA, nik=NIK, address="Dukuh Krajan 3")))
        assert submitted.case_id is not None
        self.case = submitted.case_id
        committed(db, service.transition, self.case, "verify", self.team)
        committed(db, service.assign_pendamping, self.case, self.pendamping, self.team)
        self.link = committed(db, service.invite_parent, self.case, self.pendamping)
        self.team_phone = Phone(conversations, 2001)
        self.pendamping_phone = Phone(conversations, 2002)


@pytest.fixture
def family(db: Database, conversations: Conversations) -> Family:
    return Family(db, conversations)


def audit(db: Database, action: str) -> list[AuditLog]:
    with db.read() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def consent_rows(db: Database) -> list[tuple[str, bool]]:
    with db.read() as session:
        return [(c.kind, c.withdrawn_at is None) for c in session.scalars(select(Consent).order_by(Consent.id))]


def test_a_form_with_personal_questions_opens_with_the_privacy_notice(db: Database, conversations: Conversations, regions: None) -> None:
    enrol(db, 1001, Role.PENDAMPING)
    phone = Phone(conversations, 1001)
    started = phone.texts(phone.send("/isi pendataan"))
    assert t(T.PRIVACY_NOTICE) in started and started.index(t(T.PRIVACY_NOTICE)) < len(started) - 1  # before the question
    assert t(T.PRIVACY_NOTICE) not in phone.texts(phone.send("/isi kembali-sekolah"))  # nothing personal asked there
    english = Phone(conversations, 1002, language="en")
    enrol(db, 1002, Role.PENDAMPING, language="en")
    assert translator("en")(T.PRIVACY_NOTICE) in english.texts(english.send("/isi pendataan"))


def test_a_parent_consents_by_purpose_before_their_own_form(db: Database, conversations: Conversations, family: Family) -> None:
    parent = Phone(conversations, 3001)
    parent.send(f"/start {family.link}")
    parent.press(t(T.FILL_STATEMENT))
    asked = parent.newest()
    assert t(T.CONSENT_ASK, child="Ayu Lestari") in asked.text and t(T.PRIVACY_NOTICE) in asked.text
    assert parent.last.outcome == "consent:asked" and consent_rows(db) == []

    parent.press(t(T.CONSENT_NONE))
    assert t(T.CONSENT_REFUSED) in parent.texts() and consent_rows(db) == []
    assert [a.detail["form"] for a in audit(db, "consent.refused")] == ["kesediaan"]
    with db.read() as session:
        assert session.scalar(select(Person.active_draft_id).where(Person.telegram_user_id == 3001)) is None  # no form

    parent.press(t(T.FILL_STATEMENT))
    parent.press(t(T.CONSENT_NO_REFERRAL))
    assert sorted(consent_rows(db)) == [("collect", True), ("share_school", True)]
    [given] = audit(db, "consent.give")
    assert given.detail == {"purposes": ["collect", "share_school"]} and given.subject_type == "child"
    assert question(parent.texts()[-1]).startswith("A.1 · ")  # the form started, at its first question
    assert t(T.PRIVACY_NOTICE) not in parent.texts()  # read just now with the question

    parent.send("/batal")
    parent.press(t(T.CANCEL_YES))
    parent.press(t(T.FILL_STATEMENT))
    assert parent.last.outcome != "consent:asked"  # asked once per child


def test_a_parents_dataku_shows_the_child_masked_and_withdrawal_is_honoured(db: Database, conversations: Conversations,
                                                                            family: Family) -> None:
    parent = Phone(conversations, 3001)
    parent.send(f"/start {family.link}")
    parent.press(t(T.FILL_STATEMENT))
    parent.press(t(T.CONSENT_ALL))
    shown = "\n".join(parent.texts(parent.send("/dataku")))
    assert "Ayu Lestari" in shown and "3326********0001" in shown and NIK not in shown and "Dukuh Krajan 3" in shown
    assert t(T.PURPOSE_NAMES["refer_agencies"]) in shown
    assert [a.detail["via"] for a in audit(db, "child.read")][-1] == "dataku"

    result = parent.press(t(T.WITHDRAW_FOR, child="Ayu Lestari"))
    assert consent_rows(db) == [("collect", False), ("refer_agencies", False), ("share_school", False)]
    assert [a.detail["purposes"] for a in audit(db, "consent.withdraw")] == [["collect", "refer_agencies", "share_school"]]
    assert any("Ayu Lestari" in reply.text for chat, reply in result.notifications if chat == 2001)  # the village team
    with db.read() as session:  # the statement started after consenting is cancelled, not kept
        assert session.scalar(select(Person.active_draft_id).where(Person.telegram_user_id == 3001)) is None
    parent.send("/kasus")
    parent.press("ATS-")
    parent.press(t(T.FILL_STATEMENT))
    assert parent.last.outcome == "consent:asked"  # nothing more is recorded without consent again


def test_hapus_withdraws_every_consent_and_files_the_deletion_request(db: Database, conversations: Conversations,
                                                                       family: Family) -> None:
    parent = Phone(conversations, 3001)
    parent.send(f"/start {family.link}")
    parent.press(t(T.FILL_STATEMENT))
    parent.press(t(T.CONSENT_NO_REFERRAL))
    texts = parent.texts(parent.send("/hapus semua data anak saya"))
    assert any(text.startswith(t(T.CONSENT_WITHDRAWN, purposes="")[:20]) for text in texts)
    assert t(T.REQUEST_RECEIVED, number=1) in texts
    assert all(not active for _, active in consent_rows(db))
    assert parent.texts(parent.send("/hapus")) == [t(T.REQUEST_RECEIVED, number=2)]  # nothing left to withdraw


def test_the_pendampings_case_card_never_shows_a_full_nik(db: Database, conversations: Conversations, family: Family) -> None:
    phone = family.pendamping_phone
    phone.send("/kasus")
    phone.press("ATS-")
    card = phone.texts()[0]
    assert "Ayu Lestari" in card and "3326********0001" in card and NIK not in card and "Dukuh Krajan 3" in card


def test_a_parent_link_opened_by_someone_with_another_role_changes_nothing(db: Database, conversations: Conversations,
                                                                           family: Family) -> None:
    stranger_id = enrol(db, 4001, Role.PENDAMPING, DESA_2)
    stranger = Phone(conversations, 4001)
    result = stranger.send(f"/start {family.link}")
    assert stranger.texts() == [t(T.INVITATION_REFUSED["other_role"])]
    alert = [reply.text for chat, reply in result.notifications if chat == 2002]
    assert len(alert) == 1 and "Ayu Lestari" in alert[0] and "Siti" in alert[0]  # the pendamping who sent it hears who tried
    with db.read() as session:
        person = session.get(Person, stranger_id)
        assert person is not None and (person.role, person.region_code) == (Role.PENDAMPING, DESA_2)
    [refused] = audit(db, "invitation.refused")
    assert refused.detail["reason"] == "other_role" and refused.actor_id == stranger_id
    assert stranger.texts(stranger.send("/kasus")) == [t(T.NO_CASES)]
    conversations.store.mark_unreachable([2002])  # the sender cannot be reached: the village team hears it instead
    again = Phone(conversations, 4003)
    enrol(db, 4003, Role.TIM_DESA, DESA_2)
    result = again.send(f"/start {family.link}")
    assert [chat for chat, _ in result.notifications] == [2001]
    # The link still works for the family it was made for.
    parent = Phone(conversations, 4002)
    parent.send(f"/start {family.link}")
    assert t(T.JOINED_PARENT, child="Ayu Lestari") in parent.texts()[0]


def test_a_parent_link_opened_by_another_familys_parent_is_refused(db: Database, conversations: Conversations, family: Family) -> None:
    other = committed(db, service.propose, family.team, "Bayu Saputra", 12, DESA, "tidak sekolah").case_id
    other_link = committed(db, service.invite_parent, other, family.pendamping)
    parent = Phone(conversations, 5001)
    parent.send(f"/start {other_link}")
    parent.send(f"/start {family.link}")
    assert parent.texts() == [t(T.INVITATION_REFUSED["other_family"])]
    listing = parent.send("/kasus")
    assert [label for m in parent.with_buttons() for label in m.labels() if "Ayu" in label] == [] and listing.replies
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "invitation.refused")) == 1


def test_the_chosen_school_stops_seeing_the_child_when_sharing_is_withdrawn(db: Database, conversations: Conversations,
                                                                            family: Family) -> None:
    from storage.models import School, SchoolChoice, SchoolLevel, SchoolStatus
    from storage.repositories import consents
    from storage.repositories.consents import Purpose

    with db.write() as session:
        school = School(npsn="99260803", name="SMP Negeri 1 Kajen", level=SchoolLevel.SMP, status=SchoolStatus.NEGERI, region_code=DESA)
        session.add(school)
        session.flush()
        session.add(SchoolChoice(case_id=family.case, pathway="formal", school_id=school.id, npsn="99260803", school_name=school.name))
        school_id = school.id
    operator = enrol(db, 7001, Role.OPERATOR_SEKOLAH, DESA)
    with db.write() as session:
        person = session.get(Person, operator)
        assert person is not None
        person.school_id = school_id
    store = conversations.store
    parent = Phone(conversations, 3001)
    parent.send(f"/start {family.link}")
    parent_id = enrol(db, 3001, Role.ORANG_TUA)
    child = store.child_of_case(family.case)
    assert child is not None
    consents.give(db, parent_id, child.id, {Purpose.COLLECT, Purpose.SHARE_SCHOOL})
    assert store.relations(operator, family.case) == {"school"}
    school_phone = Phone(conversations, 7001)
    school_phone.send("/kasus")
    school_phone.press("ATS-")
    card = school_phone.texts()[0]  # a school sees the pupil, not where the family lives (location: masked)
    assert "Ayu Lestari" in card and "3326********0001" in card and "Dukuh Krajan 3" not in card and "***" in card
    consents.withdraw(db, parent_id, child.id)
    assert store.relations(operator, family.case) == frozenset() and not store.follows(operator, family.case)
    consents.give(db, parent_id, child.id, {Purpose.SHARE_SCHOOL})
    assert store.relations(operator, family.case) == {"school"}


def test_a_forged_button_is_refused_and_audited(db: Database, conversations: Conversations, regions: None) -> None:
    enrol(db, 1001, Role.PENDATA)
    phone = Phone(conversations, 1001)
    phone.send("/bahasa")
    phone.press_data("not-a-button")
    phone.press_data("zzzz.c.0")
    assert [a.detail["reason"] for a in audit(db, "button.refused")] == ["forged", "stale"]


def test_ekspor_with_a_reason_gives_full_niks_only_to_the_kabupaten_team(db: Database, conversations: Conversations,
                                                                           family: Family) -> None:
    from reports import messages as M
    from tests.storage.conftest import KABUPATEN

    def document(result: object) -> bytes:
        [content] = [reply.document[1] for reply in result.replies if reply.document]  # type: ignore[attr-defined]
        return content

    enrol(db, 8001, Role.TIM_KABUPATEN, KABUPATEN)
    kabupaten = Phone(conversations, 8001)
    assert NIK.encode() not in _cells(document(kabupaten.send("/ekspor")))
    full = kabupaten.send("/ekspor rekonsiliasi Dapodik")
    assert NIK.encode() in _cells(document(full))
    assert any(t(T.EXPORT_FULL_NIK, reason="rekonsiliasi Dapodik") in text for text in kabupaten.texts(full))
    village = family.team_phone
    refused = village.send("/ekspor ingin tahu")
    assert [r.document for r in refused.replies] == [None] and t(M.EXPORT_FULL_NIK_NOT_ALLOWED) in village.texts(refused)[0]
    assert b"3326********0001" in _cells(document(village.send("/ekspor")))
    assert [(a.detail["role"], a.detail["full_nik"]) for a in audit(db, "export.region")] == [
        ("tim_kabupaten", False), ("tim_kabupaten", True), ("tim_desa", False)]
    assert [a.detail["reason"] for a in audit(db, "export.full_nik.denied")] == ["ingin tahu"]


def _cells(xlsx: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        return b"".join(book.read(name) for name in book.namelist() if name.startswith("xl/"))

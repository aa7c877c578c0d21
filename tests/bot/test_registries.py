"""Every entry of the chat's registries, through the seam ``Conversations.process(Incoming) -> TurnResult``.

Each table of :mod:`bot.registry` has a table of scenarios here, keyed the same way; a test checks the keys
match, so a command, keyboard, notice or after-submit handler added without a scenario fails. Scenarios run on
SQLite with Kabupaten Pekalongan's real regions, no bot process: people type and tap through
:class:`tests.districts.chat.Chat`, which delivers replies and notices as Telegram would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot import texts as T
from bot.handlers.dashboard import DASHBOARD_LINK
from bot.model import Incoming, Kind, TurnResult
from bot.registry import AFTER_SUBMIT, COMMANDS, DOCUMENT_MENUS, MENUS, NOTICES, PHOTO_MENUS, TEXT_MENUS
from bot.turn import NOTICE_PREFIX
from cases import service
from core.i18n import translator
from flows.engine import State
from flows.registry import engine as engine_for
from storage.db import Database
from storage.models import Case, InstrumentSession, Person, Response, Role, School, SchoolChoice, SchoolLevel, SchoolStatus
from storage.regions import load_regions
from tests.bot import programme_scenarios
from tests.bot.conftest import path_state
from tests.bot.test_transactions import transactions
from tests.conftest import TODAY
from tests.districts.chat import Chat, Member, fill, submit
from tests.districts.conftest import KAJEN, KUTOROJO, PEKALONGAN, answers
from tests.districts.helpers import case_at
from tests.uow import committed

t = translator("id")


@dataclass
class World:
    """People of Kabupaten Pekalongan, one of each role the scenarios need."""

    chat: Chat
    kabupaten: Member
    kecamatan: Member
    desa: Member
    pendata: Member
    pendamping: Member
    anyone: Member

    @property
    def db(self) -> Database:
        return self.chat.db


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    with db.write() as session:
        load_regions(session, PEKALONGAN)
    chat = Chat(db, TODAY)
    yield World(chat, chat.member(9001, "Pak Kab", Role.TIM_KABUPATEN, PEKALONGAN), chat.member(9002, "Bu Kec", Role.TIM_KECAMATAN, KAJEN),
                chat.member(9003, "Pak Desa", Role.TIM_DESA, KUTOROJO), chat.member(9004, "Siti", Role.PENDATA, KUTOROJO),
                chat.member(9005, "Mbak Rina", Role.PENDAMPING, KAJEN), chat.member(9006, "Warga"))


def resume(member: Member, instrument: str, state: State, case_id: int | None = None) -> None:
    """Give ``member`` a draft of ``instrument`` saved at ``state`` and continue it (``/lanjut``)."""
    store = member.chat.conversations.store
    draft = store.new_draft(member.person_id, instrument, engine_for(instrument).compiled.version, state=state, case_id=case_id)
    with member.chat.db.write() as session:
        session.execute(update(Person).where(Person.id == member.person_id).values(active_draft_id=draft.id))
    member.send("/lanjut")


def notice(member: Member, kind: str, **payload: Any) -> None:
    """Press a notice button of ``kind`` issued to ``member`` (as a proposal or a case summary carries one)."""
    token = member.chat.conversations.store.issue_button(member.person_id, kind, payload)
    member.chat.turn(member, Kind.CALLBACK, data=NOTICE_PREFIX + token, message_id=None)


def texts(member: Member) -> list[str]:
    return [m.text for m in member.inbox]


def parent_of(w: World, case: Case) -> Member:
    """A parent who joined by the pendamping's link for ``case`` and gave consent for every purpose."""
    parent = w.chat.member(9010, "Ibu Siti")
    parent.send("/start " + committed(w.db, service.invite_parent, case.id, w.pendamping.person_id))
    parent.press(t(T.FILL_STATEMENT))
    parent.press(t(T.CONSENT_ALL))
    return parent


def sent_form(member: Member, instrument: str, fixture: str = "full", case_id: int | None = None, **changes: Any) -> None:
    """``member`` fills ``instrument`` from a path fixture and sends it."""
    if case_id is None:
        member.send(f"/isi {instrument}")
    else:
        resume(member, instrument, State(), case_id)
    fill(member, instrument, answers(instrument, fixture, **changes))
    submit(member)
    assert member.last_outcome in ("submitted", "roster:cases"), texts(member)[-3:]


# -- commands ---------------------------------------------------------------------------------------------
def cmd_start(w: World) -> None:
    w.anyone.send("/start")
    assert w.anyone.inbox[-1].text.startswith(t(T.WELCOME, name="Warga")) and "/usul" in w.anyone.inbox[-1].text


def cmd_usul(w: World) -> None:
    w.anyone.send("/usul")
    assert any(m.startswith(t(T.STARTED, title=t.label(engine_for("usulan").compiled.instrument.title))) for m in texts(w.anyone))


def cmd_isi(w: World) -> None:
    w.pendata.send("/isi")
    assert t.label(engine_for("pendataan").compiled.instrument.title) in w.pendata.inbox[-1].button_texts()
    w.anyone.send("/isi pendataan")
    assert w.anyone.last_outcome == "denied:fill"


def cmd_lanjut(w: World) -> None:
    w.pendata.send("/lanjut")
    assert w.pendata.inbox[-1].text == t(T.NO_DRAFT)
    resume(w.pendata, "pendataan", path_state("pendataan", "full", "1.2"))
    assert any(m.startswith(t(T.RESUMED, title="", label="", answered=1, expected=0)[:9]) for m in texts(w.pendata))
    assert "1.2 · " in w.pendata.inbox[-1].text


def cmd_draf(w: World) -> None:
    w.pendata.send("/isi pendataan")
    w.pendata.send("Ani")
    w.pendata.send("/draf")
    assert w.pendata.inbox[-1].text == t(T.DRAFTS) and "Ani" in w.pendata.inbox[-1].button_texts()[0]


def cmd_batal(w: World) -> None:
    w.pendata.send("/batal")
    assert w.pendata.inbox[-1].text == t(T.NO_DRAFT)
    w.pendata.send("/isi pendataan")
    w.pendata.send("/batal")
    assert w.pendata.inbox[-1].button_texts() == [t(T.CANCEL_YES), t(T.CANCEL_NO)]


def cmd_bahasa(w: World) -> None:
    w.anyone.send("/bahasa jawa")
    assert w.anyone.inbox[-1].text.startswith(translator("jv")(T.LANGUAGE_SET, language="Basa Jawa")[:10])
    w.anyone.send("/bahasa")
    assert len(w.anyone.inbox[-1].buttons) == 3


def cmd_undang(w: World) -> None:
    w.desa.send("/undang")
    assert t("data volunteer") in w.desa.inbox[-1].button_texts()
    w.pendata.send("/undang")
    assert w.pendata.last_outcome == "denied:invite" and w.pendata.inbox[-1].text == t(T.NOT_ALLOWED)


def cmd_dataku(w: World) -> None:
    w.pendata.send("/dataku")
    assert "Siti" in w.pendata.inbox[-1].text and t("data volunteer") in w.pendata.inbox[-1].text


def cmd_koreksi(w: World) -> None:
    w.pendata.send("/koreksi")
    assert w.pendata.inbox[-1].text == t(T.CORRECTION_ASK)
    w.pendata.send("/koreksi nama saya Siti Aminah")
    assert w.pendata.last_outcome == "data-request:correction"
    assert "Siti Aminah" in w.desa.inbox[-1].text  # the village team hears of it


def cmd_hapus(w: World) -> None:
    w.pendata.send("/hapus")
    assert w.pendata.last_outcome == "data-request:deletion" and w.desa.inbox


def cmd_kasus(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=w.pendamping.person_id)
    w.desa.send("/kasus")
    assert w.desa.inbox[-1].button_texts()[0].startswith(case.reference)
    w.anyone.send("/kasus")
    assert w.anyone.inbox[-1].text == t(T.NO_CASES)
    w.anyone.send("/kasus " + case.reference)
    assert w.anyone.last_outcome == "denied:read_child"


def cmd_tugaskan(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "verified")
    w.desa.send("/tugaskan")
    assert w.desa.inbox[-1].button_texts()[0].startswith(case.reference)
    w.pendamping.send("/tugaskan")
    assert w.pendamping.last_outcome == "denied:assign"


def cmd_periksa(w: World) -> None:
    w.kecamatan.send("/periksa")
    assert w.kecamatan.inbox[-1].text == t(T.CHECK_NOTHING)
    verified(w)
    w.kecamatan.send("/periksa")
    assert "Kutorojo" in w.kecamatan.inbox[-1].button_texts()[0]
    w.desa.send("/periksa")
    assert w.desa.last_outcome == "denied:check"


def cmd_konflik(w: World) -> None:
    w.desa.send("/konflik")
    assert w.desa.last_outcome == "conflicts" and w.desa.inbox[-1].text == t("No open NIK conflict in your area.")
    w.pendamping.send("/konflik")
    assert w.pendamping.last_outcome == "denied:conflicts"


def cmd_target(w: World) -> None:
    w.kabupaten.send("/target 2026 120")
    assert w.kabupaten.last_outcome == "target:set" and t(T.TARGET_LINE, year=2026, count=120) in w.kabupaten.inbox[-1].text
    w.kecamatan.send("/target 2026 5")
    assert w.kecamatan.last_outcome == "denied:set_targets"


def cmd_rekap(w: World) -> None:
    w.kecamatan.send("/rekap")
    assert w.kecamatan.last_outcome == "recap" and w.kecamatan.inbox[-2].photo
    w.pendata.send("/rekap")
    assert w.pendata.last_outcome == "denied:recap"


def cmd_ekspor(w: World) -> None:
    w.desa.send("/ekspor")
    assert w.desa.last_outcome == "export" and w.desa.documents()[-1][0].endswith(".xlsx")
    w.pendamping.send("/ekspor")
    assert w.pendamping.last_outcome == "denied:export"


def cmd_impor(w: World) -> None:
    w.kabupaten.send("/impor")
    assert w.kabupaten.inbox[-1].text == t(T.IMPORT_ASK)
    w.desa.send("/impor")
    assert w.desa.last_outcome == "denied:import"


def cmd_dasbor(w: World) -> None:
    w.pendamping.send("/dasbor")
    assert w.pendamping.last_outcome == "dashboard:link" and "/masuk/" in w.pendamping.inbox[-1].text
    assert w.pendamping.inbox[-1].text.startswith(t(DASHBOARD_LINK, minutes=0, link="")[:20])
    w.pendata.send("/dasbor")
    assert w.pendata.last_outcome == "denied:dashboard"


def cmd_help(w: World) -> None:
    w.anyone.send("/help")
    everyone = w.anyone.inbox[-1].text
    w.kabupaten.send("/help")
    team = w.kabupaten.inbox[-1].text
    assert everyone.startswith(t(T.HELP_TITLE)) and "/usul — " in everyone and "/rekap" not in everyone
    assert f"/impor — {t(T.CMD_IMPORT)}" in team and "/periksa" not in team


COMMAND_SCENARIOS: dict[str, Callable[[World], None]] = {
    "start": cmd_start, "usul": cmd_usul, "isi": cmd_isi, "lanjut": cmd_lanjut, "draf": cmd_draf, "batal": cmd_batal,
    "bahasa": cmd_bahasa, "undang": cmd_undang, "dataku": cmd_dataku, "koreksi": cmd_koreksi, "hapus": cmd_hapus,
    "kasus": cmd_kasus, "tugaskan": cmd_tugaskan, "periksa": cmd_periksa, "konflik": cmd_konflik, "target": cmd_target,
    "rekap": cmd_rekap, "ekspor": cmd_ekspor, "impor": cmd_impor, "dasbor": cmd_dasbor, "help": cmd_help,
    **programme_scenarios.COMMANDS,
}


# -- live keyboards -----------------------------------------------------------------------------------------
def menu_question(w: World) -> None:
    w.pendata.send("/isi pendataan")
    w.pendata.send("Ani")
    choice = engine_for("pendataan").layout.nodes["1.2"].choices[0]
    w.pendata.press(t.label(choice.label))
    assert w.pendata.last_outcome == "button:question:c" and "1.2.nik · " in w.pendata.inbox[-1].text


def menu_date(w: World) -> None:
    resume(w.pendata, "pendataan", path_state("pendataan", "full", "1.6"))
    w.pendata.send("05/03/2012")
    w.pendata.press(t(T.YES))
    assert w.pendata.last_outcome == "button:date:y" and "1.7" in w.pendata.inbox[-1].text


def menu_warning(w: World) -> None:
    state = path_state("pendataan", "full", "1.9")
    resume(w.pendata, "pendataan", State({**state.answers, "1.6": "2015-03-05", "1.6.umur": 11}, state.cursor))
    w.pendata.press(t.label(engine_for("pendataan").layout.nodes["1.9"].choices[1].label))
    assert t(T.KEEP_ANYWAY) in w.pendata.inbox[-1].button_texts()
    w.pendata.press(t(T.KEEP_ANYWAY))
    assert w.pendata.last_outcome == "button:warning:k" and "1.10" in w.pendata.inbox[-1].text


def complete(member: Member, instrument: str = "usulan") -> None:
    member.send(f"/isi {instrument}")
    fill(member, instrument, answers(instrument))


def menu_review(w: World) -> None:
    complete(w.anyone)
    w.anyone.press(t(T.EDIT))
    assert w.anyone.last_outcome == "button:review:e" and w.anyone.inbox[-1].text == t(T.EDIT_ASK)


def menu_edit(w: World) -> None:
    complete(w.anyone)
    w.anyone.press(t(T.EDIT))
    w.anyone.press(t(T.BACK))
    assert w.anyone.last_outcome == "button:edit:b" and t(T.SUBMIT) in w.anyone.inbox[-1].button_texts()


def menu_forms(w: World) -> None:
    w.pendata.send("/isi")
    w.pendata.press(t.label(engine_for("pendataan").compiled.instrument.title))
    assert w.pendata.last_outcome == "button:forms:o" and "1.1 · " in w.pendata.inbox[-1].text


def menu_drafts(w: World) -> None:
    w.pendata.send("/isi pendataan")
    w.pendata.send("Ani")
    w.pendata.send("/draf")
    w.pendata.press(w.pendata.inbox[-1].button_texts()[0])
    assert w.pendata.last_outcome == "button:drafts:r" and "1.2 · " in w.pendata.inbox[-1].text


def menu_cancel(w: World) -> None:
    w.pendata.send("/isi pendataan")
    w.pendata.send("/batal")
    w.pendata.press(t(T.CANCEL_YES))
    assert w.pendata.last_outcome == "button:cancel:y" and w.pendata.inbox[-1].text == t(T.CANCELLED)
    w.pendata.send("/lanjut")
    assert w.pendata.inbox[-1].text == t(T.NO_DRAFT)


def menu_language(w: World) -> None:
    w.anyone.send("/bahasa")
    w.anyone.press("English")
    assert w.anyone.last_outcome == "button:language:l" and w.anyone.inbox[-1].text == translator("en")(T.LANGUAGE_SET, language="English")


def menu_invite_role(w: World) -> None:
    w.desa.send("/undang")
    w.desa.press(t("data volunteer"))
    assert w.desa.last_outcome == "invited" and w.desa.inbox[-1].photo and "?start=" in w.desa.inbox[-1].text


def menu_invite_region(w: World) -> None:
    w.kabupaten.send("/undang")
    w.kabupaten.press(t("kecamatan team"))
    w.kabupaten.press("Kajen")
    assert w.kabupaten.last_outcome == "invited" and "Kajen" in w.kabupaten.inbox[-1].text


def menu_invite_school(w: World) -> None:
    w.kecamatan.send("/undang")
    w.kecamatan.press(t("school operator"))
    assert w.kecamatan.inbox[-1].text == t(T.INVITE_WHICH_SCHOOL)
    w.kecamatan.press(t(T.CANCEL))
    assert w.kecamatan.last_outcome == "button:invite_school:x"
    w.kecamatan.send("/lanjut")  # the keyboard is closed: typing is no longer a school search
    assert w.kecamatan.inbox[-1].text == t(T.NO_DRAFT)


def menu_consent(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=w.pendamping.person_id)
    parent_of(w, case)
    parent = w.chat.people[9010]
    assert parent.last_outcome == "consent:given" and started(parent, "kesediaan")


def menu_withdraw(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=w.pendamping.person_id)
    parent = parent_of(w, case)
    parent.send("/dataku")
    parent.press(t(T.WITHDRAW_FOR, child="Ahmad Fauzi"))
    assert parent.last_outcome == "consent:withdrawn"


def menu_case(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=w.pendamping.person_id)
    w.pendamping.send("/kasus")
    w.pendamping.press(w.pendamping.inbox[-1].button_texts()[0])
    assert w.pendamping.last_outcome == "button:case:c" and w.pendamping.inbox[-1].text.startswith(case.reference) and t(T.VISIT_LOG) in w.pendamping.inbox[-1].button_texts()


def rekonfirmed(w: World) -> Case:
    """A recorded case whose Rekonfirmasi the village team just sent: the verification question is live."""
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "recorded")
    sent_form(w.desa, "rekonfirmasi", case_id=case.id)
    assert t(T.VALID) in w.desa.inbox[-1].button_texts()
    return case


def menu_verify(w: World) -> None:
    case = rekonfirmed(w)
    w.desa.press(t(T.VALID))
    assert w.desa.last_outcome == "verified" and committed(w.db, service.case_summary, case.id).status == "verified"


def menu_reason(w: World) -> None:
    rekonfirmed(w)
    w.desa.press(t(T.NOT_VALID))
    w.desa.press(t(T.BACK))
    assert w.desa.last_outcome == "button:reason:b" and t(T.VALID) in w.desa.inbox[-1].button_texts()


def menu_assign_case(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "verified")
    w.desa.send("/tugaskan")
    w.desa.press(w.desa.inbox[-1].button_texts()[0])
    assert w.desa.last_outcome == "button:assign_case:c" and "Mbak Rina" in w.desa.inbox[-1].button_texts()
    assert committed(w.db, service.case_summary, case.id).status == "verified"


def menu_assign_person(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "verified")
    w.desa.send("/tugaskan")
    w.desa.press(w.desa.inbox[-1].button_texts()[0])
    w.desa.press("Mbak Rina")
    assert w.desa.last_outcome == "button:assign_person:c" and committed(w.db, service.case_summary, case.id).pendamping_name == "Mbak Rina"
    assert t(T.YOU_ACCOMPANY) in w.pendamping.inbox[-1].text


def menu_import(w: World) -> None:
    w.kabupaten.send("/impor")
    w.kabupaten.press(t(T.CANCEL))
    assert w.kabupaten.last_outcome == "button:import:x"
    w.chat.turn(w.kabupaten, Kind.DOCUMENT, value={"content": b"x", "filename": "a.csv"})
    assert w.kabupaten.inbox[-1].text == t(T.DIDNT_UNDERSTAND)  # the keyboard is closed: a file is no import now


def verified(w: World) -> Case:
    """A case the village team verified: it waits for the kecamatan's check."""
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "recorded")
    committed(w.db, service.verify, case.id, w.desa.person_id, True, None)
    return case


def checking(w: World) -> Case:
    case = verified(w)
    w.kecamatan.send("/periksa")
    w.kecamatan.press(w.kecamatan.inbox[-1].button_texts()[0])
    return case


def menu_check_desa(w: World) -> None:
    case = checking(w)
    assert w.kecamatan.last_outcome == "button:check_desa:c" and case.reference in w.kecamatan.inbox[-1].text


def menu_check_cases(w: World) -> None:
    checking(w)
    w.kecamatan.press(w.kecamatan.inbox[-1].button_texts()[0])  # accept all
    assert w.kecamatan.last_outcome == "check:accepted" and w.desa.inbox[-1].text


def menu_check_note(w: World) -> None:
    case = checking(w)
    w.kecamatan.press(t(T.CHECK_RETURN, reference=case.reference))
    w.kecamatan.press(t(T.BACK))
    assert w.kecamatan.last_outcome == "button:check_note:b" and case.reference in w.kecamatan.inbox[-1].text


def school_chosen(w: World, npsn: str = "99260803") -> Case:
    """A family chose SMP Negeri 1 Kajen, which has no operator in the bot: the kecamatan team answers for it."""
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "school_chosen", pendamping_id=w.pendamping.person_id)
    with w.db.write() as session:
        school = School(npsn=npsn, name="SMP Negeri 1 Kajen", level=SchoolLevel.SMP, status=SchoolStatus.NEGERI,
                        address="Jl. Raya Kajen No. 1", region_code=KAJEN)
        session.add(school)
        session.flush()
        session.add(SchoolChoice(case_id=case.id, pathway="formal", level="SMP", school_id=school.id, npsn=school.npsn, school_name=school.name))
    return case


def refusing_school(w: World) -> Case:
    case = school_chosen(w)
    notice(w.kecamatan, "refuse_school", case_id=case.id)
    assert w.kecamatan.last_outcome == "notice:refuse_school" and w.kecamatan.inbox[-1].text == t(T.SCHOOL_REFUSE_ASK)
    return case


def menu_school_refusal(w: World) -> None:
    refusing_school(w)
    w.kecamatan.press(t(T.CANCEL))
    assert w.kecamatan.last_outcome == "button:school_refusal:x"


MENU_SCENARIOS: dict[str, Callable[[World], None]] = {
    "question": menu_question, "date": menu_date, "warning": menu_warning, "review": menu_review, "edit": menu_edit,
    "forms": menu_forms, "drafts": menu_drafts, "cancel": menu_cancel, "language": menu_language,
    "invite_role": menu_invite_role, "invite_region": menu_invite_region, "invite_school": menu_invite_school,
    "consent": menu_consent, "withdraw": menu_withdraw, "case": menu_case, "verify": menu_verify, "reason": menu_reason,
    "assign_case": menu_assign_case, "assign_person": menu_assign_person, "import": menu_import,
    "check_desa": menu_check_desa, "check_cases": menu_check_cases, "check_note": menu_check_note,
    "school_refusal": menu_school_refusal, **programme_scenarios.MENUS,
}


# -- keyboards waiting for typed text or a file ---------------------------------------------------------------
def text_edit(w: World) -> None:
    complete(w.anyone)
    w.anyone.press(t(T.EDIT))
    w.anyone.send("U.2")
    assert w.anyone.last_outcome == "edit-code" and "U.2 · " in w.anyone.inbox[-1].text


def text_reason(w: World) -> None:
    case = rekonfirmed(w)
    w.desa.press(t(T.NOT_VALID))
    w.desa.send("Anak sudah sekolah di SD Kajen")
    assert w.desa.last_outcome == "not-valid" and committed(w.db, service.case_summary, case.id).status != "recorded"


def text_invite_school(w: World) -> None:
    w.kecamatan.send("/undang")
    w.kecamatan.press(t("school operator"))
    w.kecamatan.send("SMP")
    assert w.kecamatan.inbox[-1].text == t(T.INVITE_WHICH_SCHOOL) and w.kecamatan.inbox[-2].text == t(T.INVITE_NO_SCHOOL)


def text_check_note(w: World) -> None:
    case = checking(w)
    w.kecamatan.press(t(T.CHECK_RETURN, reference=case.reference))
    w.kecamatan.send("NIK belum ada")
    assert w.kecamatan.last_outcome == "check:returned" and "NIK belum ada" in w.desa.inbox[-1].text


def text_school_refusal(w: World) -> None:
    refusing_school(w)
    w.kecamatan.send("Kelas penuh")
    assert w.kecamatan.last_outcome == "school:refused" and "Kelas penuh" in w.pendamping.inbox[-1].text


def document_import(w: World) -> None:
    w.kabupaten.send("/impor")
    w.chat.turn(w.kabupaten, Kind.DOCUMENT, value={"content": b"nama;nik\nAni;123\n", "filename": "daftar.csv"})
    assert w.kabupaten.last_outcome == "import:rejected" and "daftar.csv" in w.kabupaten.inbox[-1].text


TEXT_SCENARIOS: dict[str, Callable[[World], None]] = {
    "edit": text_edit, "reason": text_reason, "invite_school": text_invite_school, "check_note": text_check_note,
    "school_refusal": text_school_refusal, **programme_scenarios.TEXT_MENUS,
}
DOCUMENT_SCENARIOS: dict[str, Callable[[World], None]] = {"import": document_import}


# -- notice buttons -----------------------------------------------------------------------------------------
def assigned(w: World) -> Case:
    return case_at(w.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=w.pendamping.person_id)


def started(member: Member, instrument: str) -> bool:
    with member.chat.db.read() as session:
        person = session.get(Person, member.person_id)
        draft = session.get(InstrumentSession, person.active_draft_id) if person and person.active_draft_id else None
        return draft is not None and draft.instrument == instrument


def notice_take_proposal(w: World) -> None:
    sent_form(w.anyone, "usulan")
    w.desa.press(t(T.TAKE))
    assert w.desa.last_outcome == "notice:take_proposal" and started(w.desa, "rekonfirmasi")


def notice_use_existing(w: World) -> None:
    existing = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "verified")
    duplicate = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "recorded")
    notice(w.desa, "use_existing", case_id=duplicate.id, existing_id=existing.id, response_id=None)
    assert w.desa.last_outcome == "notice:use_existing"
    assert committed(w.db, service.case_summary, duplicate.id).status == "not_valid"  # a duplicate of the existing case


def notice_visit_log(w: World) -> None:
    notice(w.pendamping, "visit_log", case_id=assigned(w).id)
    assert started(w.pendamping, "pendampingan")
    notice(w.pendata, "visit_log", case_id=assigned(w).id)
    assert w.pendata.last_outcome == "denied:visit_log"  # no relation to the child


def opens_form(kind: str, instrument: str) -> Callable[[World], None]:
    """A case button that opens ``instrument`` about the child for the pendamping (who fills the family's
    forms with them, too)."""
    def scenario(w: World) -> None:
        notice(w.pendamping, kind, case_id=assigned(w).id)
        assert w.pendamping.last_outcome == f"notice:{kind}" and started(w.pendamping, instrument)
    return scenario


def notice_invite_parent(w: World) -> None:
    notice(w.pendamping, "invite_parent", case_id=assigned(w).id)
    assert w.pendamping.inbox[-1].photo and "?start=" in w.pendamping.inbox[-1].text


def notice_accept_school(w: World) -> None:
    case = school_chosen(w)
    notice(w.pendata, "accept_school", case_id=case.id)
    assert w.pendata.last_outcome == "denied:accept_school"
    notice(w.kecamatan, "accept_school", case_id=case.id)
    assert w.kecamatan.last_outcome == "school:accepted" and w.pendamping.documents()[-1][0].startswith("penerimaan-sekolah-")


def notice_refuse_school(w: World) -> None:
    refusing_school(w)


def notice_conflict(w: World) -> None:
    notice(w.desa, "conflict", conflict_id=999_999, decision="merge")
    assert w.desa.last_outcome == "conflict-refused" and w.desa.inbox[-1].text.startswith("✗")


NOTICE_SCENARIOS: dict[str, Callable[[World], None]] = {
    "take_proposal": notice_take_proposal, "use_existing": notice_use_existing, "visit_log": notice_visit_log,
    "monitoring": opens_form("monitoring", "monitoring"), "record_return": opens_form("record_return", "kembali-sekolah"),
    "invite_parent": notice_invite_parent, "fill_kesediaan": opens_form("fill_kesediaan", "kesediaan"),
    "fill_pemilihan": opens_form("fill_pemilihan", "pemilihan-sekolah"),
    "risk_indicators": opens_form("risk_indicators", "indikator-risiko"), "accept_school": notice_accept_school,
    "refuse_school": notice_refuse_school, "conflict": notice_conflict, **programme_scenarios.NOTICES,
}


# -- after a form is sent -----------------------------------------------------------------------------------
def case_status(w: World, case: Case) -> str:
    return committed(w.db, service.case_summary, case.id).status


def after_usulan(w: World) -> None:
    sent_form(w.anyone, "usulan")
    assert any(t(T.TAKE) in m.button_texts() for m in w.desa.inbox)  # the village team got the proposal
    with w.db.read() as session:
        assert session.scalar(select(Case.status).order_by(Case.id.desc()).limit(1)) == "proposed"


def after_rekonfirmasi(w: World) -> None:
    case = rekonfirmed(w)
    assert w.desa.inbox[-1].text == t(T.VERIFY_ASK, reference=case.reference)


def after_pendampingan(w: World) -> None:
    case = assigned(w)
    sent_form(w.pendamping, "pendampingan", case_id=case.id)
    assert any(m.startswith(t(T.VISIT_LOGGED, date="", reference="")[:10]) for m in texts(w.pendamping))


def after_kesediaan(w: World) -> None:
    case = assigned(w)
    sent_form(w.pendamping, "kesediaan", case_id=case.id)
    assert case_status(w, case) in ("willing", "not_willing", "undecided")


def after_pemilihan_sekolah(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "willing", pendamping_id=w.pendamping.person_id)
    sent_form(w.pendamping, "pemilihan-sekolah", case_id=case.id)
    assert case_status(w, case) == "school_chosen" and w.pendamping.documents()[-1][0].startswith("pemilihan-sekolah-")


def after_kembali_sekolah(w: World) -> None:
    case = school_chosen(w, npsn=str(answers("kembali-sekolah")["K.1"]))
    sent_form(w.pendamping, "kembali-sekolah", case_id=case.id)
    assert case_status(w, case) == "back_in_school" and t(T.MONITORING) in w.pendamping.inbox[-1].button_texts()


def after_monitoring(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "back_in_school", pendamping_id=w.pendamping.person_id)
    sent_form(w.pendamping, "monitoring", case_id=case.id)
    assert case_status(w, case) == "monitored"
    assert any(m.startswith(t(T.MONITORING_RECORDED, reference="", status="")[:10]) for m in texts(w.pendamping))


def after_rumah_tangga(w: World) -> None:
    sent_form(w.pendata, "rumah-tangga")
    assert w.pendata.last_outcome == "roster:cases" and "ATS-3326-000001" in w.pendata.inbox[-1].text
    with w.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2  # the household's two children out of school


def after_indikator_risiko(w: World) -> None:
    case = case_at(w.db, "Ahmad Fauzi", KUTOROJO, "back_in_school", pendamping_id=w.pendamping.person_id)
    sent_form(w.pendamping, "indikator-risiko", case_id=case.id)
    with w.db.read() as session:
        assert session.scalar(select(Response.case_id).order_by(Response.id.desc()).limit(1)) == case.id


AFTER_SUBMIT_SCENARIOS: dict[str, Callable[[World], None]] = {
    "usulan": after_usulan, "rekonfirmasi": after_rekonfirmasi, "pendampingan": after_pendampingan,
    "kesediaan": after_kesediaan, "pemilihan-sekolah": after_pemilihan_sekolah, "kembali-sekolah": after_kembali_sekolah,
    "monitoring": after_monitoring, "rumah-tangga": after_rumah_tangga, "indikator-risiko": after_indikator_risiko,
}

Scenario = Callable[[World], None]
TABLES: dict[str, tuple[Mapping[str, object], Mapping[str, Scenario]]] = {
    "COMMANDS": (COMMANDS, COMMAND_SCENARIOS), "MENUS": (MENUS, MENU_SCENARIOS), "TEXT_MENUS": (TEXT_MENUS, TEXT_SCENARIOS),
    "DOCUMENT_MENUS": (DOCUMENT_MENUS, DOCUMENT_SCENARIOS), "NOTICES": (NOTICES, NOTICE_SCENARIOS),
    "PHOTO_MENUS": (PHOTO_MENUS, programme_scenarios.PHOTO_MENUS),
    "AFTER_SUBMIT": (AFTER_SUBMIT, AFTER_SUBMIT_SCENARIOS),
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_registry_entry_has_a_scenario(table: str) -> None:
    registry, scenarios = TABLES[table]
    assert sorted(registry) == sorted(scenarios), f"{table}: add a scenario to this file for each new entry"


@pytest.mark.parametrize(("table", "key"), [(name, key) for name, (registry, _) in sorted(TABLES.items()) for key in registry])
def test_registry_entry(world: World, table: str, key: str) -> None:
    """The scenario holds, and each of its turns is ONE transaction (one BEGIN, one COMMIT); only a file import,
    which publishes in short transactions of its own after the turn's commit, adds more."""
    conversations = world.chat.conversations
    process, turns = conversations.process, []

    def counted(incoming: Incoming) -> TurnResult:
        with transactions(world.db) as seen:
            result = process(incoming)
        turns.append((result.outcome, seen))
        return result

    conversations.process = counted  # type: ignore[method-assign]
    TABLES[table][1][key](world)
    assert turns and [(o, s) for o, s in turns if s != ["begin", "commit"] and not o.startswith("import:")] == []

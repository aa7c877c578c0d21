"""The kecamatan's completeness check through the chat (issue 19, item 4)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import texts as T
from cases import checks, service
from cases.checks import awaiting_count
from cases.messages import CHECK_PROBLEMS
from core.i18n import translator
from reports.messages import RECAP_AWAITING_CHECK
from reports.recap import recap_data
from storage.models import Case, CaseEvent, Role
from tests.districts.chat import Chat
from tests.districts.conftest import KAJEN, KUTOROJO, PURWOREJO_KEC, TODAY
from tests.districts.helpers import case_at
from tests.uow import committed

t = translator("id")
KUTOREJO = "33.26.08.2015"


def verified(chat: Chat, name: str, desa: str, by: int, born: dt.date | None = None) -> Case:
    case = case_at(chat.db, name, desa, "recorded", born=born)
    committed(chat.db, service.verify, case.id, by, True, None)
    return case


def test_the_kecamatan_accepts_a_desa_and_returns_a_case_with_a_note(chat: Chat) -> None:
    kades = chat.member(5001, "Bu Kades", Role.TIM_DESA, KUTOROJO)
    korwil = chat.member(5002, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    one = verified(chat, "Ahmad Fauzi", KUTOROJO, kades.person_id, dt.date(2012, 3, 5))
    two = verified(chat, "Budi", KUTOROJO, kades.person_id)
    three = verified(chat, "Citra", KUTOREJO, kades.person_id, dt.date(2013, 1, 1))
    assert committed(chat.db, awaiting_count, KAJEN) == 3

    korwil.send("/periksa")
    menu = korwil.last(t(T.CHECK_CHOOSE_DESA))
    assert menu.button_texts() == [t(T.CHECK_DESA_BUTTON, desa="Kutorejo", count=1), t(T.CHECK_DESA_BUTTON, desa="Kutorojo", count=2)]
    korwil.press(t(T.CHECK_DESA_BUTTON, desa="Kutorojo", count=2))
    listing = korwil.last(t(T.CHECK_LIST, desa="Kutorojo", count=2))
    assert one.reference in listing.text and two.reference in listing.text and three.reference not in listing.text
    assert t(CHECK_PROBLEMS["no_birth_date"]) in listing.text  # Budi has no birth date

    korwil.press(t(T.CHECK_RETURN, reference=two.reference))
    korwil.send("Tanggal lahir kosong, mohon dilengkapi")
    assert korwil.last().text == t(T.CHECK_RETURNED, reference=two.reference)
    assert "Tanggal lahir kosong" in kades.last(two.reference).text  # the desa team hears why

    korwil.send("/periksa")
    korwil.press(t(T.CHECK_DESA_BUTTON, desa="Kutorojo", count=1))
    korwil.press(t(T.CHECK_ACCEPT_ALL, count=1))
    assert t(T.CHECK_ACCEPTED_FOR_DESA, count=1, desa="Kutorojo") in kades.last().text
    with chat.db.read() as session:
        statuses = {c.id: c.status for c in session.scalars(select(Case))}
        events = [(e.case_id, e.event, e.reason) for e in session.scalars(select(CaseEvent).where(CaseEvent.event.in_(["accept_check", "return_check"])))]
    assert statuses == {one.id: "verified", two.id: "recorded", three.id: "verified"}
    assert sorted(events) == sorted([(two.id, "return_check", "Tanggal lahir kosong, mohon dilengkapi"), (one.id, "accept_check", None)])
    assert committed(chat.db, awaiting_count, KAJEN) == 1  # Citra of Kutorejo still waits

    korwil.send("/rekap")
    assert t(RECAP_AWAITING_CHECK, count=1) in korwil.last(t(RECAP_AWAITING_CHECK, count=1)).text


def test_only_the_kecamatan_team_of_that_kecamatan_checks(chat: Chat) -> None:
    kades = chat.member(5101, "Bu Kades", Role.TIM_DESA, KUTOROJO)
    verified(chat, "Ahmad Fauzi", KUTOROJO, kades.person_id)
    kades.send("/periksa")  # the desa team verifies; it does not check its own work
    assert kades.last_outcome == "denied:check"
    far = chat.member(5102, "Pak Camat Purworejo", Role.TIM_KECAMATAN, PURWOREJO_KEC)
    far.send("/periksa")
    assert far.last().text == t(T.CHECK_NOTHING)  # nothing of Kajen is shown elsewhere
    korwil = chat.member(5103, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    korwil.send("/periksa")
    menu = korwil.last(t(T.CHECK_CHOOSE_DESA))
    far.press(menu.button_texts()[0], menu)  # another person's button does nothing for them
    assert far.last_outcome == "stale-button"


def test_the_kabupaten_recap_counts_only_what_the_kecamatan_accepted(chat: Chat) -> None:
    kades = chat.member(5201, "Bu Kades", Role.TIM_DESA, KUTOROJO)
    korwil = chat.member(5202, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    kabupaten = chat.member(5203, "Bu Kabid", Role.TIM_KABUPATEN, "33.26")
    ayu = verified(chat, "Ayu", KUTOROJO, kades.person_id, dt.date(2012, 3, 5))
    bima = verified(chat, "Bima", KUTOROJO, kades.person_id, dt.date(2013, 1, 1))
    case_at(chat.db, "Citra", KUTOROJO, "recorded")  # found, not yet verified: counted as before
    committed(chat.db, checks.accept, [ayu.id], korwil.person_id)
    kab = recap_data(chat.db, "33.26", TODAY)
    kec = recap_data(chat.db, KAJEN, TODAY)
    assert (kab.total, kab.awaiting_check) == (2, 1)  # Ayu (accepted) and Citra; Bima waits
    assert kab.totals(kab.by_area) == {KUTOROJO: 2} and kab.totals(kab.by_status) == {"verified": 1, "recorded": 1}
    assert (kec.total, kec.awaiting_check) == (3, 1)  # the kecamatan sees its own work in full
    kabupaten.send("/rekap")
    text = kabupaten.last(t(RECAP_AWAITING_CHECK, count=1)).text
    assert t("Children: {total} (boys {boys}, girls {girls})", total=2, boys=0, girls=0) in text
    committed(chat.db, checks.accept, [bima.id], korwil.person_id)
    assert (recap_data(chat.db, "33.26", TODAY).total, recap_data(chat.db, "33.26", TODAY).awaiting_check) == (3, 0)
    kabupaten.send("/rekap")  # nothing waits: no such line
    assert t(RECAP_AWAITING_CHECK, count=0).split(":")[0] not in kabupaten.last(t("Children: {total} (boys {boys}, girls {girls})",
                                                                                     total=3, boys=0, girls=0)).text

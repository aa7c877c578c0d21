"""The Bupati's list through the chat (issue 19 §8): from the kecamatan-accepted cases, XLSX and PDF, audited, only
for the kabupaten team; the kabupaten recap counts only accepted cases and shows those awaiting the check."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import select

from bot import programme_texts as P
from cases import checks, service
from core.i18n import translator
from storage.models import AuditLog, Role
from tests.districts.chat import Chat
from tests.districts.conftest import KAJEN, KUTOROJO, PEKALONGAN, PURWOREJO
from tests.districts.helpers import case_at
from tests.uow import committed

t = translator("id")


def test_the_kabupaten_team_takes_the_bupatis_list_and_others_are_refused(chat: Chat) -> None:
    kades = chat.member(9501, "Bu Kades", Role.TIM_DESA, KUTOROJO)
    korwil = chat.member(9502, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    kabupaten = chat.member(9503, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    far = chat.member(9504, "Tim Purworejo", Role.TIM_KABUPATEN, PURWOREJO)
    for name in ("Ayu", "Bima"):
        case = case_at(chat.db, name, KUTOROJO, "recorded", born=dt.date(2012, 1, 1))
        committed(chat.db, service.verify, case.id, kades.person_id, True, None)
        if name == "Ayu":
            committed(chat.db, checks.accept, [case.id], korwil.person_id)

    kabupaten.send("/sk")
    assert kabupaten.last().text == t(P.BUPATI_USAGE)
    kabupaten.send("/sk 31/02/2026")  # no such day
    assert kabupaten.last().text == t(P.BUPATI_USAGE)
    kabupaten.send("/sk 01/12/2026")
    ready = kabupaten.last(t(P.BUPATI_READY, region="Kabupaten Pekalongan", count=1, deadline=t.date(dt.date(2027, 2, 1))))
    assert ready.document is not None and ready.document[0].endswith(".xlsx")
    names = [row[3] for row in load_workbook(io.BytesIO(ready.document[1])).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert names == ["Ayu"]  # Bima waits for the kecamatan's check
    pdf = kabupaten.documents()[-1]
    assert pdf[0].endswith(".pdf") and pdf[1].startswith(b"%PDF")  # its text: tests/districts/test_programme_lists.py

    for person in (kades, korwil):
        person.send("/sk 01/12/2026")
        assert person.last_outcome == "denied:bupati_list", person.name
    far.send("/sk 01/12/2026")  # another kabupaten's team gets its own kabupaten's list: none of Pekalongan's children
    assert far.last(t(P.BUPATI_READY, region="Kabupaten Purworejo", count=0, deadline=t.date(dt.date(2027, 2, 1)))).document
    with chat.db.read() as session:
        exported = session.scalars(select(AuditLog.actor_id).where(AuditLog.action == "export.bupati_list")).all()
    assert exported == [kabupaten.person_id] * 2 + [far.person_id] * 2  # the XLSX and the PDF, by who took them

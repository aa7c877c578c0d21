"""Seam scenarios for the registry entries of referrals, assistance and the kabupaten's lists (issue 19 §6–8),
merged into the tables of :mod:`tests.bot.test_registries` (its key check covers them)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update

from bot import programme_texts as P
from bot.model import Kind, Upload
from core.i18n import translator
from storage.models import Assistance, Case
from tests.districts.conftest import KUTOROJO
from tests.districts.helpers import case_at

if TYPE_CHECKING:
    from tests.bot.test_registries import World

t = translator("id")
Scenario = Callable[["World"], None]


def accompanied(w: World) -> Case:
    return case_at(w.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=w.pendamping.person_id)


def referred(w: World) -> Case:
    case = accompanied(w)
    w.pendamping.send(f"/rujuk {case.reference} dinsos 14")
    return case


def cmd_rujuk(w: World) -> None:
    referred(w)
    assert w.pendamping.last_outcome == "refer:sent"
    w.anyone.send("/rujuk")
    assert w.anyone.last_outcome == "denied:refer"


def cmd_rujukan(w: World) -> None:
    referred(w)
    w.desa.send("/rujukan")
    assert w.desa.last_outcome == "referrals" and "Dinas Sosial" in w.desa.inbox[-1].text
    w.anyone.send("/rujukan")
    assert w.anyone.last_outcome == "denied:referrals"


def assisted(w: World, status: str = "proposed") -> Case:
    case = case_at(w.db, "Budi", KUTOROJO, "back_in_school", pendamping_id=w.pendamping.person_id)
    w.pendamping.send(f"/bantuan {case.reference} personal")
    if status != "proposed":
        with w.db.write() as session:
            session.execute(update(Assistance).values(status=status, verified_at=case.created_at))
    return case


def cmd_bantuan(w: World) -> None:
    assisted(w)
    assert w.pendamping.last_outcome == "assistance:proposed"
    w.anyone.send("/bantuan")
    assert w.anyone.last_outcome == "denied:assistance"


def cmd_penerima(w: World) -> None:
    w.kabupaten.send("/penerima 2026")
    assert w.kabupaten.last_outcome == "recipients" and w.kabupaten.inbox[-1].document is not None
    w.desa.send("/penerima")
    assert w.desa.last_outcome == "denied:recipients"


def cmd_sk(w: World) -> None:
    w.kabupaten.send("/sk 01/12/2026")
    assert w.kabupaten.last_outcome == "bupati" and w.kabupaten.inbox[-1].document is not None
    w.kecamatan.send("/sk 01/12/2026")
    assert w.kecamatan.last_outcome == "denied:bupati_list"


def menu_refer_agency(w: World) -> None:
    case = accompanied(w)
    w.pendamping.send(f"/rujuk {case.reference}")
    w.pendamping.press("Dinas Sosial")
    assert w.pendamping.inbox[-1].text == t(P.REFER_CHOOSE_DUE, agency="Dinas Sosial")


def menu_refer_due(w: World) -> None:
    menu_refer_agency(w)
    w.pendamping.press(t(P.DUE_DAYS, days=7))
    assert w.pendamping.last_outcome == "refer:sent"


def text_refer_due(w: World) -> None:
    menu_refer_agency(w)
    w.pendamping.send("20/12/2026")
    assert w.pendamping.last_outcome == "refer:sent"


def menu_referral(w: World) -> None:
    referred(w)
    w.pendamping.send("/rujukan")
    w.pendamping.press(t(P.BUTTON_ACCEPTED, id=1))
    assert w.pendamping.last_outcome == "referral:accepted"


def text_referral_note(w: World) -> None:
    referred(w)
    w.pendamping.send("/rujukan")
    w.pendamping.press(t(P.BUTTON_REFUSED, id=1))
    w.pendamping.send("Kuota penuh")
    assert w.pendamping.last_outcome == "referral:refused"


def menu_assistance(w: World) -> None:
    assisted(w)
    w.kabupaten.send("/bantuan")
    w.kabupaten.press(t(P.BUTTON_APPROVE, id=1))
    assert w.kabupaten.last_outcome == "assistance:approve"


def text_assistance_note(w: World) -> None:
    assisted(w)
    w.kabupaten.send("/bantuan")
    w.kabupaten.press(t(P.BUTTON_NOT_APPROVE, id=1))
    w.kabupaten.send("Sudah menerima KIP")
    assert w.kabupaten.last_outcome == "assistance:refuse"


def photo_receipt(w: World) -> None:
    assisted(w, "disbursed")
    w.pendamping.send("/bantuan")
    w.pendamping.press(t(P.BUTTON_REPORT, id=1))
    with tempfile.TemporaryDirectory() as folder:  # the turn keeps the downloaded photo, encrypted
        w.chat.conversations.files_dir = Path(folder)
        w.chat.turn(w.pendamping, Kind.PHOTO, value={"file_id": "r", "size": 7}, upload=Upload(b"receipt", "r", "r-1", "image/jpeg"))
        assert len(list(Path(folder).rglob("*.enc"))) == 1
    assert w.pendamping.last_outcome == "assistance:report"


def notice_refer(w: World) -> None:
    from tests.bot.test_registries import notice

    case = accompanied(w)
    notice(w.pendamping, "refer", case_id=case.id, visit_id=None)
    assert w.pendamping.inbox[-1].text == t(P.REFER_CHOOSE_AGENCY, name="Ahmad Fauzi", reference=case.reference)
    notice(w.anyone, "refer", case_id=case.id, visit_id=None)
    assert w.anyone.last_outcome == "denied:refer"


COMMANDS: dict[str, Scenario] = {"rujuk": cmd_rujuk, "rujukan": cmd_rujukan, "bantuan": cmd_bantuan, "penerima": cmd_penerima,
                                 "sk": cmd_sk}
MENUS: dict[str, Scenario] = {"refer_agency": menu_refer_agency, "refer_due": menu_refer_due, "referral": menu_referral,
                              "assistance": menu_assistance}
TEXT_MENUS: dict[str, Scenario] = {"refer_due": text_refer_due, "referral_note": text_referral_note,
                                   "assistance_note": text_assistance_note}
PHOTO_MENUS: dict[str, Scenario] = {"receipt": photo_receipt}
NOTICES: dict[str, Scenario] = {"refer": notice_refer}

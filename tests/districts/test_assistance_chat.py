"""Assistance (guide Bab III) through the chat (issue 19 §7): proposed, verified by the kecamatan, approved by the
kabupaten team, disbursed only after that verification, spending reported with a receipt photo kept encrypted;
the recipients list; refusals by role, area and bad input."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot import programme_texts as P
from bot.model import Kind, Upload
from cases.messages import ASSISTANCE_STATUS
from cases.service import case_history
from core.i18n import translator
from storage.models import Assistance, AuditLog, Role, StoredFile
from storage.repositories.files import read_kept_file
from tests.districts.chat import Chat, Member
from tests.districts.conftest import BRENGGONG, KAJEN, KUTOROJO, PEKALONGAN, PURWOREJO
from tests.districts.helpers import case_at
from tests.uow import committed

t = translator("id")
RECEIPT = b"\xff\xd8\xff\xe0 a receipt photo: Rp500.000 seragam dan buku"


def photo_of_receipt(chat: Chat, member: Member, tmp_path: Path) -> None:
    """A photo as the router hands it over (downloaded): the turn keeps it, encrypted, in its own transaction."""
    chat.conversations.files_dir = tmp_path / "files"
    chat.turn(member, Kind.PHOTO, value={"file_id": "receipt-1", "size": len(RECEIPT)},
              upload=Upload(RECEIPT, "receipt-1", "u-receipt-1", "image/jpeg"))


def send_receipt(chat: Chat, member: Member, tmp_path: Path) -> int:
    """:func:`photo_of_receipt`; the kept file's id."""
    photo_of_receipt(chat, member, tmp_path)
    with chat.db.read() as session:
        stored = session.scalar(select(StoredFile.id).where(StoredFile.telegram_unique_id == "u-receipt-1"))
    assert stored is not None
    return stored


def test_the_whole_way_of_an_assistance_through_the_chat(chat: Chat, tmp_path: Path) -> None:
    pendamping = chat.member(9001, "Mbak Rina", Role.PENDAMPING, KAJEN)
    korwil = chat.member(9002, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    kabupaten = chat.member(9003, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    case = case_at(chat.db, "Ahmad Fauzi", KUTOROJO, "back_in_school", pendamping_id=pendamping.person_id)

    pendamping.send(f"/bantuan {case.reference} personal")
    assert pendamping.last().text == t(P.ASSISTANCE_PROPOSED, programme="Bantuan dana personal", name="Ahmad Fauzi",
                                       reference=case.reference, year="2026", amount=t.number(500000))
    kabupaten.send("/bantuan")
    kabupaten.press(t(P.BUTTON_APPROVE, id=1))
    assert kabupaten.last_outcome == "assistance:approve"
    kabupaten.send("/bantuan")  # approved, not yet verified: nothing to disburse yet
    assert kabupaten.last().text == t(P.ASSISTANCE_NONE)

    korwil.send("/bantuan")
    assert t(P.NOT_VERIFIED_YET) in korwil.last(t(P.ASSISTANCE_TITLE, count=1)).text
    korwil.press(t(P.BUTTON_VERIFY, id=1))
    assert korwil.last_outcome == "assistance:verify"
    kabupaten.send("/bantuan")
    kabupaten.press(t(P.BUTTON_DISBURSED, id=1))
    assert kabupaten.last_outcome == "assistance:disburse"
    assert "Bantuan dana personal" in pendamping.last(t(ASSISTANCE_STATUS["disbursed"])).text  # the pendamping hears

    pendamping.send("/bantuan")
    pendamping.press(t(P.BUTTON_REPORT, id=1))
    assert pendamping.last().text == t(P.ASSISTANCE_RECEIPT_ASK, id=1, programme="Bantuan dana personal", name="Ahmad Fauzi")
    stored_id = send_receipt(chat, pendamping, tmp_path)
    assert pendamping.last_outcome == "assistance:report"
    with chat.db.read() as session:
        row = session.scalars(select(Assistance)).one()
        kept = session.get(StoredFile, stored_id)
        assert kept is not None
    assert (row.status, row.receipt_file_id) == ("reported", stored_id)
    assert RECEIPT not in Path(kept.path).read_bytes() and read_kept_file(chat.db, kept) == RECEIPT  # encrypted at rest
    assert [h.event for h in committed(chat.db, case_history, case.id) if h.subject == "assistance"] == [
        "proposed", "approved", "verified", "disbursed", "reported"]

    kabupaten.send("/penerima")
    listing = kabupaten.last(t(P.RECIPIENTS_READY, year="2026", region="Kabupaten Pekalongan", count=1))
    assert listing.document is not None
    sheet = load_workbook(io.BytesIO(listing.document[1])).worksheets[0]
    header = [c.value for c in sheet[1]]
    row_values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row_values["NAMA"] == "Ahmad Fauzi" and row_values["LAPORAN PENGGUNAAN"] == "Ya" and row_values["JUMLAH (RP)"] == 500000
    kabupaten.send("/rekap")
    assert "Bantuan dana personal: 1" in kabupaten.last("Bantuan:").text


def test_refusals_by_role_area_and_bad_input(chat: Chat, tmp_path: Path) -> None:
    pendamping = chat.member(9101, "Mbak Rina", Role.PENDAMPING, KAJEN)
    kades = chat.member(9102, "Bu Kades", Role.TIM_DESA, KUTOROJO)
    korwil = chat.member(9103, "Pak Korwil", Role.TIM_KECAMATAN, KAJEN)
    far = chat.member(9104, "Tim Purworejo", Role.TIM_KABUPATEN, PURWOREJO)
    kabupaten = chat.member(9105, "Bu Kabid", Role.TIM_KABUPATEN, PEKALONGAN)
    case = case_at(chat.db, "Budi", KUTOROJO, "school_chosen", pendamping_id=pendamping.person_id)
    case_at(chat.db, "Sari", BRENGGONG, "back_in_school")

    pendamping.send(f"/bantuan {case.reference} beasiswa")
    assert pendamping.last().text.startswith("✗ " + t('"{programme}" is not a programme of this kabupaten: {programmes}.',
                                                      programme="beasiswa", programmes="personal, bos, kkc, bop, apbdes, csr, baznas"))
    pendamping.send(f"/bantuan {case.reference} csr lima ratus")
    assert pendamping.last().text.startswith("✗ " + t('"{amount}" is not an amount in rupiah (for example 500000).', amount="lima ratus"))
    pendamping.send(f"/bantuan {case.reference} csr 250.000")
    assert pendamping.last_outcome == "assistance:proposed"

    far.send(f"/bantuan {case.reference} personal")  # another kabupaten's case
    assert far.last_outcome == "denied:assistance"
    kades.send("/bantuan")  # a desa team member approves nothing: nothing waits for them
    assert kades.last().text == t(P.ASSISTANCE_NONE)
    kabupaten.send("/bantuan")
    menu = kabupaten.last(t(P.ASSISTANCE_TITLE, count=1))
    kades.press(t(P.BUTTON_APPROVE, id=1), menu)  # nor through the kabupaten's buttons
    assert kades.last_outcome == "stale-button"
    korwil.send("/bantuan")
    assert t(P.BUTTON_APPROVE, id=1) not in korwil.last(t(P.ASSISTANCE_TITLE, count=1)).button_texts()

    kabupaten.press(t(P.BUTTON_NOT_APPROVE, id=1), menu)
    assert kabupaten.last().text == t(P.ASSISTANCE_NOTE_ASK, id=1)
    kabupaten.send("Sudah menerima KIP")
    with chat.db.read() as session:
        assert session.scalars(select(Assistance.status)).all() == ["refused"]
        denied = {d.detail["action"] for d in session.scalars(select(AuditLog).where(AuditLog.action == "access.denied"))}
    assert denied == {"assistance"}
    pendamping.send("/bantuan")  # nothing disbursed to report on
    assert pendamping.last().text == t(P.ASSISTANCE_NONE)
    pendamping.send("/penerima")
    assert pendamping.last_outcome == "denied:recipients"

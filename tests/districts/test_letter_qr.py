"""The QR code on the parent's letters opens the bot on that case, for the family only (issue 19, item 9)."""

from __future__ import annotations

import re
import zlib

from bot import texts as T
from cases import service
from core.i18n import translator
from storage.models import Role
from tests.cases.pdftext import pdf_text
from tests.districts.chat import Chat, fill, submit
from tests.districts.conftest import KAJEN, KUTOROJO, answers
from tests.districts.helpers import case_at
from tests.uow import committed

t = translator("id")


def inflated(pdf: bytes) -> bytes:
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            parts.append(stream)
    return b"\n".join(parts)


def test_the_letters_carry_a_qr_code_that_opens_the_case_for_the_parent_only(chat: Chat) -> None:
    pendamping = chat.member(6001, "Mbak Rina", Role.PENDAMPING, KAJEN)
    case = case_at(chat.db, "Ahmad Fauzi", KUTOROJO, "accompanied", pendamping_id=pendamping.person_id)
    parent = chat.member(6002, "Ibu Siti")
    parent.send("/start " + committed(chat.db, service.invite_parent, case.id, pendamping.person_id))
    parent.press(t(T.FILL_STATEMENT))
    if any(t(T.CONSENT_ALL) in m.button_texts() for m in parent.inbox[-2:]):
        parent.press(t(T.CONSENT_ALL))
    fill(parent, "kesediaan", answers("kesediaan", C_6=None))
    submit(parent)
    [(name, pdf)] = parent.documents()
    assert name.startswith("surat-pernyataan-")
    link = f"https://t.me/ats_bot?start=kasus-{case.reference}"
    assert b"/Subtype /Image" in pdf  # the QR code
    assert link in " ".join(pdf_text(inflated(pdf)).split()).replace(" ", "")  # and the link beside it

    parent.send(f"/start kasus-{case.reference}")  # scanning it opens the child's summary
    assert parent.last_outcome == "case-link" and case.reference in parent.last().text
    stranger = chat.member(6003, "Orang lain")
    stranger.send(f"/start kasus-{case.reference}")  # a photo of the letter grants nothing
    assert stranger.last_outcome == "denied:open_case_link" and case.reference not in stranger.last().text
    other_pendamping = chat.member(6004, "Mas Joko", Role.PENDAMPING, KAJEN)
    other_pendamping.send(f"/start kasus-{case.reference}")
    assert other_pendamping.last_outcome == "denied:open_case_link"

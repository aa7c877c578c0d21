"""Untrusted spreadsheets: a zip bomb is refused from the zip's declared sizes before anything is inflated;
rows, columns and size are limited; every rejection is audited and writes nothing else."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from reports import import_check
from reports import messages as M
from reports.imports import import_file
from reports.tables import Limits, read_sheets
from storage.db import Database
from storage.models import AuditLog
from tests.reports.conftest import KABUPATEN, TODAY, People
from tests.reports.test_imports import GOOD, counts, row, xlsx

SHEET = "xl/worksheets/sheet1.xml"


def bomb(sheet_megabytes: int = 30) -> bytes:
    """A real workbook whose sheet XML inflates from a few kilobytes to ``sheet_megabytes`` MB."""
    base = zipfile.ZipFile(io.BytesIO(xlsx(GOOD)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            if info.filename != SHEET:
                archive.writestr(info, base.read(info.filename))
                continue
            with archive.open(SHEET, "w", force_zip64=True) as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                filler = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
                for _ in range(sheet_megabytes * 1000):
                    sheet.write(filler)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def rejections(db: Database) -> list[dict]:
    with db.read() as session:
        return [a.detail for a in session.scalars(select(AuditLog).where(AuditLog.action == "import.rejected"))]


def test_zip_bomb_is_refused_before_inflating(db: Database, world: People, monkeypatch: pytest.MonkeyPatch) -> None:
    content = bomb()
    assert len(content) < 1_000_000
    opened: list[str] = []
    real_open = zipfile.ZipFile.open
    def open_member(archive: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(name))
        return real_open(archive, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", open_member)
    before = counts(db)
    report = import_file(db, content, "daftar.xlsx", actor_id=world.kabupaten_team, region_scope=KABUPATEN, today=TODAY)
    assert report.rejected and report.errors[0].message.id == M.IMPORT_ZIP_BOMB
    assert "xl/worksheets/sheet1.xml" in str(report.errors[0].message)
    assert opened == []  # refused from the declared sizes: nothing inflated, so nothing parsed
    assert counts(db) == before
    assert [d["reason"] for d in rejections(db)] == [M.IMPORT_ZIP_BOMB]


def test_total_size_and_row_limits(db: Database, world: People, monkeypatch: pytest.MonkeyPatch) -> None:
    small = Limits(max_bytes=20_000)
    report = import_file(db, xlsx(GOOD * 20), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, limits=small)
    assert report.errors[0].message.id == M.IMPORT_TOO_LARGE
    few = Limits(max_rows=4)
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, limits=few)
    assert report.errors[0].message.id == M.IMPORT_TOO_MANY_ROWS and "4" in str(report.errors[0].message)
    csv_content = ("NAMA LENGKAP,DESA\n" + "Ani,Klesem\n" * 5).encode()
    report = import_file(db, csv_content, "do.csv", actor_id=None, region_scope=KABUPATEN, today=TODAY, limits=few)
    assert report.errors[0].message.id == M.IMPORT_TOO_MANY_ROWS
    narrow = Limits(max_columns=10)
    report = import_file(db, xlsx(GOOD), "do.xlsx", actor_id=None, region_scope=KABUPATEN, today=TODAY, limits=narrow)
    assert report.errors[0].message.id == M.IMPORT_TOO_MANY_COLUMNS
    assert counts(db) == (0, 0, 0) and len(rejections(db)) == 4


def test_inflation_is_capped_while_reading() -> None:
    """Even within the declared sizes, the members inflated together never exceed the budget."""
    content = xlsx([row(NO=n, **{"NAMA LENGKAP": f"Anak {n}"}) for n in range(300)])
    sizes = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    limits = Limits(max_bytes=sizes)  # the declared total passes...
    assert sum(1 for sheet in read_sheets(content, "x.xlsx", limits) for _ in sheet) == 302
    from reports.tables import TableRefused, _Capped

    budget = [100]
    capped = io.BufferedReader(_Capped(io.BytesIO(b"x" * 1000), budget, Limits(max_bytes=100)))
    with pytest.raises(TableRefused):
        capped.read()


def test_xlsx_reader_reads_what_excel_writes(tmp_path: object) -> None:
    """Shared strings, inline strings, numbers, dates by style, booleans, gaps, several sheets."""
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    first = book.worksheets[0]
    first.title = "Catatan"
    first.append(["hanya catatan"])
    sheet = book.create_sheet("Data")
    sheet.append(["NAMA", "TANGGAL", "ANGKA", "YA"])
    sheet.append(["Ani", dt.datetime(2012, 7, 5), 3326014507120001, True])
    sheet["A5"] = "setelah baris kosong"
    buffer = io.BytesIO()
    book.save(buffer)
    sheets = [list(s) for s in read_sheets(buffer.getvalue(), "x.xlsx")]
    assert sheets[0] == [(1, ["hanya catatan"])]
    assert sheets[1] == [(1, ["NAMA", "TANGGAL", "ANGKA", "YA"]), (2, ["Ani", dt.datetime(2012, 7, 5), 3326014507120001, True]),
                         (5, ["setelah baris kosong"])]
    assert import_check.excel_damaged(sheets[1][1][1][2])  # a NIK typed into a number cell

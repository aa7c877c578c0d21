"""The streaming XLSX writer's workbook opens in openpyxl (as Excel would) with every value and type kept."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from reports.xlsx_stream import XlsxWriter


def test_values_types_and_sheets_survive_a_round_trip() -> None:
    out = io.BytesIO()
    book = XlsxWriter(out)
    rows = [
        ["Siti & <Aminah>", 12, 2.5, True, dt.date(2012, 7, 5), dt.datetime(2026, 11, 23, 10, 30, 15), None, "  spaced  "],
        ["=HYPERLINK(\"http://x\")", -3, 0.0, False, None, None, {"a": [1, 2]}, "bell\x07gone"],
    ]
    assert book.add_sheet("Format Pendataan ATS", ["NAMA", "N", "X", "B", "TANGGAL", "WAKTU", "KOSONG", "TEKS"], iter(rows)) == 2
    assert book.add_sheet('Riwayat "Status"', ["NO KASUS"], []) == 0
    book.close()
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["Format Pendataan ATS", 'Riwayat "Status"']
    sheet = workbook["Format Pendataan ATS"]
    assert [c.value for c in sheet[1]] == ["NAMA", "N", "X", "B", "TANGGAL", "WAKTU", "KOSONG", "TEKS"]
    assert all(c.font.b for c in sheet[1])
    first, second = ([c.value for c in sheet[n]] for n in (2, 3))
    assert first == ["Siti & <Aminah>", 12, 2.5, True, dt.datetime(2012, 7, 5), dt.datetime(2026, 11, 23, 10, 30, 15), None,
                     "  spaced  "]
    assert sheet["E2"].number_format == "DD/MM/YYYY"
    assert second == ['=HYPERLINK("http://x")', -3, 0, False, None, None, '{"a": [1, 2]}', "bellgone"]
    assert sheet["A3"].data_type == "s"  # text, never a formula
    assert workbook['Riwayat "Status"'].max_row == 1


def test_an_empty_workbook_still_opens() -> None:
    out = io.BytesIO()
    XlsxWriter(out).close()
    assert load_workbook(io.BytesIO(out.getvalue())).sheetnames == ["Sheet"]

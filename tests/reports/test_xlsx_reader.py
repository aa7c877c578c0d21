"""The streaming XLSX reader yields what openpyxl's read-only mode yields, for workbooks written by openpyxl,
LibreOffice and in Excel's own form (shared strings with rich text, inline strings, numbers, dates in both date
systems, booleans, formulas' cached values, gaps, several sheets), by its fast path and by ElementTree alike;
each limit refuses, and a damaged file is a friendly refusal, never a traceback."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from core.i18n import translator
from reports import import_check, tables
from reports import messages as M
from reports.tables import Limits, TableRefused, read_sheets

FIXTURES = Path(__file__).parents[1] / "fixtures" / "xlsx"
DEFAULT = Limits()
Sheets = list[list[tuple[int, list[Any]]]]


def ours(content: bytes | Path, limits: Limits = DEFAULT) -> Sheets:
    return [list(sheet) for sheet in read_sheets(content, "daftar.xlsx", limits)]


def by_tree(content: bytes | Path) -> Sheets:
    """The same reader with the regular expressions switched off: every sheet and the shared strings through
    ElementTree."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tables, "_PROLOG", {"worksheet": re.compile(r"(?!)"), "sst": re.compile(r"(?!)")})
        return ours(content)


def openpyxl_reads(content: bytes | Path) -> Sheets:
    """openpyxl's read-only mode, shaped like the reader's rows (an error cell is an empty cell to an import)."""
    book = load_workbook(content if isinstance(content, Path) else io.BytesIO(content), read_only=True, data_only=True)
    sheets: Sheets = []
    for sheet in book.worksheets:
        sheet.reset_dimensions()
        rows = []
        for row in sheet.iter_rows():
            values: list[Any] = []
            line = 0
            for cell in row:
                if getattr(cell, "value", None) is None or cell.data_type == "e":
                    continue
                line, index = int(cell.row or 0), int(cell.column or 0) - 1
                values.extend([None] * (index + 1 - len(values)))
                values[index] = cell.value
            if values:
                rows.append((line, values))
        sheets.append(rows)
    book.close()
    return sheets


def typed(sheets: Sheets) -> list[list[tuple[int, list[tuple[type, Any]]]]]:
    """Values with their types: 1 == 1.0 == True, but a NIK that arrives as a float is not one that arrives as an int."""
    return [[(line, [(type(v), v) for v in values]) for line, values in rows] for rows in sheets]


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- workbooks in Excel's own form, and in the unusual forms the XML allows ------------------------------------------
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def package(sheets: list[str | bytes] | list[str] | list[bytes], *, shared: str = "", styles: str = "", date1904: bool = False, prefix: str = "") -> bytes:
    """An XLSX made of the given sheet XML (Excel writes the parts the same way, with more decoration)."""
    x = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-'
                            f'officedocument.spreadsheetml.worksheet+xml"/>' for n in range(1, len(sheets) + 1))
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' + overrides +
            ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
             'sharedStrings+xml"/>' if shared else "") +
            ('<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
             'styles+xml"/>' if styles else "") + "</Types>"))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{OFFICE_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        names = "".join(f'<{x}sheet name="Lembar{n}" sheetId="{n}" r:id="rId{n}"/>' for n in range(1, len(sheets) + 1))
        system = ' date1904="1"' if date1904 else ""
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><{x}workbook {ns} xmlns:r="{OFFICE_REL}">'
            f'<{x}workbookPr{system}/><{x}sheets>{names}</{x}sheets></{x}workbook>'))
        rels = "".join(f'<Relationship Id="rId{n}" Type="{OFFICE_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                       for n in range(1, len(sheets) + 1))
        rels += f'<Relationship Id="rId90" Type="{OFFICE_REL}/sharedStrings" Target="sharedStrings.xml"/>' if shared else ""
        rels += f'<Relationship Id="rId91" Type="{OFFICE_REL}/styles" Target="styles.xml"/>' if styles else ""
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>"))
        for n, sheet in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", sheet)
        if shared:
            archive.writestr("xl/sharedStrings.xml", shared)
        if styles:
            archive.writestr("xl/styles.xml", styles)
    return out.getvalue()


EXCEL_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{MAIN}"><numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/><numFmt numFmtId="165" formatCode="[h]:mm:ss"/></numFmts>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/>'
    '<xf numFmtId="165" applyNumberFormat="1"/><xf numFmtId="49" applyNumberFormat="1"/></cellXfs></styleSheet>')

EXCEL_SHARED = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}" count="6" uniqueCount="6">'
    "<si><t>NAMA LENGKAP</t></si><si><t>TANGGAL LAHIR</t></si><si><t>NIK</t></si>"
    '<si><r><rPr><b/><sz val="11"/></rPr><t>Siti</t></r><r><rPr><sz val="11"/></rPr><t xml:space="preserve"> Aminah</t></r>'
    '<rPh sb="0" eb="4"><t>シティ</t></rPh></si>'
    '<si><t xml:space="preserve">  Budi &amp; &lt;Eko&gt; </t></si><si><t>Dukuh\nBaru</t></si></sst>')


def excel_sheet(rows: str, *, prefix: str = "") -> str:
    x = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<{x}worksheet {ns} xmlns:r="{OFFICE_REL}" '
            'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" '
            'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
            f'<{x}dimension ref="A1:F9"/><{x}sheetViews><{x}sheetView workbookViewId="0"/></{x}sheetViews>'
            f'<{x}sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><{x}sheetData>{rows}</{x}sheetData>'
            f'<{x}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></{x}worksheet>')


EXCEL_ROWS = (
    '<row r="1" spans="1:6" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s">'
    '<v>2</v></c></row>'
    '<row r="2" spans="1:6" x14ac:dyDescent="0.25"><c r="A2" t="s"><v>3</v></c><c r="B2" s="2"><v>40730</v></c>'
    '<c r="C2" s="4"><v>3326014507120001</v></c><c r="D2" s="3"><v>1.5</v></c><c r="E2" t="b"><v>1</v></c>'
    '<c r="F2" t="e"><v>#N/A</v></c></row><row r="3" spans="1:6"/>'
    '<row r="4" spans="1:6" x14ac:dyDescent="0.25"><c r="A4" t="s"><v>4</v></c><c r="B4" s="1"><v>0.5</v></c>'
    '<c r="C4" t="str"><f>"33"&amp;"26"</f><v>3326</v></c><c r="D4"><f t="shared" ref="D4:D5" si="0">C4*2</f><v>6652</v></c>'
    '<c r="F4" t="s"><v>5</v></c></row>'
    '<row r="5"><c r="D5"><f t="shared" si="0"/><v>6652.5</v></c>'
    '<c r="E5" t="inlineStr"><is><r><t>ka</t></r><r><rPr><i/></rPr><t>ya</t></r></is></c><c r="AB5"><v>3.32601450712E+15</v></c></row>'
    # Forms other writers use: attributes in another order or quoted with ', no references, entities, CDATA,
    # line breaks inside the text, an ISO date cell, pretty-printing.
    "<row r='6'><c s='2' r='A6'><v>1</v></c><c r=\"B6\" t=\"str\"><v>A&amp;B &#233;</v></c></row>"
    '<row><c t="inlineStr"><is><t><![CDATA[a<1 & c]]></t></is></c><c/><c t="n"><v>7</v></c></row>'
    '<row r="8">\r\n  <c r="A8" t="inlineStr"><is><t>baris\r\nbaru</t></is></c>\r\n  <c r="B8" t="d"><v>2012-07-05T10:30:00</v></c>\r\n'
    '  <c r="C8" t="inlineStr"><is><t/></is></c><c r="D8" t="inlineStr"/><c r="E8"><v></v></c></row>'
    '<row r="9"><c r="A9" t="b"><v>0</v></c><c r="B9" s="3"><v>2.25</v></c><c r="C9" s="1"><v>1</v></c></row>')


def excel_like(*, date1904: bool = False) -> bytes:
    comments = excel_sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row><!-- a note --><row r="2"><c r="A2"><v>2</v></c>'
                           '<c r="B2" t="inlineStr"><is><t>x</t></is></c></row><?pi data?><row r="3"><c r="A3"><v>3</v></c></row>')
    return package([excel_sheet(EXCEL_ROWS), excel_sheet(re.sub(r"<(/?)(?=[a-z])", r"<\1x:", EXCEL_ROWS), prefix="x"), comments],
                   shared=EXCEL_SHARED, styles=EXCEL_STYLES, date1904=date1904)


def test_excel_form_and_unusual_xml_read_as_openpyxl_reads_them() -> None:
    for date1904 in (False, True):
        content = excel_like(date1904=date1904)
        expected = openpyxl_reads(content)
        assert typed(ours(content)) == typed(expected)
        assert typed(by_tree(content)) == typed(expected)
    sheets = ours(excel_like())
    first = dict(sheets[0])
    assert first[2][:5] == ["Siti Aminah", dt.datetime(2011, 7, 6), 3326014507120001, dt.timedelta(days=1.5), True]
    assert len(first[2]) == 5  # the #N/A error is an empty cell
    assert first[4] == ["  Budi & <Eko> ", dt.time(12), "3326", 6652, None, "Dukuh\nBaru"]
    assert first[5][3:5] == [6652.5, "kaya"] and first[5][27] == 3.32601450712e15 and import_check.excel_damaged(first[5][27])
    assert first[6] == [dt.datetime(1900, 1, 1), "A&B é"]
    assert first[7] == ["a<1 & c", None, 7]  # no references: each cell is the one after the previous cell
    assert first[8] == ["baris\nbaru", dt.datetime(2012, 7, 5, 10, 30), ""]
    assert sheets[1] == sheets[0]  # a namespace prefix changes nothing
    assert sheets[2] == [(1, ["NAMA LENGKAP"]), (2, [2, "x"]), (3, [3])]
    assert dict(ours(excel_like(date1904=True))[0])[2][1] == dt.datetime(2015, 7, 7)


@pytest.mark.parametrize("name", ["libreoffice-from-csv.xlsx", "libreoffice-formulas.xlsx"])
def test_libreoffice_workbooks_read_as_openpyxl_reads_them(name: str) -> None:
    path = FIXTURES / name
    expected = openpyxl_reads(path)
    assert typed(ours(path)) == typed(expected)
    assert typed(by_tree(path)) == typed(expected)
    assert typed(ours(path.read_bytes())) == typed(expected)


def test_libreoffice_values_as_an_import_needs_them() -> None:
    from_csv = dict(ours(FIXTURES / "libreoffice-from-csv.xlsx")[0])
    assert from_csv[2][:5] == [1, 3326014507120000, "Budi & Sons", "Pekalongan", dt.datetime(2009, 2, 11)]
    assert import_check.excel_damaged(from_csv[2][1])  # LibreOffice, like Excel, keeps 15 digits of a NIK typed as a number
    assert from_csv[5][2] == "Ñoño Ünal" and from_csv[5][4] == "14/05/2012" and from_csv[8][6] == "Dukuh 7\nBlok 7"
    notes, data, repeat = ours(FIXTURES / "libreoffice-formulas.xlsx")
    assert notes == [(1, ["Daftar ATS"]), (3, [None, True])]
    assert dict(data)[5] == [4, 3326014507120000, "Ñoño Ünal", "Pekalongan", dt.datetime(2010, 1, 4), "P", 10, 2010, None, "Kaya teks"]
    assert repeat == [(1, ["NAMA LENGKAP", "DESA"]), (2, ["Siti Aminah", "Bodas"])]


@pytest.mark.parametrize(("chunk", "pending"), [(1, 10_000), (7, 300), (64, 50)])
def test_any_cut_between_chunks_reads_the_same(chunk: int, pending: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows, tags and multi-byte characters cut where the megabyte chunks end, and rows longer than the pending
    limit (handed to ElementTree from there), give the same values."""
    book = Workbook()
    sheet: Any = book.active
    for n in range(40):
        sheet.append([n, f"Ñoño {n} 😀", None, 3326014507120000 + n, dt.datetime(2010, 1, 1 + n % 28), n % 2 == 0, "x" * (n * 7)])
    workbooks = [saved(book), excel_like(), (FIXTURES / "libreoffice-formulas.xlsx").read_bytes()]
    expected = [typed(openpyxl_reads(content)) for content in workbooks]
    monkeypatch.setattr(tables, "_CHUNK", chunk)
    monkeypatch.setattr(tables, "_MAX_PENDING", pending)
    assert [typed(ours(content)) for content in workbooks] == expected


# -- random workbooks written by openpyxl ---------------------------------------------------------------------------
TEXT = st.text(st.characters(blacklist_categories=["Cs"]) | st.sampled_from(list("&<>\"' \n\t;=#")), max_size=12).map(
    lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)).filter(lambda s: not s.startswith(("=", "#")))
VALUES = st.one_of(
    st.none(), TEXT, st.integers(-(10**17), 10**17), st.floats(allow_nan=False, allow_infinity=False, width=64), st.booleans(),
    st.datetimes(dt.datetime(1905, 1, 1), dt.datetime(2099, 12, 31)).map(lambda d: d.replace(microsecond=0)),
    st.dates(dt.date(1905, 1, 1), dt.date(2099, 12, 31)), st.times().map(lambda t: t.replace(microsecond=0)),
    st.timedeltas(dt.timedelta(0), dt.timedelta(days=999)).map(lambda d: dt.timedelta(seconds=int(d.total_seconds()))),
    st.sampled_from(["=1+1", "=A1&\"x\""]),
    st.builds(lambda a, b: CellRichText([TextBlock(InlineFont(b=True), a), b]), TEXT.filter(bool), TEXT.filter(bool)),
)
SHEET = st.dictionaries(st.tuples(st.integers(1, 40), st.integers(1, 60)), VALUES, max_size=60)


def with_shared_strings(content: bytes) -> bytes:
    """The workbook with its inline strings moved to a shared strings table, as Excel and LibreOffice keep them
    (openpyxl writes inline strings)."""
    table: dict[str, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = table.setdefault(match.group(3).decode(), len(table))
        return match.group(1) + b't="s"' + match.group(2) + f"><v>{index}</v></c>".encode()

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'(<c [^>]*?)t="inlineStr"([^>]*?)><is>(.*?)</is></c>', shared, data)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdS" Type="{OFFICE_REL}/sharedStrings" '
                                    'Target="sharedStrings.xml"/></Relationships>'.encode())
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                                    b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            archive.writestr(info, data)
        items = "".join(f"<si>{text}</si>" for text in table)
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}" uniqueCount="{len(table)}">{items}</sst>')
    return out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets=st.lists(SHEET, min_size=1, max_size=3), write_only=st.booleans(), date1904=st.booleans(), shared=st.booleans())
def test_random_workbooks_read_as_openpyxl_reads_them(sheets: list[dict[tuple[int, int], Any]], write_only: bool,
                                                      date1904: bool, shared: bool) -> None:
    book = Workbook(write_only=write_only)
    if date1904:
        book.epoch = CALENDAR_MAC_1904
    if not write_only:
        book.remove(book.active)  # type: ignore[arg-type]
    for cells in sheets:
        sheet: Any = book.create_sheet()
        if write_only:
            for line in range(1, max((r for r, _ in cells), default=0) + 1):
                row = {c: v for (r, c), v in cells.items() if r == line}
                sheet.append([row.get(c) for c in range(1, max(row, default=0) + 1)])
        else:
            for (line, column), value in cells.items():
                sheet[f"{get_column_letter(column)}{line}"] = value
    content = saved(book)
    if shared:
        content = with_shared_strings(content)
    expected = openpyxl_reads(content)
    assert typed(ours(content)) == typed(expected)
    assert typed(by_tree(content)) == typed(expected)


# -- limits -----------------------------------------------------------------------------------------------------------
def lampiran(rows: int, columns: int = 5) -> bytes:
    book = Workbook()
    sheet: Any = book.active
    for n in range(rows):
        sheet.append([f"teks {n} {c}" for c in range(columns)])
    return saved(book)


def refusal(content: bytes, limits: Limits = DEFAULT) -> str:
    with pytest.raises(TableRefused) as refused:
        ours(content, limits)
    return refused.value.message


def test_each_limit_refuses() -> None:
    content = lampiran(20)
    assert refusal(content, Limits(max_rows=18)) == M.IMPORT_TOO_MANY_ROWS
    assert len(ours(content, Limits(max_rows=19))[0]) == 20  # the header row is not counted
    assert refusal(content, Limits(max_columns=4)) == M.IMPORT_TOO_MANY_COLUMNS
    assert refusal(content, Limits(max_cells=99)) == M.IMPORT_TOO_MANY_CELLS
    assert len(ours(content, Limits(max_cells=100))[0]) == 20
    strings = excel_like()  # six shared strings, 64 characters
    assert refusal(strings, Limits(max_strings=5)) == M.IMPORT_TOO_MANY_STRINGS
    assert refusal(strings, Limits(max_string_chars=63)) == M.IMPORT_TOO_MANY_STRINGS
    assert ours(strings, Limits(max_strings=6, max_string_chars=64)) == ours(strings)
    assert refusal(content, Limits(max_bytes=5_000)) == M.IMPORT_TOO_LARGE
    assert refusal(content, Limits(max_members=5)) == M.IMPORT_UNREADABLE
    several = package([excel_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')] * 3)
    assert refusal(several, Limits(max_sheets=2)) == M.IMPORT_TOO_MANY_SHEETS
    assert len(ours(several, Limits(max_sheets=3))) == 3
    wide = package([excel_sheet('<row r="1">' + '<c t="inlineStr"><is><t>x</t></is></c>' * 16_385 + "</row>")])
    assert refusal(wide, Limits(max_columns=20_000)) == M.IMPORT_TOO_MANY_COLUMNS  # Excel's 16,384 columns at most
    long_text = package([excel_sheet(f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"x" * 40_000}</t></is></c></row>')])
    assert ours(long_text) == [[(1, ["x" * 32_767])]]  # Excel's own limit for a cell


@pytest.mark.parametrize("where", ["sheet", "shared strings"])
def test_one_huge_text_is_refused_before_it_is_built(where: str) -> None:
    """A cell of 64 MB of text (within the total size, the inflation ratio allowed): refused once 16 MB of it have
    no end, without the text ever being held whole."""
    import tracemalloc

    huge = "A" * (64 << 20)
    if where == "sheet":
        content = package([excel_sheet(f'<row r="1"><c r="A1" t="inlineStr"><is><t>{huge}</t></is></c></row>')])
    else:
        content = package([excel_sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')], shared=f'<sst xmlns="{MAIN}"><si><t>{huge}</t></si></sst>')
    del huge
    tracemalloc.start()
    try:
        assert refusal(content, Limits(max_ratio=10**6)) == M.IMPORT_UNREADABLE
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 << 20, peak


def test_memory_stays_flat_while_rows_stream() -> None:
    """40 MB of sheet XML (30,000 rows of 25 cells, inline strings) read within a few megabytes: a megabyte of XML
    at a time, one row at a time."""
    import tracemalloc

    cells = "".join(f'<c r="{get_column_letter(c)}{{n}}" t="inlineStr"><is><t>teks {{n}} nomor {c}</t></is></c>' for c in range(1, 26))
    rows = "".join(f'<row r="{n}">' + cells.format(n=n) + "</row>" for n in range(1, 30_001))
    content = package([excel_sheet(rows)])
    del rows
    tracemalloc.start()
    try:
        count = sum(1 for sheet in read_sheets(content, "daftar.xlsx", Limits(max_ratio=1000)) for _ in sheet)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < 12 << 20, peak


def zip_with_lying_sizes(content: bytes, member: str, declared: int) -> bytes:
    """The archive with ``member``'s uncompressed size in its central directory changed to ``declared``."""
    data = bytearray(content)
    name = member.encode()
    at = data.rfind(b"PK\x01\x02" + b"", 0, data.rfind(name))
    while data[at + 46 : at + 46 + len(name)] != name:
        at = data.rfind(b"PK\x01\x02", 0, at)
    data[at + 24 : at + 28] = declared.to_bytes(4, "little")
    return bytes(data)


def test_a_lying_zip_header_does_not_inflate_more() -> None:
    """A bomb whose directory declares a small sheet passes the declared-size check, but the zip module stops at
    the declared size and the CRC then refuses it: the real 40 MB are never inflated."""
    sheet = io.BytesIO()
    with zipfile.ZipFile(sheet, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", excel_sheet('<row><c t="inlineStr"><is><t>' + "A" * 1000 + "</t></is></c></row>" * 40_000))
    real = package([excel_sheet("")])
    with zipfile.ZipFile(io.BytesIO(real)) as source, zipfile.ZipFile(out := io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, source.read(info))
        archive.writestr("xl/worksheets/sheet1.xml", zipfile.ZipFile(sheet).read("xl/worksheets/sheet1.xml"))
    lying = zip_with_lying_sizes(out.getvalue(), "xl/worksheets/sheet1.xml", 100_000)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(lying)).infolist()) < 200_000
    started = time.process_time()
    assert refusal(lying) == M.IMPORT_UNREADABLE
    assert time.process_time() - started < 1


# -- damaged files --------------------------------------------------------------------------------------------------
def zip_of(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


DAMAGED = {
    "not a zip": b"NAMA LENGKAP;DESA\nAni;Bodas\n" * 3,
    "zip without workbook": zip_of({"a.txt": "x"}),
    "truncated zip": lampiran(5)[:900],
    "sheet cut short": package([excel_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')[:-60]]),
    "sheet cut in its rows": package([excel_sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>')
                                      .split('<row r="2">')[0] + '<row r="2"><c r="A2"><v>']),
    "not XML": package(["this is not xml <row>"]),
    "bad number": package([excel_sheet('<row r="1"><c r="A1"><v>12abc</v></c></row>')]),
    "bad number, other form": package([excel_sheet("<row r='1'><c r='A1'><v>nan</v></c></row>")]),
    "bad ISO date": package([excel_sheet('<row r="1"><c r="A1" t="d"><v>kemarin</v></c></row>')]),
    "bad UTF-8": package([excel_sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>BAD</t></is></c></row>').encode().replace(b"BAD", b"\xff\xfe")]),
    "damaged shared strings": package([excel_sheet("")], shared="<sst><si><t>x</sst>"),
    "undefined entity": package([excel_sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>')]),
}


@pytest.mark.parametrize("name", list(DAMAGED))
def test_a_damaged_file_is_a_friendly_refusal(name: str) -> None:
    content = DAMAGED[name]
    with pytest.raises(TableRefused) as refused:
        for sheet in read_sheets(content, "daftar.xlsx"):
            for _ in sheet:
                pass
    assert refused.value.message == M.IMPORT_UNREADABLE
    for language in ("id", "en", "jv"):
        assert "{" not in translator(language)(refused.value.message, **refused.value.params)
    assert translator("id")(M.IMPORT_UNREADABLE, error="x") != M.IMPORT_UNREADABLE.format(error="x")

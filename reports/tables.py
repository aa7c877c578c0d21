"""Reading a spreadsheet someone sent (XLSX or CSV) as a stream of rows, within limits.

A list may come from anyone with a kabupaten role, by chat or on the command line, so the file is untrusted:
an XLSX is a zip, and a small zip can inflate to gigabytes of XML (a "zip bomb"). Before anything is parsed,
the zip's declared sizes are checked (total and per-member inflation ratio); while parsing, every member is
inflated through a counter that stops at the cap; rows, columns and cells are counted and refused past their
limits. Memory stays flat: rows are yielded one by one, nothing keeps the sheet.

The XLSX reader is the standard library's C XML parser over the sheet XML (shared strings, inline strings,
booleans, date styles). openpyxl's read-only mode reads the same files several times slower: at 100,000 rows
it dominated an import.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel

from reports import messages as M

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COLUMN = re.compile(r"[A-Z]+")


@dataclass(frozen=True)
class Limits:
    """What an import accepts. The defaults hold a 200,000-row Lampiran 2 list with room to spare."""

    max_rows: int = 200_000
    max_columns: int = 200
    max_cells: int = 10_000_000
    max_bytes: int = 512 * 1024 * 1024
    """Total uncompressed size (an XLSX's members once inflated; a CSV's size)."""
    max_ratio: int = 100
    """Largest inflation ratio of one zip member bigger than 1 MB (a real sheet compresses 5–20×)."""
    max_cell_chars: int = 32_767
    """Excel's own limit for a cell."""


class TableRefused(ValueError):
    """The file is refused before or while reading; ``message`` is a message id of :mod:`reports.messages`."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params))
        self.message, self.params = message, params


Source = str | Path | bytes


Rows = Iterator[tuple[int, list[Any]]]


def read_sheets(source: Source, filename: str, limits: Limits = Limits()) -> Generator[Rows, None, None]:
    """The sheets in the workbook's order (a CSV is one sheet), each read lazily as (line number as the
    spreadsheet program shows it, cell values) for every row that has a value (XLSX) or every record (CSV:
    ``,``, ``;`` or tab separated; UTF-8 or Windows-1252)."""
    if _is_zip(source, filename):
        yield from _xlsx_sheets(source, limits)
    else:
        yield _csv_rows(source, limits)


def _is_zip(source: Source, filename: str) -> bool:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return True
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:2]) == b"PK"
    with open(source, "rb") as handle:
        return handle.read(2) == b"PK"


def _open(source: Source) -> IO[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source)
    return open(source, "rb")


# -- XLSX ---------------------------------------------------------------------------------------------------------
class _Capped(io.RawIOBase):
    """A member of the zip, inflated chunk by chunk; past the budget shared by all members it refuses."""

    def __init__(self, raw: IO[bytes], budget: list[int], limits: Limits) -> None:
        self.raw, self.budget, self.limits = raw, budget, limits

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(min(len(buffer), 1 << 20))
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise TableRefused(M.IMPORT_TOO_LARGE, limit=self.limits.max_bytes // (1024 * 1024))
        buffer[: len(data)] = data
        return len(data)


def _check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse by the declared sizes, before inflating anything (zipfile then holds each member to its size)."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise TableRefused(M.IMPORT_ZIP_BOMB, name=info.filename, ratio=int(ratio))
    if total > limits.max_bytes:
        raise TableRefused(M.IMPORT_TOO_LARGE, limit=limits.max_bytes // (1024 * 1024))


def _xlsx_sheets(source: Source, limits: Limits) -> Iterator[Rows]:
    handle = _open(source)
    try:
        try:
            archive = zipfile.ZipFile(handle)
        except zipfile.BadZipFile as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc
        with archive:
            _check_zip(archive, limits)
            budget = [limits.max_bytes]

            def member(name: str) -> IO[bytes]:
                return io.BufferedReader(_Capped(archive.open(name), budget, limits), 1 << 16)

            names = set(archive.namelist())
            sheets = _sheet_paths(member, names)
            shared = _shared_strings(member, limits) if "xl/sharedStrings.xml" in names else []
            dates = _date_styles(member) if "xl/styles.xml" in names else frozenset()
            for sheet in sheets:
                yield _sheet_rows(member(sheet), shared, dates, limits)
    finally:
        handle.close()


def _sheet_paths(member: Any, names: set[str]) -> list[str]:
    """The paths of the workbook's sheets in its order (through its relationships)."""
    try:
        with member("xl/workbook.xml") as workbook:
            ids = [el.get(REL + "id") for _, el in iterparse(workbook) if el.tag == MAIN + "sheet"]
        with member("xl/_rels/workbook.xml.rels") as rels:
            targets = {el.get("Id"): el.get("Target") or "" for _, el in iterparse(rels) if el.tag == PACKAGE_REL + "Relationship"}
    except (KeyError, SyntaxError) as exc:
        raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc
    paths = []
    for sheet_id in ids:
        target = targets.get(sheet_id, "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if path in names:
            paths.append(path)
    if not paths:
        raise TableRefused(M.IMPORT_UNREADABLE, error="no worksheet")
    return paths


def _text_of(element: Any) -> str:
    """The text of a string item: its ``t`` runs, without phonetic hints (``rPh``)."""
    if (t := element.find(MAIN + "t")) is not None:
        return t.text or ""
    return "".join(r.findtext(MAIN + "t") or "" for r in element.iterfind(MAIN + "r"))


def _shared_strings(member: Any, limits: Limits) -> list[str]:
    strings: list[str] = []
    with member("xl/sharedStrings.xml") as stream:
        for _, element in iterparse(stream):
            if element.tag == MAIN + "si":
                strings.append(_text_of(element)[: limits.max_cell_chars])
                element.clear()
    return strings


def _date_styles(member: Any) -> frozenset[int]:
    """Indexes of the cell styles that show a number as a date."""
    formats = dict(BUILTIN_FORMATS)
    styles: list[int] = []
    with member("xl/styles.xml") as stream:
        in_xfs = False
        for event, element in iterparse(stream, events=("start", "end")):
            if element.tag == MAIN + "numFmt" and event == "end":
                formats[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif element.tag == MAIN + "cellXfs":
                in_xfs = event == "start"
            elif in_xfs and element.tag == MAIN + "xf" and event == "end":
                styles.append(int(element.get("numFmtId", "0")))
    return frozenset(i for i, fmt_id in enumerate(styles) if is_date_format(formats.get(fmt_id, "")))


def _sheet_rows(stream: IO[bytes], shared: list[str], dates: frozenset[int], limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    rows = cells = 0
    line = 0
    with stream:
        for _, element in iterparse(stream):
            if element.tag != MAIN + "row":
                continue
            line = int(element.get("r") or line + 1)
            values: list[Any] = []
            for cell in element:
                value = _cell_value(cell, shared, dates, limits)
                if value is None:
                    continue
                reference = cell.get("r")
                index = column_index_from_string(_COLUMN.match(reference).group(0)) - 1 if reference else len(values)  # type: ignore[union-attr]
                if index >= limits.max_columns:
                    raise TableRefused(M.IMPORT_TOO_MANY_COLUMNS, limit=limits.max_columns)
                values.extend([None] * (index + 1 - len(values)))
                values[index] = value
            element.clear()
            if not values:
                continue
            rows += 1
            cells += len(values)
            if rows > limits.max_rows + 1:  # the header row is not a data row
                raise TableRefused(M.IMPORT_TOO_MANY_ROWS, limit=limits.max_rows)
            if cells > limits.max_cells:
                raise TableRefused(M.IMPORT_TOO_MANY_CELLS, limit=limits.max_cells)
            yield line, values


def _cell_value(cell: Any, shared: list[str], dates: frozenset[int], limits: Limits) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        holder = cell.find(MAIN + "is")
        return _text_of(holder)[: limits.max_cell_chars] if holder is not None else None
    raw = cell.findtext(MAIN + "v")
    if raw is None or raw == "":
        return None
    if kind == "s":
        index = int(raw)
        return shared[index] if 0 <= index < len(shared) else None
    if kind in ("str", "inlineStr"):
        return raw[: limits.max_cell_chars]
    if kind == "b":
        return raw == "1"
    if kind == "e":
        return None
    if kind == "d":
        return dt.datetime.fromisoformat(raw)
    number: float | int = float(raw) if any(c in raw for c in ".eE") else int(raw)
    if dates and int(cell.get("s", "0")) in dates:
        return from_excel(number)
    return number


# -- CSV ----------------------------------------------------------------------------------------------------------
def _encoding(source: Source) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes so, else Windows-1252. Decoded incrementally."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _open(source) as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _csv_rows(source: Source, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    size = len(source) if isinstance(source, (bytes, bytearray, memoryview)) else Path(source).stat().st_size
    if size > limits.max_bytes:
        raise TableRefused(M.IMPORT_TOO_LARGE, limit=limits.max_bytes // (1024 * 1024))
    encoding = _encoding(source)
    with _open(source) as handle:
        text = io.TextIOWrapper(handle, encoding=encoding, newline="")
        sample = text.read(4096)
        text.seek(0)
        delimiter = max((",", ";", "\t"), key=sample.count)
        try:
            reader = csv.reader(text, delimiter=delimiter)
            cells = 0
            for line, row in enumerate(reader, start=1):
                if len(row) > limits.max_columns:
                    raise TableRefused(M.IMPORT_TOO_MANY_COLUMNS, limit=limits.max_columns)
                cells += len(row)
                if line > limits.max_rows + 1:  # the header row is not a data row
                    raise TableRefused(M.IMPORT_TOO_MANY_ROWS, limit=limits.max_rows)
                if cells > limits.max_cells:
                    raise TableRefused(M.IMPORT_TOO_MANY_CELLS, limit=limits.max_cells)
                yield line, list(row)
        except csv.Error as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc


def read_table(source: Source, filename: str, limits: Limits = Limits()) -> list[list[Any]]:
    """The first sheet as a list of rows, empty rows included, so a row's index is its line number − 1."""
    rows: list[list[Any]] = []
    sheets = read_sheets(source, filename, limits)  # kept open (the zip) while the sheet is read
    for line, values in next(sheets, iter(())):
        rows.extend([] for _ in range(line - 1 - len(rows)))
        rows.append(values)
    sheets.close()
    return rows

"""Reading a spreadsheet someone sent (XLSX or CSV) as a stream of rows, within limits.

A list may come from anyone with a kabupaten role, by chat or on the command line, so the file is untrusted:
an XLSX is a zip, and a small zip can inflate to gigabytes of XML (a "zip bomb"). Before anything is parsed,
the zip's declared sizes are checked (total and per-member inflation ratio); while parsing, every member is
inflated through a counter that stops at the cap; rows, columns and cells are counted and refused past their
limits. Memory stays flat: rows are yielded one by one, nothing keeps the sheet.

The sheet XML is inflated and decoded a megabyte at a time and cut into rows and cells by regular expressions
(run by the C engine) for the forms spreadsheet programs write; anything else is parsed by ElementTree, so the
values are the same either way (tests compare both with openpyxl's read-only mode, which reads ten times slower).
python-calamine reads a sheet faster still but loads it whole before the first row, cannot be capped while it
inflates, and gives every number as a float and dates as ``date``: the importer's checks need ints and floats as
written (a NIK typed into a number cell) and ``datetime`` as openpyxl gives it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import operator
import posixpath
import re
import string
import zipfile
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast
from xml.etree.ElementTree import XML, ParseError, XMLParser, XMLPullParser

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel

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
    max_sheets: int = 100
    max_members: int = 10_000
    """Files in an XLSX's zip."""
    max_strings: int = 2_000_000
    """Shared strings of an XLSX (kept in memory while its sheets are read: ten distinct texts a row)."""
    max_string_chars: int = 64 * 1024 * 1024


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
_CHUNK = 1 << 20
_MAX_PENDING = 8 << 20
"""A row (or what comes before the rows) longer than this is left to ElementTree's incremental parser."""
_MAX_ITEM = 2 << 20
"""A shared string longer than this (Excel's cells hold 32,767 characters) is left to ElementTree."""
_MAX_GAP = 16 << 20
"""ElementTree refuses a stretch of XML this long without an element ending in it (a cell's text, ...)."""
_MAX_CELLS_IN_ROW = 16_384


class _Capped(io.RawIOBase):
    """A member of the zip, inflated chunk by chunk; past the budget shared by all members it refuses. The zip
    module stops at the member's declared size and checks its CRC, so a header that lies does not help."""

    def __init__(self, raw: IO[bytes], budget: list[int], limits: Limits) -> None:
        self.raw, self.budget, self.limits = raw, budget, limits

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.raw.read(min(len(buffer), 1 << 20))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise TableRefused(M.IMPORT_TOO_LARGE, limit=self.limits.max_bytes // (1024 * 1024))
        buffer[: len(data)] = data
        return len(data)


def _check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse by the declared sizes, before inflating anything (zipfile then holds each member to its size)."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise TableRefused(M.IMPORT_UNREADABLE, error=f"{len(members)} files in the archive")
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise TableRefused(M.IMPORT_ZIP_BOMB, name=info.filename, ratio=int(ratio))
    if total > limits.max_bytes:
        raise TableRefused(M.IMPORT_TOO_LARGE, limit=limits.max_bytes // (1024 * 1024))


@dataclass(frozen=True)
class _Book:
    """What every sheet's cells need from the rest of the workbook."""

    shared: list[str]
    dates: dict[int, int]
    """Cell style index → 1 (the number is shown as a date or time) or 2 (as a duration)."""
    epoch: dt.datetime


def _xlsx_sheets(source: Source, limits: Limits) -> Iterator[Rows]:
    handle = _open(source)
    try:
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc
        with archive:
            _check_zip(archive, limits)
            budget = [limits.max_bytes]

            def member(name: str) -> IO[bytes]:
                try:
                    raw = archive.open(name)
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, OSError) as exc:
                    raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc
                return io.BufferedReader(_Capped(raw, budget, limits), 1 << 16)

            names = set(archive.namelist())
            sheets, epoch = _workbook(member, names, limits)
            shared = _shared_strings(member, limits) if "xl/sharedStrings.xml" in names else []
            dates = _date_styles(member) if "xl/styles.xml" in names else {}
            book = _Book(shared, dates, epoch)
            for sheet in sheets:
                yield _sheet_rows(member(sheet), book, limits)
    finally:
        handle.close()


def _pull(chunks: Iterable[bytes | str], events: tuple[Literal["start", "end"], ...] = ("end",)) -> Iterator[tuple[str, Any]]:
    """ElementTree's events as the chunks are fed. An element that grows past ``_MAX_GAP`` characters without any
    event inside it (one huge text) is refused before it is built; a damaged member is refused."""
    parser: XMLPullParser[Any] = XMLPullParser(events=events)
    gap = 0
    try:
        for chunk in itertools.chain(chunks, [None]):
            if chunk is None:
                parser.close()
            else:
                parser.feed(chunk)
                gap += len(chunk)
            for item in cast(Iterator[tuple[str, Any]], parser.read_events()):
                gap = 0
                yield item
            if gap > _MAX_GAP:
                raise TableRefused(M.IMPORT_UNREADABLE, error=f"an element of more than {_MAX_GAP // (1024 * 1024)} MB")
    except ParseError as exc:
        raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc


def _parsed(member: Any, name: str, events: tuple[Literal["start", "end"], ...] = ("end",)) -> Iterator[tuple[str, Any]]:
    with member(name) as stream:
        yield from _pull(iter(lambda: stream.read(_CHUNK), b""), events)


def _workbook(member: Any, names: set[str], limits: Limits) -> tuple[list[str], dt.datetime]:
    """The paths of the workbook's sheets in its order (through its relationships) and its date system."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        raise TableRefused(M.IMPORT_UNREADABLE, error="no workbook")
    ids: list[str | None] = []
    epoch = WINDOWS_EPOCH
    for _, el in _parsed(member, "xl/workbook.xml"):
        if el.tag == MAIN + "sheet":
            ids.append(el.get(REL + "id"))
            if len(ids) > limits.max_sheets:
                raise TableRefused(M.IMPORT_TOO_MANY_SHEETS, limit=limits.max_sheets)
        elif el.tag == MAIN + "workbookPr" and el.get("date1904", "").lower() in ("1", "true"):
            epoch = CALENDAR_MAC_1904
    targets = {el.get("Id"): el.get("Target") or "" for _, el in _parsed(member, "xl/_rels/workbook.xml.rels")
               if el.tag == PACKAGE_REL + "Relationship"}
    paths = []
    for sheet_id in ids:
        target = targets.get(sheet_id, "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if path in names:
            paths.append(path)
    if not paths:
        raise TableRefused(M.IMPORT_UNREADABLE, error="no worksheet")
    return paths, epoch


def _text_of(element: Any) -> str:
    """The text of a string item: its ``t`` runs, without phonetic hints (``rPh``)."""
    if (t := element.find(MAIN + "t")) is not None:
        return t.text or ""
    return "".join(r.findtext(MAIN + "t") or "" for r in element.iterfind(MAIN + "r"))


def _shared_strings(member: Any, limits: Limits) -> list[str]:
    """The shared strings, within their own limits (count and characters): they stay in memory while the sheets
    are read. Items written as ``<si><t>text</t></si>`` are cut out by a regular expression, the others (rich
    text, entities, comments...) parsed by ElementTree."""
    strings: list[str] = []
    chars = 0
    with member("xl/sharedStrings.xml") as stream:
        for texts in _string_items(stream):
            strings += texts
            chars += sum(map(len, texts))
            if len(strings) > limits.max_strings or chars > limits.max_string_chars:
                raise TableRefused(M.IMPORT_TOO_MANY_STRINGS, limit=limits.max_strings,
                                   megabytes=limits.max_string_chars // (1024 * 1024))
    return [text[: limits.max_cell_chars] for text in strings] if chars > limits.max_cell_chars else strings


def _string_items(stream: IO[bytes]) -> Iterator[list[str]]:
    """The texts of the shared strings, a batch at a time."""
    head = _head(stream, "sst")
    prolog = head.prolog
    if prolog is None:
        yield from _tree_strings(_raw(head, stream))
        return
    prefix = f"{prolog.group(3)}:" if prolog.group(3) else ""
    p = re.escape(prefix)
    item = re.compile(rf"(<{p}si>(?:<{p}t(?: xml:space=\"preserve\")?>([^<&\r]*)</{p}t>|(.*?))</{p}si>)", re.DOTALL)
    root_open, root_close, item_end = prolog.group(2), f"</{prefix}sst>", f"</{prefix}si>"
    buf, decoder, pos = head.buf, head.decoder, prolog.end()
    del head
    while True:
        if buf.find("<!", pos) >= 0 or buf.find("<?", pos) >= 0 or len(buf) - pos > _MAX_ITEM:
            break  # comments, CDATA or one huge item: ElementTree from here
        end = buf.rfind(item_end, pos)
        if end >= 0:
            region = buf[pos : end + len(item_end)]
            found = item.findall(region)
            if sum(map(len, map(_first, found))) == len(region):
                yield [_tree_item(root_open + whole + root_close) if other else text for whole, text, other in found]
            else:
                yield [_text_of(element) for element in _fragment(root_open + region + root_close)]
            pos = end + len(item_end)
        data = stream.read(_CHUNK)
        if not data:
            _well_formed(itertools.chain([root_open, buf[pos:]]))
            return
        try:
            buf = buf[pos:] + decoder.decode(data)
        except UnicodeDecodeError as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc
        pos = 0
    yield from _tree_strings(itertools.chain([root_open, buf[pos:]], _decoded(stream, decoder)))


def _fragment(text: str) -> Any:
    try:
        return XML(text)
    except ParseError as exc:
        raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc


def _tree_item(text: str) -> str:
    return _text_of(_fragment(text)[0])


def _tree_strings(chunks: Iterable[bytes | str]) -> Iterator[list[str]]:
    root = None
    for event, element in _pull(chunks, ("start", "end")):
        if root is None:
            root = element
        elif event == "end" and element.tag == MAIN + "si":
            yield [_text_of(element)]
            root.clear()  # the items read so far (the one being built stays with the parser)


def _date_styles(member: Any) -> dict[int, int]:
    """The cell styles that show a number as a date or time (1) or as a duration (2)."""
    formats = dict(BUILTIN_FORMATS)
    styles: list[int] = []
    in_xfs = False
    for event, element in _parsed(member, "xl/styles.xml", ("start", "end")):
        if element.tag == MAIN + "numFmt" and event == "end":
            formats[_int(element.get("numFmtId"))] = element.get("formatCode", "")
        elif element.tag == MAIN + "cellXfs":
            in_xfs = event == "start"
        elif in_xfs and element.tag == MAIN + "xf" and event == "end":
            styles.append(_int(element.get("numFmtId")))
    dates = {}
    for index, fmt_id in enumerate(styles):
        code = formats.get(fmt_id, "")
        if is_date_format(code):
            dates[index] = 2 if is_timedelta_format(code) else 1
    return dates


def _int(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        return 0


# The sheet XML. Rows and cells as spreadsheet programs write them (Excel, LibreOffice, openpyxl and most
# libraries: UTF-8, ``r`` first on a cell, ``<v>`` or ``<is><t>``) are cut out with regular expressions, which
# the C engine runs over a megabyte at a time; a row or cell in any other form (a formula, rich text, entities,
# attributes in another order, comments...) is handed to ElementTree, so the values are the same either way.
_PROLOG = {root: re.compile(rf"\A\ufeff?(?:<\?xml\b([^>]*?)\?>)?\s*(<(?:([A-Za-z_][\w.-]*):)?{root}\b"
                             r"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*>)") for root in ("worksheet", "sst")}
_ENCODING = re.compile(r"encoding\s*=\s*[\"']([^\"']*)[\"']")
_XMLNS = re.compile(r"\sxmlns(?::([\w.-]+))?\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ROW_NUMBER = re.compile(r"(?:^|\s)r\s*=\s*[\"']\s*(\d+)\s*[\"']")
_ATTRIBUTE = re.compile(r"\s*([^\s=/>]+)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_DIGITS = re.compile(r"\s*\d+\s*")
_COLUMNS = {"".join(letters): column_index_from_string("".join(letters)) - 1
            for size in (1, 2) for letters in itertools.product(string.ascii_uppercase, repeat=size)}


class _Grammar:
    """The expressions for one namespace prefix (``""`` when the main namespace is the default one)."""

    def __init__(self, prefix: str) -> None:
        p = re.escape(prefix)
        self.start_of_data = re.compile(rf"<{p}sheetData\b[^>]*?(/?)>")
        self.row_start = re.compile(rf"\s*<{p}row\b([^>]*?)(/?)>")
        self.row_end = f"</{prefix}row>"
        self.end_of_data = re.compile(rf"\s*</{p}sheetData\s*>")
        self.cell = re.compile(
            rf"(<{p}c r=\"([A-Z]{{1,3}})\d+\"([^>/]*)(?:/>|>(?:<{p}v>([^<&\r]*)</{p}v>|"
            rf"<{p}is><{p}t(?: xml:space=\"preserve\")?>([^<&\r]*)</{p}t></{p}is>|(.*?))</{p}c>))", re.DOTALL)
        self.formula = re.compile(rf"<{p}f\b[^>]*?(?:/>|>[^<]*</{p}f>)<{p}v>([^<&\r]*)</{p}v>")
        self.inline = f"<{prefix}is>"


# What a cell's attributes after ``r`` say: (how to read its value, date style, its type attribute).
_NUMBER, _SHARED, _INLINE, _OTHER, _TREE = range(5)
_CODES = {"n": _NUMBER, "s": _SHARED, "inlineStr": _INLINE}
_PLAIN = (_NUMBER, 0, "n")
_NOT_PLAIN = (_TREE, 0, "")
_first = operator.itemgetter(0)


def _sheet_rows(stream: IO[bytes], book: _Book, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    rows = cells = 0
    with stream:
        for line, values in _scan(stream, book, limits):
            if not values:
                continue
            rows += 1
            cells += len(values)
            if rows > limits.max_rows + 1:  # the header row is not a data row
                raise TableRefused(M.IMPORT_TOO_MANY_ROWS, limit=limits.max_rows)
            if cells > limits.max_cells:
                raise TableRefused(M.IMPORT_TOO_MANY_CELLS, limit=limits.max_cells)
            yield line, values


@dataclass
class _Head:
    """The start of a member read for the regular expressions: its text so far, the decoder, the root's start tag.
    ``prolog`` None: not in a form they read (another encoding, a DOCTYPE, not XML): ``raw`` is for ElementTree."""

    raw: list[bytes]
    buf: str
    decoder: codecs.IncrementalDecoder
    prolog: re.Match[str] | None


def _head(stream: IO[bytes], root: str) -> _Head:
    raw = [stream.read(_CHUNK)]
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        buf = decoder.decode(raw[0], final=len(raw[0]) < _CHUNK)
    except UnicodeDecodeError:
        buf = ""
    prolog = _PROLOG[root].match(buf)
    while prolog is None and buf and len(buf) < _MAX_PENDING and len(raw[-1]) == _CHUNK:
        raw.append(stream.read(_CHUNK))
        try:
            buf += decoder.decode(raw[-1], final=len(raw[-1]) < _CHUNK)
        except UnicodeDecodeError:
            break
        prolog = _PROLOG[root].match(buf)
    return _Head(raw, buf, decoder, prolog if prolog is not None and _plain_prolog(prolog) else None)


def _raw(head: _Head, stream: IO[bytes]) -> Iterator[bytes]:
    """The member from its first byte, for ElementTree."""
    return itertools.chain(head.raw, iter(lambda: stream.read(_CHUNK), b""))


def _scan(stream: IO[bytes], book: _Book, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    """Every row of the sheet as (line, values), empty rows included."""
    head = _head(stream, "worksheet")
    prolog, buf, decoder, raw_head = head.prolog, head.buf, head.decoder, head.raw
    if prolog is None:
        # Another encoding, a DOCTYPE, comments before the root, or not XML at all: ElementTree decides.
        yield from _tree_rows(_raw(head, stream), book, limits)
        return
    prefix = f"{prolog.group(3)}:" if prolog.group(3) else ""
    grammar = _Grammar(prefix)
    root_open, root_close = prolog.group(2), f"</{prefix}worksheet>"
    start = grammar.start_of_data.search(buf, prolog.end())
    while start is None and len(buf) < _MAX_PENDING and (data := stream.read(_CHUNK)):
        raw_head.append(data)
        try:
            buf += decoder.decode(data)
        except UnicodeDecodeError:
            break
        start = grammar.start_of_data.search(buf, prolog.end())
    if start is None or "<!" in buf[: start.start()] or "<?" in buf[prolog.end(): start.start()]:
        yield from _tree_rows(_raw(head, stream), book, limits)
        return
    del raw_head, head
    if start.group(1):  # <sheetData/>
        return
    scanner = _Scanner(grammar, book, limits, root_open, root_close)
    row_start, row_end, cells = grammar.row_start, grammar.row_end, scanner.cells
    pos = start.end()
    line = 0
    plain = buf.find("<!", pos) < 0 and buf.find("<?", pos) < 0
    more = True
    while True:
        if plain:
            match = row_start.match(buf, pos)
            if match is not None:
                end = -1 if match.group(2) else buf.find(row_end, match.end())  # <row/> is a row without cells
                if match.group(2) or end >= 0:
                    attributes = match.group(1)
                    if attributes.startswith(' r="') and (number := attributes[4 : attributes.find('"', 4)]).isdecimal():
                        line = int(number)
                    else:
                        line = _line(attributes, line)
                if match.group(2):
                    pos = match.end()
                    yield line, []
                    continue
                if end >= 0:
                    values = cells(buf[match.end() : end], line)
                    if values is None:  # not plain: the whole row through ElementTree
                        values = scanner.tree_row(buf[match.start() : end + len(row_end)].lstrip())
                    pos = end + len(row_end)
                    yield line, values
                    continue
            elif end_of_data := grammar.end_of_data.match(buf, pos):
                _well_formed(itertools.chain([root_open, start.group(0), buf[end_of_data.start():]], _decoded(stream, decoder)))
                return
            if len(buf) - pos <= _MAX_PENDING and more:
                data = stream.read(_CHUNK)
                more = bool(data)
                try:
                    buf = buf[pos:] + decoder.decode(data, final=not more)
                except UnicodeDecodeError as exc:
                    raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc
                pos = 0
                plain = "<!" not in buf and "<?" not in buf
                continue
        # Comments, CDATA, a huge row, or the end of the file before the end of the rows: the rest is read by
        # ElementTree, from this row on, inside the same root and sheetData (a truncated file is refused there).
        rest = itertools.chain([root_open, start.group(0), buf[pos:]], _decoded(stream, decoder))
        yield from _tree_rows(rest, book, limits, line)
        return


class _Nothing:
    def close(self) -> None:
        return None


def _well_formed(chunks: Iterable[str]) -> None:
    """What follows the rows is XML that closes the sheet (parsed without keeping anything): a file cut short or
    damaged after its rows is refused as ElementTree would refuse it."""
    parser = XMLParser(target=_Nothing())
    try:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    except ParseError as exc:
        raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc


def _plain_prolog(prolog: re.Match[str]) -> bool:
    encoding = _ENCODING.search(prolog.group(1) or "")
    if encoding and encoding.group(1).strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        return False
    namespaces = {m.group(1) or "": m.group(2) if m.group(2) is not None else m.group(3) for m in _XMLNS.finditer(prolog.group(4))}
    return namespaces.get(prolog.group(3) or "") == MAIN[1:-1]


def _decoded(stream: IO[bytes], decoder: codecs.IncrementalDecoder) -> Iterator[str]:
    while data := stream.read(_CHUNK):
        try:
            yield decoder.decode(data)
        except UnicodeDecodeError as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc


def _line(attributes: str, previous: int) -> int:
    number = _ROW_NUMBER.search(attributes)
    return int(number.group(1)) if number else previous + 1


class _Scanner:
    """The cells of one row cut out by the expressions, converted as ElementTree's path would."""

    def __init__(self, grammar: _Grammar, book: _Book, limits: Limits, root_open: str, root_close: str) -> None:
        self.grammar, self.book, self.limits = grammar, book, limits
        self.root_open, self.root_close = root_open, root_close
        self.kinds: dict[str, tuple[int, int, str]] = {"": _PLAIN}
        """A cell's attributes after ``r`` (` s="3" t="s"`) → (code, date style, type)."""

    def _tree(self, text: str) -> Any:
        try:
            return XML(self.root_open + text + self.root_close)[0]
        except ParseError as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=str(exc)[:200]) from exc

    def tree_row(self, text: str) -> list[Any]:
        return _row_values(self._tree(text), self.book, self.limits)

    def _kind(self, rest: str) -> tuple[int, int, str]:
        attributes: dict[str, str] = {}
        end = 0
        for match in _ATTRIBUTE.finditer(rest):
            if match.start() != end:
                return _NOT_PLAIN
            end = match.end()
            attributes[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
        if rest[end:].strip() or "r" in attributes or not _DIGITS.fullmatch(attributes.get("s", "0")):
            return _NOT_PLAIN
        kind = attributes.get("t", "n")
        return _CODES.get(kind, _OTHER), self.book.dates.get(int(attributes.get("s", "0")), 0), kind

    def cells(self, inner: str, line: int) -> list[Any] | None:
        """The row's values; None when a part of it is not a plain cell."""
        found = self.grammar.cell.findall(inner)
        if sum(map(len, map(_first, found))) != len(inner):
            return None
        try:
            return self._values(found)
        except TableRefused:
            raise
        except (ValueError, OverflowError, IndexError) as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=f"row {line}: {exc}"[:200]) from exc

    def _values(self, found: list[tuple[str, str, str, str, str, str]]) -> list[Any]:
        kinds, book, limits, columns = self.kinds, self.book, self.limits, _COLUMNS
        shared, max_chars, inline, formula = book.shared, limits.max_cell_chars, self.grammar.inline, self.grammar.formula
        count = len(shared)
        values: list[Any] = []
        size = 0
        for whole, column, rest, v, t, other in found:
            try:
                code, date, kind = kinds[rest]
            except KeyError:
                code, date, kind = kinds[rest] = self._kind(rest)
            if other:
                if code != _TREE and (cached := formula.fullmatch(other)) is not None:
                    v = cached.group(1)
                else:
                    code = _TREE
            value: Any
            if code == _NUMBER:
                if not v:
                    continue
                value = float(v) if "." in v or "e" in v or "E" in v else int(v)
                if date:
                    value = _date(value, date, book)
            elif code == _SHARED:
                if not v:
                    continue
                item = int(v)
                if not 0 <= item < count:
                    continue
                value = shared[item]
            elif code == _INLINE:
                if t:
                    value = t[:max_chars]
                elif inline in whole:
                    value = ""
                else:
                    continue
            elif code == _TREE:
                value = _cell_value(self._tree(whole), book, limits)
                if value is None:
                    continue
            else:
                if not v:
                    continue
                value = _typed(kind, v, date, book, limits)
                if value is None:
                    continue
            index = columns.get(column)
            if index is None:
                index = column_index_from_string(column) - 1
            if index == size:
                values.append(value)
                size += 1
            elif index > size:
                values.extend([None] * (index - size))
                values.append(value)
                size = index + 1
            else:
                values[index] = value
        if size > limits.max_columns:
            raise TableRefused(M.IMPORT_TOO_MANY_COLUMNS, limit=limits.max_columns)
        return values


def _date(number: float, style: int, book: _Book) -> Any:
    """A number in a date-formatted cell, as openpyxl reads it (a number out of the calendar stays a number)."""
    try:
        return from_excel(number, book.epoch, timedelta=style == 2)
    except (OverflowError, ValueError):
        return number


def _typed(kind: str, raw: str, date: int, book: _Book, limits: Limits) -> Any:
    """A cell's raw ``<v>`` text of a type other than a number or a shared string."""
    if kind == "s":
        index = int(raw)
        return book.shared[index] if 0 <= index < len(book.shared) else None
    if kind in ("str", "inlineStr"):
        return raw[: limits.max_cell_chars] if kind == "str" else None
    if kind == "b":
        return raw == "1"
    if kind == "e":
        return None
    if kind == "d":
        return dt.datetime.fromisoformat(raw)
    number: float | int = float(raw) if any(c in raw for c in ".eE") else int(raw)
    return _date(number, date, book) if date else number


def _cell_value(cell: Any, book: _Book, limits: Limits) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        holder = cell.find(MAIN + "is")
        return _text_of(holder)[: limits.max_cell_chars] if holder is not None else None
    raw = cell.findtext(MAIN + "v")
    if raw is None or raw == "":
        return None
    return _typed(kind, raw, book.dates.get(_int(cell.get("s")), 0), book, limits)


def _row_values(element: Any, book: _Book, limits: Limits) -> list[Any]:
    """A row's values by ElementTree; a cell without a reference is the one after the previous cell."""
    if len(element) > _MAX_CELLS_IN_ROW:
        raise TableRefused(M.IMPORT_TOO_MANY_COLUMNS, limit=limits.max_columns)
    values: list[Any] = []
    index = -1
    for cell in element:
        if cell.tag != MAIN + "c":
            continue
        reference = cell.get("r")
        column = _COLUMN.match(reference) if reference else None
        index = column_index_from_string(column.group(0)) - 1 if column else index + 1
        try:
            value = _cell_value(cell, book, limits)
        except TableRefused:
            raise
        except (ValueError, OverflowError, IndexError) as exc:
            raise TableRefused(M.IMPORT_UNREADABLE, error=f"{reference}: {exc}"[:200]) from exc
        if value is None:
            continue
        if index >= limits.max_columns:
            raise TableRefused(M.IMPORT_TOO_MANY_COLUMNS, limit=limits.max_columns)
        values.extend([None] * (index + 1 - len(values)))
        values[index] = value
    return values


def _tree_rows(chunks: Iterable[bytes | str], book: _Book, limits: Limits, line: int = 0) -> Iterator[tuple[int, list[Any]]]:
    """Rows by ElementTree's incremental parser, for what the expressions leave to it. A row is built whole, so
    it may hold at most ``_MAX_CELLS_IN_ROW`` cells (Excel's columns)."""
    cells = 0
    for _, element in _pull(chunks):
        tag = element.tag
        if tag == MAIN + "c":
            cells += 1
            if cells > _MAX_CELLS_IN_ROW:
                raise TableRefused(M.IMPORT_TOO_MANY_COLUMNS, limit=limits.max_columns)
        elif tag == MAIN + "row":
            number = element.get("r")
            line = int(number) if number and number.strip().isdecimal() else line + 1
            values = _row_values(element, book, limits)
            element.clear()
            cells = 0
            yield line, values


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

"""Checking a Lampiran 2 list row by row, without the database: every problem by row and column (bad date, bad
NIK, unknown desa, ...), and the good rows handed on in chunks for as long as no row has failed.

:func:`check_events` is the whole check as a stream: counts of rows checked, chunks of good rows, then the
:class:`Verdict`. :func:`checked_elsewhere` runs the same stream in a worker process, so that on a large list the
next rows are read and checked on another core while the database stores the rows checked before
(``reports.imports`` chooses).
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import multiprocessing
import operator
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl.utils.datetime import from_excel

from core.i18n import Translator
from flows.messages import Problem
from flows.values import age_on, parse_date
from reports import messages as M
from reports.export import FORMULA_STARTS
from reports.import_publish import CHUNK, Prepared, Row
from reports.lampiran2 import CLASS_KEY, SOURCE_KEY, TEXT_SUFFIX, column_for
from reports.tables import Limits, Rows, TableRefused, read_sheets
from reports.vocab import fold, node, normalize_category, pendataan_ids
from storage.models import Child, Sex
from storage.repositories.children import ChildIdentity, names_agree, normalize_name

HEADER_SCAN_ROWS = 20
LENGTHS: dict[str, int] = {column: getattr(Child.__table__.c[name].type, "length")  # noqa: B009
                           for column, name in (("NAMA LENGKAP", "name"), ("TEMPAT LAHIR", "birth_place"))}
"""Columns kept on the child record, at most as long as its column holds (PostgreSQL refuses a longer value)."""
PROGRESS_EVERY = 500
"""Rows between two counts of rows checked."""

SELECTS = {
    "PENDIDIKAN TERAKHIR": "last_education", "AGAMA": "religion", "STATUS PERKAWINAN": "marital_status", "PEKERJAAN": "occupation",
    "PEKERJAAN AYAH": "father_occupation", "PEKERJAAN IBU": "mother_occupation", "ALASAN": "reasons",
}
TEXTS = {"NAMA AYAH": "father_name", "NAMA IBU": "mother_name", "SEKOLAH SEBELUMNYA": "previous_school", "TEMPAT LAHIR": "birth_place"}
"""Lampiran 2 column → the role (``flows.roles``) of the Pendataan question an imported row answers."""
_NO_NUMBER = {"", "-", "0", "tidak ada", "belum ada", "tidak punya", "belum punya", "tdk ada", "none", "null", "n a"}
_SEX = {
    "L": {"l", "lk", "laki laki", "laki", "pria", "1", "m", "male", "boy"},
    "P": {"p", "pr", "perempuan", "wanita", "2", "f", "female", "girl"},
}
_REGION_PREFIX = re.compile(r"^(desa|kelurahan|kel|ds|kecamatan|kec|kabupaten|kab)\s+")


class ImportMessage(str):
    """A problem's text in English that also carries its message id and parameters, for translation."""

    id: str
    params: dict[str, Any]

    def __new__(cls, message: str, **params: Any) -> ImportMessage:  # noqa: PYI034
        value = super().__new__(cls, message.format(**params))
        value.id, value.params = message, params
        return value

    def render(self, t: Translator) -> str:
        return t(self.id, **self.params)


class RowProblem(NamedTuple):
    """(row, column, message): ``row`` is the spreadsheet row (1-based, as Excel shows it); 0 = the whole file."""

    row: int
    column: str
    message: ImportMessage




class Verdict(NamedTuple):
    """The end of a check: the rows read (blank and numbering rows left out), every error, every warning."""

    rows: int
    errors: list[RowProblem]
    warnings: list[RowProblem]


class Chunk(NamedTuple):
    """Good rows handed on, with what the publication needs of them that needs no database when the check
    prepared it (:class:`reports.import_publish.Preparer`)."""

    rows: list[Row]
    prepared: Prepared | None


Event = int | Chunk | Verdict
"""What a check hands on: a count of rows checked so far, a chunk of good rows, or (last) the verdict."""
Prepare = Callable[[list[Row]], Prepared]


# -- reading the file ---------------------------------------------------------------------------------------------
def _header_of(sheets: Iterator[Rows]) -> tuple[int, dict[str, int], Rows] | None:
    """The first sheet with a Lampiran 2 header among its first rows: (header line, column → index, the rows
    after the header); None when no sheet has one."""
    for sheet in sheets:
        head = list(itertools.islice(sheet, HEADER_SCAN_ROWS))
        index, columns = _find_header([row for _, row in head])
        if index is not None:
            return head[index][0], columns, itertools.chain(head[index + 1 :], sheet)
    return None


def _find_header(rows: list[list[Any]]) -> tuple[int | None, dict[str, int]]:
    """The row (0-based) naming the most Lampiran 2 columns, and column → index; None when none names the name."""
    best: tuple[int | None, dict[str, int]] = (None, {})
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for position, cell in enumerate(row):
            column = column_for(cell)
            if column and column not in found:
                found[column] = position
        if "NAMA LENGKAP" in found and len(found) >= 3 and len(found) > len(best[1]):
            best = (index, found)
    return best


# -- checking the rows --------------------------------------------------------------------------------------------
class Regions:
    """The regions of the import scope, found by name the way people write them (case, accents, "Desa ..." and
    spaces do not matter). ``rows``: (code, name, level, parent code) of every region in the scope."""

    def __init__(self, scope: str, rows: Iterable[tuple[str, str, Any, str | None]]) -> None:
        self.scope = scope
        self.codes = {code: (name, str(getattr(level, "value", level)), parent) for code, name, level, parent in rows}
        self.kecamatan: dict[str, list[str]] = {}
        self.desa: dict[str, list[str]] = {}
        for code, (name, level, _) in self.codes.items():
            target = self.kecamatan if level == "kecamatan" else self.desa if level == "desa" else None
            if target is not None:
                for key in self.keys(name):
                    target.setdefault(key, []).append(code)

    @staticmethod
    def keys(name: str) -> set[str]:
        folded = _REGION_PREFIX.sub("", fold(name))
        return {folded, folded.replace(" ", "")}

    def find(self, table: dict[str, list[str]], name: str) -> list[str]:
        found: list[str] = []
        for key in self.keys(name):
            found += [c for c in table.get(key, []) if c not in found]
        return found

    def level(self, code: str) -> str | None:
        entry = self.codes.get(code)
        return entry[1] if entry else None


_MASKED = re.compile(r"^\d{0,6}\*{4,}\d{0,6}$")
_SCIENTIFIC = re.compile(r"^\s*'?\d[.,]\d*\s*e\s*\+?\s*\d+\s*$", re.IGNORECASE)
_FLOAT_TEXT = re.compile(r"^\s*'?\d{15,}[.,]0+\s*$")


def excel_damaged(raw: Any) -> bool:
    """A NIK as Excel leaves it when the column is a number: a numeric cell (Excel keeps 15 significant digits,
    so the 16th is lost), ``3.32608E+15``, ``3326014501120000.0``, or 16 digits ending in ``0000`` (no NIK has
    serial number 0000; Excel's rounding does)."""
    if isinstance(raw, bool):
        return False
    if isinstance(raw, (int, float)):
        return raw >= 1e14
    text = str(raw or "").strip()
    digits = re.sub(r"[\s.\-]", "", text.lstrip("'"))
    return bool(_SCIENTIFIC.match(text) or _FLOAT_TEXT.match(text) or (len(digits) == 16 and digits.isdigit() and digits.endswith("0000")))


@lru_cache(maxsize=4096, typed=True)
def _text(value: Any) -> str:
    """A cell as clean text (cached: most columns repeat a handful of values down a list)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]  # the quote our CSV export puts before a formula-like text
    return " ".join(text.replace("\u00a0", " ").split())


def _blank(cell: Any) -> bool:
    """``_text(cell) == ""`` without cleaning the text (and caching it): only spaces, or nothing."""
    return cell is None or (isinstance(cell, str) and (not cell or cell.isspace()))


class _Checker:
    def __init__(self, regions: Regions, today: dt.date) -> None:
        self.regions, self.today = regions, today
        self.errors: list[RowProblem] = []
        self.warnings: list[RowProblem] = []
        self.by_nik: dict[str, tuple[int, str, Sex | None]] = {}
        self._choices: dict[tuple[str, str], tuple[str | None, str | None, str | None]] = {}
        self._places: dict[tuple[str, str, str], tuple[str | None, tuple[str, str, dict[str, Any]] | None]] = {}
        self.nik_birth_date: dt.date | None = None
        """The birth date the last valid NIK encodes."""
        self.by_identity: dict[int, int] = {}
        """hash((folded name, birth date, desa)) → first row: a list of 100,000 rows keeps 100,000 small numbers, not
        their names (two different children sharing a 64-bit hash is a one-in-10^9 duplicate warning at worst)."""
        self._dates: dict[str, dt.date | None] = {}
        self._words: dict[str, str] = {}

    def error(self, line: int, column: str, message: str, **params: Any) -> None:
        self.errors.append(RowProblem(line, column, ImportMessage(message, **params)))

    def warn(self, line: int, column: str, message: str, **params: Any) -> None:
        self.warnings.append(RowProblem(line, column, ImportMessage(message, **params)))

    # individual fields
    def nik(self, line: int, raw: Any, column: str = "NIK") -> str | None:
        value = _text(raw).lstrip("'")
        if len(value) == 16 and value.isdigit() and value.isascii() and isinstance(raw, str) and not value.endswith("0000"):
            return self._valid_nik(line, column, value, value)  # most rows: plain text digits, nothing to repair
        if fold(value) in _NO_NUMBER:
            return None
        if excel_damaged(raw):
            self.error(line, column, M.IMPORT_NIK_EXCEL, value=_text(raw))
            return None
        if _MASKED.match(value):  # an export for a role that sees masked NIKs: the row is matched without it
            self.warn(line, column, M.IMPORT_MASKED_NIK, value=value)
            return None
        return self._valid_nik(line, column, value, re.sub(r"[\s.\-]", "", value))

    def _valid_nik(self, line: int, column: str, value: str, digits: str) -> str | None:
        from lokal import parse_nik  # ≈7 MB: loaded by the first import, not with the bot

        info = parse_nik(digits, reference_date=self.today) if digits.isdigit() else None
        if info is None or info.nik is None or not info.valid:
            self.error(line, column, M.IMPORT_BAD_NIK, value=value)
            return None
        self.nik_birth_date = dt.date.fromisoformat(info.birth_date) if info.birth_date else None
        return info.nik

    def nisn(self, line: int, raw: Any) -> str | None:
        value = _text(raw).lstrip("'")
        if fold(value) in _NO_NUMBER:
            return None
        digits = re.sub(r"[\s.\-]", "", value)
        if not re.fullmatch(r"\d{10}", digits):
            self.error(line, "NISN", M.IMPORT_BAD_NISN, value=value)
            return None
        return digits

    def date(self, line: int, raw: Any) -> dt.date | None:
        if raw is None or _text(raw) == "":
            return None
        if isinstance(raw, dt.datetime):
            day = raw.date()
        elif isinstance(raw, dt.date):
            day = raw
        elif isinstance(raw, (int, float)) and 1000 < raw < 80000:  # an Excel day number that lost its format
            day = from_excel(raw).date()
        else:
            text = _text(raw)
            if text not in self._dates:  # a list repeats its birth dates: each distinct text is parsed once
                parsed = parse_date(text, self.today)
                self._dates[text] = None if isinstance(parsed, Problem) else dt.date.fromisoformat(parsed)
            found = self._dates[text]
            if found is None:
                self.error(line, "TANGGAL LAHIR", M.IMPORT_BAD_DATE, value=text)
                return None
            day = found
        if day > self.today:
            self.error(line, "TANGGAL LAHIR", M.IMPORT_FUTURE_DATE, value=day.strftime("%d/%m/%Y"))
            return None
        age = age_on(day, self.today)
        if not 7 <= age <= 18:
            self.warn(line, "TANGGAL LAHIR", M.IMPORT_AGE, age=age)
        return day

    def folded(self, text: str) -> str:
        """``fold`` of a short cell that repeats down the list (sex, category), once per distinct text."""
        found = self._words.get(text)
        if found is None:
            found = fold(text)
            if len(self._words) < 10_000:
                self._words[text] = found
        return found

    def sex(self, line: int, raw: Any) -> Sex | None:
        value = self.folded(_text(raw))
        if not value:
            return None
        for letter, words in _SEX.items():
            if value in words:
                return Sex(letter)
        self.error(line, "L/P", M.IMPORT_BAD_SEX, value=_text(raw))
        return None

    def small_number(self, line: int, column: str, raw: Any) -> str | None:
        value = _text(raw)
        if not value or value == "-":
            return None
        if not re.fullmatch(r"\d{1,3}", value):
            self.error(line, column, M.IMPORT_BAD_NUMBER, value=value)
            return None
        return value.zfill(3)

    def year(self, line: int, raw: Any) -> int | None:
        value = _text(raw)
        if not value or value == "-":
            return None
        if not re.fullmatch(r"\d{4}", value) or not 1990 <= int(value) <= self.today.year:
            self.error(line, "TAHUN KELUAR", M.IMPORT_BAD_YEAR, value=value)
            return None
        return int(value)

    def region(self, line: int, desa_raw: Any, kecamatan_raw: Any, code_raw: Any) -> str | None:
        """The row's desa (or kecamatan) code; each distinct (desa, kecamatan, code) is resolved once per import."""
        key = (_text(desa_raw), _text(kecamatan_raw), _text(code_raw))
        if key not in self._places:
            self._places[key] = self._place(*key)
        code, problem = self._places[key]
        if problem is not None:
            column, message, params = problem
            self.error(line, column, message, **params)
        return code

    def _place(self, desa: str, kecamatan: str, code: str) -> tuple[str | None, tuple[str, str, dict[str, Any]] | None]:
        """(region code, None) or (None, (column, message, parameters))."""
        scope, regions = self.regions.scope, self.regions
        scope_name = regions.codes.get(scope, (scope,))[0] if scope else "Indonesia"
        if code:
            if regions.level(code) in ("desa", "kecamatan"):
                return code, None
            message = M.IMPORT_OUT_OF_SCOPE if regions.level(code) is None else M.IMPORT_UNKNOWN_DESA
            return None, ("KODE DESA", message, {"value": code, "scope": scope_name})
        kecamatan_code = None
        if regions.level(scope) == "kecamatan":
            kecamatan_code = scope
            if kecamatan and scope not in regions.find(regions.kecamatan, kecamatan):
                return None, ("KECAMATAN", M.IMPORT_UNKNOWN_KECAMATAN, {"value": kecamatan, "scope": scope_name})
        elif kecamatan:
            found = regions.find(regions.kecamatan, kecamatan)
            if not found:
                return None, ("KECAMATAN", M.IMPORT_UNKNOWN_KECAMATAN, {"value": kecamatan, "scope": scope_name})
            kecamatan_code = found[0]
        if regions.level(scope) == "desa" and not desa:
            return scope, None
        if not desa:
            return None, ("DESA", M.IMPORT_REQUIRED, {})
        candidates = regions.find(regions.desa, desa)
        if kecamatan_code:
            candidates = [c for c in candidates if regions.codes[c][2] == kecamatan_code]
        if not candidates:
            where = regions.codes[kecamatan_code][0] if kecamatan_code else scope_name
            return None, ("DESA", M.IMPORT_UNKNOWN_DESA, {"value": desa, "scope": where})
        if len(candidates) > 1:
            return None, ("DESA", M.IMPORT_AMBIGUOUS_DESA, {"value": desa})
        return candidates[0], None

    def choice(self, line: int, column: str, question: str, raw: Any, answers: dict[str, Any]) -> None:
        value = _text(raw)
        if not value or value == "-":
            return
        key = (question, value)
        if key not in self._choices:  # each distinct value of a column is matched once per import
            self._choices[key] = _match_choice(question, value)
        code, other_code, warning = self._choices[key]
        if code is not None:
            answers[question] = code
        elif other_code is not None:
            answers[question], answers[question + ".lainnya"] = other_code, value
        else:
            answers[question + TEXT_SUFFIX] = value
        if warning is not None:
            self.warn(line, column, warning, value=value)

    def row(self, line: int, cells: dict[str, Any]) -> Row | None:
        before = len(self.errors)
        name = _text(cells.get("NAMA LENGKAP"))
        if not name:
            self.error(line, "NAMA LENGKAP", M.IMPORT_REQUIRED)
        for column, limit in LENGTHS.items():
            if len(value := _text(cells.get(column))) > limit:
                self.error(line, column, M.IMPORT_TOO_LONG, limit=limit, length=len(value))
        nik = self.nik(line, cells.get("NIK"))
        nisn = self.nisn(line, cells.get("NISN")) if "NISN" in cells else None
        born = self.date(line, cells.get("TANGGAL LAHIR"))
        sex = self.sex(line, cells.get("L/P"))
        rt = self.small_number(line, "RT", cells.get("RT"))
        rw = self.small_number(line, "RW", cells.get("RW"))
        region = self.region(line, cells.get("DESA"), cells.get("KECAMATAN"), cells.get("KODE DESA"))
        year = self.year(line, cells.get("TAHUN KELUAR"))
        category_text = _text(cells.get("KATEGORI"))
        category = _category(category_text) if category_text and category_text != "-" else None
        if category_text and category_text != "-" and category is None:
            self.error(line, "KATEGORI", M.IMPORT_BAD_CATEGORY, value=category_text)
        q = pendataan_ids()
        answers: dict[str, Any] = {q["name"]: name}
        for column, role in SELECTS.items():
            self.choice(line, column, q[role], cells.get(column), answers)
        for column, role in TEXTS.items():
            if value := _text(cells.get(column)):
                answers[q[role]] = value
        if nik:
            answers[q["has_nik"]], answers[q["nik"]] = "1", nik
            if born and self.nik_birth_date and self.nik_birth_date != born:
                self.warn(line, "NIK", M.IMPORT_NIK_DATE, nik_date=self.nik_birth_date)
        if nisn:
            answers[q["has_nisn"]], answers[q["nisn"]] = "1", nisn
        if sex:
            answers[q["sex"]] = "1" if sex is Sex.L else "2"
        if born:
            answers[q["birth_date"]] = born.isoformat()
        address = _text(cells.get("ALAMAT")) or None
        details: tuple[tuple[str, Any], ...] = (
            (q["address"], address), (q["rt"], rt), (q["rw"], rw), (q["year_left"], year),
            (q["category"], category), (CLASS_KEY, _text(cells.get("KELUAR KELAS")) or None), (SOURCE_KEY, _text(cells.get("SUMBER DATA")) or None))
        for key, value in details:
            if value is not None:
                answers[key] = value
        if region and self.regions.level(region) == "desa":
            answers[q["kecamatan"]], answers[q["desa"]] = self.regions.codes[region][2], region
        elif region:
            answers[q["kecamatan"]] = region
        if len(self.errors) > before or region is None:
            return None
        folded = normalize_name(name)
        self._duplicates(line, name, folded, nik, born, region, sex)
        if len(self.errors) > before:
            return None
        identity = ChildIdentity(name=name, region_code=region, nik=nik, nisn=nisn, sex=sex,
                                 birth_place=_text(cells.get("TEMPAT LAHIR")) or None, birth_date=born, address=address,
                                 rt=rt, rw=rw)
        return Row(line, identity, category, answers, folded)

    def _duplicates(self, line: int, name: str, folded: str, nik: str | None, born: dt.date | None, region: str,
                    sex: Sex | None) -> None:
        if nik and nik in self.by_nik:
            first, first_name, first_sex = self.by_nik[nik]
            if (first_sex is not None and sex is not None and first_sex != sex) or not names_agree(first_name, name):
                self.warn(line, "NIK", M.IMPORT_NIK_CLASH, row=str(first))
            else:
                self.warn(line, "NIK", M.IMPORT_DUPLICATE_ROW, row=str(first))
            return
        key = hash((folded, born, region))
        if born is not None and key in self.by_identity:
            self.warn(line, "NAMA LENGKAP", M.IMPORT_DUPLICATE_ROW, row=str(self.by_identity[key]))
        if nik:
            self.by_nik[nik] = (line, name, sex)
        if born is not None:
            self.by_identity.setdefault(key, line)



_category = lru_cache(maxsize=1024)(normalize_category)
"""A list repeats a handful of category texts: each is normalised once."""


@cache
def _labels(question: str) -> tuple[dict[str, Any], list[tuple[str, Any]], Any]:
    """A Pendataan question's options by code and by folded label, the folded labels in order, its "other"
    option: the labels are normalised once per process."""
    choices = node("pendataan", question).choices
    exact = {c.code: c for c in choices} | {fold(c.label): c for c in reversed(choices)}
    return exact, [(fold(c.label), c) for c in choices if not c.other], next((c for c in choices if c.other), None)


def _match_choice(question: str, value: str) -> tuple[str | None, str | None, str | None]:
    """(option code, or the "other" option's code with the text kept, warning): an exact code or label, else the
    one label containing the text, else "Lainnya" (or the text kept when the question has no such option)."""
    exact, labels, other = _labels(question)
    folded = fold(value)
    match = exact.get(folded)
    if match is None and len(folded) >= 3:
        partial = [c for label, c in labels if folded in label]
        match = partial[0] if len(partial) == 1 else None
    if match is not None and not match.other:
        return match.code, None, None
    if other is not None:
        return None, other.code, (M.IMPORT_OTHER_CHOICE if match is None else None)
    return None, None, M.IMPORT_UNKNOWN_CHOICE


def _is_numbering_row(cells: dict[str, Any]) -> bool:
    """Templates often number their columns under the header ("1 2 3 …"): not a child."""
    return _text(cells.get("NO")) == "1" and _text(cells.get("NIK")) == "2" and _text(cells.get("NAMA LENGKAP")) == "3"



# -- the check as a stream -----------------------------------------------------------------------------------------
def check_events(source: str | Path | bytes, filename: str, limits: Limits, regions: Regions, today: dt.date,
                 prepare: Prepare | None = None) -> Iterator[Event]:
    """Read and check every row once: a count every :data:`PROGRESS_EVERY` rows, each chunk of :data:`CHUNK` good
    rows while no row has failed (after the first error nothing more is handed on, but every row is still checked,
    so the report names every problem), then the :class:`Verdict`. A file that cannot be read, or is beyond the
    limits, ends in a verdict with one error for the whole file."""
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    rows = 0
    try:
        sheets = read_sheets(source, filename, limits)  # kept referenced while its rows are read: it holds the file open
        found = _header_of(sheets)
        if found is None:
            errors.append(RowProblem(0, "", ImportMessage(M.IMPORT_NO_HEADER)))
        else:
            header_line, columns, lines = found
            missing = [c for c in ("NAMA LENGKAP", "DESA") if c not in columns and not (c == "DESA" and "KODE DESA" in columns)]
            if missing:
                errors.append(RowProblem(header_line, "", ImportMessage(M.IMPORT_MISSING_COLUMNS, columns=", ".join(missing))))
            else:
                checker = _Checker(regions, today)
                checker.errors, checker.warnings = errors, warnings
                for event in _checked(checker, columns, lines, prepare):
                    if isinstance(event, int):
                        rows = event
                    yield event
                if not rows:
                    errors.append(RowProblem(0, "", ImportMessage(M.IMPORT_EMPTY)))
    except TableRefused as refused:
        errors.append(RowProblem(0, "", ImportMessage(refused.message, **refused.params)))
    except Exception as exc:  # noqa: BLE001  (any unreadable file is a rejection, never a crash)
        errors.append(RowProblem(0, "", ImportMessage(M.IMPORT_UNREADABLE, error=str(exc)[:200])))
    yield Verdict(rows, errors, warnings)


def _checked(checker: _Checker, columns: dict[str, int], lines: Rows, prepare: Prepare | None) -> Iterator[int | Chunk]:
    """The rows after the header, checked: counts and chunks of good rows; the last count is the total."""
    rows, chunk = 0, []
    names, width = list(columns), max(columns.values()) + 1
    pick = operator.itemgetter(*columns.values())
    errors = checker.errors
    for line, row in lines:
        if len(row) >= width:  # the usual row: every column there, picked in C
            picked = pick(row)
            cells = dict(zip(names, picked if len(names) > 1 else (picked,), strict=True))
        else:
            cells = {column: (row[index] if index < len(row) else None) for column, index in columns.items()}
        if all(map(_blank, cells.values())) or _is_numbering_row(cells):
            continue
        rows += 1
        result = checker.row(line, cells)
        if result is not None and not errors:
            chunk.append(result)
            if len(chunk) == CHUNK:
                yield rows
                yield Chunk(chunk, prepare(chunk) if prepare else None)
                chunk = []
        if rows % PROGRESS_EVERY == 0:
            yield rows
    if chunk and not errors:
        yield Chunk(chunk, prepare(chunk) if prepare else None)
    yield rows


# -- the check in a worker process ---------------------------------------------------------------------------------
def checked_elsewhere(source: str | Path | bytes, filename: str, limits: Limits, regions: Regions,
                      today: dt.date, prepare: Prepare | None = None) -> Iterator[Event]:
    """:func:`check_events` run by a worker process, its events received here as it sends them (the pipe holds
    little, so the worker stays about a chunk ahead). Forked when this process runs one thread (nothing to load
    again), started afresh otherwise (forking a threaded process can copy a lock some thread holds). A worker
    that dies without a verdict is an unreadable file; a consumer that stops early ends the worker. ``prepare``
    runs in the worker only when it is forked (it holds the key ring, which is never pickled)."""
    forked = threading.active_count() == 1
    context = multiprocessing.get_context("fork" if forked else "spawn")
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(receive, send, source, filename, limits, regions, today,  # type: ignore[attr-defined]
                                                 prepare if forked else None),
                             name="ats-import-check", daemon=True)
    worker.start()
    send.close()
    try:
        while True:
            try:
                event: Event = receive.recv()
            except EOFError:  # the worker ended without a verdict (killed, out of memory)
                worker.join(timeout=5)
                yield Verdict(0, [RowProblem(0, "", ImportMessage(M.IMPORT_CHECK_STOPPED, code=str(worker.exitcode)))], [])
                return
            yield event
            if isinstance(event, Verdict):
                return
    finally:
        receive.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.terminate()
            worker.join()


def _work(receive: Any, send: Any, source: str | Path | bytes, filename: str, limits: Limits, regions: Regions,
          today: dt.date, prepare: Prepare | None) -> None:
    receive.close()  # the parent's end: closed here, so a parent that stops reading ends this worker
    gc.disable()  # a process that lives for one list: its duplicate look-ups would be walked at every full collection
    try:
        for event in check_events(source, filename, limits, regions, today, prepare):
            send.send(event)
    except (BrokenPipeError, EOFError, OSError):
        pass  # the parent stopped listening (its import failed or was cancelled)
    finally:
        send.close()

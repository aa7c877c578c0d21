"""Import of an initial list (BDT, DAPODIK, EMIS, LTM and DO lists) in the guide's Format Pendataan ATS
(Lampiran 2), from XLSX or CSV, by a kabupaten team member or on the command line.

Two passes. The *check* reads every row and reports every problem by row and column (bad date, bad NIK,
unknown desa, ...); a file with any problem is rejected whole and nothing is written. The *save* then writes
every row in ONE transaction: the child is found (same NIK, or same name, birth date and desa, as the storage
repository matches children) or created, an open case is reused or a ``recorded`` case opened, and the row is
kept as an ``impor`` response keyed by Pendataan question ids (so recaps and exports read it like a Pendataan).
Duplicate rows inside the file merge into one child. ``dry_run`` runs both passes and rolls back.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import pickle
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, Any, NamedTuple

from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.authz import Action
from core.i18n import Translator
from flows.messages import Problem
from flows.values import age_on, parse_date
from reports import messages as M
from reports.export import FORMULA_STARTS, authorize
from reports.import_publish import (
    CHUNK,
    PUBLISHED,
    UNDONE,
    Publisher,
    Row,
    clean_interrupted,
    close_batch,
    open_batch,
    undo,
)
from reports.lampiran2 import CLASS_KEY, COLUMNS, SOURCE_KEY, TEXT_SUFFIX, column_for
from reports.sql import in_scope
from reports.tables import Limits, Rows, TableRefused, read_sheets
from reports.vocab import fold, node, normalize_category, pendataan_ids
from storage.crypto import NikCipher
from storage.db import Database
from storage.models import Language, Person, Region, Role, Sex
from storage.repositories.audit import record
from storage.repositories.children import ChildIdentity, names_agree, normalize_name
from storage.repositories.sql import insert_if_absent
from storage.types import utcnow

Progress = Callable[[int, int, str], None]
"""``progress(done, total, stage)`` with stage ``"check"`` then ``"save"``."""

HEADER_SCAN_ROWS = 20
LIMITS = Limits()
COMMAND_LINE_TELEGRAM_ID = 0
"""The person imports from the command line are attributed to (Telegram never uses user id 0)."""
COMMAND_LINE_NAME = "ats-bot (baris perintah)"

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


@dataclass
class ImportReport:
    filename: str
    scope: str
    rows: int = 0
    created: int = 0
    """Children new to the database."""
    merged: int = 0
    """Rows that were a child already recorded (before, or in an earlier row of the file)."""
    cases_opened: int = 0
    conflicts: int = 0
    """Rows whose NIK is another child's (name or sex disagree): kept apart, on the review list."""
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    saved: bool = False
    """True when the rows were written (not rejected, not a dry run)."""
    cleaned: int = 0
    """Rows an interrupted earlier import of the same file had saved, removed before this one was saved."""
    longest_write: float = 0.0
    """Seconds of the publication's longest write transaction (how long others waited for the write lock at most)."""

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    def render(self, t: Translator, limit: int = 25) -> str:
        """The validation report for a person: the outcome, then problems and notes by row and column."""
        lines = []
        if self.errors:
            lines.append(t(M.IMPORT_REJECTED, count=len(self.errors)))
            lines += [self._line(p, t) for p in self.errors[:limit]]
            if len(self.errors) > limit:
                lines.append(t(M.RECAP_MORE, count=len(self.errors) - limit))
            return "\n".join(lines)
        summary = M.IMPORT_DRY_RUN if self.dry_run else M.IMPORT_DONE
        lines.append(t(summary, rows=self.rows, created=self.created, merged=self.merged))
        if self.conflicts:
            lines.append(t(M.IMPORT_CONFLICTS, count=self.conflicts))
        if self.warnings:
            lines.append(t(M.IMPORT_WARNINGS, count=len(self.warnings)))
            lines += [self._line(p, t) for p in self.warnings[:limit]]
            if len(self.warnings) > limit:
                lines.append(t(M.RECAP_MORE, count=len(self.warnings) - limit))
        return "\n".join(lines)

    @staticmethod
    def _line(problem: RowProblem, t: Translator) -> str:
        message = problem.message.render(t)
        if problem.row == 0:
            return message
        return t(M.IMPORT_ROW_PROBLEM, row=str(problem.row), column=problem.column, problem=message)


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
class _Regions:
    """The regions of the import scope, found by name the way people write them (case, accents, "Desa ..." and
    spaces do not matter)."""

    def __init__(self, session: Session, scope: str) -> None:
        self.scope = scope
        rows = session.execute(
            select(Region.code, Region.name, Region.level, Region.parent_code).where(in_scope(Region.code, scope))
        ).all()
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
    def __init__(self, regions: _Regions, cipher: NikCipher, today: dt.date) -> None:
        self.regions, self.cipher, self.today = regions, cipher, today
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


def _check(db: Database, sheets: Iterator[Rows], scope: str, today: dt.date, report: ImportReport, spool: IO[bytes],
           progress: Progress | None) -> int:
    """Read and check every row once, spooling the good ones (pickled, in chunks) for the publication; fills the
    report's errors, warnings and row count. The number of rows spooled."""
    found = _header_of(sheets)
    if found is None:
        report.errors.append(RowProblem(0, "", ImportMessage(M.IMPORT_NO_HEADER)))
        return 0
    header_line, columns, rows = found
    missing = [c for c in ("NAMA LENGKAP", "DESA") if c not in columns and not (c == "DESA" and "KODE DESA" in columns)]
    if missing:
        report.errors.append(RowProblem(header_line, "", ImportMessage(M.IMPORT_MISSING_COLUMNS, columns=", ".join(missing))))
        return 0
    with db.read() as session:
        checker = _Checker(_Regions(session, scope), db.cipher, today)
    checker.errors, checker.warnings = report.errors, report.warnings
    spooled, chunk = 0, []
    names, width = list(columns), max(columns.values()) + 1
    pick = operator.itemgetter(*columns.values())
    for line, row in rows:
        if len(row) >= width:  # the usual row: every column there, picked in C
            picked = pick(row)
            cells = dict(zip(names, picked if len(names) > 1 else (picked,), strict=True))
        else:
            cells = {column: (row[index] if index < len(row) else None) for column, index in columns.items()}
        if all(map(_blank, cells.values())) or _is_numbering_row(cells):
            continue
        report.rows += 1
        result = checker.row(line, cells)
        if result is not None and not report.errors:
            chunk.append(result)
            if len(chunk) == CHUNK:
                pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
                spooled, chunk = spooled + len(chunk), []
        if progress and report.rows % 500 == 0:
            progress(report.rows, 0, "check")
    if chunk:
        pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
        spooled += len(chunk)
    if progress:
        progress(report.rows, report.rows, "check")
    if not report.rows:
        report.errors.append(RowProblem(0, "", ImportMessage(M.IMPORT_EMPTY)))
    return spooled


_category = lru_cache(maxsize=1024)(normalize_category)
"""A list repeats a handful of category texts: each is normalised once."""


def _chunks(spool: IO[bytes]) -> Iterator[list[Row]]:
    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


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


# -- saving ---------------------------------------------------------------------------------------------------------
def _command_line_person(session: Session) -> int:
    now = utcnow()
    insert_if_absent(session, Person, {
        "telegram_user_id": COMMAND_LINE_TELEGRAM_ID, "telegram_chat_id": None, "display_name": COMMAND_LINE_NAME,
        "role": Role.MASYARAKAT, "language": Language.ID, "unreachable": True, "created_at": now, "updated_at": now,
    }, ["telegram_user_id"])
    return session.scalars(select(Person.id).where(Person.telegram_user_id == COMMAND_LINE_TELEGRAM_ID)).one()


def import_file(
    db: Database,
    source: str | Path | bytes,
    filename: str,
    *,
    actor_id: int | None,
    region_scope: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
    limits: Limits = LIMITS,
) -> ImportReport:
    """Check and (unless rejected or ``dry_run``) publish a Lampiran 2 list into ``region_scope``.

    ``actor_id`` None is the command line; a person must be the kabupaten team of the scope (or admin),
    else :class:`reports.export.NotAllowed`. The report lists every problem as (row, column, message); a
    rejected file (unreadable, beyond the limits, or with any bad row) writes nothing but an audit entry.
    """
    region_scope = (region_scope or "").strip()
    today = today or dt.date.today()
    authorize(db, actor_id, Action.IMPORT, region_scope)
    report = ImportReport(filename=filename, scope=region_scope, dry_run=dry_run)
    with tempfile.TemporaryFile() as spool:  # created 0600 and unlinked: the rows never linger on disk
        try:
            spooled = _check(db, read_sheets(bytes(source) if isinstance(source, (bytearray, memoryview)) else source,
                                             filename, limits), region_scope, today, report, spool, progress)
        except TableRefused as refused:
            report.errors.append(RowProblem(0, "", ImportMessage(refused.message, **refused.params)))
        except Exception as exc:  # noqa: BLE001  (any unreadable file is a rejection, never a crash)
            report.errors.append(RowProblem(0, "", ImportMessage(M.IMPORT_UNREADABLE, error=str(exc)[:200])))
        if report.errors:
            record(db, "import.rejected", "import", filename[:40], actor_id=actor_id, region_code=region_scope or None,
                   detail={"rows": report.rows, "errors": len(report.errors), "filename": filename,
                           "reason": report.errors[0].message.id})
            return report
        _publish(db, spool, spooled, report, actor_id, progress)
    return report


def _publish(db: Database, spool: IO[bytes], total: int, report: ImportReport, actor_id: int | None,
             progress: Progress | None) -> None:
    with db.write() as session:
        submitter = actor_id if actor_id is not None else _command_line_person(session)
    if not report.dry_run:  # a re-run of a file whose import was interrupted: what that one saved goes first
        report.cleaned = sum(c.rows for c in clean_interrupted(db, filename=report.filename[:200], region_code=report.scope or None))
    batch = None if report.dry_run else open_batch(db, report.filename, report.scope or None, actor_id)
    publisher = Publisher(db, actor_id, submitter, dry_run=report.dry_run, batch_id=batch)
    try:
        publisher.publish(_chunks(spool), (lambda done: progress(done, total, "save")) if progress else None)
    except BaseException:
        undo(db, publisher.written)
        if batch is not None:
            close_batch(db, batch, UNDONE)
        raise
    counts = publisher.counts
    report.longest_write = publisher.longest_write
    report.created, report.merged, report.cases_opened, report.conflicts = (
        counts.created, counts.merged, counts.cases_opened, counts.conflicts)
    if batch is None:
        return
    started = time.perf_counter()
    close_batch(db, batch, PUBLISHED, publisher.pending)  # the recap counts of the whole list, in one transaction
    report.longest_write = max(report.longest_write, time.perf_counter() - started)
    record(db, "import.file", "import", report.filename[:40], actor_id=actor_id, region_code=report.scope or None,
           detail={"rows": report.rows, "created": report.created, "merged": report.merged, "cases_opened": report.cases_opened,
                   "conflicts": report.conflicts, "warnings": len(report.warnings), "filename": report.filename})
    report.saved = True


def template_header() -> list[str]:
    """The header row of an empty import template."""
    return list(COLUMNS)


def iter_problems(report: ImportReport) -> Iterable[tuple[int, str, str]]:
    """Errors then warnings as plain (row, column, English message) tuples."""
    for problem in (*report.errors, *report.warnings):
        yield problem.row, problem.column, str(problem.message)

"""Lampiran 2, "Format Pendataan ATS": the columns of the guide's data template and where each lives.

The same table serves the export (a case and its latest Pendataan, Rekonfirmasi or imported row → a line of
the format) and the import (a line → a child, a case and an ``impor`` response keyed by Pendataan ids).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from flows.schema import FieldClass
from reports.sql import IMPORT_INSTRUMENT
from reports.vocab import child_question, fold, node

COLUMNS = (
    "NO", "NIK", "NAMA LENGKAP", "TEMPAT LAHIR", "TANGGAL LAHIR", "L/P", "NAMA AYAH", "NAMA IBU",
    "PENDIDIKAN TERAKHIR", "ALAMAT", "RT", "RW", "DESA", "KECAMATAN", "AGAMA", "STATUS PERKAWINAN", "PEKERJAAN",
    "PEKERJAAN AYAH", "PEKERJAAN IBU", "ALASAN", "KATEGORI", "TAHUN KELUAR", "KELUAR KELAS", "SEKOLAH SEBELUMNYA",
    "SUMBER DATA",
)
"""Exactly as printed in Lampiran 2 ("FORMAT PENDATAAN ANAK TIDAK SEKOLAH")."""

EXTRA_COLUMNS = ("NISN", "KODE DESA", "NO KASUS", "STATUS KASUS", "FORMULIR")
"""Added after the guide's columns by the export (the import reads NISN and KODE DESA when present)."""
COLUMN_CLASSES = {
    "NIK": FieldClass.NIK, "NISN": FieldClass.NIK, "NAMA LENGKAP": FieldClass.IDENTITY, "TEMPAT LAHIR": FieldClass.IDENTITY,
    "TANGGAL LAHIR": FieldClass.IDENTITY, "NAMA AYAH": FieldClass.IDENTITY, "NAMA IBU": FieldClass.IDENTITY,
    "ALAMAT": FieldClass.LOCATION, "RT": FieldClass.LOCATION, "RW": FieldClass.LOCATION,
}
"""The personal columns and their field class (``core.visibility``); the others are plain record data."""

FORM_FIELDS: dict[str, str] = {
    "NAMA AYAH": "father_name",
    "NAMA IBU": "mother_name",
    "PENDIDIKAN TERAKHIR": "last_education",
    "AGAMA": "religion",
    "STATUS PERKAWINAN": "marital_status",
    "PEKERJAAN": "occupation",
    "PEKERJAAN AYAH": "father_occupation",
    "PEKERJAAN IBU": "mother_occupation",
    "ALASAN": "reasons",
    "KATEGORI": "category",
    "TAHUN KELUAR": "year_left",
    "SEKOLAH SEBELUMNYA": "previous_school",
}
"""Lampiran 2 column → the role (``flows.roles``) of its question in Pendataan and Rekonfirmasi (which does
not ask the last two). Imported rows use the Pendataan ids."""

SOURCE_KEY = "sumber_data"
CLASS_KEY = "keluar_kelas"
TEXT_SUFFIX = ".teks"
"""An imported value that is no option of the form, kept as written (e.g. ``3.2.teks``)."""

HEADER_ALIASES = {
    "NO": ("NO", "NOMOR", "NO URUT"),
    "NIK": ("NIK", "NO NIK", "NOMOR NIK", "NIK ANAK"),
    "NAMA LENGKAP": ("NAMA LENGKAP", "NAMA", "NAMA ANAK", "NAMA PESERTA DIDIK", "NAMA SISWA"),
    "TEMPAT LAHIR": ("TEMPAT LAHIR", "TMP LAHIR", "TEMPAT LHR"),
    "TANGGAL LAHIR": ("TANGGAL LAHIR", "TGL LAHIR", "TANGGAL LHR", "TGL LHR"),
    "L/P": ("L/P", "LP", "L P", "JK", "JENIS KELAMIN", "KELAMIN", "SEX"),
    "NAMA AYAH": ("NAMA AYAH", "AYAH"),
    "NAMA IBU": ("NAMA IBU", "IBU", "NAMA IBU KANDUNG"),
    "PENDIDIKAN TERAKHIR": ("PENDIDIKAN TERAKHIR", "PENDIDIKAN"),
    "ALAMAT": ("ALAMAT", "ALAMAT JALAN", "DUSUN"),
    "RT": ("RT",),
    "RW": ("RW",),
    "DESA": ("DESA", "DESA/KELURAHAN", "KELURAHAN", "DESA KELURAHAN", "KELURAHAN/DESA", "KELURAHAN DESA"),
    "KECAMATAN": ("KECAMATAN", "KEC"),
    "AGAMA": ("AGAMA",),
    "STATUS PERKAWINAN": ("STATUS PERKAWINAN", "STATUS PERNIKAHAN", "STATUS KAWIN"),
    "PEKERJAAN": ("PEKERJAAN", "PEKERJAAN ANAK"),
    "PEKERJAAN AYAH": ("PEKERJAAN AYAH",),
    "PEKERJAAN IBU": ("PEKERJAAN IBU",),
    "ALASAN": ("ALASAN", "ALASAN TIDAK SEKOLAH", "PENYEBAB", "ALASAN PUTUS SEKOLAH"),
    "KATEGORI": ("KATEGORI", "KATEGORI ATS"),
    "TAHUN KELUAR": ("TAHUN KELUAR", "TAHUN BERHENTI", "TAHUN BERHENTI SEKOLAH"),
    "KELUAR KELAS": ("KELUAR KELAS", "KELAS KELUAR", "KELAS TERAKHIR", "PUTUS KELAS"),
    "SEKOLAH SEBELUMNYA": ("SEKOLAH SEBELUMNYA", "SEKOLAH TERAKHIR", "NAMA SEKOLAH TERAKHIR", "ASAL SEKOLAH"),
    "SUMBER DATA": ("SUMBER DATA", "SUMBER"),
    "NISN": ("NISN",),
    "KODE DESA": ("KODE DESA", "KODE WILAYAH", "KODE KEMENDAGRI"),
}


def header_key(text: Any) -> str:
    """A header cell compared loosely: upper case, punctuation except ``/`` as spaces, single spaces."""
    return " ".join(re.sub(r"[^\w/]|_", " ", str(text or "")).upper().split())


_ALIASES = {header_key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases}


def column_for(header: Any) -> str | None:
    """The Lampiran 2 (or extra) column a header cell names, if any."""
    return _ALIASES.get(header_key(header))


# -- values from a form ----------------------------------------------------------------------------------------------
def question_for(column: str, instrument: str) -> str | None:
    return child_question(instrument, FORM_FIELDS[column])


def form_value(column: str, instrument: str | None, answers: Mapping[str, Any] | None) -> Any:
    """The value of a Lampiran 2 column from a form's answers: option labels as printed; a "Lainnya" option
    or an imported free text replaced by what was written."""
    if not instrument or not answers:
        return None
    question = question_for(column, instrument)
    if question is None:
        return None
    value = answers.get(question)
    written = answers.get(question + ".lainnya") or answers.get(question + TEXT_SUFFIX)
    if value is None or value == "" or value == []:
        return written
    form = "pendataan" if instrument == IMPORT_INSTRUMENT else instrument
    if not _has_choices(form, question):
        return value
    labels = []
    for code in value if isinstance(value, list) else [value]:
        label, other = _option(form, question, str(code))
        labels.append(str(written) if other and written else label)
    return "; ".join(labels)


@cache
def _has_choices(form: str, question: str) -> bool:
    try:
        return bool(node(form, question).choices)
    except KeyError:
        return False


@lru_cache(maxsize=4096)
def _option(form: str, question: str, code: str) -> tuple[str, bool]:
    """(label as printed, whether it is the "other" option) of a code: looked up once per export process."""
    choice = node(form, question).choice(code)
    return (choice.label, choice.other) if choice is not None else (code, False)


_CLASS_FROM_EDUCATION = re.compile(r"kelas (\d+)")
_FINISHED = {"tamat sd mi": 6, "tamat smp mts": 9, "tamat sma ma smk": 12}


def class_left(instrument: str | None, answers: Mapping[str, Any] | None) -> Any:
    """KELUAR KELAS: as imported, else the class of "Putus kelas N" / the last class of "Tamat …" (3.2 / D.2)."""
    if not answers:
        return None
    if answers.get(CLASS_KEY) not in (None, ""):
        return answers[CLASS_KEY]
    education = form_value("PENDIDIKAN TERAKHIR", instrument, answers)
    if not isinstance(education, str):
        return None
    folded = fold(education)
    if match := _CLASS_FROM_EDUCATION.search(folded):
        return int(match.group(1))
    return _FINISHED.get(folded)


def source_of(instrument: str | None, answers: Mapping[str, Any] | None, reference: str | None) -> str | None:
    """SUMBER DATA: the list an imported row came from (BDT, DAPODIK, EMIS, LTM, DO…), else the form."""
    if not instrument:
        return None
    if instrument == IMPORT_INSTRUMENT:
        return (answers or {}).get(SOURCE_KEY) or "Impor"
    title = {"pendataan": "Pendataan ATS", "rekonfirmasi": "Rekonfirmasi ATS"}.get(instrument, instrument)
    return f"{title} {reference}" if reference else title

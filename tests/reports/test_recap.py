"""The recap: counts by status, category, reason, sex, age group and village, scoped to the team's region;
back in school against the target; the quarterly recap; text and chart."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.recap import build_recap, recap_data
from reports.targets import Targets
from storage.db import Database
from tests.reports.conftest import DESA_A1, DESA_A2, DESA_B1, KABUPATEN, KEC_A, KEC_B, MAKASSAR_DESA, TODAY, Seed, at

TARGETS = Targets({KABUPATEN: {2025: 10, 2026: 4}})


@pytest.fixture
def cases(seed: Seed) -> dict[str, int]:
    """Six children of Kandangserang, two of Paninggaran, one of Makassar (never counted in Pekalongan)."""
    ids: dict[str, int] = {}
    # Kandangserang, desa Klesem
    child, ids["ayu"] = seed.case("Ayu", DESA_A1, sex="P", born=dt.date(2014, 3, 1), category="2")  # 12 → 7–12
    seed.response("pendataan", {"1.1": "Ayu", "3.1": "8", "3.6": "2"}, case_id=ids["ayu"], child_id=child)
    child, ids["budi"] = seed.case("Budi", DESA_A1, sex="L", born=dt.date(2012, 1, 1), status="verified")  # 14 → 13–15
    seed.response("rekonfirmasi", {"B.2": "Budi", "D.1": ["8", "3"], "D.4": "3"}, case_id=ids["budi"], child_id=child)
    child, ids["citra"] = seed.case(
        "Citra", DESA_A1, sex="P", born=dt.date(2009, 6, 1), category="1", status="back_in_school",
        history=[("back_in_school", at(dt.date(2026, 8, 1)))],
    )  # 17 → 16–18
    seed.response("pendataan", {"1.1": "Citra", "3.1": "1"}, case_id=ids["citra"], child_id=child)
    # Kandangserang, desa Bodas
    _, ids["dodi"] = seed.case(
        "Dodi", DESA_A2, sex="L", born=dt.date(2011, 12, 1), category="2", status="monitored",
        history=[("back_in_school", at(dt.date(2025, 7, 15))), ("monitored", at(dt.date(2025, 9, 1)))],
    )
    _, ids["eka"] = seed.case(
        "Eka", DESA_A2, sex=None, born=None, category="3", status="dropped_out_again",
        history=[("back_in_school", at(dt.date(2026, 1, 20))), ("dropped_out_again", at(dt.date(2026, 10, 2)))],
    )
    # recorded only at kecamatan level, desa typed in the form: counted under Bodas
    child, ids["fajar"] = seed.case("Fajar", KEC_A, sex="L", born=dt.date(2013, 2, 2), category="2")
    seed.response("pendataan", {"1.1": "Fajar", "1.7.desa": " bodas ", "3.1": "9"}, case_id=ids["fajar"], child_id=child,
                  region=KEC_A)
    # Paninggaran
    _, ids["gita"] = seed.case("Gita", DESA_B1, sex="P", born=dt.date(2015, 1, 1), category="2")
    _, ids["hadi"] = seed.case(
        "Hadi", DESA_B1, sex="L", born=dt.date(2010, 1, 1), category="2", status="back_in_school",
        history=[("back_in_school", at(dt.date(2026, 2, 1)))],
    )
    # a duplicate (closed as the same child as Gita): never counted
    seed.case("Gita (duplikat)", DESA_B1, sex="P", status="not_valid", duplicate_of=ids["gita"])
    # elsewhere
    seed.case("Ikhsan", MAKASSAR_DESA, sex="L", category="1")
    # monitoring this quarter (Q4 2026): Dodi still in school; Eka dropped out (event above)
    seed.response("monitoring", {"C.1": "1", "C.2": "1"}, case_id=ids["dodi"], when=at(dt.date(2026, 10, 20)))
    seed.response("monitoring", {"C.1": "1", "C.2": "1"}, case_id=ids["hadi"], when=at(dt.date(2026, 8, 20)))
    return ids


def test_kabupaten_counts(db: Database, cases: dict[str, int]) -> None:
    data = recap_data(db, KABUPATEN, TODAY, targets=TARGETS)
    assert data.total == 8
    assert data.by_sex == {"L": 4, "P": 3, None: 1}
    assert data.totals(data.by_status) == {
        "recorded": 3, "verified": 1, "back_in_school": 2, "monitored": 1, "dropped_out_again": 1,
    }
    # case category first, else the latest form's 3.6 / D.4
    assert data.totals(data.by_category) == {"1": 1, "2": 5, "3": 2}
    assert data.by_category["2"] == {"P": 2, "L": 3}
    assert data.totals(data.by_age_group) == {"7-12": 2, "13-15": 3, "16-18": 2, "unknown": 1}
    assert data.by_age_group["unknown"] == {None: 1}
    # a child may give several reasons (Rekonfirmasi D.1 is a select-multiple)
    assert data.totals(data.by_reason) == {"8": 2, "3": 1, "1": 1, "9": 1}
    assert data.by_reason["8"] == {"P": 1, "L": 1}
    assert data.totals(data.by_area) == {DESA_A1: 3, DESA_A2: 3, DESA_B1: 2}
    assert data.totals(data.by_kecamatan()) == {KEC_A: 6, KEC_B: 2}
    assert data.area_names[DESA_A2] == "Bodas"


def test_kecamatan_recap_excludes_other_kecamatan(db: Database, cases: dict[str, int]) -> None:
    data = recap_data(db, KEC_A, TODAY, targets=TARGETS)
    assert data.total == 6
    assert set(data.by_area) == {DESA_A1, DESA_A2}
    desa = recap_data(db, DESA_A2, TODAY, targets=TARGETS)
    assert desa.total == 2  # Fajar is recorded at kecamatan level: not in the desa's own recap
    national = recap_data(db, "", TODAY, targets=TARGETS)
    assert national.total == 9
    assert national.totals(national.by_area) == {KABUPATEN: 8, "73.71": 1}


def test_back_in_school_against_target(db: Database, cases: dict[str, int]) -> None:
    data = recap_data(db, KABUPATEN, TODAY, targets=TARGETS)
    assert [(y.year, y.returned, y.target) for y in data.returned] == [(2025, 1, 10), (2026, 3, 4)]
    kecamatan = recap_data(db, KEC_B, TODAY, targets=TARGETS)
    assert [(y.year, y.returned, y.target) for y in kecamatan.returned] == [(2026, 1, None)]


def test_quarterly_recap(db: Database, cases: dict[str, int]) -> None:
    quarters = recap_data(db, KABUPATEN, TODAY, targets=TARGETS).quarters
    assert [(q.year, q.quarter) for q in quarters] == [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]
    assert [(q.still, q.dropped) for q in quarters] == [(0, 0), (0, 0), (1, 0), (1, 1)]


def test_quarter_boundaries_follow_local_time(db: Database, seed: Seed) -> None:
    _, case_id = seed.case("Wati", DESA_A1, status="monitored")
    # 30 September 2026 18:00 UTC is 1 October 01:00 WIB: the fourth quarter in Pekalongan
    seed.response("monitoring", {"C.1": "1"}, case_id=case_id, when=dt.datetime(2026, 9, 30, 18, tzinfo=dt.UTC))
    quarters = recap_data(db, KABUPATEN, TODAY, targets=TARGETS).quarters
    assert [(q.quarter, q.still) for q in quarters][-2:] == [(3, 0), (4, 1)]


@pytest.mark.parametrize("language", ["id", "en", "jv"])
def test_build_recap_text_and_chart(db: Database, cases: dict[str, int], language: str) -> None:
    recap = build_recap(db, KABUPATEN, TODAY, language, targets=TARGETS)
    assert recap.chart_png.startswith(b"\x89PNG")
    assert len(recap.text) < 1024  # fits a Telegram photo caption
    assert "Pekalongan" in recap.text
    if language == "en":
        assert "Children: 8 (boys 4, girls 3)" in recap.text
        assert "Back in school in 2026: 3 of the target 4 (75%)" in recap.text
        assert "Never schooled 1 · dropped out 5 · did not continue 2" in recap.text
    if language == "id":
        assert "Anak: 8 (laki-laki 4, perempuan 3)" in recap.text


def test_empty_region(db: Database, seed: Seed) -> None:
    recap = build_recap(db, KEC_B, TODAY, "en", targets=Targets({}))
    assert "No child is recorded in Paninggaran yet." in recap.text
    assert recap.chart_png.startswith(b"\x89PNG")
    assert recap.at_risk == []

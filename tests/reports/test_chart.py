"""The recap chart: a bounded number of bars whatever the number of villages, and drawn once per content."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
from PIL import Image

from core.i18n import translator
from reports import chart
from reports.recap import QuarterCount, RecapData, YearCount


def district(villages: int) -> RecapData:
    data = RecapData("33.26", "Pekalongan", dt.date(2026, 11, 23))
    data.by_area = {f"33.26.{1 + i % 19:02d}.{2001 + i}": Counter({"L": 1 + i % 7, "P": 2}) for i in range(villages)}
    data.area_names = {code: f"Desa {n}" for n, code in enumerate(data.by_area)}
    data.by_status = {"recorded": Counter({"L": 5, "P": 4}), "monitored": Counter({"P": 2})}
    data.by_category = {"2": Counter({"L": 3, None: 1})}
    data.by_age_group = {"7-12": Counter({"P": 6})}
    data.by_reason = {"8": Counter({"L": 2})}
    data.returned = [YearCount(2026, 5, 10)]
    data.quarters = [QuarterCount(2026, 4, 3, 1)]
    data.total = sum(sum(v.values()) for v in data.by_area.values())
    return data


def test_villages_beyond_the_top_are_one_bar() -> None:
    data, t = district(285), translator("en")
    bars = chart.top_areas(data, t)
    assert len(bars) == chart.AREAS_SHOWN
    label, others = bars[-1]
    assert label == f"{285 - chart.AREAS_SHOWN + 1} others"
    assert sum(sum(v.values()) for _, v in bars) == data.total  # nobody lost in the cut
    assert sum(others.values()) == data.total - sum(sum(v.values()) for _, v in bars[:-1])
    assert translator("id")(chart.M.CHART_OTHERS, count=3) == "3 lainnya"


def test_a_small_district_shows_every_village() -> None:
    assert [label for label, _ in chart.top_areas(district(4), translator("id"))] == ["Desa 3", "Desa 2", "Desa 1", "Desa 0"]


def test_drawn_once_per_content_and_language(monkeypatch: pytest.MonkeyPatch) -> None:
    chart._cache.clear()
    drawn: list[str] = []
    real = chart.draw
    def draw(data: Any, t: Any) -> Any:
        drawn.append(t.language)
        return real(data, t)

    monkeypatch.setattr(chart, "draw", draw)
    data = district(285)
    first = chart.render_chart(data, translator("id"))
    assert Image.open(io.BytesIO(first)).size == (chart.WIDTH, chart.HEIGHT)
    again = chart.render_chart(district(285), translator("id"))  # equal content, built anew
    assert again == first and drawn == ["id"]
    chart.render_chart(data, translator("en"))
    changed = district(285)
    changed.by_status["recorded"]["L"] += 1
    chart.render_chart(changed, translator("id"))
    assert drawn == ["id", "en", "id"]

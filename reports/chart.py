"""The recap as one PNG image (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
import textwrap
from collections import Counter
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from app.i18n import Translator
from reports import messages as M
from reports.recap import RecapData, area_label, short_reason
from reports.vocab import AGE_GROUPS

BOY, GIRL, UNKNOWN = "#3b7dd8", "#e0607e", "#b0b0b0"
REASONS_SHOWN = 8
AREAS_SHOWN = 10
DPI = 80


def _short(text: str, width: int = 34) -> str:
    return textwrap.shorten(text, width=width, placeholder="…")


def _by_sex_bars(ax: Axes, labels: list[str], table: list[Counter[Any]], t: Translator, *, horizontal: bool = False) -> None:
    """Stacked bars boys / girls / unknown per label."""
    positions = list(range(len(labels)))
    bottom = [0] * len(labels)
    for sex, colour, name in (("L", BOY, M.BOYS), ("P", GIRL, M.GIRLS), (None, UNKNOWN, M.SEX_UNKNOWN)):
        values = [row.get(sex, 0) for row in table]
        if not any(values) and sex is None:
            continue
        if horizontal:
            ax.barh(positions, values, left=bottom, color=colour, label=t(name))
        else:
            ax.bar(positions, values, bottom=bottom, color=colour, label=t(name))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if horizontal:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
    else:
        ax.set_xticks(positions, labels)
    ax.legend(fontsize=8, loc="best")


def _empty(ax: Axes, t: Translator) -> None:
    ax.text(0.5, 0.5, t(M.CHART_NO_DATA), ha="center", va="center", transform=ax.transAxes, color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def render_chart(data: RecapData, t: Translator) -> bytes:
    """Seven panels: status, category × sex, age group × sex, reasons × sex, villages × sex, back in school
    against the target per year, and the quarterly still-in-school / dropped-out-again recap."""
    fig, axes = plt.subplots(4, 2, figsize=(12, 16), dpi=DPI)
    region = data.region_name if data.region_code else t(M.NATIONAL)
    fig.suptitle(t(M.RECAP_TITLE, region=region, date=t.date(data.today, "medium")), fontsize=14)
    ax = axes.flat

    statuses = sorted(data.totals(data.by_status).items(), key=lambda kv: -kv[1])
    ax[0].set_title(t(M.CHART_STATUS))
    if statuses:
        ax[0].barh([t(M.STATUS_LABELS.get(s, s)) for s, _ in statuses], [n for _, n in statuses], color="#5a9e6f")
        ax[0].invert_yaxis()
    else:
        _empty(ax[0], t)

    ax[1].set_title(t(M.CHART_CATEGORY))
    categories = [c for c in ("1", "2", "3", None) if c in data.by_category]
    if categories:
        _by_sex_bars(ax[1], [textwrap.fill(t(M.CATEGORY_LABELS[c]), 16) for c in categories], [data.by_category[c] for c in categories], t)
    else:
        _empty(ax[1], t)

    ax[2].set_title(t(M.CHART_AGE))
    ages = [a for a in AGE_GROUPS if a in data.by_age_group]
    if ages:
        _by_sex_bars(ax[2], [t(M.AGE_GROUP_LABELS[a]) for a in ages], [data.by_age_group[a] for a in ages], t)
    else:
        _empty(ax[2], t)

    ax[3].set_title(t(M.CHART_REASONS))
    reasons = sorted(data.by_reason.items(), key=lambda kv: -sum(kv[1].values()))[:REASONS_SHOWN]
    if reasons:
        _by_sex_bars(ax[3], [short_reason(c, t, 34) for c, _ in reasons], [v for _, v in reasons], t, horizontal=True)
    else:
        _empty(ax[3], t)

    ax[4].set_title(t(M.CHART_AREAS))
    areas = sorted(data.by_area.items(), key=lambda kv: -sum(kv[1].values()))[:AREAS_SHOWN]
    if areas:
        _by_sex_bars(ax[4], [_short(area_label(data, c, t), 28) for c, _ in areas], [v for _, v in areas], t, horizontal=True)
    else:
        _empty(ax[4], t)

    ax[5].set_title(t(M.CHART_TARGET))
    years = data.returned
    positions = list(range(len(years)))
    ax[5].bar([p - 0.2 for p in positions], [y.returned for y in years], width=0.4, color="#5a9e6f", label=t(M.RETURNED))
    ax[5].bar([p + 0.2 for p in positions], [y.target or 0 for y in years], width=0.4, color="#d9d9d9", label=t(M.TARGET))
    ax[5].set_xticks(positions, [str(y.year) for y in years])
    ax[5].legend(fontsize=8)

    ax[6].set_title(t(M.CHART_QUARTERS))
    quarters = data.quarters
    positions = list(range(len(quarters)))
    ax[6].bar([p - 0.2 for p in positions], [q.still for q in quarters], width=0.4, color="#5a9e6f", label=t(M.STILL_IN_SCHOOL))
    ax[6].bar([p + 0.2 for p in positions], [q.dropped for q in quarters], width=0.4, color="#d9534f", label=t(M.DROPPED_AGAIN))
    ax[6].set_xticks(positions, ["\n".join(t(M.RECAP_QUARTER_NAME, number=str(q.quarter), year=str(q.year)).rsplit(" ", 1))
                                for q in quarters])
    ax[6].legend(fontsize=8)

    ax[7].axis("off")
    kecamatan = data.by_kecamatan() if data.region_code.count(".") == 1 else {}
    lines = [t(M.RECAP_TOTAL, total=data.total, boys=data.by_sex.get("L", 0), girls=data.by_sex.get("P", 0))]
    for code, by_sex in sorted(kecamatan.items(), key=lambda kv: -sum(kv[1].values()))[:12]:
        lines.append(f"{_short(data.area_names.get(code, code), 24)}: {t.number(sum(by_sex.values()))}")
    ax[7].text(0.0, 1.0, "\n".join(lines), va="top", fontsize=10, transform=ax[7].transAxes)

    for axis in axes.flat:
        axis.tick_params(labelsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()

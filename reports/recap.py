"""``/rekap``: what a team needs to plan, budget and act, for its own region (guide Bab I.F, IV; seed 004).

Counts by status, ATS category, reason, sex, age group and village; children back in school against the
yearly target; the quarterly "still in school / dropped out again" recap of Bab IV.B.2; the pupils at risk
of dropping out again (:mod:`reports.early_warning`). The counts come from the recap summary
(:mod:`reports.summary`), kept current by every write that changes a case: a national recap sums a few
thousand counters instead of scanning millions of cases and their forms.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.messages import STATUS_LABELS
from core.i18n import Translator, translator
from core.visibility import HIDDEN, FieldClass, Policy
from reports import messages as M
from reports import summary
from reports.early_warning import Risk
from reports.sql import (
    region_names,
    tune,
    years_before,
)
from reports.targets import Targets, targets_for
from reports.vocab import AGE_GROUPS, reason_codes, reason_label
from storage.db import Database
from storage.models import Region

DIMENSIONS = ("status", "category", "age_group", "area")
YEARS_SHOWN = 6
"""At most this many years in the target comparison (the current year and those before it with a target)."""
QUARTERS_SHOWN = 4
TEXT_LIST = 3
"""Items per line of the text (reasons, villages); the chart shows more."""
AT_RISK_LISTED = 10
CAPTION_LIMIT = 1024
"""A Telegram photo caption: the text is cut to fit, the pupils at risk not listed are counted."""


@dataclass(frozen=True)
class YearCount:
    year: int
    returned: int
    target: int | None


@dataclass(frozen=True)
class QuarterCount:
    year: int
    quarter: int
    still: int
    dropped: int


@dataclass
class RecapData:
    """The numbers of a recap, before any language: what the text, the chart and tests read."""

    region_code: str
    region_name: str
    today: dt.date
    total: int = 0
    by_sex: Counter[str | None] = field(default_factory=Counter)
    by_status: dict[str, Counter[str | None]] = field(default_factory=dict)
    """status → sex → count (sex ``L``, ``P`` or None); the same shape for every dimension below."""
    by_category: dict[str | None, Counter[str | None]] = field(default_factory=dict)
    by_age_group: dict[str, Counter[str | None]] = field(default_factory=dict)
    by_area: dict[str, Counter[str | None]] = field(default_factory=dict)
    """Villages (desa codes) in a kabupaten, kecamatan or desa recap; kabupaten codes in a national one. A child
    recorded only at kecamatan level counts under the kecamatan code."""
    by_reason: dict[str, Counter[str | None]] = field(default_factory=dict)
    """Reason code (Pendataan 3.1 / Rekonfirmasi D.1) → sex → children; a child may give several reasons."""
    area_names: dict[str, str] = field(default_factory=dict)
    returned: list[YearCount] = field(default_factory=list)
    quarters: list[QuarterCount] = field(default_factory=list)
    at_risk_total: int = 0
    """Pupils flagged by the early warning (the recap lists the first of them)."""
    awaiting_check: int = 0
    """Verified cases the kecamatan has not accepted yet: a kabupaten or national recap counts them only here."""

    @staticmethod
    def totals(table: dict[Any, Counter[str | None]]) -> dict[Any, int]:
        return {key: sum(by_sex.values()) for key, by_sex in table.items()}

    def by_kecamatan(self) -> dict[str, Counter[str | None]]:
        """Areas rolled up to their kecamatan (for a kabupaten recap)."""
        rolled: dict[str, Counter[str | None]] = defaultdict(Counter)
        for code, by_sex in self.by_area.items():
            rolled[".".join(code.split(".")[:3])].update(by_sex)
        return dict(rolled)


@dataclass(frozen=True)
class Recap:
    text: str
    chart_png: bytes
    at_risk: list[Risk]
    """The first pupils at risk (at most :data:`AT_RISK_LISTED`); ``data.at_risk_total`` counts them all."""
    data: RecapData


def build_recap(db: Database, region_code: str, today: dt.date, language: str, *, targets: Targets | None = None,
                view: Policy | None = None) -> Recap:
    """The recap of ``region_code`` (``""`` for every region) on ``today``, in ``language`` (id, en, jv), as the
    reader's field visibility ``view`` allows (None: everything, the command line)."""
    from reports.chart import render_chart  # matplotlib is imported only when a chart is drawn

    data = recap_data(db, region_code, today, targets=targets)
    with db.read() as session:
        risks = summary.flagged(session, region_code.strip(), AT_RISK_LISTED)
    t = translator(language)
    return Recap(text=render_text(data, risks, t, view), chart_png=render_chart(data, t), at_risk=risks, data=data)


def recap_data(db: Database, region_code: str, today: dt.date, *, targets: Targets | None = None) -> RecapData:
    """``targets`` replaces the stored ones (tests, benchmarks); by default they are read in the same transaction.
    Everything is read from the recap summary (:mod:`reports.summary`), whatever the number of cases."""
    region_code = (region_code or "").strip()
    with db.read() as session:
        tune(session)
        name = session.scalar(select(Region.name).where(Region.code == region_code)) if region_code else None
        data = RecapData(region_code, name or region_code, today)
        periods = fill_counts(session, data)
        data.area_names = region_names(session, set(data.by_area) | set(data.by_kecamatan()))
        goals = targets.for_region(region_code) if targets is not None else targets_for(session, region_code)
    data.returned = periods.years(today, goals)
    data.quarters = periods.last_quarters(today)
    return data


# -- counts -------------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _age_bounds(today: dt.date) -> tuple[tuple[str, str], ...]:
    """(``YYYY-MM`` born after which, group), youngest first: months compare as text."""
    first = today.replace(day=1)
    return tuple((f"{years_before(first, years):%Y-%m}", group) for years, group in ((7, "under-7"), (13, "7-12"), (16, "13-15"), (19, "16-18")))


def age_group(birth_month: str, today: dt.date) -> str:
    """The age group of a child born in ``YYYY-MM`` on ``today``. Ages count whole months: a child is a year
    older from the first day of the birthday month (the summary keeps the month, not the day)."""
    if not birth_month:
        return "unknown"
    for born_after, group in _age_bounds(today):
        if birth_month > born_after:
            return group
    return "over-18"


@dataclass
class Periods:
    """Children back in school per year and monitored per quarter, as counted in the summary."""

    returned: Counter[int] = field(default_factory=Counter)
    quarters: dict[tuple[int, int], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, dimension: str, key: str, n: int) -> None:
        if dimension == "returned" and key.isdigit():
            self.returned[int(key)] += n
        elif dimension == "quarter":
            quarter, _, outcome = key.partition(":")
            year, _, number = quarter.partition("-")
            if year.isdigit() and number.isdigit():
                self.quarters[(int(year), int(number))][outcome] += n

    def years(self, today: dt.date, targets: dict[int, int]) -> list[YearCount]:
        """This year and the earlier years with a target (at most :data:`YEARS_SHOWN`), against the target."""
        years = sorted({today.year, *(y for y in targets if y <= today.year)})[-YEARS_SHOWN:]
        return [YearCount(y, self.returned.get(y, 0), targets.get(y)) for y in years]

    def last_quarters(self, today: dt.date) -> list[QuarterCount]:
        """Bab IV.B.2: the last :data:`QUARTERS_SHOWN` quarters up to ``today``'s, oldest first."""
        year, quarter = quarter_of(today)
        shown: list[tuple[int, int]] = []
        for _ in range(QUARTERS_SHOWN):
            shown.append((year, quarter))
            year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        return [QuarterCount(y, q, self.quarters.get((y, q), Counter())[summary.STILL],
                             self.quarters.get((y, q), Counter())[summary.DROPPED]) for y, q in reversed(shown)]


def fill_counts(session: Session, data: RecapData) -> Periods:
    """Sum the recap summary (:mod:`reports.summary`): a few thousand counters, whatever the number of cases."""
    dims, areas = summary.counts(session, data.region_code)
    tables: dict[str, dict[Any, Counter[str | None]]] = {d: defaultdict(Counter) for d in DIMENSIONS}
    reasons: dict[str, Counter[str | None]] = defaultdict(Counter)
    periods = Periods()
    for dim, key, sex_key, n in dims:
        sex = sex_key if sex_key in ("L", "P") else None
        if dim == "reason":
            reasons[key][sex] += n
        elif dim == "birth_month":
            tables["age_group"][age_group(key, data.today)][sex] += n
        elif dim == "category":
            tables["category"][key or None][sex] += n
        elif dim == "status":
            tables["status"][key][sex] += n
            data.by_sex[sex] += n
        elif dim == "at_risk":
            data.at_risk_total += n
        elif dim == "check":
            data.awaiting_check += n
        else:
            periods.add(dim, key, n)
    for area, sex_key, n in areas:
        tables["area"][area][sex_key if sex_key in ("L", "P") else None] += n
    data.total = sum(data.by_sex.values())
    data.by_status = dict(tables["status"])
    data.by_category = dict(tables["category"])
    data.by_age_group = dict(tables["age_group"])
    data.by_area = dict(tables["area"])
    known = set(reason_codes())
    data.by_reason = {code: by_sex for code, by_sex in reasons.items() if code in known}
    return periods


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


# -- text ---------------------------------------------------------------------------------------------------------
def short_reason(code: str, t: Translator, width: int = 40) -> str:
    """A reason's label, without its parenthesis ("Tidak Punya Biaya"), "Lainnya, sebutkan" as "Lainnya"."""
    label = t.label(reason_label(code))
    if code == reason_codes()[-1]:
        label = label.split(",")[0]
    label = label.split(" (")[0].strip()
    return textwrap.shorten(label, width=width, placeholder="…")


def area_label(data: RecapData, code: str, t: Translator) -> str:
    name = data.area_names.get(code, code)
    if data.region_code and code.count(".") < 3:  # a child recorded at kecamatan level in a village breakdown
        return t(M.AREA_WITHOUT_DESA, region=name)
    return name


def render_text(data: RecapData, risks: list[Risk], t: Translator, view: Policy | None = None) -> str:
    """The short text sent with the chart (a Telegram caption holds 1,024 characters: keep it compact): ``risks``
    are the first pupils at risk, ``data.at_risk_total`` how many there are. A risk reason of a field class the
    reader may not see (a disability) is not named, only said to exist."""
    region = data.region_name if data.region_code else t(M.NATIONAL)
    lines = [t(M.RECAP_TITLE, region=region, date=t.date(data.today, "medium"))]
    if data.total == 0:
        lines.append(t(M.RECAP_EMPTY, region=region))
    else:
        lines.append(t(M.RECAP_TOTAL, total=data.total, boys=data.by_sex.get("L", 0), girls=data.by_sex.get("P", 0)))
        categories = data.totals(data.by_category)
        lines.append(t(M.RECAP_CATEGORIES, never=categories.get("1", 0), dropped=categories.get("2", 0),
                       not_continued=categories.get("3", 0)))
        ages = data.totals(data.by_age_group)
        lines.append(t(M.RECAP_AGES, young=ages.get("7-12", 0), middle=ages.get("13-15", 0), old=ages.get("16-18", 0)))
        statuses = sorted(data.totals(data.by_status).items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append(t(M.RECAP_STATUS, list=", ".join(f"{t(STATUS_LABELS.get(s, s))} {t.number(n)}" for s, n in statuses)))
        reasons = sorted(data.totals(data.by_reason).items(), key=lambda kv: (-kv[1], int(kv[0])))[:TEXT_LIST]
        if reasons:
            lines.append(t(M.RECAP_REASONS, list=", ".join(f"{short_reason(c, t)} {t.number(n)}" for c, n in reasons)))
        areas = sorted(data.totals(data.by_area).items(), key=lambda kv: (-kv[1], kv[0]))[:TEXT_LIST]
        lines.append(t(M.RECAP_AREAS, list=", ".join(f"{area_label(data, c, t)} {t.number(n)}" for c, n in areas)))
    if data.awaiting_check:
        lines.append(t(M.RECAP_AWAITING_CHECK, count=data.awaiting_check))
    for year in data.returned:  # the chart shows every year; the text this year and the last
        if year.year < data.today.year - 1 or (year.year != data.today.year and not year.target and not year.returned):
            continue
        if year.target:
            percent = round(100 * year.returned / year.target)
            lines.append(t(M.RECAP_TARGET, year=str(year.year), done=year.returned, target=year.target, percent=percent))
        else:
            lines.append(t(M.RECAP_NO_TARGET, year=str(year.year), done=year.returned))
    for q in data.quarters[-2:]:
        name = t(M.RECAP_QUARTER_NAME, number=str(q.quarter), year=str(q.year))
        lines.append(t(M.RECAP_QUARTER, quarter=name, still=q.still, dropped=q.dropped))
    total = data.at_risk_total
    if not total:
        lines.append(t(M.RECAP_AT_RISK_NONE))
        return "\n".join(lines)
    lines.append(t(M.RECAP_AT_RISK, count=total))
    room = CAPTION_LIMIT - len("\n".join(lines)) - len(t(M.RECAP_MORE, count=total)) - 2
    shown = 0
    for risk in risks[:AT_RISK_LISTED]:
        item = t(M.RECAP_AT_RISK_ITEM, name=_seen(view, FieldClass.IDENTITY, risk.child_name), reference=risk.reference,
                 reasons=", ".join(_reasons(view, risk.reasons, t)))
        if len(item) + 1 > room:
            break
        lines.append(item)
        room -= len(item) + 1
        shown += 1
    if total > shown:
        lines.append(t(M.RECAP_MORE, count=total - shown))
    return "\n".join(lines)


def _seen(view: Policy | None, field_class: FieldClass, value: str) -> str:
    shown = value if view is None else view.present(field_class, value)
    return "—" if shown is HIDDEN else str(shown)


def _reasons(view: Policy | None, reasons: list[str], t: Translator) -> list[str]:
    named = [t(r) for r in reasons if view is None or view.shows(M.RISK_FIELD_CLASSES.get(r))]
    return named if len(named) == len(reasons) else [*named, t(M.RISK_NOT_SHOWN)]


__all__ = ["AGE_GROUPS", "Periods", "QuarterCount", "Recap", "RecapData", "YearCount", "build_recap", "recap_data", "render_text"]

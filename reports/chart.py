"""The recap as one PNG image, drawn with Pillow on a fixed layout.

Eight panels on a fixed grid, each with a bounded number of bars (the top villages and one bar for all the
others), no layout pass that measures every label: a chart draws in tens of milliseconds whatever the number of
villages. The PNG is also cached per recap content and language: a recap asked again before any case changed
costs no drawing. The font is the DejaVu Sans shipped with matplotlib (no system font needed).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections import Counter, OrderedDict
from collections.abc import Sequence
from functools import cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from cases.messages import STATUS_LABELS
from core.i18n import Translator
from reports import messages as M
from reports.recap import RecapData, area_label, short_reason
from reports.vocab import AGE_GROUPS

BOY, GIRL, UNKNOWN = "#3b7dd8", "#e0607e", "#b0b0b0"
GREEN, GREY, RED, INK, MUTED = "#5a9e6f", "#d9d9d9", "#d9534f", "#222222", "#777777"
REASONS_SHOWN = 8
AREAS_SHOWN = 10
"""Bars in the villages panel: the top ``AREAS_SHOWN - 1`` and one for all the others."""
WIDTH, HEIGHT = 800, 1060
PANEL_W, PANEL_H, TOP = WIDTH // 2, 245, 60
LABEL_W = 150
"""Room for the bar labels on the left of each panel."""
CACHED = 64
_cache: OrderedDict[str, bytes] = OrderedDict()
Row = tuple[str, Sequence[tuple[int, str]]]
"""A bar: its label and its stacked (value, colour) segments."""


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    import matplotlib

    return ImageFont.truetype(os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf"), size)


def _short(text: str, width: int = 34) -> str:
    """At most ``width`` characters, cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def top_areas(data: RecapData, t: Translator) -> list[tuple[str, Counter[Any]]]:
    """The villages with the most children, and the rest summed into one "N others" bar."""
    ranked = sorted(data.by_area.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    if len(ranked) <= AREAS_SHOWN:
        return [(_short(area_label(data, c, t), 28), v) for c, v in ranked]
    shown, rest = ranked[: AREAS_SHOWN - 1], ranked[AREAS_SHOWN - 1 :]
    others: Counter[Any] = Counter()
    for _, by_sex in rest:
        others.update(by_sex)
    return [(_short(area_label(data, c, t), 28), v) for c, v in shown] + [(t(M.CHART_OTHERS, count=len(rest)), others)]


def _canonical(value: Any) -> Any:
    """Mappings as sorted pairs, so that the order rows came back in does not change the key."""
    if isinstance(value, dict):
        return sorted(((repr(k), _canonical(v)) for k, v in value.items()), key=lambda kv: kv[0])
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _key(data: RecapData, t: Translator) -> str:
    """The recap's content and language: equal keys draw equal charts."""
    return hashlib.sha256(repr((t.language, _canonical(data.__dict__))).encode()).hexdigest()


def render_chart(data: RecapData, t: Translator) -> bytes:
    """The chart of ``data`` in ``t``'s language, drawn once per content (see the module docstring)."""
    key = _key(data, t)
    png = _cache.get(key)
    if png is None:
        png = _cache[key] = draw(data, t)
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return png


# -- drawing ----------------------------------------------------------------------------------------------------
def _by_sex(label: str, by_sex: Counter[Any]) -> Row:
    return label, [(by_sex.get("L", 0), BOY), (by_sex.get("P", 0), GIRL), (by_sex.get(None, 0), UNKNOWN)]


def _panel(canvas: ImageDraw.ImageDraw, x: int, y: int, title: str, rows: list[Row], t: Translator,
           legend: Sequence[tuple[str, str]] = (), *, last_apart: bool = False) -> None:
    """A titled panel of horizontal stacked bars with their totals, and a legend under them (only the colours
    used). ``last_apart``: the last bar (all the others) does not set the scale; it is cut at the panel's edge."""
    canvas.text((x + 10, y + 4), _short(title, 60), fill=INK, font=font(12))
    if not rows or not any(v for _, segments in rows for v, _ in segments):
        canvas.text((x + PANEL_W // 2, y + PANEL_H // 2), t(M.CHART_NO_DATA), fill=MUTED, font=font(12), anchor="mm")
        return
    top, bottom = y + 30, y + PANEL_H - (26 if legend else 8)
    step = (bottom - top) / len(rows)
    bar = max(4, min(22, int(step * 0.7)))
    scaled = rows[:-1] if last_apart and len(rows) > 1 else rows
    largest = max(1, max(sum(v for v, _ in segments) for _, segments in scaled))
    room = PANEL_W - LABEL_W - 60
    for i, (label, segments) in enumerate(rows):
        cy = int(top + step * i + step / 2)
        canvas.text((x + LABEL_W - 6, cy), _short(label, 26), fill=INK, font=font(10), anchor="rm")
        left = x + LABEL_W
        for value, colour in segments:
            if value:
                width = max(1, min(round(room * value / largest), x + LABEL_W + room - left))
                canvas.rectangle((left, cy - bar // 2, left + width, cy + bar // 2), fill=colour)
                left += width
        canvas.text((left + 4, cy), t.number(sum(v for v, _ in segments)), fill=INK, font=font(10), anchor="lm")
    lx = x + LABEL_W
    used = {colour for _, segments in rows for value, colour in segments if value}
    for name, colour in (entry for entry in legend if entry[1] in used):
        canvas.rectangle((lx, y + PANEL_H - 18, lx + 10, y + PANEL_H - 8), fill=colour)
        canvas.text((lx + 14, y + PANEL_H - 13), name, fill=INK, font=font(10), anchor="lm")
        lx += 24 + int(canvas.textlength(name, font=font(10)))


def draw(data: RecapData, t: Translator) -> bytes:
    """Eight panels: status, category × sex, age group × sex, reasons × sex, villages × sex, back in school
    against the target per year, the quarterly still-in-school / dropped-out-again recap, and the totals."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas = ImageDraw.Draw(image)
    region = data.region_name if data.region_code else t(M.NATIONAL)
    canvas.text((WIDTH // 2, 25), t(M.RECAP_TITLE, region=region, date=t.date(data.today, "medium")), fill=INK, font=font(17),
                anchor="mm")
    sexes = [(t(M.BOYS), BOY), (t(M.GIRLS), GIRL), (t(M.SEX_UNKNOWN), UNKNOWN)]
    statuses = sorted(data.totals(data.by_status).items(), key=lambda kv: (-kv[1], kv[0]))
    categories = [c for c in ("1", "2", "3", None) if c in data.by_category]
    reasons = sorted(data.by_reason.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:REASONS_SHOWN]
    quarter = [t(M.RECAP_QUARTER_NAME, number=str(q.quarter), year=str(q.year)) for q in data.quarters]
    panels: list[tuple[str, list[Row], Sequence[tuple[str, str]]]] = [
        (t(M.CHART_STATUS), [(t(STATUS_LABELS.get(s, s)), [(n, GREEN)]) for s, n in statuses], ()),
        (t(M.CHART_CATEGORY), [_by_sex(t(M.CATEGORY_LABELS[c]), data.by_category[c]) for c in categories], sexes),
        (t(M.CHART_AGE), [_by_sex(t(M.AGE_GROUP_LABELS[a]), data.by_age_group[a]) for a in AGE_GROUPS if a in data.by_age_group], sexes),
        (t(M.CHART_REASONS), [_by_sex(short_reason(c, t, 26), v) for c, v in reasons], sexes),
        (t(M.CHART_AREAS), [_by_sex(label, v) for label, v in top_areas(data, t)], sexes),
        (t(M.CHART_TARGET), [row for y in data.returned for row in ((str(y.year), [(y.returned, GREEN)]), ("", [(y.target or 0, GREY)]))],
         [(t(M.RETURNED), GREEN), (t(M.TARGET), GREY)]),
        (t(M.CHART_QUARTERS), [row for q, name in zip(data.quarters, quarter, strict=True)
                               for row in ((name, [(q.still, GREEN)]), ("", [(q.dropped, RED)]))],
         [(t(M.STILL_IN_SCHOOL), GREEN), (t(M.DROPPED_AGAIN), RED)]),
    ]
    for i, (title, rows, legend) in enumerate(panels):
        apart = i == 4 and len(data.by_area) > AREAS_SHOWN
        _panel(canvas, (i % 2) * PANEL_W, TOP + (i // 2) * PANEL_H, title, rows, t, legend, last_apart=apart)
    x, y = PANEL_W + 10, TOP + 3 * PANEL_H + 8
    lines = [t(M.RECAP_TOTAL, total=data.total, boys=data.by_sex.get("L", 0), girls=data.by_sex.get("P", 0))]
    if data.awaiting_check:
        lines.append(_short(t(M.RECAP_AWAITING_CHECK, count=data.awaiting_check), 60))
    if data.region_code.count(".") == 1:
        for code, by_sex in sorted(data.by_kecamatan().items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:12]:
            lines.append(f"{_short(data.area_names.get(code, code), 24)}: {t.number(sum(by_sex.values()))}")
    for n, line in enumerate(lines):
        canvas.text((x, y + n * 17), line, fill=INK, font=font(12))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=1)
    return buffer.getvalue()

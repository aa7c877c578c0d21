"""Words for a case, in a person's language: the child's summary the pendamping receives, status names.

``t`` is a translator as :func:`core.i18n.translator` returns it (callable with a message id and parameters,
with ``t.date``); nothing here sends anything.
"""

from __future__ import annotations

from typing import Any

from cases import messages as m
from cases.service import CaseSummary, HistoryEntry


def status_label(t: Any, status: str) -> str:
    return t(m.STATUS_LABELS[status]) if status in m.STATUS_LABELS else status


def action_label(t: Any, event: str) -> str:
    return t(m.ACTION_LABELS[event]) if event in m.ACTION_LABELS else event


def step_label(t: Any, entry: HistoryEntry) -> str:
    """A history line for a referral's or an assistance's step: ``Referral to Dinas Sosial: accepted by the agency``."""
    step = entry.event or ""
    if entry.subject == "referral":
        return t(m.HISTORY_REFERRAL, agency=entry.what, step=t(m.REFERRAL_STATUS[step]) if step in m.REFERRAL_STATUS else step)
    label = m.ASSISTANCE_VERIFIED if step == "verified" else m.ASSISTANCE_STATUS.get(step)
    return t(m.HISTORY_ASSISTANCE, programme=entry.what, step=t(label) if label else step)


def summary_lines(t: Any, summary: CaseSummary) -> list[str]:
    """``Ayu Lestari · ATS-3326-000142`` then one ``Label: value`` line per fact (NIK masked)."""
    none = t(m.SUMMARY_NONE)
    if summary.age is None:
        age = none
    else:
        age = t(m.SUMMARY_AGE_ABOUT if summary.age_estimated else m.SUMMARY_AGE_YEARS, age=summary.age)
    sex = {"L": t(m.SUMMARY_MALE), "P": t(m.SUMMARY_FEMALE)}.get(summary.sex or "", none)
    village = ", ".join(p for p in (summary.village, summary.kecamatan) if p) or summary.region_code
    if summary.school_name:
        school = " · ".join(p for p in (summary.school_name, summary.class_level) if p)
        school = t(m.SUMMARY_SCHOOL_CHOSEN, school=school) if summary.school_is_choice else school
    else:
        school = none
    lines = [
        f"{summary.child_name} · {summary.reference}",
        f"{t(m.SUMMARY_STATUS)}: {status_label(t, summary.status)}",
        f"{t(m.SUMMARY_NIK)}: {summary.nik_masked or none}",
        f"{t(m.SUMMARY_AGE)}: {age}",
        f"{t(m.SUMMARY_SEX)}: {sex}",
        f"{t(m.SUMMARY_VILLAGE)}: {village}",
    ]
    if summary.address:
        lines.append(f"{t(m.SUMMARY_ADDRESS)}: {summary.address}")
    lines += [
        f"{t(m.SUMMARY_PENDAMPING)}: {summary.pendamping_name or none}",
        f"{t(m.SUMMARY_LAST_VISIT)}: {t.date(summary.last_visit) if summary.last_visit else none}",
        f"{t(m.SUMMARY_SCHOOL)}: {school}",
    ]
    return lines


def summary_text(t: Any, summary: CaseSummary) -> str:
    return "\n".join(summary_lines(t, summary))

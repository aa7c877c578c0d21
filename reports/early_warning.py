"""Early warning: pupils back in school who may drop out again (guide Bab IV, Lampiran 6 and 7).

Read from the latest Monitoring (Lampiran 6) and the latest Indikator Risiko (Lampiran 7, the nine key
indicators) of each case that is back in school (``back_in_school`` or ``monitored``).

*Signals* flag a pupil by themselves:

============================  =====================================================================
absence > 50 %                Monitoring C.2 = "> 50%", or Indikator I.1c (A = a/H × 100) > 50 (Bab IV.A.4)
bullying                      Monitoring C.6 has "Mengalami Perundungan", unless C.7 says none this semester
cost                          Monitoring C.6 has "Biaya Pendidikan"
learning                      Monitoring C.6 has "Kesulitan Mengikuti Pelajaran" or "Kesulitan Berkonsentrasi"
will not / unsure continue    Monitoring C.9 = Tidak / Ragu-ragu
low marks                     Monitoring C.3 or Indikator I.6a below 60, or I.6b = D (Kurang)
no parent support             Monitoring D.1 = Tidak ada
disability without support    Indikator I.7a = disability and (I.8 = Tidak ada or I.9 = transport not accessible)
============================  =====================================================================

*Context* (Lampiran 7 says these predict drop-out "bersama-sama dengan indikator absen") is listed with a
flagged pupil but never flags one alone: an hour or more to school (I.2), three or more siblings with an
income below Rp500.000 or none (I.3 + I.5), parents with at most primary schooling (I.4).

The database does the filtering (only flagged pupils come back), so this scales with the number of flagged
pupils, not of cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.i18n import translator
from flows.loader import bound
from reports import messages as M
from reports.sql import IN_SCHOOL, answer, has_code, in_scope, tune
from storage.db import Database
from storage.models import Assignment, AuditLog, Case, Child, Person, Response, Role
from storage.published import published
from storage.repositories.audit import add_entry

LOW_MARK = 60.0
"""Below this average (0–100) marks count as low; the guide gives no number, 60 is a common KKM."""
ABSENCE_LIMIT = 50.0
"""Bab IV.A.4: absence at most 50 % in a school year."""
LONG_TRAVEL_MINUTES = 60
MANY_SIBLINGS = 3
ALERT_ACTION = "risk.alert"

MONITORING = "monitoring"
INDICATORS = "indikator-risiko"
MONITORING_ROLES = ("still_in_school", "absence_band", "average_mark", "obstacles", "bullying_count", "will_continue", "parent_support")
INDICATOR_ROLES = ("days_absent", "school_days", "absence_percent", "travel_hours", "travel_minutes", "siblings", "parent_education",
                   "parent_income", "average_mark", "attitude_mark", "disability", "disability_support", "accessible_transport")
"""The questions read, by role (``flows.roles``): each form's bindings say which question that is."""


@dataclass(frozen=True)
class Risk:
    """A pupil who may drop out again and why (message ids of :mod:`reports.messages`, most serious first)."""

    child_id: int
    case_id: int
    reasons: list[str]
    reference: str = ""
    child_name: str = ""
    region_code: str = ""
    pendamping_id: int | None = None
    """The case's active pendamping, who is alerted."""
    context: list[str] = field(default_factory=list)
    """Context factors (message ids), already included at the end of ``reasons``."""


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _has(value: Any, code: str) -> bool:
    if isinstance(value, list):
        return code in [str(v) for v in value]
    text = "" if value is None else str(value)
    return text == code or f'"{code}"' in text


def absence_percent(ind: Mapping[str, Any]) -> float | None:
    """A = a/H × 100 as stored, or computed from a and H when the calculation was not stored."""
    stored = _number(ind.get("absence_percent"))
    if stored is not None:
        return stored
    absent, days = _number(ind.get("days_absent")), _number(ind.get("school_days"))
    return round(absent * 100 / days, 1) if absent is not None and days else None


Rule = tuple[str, Callable[[Mapping[str, Any], Mapping[str, Any]], bool]]

SIGNALS: list[Rule] = [
    (M.RISK_ABSENCE, lambda m, i: m.get("absence_band") == "2" or (absence_percent(i) or 0) > ABSENCE_LIMIT),
    (M.RISK_BULLYING, lambda m, i: _has(m.get("obstacles"), "6") and m.get("bullying_count") != "1"),
    (M.RISK_COST, lambda m, i: _has(m.get("obstacles"), "5")),
    (M.RISK_LEARNING, lambda m, i: _has(m.get("obstacles"), "2") or _has(m.get("obstacles"), "3")),
    (M.RISK_WONT_CONTINUE, lambda m, i: m.get("will_continue") == "2"),
    (M.RISK_UNSURE, lambda m, i: m.get("will_continue") == "3"),
    (M.RISK_LOW_GRADES, lambda m, i: any(v is not None and v < LOW_MARK for v in (_number(m.get("average_mark")), _number(i.get("average_mark"))))
     or i.get("attitude_mark") == "4"),
    (M.RISK_NO_PARENT_SUPPORT, lambda m, i: _has(m.get("parent_support"), "1")),
    (M.RISK_DISABILITY, lambda m, i: i.get("disability") in ("2", "3") and (_has(i.get("disability_support"), "5") or i.get("accessible_transport") == "2")),
]
CONTEXT: list[Rule] = [
    (M.RISK_LONG_TRAVEL, lambda m, i: (_number(i.get("travel_hours")) or 0) * 60 + (_number(i.get("travel_minutes")) or 0) >= LONG_TRAVEL_MINUTES),
    (M.RISK_LARGE_POOR_FAMILY, lambda m, i: (_number(i.get("siblings")) or 0) >= MANY_SIBLINGS and i.get("parent_income") in ("1", "6")),
    (M.RISK_LOW_PARENT_EDUCATION, lambda m, i: i.get("parent_education") in ("1", "2")),
]
"""Each test reads the answers by role: ``m`` of the Monitoring, ``i`` of the Indikator Risiko."""


def _by_role(instrument: str, answers: Mapping[str, Any], roles: tuple[str, ...]) -> dict[str, Any]:
    return {role: answers.get(bound(instrument, role)) for role in roles}


def assess(monitoring: Mapping[str, Any] | None, indicators: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(signals, context) for one pupil's latest Monitoring and Indikator Risiko answers (as stored). Pure."""
    return _assess(_by_role(MONITORING, monitoring or {}, MONITORING_ROLES), _by_role(INDICATORS, indicators or {}, INDICATOR_ROLES))


def _assess(m: Mapping[str, Any], i: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """:func:`assess` on answers keyed by role."""
    if m.get("still_in_school") == "2":  # already out of school again: the lifecycle follows that, not the early warning
        m = {}
    signals = [reason for reason, test in SIGNALS if test(m, i)]
    context = [reason for reason, test in CONTEXT if test(m, i)] if signals else []
    return signals, context


def _candidates(mon: Any, ind: Any) -> ColumnElement[bool]:
    """SQL superset of the signals, so only possibly flagged pupils leave the database."""

    def m(role: str) -> ColumnElement[str]:
        return answer(bound(MONITORING, role), mon.answers)

    def i(role: str) -> ColumnElement[str]:
        return answer(bound(INDICATORS, role), ind.answers)

    obstacles = m("obstacles")
    absence = func.coalesce(
        cast(i("absence_percent"), Float), cast(i("days_absent"), Float) * 100 / func.nullif(cast(i("school_days"), Float), 0)
    )
    return or_(
        and_(mon.id.is_not(None), func.coalesce(m("still_in_school"), "") != "2", or_(
            m("absence_band") == "2",
            has_code(obstacles, "2"), has_code(obstacles, "3"), has_code(obstacles, "5"), has_code(obstacles, "6"),
            m("will_continue").in_(("2", "3")),
            cast(m("average_mark"), Float) < LOW_MARK,
            has_code(m("parent_support"), "1"),
        )),
        and_(ind.id.is_not(None), or_(
            absence > ABSENCE_LIMIT,
            cast(i("average_mark"), Float) < LOW_MARK,
            i("attitude_mark") == "4",
            and_(i("disability").in_(("2", "3")),
                 or_(has_code(func.coalesce(i("disability_support"), ""), "5"), i("accessible_transport") == "2")),
        )),
    )


def risk_statement(condition: ColumnElement[bool]) -> Any:
    """The possibly flagged pupils among the cases ``condition`` selects: their latest Monitoring and Indikator
    Risiko answers and their active pendamping."""

    def latest(instrument: str) -> Any:
        return (
            select(Response.case_id.label("case_id"), func.max(Response.id).label("rid"))
            .join(Case, Case.id == Response.case_id)
            .where(Response.instrument == instrument, Case.status.in_(IN_SCHOOL), condition)
            .group_by(Response.case_id)
            .subquery(f"latest_{instrument.replace('-', '_')}")
        )

    lm, li = latest(MONITORING), latest(INDICATORS)
    mon, ind = aliased(Response, name="mon"), aliased(Response, name="ind")
    pendamping = (
        select(Assignment.case_id.label("case_id"), func.max(Assignment.pendamping_id).label("pendamping_id"))
        .where(Assignment.active.is_(True))
        .group_by(Assignment.case_id)
        .subquery("pendamping")
    )
    return (
        select(
            Case.id, Case.child_id, Case.reference, Case.region_code, Child.name, pendamping.c.pendamping_id,
            *(answer(bound(MONITORING, r), mon.answers).label(f"m:{r}") for r in MONITORING_ROLES),
            *(answer(bound(INDICATORS, r), ind.answers).label(f"i:{r}") for r in INDICATOR_ROLES),
        )
        .join(Child, Child.id == Case.child_id)
        .outerjoin(lm, lm.c.case_id == Case.id)
        .outerjoin(mon, mon.id == lm.c.rid)
        .outerjoin(li, li.c.case_id == Case.id)
        .outerjoin(ind, ind.id == li.c.rid)
        .outerjoin(pendamping, pendamping.c.case_id == Case.id)
        .where(
            Case.status.in_(IN_SCHOOL),
            Case.duplicate_of.is_(None),
            condition,
            or_(mon.id.is_not(None), ind.id.is_not(None)),
            _candidates(mon, ind),
        )
    )


def assessed(conn: Session | Connection, condition: ColumnElement[bool]) -> Iterator[Risk]:
    """The flagged pupils among the cases ``condition`` selects, unordered (the recap summary stores them)."""
    return assessed_by(conn, risk_statement(condition))


def assessed_by(conn: Session | Connection, statement: Any, params: dict[str, Any] | None = None) -> Iterator[Risk]:
    """:func:`assessed` with the statement built already (:func:`risk_statement`) and its parameters."""
    for row in conn.execute(statement, params or {}).mappings():
        m = {r: row[f"m:{r}"] for r in MONITORING_ROLES}
        i = {r: row[f"i:{r}"] for r in INDICATOR_ROLES}
        signals, context = _assess(_decode(m), _decode(i))
        if signals:
            yield Risk(
                child_id=row["child_id"], case_id=row["id"], reasons=signals + context, reference=row["reference"],
                child_name=row["name"], region_code=row["region_code"], pendamping_id=row["pendamping_id"], context=context,
            )


def at_risk(db: Database, region_code: str, today: dt.date) -> list[Risk]:
    """Pupils in ``region_code`` (``""``: everywhere) flagged at risk of dropping out again, as of ``today``.

    The latest forms count, whenever they were filled. Ordered by the number of signals, then reference.
    ``today`` is kept for the contract and for callers that date the list. A recap reads the count and the first
    pupils from the recap summary instead (:func:`reports.summary.flagged`).
    """
    with db.read() as session:
        tune(session)
        risks = list(assessed(session, in_scope(Case.region_code, (region_code or "").strip()) & published(Case)))
    return sorted(risks, key=lambda r: (-(len(r.reasons) - len(r.context)), r.reference))


def _decode(values: dict[str, Any]) -> dict[str, Any]:
    """Answers read as text: select-multiple lists back to lists of codes, numbers stay text for ``_number``."""
    import json

    decoded: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("["):
            try:
                decoded[key] = [str(v) for v in json.loads(value)]
                continue
            except ValueError:
                pass
        decoded[key] = value
    return decoded


# -- alerting the people around the pupil ----------------------------------------------------------------------
@dataclass(frozen=True)
class Alert:
    """A message for one person (the pendamping, the desa team, the kecamatan coordinator) about one flagged
    pupil, in that person's language."""

    person_id: int
    chat_id: int | None
    language: str
    case_id: int
    reasons: tuple[str, ...]
    text: str
    period: str
    region_code: str = ""
    """The pupil's region (its time zone decides when a scheduled pass may send the alert)."""


ALERTED_ROLES = (Role.TIM_DESA, Role.TIM_KECAMATAN)
"""Besides the pendamping, Bab II.H: the school reports signs to the kecamatan coordinator and the desa team."""


def due_alerts(db: Database, region_code: str, today: dt.date, *, case_id: int | None = None) -> list[Alert]:
    """Alerts to send now: for each flagged pupil (of ``region_code``, or only ``case_id``), one per person who
    follows them — the active pendamping, the desa team of the pupil's desa and the kecamatan team — unless that
    person was already alerted to exactly these signs (:func:`mark_alerted`): repeated signs are not re-sent,
    a new sign is."""
    risks = [r for r in at_risk(db, region_code, today) if case_id is None or r.case_id == case_id]
    if not risks:
        return []
    with db.read() as session:
        sent = {
            (int(subject), (detail or {}).get("to"), tuple((detail or {}).get("reasons", ())))
            for subject, detail in session.execute(
                select(AuditLog.subject_id, AuditLog.detail).where(
                    AuditLog.action == ALERT_ACTION, AuditLog.subject_type == "case",
                    AuditLog.subject_id.in_([str(r.case_id) for r in risks]),
                )
            )
        }
        areas = {r.region_code for r in risks} | {".".join(r.region_code.split(".")[:3]) for r in risks}
        teams = session.scalars(select(Person).where(Person.role.in_(ALERTED_ROLES), Person.region_code.in_(areas))).all()
        pendamping = session.scalars(select(Person).where(Person.id.in_({r.pendamping_id for r in risks if r.pendamping_id}))).all()
    people = {p.id: p for p in [*teams, *pendamping]}
    alerts = []
    for risk in risks:
        kecamatan = ".".join(risk.region_code.split(".")[:3])
        recipients = [risk.pendamping_id] if risk.pendamping_id in people else []
        recipients += [p.id for p in teams if p.region_code == (risk.region_code if p.role is Role.TIM_DESA else kecamatan)]
        for person_id in dict.fromkeys(recipients):
            if (risk.case_id, person_id, tuple(risk.reasons)) in sent:
                continue
            person = people[person_id]
            t = translator(str(person.language.value if hasattr(person.language, "value") else person.language))
            text = t(M.ALERT_TEXT, name=risk.child_name, reference=risk.reference, reasons=", ".join(t(r) for r in risk.reasons))
            alerts.append(Alert(person.id, person.telegram_chat_id, t.language, risk.case_id, tuple(risk.reasons), text, f"{today:%Y-%m}",
                                risk.region_code))
    return alerts


def mark_alerted(db: Database, alert: Alert) -> None:
    """Record that an alert was delivered (audited), so :func:`due_alerts` does not send the same signs again."""
    with db.write() as session:
        record_alert(session, alert)


def record_alert(session: Session, alert: Alert) -> None:
    """:func:`mark_alerted` in the caller's transaction (a chat turn's unit of work)."""
    region = session.scalar(select(Case.region_code).where(Case.id == alert.case_id))
    add_entry(session, ALERT_ACTION, "case", alert.case_id, actor_id=None, region_code=region,
              detail={"period": alert.period, "reasons": list(alert.reasons), "to": alert.person_id})

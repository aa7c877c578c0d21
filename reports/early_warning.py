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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.i18n import translator
from reports import messages as M
from reports.sql import IN_SCHOOL, answer, has_code, in_scope, tune
from storage.db import Database
from storage.models import Assignment, AuditLog, Case, Child, Person, Response, Role
from storage.repositories.audit import add_entry

LOW_MARK = 60.0
"""Below this average (0–100) marks count as low; the guide gives no number, 60 is a common KKM."""
ABSENCE_LIMIT = 50.0
"""Bab IV.A.4: absence at most 50 % in a school year."""
LONG_TRAVEL_MINUTES = 60
MANY_SIBLINGS = 3
ALERT_ACTION = "risk.alert"

MONITORING_FIELDS = ("C.1", "C.2", "C.3", "C.6", "C.7", "C.9", "D.1")
INDICATOR_FIELDS = ("I.1a", "I.1b", "I.1c", "I.2a", "I.2b", "I.3", "I.4", "I.5", "I.6a", "I.6b", "I.7a", "I.8", "I.9")


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
    """I.1c, or a/H × 100 from I.1a and I.1b when the calculation was not stored."""
    stored = _number(ind.get("I.1c"))
    if stored is not None:
        return stored
    absent, days = _number(ind.get("I.1a")), _number(ind.get("I.1b"))
    return round(absent * 100 / days, 1) if absent is not None and days else None


Rule = tuple[str, Callable[[Mapping[str, Any], Mapping[str, Any]], bool]]

SIGNALS: list[Rule] = [
    (M.RISK_ABSENCE, lambda m, i: m.get("C.2") == "2" or (absence_percent(i) or 0) > ABSENCE_LIMIT),
    (M.RISK_BULLYING, lambda m, i: _has(m.get("C.6"), "6") and m.get("C.7") != "1"),
    (M.RISK_COST, lambda m, i: _has(m.get("C.6"), "5")),
    (M.RISK_LEARNING, lambda m, i: _has(m.get("C.6"), "2") or _has(m.get("C.6"), "3")),
    (M.RISK_WONT_CONTINUE, lambda m, i: m.get("C.9") == "2"),
    (M.RISK_UNSURE, lambda m, i: m.get("C.9") == "3"),
    (M.RISK_LOW_GRADES, lambda m, i: any(v is not None and v < LOW_MARK for v in (_number(m.get("C.3")), _number(i.get("I.6a"))))
     or i.get("I.6b") == "4"),
    (M.RISK_NO_PARENT_SUPPORT, lambda m, i: _has(m.get("D.1"), "1")),
    (M.RISK_DISABILITY, lambda m, i: i.get("I.7a") in ("2", "3") and (_has(i.get("I.8"), "5") or i.get("I.9") == "2")),
]
CONTEXT: list[Rule] = [
    (M.RISK_LONG_TRAVEL, lambda m, i: (_number(i.get("I.2a")) or 0) * 60 + (_number(i.get("I.2b")) or 0) >= LONG_TRAVEL_MINUTES),
    (M.RISK_LARGE_POOR_FAMILY, lambda m, i: (_number(i.get("I.3")) or 0) >= MANY_SIBLINGS and i.get("I.5") in ("1", "6")),
    (M.RISK_LOW_PARENT_EDUCATION, lambda m, i: i.get("I.4") in ("1", "2")),
]


def assess(monitoring: Mapping[str, Any] | None, indicators: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(signals, context) for one pupil's latest Monitoring and Indikator Risiko answers. Pure."""
    m, i = monitoring or {}, indicators or {}
    if m.get("C.1") == "2":  # already out of school again: the lifecycle follows that, not the early warning
        m = {}
    signals = [reason for reason, test in SIGNALS if test(m, i)]
    context = [reason for reason, test in CONTEXT if test(m, i)] if signals else []
    return signals, context


def _candidates(mon: Any, ind: Any) -> ColumnElement[bool]:
    """SQL superset of the signals, so only possibly flagged pupils leave the database."""

    def number(form: Any, key: str) -> ColumnElement[float]:
        return cast(answer(key, form.answers), Float)

    c6 = answer("C.6", mon.answers)
    absence = func.coalesce(
        number(ind, "I.1c"), number(ind, "I.1a") * 100 / func.nullif(number(ind, "I.1b"), 0)
    )
    return or_(
        and_(mon.id.is_not(None), func.coalesce(answer("C.1", mon.answers), "") != "2", or_(
            answer("C.2", mon.answers) == "2",
            has_code(c6, "2"), has_code(c6, "3"), has_code(c6, "5"), has_code(c6, "6"),
            answer("C.9", mon.answers).in_(("2", "3")),
            number(mon, "C.3") < LOW_MARK,
            has_code(answer("D.1", mon.answers), "1"),
        )),
        and_(ind.id.is_not(None), or_(
            absence > ABSENCE_LIMIT,
            number(ind, "I.6a") < LOW_MARK,
            answer("I.6b", ind.answers) == "4",
            and_(answer("I.7a", ind.answers).in_(("2", "3")),
                 or_(has_code(func.coalesce(answer("I.8", ind.answers), ""), "5"), answer("I.9", ind.answers) == "2")),
        )),
    )


def _statement(condition: ColumnElement[bool]) -> Any:
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

    lm, li = latest("monitoring"), latest("indikator-risiko")
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
            *(answer(k, mon.answers).label(f"m:{k}") for k in MONITORING_FIELDS),
            *(answer(k, ind.answers).label(f"i:{k}") for k in INDICATOR_FIELDS),
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
    for row in conn.execute(_statement(condition)).mappings():
        m = {k: row[f"m:{k}"] for k in MONITORING_FIELDS}
        i = {k: row[f"i:{k}"] for k in INDICATOR_FIELDS}
        signals, context = assess(_decode(m), _decode(i))
        if signals:
            yield Risk(
                child_id=row["child_id"], case_id=row["id"], reasons=signals + context, reference=row["reference"],
                child_name=row["name"], region_code=row["region_code"], pendamping_id=row["pendamping_id"], context=context,
            )


def ordered(risks: Iterable[Risk]) -> list[Risk]:
    """Most signals first, then by reference."""
    return sorted(risks, key=lambda r: (-(len(r.reasons) - len(r.context)), r.reference))


def at_risk(db: Database, region_code: str, today: dt.date) -> list[Risk]:
    """Pupils in ``region_code`` (``""``: everywhere) flagged at risk of dropping out again, as of ``today``.

    The latest forms count, whenever they were filled. Ordered by the number of signals, then reference.
    ``today`` is kept for the contract and for callers that date the list. A recap reads the count and the first
    pupils from the recap summary instead (:func:`reports.summary.flagged`).
    """
    with db.read() as session:
        tune(session)
        return ordered(assessed(session, in_scope(Case.region_code, (region_code or "").strip())))


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
        region = session.scalar(select(Case.region_code).where(Case.id == alert.case_id))
        add_entry(session, ALERT_ACTION, "case", alert.case_id, actor_id=None, region_code=region,
                  detail={"period": alert.period, "reasons": list(alert.reasons), "to": alert.person_id})

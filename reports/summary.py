"""The recap summary: what a recap counts about each case, kept current in the writing transaction.

``recap_facts`` holds one row per case (not a duplicate): the village the child lives in (the desa typed in the
chat form, found by name under the case's kecamatan, else the case's region), its kabupaten, status, normalised
category, sex, birth month, reason codes, the year it went back to school, the quarters it was monitored in
(still in school or dropped out again), the early warning's reasons when the pupil is at risk, and whether it
waits for the kecamatan's check. Years and quarters are local to the case's own region (WIB, WITA or WIT).
``recap_counts`` holds how many cases share one value of one dimension, by sex, per area (``grain`` ``area``)
and per kabupaten (``grain`` ``kabupaten``). A recap sums those counts: a few thousand rows for the whole country
instead of millions of cases, their events and their JSON forms.

:func:`refresh_cases` runs before a write transaction commits for the cases it changed
(:mod:`storage.derived`): it recomputes their facts and moves their counts by the difference. :func:`rebuild`
recomputes everything from the cases, set-based (the migration's backfill and ``ats-bot recap rebuild``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    Connection,
    Integer,
    String,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, aliased

from flows.loader import bound
from reports.early_warning import Risk, assessed, assessed_by, risk_statement
from reports.sql import IDENTIFYING, IMPORT_INSTRUMENT, answer, quoted
from reports.vocab import normalize_category
from storage.bulk import insert_rows
from storage.models import Case, CaseEvent, Child, RecapCount, RecapFact, Region, Response, TimeZone
from storage.repositories.sql import any_of, upsert_insert

AREA, KABUPATEN, NATION = "area", "kabupaten", "nation"
TOTAL = "total"
"""The cases of an area by sex (what the area breakdown reads: one counter per area and sex)."""
DIMENSIONS = (TOTAL, "status", "category", "birth_month", "reason", "returned", "quarter", "at_risk", "check")
AWAITING = "awaiting"
"""``stage`` of a case the kecamatan has not accepted yet, and the key of its ``check`` counter."""
CHECKABLE = ("verified", "accompanied", "willing", "not_willing", "undecided", "school_chosen", "back_in_school",
             "monitored", "dropped_out_again")
"""Statuses in which the kecamatan's check can still accept a case (``cases.checks.AWAITING_STATUSES``; a test
keeps them equal: the summary sits below the case workflow and does not import it)."""
STILL, DROPPED = "still", "dropped"
BATCH = 20_000
RISK_SEPARATOR = "|"


@dataclass(frozen=True)
class Facts:
    case_id: int
    region_code: str
    kabupaten: str
    area: str
    status: str
    category: str
    sex: str
    birth_month: str
    reasons: str
    returned: str = ""
    quarters: str = ""
    risk: str = ""
    risk_signals: int = 0
    stage: str = ""
    reference: str = ""

    def counted(self) -> Iterable[tuple[str, str, str, str, str, str]]:
        """The (grain, scope, region, dimension, key, sex) counters this case adds one to: in its area, its
        kabupaten and the nation (scope ``""``: a national recap sums a few hundred rows). A case awaiting the
        kecamatan's check counts in its area (its total under the key ``awaiting``) but, at kabupaten and national
        level, only as awaiting."""
        awaiting = self.stage == AWAITING
        keys = [("status", self.status), ("category", self.category), ("birth_month", self.birth_month)]
        keys += [("reason", code) for code in self.reasons.split(",") if code]
        keys += [("returned", self.returned)] if self.returned else []
        keys += [("quarter", quarter) for quarter in self.quarters.split(",") if quarter]
        keys += [("at_risk", "")] if self.risk_signals else []
        checked = [("check", AWAITING)] if awaiting else []
        for dimension, key in [(TOTAL, AWAITING if awaiting else ""), *keys, *checked]:
            yield AREA, self.region_code, self.area, dimension, key, self.sex
        for dimension, key in checked if awaiting else [(TOTAL, ""), *keys]:
            yield KABUPATEN, self.kabupaten, self.kabupaten, dimension, key, self.sex
            yield NATION, "", "", dimension, key, self.sex


COLUMNS = tuple(f.name for f in fields(Facts))


def _row(facts: Facts) -> dict[str, Any]:
    """The ``recap_facts`` row (``dataclasses.asdict`` deep-copies: ten times slower on a bulk import)."""
    return {name: getattr(facts, name) for name in COLUMNS}


def reason_list(text: str | None) -> list[str]:
    """``"8"`` (a select-one, quoted) or ``["8", "11"]`` (a select-multiple) → the codes, each once."""
    if not text:
        return []
    if text.startswith("["):
        try:
            return list(dict.fromkeys(str(code) for code in json.loads(text)))
        except ValueError:
            return []
    return [text.strip('"')]


def _facts_query(where: Any) -> Any:
    """Per case: the raw inputs of its facts (category and reasons still as typed), its time zone and its latest
    verification and kecamatan acceptance."""
    latest = (
        select(Response.case_id.label("case_id"), func.max(Response.id).label("rid"))
        .where(Response.instrument.in_((*IDENTIFYING, IMPORT_INSTRUMENT)), Response.case_id.is_not(None), where(Response.case_id))
        .group_by(Response.case_id)
        .subquery("latest")
    )
    form = aliased(Response, name="form")
    desa = aliased(Region, name="desa")
    own = aliased(Region, name="own")

    def p(role: str) -> str:
        return bound("pendataan", role)

    def r(role: str) -> str:
        return bound("rekonfirmasi", role)

    typed = func.lower(func.trim(func.coalesce(answer(p("desa"), form.answers), answer(r("desa"), form.answers))))
    resolved = (
        select(func.min(desa.code))
        .where(desa.level == "desa", desa.parent_code == Case.region_code, func.lower(desa.name) == typed)
        .correlate(Case, form)
        .scalar_subquery()
    )

    def last(event: str) -> Any:
        return select(func.max(CaseEvent.id)).where(CaseEvent.case_id == Case.id, CaseEvent.event == event).correlate(Case).scalar_subquery()

    return (
        select(
            Case.id,
            Case.reference,
            Case.region_code,
            case((func.length(Case.region_code) < 13, resolved), else_=None).label("desa"),
            Case.status,
            func.coalesce(Case.category, answer(p("category"), form.answers), answer(r("category"), form.answers)).label("category"),
            Child.sex,
            Child.birth_date,
            case((form.instrument == "rekonfirmasi", answer(r("reasons"), form.answers)), else_=quoted(answer(p("reasons"), form.answers))).label("reasons"),
            own.timezone,
            last("verify").label("verified"),
            last("accept_check").label("accepted"),
        )
        .join(Child, Child.id == Case.child_id)
        .outerjoin(own, own.code == Case.region_code)
        .outerjoin(latest, latest.c.case_id == Case.id)
        .outerjoin(form, form.id == latest.c.rid)
        .where(Case.duplicate_of.is_(None), where(Case.id))
    )


_category = lru_cache(maxsize=4096)(normalize_category)
"""Few distinct texts come back (codes, a handful of labels): normalise each once."""


@lru_cache(maxsize=8)
def _zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or TimeZone.WIB.value)


def quarter_key(when: dt.datetime, zone: ZoneInfo) -> str:
    local = when.astimezone(zone)
    return f"{local.year}-{(local.month - 1) // 3 + 1}"


class _History:
    """A case's returns to school, dropping out again and monitored answers, from its events and forms."""

    def __init__(self) -> None:
        self.returned: dt.datetime | None = None
        self.dropped: list[dt.datetime] = []
        self.monitored: list[tuple[dt.datetime, bool]] = []
        """(submitted, still in school?) of each Monitoring with C.1 answered."""

    def quarters(self, zone: ZoneInfo) -> str:
        """Bab IV.B.2: a child is dropped out in a quarter when a Monitoring of it said C.1 = Tidak or the case
        moved to ``dropped_out_again`` in it; still in school when every Monitoring of it said C.1 = Ya."""
        outcome: dict[str, bool] = {}
        for when, still in self.monitored:
            key = quarter_key(when, zone)
            outcome[key] = outcome.get(key, True) and still
        for when in self.dropped:
            outcome[quarter_key(when, zone)] = False
        return ",".join(f"{key}:{STILL if still else DROPPED}" for key, still in sorted(outcome.items()))


@dataclass(frozen=True)
class _Queries:
    """The statements :func:`compute` runs for one ``where``."""

    events: Any
    monitoring: Any
    risks: Any
    facts: Any


def _queries(where: Any) -> _Queries:
    still = answer(bound("monitoring", "still_in_school"))
    return _Queries(
        select(CaseEvent.case_id, CaseEvent.to_status, CaseEvent.at)
        .where(CaseEvent.to_status.in_(("back_in_school", "dropped_out_again")), where(CaseEvent.case_id)),
        select(Response.case_id, Response.submitted_at, still)
        .where(Response.instrument == "monitoring", still.in_(("1", "2")), where(Response.case_id)),
        risk_statement(where(Case.id)),
        _facts_query(where),
    )




def _in_case_ids(column: Any) -> Any:
    return any_of(column, "case_ids")


@lru_cache(maxsize=1)
def _queries_by_ids() -> _Queries:
    """The statements for a list of case ids (``case_ids``), built once: every write that moves a case refreshes
    its facts before it commits, and building these statements (and their cache keys) costs more than running them."""
    return _queries(_in_case_ids)


def _histories(conn: Connection, queries: _Queries, params: dict[str, Any]) -> dict[int, _History]:
    histories: dict[int, _History] = defaultdict(_History)
    for case_id, to_status, at in conn.execute(queries.events, params):
        history = histories[case_id]
        if to_status == "dropped_out_again":
            history.dropped.append(at)
        elif history.returned is None or at < history.returned:
            history.returned = at
    for owner, submitted, value in conn.execute(queries.monitoring, params):
        if owner is not None:
            histories[owner].monitored.append((submitted, value == "1"))
    return histories


def risk_text(risk: Risk) -> tuple[str, int]:
    return RISK_SEPARATOR.join(risk.reasons), len(risk.reasons) - len(risk.context)


def compute(conn: Connection, where: Any, params: dict[str, Any] | None = None) -> list[Facts]:
    """The facts of the cases ``where(id_column)`` selects (three queries and the early warning's, then
    normalised here); ``where`` may be statements built already (:func:`_queries_by_ids`) with their ``params``."""
    queries = where if isinstance(where, _Queries) else _queries(where)
    params = params or {}
    histories = _histories(conn, queries, params)
    risks = {risk.case_id: risk_text(risk) for risk in assessed_by(conn, queries.risks, params)}
    facts = []
    for case_id, reference, region, desa, status, category, sex, born, reasons, zone_name, verified, accepted in conn.execute(
            queries.facts, params):
        zone = _zone(getattr(zone_name, "value", zone_name))
        history = histories.get(case_id) or _History()
        awaiting = status in CHECKABLE and verified is not None and (accepted is None or accepted < verified)
        risk, signals = risks.get(case_id, ("", 0))
        facts.append(Facts(
            case_id, region, region[:5], desa or region, status, _category(category) or "",
            getattr(sex, "value", sex) or "", born.strftime("%Y-%m") if born else "", ",".join(reason_list(reasons))[:80],
            returned=str(history.returned.astimezone(zone).year) if history.returned else "", quarters=history.quarters(zone),
            risk=risk, risk_signals=signals, stage=AWAITING if awaiting else "", reference=reference,
        ))
    return facts


DEFERRED = "ats_summary_deferred"
"""``session.info`` key: a :class:`collections.Counter` that collects the count changes of the transaction's
refreshed cases instead of writing them to ``recap_counts`` (a bulk import applies them all at once when it is
published, with :func:`apply_counts`, so a recap never shows half of a list)."""
KNOWN = "ats_summary_known"
"""``session.info`` key: ``{case id: Facts}`` the writer already knows (cases it has just opened, from
:func:`opened_facts`), so the refresh does not read them back."""
Delta = Counter[tuple[str, str, str, str, str, str]]


def opened_facts(case_id: int, reference: str, region_code: str, status: str, category: str | None, sex: Any,
                 birth_date: dt.date | None, form: dict[str, Any] | None) -> Facts | None:
    """The facts of a case just opened (no events besides its opening, no verification, no monitoring) whose
    latest Pendataan or imported form has ``form``'s answers, by the rules of :func:`compute`; None when the
    form names a desa that would have to be looked up (the case's region is not a desa)."""
    form = form or {}
    typed = form.get(bound("pendataan", "desa"))
    if len(region_code) < 13 and typed:
        return None
    raw = category if category is not None else form.get(bound("pendataan", "category"))
    reasons = form.get(bound("pendataan", "reasons"))
    reasons_text: str | None = None
    if isinstance(reasons, list):
        reasons_text = '"' + json.dumps(reasons, separators=(",", ":")) + '"'
    elif reasons is not None:
        reasons_text = f'"{reasons}"'
    return Facts(case_id, region_code, region_code[:5], region_code, status, _category(raw) or "" if raw is not None else "",
                 getattr(sex, "value", sex) or "", f"{birth_date.year:04d}-{birth_date.month:02d}" if birth_date else "",
                 ",".join(reason_list(reasons_text))[:80], reference=reference)


def refresh_cases(session: Session, case_ids: set[int]) -> None:
    """Recompute the facts of these cases and move the counts by the difference (the caller's transaction; the
    counts are collected in ``session.info[DEFERRED]`` instead when it holds a counter)."""
    ids = sorted(case_ids)
    conn = session.connection()
    known: dict[int, Facts] = session.info.get(KNOWN) or {}
    old = [Facts(**row) for row in conn.execute(select(*RecapFact.__table__.c).where(any_of(RecapFact.case_id, ids))).mappings()]
    rest = [i for i in ids if i not in known]
    new = [known[i] for i in ids if i in known] + (compute(conn, _queries_by_ids(), {"case_ids": rest}) if rest else [])
    delta: Delta = Counter()
    delta.update(itertools.chain.from_iterable(f.counted() for f in new))  # counted in C, not one call per case
    delta.subtract(itertools.chain.from_iterable(f.counted() for f in old))
    if old:
        conn.execute(delete(RecapFact).where(any_of(RecapFact.case_id, [f.case_id for f in old])))
    if new:
        insert_rows(conn, RecapFact.__table__, [_row(f) for f in new])  # type: ignore[arg-type]
    deferred = session.info.get(DEFERRED)
    if deferred is not None:
        deferred.update(delta)
        return
    apply_counts(session, delta)


def apply_counts(session: Session, delta: Delta, batch: int = 5000) -> None:
    """Move the counters by ``delta`` (``(grain, scope, region, dimension, key, sex) → change``); counters that
    fall to zero are removed. In statements of ``batch`` counters (a 100,000-row list changes ~60,000: their
    parameters are built a batch at a time, so memory stays flat)."""
    moved = sorted((key, n) for key, n in delta.items() if n)
    if not moved:
        return
    conn = session.connection()
    key = [RecapCount.grain, RecapCount.scope, RecapCount.region_code, RecapCount.dimension, RecapCount.key, RecapCount.sex]
    if conn.dialect.name == "postgresql":  # one statement over arrays: executemany would send a statement per counter
        for start in range(0, len(moved), batch):
            conn.execute(_counts_from_arrays(), _as_arrays(moved[start:start + batch]))
    else:
        statement = upsert_insert(session, RecapCount)
        statement = statement.on_conflict_do_update(index_elements=key, set_={"n": RecapCount.n + statement.excluded.n})
        for start in range(0, len(moved), batch):
            conn.execute(statement, [{"grain": g, "scope": sc, "kabupaten": sc[:5], "region_code": r, "dimension": d, "key": k,
                                      "sex": s, "n": n} for (g, sc, r, d, k, s), n in moved[start:start + batch]])
    if any(n < 0 for _, n in moved):
        conn.execute(delete(RecapCount).where(RecapCount.n == 0, RecapCount.scope.in_({key[1] for key, _ in moved})))


_COUNT_COLUMNS = ("grain", "scope", "kabupaten", "region_code", "dimension", "key", "sex", "n")


def _as_arrays(moved: list[tuple[tuple[str, str, str, str, str, str], int]]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {name: [] for name in _COUNT_COLUMNS}
    for (grain, scope, region, dimension, key, sex), n in moved:
        for name, value in zip(_COUNT_COLUMNS, (grain, scope, scope[:5], region, dimension, key, sex, n), strict=True):
            columns[name].append(value)
    return columns


@lru_cache(maxsize=1)
def _counts_from_arrays() -> Any:
    """PostgreSQL: ``INSERT … SELECT FROM unnest(one array per column) ON CONFLICT DO UPDATE`` (built once)."""
    arrays = [bindparam(name, type_=ARRAY(Integer if name == "n" else String)) for name in _COUNT_COLUMNS]
    rows = func.unnest(*arrays).table_valued(*_COUNT_COLUMNS).render_derived()
    statement = pg_insert(RecapCount).from_select(list(_COUNT_COLUMNS), select(*(rows.c[name] for name in _COUNT_COLUMNS)))
    return statement.on_conflict_do_update(
        index_elements=[RecapCount.grain, RecapCount.scope, RecapCount.region_code, RecapCount.dimension, RecapCount.key, RecapCount.sex],
        set_={"n": RecapCount.n + statement.excluded.n},
    )


def rebuild(conn: Connection, batch: int = BATCH) -> int:
    """Recompute every case's facts and every count from the cases, their events and forms; returns the number
    of cases counted. For the migration's backfill and ``ats-bot recap rebuild`` (a repair made with plain SQL,
    a write path that forgot :func:`storage.derived.case_changed`). Set-based on PostgreSQL; in batches of case
    ids on SQLite (one kabupaten's database)."""
    conn.execute(delete(RecapCount))
    conn.execute(delete(RecapFact))
    if conn.dialect.name == "postgresql":
        total = _rebuild_postgres(conn)
        _recount_postgres(conn)
        return total
    top = conn.scalar(select(func.max(Case.id))) or 0
    total = 0
    counts: Counter[tuple[str, str, str, str, str, str]] = Counter()
    for lo in range(1, top + 1, batch):
        hi = lo + batch - 1
        facts = compute(conn, lambda column, lo=lo, hi=hi: column.between(lo, hi))
        if facts:
            conn.execute(insert(RecapFact), [_row(f) for f in facts])
        for f in facts:
            counts.update(f.counted())
        total += len(facts)
    rows = [{"grain": g, "scope": sc, "kabupaten": sc[:5], "region_code": r, "dimension": d, "key": k, "sex": s, "n": n}
            for (g, sc, r, d, k, s), n in sorted(counts.items())]
    for start in range(0, len(rows), batch):
        conn.execute(insert(RecapCount), rows[start:start + batch])
    return total


def _counters(conn: Connection) -> dict[tuple[str, ...], int]:
    columns = RecapCount.__table__.c
    return {tuple(row[:-1]): row[-1] for row in conn.execute(
        select(columns.grain, columns.scope, columns.region_code, columns.dimension, columns.key, columns.sex, columns.n))}


def reconcile(conn: Connection) -> tuple[int, int]:
    """Rebuild the summary in the caller's transaction and say what the rebuild changed: (cases counted,
    counters that differed). Commit to repair, roll back to only check."""
    before = _counters(conn)
    total = rebuild(conn)
    after = _counters(conn)
    return total, sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))


_ZONE = "coalesce(rg.timezone, 'Asia/Jakarta')"
_FACTS_POSTGRES = text(f"""
INSERT INTO recap_facts (case_id, region_code, kabupaten, area, status, category, sex, birth_month, reasons,
                         returned, quarters, risk, risk_signals, stage, reference)
SELECT c.id, c.region_code, substr(c.region_code, 1, 5), coalesce(d.code, c.region_code), c.status,
       CASE WHEN r.category IN ('1', '2', '3') THEN r.category ELSE '' END,
       coalesce(ch.sex, ''), coalesce(to_char(ch.birth_date, 'YYYY-MM'), ''),
       left(coalesce(CASE
         WHEN f.instrument = 'rekonfirmasi' AND jsonb_typeof(f.answers -> CAST(:reasons_r AS text)) = 'array' THEN (
           SELECT string_agg(v, ',' ORDER BY o) FROM (
             SELECT DISTINCT ON (v) v, o FROM jsonb_array_elements_text(f.answers -> CAST(:reasons_r AS text)) WITH ORDINALITY AS e(v, o)
             ORDER BY v, o) AS firsts)
         WHEN f.instrument = 'rekonfirmasi' THEN btrim(f.answers ->> CAST(:reasons_r AS text), '"')
         ELSE btrim(f.answers ->> CAST(:reasons_p AS text), '"') END, ''), 80),
       coalesce(to_char(ev.returned_at AT TIME ZONE {_ZONE}, 'YYYY'), ''),
       coalesce(q.quarters, ''), '', 0,
       CASE WHEN c.status IN :checkable AND ev.verified IS NOT NULL AND (ev.accepted IS NULL OR ev.accepted < ev.verified)
            THEN '{AWAITING}' ELSE '' END,
       c.reference
FROM cases c
JOIN children ch ON ch.id = c.child_id
LEFT JOIN regions rg ON rg.code = c.region_code
LEFT JOIN (SELECT case_id, max(id) AS rid FROM responses
           WHERE instrument IN ('pendataan', 'rekonfirmasi', 'impor') AND case_id IS NOT NULL GROUP BY case_id) l ON l.case_id = c.id
LEFT JOIN responses f ON f.id = l.rid
LEFT JOIN (SELECT case_id, min(at) FILTER (WHERE to_status = 'back_in_school') AS returned_at,
                  max(id) FILTER (WHERE event = 'verify') AS verified, max(id) FILTER (WHERE event = 'accept_check') AS accepted
           FROM case_events WHERE to_status = 'back_in_school' OR event IN ('verify', 'accept_check')
           GROUP BY case_id) ev ON ev.case_id = c.id
LEFT JOIN (SELECT case_id, string_agg(quarter || ':' || CASE WHEN still THEN '{STILL}' ELSE '{DROPPED}' END, ','
                                      ORDER BY quarter COLLATE "C") AS quarters
           FROM (SELECT m.case_id, to_char(m.at AT TIME ZONE coalesce(z.timezone, 'Asia/Jakarta'), 'YYYY-Q') AS quarter,
                        bool_and(m.still) AS still
                 FROM (SELECT case_id, submitted_at AS at, answers ->> CAST(:still_m AS text) = '1' AS still FROM responses
                       WHERE instrument = 'monitoring' AND answers ->> CAST(:still_m AS text) IN ('1', '2') AND case_id IS NOT NULL
                       UNION ALL
                       SELECT case_id, at, false FROM case_events WHERE to_status = 'dropped_out_again') m
                 JOIN cases mc ON mc.id = m.case_id LEFT JOIN regions z ON z.code = mc.region_code
                 GROUP BY 1, 2) per_quarter
           GROUP BY case_id) q ON q.case_id = c.id
CROSS JOIN LATERAL (SELECT coalesce(c.category, f.answers ->> CAST(:category_p AS text), f.answers ->> CAST(:category_r AS text)) AS category,
                           lower(btrim(coalesce(f.answers ->> CAST(:desa_p AS text), f.answers ->> CAST(:desa_r AS text)))) AS typed) r
LEFT JOIN (SELECT parent_code, lower(name) AS name, min(code) AS code FROM regions WHERE level = 'desa'
           GROUP BY parent_code, lower(name)) d ON length(c.region_code) < 13 AND d.parent_code = c.region_code AND d.name = r.typed
WHERE c.duplicate_of IS NULL
""").bindparams(bindparam("checkable", value=CHECKABLE, expanding=True))
_RAW_CATEGORIES = text("""
SELECT c.id, coalesce(c.category, f.answers ->> CAST(:category_p AS text), f.answers ->> CAST(:category_r AS text))
FROM recap_facts rf JOIN cases c ON c.id = rf.case_id
LEFT JOIN (SELECT case_id, max(id) AS rid FROM responses
           WHERE instrument IN ('pendataan', 'rekonfirmasi', 'impor') AND case_id IS NOT NULL GROUP BY case_id) l ON l.case_id = c.id
LEFT JOIN responses f ON f.id = l.rid
WHERE rf.category = '' AND coalesce(c.category, f.answers ->> CAST(:category_p AS text), f.answers ->> CAST(:category_r AS text)) IS NOT NULL
""")


def _rebuild_postgres(conn: Connection) -> int:
    """Every case's facts in one ``INSERT … SELECT`` (the same rules as :func:`compute`); the few categories
    typed as labels rather than codes are then normalised here, and the pupils at risk marked (the early
    warning's rules are Python: only its candidates leave the database)."""
    questions = {f"{role}_{tag}": bound(form, role) for form, tag in (("pendataan", "p"), ("rekonfirmasi", "r"))
                 for role in ("category", "reasons", "desa")}
    total = conn.execute(_FACTS_POSTGRES, {**questions, "still_m": bound("monitoring", "still_in_school")}).rowcount or 0
    fixes = [{"fixed_id": case_id, "fixed": _category(raw) or ""} for case_id, raw in conn.execute(_RAW_CATEGORIES, questions)]
    fixes = [f for f in fixes if f["fixed"]]
    if fixes:
        conn.execute(update(RecapFact).where(RecapFact.case_id == bindparam("fixed_id")).values(category=bindparam("fixed")), fixes)
    marks = [{"risk_id": r.case_id, "risk_text": text_, "signals": n} for r in assessed(conn, true()) for text_, n in [risk_text(r)]]
    for start in range(0, len(marks), BATCH):
        conn.execute(update(RecapFact).where(RecapFact.case_id == bindparam("risk_id"))
                     .values(risk=bindparam("risk_text"), risk_signals=bindparam("signals")), marks[start:start + BATCH])
    return total


_RECOUNT_POSTGRES = text(f"""
INSERT INTO recap_counts (grain, scope, kabupaten, region_code, dimension, key, sex, n)
SELECT g.grain, g.scope, g.kabupaten, g.region, k.dimension, k.key, f.sex, count(*)
FROM recap_facts f
CROSS JOIN LATERAL (VALUES ('{AREA}', f.region_code, f.kabupaten, f.area), ('{KABUPATEN}', f.kabupaten, f.kabupaten, f.kabupaten),
                           ('{NATION}', '', '', '')) g(grain, scope, kabupaten, region)
CROSS JOIN LATERAL (
  SELECT '{TOTAL}' AS dimension, CASE WHEN f.stage = '{AWAITING}' THEN '{AWAITING}' ELSE '' END AS key
  UNION ALL SELECT 'status', f.status
  UNION ALL SELECT 'category', f.category
  UNION ALL SELECT 'birth_month', f.birth_month
  UNION ALL SELECT 'reason', v FROM unnest(string_to_array(nullif(f.reasons, ''), ',')) v
  UNION ALL SELECT 'returned', f.returned WHERE f.returned <> ''
  UNION ALL SELECT 'quarter', v FROM unnest(string_to_array(nullif(f.quarters, ''), ',')) v
  UNION ALL SELECT 'at_risk', '' WHERE f.risk_signals > 0
  UNION ALL SELECT 'check', '{AWAITING}' WHERE f.stage = '{AWAITING}'
) k
WHERE g.grain = '{AREA}' OR f.stage <> '{AWAITING}' OR k.dimension = 'check'
GROUP BY 1, 2, 3, 4, 5, 6, 7
""")


def _recount_postgres(conn: Connection) -> None:
    """``recap_counts`` from ``recap_facts`` in one ``GROUP BY`` (the rules of :meth:`Facts.counted`)."""
    conn.execute(_RECOUNT_POSTGRES)


# -- reading ----------------------------------------------------------------------------------------------------------
def _scope(region_code: str, kabupaten: Any = RecapCount.kabupaten, scope: Any = RecapCount.scope) -> list[Any]:
    """The rows of ``region_code`` and below: the kabupaten by equality (indexed), deeper by prefix."""
    if "." not in region_code:  # a province
        return [kabupaten.like(region_code + ".%")]
    where = [kabupaten == region_code[:5]]
    if region_code.count(".") > 1:
        where.append((scope == region_code) | scope.like(region_code + ".%"))
    return where


def counts(session: Session, region_code: str) -> tuple[list[tuple[str, str, str, int]], list[tuple[str, str, int]]]:
    """The recap's counts of ``region_code`` (``""``: national): rows of (dimension, key, sex, n) summed over the
    region, and rows of (area, sex, n) for its breakdown (kabupaten nationally, else villages). A kabupaten or
    wider recap leaves out the cases awaiting the kecamatan's check (except as ``check`` counts)."""
    national = not region_code
    wide = region_code.count(".") <= 1  # national, a province or a kabupaten: the kabupaten counts suffice
    grain = NATION if national else KABUPATEN if wide else AREA
    where = [RecapCount.grain == grain, RecapCount.dimension != TOTAL, *([] if national else _scope(region_code))]
    n = func.sum(RecapCount.n).label("n")
    area_grain = KABUPATEN if national else AREA
    area_where = [RecapCount.grain == area_grain, RecapCount.dimension == TOTAL, *([] if national else _scope(region_code)),
                  *([RecapCount.key == ""] if wide else [])]
    both = union_all(  # one round trip: the dimensions, then the areas under the dimension name "" (never a real one)
        select(RecapCount.dimension, RecapCount.key, RecapCount.sex, n).where(*where)
        .group_by(RecapCount.dimension, RecapCount.key, RecapCount.sex),
        select(literal(""), RecapCount.region_code, RecapCount.sex, n).where(*area_where)
        .group_by(RecapCount.region_code, RecapCount.sex),
    )
    dims: list[tuple[str, str, str, int]] = []
    areas: list[tuple[str, str, int]] = []
    for d, k, s, c in session.connection().execute(both).all():  # one fetch: row by row costs ~8 µs a row
        if c and d:
            dims.append((d, k, s, int(c)))
        elif c:
            areas.append((k, s, int(c)))
    return dims, areas


def _flagged_where(region_code: str) -> list[Any]:
    return [RecapFact.risk_signals > 0, *(_scope(region_code, RecapFact.kabupaten, RecapFact.region_code) if region_code else [])]


def flagged_ids(session: Session, region_code: str) -> set[int]:
    """The cases of the pupils at risk in ``region_code`` (``""``: national), from the summary's partial index."""
    return set(session.scalars(select(RecapFact.case_id).where(*_flagged_where(region_code))))


def flagged(session: Session, region_code: str, limit: int) -> list[Risk]:
    """The first ``limit`` pupils at risk in ``region_code`` (``""``: national), most signals first, then by
    reference, from the summary (what the recap lists; their number is the ``at_risk`` count)."""
    from storage.models import Assignment

    pendamping = (
        select(func.max(Assignment.pendamping_id)).where(Assignment.case_id == RecapFact.case_id, Assignment.active.is_(True))
        .correlate(RecapFact).scalar_subquery()
    )
    where = _flagged_where(region_code)
    rows = session.execute(
        select(RecapFact.case_id, Case.child_id, RecapFact.reference, RecapFact.region_code, Child.name, pendamping, RecapFact.risk,
               RecapFact.risk_signals)
        .join(Case, Case.id == RecapFact.case_id).join(Child, Child.id == Case.child_id)
        .where(*where).order_by(RecapFact.risk_signals.desc(), RecapFact.reference).limit(limit)
    )
    risks = []
    for case_id, child_id, reference, region, name, pendamping_id, risk, signals in rows:
        reasons = risk.split(RISK_SEPARATOR)
        risks.append(Risk(child_id=child_id, case_id=case_id, reasons=reasons, reference=reference, child_name=name,
                          region_code=region, pendamping_id=pendamping_id, context=reasons[signals:]))
    return risks

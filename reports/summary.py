"""The recap summary: what a recap counts about each case, kept current in the writing transaction.

``recap_facts`` holds one row per case (not a duplicate): the village the child lives in (the desa typed in the
chat form, found by name under the case's kecamatan, else the case's region), its kabupaten, status, normalised
category, sex, birth month and reason codes. ``recap_counts`` holds how many cases share one value of one
dimension, by sex, per area (``grain`` ``area``) and per kabupaten (``grain`` ``kabupaten``). A recap sums
those counts: a few thousand rows for the whole country instead of millions of cases and their JSON forms.

:func:`refresh_cases` runs before a write transaction commits for the cases it changed
(:mod:`storage.derived`): it recomputes their facts and moves their counts by the difference. :func:`rebuild`
recomputes everything from the cases, set-based (the migration's backfill and the repair command).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, func, insert, literal, select, text, union_all, update
from sqlalchemy.orm import Session, aliased

from flows.loader import bound
from reports.sql import IDENTIFYING, IMPORT_INSTRUMENT, answer, quoted
from reports.vocab import normalize_category, reason_codes
from storage.models import Case, Child, RecapCount, RecapFact, Region, Response
from storage.repositories.sql import upsert_insert

AREA, KABUPATEN = "area", "kabupaten"
TOTAL = "total"
"""The cases of an area by sex (what the area breakdown reads: one counter per area and sex)."""
DIMENSIONS = (TOTAL, "status", "category", "birth_month", "reason")
BATCH = 20_000


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

    def counted(self) -> Iterable[tuple[str, str, str, str, str, str]]:
        """The (grain, scope, region, dimension, key, sex) counters this case adds one to."""
        keys = [(TOTAL, ""), ("status", self.status), ("category", self.category), ("birth_month", self.birth_month)]
        keys += [("reason", code) for code in self.reasons.split(",") if code]
        for grain, scope, region in ((AREA, self.region_code, self.area), (KABUPATEN, self.kabupaten, self.kabupaten)):
            for dimension, key in keys:
                yield grain, scope, region, dimension, key, self.sex


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
    """Per case: the raw inputs of its facts (category and reasons still as typed)."""
    latest = (
        select(Response.case_id.label("case_id"), func.max(Response.id).label("rid"))
        .where(Response.instrument.in_((*IDENTIFYING, IMPORT_INSTRUMENT)), Response.case_id.is_not(None), where(Response.case_id))
        .group_by(Response.case_id)
        .subquery("latest")
    )
    form = aliased(Response, name="form")
    desa = aliased(Region, name="desa")
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
    return (
        select(
            Case.id,
            Case.region_code,
            case((func.length(Case.region_code) < 13, resolved), else_=None).label("desa"),
            Case.status,
            func.coalesce(Case.category, answer(p("category"), form.answers), answer(r("category"), form.answers)).label("category"),
            Child.sex,
            Child.birth_date,
            case((form.instrument == "rekonfirmasi", answer(r("reasons"), form.answers)), else_=quoted(answer(p("reasons"), form.answers))).label("reasons"),
        )
        .join(Child, Child.id == Case.child_id)
        .outerjoin(latest, latest.c.case_id == Case.id)
        .outerjoin(form, form.id == latest.c.rid)
        .where(Case.duplicate_of.is_(None), where(Case.id))
    )


_category = lru_cache(maxsize=4096)(normalize_category)
"""Few distinct texts come back (codes, a handful of labels): normalise each once."""


def compute(conn: Connection, where: Any) -> list[Facts]:
    """The facts of the cases ``where(id_column)`` selects (one query, then normalised here)."""
    facts = []
    for case_id, region, desa, status, category, sex, born, reasons in conn.execute(_facts_query(where)):
        codes = reason_list(reasons)
        facts.append(Facts(
            case_id, region, region[:5], desa or region, status, _category(category) or "",
            getattr(sex, "value", sex) or "", born.strftime("%Y-%m") if born else "", ",".join(codes)[:80],
        ))
    return facts


def refresh_cases(session: Session, case_ids: set[int]) -> None:
    """Recompute the facts of these cases and move the counts by the difference (the caller's transaction)."""
    ids = sorted(case_ids)
    conn = session.connection()
    old = [Facts(*row) for row in conn.execute(select(*RecapFact.__table__.c).where(RecapFact.case_id.in_(ids)))]
    new = compute(conn, lambda column: column.in_(ids))
    delta: Counter[tuple[str, str, str, str, str, str]] = Counter()
    for f in new:
        delta.update(f.counted())
    for f in old:
        delta.subtract(f.counted())
    conn.execute(delete(RecapFact).where(RecapFact.case_id.in_(ids)))
    if new:
        conn.execute(insert(RecapFact), [dict(zip(RecapFact.__table__.c.keys(), astuple(f), strict=True)) for f in new])
    changes = [{"grain": g, "scope": sc, "kabupaten": sc[:5], "region_code": r, "dimension": d, "key": k, "sex": s, "n": n}
               for (g, sc, r, d, k, s), n in sorted(delta.items()) if n]
    if not changes:
        return
    statement = upsert_insert(session, RecapCount)
    statement = statement.on_conflict_do_update(
        index_elements=[RecapCount.grain, RecapCount.scope, RecapCount.region_code, RecapCount.dimension, RecapCount.key, RecapCount.sex],
        set_={"n": RecapCount.n + statement.excluded.n},
    )
    conn.execute(statement, changes)
    conn.execute(delete(RecapCount).where(RecapCount.n == 0, RecapCount.scope.in_({c["scope"] for c in changes})))


def rebuild(conn: Connection, batch: int = BATCH) -> int:
    """Recompute every case's facts (in batches of ids) and every count (set-based ``GROUP BY``); returns the
    number of cases counted. For the migration's backfill and after a repair made with plain SQL."""
    conn.execute(delete(RecapCount))
    conn.execute(delete(RecapFact))
    if conn.dialect.name == "postgresql":
        total = _rebuild_postgres(conn)
        recount(conn)
        return total
    top = conn.scalar(select(func.max(Case.id))) or 0
    total = 0
    for lo in range(1, top + 1, batch):
        hi = lo + batch - 1
        facts = compute(conn, lambda column, lo=lo, hi=hi: column.between(lo, hi))
        if facts:
            conn.execute(insert(RecapFact), [dict(zip(RecapFact.__table__.c.keys(), astuple(f), strict=True)) for f in facts])
        total += len(facts)
    recount(conn)
    return total


_FACTS_POSTGRES = text("""
INSERT INTO recap_facts (case_id, region_code, kabupaten, area, status, category, sex, birth_month, reasons)
SELECT c.id, c.region_code, substr(c.region_code, 1, 5), coalesce(d.code, c.region_code), c.status,
       CASE WHEN r.category IN ('1', '2', '3') THEN r.category ELSE '' END,
       coalesce(ch.sex, ''), coalesce(to_char(ch.birth_date, 'YYYY-MM'), ''),
       left(coalesce(CASE
         WHEN f.instrument = 'rekonfirmasi' AND jsonb_typeof(f.answers -> CAST(:reasons_r AS text)) = 'array' THEN (
           SELECT string_agg(v, ',' ORDER BY o) FROM (
             SELECT DISTINCT ON (v) v, o FROM jsonb_array_elements_text(f.answers -> CAST(:reasons_r AS text)) WITH ORDINALITY AS e(v, o)
             ORDER BY v, o) AS firsts)
         WHEN f.instrument = 'rekonfirmasi' THEN btrim(f.answers ->> CAST(:reasons_r AS text), '"')
         ELSE btrim(f.answers ->> CAST(:reasons_p AS text), '"') END, ''), 80)
FROM cases c
JOIN children ch ON ch.id = c.child_id
LEFT JOIN (SELECT case_id, max(id) AS rid FROM responses
           WHERE instrument IN ('pendataan', 'rekonfirmasi', 'impor') AND case_id IS NOT NULL GROUP BY case_id) l ON l.case_id = c.id
LEFT JOIN responses f ON f.id = l.rid
CROSS JOIN LATERAL (SELECT coalesce(c.category, f.answers ->> CAST(:category_p AS text), f.answers ->> CAST(:category_r AS text)) AS category,
                           lower(btrim(coalesce(f.answers ->> CAST(:desa_p AS text), f.answers ->> CAST(:desa_r AS text)))) AS typed) r
LEFT JOIN (SELECT parent_code, lower(name) AS name, min(code) AS code FROM regions WHERE level = 'desa'
           GROUP BY parent_code, lower(name)) d ON length(c.region_code) < 13 AND d.parent_code = c.region_code AND d.name = r.typed
WHERE c.duplicate_of IS NULL
""")
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
    typed as labels rather than codes are then normalised here."""
    questions = {f"{role}_{tag}": bound(form, role) for form, tag in (("pendataan", "p"), ("rekonfirmasi", "r"))
                 for role in ("category", "reasons", "desa")}
    total = conn.execute(_FACTS_POSTGRES, questions).rowcount or 0
    fixes = [{"fixed_id": case_id, "fixed": _category(raw) or ""} for case_id, raw in conn.execute(_RAW_CATEGORIES, questions)]
    fixes = [f for f in fixes if f["fixed"]]
    if fixes:
        conn.execute(update(RecapFact).where(RecapFact.case_id == bindparam("fixed_id")).values(category=bindparam("fixed")), fixes)
    return total


def recount(conn: Connection) -> None:
    """``recap_counts`` from ``recap_facts``: one ``GROUP BY`` per grain and dimension (one per reason code)."""
    conn.execute(delete(RecapCount))
    columns = ["grain", "scope", "kabupaten", "region_code", "dimension", "key", "sex", "n"]
    kabupaten = RecapFact.kabupaten
    for grain, scope, region in ((AREA, RecapFact.region_code, RecapFact.area), (KABUPATEN, kabupaten, kabupaten)):
        for dimension in (TOTAL, "status", "category", "birth_month"):
            key = RecapFact.__table__.c[dimension] if dimension != TOTAL else None
            conn.execute(insert(RecapCount).from_select(columns, select(
                literal(grain), scope, kabupaten, region, literal(dimension), literal("") if key is None else key, RecapFact.sex,
                func.count(),
            ).group_by(scope, kabupaten, region, *([] if key is None else [key]), RecapFact.sex)))
        for code in reason_codes():
            conn.execute(insert(RecapCount).from_select(columns, select(
                literal(grain), scope, kabupaten, region, literal("reason"), literal(code), RecapFact.sex, func.count()
            ).where((literal(",") + RecapFact.reasons + literal(",")).like(f"%,{code},%"))
             .group_by(scope, kabupaten, region, RecapFact.sex)))


# -- reading ----------------------------------------------------------------------------------------------------------
def _scope(region_code: str) -> list[Any]:
    """The counters of ``region_code`` and below: the kabupaten by equality (indexed), deeper by prefix."""
    if "." not in region_code:  # a province
        return [RecapCount.kabupaten.like(region_code + ".%")]
    where = [RecapCount.kabupaten == region_code[:5]]
    if region_code.count(".") > 1:
        where.append((RecapCount.scope == region_code) | RecapCount.scope.like(region_code + ".%"))
    return where


def counts(session: Session, region_code: str) -> tuple[list[tuple[str, str, str, int]], list[tuple[str, str, int]]]:
    """The recap's counts of ``region_code`` (``""``: national): rows of (dimension, key, sex, n) summed over the
    region, and rows of (area, sex, n) for its breakdown (kabupaten nationally, else villages)."""
    national = not region_code
    wide = region_code.count(".") <= 1  # national, a province or a kabupaten: the kabupaten counts suffice
    grain = KABUPATEN if wide else AREA
    where = [RecapCount.grain == grain, RecapCount.dimension != TOTAL, *([] if national else _scope(region_code))]
    n = func.sum(RecapCount.n).label("n")
    area_grain = KABUPATEN if national else AREA
    area_where = [RecapCount.grain == area_grain, RecapCount.dimension == TOTAL, *([] if national else _scope(region_code))]
    both = union_all(  # one round trip: the dimensions, then the areas under the dimension name "" (never a real one)
        select(RecapCount.dimension, RecapCount.key, RecapCount.sex, n).where(*where)
        .group_by(RecapCount.dimension, RecapCount.key, RecapCount.sex),
        select(literal(""), RecapCount.region_code, RecapCount.sex, n).where(*area_where)
        .group_by(RecapCount.region_code, RecapCount.sex),
    )
    dims: list[tuple[str, str, str, int]] = []
    areas: list[tuple[str, str, int]] = []
    for d, k, s, c in session.connection().execute(both):
        if c and d:
            dims.append((d, k, s, int(c)))
        elif c:
            areas.append((k, s, int(c)))
    return dims, areas

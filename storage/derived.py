"""Data derived from the cases and kept current in the same transaction as the change that affects it.

A write that changes what a case's reminders or its recap depend on (status, region, category, forms, visits,
assignments, snoozes, the child's sex or birth date) calls :func:`case_changed`. Just before the transaction
commits, each refresher below recomputes its rows for the marked cases, once, set-based: the next reminder
check of ``reminders.next_due`` and the recap facts and counts of ``reports.summary``. On PostgreSQL the marked
cases' rows are locked first, so two transactions refreshing the same case (a chat turn and an import's writer
thread) take turns: the second reads what the first wrote instead of inserting the same rows again. A crash before the commit
loses the change and its derived rows together; a write path that forgets to call :func:`case_changed` is caught
by the daily reconciliations.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

CHANGED = "ats_changed_cases"
CHUNK = 5000
"""Cases per refresh call (a bulk import marks many: SQLite limits the parameters of one statement)."""
REFRESHERS = ("reminders.next_due:refresh_cases", "reports.summary:refresh_cases")
"""``module:function(session, case_ids)``, imported on first use (storage imports neither package)."""

Refresher = Callable[[Session, set[int]], None]
_loaded: list[Refresher] = []


def case_changed(session: Session, *case_ids: int | None) -> None:
    """Mark cases whose derived rows must be recomputed before this transaction commits."""
    session.info.setdefault(CHANGED, set()).update(cid for cid in case_ids if cid is not None)


def cases_changed(session: Session, case_ids: Iterable[int]) -> None:
    session.info.setdefault(CHANGED, set()).update(case_ids)


def pendamping_changed(session: Session, person_ids: Iterable[int]) -> None:
    """Mark the cases these people accompany (their reachability decides whom the reminders go to)."""
    from storage.models import Assignment

    ids = sorted(set(person_ids))
    if ids:
        cases_changed(session, session.scalars(
            select(Assignment.case_id).where(Assignment.pendamping_id.in_(ids), Assignment.active.is_(True))
        ))


def refreshers() -> list[Refresher]:
    if not _loaded:
        for path in REFRESHERS:
            module, name = path.split(":")
            _loaded.append(getattr(importlib.import_module(module), name))
    return _loaded


def flush_derived(session: Session) -> None:
    """Run the refreshers for the cases marked so far (also called by the commit hook)."""
    changed = session.info.pop(CHANGED, None)
    if not changed:
        return
    session.flush()
    ordered = sorted(changed)
    for start in range(0, len(ordered), CHUNK):
        chunk = set(ordered[start:start + CHUNK])
        _lock(session, ordered[start:start + CHUNK])
        for refresh in refreshers():
            refresh(session, chunk)


def _lock(session: Session, case_ids: list[int]) -> None:
    """PostgreSQL: the cases' rows, in id order (SQLite's writer already excludes every other)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from storage.models import Case
    from storage.repositories.sql import any_of

    session.execute(select(Case.id).where(any_of(Case.id, case_ids)).order_by(Case.id).with_for_update())


def install(factory: sessionmaker[Session]) -> None:
    """Refresh the derived rows of the marked cases in every transaction of ``factory``, before it commits."""
    event.listen(factory, "before_commit", flush_derived)

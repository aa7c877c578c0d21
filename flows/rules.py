"""The form's ``rules``: answers the paper rules out in combination, found when the later answer is given.

A rule either refuses the answer (the combination is impossible: a child who never went to school cannot have
dropped out) or warns (unlikely, the person may confirm). Pure: reads answers through a lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from flows.conditions import MISSING, holds
from flows.messages import Problem
from flows.schema import TODAY, Rule

Lookup = Callable[[str], Any]


def rules_by_question(rules: Iterable[Rule]) -> dict[str, list[tuple[int, Rule]]]:
    """Each question's rules with their place in the form (which names their warnings)."""
    found: dict[str, list[tuple[int, Rule]]] = {}
    for index, rule in enumerate(rules):
        found.setdefault(rule.question, []).append((index, rule))
    return found


def broken(rules: Iterable[tuple[int, Rule]], lookup: Lookup, today: dt.date) -> tuple[list[Problem], list[Problem]]:
    """``(refusals, warnings)`` of the rules the answers break."""
    refusals, warnings = [], []
    for index, rule in rules:
        if _breaks(rule, lookup, today):
            value = lookup(rule.question)
            if rule.warn:
                warnings.append(Problem(rule.message, {"question": rule.question}, key=f"rule:{index}:{value}", form=True))
            else:
                refusals.append(Problem(rule.message, form=True))
    return refusals, warnings


def _breaks(rule: Rule, lookup: Lookup, today: dt.date) -> bool:
    if rule.when is not None:
        return holds(rule.when, lookup)
    value = _point(lookup(rule.question))
    ref = rule.not_after or rule.not_before or rule.at_most
    other = _point(today if ref == TODAY else lookup(ref or ""))
    if value is None or other is None:
        return False
    value, other = _alike(value, other)
    if rule.not_before:
        return bool(value < other)
    return bool(value > other)


def _point(value: Any) -> int | float | dt.date | None:
    """An answer as something to compare: a number (a year is a number) or a date."""
    if value is MISSING or value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, dt.date)):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _alike(a: Any, b: Any) -> tuple[Any, Any]:
    """A year against a date compares with the date's year."""
    if isinstance(a, dt.date) and not isinstance(b, dt.date):
        return a.year, b
    if isinstance(b, dt.date) and not isinstance(a, dt.date):
        return a, b.year
    return a, b

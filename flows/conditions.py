"""Evaluate a form's ``relevant`` conditions against the answers given so far."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from flows.schema import Condition

MISSING = object()
"""Marks a question with no answer at all (a skipped optional question has the answer ``None``)."""

Lookup = Callable[[str], Any]


def holds(cond: Condition, lookup: Lookup) -> bool:
    """Whether ``cond`` is true; a comparison with a missing or skipped answer is false."""
    if cond.all is not None:
        return all(holds(c, lookup) for c in cond.all)
    if cond.any is not None:
        return any(holds(c, lookup) for c in cond.any)
    if cond.not_ is not None:
        return not holds(cond.not_, lookup)
    value: object = lookup(cond.q or "")
    if cond.answered is not None:
        return (value is not MISSING and value is not None) == cond.answered
    if value is MISSING or value is None:
        return False
    if cond.is_ is not None:
        return value == cond.is_
    if cond.in_ is not None:
        return value in cond.in_
    if cond.has is not None:
        return isinstance(value, list) and cond.has in value
    if cond.has_any is not None:
        return isinstance(value, list) and any(code in value for code in cond.has_any)
    return _compare(cond, value)


def _compare(cond: Condition, value: Any) -> bool:
    if not isinstance(value, (int, float)):
        return False
    checks = ((cond.gte, operator.ge), (cond.lte, operator.le), (cond.gt, operator.gt), (cond.lt, operator.lt))
    return all(test(value, bound) for bound, test in checks if bound is not None)

"""The refusals of the case workflow: a message id of :mod:`cases.messages` and its parameters.

``ValueError`` (not these) means the caller broke the contract, e.g. an unknown consent answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cases import messages as m
from cases.lifecycle import render_message

if TYPE_CHECKING:
    from cases.service import CaseSummary


class CaseError(Exception):
    """A refusal for a person: ``message`` is a message id of :mod:`cases.messages`, ``params`` fill it."""

    def __init__(self, message: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = dict(params or {})

    def render(self, translate: Callable[..., str]) -> str:
        """The refusal in a person's language (status and action names among the parameters translated too)."""
        return render_message(translate, self.message, self.params)


class IllegalTransition(CaseError):
    """The lifecycle does not allow this move now. ``allowed``: the events that are possible instead."""

    def __init__(self, message: str, params: dict[str, Any] | None = None, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message, params)
        self.allowed = allowed


class AlreadyTaken(IllegalTransition):
    """Another volunteer took the proposal first; ``taken_by`` is their person id."""

    def __init__(self, reference: str, name: str, taken_by: int | None) -> None:
        super().__init__(m.ALREADY_TAKEN, {"reference": reference, "name": name})
        self.taken_by = taken_by


class CaseNotFound(CaseError):
    def __init__(self, reference: str) -> None:
        super().__init__(m.CASE_NOT_FOUND, {"reference": reference})


class InvalidInput(CaseError):
    """Something given to the workflow is not acceptable (age, village, person, school, form...)."""


class DuplicateCase(CaseError):
    """The child is already followed by another open case: offer ``existing`` (newest first) instead."""

    def __init__(self, existing: list[CaseSummary]) -> None:
        super().__init__(m.DUPLICATE_FOUND, {"references": ", ".join(s.reference for s in existing)})
        self.existing = existing

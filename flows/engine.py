"""The pure questionnaire engine: given a definition, the answers so far and an input, what is valid and what comes next.

A conversation is a :class:`State` (plain JSON-able data) that the caller stores after every step; the engine
never keeps it. Every operation returns a new state, so a draft can be resumed hours later, in another
process, exactly where it stood.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flows import messages as M
from flows.compiler import CompiledInstrument, Position, Walk, read, write
from flows.conditions import MISSING
from flows.messages import Problem
from flows.nik_checks import nik_warnings
from flows.schema import ANSWERABLE, NikCheck
from flows.structure import Node
from flows.values import parse_answer


@dataclass(frozen=True)
class State:
    """One person's progress through one instrument."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    cursor: str | None = None
    """Position key the person moved to (back, edit); ``None`` means the first unanswered question."""
    pending: Mapping[str, Any] | None = None
    """An answer kept while the person decides about its warnings: ``{"position", "value"}``."""
    confirmed: tuple[str, ...] = ()
    """Warnings the person has already accepted, so they are not asked again."""

    def to_json(self) -> dict[str, Any]:
        return {"answers": dict(self.answers), "cursor": self.cursor, "pending": self.pending, "confirmed": list(self.confirmed)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> State:
        return cls(dict(data.get("answers") or {}), data.get("cursor"), data.get("pending"), tuple(data.get("confirmed") or ()))


@dataclass(frozen=True)
class Progress:
    answered: int
    expected: int


@dataclass(frozen=True)
class Prompt:
    """The question to ask now."""

    position: Position
    node: Node
    current: Any
    """The answer already given here (when going back or editing), else ``None``."""
    progress: Progress
    can_go_back: bool

    @property
    def can_skip(self) -> bool:
        return not self.node.question.required


@dataclass(frozen=True)
class Complete:
    """Every question on the path is answered; the form can be submitted."""

    progress: Progress


@dataclass(frozen=True)
class Accepted:
    state: State
    value: Any


@dataclass(frozen=True)
class Refused:
    problem: Problem


@dataclass(frozen=True)
class NeedsConfirmation:
    """The answer is valid but disagrees with another one; it is kept in ``state.pending`` meanwhile."""

    state: State
    warnings: list[Problem]


Outcome = Accepted | Refused | NeedsConfirmation


@dataclass(frozen=True)
class WalkReport:
    """What ``instruments walk`` prints: the path taken over a set of answers."""

    visited: list[str]
    stopped_at: str | None
    error: Problem | None
    complete: bool
    answers: dict[str, Any]
    warnings: list[Problem]


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


class Engine:
    """Steps one instrument's conversations; holds only the compiled definition, shared by all of them."""

    def __init__(self, compiled: CompiledInstrument) -> None:
        self.compiled = compiled
        self.layout = compiled.layout
        self._checks_by_question: dict[str, list[NikCheck]] = {}
        for check in compiled.instrument.checks:
            for ref in (check.nik, check.birth_date, check.sex, check.kecamatan):
                if ref:
                    self._checks_by_question.setdefault(ref, []).append(check)

    # -- reading --------------------------------------------------------------------------------------------
    def walk(self, state: State, today: dt.date | None = None) -> Walk:
        return self.compiled.walk(state.answers, _today(today))

    def value(self, answers: Mapping[str, Any], position: Position) -> Any:
        """The stored answer at a position (``MISSING`` when there is none)."""
        return read(answers, self.layout.nodes[position.qid], position.instance)

    def progress(self, state: State, today: dt.date | None = None) -> Progress:
        """Answered questions against those the path is expected to ask, given the answers so far."""
        return self._progress(state, self.walk(state, today))

    def current(self, state: State, today: dt.date | None = None) -> Prompt | Complete:
        """The question to ask now, or :class:`Complete`."""
        walk = self.walk(state, today)
        progress = self._progress(state, walk)
        position = self._here(state, walk)
        if position is None:
            return Complete(progress)
        value = self.value(state.answers, position)
        answerable = [p for p in walk.path if self._answerable(p)]
        can_go_back = bool(answerable) and answerable[0] != position
        return Prompt(position, self.layout.nodes[position.qid], None if value is MISSING else value, progress, can_go_back)

    def summary(self, state: State, today: dt.date | None = None) -> list[tuple[Position, Node, Any]]:
        """Every answered question on the path, in order, for the review before submitting."""
        walk = self.walk(state, today)
        rows = []
        for position in walk.path:
            value = _kept_value(walk, state.answers, self.layout.nodes[position.qid], position)
            if value is not MISSING:
                rows.append((position, self.layout.nodes[position.qid], value))
        return rows

    # -- answering ------------------------------------------------------------------------------------------
    def answer(self, state: State, raw: Any, today: dt.date | None = None, *, confirm: bool = False) -> Outcome:
        """Validate ``raw`` as the answer to the current question and move on."""
        day = _today(today)
        position = self._here(state, self.walk(state, day))
        if position is None:
            return Refused(Problem(M.NOT_ANSWERABLE))
        node = self.layout.nodes[position.qid]
        value = parse_answer(node, raw, day)
        if isinstance(value, Problem):
            return Refused(value)
        answers = _put(state.answers, node, position.instance, value)
        warnings = [w for w in self._warnings(node, answers, position.instance, day) if w.key not in state.confirmed]
        if warnings and not confirm:
            pending = {"position": position.key, "value": value}
            return NeedsConfirmation(replace(state, cursor=position.key, pending=pending), warnings)
        confirmed = state.confirmed + tuple(w.key for w in warnings)
        return Accepted(State(self._prune(answers, day), None, None, confirmed), value)

    def confirm(self, state: State, today: dt.date | None = None) -> Outcome:
        """Keep the pending answer despite its warnings."""
        if not state.pending:
            return Refused(Problem(M.NOT_ANSWERABLE))
        value = state.pending["value"]
        return self.answer(replace(state, pending=None, cursor=state.pending["position"]), value, today, confirm=True)

    def discard_pending(self, state: State) -> State:
        """Drop the pending answer to type it again."""
        return replace(state, pending=None)

    def skip(self, state: State, today: dt.date | None = None) -> Outcome:
        """Leave an optional question unanswered (stored as ``None``, so it is not asked again)."""
        day = _today(today)
        position = self._here(state, self.walk(state, day))
        if position is None or self.layout.nodes[position.qid].question.required:
            return Refused(Problem(M.CANNOT_SKIP))
        answers = _put(state.answers, self.layout.nodes[position.qid], position.instance, None)
        return Accepted(State(self._prune(answers, day), None, None, state.confirmed), None)

    def back(self, state: State, today: dt.date | None = None) -> State:
        """Move to the question before the current one; its answer stays until it is changed."""
        walk = self.walk(state, today)
        answerable = [p for p in walk.path if self._answerable(p)]
        here = self._here(state, walk)
        index = answerable.index(here) if here in answerable else len(answerable)
        if index == 0:
            return state
        return replace(state, cursor=answerable[index - 1].key, pending=None)

    def goto(self, state: State, key: str, today: dt.date | None = None) -> State | Refused:
        """Move to an answered question on the path to change it (from the summary)."""
        position = Position.parse(key)
        walk = self.walk(state, today)
        if position not in walk.path or not self._answerable(position) or self.value(state.answers, position) is MISSING:
            return Refused(Problem(M.NOT_ANSWERABLE))
        return replace(state, cursor=position.key, pending=None)

    # -- checking a whole set of answers ------------------------------------------------------------------
    def check(self, raw_answers: Mapping[str, Any], today: dt.date | None = None) -> WalkReport:
        """Walk from the first question over ``raw_answers`` (keyed by question id), stopping at the first
        question whose answer is missing or invalid; an optional question left out, or ``null``, is skipped.
        Used by ``instruments walk`` and the path tests."""
        day = _today(today)
        state, warnings = State(), []
        for _ in range(len(self.layout.nodes) * (2 + _largest_repeat(raw_answers))):
            prompt = self.current(state, day)
            if isinstance(prompt, Complete):
                break
            raw = _raw_at(raw_answers, prompt.node, prompt.position.instance)
            if raw is MISSING and prompt.node.question.required:
                break
            skipped = raw is None or raw is MISSING  # an optional question left out is skipped
            outcome = self.skip(state, day) if skipped else self.answer(state, raw, day, confirm=True)
            if isinstance(outcome, Refused):
                asked = [p.key for p in self.walk(state, day).asked]
                return WalkReport(asked, prompt.position.key, outcome.problem, False, dict(state.answers), warnings)
            warnings += [w for w in self._warnings(prompt.node, outcome.state.answers, prompt.position.instance, day) if w.key not in state.confirmed]
            state = outcome.state
        walk = self.walk(state, day)
        stop = walk.stop.key if walk.stop else None
        return WalkReport([p.key for p in walk.asked], stop, None, stop is None, dict(state.answers), warnings)

    # -- internals ------------------------------------------------------------------------------------------
    def _answerable(self, position: Position) -> bool:
        return self.layout.nodes[position.qid].type in ANSWERABLE

    def _here(self, state: State, walk: Walk) -> Position | None:
        """Where the person is: the position they moved to, if still on the path, else the first unanswered."""
        if state.cursor:
            position = Position.parse(state.cursor)
            if position in walk.path:
                return position
        return walk.stop

    def _progress(self, state: State, walk: Walk) -> Progress:
        path = [p for p in walk.path if self._answerable(p)]
        return Progress(sum(self.value(state.answers, p) is not MISSING for p in path), len(path))

    def _warnings(self, node: Node, answers: Mapping[str, Any], instance: int, today: dt.date) -> list[Problem]:
        """NIK disagreements the answer at this position causes; inside a repeat group, within its instance."""

        def lookup(qid: str) -> Any:
            ref = self.layout.nodes[qid]
            return read(answers, ref, instance if ref.group else 0)

        return [w for check in self._checks_by_question.get(node.id, []) for w in nik_warnings(check, lookup, today)]

    def _prune(self, answers: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
        """Keep only answers on the path (an edit may make later answers irrelevant) and store calculations."""
        walk = self.compiled.walk(answers, today)
        kept: dict[str, Any] = {}
        for position in walk.path:
            node = self.layout.nodes[position.qid]
            value = _kept_value(walk, answers, node, position)
            if value is not MISSING:
                write(kept, node, position.instance, value)
        return kept


def _kept_value(walk: Walk, answers: Mapping[str, Any], node: Node, position: Position) -> Any:
    """The answer at a position, or its calculation; a calculation whose inputs are missing counts as absent."""
    if position in walk.computed:
        value = walk.computed[position]
        return MISSING if value is None else value
    return read(answers, node, position.instance)


def _put(answers: Mapping[str, Any], node: Node, instance: int, value: Any) -> dict[str, Any]:
    """A copy of ``answers`` with ``value`` at a position."""
    result = dict(answers)
    write(result, node, instance, value)
    return result


def _raw_at(raw: Mapping[str, Any], node: Node, instance: int) -> Any:
    if node.group is None:
        return raw.get(node.id, MISSING)
    rows = raw.get(node.group)
    if not isinstance(rows, list) or len(rows) < instance or not isinstance(rows[instance - 1], dict):
        return MISSING
    return rows[instance - 1].get(node.id, MISSING)


def _largest_repeat(raw: Mapping[str, Any]) -> int:
    return max([len(v) for v in raw.values() if isinstance(v, list) and v and isinstance(v[0], dict)] + [1])

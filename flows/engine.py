"""The pure questionnaire engine: given a definition, the answers so far and an input, what is valid and what comes next.

A conversation is a :class:`State` (plain JSON-able data) that the caller stores after every step; the engine
never keeps it. Every operation returns a new state, so a draft can be resumed hours later, in another
process, exactly where it stood.

A state the engine made carries its walk (not part of its data): the next step starts from there, so answering
the current question costs one trigger of the machine, not a walk from the first question. A state read from
storage is walked once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TypeVar

from flows import messages as M
from flows.compiler import CompiledInstrument, Position, Walk, read, write
from flows.conditions import MISSING
from flows.messages import Problem
from flows.nik_checks import nik_warnings
from flows.rules import broken, rules_by_question
from flows.schema import ANSWERABLE, NikCheck
from flows.structure import Node
from flows.values import answer_parser


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
        self._first: _Trail | None = None
        """The walk of an empty form on the latest day asked."""
        self._parsers = {qid: answer_parser(node) for qid, node in self.layout.nodes.items()}
        self._rules = rules_by_question(compiled.instrument.rules)
        self._checks_by_question: dict[str, list[NikCheck]] = {}
        for check in compiled.instrument.checks:
            for ref in (check.nik, check.birth_date, check.sex, check.kecamatan):
                if ref:
                    self._checks_by_question.setdefault(ref, []).append(check)
        self._checked = frozenset(self._rules) | frozenset(self._checks_by_question)
        """Questions whose answer a form rule or a NIK check looks at."""

    # -- reading --------------------------------------------------------------------------------------------
    def walk(self, state: State, today: dt.date | None = None) -> Walk:
        return self._trail(state, _today(today)).walk

    def value(self, answers: Mapping[str, Any], position: Position) -> Any:
        """The stored answer at a position (``MISSING`` when there is none)."""
        return read(answers, self.layout.nodes[position.qid], position.instance)

    def progress(self, state: State, today: dt.date | None = None) -> Progress:
        """Answered questions against those the path is expected to ask, given the answers so far."""
        walk = self.walk(state, today)
        return Progress(walk.answered, walk.answerable)

    def current(self, state: State, today: dt.date | None = None) -> Prompt | Complete:
        """The question to ask now, or :class:`Complete`."""
        walk = self._trail(state, today or dt.date.today()).walk
        missing = walk.missing
        progress = _built(Progress, {"answered": walk.answerable - len(missing), "expected": walk.answerable})
        position = self._here(state, walk) if state.cursor else walk.path[missing[0][0]] if missing else None
        if position is None:
            return Complete(progress)
        node = self.layout.nodes[position.qid]
        value = read(state.answers, node, position.instance)
        first = walk.first(self.compiled.answerable_qids)
        return _built(Prompt, {"position": position, "node": node, "current": None if value is MISSING else value, "progress": progress,
                               "can_go_back": first is not None and first != position})

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
        day = today or dt.date.today()
        trail = self._trail(state, day)
        position = self._here(state, trail.walk)
        if position is None:
            return Refused(Problem(M.NOT_ANSWERABLE))
        qid = position.qid
        node = self.layout.nodes[qid]
        value = self._parsers[qid](raw, day)
        if isinstance(value, Problem):
            return Refused(value)
        answers = _put(state.answers, node, position.instance, value)
        refusals, warnings = self._problems(node, answers, position.instance, day) if qid in self._checked else ([], [])
        if refusals:
            return Refused(refusals[0])
        confirmed = state.confirmed
        if warnings:
            warnings = [w for w in warnings if w.key not in confirmed]
            if warnings and not confirm:
                pending = {"position": position.key, "value": value}
                return NeedsConfirmation(_moved(state, cursor=position.key, pending=pending), warnings)
            confirmed += tuple(w.key for w in warnings)
        return _built(Accepted, {"state": self._answered(state, position, answers, confirmed, day, trail), "value": value})

    def confirm(self, state: State, today: dt.date | None = None) -> Outcome:
        """Keep the pending answer despite its warnings."""
        if not state.pending:
            return Refused(Problem(M.NOT_ANSWERABLE))
        value = state.pending["value"]
        return self.answer(replace(state, pending=None, cursor=state.pending["position"]), value, today, confirm=True)

    def discard_pending(self, state: State) -> State:
        """Drop the pending answer to type it again."""
        return _moved(state, pending=None)

    def skip(self, state: State, today: dt.date | None = None) -> Outcome:
        """Leave an optional question unanswered (stored as ``None``, so it is not asked again)."""
        day = _today(today)
        position = self._here(state, self.walk(state, day))
        if position is None or self.layout.nodes[position.qid].question.required:
            return Refused(Problem(M.CANNOT_SKIP))
        answers = _put(state.answers, self.layout.nodes[position.qid], position.instance, None)
        return Accepted(self._answered(state, position, answers, state.confirmed, day), None)

    def back(self, state: State, today: dt.date | None = None) -> State:
        """Move to the question before the current one; its answer stays until it is changed."""
        walk = self.walk(state, today)
        answerable = [p for p in walk.path if self._answerable(p)]
        here = self._here(state, walk)
        index = answerable.index(here) if here in answerable else len(answerable)
        if index == 0:
            return state
        return _moved(state, cursor=answerable[index - 1].key, pending=None)

    def goto(self, state: State, key: str, today: dt.date | None = None) -> State | Refused:
        """Move to an answered question on the path to change it (from the summary)."""
        position = Position.parse(key)
        walk = self.walk(state, today)
        if position not in walk.path or not self._answerable(position) or self.value(state.answers, position) is MISSING:
            return Refused(Problem(M.NOT_ANSWERABLE))
        return _moved(state, cursor=position.key, pending=None)

    # -- checking a whole set of answers ------------------------------------------------------------------
    def check(self, raw_answers: Mapping[str, Any], today: dt.date | None = None) -> WalkReport:
        """Walk from the first question over ``raw_answers`` (keyed by question id), stopping at the first
        question whose answer is missing or invalid; an optional question left out, or ``null``, is skipped.
        Used by ``instruments walk`` and the path tests."""
        day = _today(today)
        state, warnings = State(), list[Problem]()
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
            warnings += [w for w in self._problems(prompt.node, outcome.state.answers, prompt.position.instance, day)[1]
                         if w.key not in state.confirmed]
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
        missing = walk.missing
        return walk.path[missing[0][0]] if missing else None  # walk.stop, read at every step

    def _problems(self, node: Node, answers: Mapping[str, Any], instance: int, today: dt.date) -> tuple[list[Problem], list[Problem]]:
        """``(refusals, warnings)`` the answer at this position causes: the form's rules, and NIK disagreements
        (looked for only when nothing refuses it); inside a repeat group, within its instance."""
        rules, checks = self._rules.get(node.id), self._checks_by_question.get(node.id)
        if rules is None and checks is None:
            return [], []
        lookup = self._lookup(answers, instance)
        refusals, warnings = broken(rules, lookup, today) if rules is not None else ([], [])
        if refusals or not checks:
            return refusals, warnings
        return refusals, [w for check in checks for w in nik_warnings(check, lookup, today)] + warnings

    def _lookup(self, answers: Mapping[str, Any], instance: int) -> Callable[[str], Any]:
        def lookup(qid: str) -> Any:
            ref = self.layout.nodes[qid]
            return read(answers, ref, instance if ref.group else 0)

        return lookup

    def _trail(self, state: State, day: dt.date) -> _Trail:
        """The walk over the state's answers: the one it carries, or a new one it then carries."""
        trail: _Trail | None = getattr(state, "_trail", None)
        if trail is None or trail.today != day:
            if not state.answers:  # every new form starts with the same walk: made once a day
                first = self._first
                trail = first if first is not None and first.today == day else self._walked({}, day)
                self._first = trail
            else:
                trail = self._walked(state.answers, day)
            _carry(state, trail)
        return trail

    def _walked(self, answers: Mapping[str, Any], day: dt.date) -> _Trail:
        walk = self.compiled.walk(answers, day)
        return _Trail(day, walk, self._kept(walk, answers) == answers)

    def _answered(self, state: State, position: Position, answers: dict[str, Any], confirmed: tuple[str, ...], day: dt.date,
                  trail: _Trail | None = None) -> State:
        """The state after an answer at ``position``: only answers on the new path are kept (an edit may make
        later ones irrelevant) and calculations are stored. Answering where the walk stopped continues the
        walk from there (usually one trigger, and nothing to prune); an edit walks the form again."""
        trail = trail or self._trail(state, day)
        missing = trail.walk.missing
        at_stop = bool(missing) and position == trail.walk.path[missing[0][0]]  # answered where the walk stopped
        walk = self.compiled.advance(trail.walk, answers, day) if trail.pruned and at_stop else None
        if walk is not None and walk.dropped is None:  # same route: nothing to prune, no calculation changed
            return _stepped(answers, confirmed, _Trail(day, walk, True))
        if walk is not None:
            kept, changed = self._rerouted(walk, answers)
            unread = not changed & walk.reads.keys()
        else:
            walk = self.compiled.walk(answers, day)
            kept = self._kept(walk, answers)
            unread = not self._differing(kept, answers) & {p.qid for p in walk.reads}
        result = State(kept, None, None, confirmed)
        # What pruning removed or stored, no condition read: the walk over the kept answers is the same.
        return _carry(result, _Trail(day, walk, True)) if unread else result

    def _rerouted(self, walk: Walk, answers: dict[str, Any]) -> tuple[dict[str, Any], set[Position]]:
        """``answers`` pruned after :meth:`CompiledInstrument.advance` changed the route (they were pruned for
        the previous one): answers left behind go, calculations on the new stretch are stored; and what changed."""
        kept, changed = dict(answers), set[Position]()
        for position in walk.dropped or ():
            node = self.layout.nodes[position.qid]
            if read(kept, node, position.instance) is not MISSING:
                _remove(kept, node, position.instance)
                changed.add(position)
        for position, value in walk.computed.items():
            node = self.layout.nodes[position.qid]
            stored = read(kept, node, position.instance)
            if (MISSING if value is None else value) != stored:
                if value is None:
                    _remove(kept, node, position.instance)
                else:
                    write(kept, node, position.instance, value)
                changed.add(position)
        return kept, changed

    def _differing(self, one: Mapping[str, Any], other: Mapping[str, Any]) -> set[str]:
        """Questions whose answers differ between two sets of answers (a repeat group's: all its questions)."""
        keys = {k for k in one.keys() | other.keys() if one.get(k, MISSING) != other.get(k, MISSING)}
        return keys | {child for k in keys for child in self.layout.children.get(k, ())}

    def _kept(self, walk: Walk, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers on the walk's path, with its calculations stored."""
        kept: dict[str, Any] = {}
        for position in walk.path:
            node = self.layout.nodes[position.qid]
            value = _kept_value(walk, answers, node, position)
            if value is not MISSING:
                write(kept, node, position.instance, value)
        return kept


class _Trail(NamedTuple):
    """The walk a state carries: over its answers, on ``today``; ``pruned`` when nothing off the path is kept."""

    today: dt.date
    walk: Walk
    pruned: bool


def _carry(state: State, trail: _Trail) -> State:
    object.__setattr__(state, "_trail", trail)  # derived data beside the frozen fields, never stored
    return state


def _stepped(answers: dict[str, Any], confirmed: tuple[str, ...], trail: _Trail) -> State:
    """``State(answers, None, None, confirmed)`` carrying ``trail``, made the way the usual step needs it: at once."""
    return _built(State, {"answers": answers, "cursor": None, "pending": None, "confirmed": confirmed, "_trail": trail})


_Built = TypeVar("_Built")


def _built(cls: type[_Built], fields: dict[str, Any]) -> _Built:
    """An instance of a frozen dataclass (without slots) with ``fields`` (all of them), as its ``__init__`` would make
    it but at once: the generated one sets each field through ``object.__setattr__``, a cost every step paid."""
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


def _moved(state: State, **changes: Any) -> State:
    """``state`` with another cursor or pending answer: same answers, so the same walk."""
    moved = replace(state, **changes)
    trail = getattr(state, "_trail", None)
    return moved if trail is None else _carry(moved, trail)


def _kept_value(walk: Walk, answers: Mapping[str, Any], node: Node, position: Position) -> Any:
    """The answer at a position, or its calculation; a calculation whose inputs are missing counts as absent."""
    if position in walk.computed:
        value = walk.computed[position]
        return MISSING if value is None else value
    return read(answers, node, position.instance)


def _remove(answers: dict[str, Any], node: Node, instance: int) -> None:
    """Delete the answer at a position in place; a repeat group keeps no empty rows at its end, nor an empty list."""
    if node.group is None:
        answers.pop(node.id, None)
        return
    rows = [dict(r) if isinstance(r, dict) else {} for r in answers.get(node.group) or []]
    rows[instance - 1].pop(node.id, None)
    while rows and not rows[-1]:
        rows.pop()
    if rows:
        answers[node.group] = rows
    else:
        answers.pop(node.group, None)


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

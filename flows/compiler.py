"""Compile an instrument into one ``transitions`` machine and walk it with transient models.

Each question is a state. Event ``next`` leaves a question after it was answered: first the paper's jumps
(per answer), then its unconditional jump, then the next question, with repeat groups looping back to their
first question while instances remain. Event ``skip`` passes over a question whose ``relevant`` condition is
false (or that has no answer yet, when estimating what remains): no jump applies.

One machine serves every conversation: a walk creates a small :class:`_Cursor` model, drives it with
``machine.events[name].trigger(cursor)`` and drops it. Nothing about a person lives in the machine.

A walk records which answers its conditions read and where, so the usual step — answering the question the
walk stopped at — is one ``next`` trigger from that question (:meth:`CompiledInstrument.advance`): when the
answer takes the same route as the walk's estimate and nothing else read it, the rest of the walk stands.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from transitions import EventData, Machine

from flows.conditions import MISSING, holds
from flows.schema import ANSWERABLE, Instrument, QuestionType
from flows.schema import Condition as Relevance
from flows.structure import Layout, Node, build_layout
from flows.values import age_on

END = "__end__"
_POSITION = re.compile(r"^(?P<qid>.+?)(?:\[(?P<n>\d+)\])?$")


class Position(NamedTuple):
    """Where in a form a person is: a question, and the 1-based instance inside a repeat group (0 outside).

    A named tuple: walks hash and compare positions constantly, and tuples do it in C."""

    qid: str
    instance: int = 0

    @property
    def key(self) -> str:
        """``1.4`` or, inside a repeat group, ``ART.3[2]``."""
        return f"{self.qid}[{self.instance}]" if self.instance else self.qid

    @classmethod
    def parse(cls, key: str) -> Position:
        m = _POSITION.match(key)
        if m is None:
            raise ValueError(f"not a position: {key!r}")
        return cls(m["qid"], int(m["n"] or 0))


def read(answers: Mapping[str, Any], node: Node, instance: int) -> Any:
    """The stored answer at a position, or ``MISSING``."""
    if node.group is None:
        return answers.get(node.id, MISSING)
    rows = answers.get(node.group)
    if not isinstance(rows, list) or not 0 < instance <= len(rows) or not isinstance(rows[instance - 1], dict):
        return MISSING
    return rows[instance - 1].get(node.id, MISSING)


def write(answers: dict[str, Any], node: Node, instance: int, value: Any) -> None:
    """Store ``value`` at a position in place; a repeat group's list grows as needed and is never shared."""
    if node.group is None:
        answers[node.id] = value
        return
    rows = [dict(r) if isinstance(r, dict) else {} for r in answers.get(node.group) or []]
    while len(rows) < instance:
        rows.append({})
    rows[instance - 1][node.id] = value
    answers[node.group] = rows


class _Cursor:
    """Transient model driven by the shared machine during one walk.

    ``reads`` records, for each question a condition or calculation looked up, the path length at its first
    and last lookup: an answer nobody read cannot have changed the route.
    """

    __slots__ = ("answers", "base", "instance", "layout", "log", "path", "reads", "state")

    def __init__(self, state: str, answers: Mapping[str, Any], layout: Layout, path: list[Position], reads: dict[Position, list[int]],
                 base: int = 0) -> None:
        self.state = state
        self.instance = 0
        self.answers = answers
        self.layout = layout
        self.path = path
        """The walk's path, which ``base`` positions precede (when resuming from the middle)."""
        self.base = base
        self.reads = reads
        self.log: list[tuple[Position, Any]] | None = None
        """While a stretch is recorded: the lookups of the condition being evaluated, with what they found."""

    def lookup(self, qid: str) -> Any:
        """A question's answer as seen from here: a sibling in the current repeat instance, or a top-level one."""
        node = self.layout.nodes.get(qid)
        instance = self.instance if node is not None and node.group else 0
        key = Position(qid, instance)
        self._seen(key)
        value = MISSING if node is None else read(self.answers, node, instance)
        if self.log is not None:
            self.log.append((key, value))
        return value

    def _seen(self, key: Position) -> None:
        at = self.base + len(self.path)
        seen = self.reads.get(key)
        if seen is None:
            self.reads[key] = [at, at]
        else:
            seen[1] = at

    def finds(self, lookups: Sequence[tuple[Position, Any]]) -> bool:
        """Whether every lookup would find the same answer now."""
        nodes = self.layout.nodes
        for key, value in lookups:
            node = nodes.get(key.qid)
            if not _same(MISSING if node is None else read(self.answers, node, key.instance), value):
                return False
        return True

    def replay(self, lookups: Sequence[tuple[Position, Any]]) -> bool:
        """Make recorded lookups again, as a condition would (noting them in ``reads``), while each finds the
        same answer; ``False`` at the first that does not (the condition must then be evaluated)."""
        nodes = self.layout.nodes
        for key, value in lookups:
            node = nodes.get(key.qid)
            if not _same(MISSING if node is None else read(self.answers, node, key.instance), value):
                return False
            self._seen(key)
        return True

    def count(self, group: str) -> int:
        repeat_count = self.layout.nodes[group].question.repeat_count or ""
        value = self.lookup(repeat_count)
        return value if isinstance(value, int) and value > 0 else 0


class _Step(NamedTuple):
    """One step of a recorded stretch: the lookups of the question's relevance, what the question was, the lookups
    of the transition's conditions and the machine state (and instance) the transition led to."""

    before: tuple[tuple[Position, Any], ...]
    kind: int
    after: tuple[tuple[Position, Any], ...]
    state: str
    instance: int


_IRRELEVANT, _REPEAT, _CALCULATE, _NOTE, _UNANSWERED, _ANSWERED = range(6)
_UNSPLICED = frozenset({QuestionType.REPEAT, QuestionType.CALCULATE})
_SKIPPING = frozenset({_IRRELEVANT, _UNANSWERED})
"""Steps that leave their question by ``skip`` (the others by ``next``)."""
_TRACES_PER_START = 8
_TRACE_STARTS = 1024


Condition = Callable[[EventData], bool]
Callback = Callable[[EventData], None]
_Route = tuple[str, list[Condition], list[Callback]]


def _cursor(ev: EventData) -> _Cursor:
    """The model a transition runs for: always a :class:`_Cursor` (the machine has no models of its own)."""
    return cast(_Cursor, ev.model)


def _set_instance(value: int | None) -> Callback:
    def apply(ev: EventData) -> None:
        cursor = _cursor(ev)
        cursor.instance = cursor.instance + 1 if value is None else value

    return apply


@dataclass(slots=True)
class Walk:
    """The result of walking a form over some answers; shared, so callers must not modify it."""

    path: list[Position] = field(default_factory=list)
    computed: dict[Position, Any] = field(default_factory=dict)
    computed_at: dict[Position, int] = field(default_factory=dict)
    """Path index of each calculation."""
    missing: list[tuple[int, str, int]] = field(default_factory=list)
    """The unanswered positions on the path: (path index, machine state and instance after ``skip`` from it)."""
    reads: dict[Position, list[int]] = field(default_factory=dict)
    """Position looked up → path length when a condition or calculation first and last looked its answer up (or earlier
    and later, never less cautious, after :meth:`CompiledInstrument.advance`)."""
    answerable: int = 0
    """Positions on the path a person answers (not notes or calculations)."""
    dropped: list[Position] | None = field(default=None, repr=False, compare=False)
    """After :meth:`CompiledInstrument.advance`: the previous walk's positions left behind by another route (empty
    when the route stands but calculations on it changed); ``None`` when nothing but the answer changed."""
    _index: tuple[list[Position], dict[Position, int]] | None = field(default=None, repr=False, compare=False)
    _first: tuple[list[Position], Position | None] | None = field(default=None, repr=False, compare=False)

    @property
    def stop(self) -> Position | None:
        """The first position on the path without an answer; ``None`` when the form is complete."""
        return self.path[self.missing[0][0]] if self.missing else None

    @property
    def answered(self) -> int:
        return self.answerable - len(self.missing)

    def index(self, position: Position) -> int | None:
        """Where ``position`` is on the path (built once per path; walks that share a path share it)."""
        if self._index is None or self._index[0] is not self.path:
            self._index = (self.path, {p: i for i, p in enumerate(self.path)})
        return self._index[1].get(position)

    def first(self, answerable: frozenset[str]) -> Position | None:
        """The first position on the path whose question is in ``answerable`` (found once per path)."""
        if self._first is None or self._first[0] is not self.path:
            self._first = (self.path, next((p for p in self.path if p.qid in answerable), None))
        return self._first[1]

    @property
    def asked(self) -> list[Position]:
        """The path up to and including the stop: what has been asked so far."""
        return self.path if not self.missing else self.path[: self.missing[0][0] + 1]


class CompiledInstrument:
    """An instrument's layout plus its machine; immutable and shared by all conversations."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.layout = build_layout(instrument)
        self.machine = Machine(
            model=None,
            states=[*self.layout.nodes, END],
            initial=self.layout.top[0],
            auto_transitions=False,
            send_event=True,
            name=f"{instrument.name}@{instrument.version}",
        )
        for qid in self.layout.nodes:
            self._add_routes(qid)
        self._next = self.machine.events["next"]
        self._traces: dict[tuple[str, int], tuple[tuple[_Step, ...], ...]] = {}
        """Stretches walked after an answer changed the route, by the machine state they started from."""
        self._repeat_counts = tuple(self.layout.nodes[g].question.repeat_count or "" for g in self.layout.children)
        self.answerable_qids = frozenset(qid for qid, node in self.layout.nodes.items() if node.type in ANSWERABLE)
        self._dependents = _dependents(self.layout)
        self._following = {qid: seq[i + 1] for seq in (self.layout.top, *self.layout.children.values()) for i, qid in enumerate(seq[:-1])}
        """The question after each in its scope (the top level or a repeat group's), but for the last: where ``next``
        without a jump and ``skip`` both lead, unconditionally."""
        logging.getLogger("transitions.core").setLevel(logging.WARNING)  # its debug line per trigger costs 10 % of a walk

    @property
    def name(self) -> str:
        return self.instrument.name

    @property
    def version(self) -> int:
        return self.instrument.version

    # -- compilation ----------------------------------------------------------------------------------------
    def _continuation(self, qid: str) -> list[_Route]:
        """Where the form goes after ``qid`` when no jump applies."""
        node = self.layout.nodes[qid]
        seq = self.layout.sequence(node.group)
        pos = seq.index(qid)
        if pos + 1 < len(seq):
            return [(seq[pos + 1], [], [])]
        if node.group is None:
            return [(END, [], [])]
        group = node.group
        more: Condition = lambda ev: _cursor(ev).instance < _cursor(ev).count(group)
        leave = [(dest, conds, [*after, _set_instance(0)]) for dest, conds, after in self._continuation(group)]
        return [(seq[0], [more], [_set_instance(None)]), *leave]

    def _add_routes(self, qid: str) -> None:
        node = self.layout.nodes[qid]
        q = node.question
        routes: list[_Route] = []
        if node.type is QuestionType.REPEAT:
            entered: Condition = lambda ev: _cursor(ev).count(qid) > 0
            routes.append((self.layout.children[qid][0], [entered], [_set_instance(1)]))
        jump_codes = [c.code for c in node.choices if c.code in (q.jumps or {})]
        for code in jump_codes:
            routes.append(((q.jumps or {})[code], [self._selected(qid, code)], []))
        routes += [(q.jump, [], [])] if q.jump else self._continuation(qid)
        # [*list] copies into the stub's wider list type (str | callable), which a list of callables is not.
        for dest, conditions, after in routes:
            self.machine.add_transition("next", qid, dest, conditions=[*conditions], after=[*after])
        for dest, conditions, after in self._continuation(qid):
            self.machine.add_transition("skip", qid, dest, conditions=[*conditions], after=[*after])

    @staticmethod
    def _selected(qid: str, code: str) -> Condition:
        def test(ev: EventData) -> bool:
            value = _cursor(ev).lookup(qid)
            return value == code or (isinstance(value, list) and code in value)

        return test

    # -- walking --------------------------------------------------------------------------------------------
    def relevant(self, node: Node, cursor: _Cursor) -> bool:
        return node.question.relevant is None or holds(node.question.relevant, cursor.lookup)

    def walk(self, answers: Mapping[str, Any], today: dt.date) -> Walk:
        """Follow the form over ``answers`` from the first question to the end.

        Unanswered questions are passed over taking no jump, which estimates the remaining path; the first of
        them is the walk's ``stop``, where the person is asked next.
        """
        result = Walk()
        cursor = _Cursor(self.layout.top[0], _Working(answers), self.layout, result.path, result.reads)
        self._run(result, cursor, today, 10 * len(self.layout.nodes) * (1 + self._max_instances(answers)))
        return result

    def advance(self, walk: Walk, answers: Mapping[str, Any], today: dt.date) -> Walk | None:
        """The walk over ``answers`` — ``walk``'s answers plus one at its stop — continued from the stop. The answers
        hold the walk's calculations (but those it found missing), as the answers the engine keeps do.

        Usually one ``next`` trigger: when nothing read that question and the answer takes the route the walk
        estimated, the rest stands. Otherwise the walk goes on from the stop until it rejoins the old route at
        a point after which nothing changed was read. ``None`` when the route before the stop read the
        question (never, for forms whose conditions look back): the caller walks the form again.
        """
        if not walk.missing:
            return None
        index, skip_state, skip_instance = walk.missing[0]
        stop = walk.path[index]
        read_at = walk.reads.get(stop)
        if read_at is not None and read_at[0] <= index:
            return None
        working: Mapping[str, Any] = answers  # copied only to write into
        nodes, computed_at = self.layout.nodes, walk.computed_at
        for position, value in walk.computed.items():
            if value is None and computed_at[position] < index:  # the others are among the answers already
                if not isinstance(working, _Working):
                    working = _Working(answers)
                working.put(nodes[position.qid], position.instance, value)
        path: list[Position] = []
        reads: dict[Position, list[int]] = {}
        cursor = _Cursor(stop.qid, working, self.layout, path, reads, base=index + 1)
        cursor.instance = stop.instance
        self._next.trigger(cursor)
        if cursor.state == skip_state and cursor.instance == skip_instance:  # the route the walk estimated, from the stop
            found = (walk.computed, ()) if read_at is None else self._affected(walk, stop, working, today)
            if found is not None and not found[1]:  # no condition comes out differently: the rest of the walk stands
                computed = found[0]
                return Walk(walk.path, computed, walk.computed_at, walk.missing[1:], _merged(walk.reads, reads) if reads else walk.reads,
                            walk.answerable, dropped=None if computed is walk.computed else [], _index=walk._index, _first=walk._first)
            if found is not None and found[0] is walk.computed:
                spliced = self._spliced(walk, index, cursor, set(found[1]), reads)
                if spliced is not None:
                    return spliced
        head = Walk(path, reads=reads)
        if not isinstance(working, _Working):
            cursor.answers = _Working(answers)  # the walk goes on and stores calculations as it meets them
        rejoined = self._run(head, cursor, today, 10 * len(self.layout.nodes) * (1 + self._max_instances(answers)), (walk, stop))
        if rejoined is None and cursor.state == END:  # walked to the end: the old route if it took the same rest
            same = self._same_route(walk, head, len(walk.path)) if head.path == walk.path[index + 1 :] else None
        else:
            same = self._same_route(walk, head, rejoined) if rejoined is not None and head.path == walk.path[index + 1 : rejoined] else None
        return same if same is not None else self._joined(walk, index, head, rejoined)

    def _affected(self, walk: Walk, stop: Position, answers: Mapping[str, Any],
                  today: dt.date) -> tuple[dict[Position, Any], Sequence[Position]] | None:
        """What the answer now at ``stop`` changes in the later conditions that read it (the walk found it missing):
        the walk's calculations (with those it changes, when no condition reads them) and the positions whose
        relevance comes out differently or looks up other answers. ``None`` when the change is more than that (a
        repeat group's count, a calculation a condition reads, a question in every instance of a group): the walk
        must go on from the stop."""
        dependents = self._dependents.get(stop.qid)
        if dependents is None:
            return None
        relevances, calculations, groups = dependents
        nodes = self.layout.nodes
        asked = nodes[stop.qid]
        value = read(answers, asked, stop.instance)
        if groups and (isinstance(value, int) and value > 0):  # a count found missing counted 0
            return None
        touched: list[Position] = []
        for node, alone in relevances:
            condition = node.question.relevant
            assert condition is not None  # listed because it reads the question
            if alone is not None:  # it reads nothing else: the same in every instance
                if holds(condition, lambda _: value) is not alone:
                    if node.group is not None and asked.group is None:
                        return None
                    touched.append(Position(node.id, stop.instance if node.group is not None else 0))
                continue
            for instance in self._instances(node, asked, stop, answers):
                seen: list[str] = []
                without = holds(condition, _Lookup(answers, nodes, instance, stop, seen))
                found: list[str] = []
                if holds(condition, _Lookup(answers, nodes, instance, None, found)) != without or found != seen:
                    touched.append(Position(node.id, instance))
        changed: dict[Position, Any] | None = None
        for node, read_by in calculations:
            for instance in self._instances(node, asked, stop, answers):
                position = Position(node.id, instance)
                if position not in walk.computed:  # not on the path: not calculated
                    continue
                result = self._calculate(node, _Lookup(answers, nodes, instance, None, []), today)
                if not _same(result, walk.computed[position]):
                    if read_by:  # a condition reads the calculation: the route may change
                        return None
                    changed = changed or {}
                    changed[position] = result
        return walk.computed if changed is None else {**walk.computed, **changed}, touched

    def _spliced(self, walk: Walk, index: int, cursor: _Cursor, touched: set[Position], reads: dict[Position, list[int]]) -> Walk | None:
        """The walk when the answer at its stop (path index ``index``) changes only whether questions right after it
        are asked (``touched``, all in the stretch of siblings the machine reached from the stop, ``cursor``): those
        questions, unanswered, notes or not, are left by the same transition as when they are passed over, so the
        machine takes the same states; the path gains or loses them, and the walk rejoins the old one after the
        last. ``None`` when the stretch holds anything else (an answer, a calculation, a repeat group, the end of a
        scope, a note that jumps): the walk must go on from the stop."""
        nodes, following, old = self.layout.nodes, self._following, walk.path
        path: list[Position] = []
        head = Walk(path, reads=dict(reads))
        instance = cursor.instance
        probe = _Cursor(cursor.state, cursor.answers, self.layout, path, head.reads, base=index + 1)
        probe.instance = instance
        state, at, rejoined = cursor.state, index + 1, index + 1  # ``rejoined``: where the old path goes on
        while touched:
            node = nodes.get(state)
            after = following.get(state)
            if node is None or after is None or node.type in _UNSPLICED:
                return None
            if read(probe.answers, node, instance) is not MISSING or (node.type is QuestionType.NOTE and node.question.jump):
                return None  # asked, it is left by ``next``, which may jump
            position = Position(state, instance)
            touched.discard(position)
            if rejoined < len(old) and old[rejoined] == position:
                rejoined += 1
            if self.relevant(node, probe):
                path.append(position)
                if node.type is not QuestionType.NOTE:
                    head.answerable += 1
                    head.missing.append((at, after, instance))
                at += 1
            state = after
        return self._joined(walk, index, head, rejoined)

    def _instances(self, node: Node, asked: Node, stop: Position, answers: Mapping[str, Any]) -> Sequence[int]:
        """The repeat instances in which ``node``'s condition or calculation reads the answer at ``stop`` (of ``asked``):
        a sibling is read in its own instance only; a question outside any group in every instance of ``node``'s."""
        if asked.group is not None:
            return (stop.instance,) if node.group is not None else ()
        if node.group is None:
            return (0,)
        count = read(answers, self.layout.nodes[self.layout.nodes[node.group].question.repeat_count or ""], 0)
        rows = answers.get(node.group)
        return range(1, max(count if isinstance(count, int) else 0, len(rows) if isinstance(rows, list) else 0) + 1)

    @staticmethod
    def _same_route(old: Walk, head: Walk, rejoined: int) -> Walk | None:
        """The walk when the stretch walked again took the old route (an "other" follow-up still not asked, an age
        computed where it was estimated missing): the old path, indexes and unanswered positions stand; only
        calculations on the stretch may have changed (then ``dropped`` is empty, not ``None``: store them)."""
        remaining, count = old.missing[1:], len(head.missing)
        if remaining[:count] != head.missing or (len(remaining) > count and remaining[count][0] < rejoined):  # sorted by index
            return None
        reads = _merged(old.reads, head.reads)
        changed = {p: v for p, v in head.computed.items() if not _same(old.computed.get(p, MISSING), v)}
        if not changed:
            return Walk(old.path, old.computed, old.computed_at, remaining, reads, old.answerable, _index=old._index, _first=old._first)
        return Walk(old.path, {**old.computed, **changed}, old.computed_at, remaining, reads, old.answerable, dropped=[], _index=old._index,
                    _first=old._first)

    def _joined(self, old: Walk, index: int, head: Walk, rejoined: int | None) -> Walk:
        """The old walk up to its stop, the head walked from there, and the old walk's rest from ``rejoined``."""
        new_at = index + 1 + len(head.path)
        tail = old.path[rejoined:] if rejoined is not None else []
        shift = new_at - (rejoined or 0)
        result = Walk(old.path[: index + 1] + head.path + tail)
        taken = set(head.path)
        result.dropped = [p for p in old.path[index + 1 : rejoined] if p not in taken]
        for position, value in old.computed.items():
            at = old.computed_at[position]
            if at < index or (rejoined is not None and at >= rejoined):
                result.computed[position] = value
                result.computed_at[position] = at if at < index else at + shift
        result.computed.update(head.computed)
        result.computed_at.update(head.computed_at)
        result.missing = head.missing
        if rejoined is not None:
            rest = old.missing[bisect_left(old.missing, (rejoined,)) :]  # sorted by path index
            result.missing += rest if shift == 0 else [(at + shift, state, instance) for at, state, instance in rest]
        answerable = self.answerable_qids
        result.answerable = old.answerable - sum(p.qid in answerable for p in old.path[index + 1 : rejoined]) + head.answerable
        reads = result.reads
        end = len(old.path) + 1 if rejoined is None else rejoined  # lookups from here on are in the tail
        for qid, span in old.reads.items():
            first, last = span
            if last <= index:  # looked up up to the stop only: as before (spans are shared, never changed)
                reads[qid] = span
            elif first <= index:
                reads[qid] = [first, index] if last < end else span if shift == 0 else [first, last + shift]
            elif last >= end:  # a first lookup between the stop and the rejoining point did not happen again
                reads[qid] = [first + shift if first >= end else new_at, last + shift]
        result.reads = _merged(reads, head.reads)
        result._first = (result.path, old.first(answerable))  # the first question is at or before the stop, which is kept
        return result

    def _run(self, result: Walk, cursor: _Cursor, today: dt.date, budget: int, rejoin: tuple[Walk, Position] | None = None) -> int | None:
        """Drive ``cursor`` to the end, recording into ``result``; with ``rejoin`` (an old walk and the position
        answered since), stop where the old walk's rest stands and return its index there.

        With ``rejoin``, a stretch walked before from the same machine state is replayed instead of triggered, for
        as long as every lookup its conditions made finds the same answer (so the machine would take the same
        transitions); from the first lookup that differs, the machine is triggered, and the stretch is recorded
        for the next time. Calculations and the rejoining point are always worked out, never replayed."""
        events = self.machine.events
        nodes = self.layout.nodes
        working = cursor.answers
        assert isinstance(working, _Working)
        start = (cursor.state, cursor.instance)
        recorded = self._traces.get(start, ()) if rejoin is not None else ()
        trace: Sequence[_Step] = next((t for t in recorded if cursor.finds(t[0].before) and cursor.finds(t[0].after)), ())  # most recent first
        longest = max(map(len, recorded), default=0)
        if rejoin is not None:  # where each position is on the old path, and where the old walk stopped
            rejoin[0].index(rejoin[1])
            assert rejoin[0]._index is not None
            on_old, after = rejoin[0]._index[1], rejoin[0].missing[0][0]
        record: list[_Step] | None = [] if rejoin is not None else None
        triggered = False
        for k in range(budget):
            if cursor.state == END:
                break
            node = nodes[cursor.state]
            step = trace[k] if k < len(trace) else None  # the trace, while replayed, has one step per pass
            if (step is None or (step.before and not cursor.replay(step.before))) and trace:
                # No recorded stretch goes further than ``k`` steps: none to branch to (the usual end of a replay).
                trace = _branch(recorded, trace, k, lambda other: cursor.replay(other.before)) if k < longest else ()
                step = trace[k] if trace else None
            if step is not None:
                before, relevant = step.before, step.kind != _IRRELEVANT
            else:
                log = cursor.log = [] if record is not None else None
                relevant = self.relevant(node, cursor)
                cursor.log, before = None, tuple(log or ())
            if not relevant:
                kind = _IRRELEVANT
            elif node.type is QuestionType.REPEAT:
                kind = _REPEAT
            else:
                position = Position(node.id, cursor.instance)
                if rejoin is not None and on_old.get(position, -1) > after:  # else: a new position, or before the stop
                    at = self._rejoins(rejoin, position, result)
                    if at is not None:
                        self._store(start, record, triggered)
                        return at
                result.path.append(position)
                here = cursor.base + len(result.path) - 1
                if node.type is QuestionType.CALCULATE:
                    kind = _CALCULATE
                    value = self._calculate(node, cursor.lookup, today)
                    result.computed[position] = value
                    result.computed_at[position] = here
                    working.put(node, cursor.instance, value)
                elif node.type is QuestionType.NOTE:
                    kind = _NOTE
                else:
                    result.answerable += 1
                    kind = _UNANSWERED if read(working, node, cursor.instance) is MISSING else _ANSWERED
            if step is not None and (step.kind != kind or (step.after and not cursor.replay(step.after))):
                def fits(other: _Step, kind: int = kind) -> bool:
                    return other.kind == kind and cursor.finds(other.before) and cursor.replay(other.after)

                trace = _branch(recorded, trace, k, fits)
                step = trace[k] if trace else None
            if step is not None:
                cursor.state, cursor.instance = step.state, step.instance
            else:
                trace, triggered = (), True
                log = cursor.log = [] if record is not None else None
                events["skip" if kind in _SKIPPING else "next"].trigger(cursor)
                cursor.log = None
                if record is not None:
                    step = _Step(before, kind, tuple(log or ()), cursor.state, cursor.instance)
            if record is not None and step is not None:
                record.append(step)
            if kind == _UNANSWERED:
                result.missing.append((here, cursor.state, cursor.instance))
        self._store(start, record, triggered)
        return None

    def _store(self, start: tuple[str, int], record: list[_Step] | None, triggered: bool) -> None:
        """Keep a stretch the machine walked (a few per starting state; all forgotten past a bound)."""
        if record is None or not triggered or not record:
            return
        if len(self._traces) >= _TRACE_STARTS:
            self._traces.clear()
        self._traces[start] = (tuple(record), *self._traces.get(start, ())[: _TRACES_PER_START - 1])

    def _rejoins(self, rejoin: tuple[Walk, Position], position: Position, head: Walk) -> int | None:
        """The old walk's index of ``position`` if its rest can be kept from there: nothing that differs
        between the two walks (the answer at the stop, calculations on either side) is read from there on."""
        old, stop = rejoin
        at = old.index(position)
        first = old.missing[0][0]
        if at is None or at <= first:
            return None
        reads = old.reads
        for changed in (stop, *head.computed):
            span = reads.get(changed)
            if span is not None and span[1] > at:  # reads at ``at`` came before it
                return None
        for changed, i in old.computed_at.items():
            if first < i < at:
                span = reads.get(changed)
                if span is not None and span[1] > at:
                    return None
        return at

    def _max_instances(self, answers: Mapping[str, Any]) -> int:
        most = 0
        for qid in self._repeat_counts:
            count = answers.get(qid, 0)
            if isinstance(count, int) and count > most:
                most = count
        return most

    def _calculate(self, node: Node, lookup: Callable[[str], Any], today: dt.date) -> Any:
        calc = node.question.calculate
        assert calc is not None  # the validator guarantees it
        if calc.age_from:
            born = lookup(calc.age_from)
            return age_on(dt.date.fromisoformat(born), today) if isinstance(born, str) else None
        part, whole = (lookup(ref) for ref in calc.percent_of or ())
        if not isinstance(part, (int, float)) or not isinstance(whole, (int, float)) or whole == 0:
            return None
        return round(part / whole * 100, 1)


class _Lookup:
    """A question's answer as a walk's cursor in ``instance`` would look it up (see :meth:`_Cursor.lookup`), each id
    looked up noted in ``seen``; with ``missing``, the answer at that position is found missing."""

    __slots__ = ("answers", "instance", "missing", "nodes", "seen")

    def __init__(self, answers: Mapping[str, Any], nodes: Mapping[str, Node], instance: int, missing: Position | None,
                 seen: list[str]) -> None:
        self.answers, self.nodes, self.instance, self.missing, self.seen = answers, nodes, instance, missing, seen

    def __call__(self, qid: str) -> Any:
        self.seen.append(qid)
        node = self.nodes.get(qid)
        if node is None:
            return MISSING
        instance = self.instance if node.group else 0
        if self.missing is not None and self.missing == (qid, instance):
            return MISSING
        return read(self.answers, node, instance)


_Dependents = tuple[tuple[tuple[Node, bool | None], ...], tuple[tuple[Node, bool], ...], tuple[str, ...]]


def _dependents(layout: Layout) -> dict[str, _Dependents | None]:
    """Question id → what reads its answer after it is given: the questions whose relevance does (each with the
    relevance when the answer is missing if the condition reads nothing else, else ``None``), the calculations that
    do (each with whether anything reads the calculation in turn), the repeat groups it counts. A question inside a
    repeat group is read only by conditions and calculations inside one (those outside find it missing: they look
    for instance 0). ``None`` (every answer walks on) where a condition or a calculation that reads the question also
    reads a calculation (found or not depending on where the walk is); an empty table for a form with a repeat group
    inside another or counted by anything but a question outside groups: there the shortcut of
    :meth:`CompiledInstrument._unaffected` would need more than it looks at."""
    relevances: dict[str, list[tuple[Node, bool | None]]] = {}
    calculations: dict[str, list[Node]] = {}
    groups: dict[str, list[str]] = {}
    unsure: set[str] = set()
    nodes = layout.nodes
    calculated = {qid for qid, node in nodes.items() if node.type is QuestionType.CALCULATE}
    for qid, node in nodes.items():
        q = node.question
        if node.type is QuestionType.REPEAT:
            count = nodes.get(q.repeat_count or "")
            if node.group is not None or count is None or count.group is not None or count.type is QuestionType.CALCULATE:
                return {}
            groups.setdefault(count.id, []).append(qid)
        read = list(dict.fromkeys(_condition_reads(q.relevant))) if q.relevant is not None else []
        for ref in read:
            if ref in nodes and (nodes[ref].group is None or node.group is not None):
                alone = holds(q.relevant, lambda _: MISSING) if len(read) == 1 and q.relevant is not None else None
                relevances.setdefault(ref, []).append((node, alone))
        calc = q.calculate
        refs = list(dict.fromkeys([calc.age_from] if calc.age_from else calc.percent_of or ())) if calc is not None else []
        for ref in refs:
            if ref in nodes and (nodes[ref].group is None or node.group is not None):
                calculations.setdefault(ref, []).append(node)
        for reads in (read, refs):
            if calculated.intersection(reads):
                unsure.update(reads)
    read_somewhere = relevances.keys() | calculations.keys() | groups.keys()
    return {qid: None if qid in unsure else (tuple(relevances.get(qid, ())), tuple((c, c.id in read_somewhere) for c in calculations.get(qid, ())),
                                             tuple(groups.get(qid, ())))
            for qid in read_somewhere}


def _condition_reads(condition: Relevance) -> list[str]:
    """The question ids a condition looks up, in order."""
    if condition.q is not None:
        return [condition.q]
    nested = [*(condition.all or ()), *(condition.any or ()), *([condition.not_] if condition.not_ is not None else [])]
    return [qid for c in nested for qid in _condition_reads(c)]


def _branch(recorded: Sequence[Sequence[_Step]], trace: Sequence[_Step], k: int, fits: Callable[[_Step], bool]) -> Sequence[_Step]:
    """Another recorded stretch that went the same way as ``trace`` for its first ``k`` steps (recorded from it:
    the very same steps) and whose step ``k`` ``fits`` the answers now; empty when there is none."""
    for other in recorded:
        if other is not trace and len(other) > k and all(a is b for a, b in zip(other[:k], trace[:k], strict=True)) and fits(other[k]):
            return other
    return ()


def _merged(reads: dict[Position, list[int]], more: dict[Position, list[int]]) -> dict[Position, list[int]]:
    """Both records of lookups: the earliest first and the latest last lookup of each question."""
    if all((span := reads.get(qid)) is not None and span[0] <= first and span[1] >= last for qid, (first, last) in more.items()):
        return reads  # nothing looked up earlier or later than already recorded (also when ``more`` is empty)
    result = dict(reads)  # spans are never changed once a walk is made: new ones replace them
    for qid, (first, last) in more.items():
        span = result.get(qid)
        result[qid] = [first, last] if span is None else [min(span[0], first), max(span[1], last)]
    return result


def _same(one: Any, other: Any) -> bool:
    """Equal and of the same type (``1``, ``1.0`` and ``True`` are not the same answer to a condition)."""
    return one is other or (type(one) is type(other) and one == other)


class _Working(dict[str, Any]):
    """The answers during one walk, with calculated values filled in as they are reached."""

    def put(self, node: Node, instance: int, value: Any) -> None:
        write(self, node, instance, value)

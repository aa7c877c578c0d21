"""Compile an instrument into one ``transitions`` machine and walk it with transient models.

Each question is a state. Event ``next`` leaves a question after it was answered: first the paper's jumps
(per answer), then its unconditional jump, then the next question, with repeat groups looping back to their
first question while instances remain. Event ``skip`` passes over a question whose ``relevant`` condition is
false (or that has no answer yet, when estimating what remains): no jump applies.

One machine serves every conversation: a walk creates a small :class:`_Cursor` model, drives it with
``machine.events[name].trigger(cursor)`` and drops it. Nothing about a person lives in the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData, Machine

from flows.conditions import MISSING, holds
from flows.schema import Instrument, QuestionType
from flows.structure import Layout, Node, build_layout
from flows.values import age_on

END = "__end__"
WALK_CACHE_SIZE = 512
logging.getLogger("transitions.core").setLevel(logging.WARNING)  # a debug line per trigger costs 10 % of a walk
_POSITION = re.compile(r"^(?P<qid>.+?)(?:\[(?P<n>\d+)\])?$")


@dataclass(frozen=True, order=True)
class Position:
    """Where in a form a person is: a question, and the 1-based instance inside a repeat group (0 outside)."""

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
    """Transient model driven by the shared machine during one walk."""

    __slots__ = ("answers", "instance", "layout", "state")

    def __init__(self, state: str, answers: Mapping[str, Any], layout: Layout) -> None:
        self.state = state
        self.instance = 0
        self.answers = answers
        self.layout = layout

    def lookup(self, qid: str) -> Any:
        """A question's answer as seen from here: a sibling in the current repeat instance, or a top-level one."""
        node = self.layout.nodes.get(qid)
        return MISSING if node is None else read(self.answers, node, self.instance if node.group else 0)

    def count(self, group: str) -> int:
        repeat_count = self.layout.nodes[group].question.repeat_count or ""
        value = self.lookup(repeat_count)
        return value if isinstance(value, int) and value > 0 else 0


Condition = Callable[[EventData], bool]
Callback = Callable[[EventData], None]
_Route = tuple[str, list[Condition], list[Callback]]


def _set_instance(value: int | None) -> Callback:
    def apply(ev: EventData) -> None:
        ev.model.instance = ev.model.instance + 1 if value is None else value

    return apply


@dataclass
class Walk:
    """The result of walking a form over some answers."""

    path: list[Position] = field(default_factory=list)
    stop: Position | None = None
    """The first position on the path without an answer; ``None`` when the form is complete."""
    computed: dict[Position, Any] = field(default_factory=dict)

    @property
    def asked(self) -> list[Position]:
        """The path up to and including the stop: what has been asked so far."""
        return self.path if self.stop is None else self.path[: self.path.index(self.stop) + 1]


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
        self._walks: OrderedDict[tuple[str, dt.date], Walk] = OrderedDict()
        self._walks_lock = threading.Lock()

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
        more: Condition = lambda ev: ev.model.instance < ev.model.count(group)
        leave = [(dest, conds, [*after, _set_instance(0)]) for dest, conds, after in self._continuation(group)]
        return [(seq[0], [more], [_set_instance(None)]), *leave]

    def _add_routes(self, qid: str) -> None:
        node = self.layout.nodes[qid]
        q = node.question
        routes: list[_Route] = []
        if node.type is QuestionType.REPEAT:
            entered: Condition = lambda ev: ev.model.count(qid) > 0
            routes.append((self.layout.children[qid][0], [entered], [_set_instance(1)]))
        jump_codes = [c.code for c in node.choices if c.code in (q.jumps or {})]
        for code in jump_codes:
            routes.append(((q.jumps or {})[code], [self._selected(qid, code)], []))
        routes += [(q.jump, [], [])] if q.jump else self._continuation(qid)
        for dest, conditions, after in routes:
            self.machine.add_transition("next", qid, dest, conditions=conditions, after=after)
        for dest, conditions, after in self._continuation(qid):
            self.machine.add_transition("skip", qid, dest, conditions=conditions, after=after)

    @staticmethod
    def _selected(qid: str, code: str) -> Condition:
        def test(ev: EventData) -> bool:
            value = ev.model.lookup(qid)
            return value == code or (isinstance(value, list) and code in value)

        return test

    # -- walking --------------------------------------------------------------------------------------------
    def relevant(self, node: Node, cursor: _Cursor) -> bool:
        return node.question.relevant is None or holds(node.question.relevant, cursor.lookup)

    def walk(self, answers: Mapping[str, Any], today: dt.date) -> Walk:
        """Follow the form over ``answers`` from the first question to the end.

        Unanswered questions are passed over taking no jump, which estimates the remaining path; the first of
        them is the walk's ``stop``, where the person is asked next. A turn of the bot asks about the same
        answers several times (where am I, answer, what next), so recent walks are remembered; callers must
        not modify the returned walk.
        """
        key = (json.dumps(answers, sort_keys=True, default=str), today)
        with self._walks_lock:
            cached = self._walks.get(key)
            if cached is not None:
                self._walks.move_to_end(key)
                return cached
        result = self._walk(answers, today)
        with self._walks_lock:
            self._walks[key] = result
            if len(self._walks) > WALK_CACHE_SIZE:
                self._walks.popitem(last=False)
        return result

    def _walk(self, answers: Mapping[str, Any], today: dt.date) -> Walk:
        result = Walk()
        working = _Working(answers)
        cursor = _Cursor(self.layout.top[0], working, self.layout)
        events = self.machine.events
        for _ in range(10 * len(self.layout.nodes) * (1 + self._max_instances(answers))):
            if cursor.state == END:
                break
            node = self.layout.nodes[cursor.state]
            if not self.relevant(node, cursor):
                events["skip"].trigger(cursor)
                continue
            if node.type is QuestionType.REPEAT:
                events["next"].trigger(cursor)
                continue
            position = Position(node.id, cursor.instance)
            result.path.append(position)
            if node.type is QuestionType.CALCULATE:
                value = self._calculate(node, cursor, today)
                result.computed[position] = value
                working.put(node, cursor.instance, value)
            elif node.type is not QuestionType.NOTE and cursor.lookup(node.id) is MISSING:
                if result.stop is None:
                    result.stop = position
                events["skip"].trigger(cursor)
                continue
            events["next"].trigger(cursor)
        return result

    def _max_instances(self, answers: Mapping[str, Any]) -> int:
        counts = [answers.get(self.layout.nodes[g].question.repeat_count or "", 0) for g in self.layout.children]
        return max([c for c in counts if isinstance(c, int)] + [0])

    def _calculate(self, node: Node, cursor: _Cursor, today: dt.date) -> Any:
        calc = node.question.calculate
        assert calc is not None  # the validator guarantees it
        if calc.age_from:
            born = cursor.lookup(calc.age_from)
            return age_on(dt.date.fromisoformat(born), today) if isinstance(born, str) else None
        part, whole = (cursor.lookup(ref) for ref in calc.percent_of or ())
        if not isinstance(part, (int, float)) or not isinstance(whole, (int, float)) or whole == 0:
            return None
        return round(part / whole * 100, 1)


class _Working(dict[str, Any]):
    """The answers during one walk, with calculated values filled in as they are reached."""

    def put(self, node: Node, instance: int, value: Any) -> None:
        write(self, node, instance, value)

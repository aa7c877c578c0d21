"""The resolved shape of an instrument: questions in order, choice lists resolved, "Lainnya" follow-ups added.

Validation, compilation and export all read this layout instead of walking sections and choice-list names
themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flows.schema import TYPE_FIELD_CLASS, Choice, Condition, FieldClass, Instrument, Question, QuestionType

OTHER_SUFFIX = ".lainnya"
OTHER_LABEL = "Lainnya, sebutkan"


@dataclass(frozen=True)
class Node:
    """One question in its place: resolved choices, the repeat group it belongs to, its section."""

    question: Question
    choices: tuple[Choice, ...]
    group: str | None
    section: str
    index: int
    """Position in the whole form, groups' children included, used to tell earlier from later."""
    id: str = field(init=False, repr=False, compare=False)
    """The question's id (kept on the node: the engine reads it at every step)."""
    type: QuestionType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.question.id)
        object.__setattr__(self, "type", self.question.type)

    def choice(self, code: str) -> Choice | None:
        """The option with this code, if any."""
        return next((c for c in self.choices if c.code == code), None)


@dataclass
class Layout:
    """All nodes of an instrument in asking order."""

    instrument: Instrument
    nodes: dict[str, Node] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)
    """Top-level ids in order; a repeat group appears once, by its own id."""
    children: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    unknown_lists: list[tuple[str, str]] = field(default_factory=list)

    def sequence(self, group: str | None) -> list[str]:
        """The ordered ids of one scope: the top level (``None``) or a repeat group's children."""
        return self.top if group is None else self.children[group]

    @cached_property
    def field_classes(self) -> dict[str, FieldClass]:
        """Question id → field class: as declared, else by type; a "Lainnya" follow-up and a repeat group's
        questions take their parent's class when they have none of their own."""
        declared = {qid: fc for fc, qids in self.instrument.field_classes.items() for qid in qids}
        found: dict[str, FieldClass] = {}
        for qid, node in self.nodes.items():
            parent = qid.removesuffix(OTHER_SUFFIX) if qid.endswith(OTHER_SUFFIX) else node.group
            fc = declared.get(qid) or TYPE_FIELD_CLASS.get(node.type) or (found.get(parent) if parent else None)
            if fc is not None:
                found[qid] = fc
        return found


def _other_followup(parent: Question, choice: Choice) -> Question:
    op = "has" if parent.type is QuestionType.SELECT_MULTIPLE else "is"
    condition = Condition.model_validate({"q": parent.id, op: choice.code})
    return Question(id=parent.id + OTHER_SUFFIX, type=QuestionType.TEXT, label=OTHER_LABEL, relevant=condition)


def build_layout(instrument: Instrument) -> Layout:
    """Resolve an instrument into its layout; records duplicate ids and unknown lists for the validator."""
    layout = Layout(instrument)

    def resolve(q: Question) -> tuple[Choice, ...]:
        if isinstance(q.choices, str):
            if q.choices not in instrument.choice_lists:
                layout.unknown_lists.append((q.id, q.choices))
                return ()
            return tuple(instrument.choice_lists[q.choices])
        return tuple(q.choices or ())

    def add(q: Question, group: str | None, section: str) -> None:
        if q.id in layout.nodes:
            layout.duplicates.append(q.id)
            return
        choices = resolve(q)
        layout.nodes[q.id] = Node(q, choices, group, section, len(layout.nodes))
        layout.sequence(group).append(q.id)
        if q.type is QuestionType.REPEAT:
            layout.children[q.id] = []
            for child in q.questions or []:
                add(child, q.id, section)
        for choice in choices:
            if choice.other:
                add(_other_followup(q, choice), group, section)

    for section in instrument.sections:
        for question in section.questions:
            add(question, None, section.id)
    return layout

"""An instrument's skip logic as a Mermaid flowchart, drawn from the compiled machine's own transitions."""

from __future__ import annotations

import re

from flows.compiler import END, CompiledInstrument
from flows.schema import QuestionType

_SHAPES = {QuestionType.REPEAT: ("[[", "]]"), QuestionType.NOTE: ("[/", "/]"), QuestionType.CALCULATE: ("{{", "}}")}


def _node_id(qid: str) -> str:
    return "n_" + re.sub(r"\W", "_", qid)


def _quote(text: str, limit: int = 48) -> str:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace('"', "'")


def mermaid(compiled: CompiledInstrument) -> str:
    """``flowchart TD``: solid arrows are the ``next`` routes (labelled by the answer that takes a jump),
    dotted arrows the ``skip`` route taken when a question's condition is false."""
    layout = compiled.layout
    lines = ["flowchart TD", f'  {_node_id(END)}(["selesai"])']
    for node in layout.nodes.values():
        opening, closing = _SHAPES.get(node.type, ("[", "]"))
        condition = " ❓" if node.question.relevant else ""
        lines.append(f'  {_node_id(node.id)}{opening}"{node.id} · {_quote(node.question.label)}{condition}"{closing}')
    for qid, node in layout.nodes.items():
        jumps = {target: code for code, target in (node.question.jumps or {}).items()}
        drawn: set[str] = set()
        for transition in compiled.machine.events["next"].transitions[qid]:
            dest = transition.dest
            if dest is None or dest in drawn:  # None: an internal transition (the form has none)
                continue
            drawn.add(dest)
            codes = [c for c, t in (node.question.jumps or {}).items() if t == dest]
            label = ", ".join(_quote(choice.label if (choice := node.choice(c)) else c, 20) for c in codes) if dest in jumps else ""
            arrow = f' -->|"{label}"| ' if label else " --> "
            lines.append(f"  {_node_id(qid)}{arrow}{_node_id(dest)}")
        if node.question.relevant is not None:
            for transition in compiled.machine.events["skip"].transitions[qid]:
                if transition.dest is not None and transition.dest not in drawn:
                    lines.append(f"  {_node_id(qid)} -.-> {_node_id(transition.dest)}")
    return "\n".join(lines) + "\n"

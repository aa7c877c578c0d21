"""An instrument as XLSForm sheets, so a district can load the same form into ODK Collect or KoboToolbox.

XLSForm has no jumps, so each of the paper's jumps becomes a ``relevant`` condition on the questions it passes
over. Names are the question ids made XML-safe (``1.7.kecamatan`` → ``q1_7_kecamatan``). This module only
builds rows; writing the ``.xlsx`` file is the command line's job.
"""

from __future__ import annotations

import re
from collections import defaultdict

from flows.compiler import CompiledInstrument
from flows.schema import Condition, Constraint, QuestionType
from flows.structure import Node

SURVEY_COLUMNS = [
    "type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message",
    "calculation", "repeat_count",
]
_TYPES = {
    QuestionType.TEXT: "text", QuestionType.INTEGER: "integer", QuestionType.DECIMAL: "decimal",
    QuestionType.DATE: "date", QuestionType.NIK: "text", QuestionType.NISN: "text", QuestionType.PHONE: "text",
    QuestionType.PHOTO: "image", QuestionType.LOCATION: "geopoint", QuestionType.NOTE: "note",
    QuestionType.CALCULATE: "calculate",
}
_FORMAT = {QuestionType.NIK: r"^\d{16}$", QuestionType.NISN: r"^\d{10}$", QuestionType.PHONE: r"^(\+62|62|0)8\d{7,12}$"}
_AGE = "int((today() - {date}) div 365.25)"


def xml_name(qid: str) -> str:
    """An XLSForm name for a question id."""
    return "q" + re.sub(r"[^0-9A-Za-z_]", "_", qid)


def _ref(qid: str) -> str:
    return "${" + xml_name(qid) + "}"


def xpath(cond: Condition) -> str:
    """A condition as an XPath expression."""
    if cond.all is not None:
        return "(" + " and ".join(xpath(c) for c in cond.all) + ")"
    if cond.any is not None:
        return "(" + " or ".join(xpath(c) for c in cond.any) + ")"
    if cond.not_ is not None:
        return f"not({xpath(cond.not_)})"
    ref = _ref(cond.q or "")
    if cond.is_ is not None:
        return f"{ref} = '{cond.is_}'"
    if cond.in_ is not None:
        return "(" + " or ".join(f"{ref} = '{c}'" for c in cond.in_) + ")"
    if cond.has is not None:
        return f"selected({ref}, '{cond.has}')"
    if cond.has_any is not None:
        return "(" + " or ".join(f"selected({ref}, '{c}')" for c in cond.has_any) + ")"
    if cond.answered is not None:
        return f"{ref} != ''" if cond.answered else f"{ref} = ''"
    ops = ((cond.gte, ">="), (cond.lte, "<="), (cond.gt, ">"), (cond.lt, "<"))
    return " and ".join(f"{ref} {op} {bound:g}" for bound, op in ops if bound is not None)


def _constraint(node: Node) -> tuple[str, str]:
    parts: list[str] = []
    c: Constraint | None = node.question.constraint
    if node.type in _FORMAT:
        parts.append(f"regex(., '{_FORMAT[node.type]}')")
    if c is not None:
        if c.min is not None:
            parts.append(f". >= {c.min:g}")
        if c.max is not None:
            parts.append(f". <= {c.max:g}")
        if c.min_length is not None:
            parts.append(f"string-length(.) >= {c.min_length}")
        if c.max_length is not None:
            parts.append(f"string-length(.) <= {c.max_length}")
        if c.pattern is not None:
            parts.append(f"regex(., '^{c.pattern}$')")
        if c.not_future:
            parts.append(". <= today()")
        if c.age_min is not None:
            parts.append(_AGE.format(date=".") + f" >= {c.age_min}")
        if c.age_max is not None:
            parts.append(_AGE.format(date=".") + f" <= {c.age_max}")
    for choice in node.choices:
        if node.type is QuestionType.SELECT_MULTIPLE and choice.exclusive:
            parts.append(f"not(selected(., '{choice.code}') and count-selected(.) > 1)")
    return " and ".join(parts), (c.message if c and c.message else "")


def _calculation(node: Node) -> str:
    calc = node.question.calculate
    if calc is None:
        return ""
    if calc.age_from:
        return _AGE.format(date=_ref(calc.age_from))
    part, whole = (_ref(q) for q in calc.percent_of or ())
    return f"if({whole} > 0, round({part} div {whole} * 100, 1), '')"


def _jump_conditions(compiled: CompiledInstrument) -> dict[str, list[str]]:
    """For each question, the XPath conditions under which a jump passes over it."""
    layout = compiled.layout
    skipped: dict[str, list[str]] = defaultdict(list)
    for node in layout.nodes.values():
        q = node.question
        seq = layout.sequence(node.group)
        start = seq.index(node.id)
        targets = [(f"{_ref(node.id)} = '{code}'" if node.type is QuestionType.SELECT_ONE else f"selected({_ref(node.id)}, '{code}')", t)
                   for code, t in (q.jumps or {}).items()]
        if q.jump:
            targets.append((f"{_ref(node.id)} != ''", q.jump))
        for test, target in targets:
            for passed in seq[start + 1 : seq.index(target)]:
                skipped[passed].append(test)
    return skipped


def xlsform_sheets(compiled: CompiledInstrument) -> dict[str, list[list[str]]]:
    """The ``survey``, ``choices`` and ``settings`` sheets, each a header row followed by data rows."""
    layout = compiled.layout
    survey: list[list[str]] = [SURVEY_COLUMNS]
    choices: list[list[str]] = [["list_name", "name", "label"]]
    skipped = _jump_conditions(compiled)
    for node in layout.nodes.values():
        if node.group is not None:
            continue
        survey += _rows(node, skipped, choices)
        if node.type is QuestionType.REPEAT:
            for child in layout.children[node.id]:
                survey += _rows(layout.nodes[child], skipped, choices)
            survey.append(["end_repeat", xml_name(node.id)] + [""] * (len(SURVEY_COLUMNS) - 2))
    inst = compiled.instrument
    settings = [["form_title", "form_id", "version"], [inst.title, inst.name.replace("-", "_"), str(inst.version)]]
    return {"survey": survey, "choices": choices, "settings": settings}


def _rows(node: Node, skipped: dict[str, list[str]], choices: list[list[str]]) -> list[list[str]]:
    q = node.question
    conditions = [xpath(q.relevant)] if q.relevant else []
    conditions += [f"not({test})" for test in skipped.get(node.id, [])]
    relevant = " and ".join(conditions)
    if node.type is QuestionType.REPEAT:
        count = _ref(q.repeat_count or "")
        return [["begin_repeat", xml_name(q.id), q.label, q.hint or "", "", relevant, "", "", "", count]]
    kind = _TYPES.get(node.type, "")
    if node.type in (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE):
        list_name = xml_name(q.id)
        kind = f"{node.type.value} {list_name}"
        choices += [[list_name, c.code, c.label] for c in node.choices]
    constraint, message = _constraint(node)
    required = "yes" if q.required and node.type not in (QuestionType.NOTE, QuestionType.CALCULATE) else ""
    return [[kind, xml_name(q.id), q.label, q.hint or "", required, relevant, constraint, message, _calculation(node), ""]]

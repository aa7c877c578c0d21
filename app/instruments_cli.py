"""``ats-bot instruments list|show|diagram|export``: the questionnaires as data (``walk``: app.instruments_walk;
``chat``: app.terminal_chat)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from flows.compiler import END
from flows.diagram import mermaid
from flows.loader import instrument_names
from flows.registry import engine
from flows.schema import QuestionType
from flows.xlsform import xlsform_sheets


def cmd_list(args: argparse.Namespace) -> int:
    for name in instrument_names():
        inst = engine(name).compiled.instrument
        count = sum(1 for n in engine(name).layout.nodes.values() if n.type is not QuestionType.REPEAT)
        print(f"{name:<18} v{inst.version}  {count:>3} items  {inst.source} — {inst.title}")
    return 0


def describe(name: str) -> dict[str, Any]:
    """The compiled instrument as plain data, for ``show --json`` and for tools."""
    compiled = engine(name).compiled
    inst = compiled.instrument
    questions = []
    for node in compiled.layout.nodes.values():
        q = node.question
        compiled_to = {t.dest for t in compiled.machine.events["next"].transitions.get(q.id, [])}
        routes = [  # one per answer code, as the machine has it (two codes may lead to the same question)
            {"to": target if target != END else None, "when": code}
            for code, target in (q.jumps or {}).items() if target in compiled_to
        ]
        questions.append({
            "id": q.id,
            "type": q.type.value,
            "label": q.label,
            "section": node.section,
            "group": node.group,
            "required": q.required,
            "choices": [{"code": c.code, "label": c.label, **({"other": True} if c.other else {}), **({"exclusive": True} if c.exclusive else {})} for c in node.choices],
            "jumps": routes,
            "jump": q.jump,
            "relevant": q.relevant.model_dump(by_alias=True, exclude_none=True) if q.relevant else None,
            "constraint": q.constraint.model_dump(exclude_none=True) if q.constraint else None,
            "calculate": q.calculate.model_dump(exclude_none=True) if q.calculate else None,
            "repeat_count": q.repeat_count,
        })
    return {"name": inst.name, "version": inst.version, "title": inst.title, "source": inst.source, "respondent": inst.respondent, "questions": questions}


def cmd_show(args: argparse.Namespace) -> int:
    data = describe(args.name)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"{data['title']} ({data['source']}), version {data['version']}")
    for q in data["questions"]:
        indent = "    " if q["group"] else "  "
        print(f"{indent}{q['id']:<16} {q['type']:<16} {q['label']}")
        for c in q["choices"]:
            print(f"{indent}    {c['code']:>9}. {c['label']}")
    return 0


def cmd_diagram(args: argparse.Namespace) -> int:
    print(mermaid(engine(args.name).compiled), end="")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from openpyxl import Workbook  # only the export needs it

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # a new workbook has one empty sheet
    for title, rows in xlsform_sheets(engine(args.name).compiled).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    args.file.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(args.file)
    print(f"wrote {args.file}", file=sys.stderr)
    return 0

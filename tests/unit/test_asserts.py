"""The bot runs as ``python -OO``, which drops every ``assert`` (``app.cli.run_optimised``): in the product an
assert may only tell the type checker what is known (``x is not None``, ``isinstance``), never check data or run
a statement. What must hold at run time raises (``bot.store.DraftClosed``, ``storage.schema_state.head_revision``)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.unit import sources

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app", "bot", "cases", "core", "flows", "reminders", "reports", "storage", "web")


def narrows_only(test: ast.expr) -> bool:
    """``test`` is ``x is (not) None``, ``isinstance(x, T)``, or ``not`` / ``and`` of those, on names and attributes."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return all(narrows_only(value) for value in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return narrows_only(test.operand)
    if isinstance(test, ast.Compare):
        return (len(test.ops) == 1 and isinstance(test.ops[0], ast.Is | ast.IsNot)
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None and no_call(test.left))
    return (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
            and all(no_call(arg) for arg in test.args))


def no_call(expr: ast.expr) -> bool:
    return not any(isinstance(node, ast.Call) for node in ast.walk(expr))


def test_product_asserts_only_narrow_types() -> None:
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: assert {ast.unparse(node.test)}"
             for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))
             for node in sources.nodes(path) if isinstance(node, ast.Assert) and not narrows_only(node.test)]
    assert found == [], "python -OO drops these checks; raise instead:\n" + "\n".join(found)


def test_the_rule_catches_a_check_and_a_statement() -> None:
    def check(code: str) -> bool:
        statement = ast.parse(code).body[0]
        assert isinstance(statement, ast.Assert)
        return narrows_only(statement.test)

    assert check("assert a.b is not None and isinstance(c, D)") and check("assert not isinstance(p, Complete)")
    assert not check("assert len(heads) == 1") and not check("assert connection.execute(q).rowcount == 1")
    assert not check("assert run(x) is not None") and not check("assert saved")

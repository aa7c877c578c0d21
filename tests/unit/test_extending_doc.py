"""docs/extending.md: the tables, functions and files it names exist and do what it says."""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import fields
from pathlib import Path

from bot import registry
from bot.app import command_menu
from bot.turn import Submitted
from core.authz import FORMS_BY_ROLE
from core.i18n import LANGUAGES, translator
from flows.loader import instrument_names
from tests.unit import sources

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")


def test_the_command_table_feeds_the_command_menu_in_every_language() -> None:
    for language in LANGUAGES:
        t = translator(language)
        menu = [(c.command, c.description) for c in command_menu(language)]
        assert menu == [(name, t(command.description)) for name, command in registry.COMMANDS.items()]
    assert "set_my_commands(command_menu(" in (ROOT / "bot" / "app.py").read_text(encoding="utf-8")


def test_the_dispatcher_finds_handlers_only_through_the_registries() -> None:
    source = (ROOT / "bot" / "conversation.py").read_text(encoding="utf-8")
    for table in ("COMMANDS", "MENUS", "TEXT_MENUS", "DOCUMENT_MENUS", "NOTICES", "AFTER_SUBMIT"):
        assert f"`{table}" in DOC or f"{table}[" in DOC, table
        assert table in source, table
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "getattr(self, f" not in text and '"after_" +' not in text, path


def test_handler_modules_import_the_registry_and_the_dispatcher_never() -> None:
    for path in (ROOT / "bot" / "handlers").glob("*.py"):
        tree = sources.nodes(path)
        imported = {n.module for n in tree if isinstance(n, ast.ImportFrom)} | {
            a.name for n in tree if isinstance(n, ast.Import) for a in n.names}
        assert not imported & {"bot.registry", "bot.conversation"}, path


def test_a_command_entry_names_handler_description_roles_and_action() -> None:
    assert [f.name for f in fields(registry.Command)] == ["handler", "description", "roles", "action"]
    assert list(inspect.signature(registry.COMMANDS["help"].handler).parameters) == ["turn", "_"]


def test_the_instrument_steps_hold() -> None:
    yaml_files = {p.stem for p in (ROOT / "flows" / "instruments").glob("*.yaml")}
    assert set(instrument_names()) == yaml_files, "instruments are found by their file names"
    assert "FORMS_BY_ROLE" in DOC and set().union(*FORMS_BY_ROLE.values()) <= yaml_files
    assert [f.name for f in fields(Submitted)] == ["instrument", "result", "case_id", "answers"]
    assert set(registry.AFTER_SUBMIT) <= yaml_files
    for name in yaml_files:
        assert (ROOT / "tests" / "fixtures" / "paths" / name).is_dir(), name


def test_the_scenario_tables_it_names_exist() -> None:
    source = (ROOT / "tests" / "bot" / "test_registries.py").read_text(encoding="utf-8")
    for table in re.findall(r"`([A-Z_]+_SCENARIOS)`", DOC):
        assert f"{table}: dict[" in source, table


def test_the_report_and_cli_pointers_exist() -> None:
    from reports.export import export_region
    from reports.recap import build_recap

    assert callable(build_recap) and callable(export_region)
    assert "Adding a command" in ((ROOT / "app" / "commands" / "__init__.py").read_text(encoding="utf-8"))
    instruments_cli = (ROOT / "app" / "commands" / "instruments.py").read_text(encoding="utf-8")
    assert '"show"' in instruments_cli and '"walk"' in instruments_cli


def test_the_bot_modules_import_each_other_one_way_only() -> None:
    """No import circle among the bot's modules (the turn, its handlers, the registry, the dispatcher)."""
    imports: dict[str, set[str]] = {}
    for path in (ROOT / "bot").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found = set()
        for node in sources.nodes(path):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                found.add(node.module)
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
        imports[module] = found
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " → ".join((*path, module))
        if module in done:
            return
        for imported in imports[module] & imports.keys():
            visit(imported, (*path, module))
        done.add(module)

    for module in imports:
        visit(module, ())
    assert {"bot.turn", "bot.registry", "bot.conversation", "bot.handlers.asking"} <= done


def test_handlers_work_in_the_turns_unit_of_work() -> None:
    assert "turn.uow" in DOC and "after_commit" in DOC
    services = re.compile(r"\b(?:service|checks|acceptance|C)\.\w+\((?!turn\.uow\b)")
    for path in (ROOT / "bot" / "handlers").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "unit_of_work(" not in text and "Database.from_url" not in text, path  # no transaction of their own
        calls = [m.group(0) for m in services.finditer(text)]
        assert not [c for c in calls if not c.startswith(("C.side_by_side", "service.Case"))], (path, calls)


def test_handlers_open_no_transaction_blocks_of_their_own() -> None:
    """A handler works in the turn's unit of work (``turn.uow``): it never opens a ``db.write()`` or ``db.read()``
    block, nor a unit of work, of its own (``tests/bot/test_transactions.py`` counts the transactions)."""
    assert "turn.uow" in DOC and "never opens a transaction of its own" in " ".join(DOC.split())
    for path in [*(ROOT / "bot" / "handlers").glob("*.py"), ROOT / "bot" / "turn.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.With):
                for item in node.items:
                    call = item.context_expr
                    name = call.func.attr if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) else (
                        call.func.id if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) else "")
                    assert name not in {"write", "read", "unit_of_work", "reading"}, f"{path.name}:{node.lineno}"

"""``ats-bot instruments``: list, show --json, diagram, XLSForm export (checked by pyxform) and the terminal chat."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from app.cli import main
from app.terminal_chat import run_chat
from core.i18n import translator
from flows.loader import instrument_names
from flows.registry import engine
from flows.xlsform import xml_name
from tests.conftest import TODAY

DOCS = Path(__file__).parent.parent.parent / "docs" / "diagrams"


def run_cli(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, check=True).stdout


def test_list_names_every_instrument() -> None:
    out = run_cli("instruments", "list")
    for name in ["pendataan", "rekonfirmasi", "monitoring", "kesediaan", "pemilihan-sekolah", "pendampingan", "rumah-tangga", "indikator-risiko"]:
        assert re.search(rf"^{name}\s+v1", out, re.MULTILINE), name


def test_show_json_gives_ids_types_labels_choices_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    main(["instruments", "show", "pendataan", "--json"])
    data = json.loads(capsys.readouterr().out)
    q = {item["id"]: item for item in data["questions"]}
    assert q["1.4"]["type"] == "select_one" and q["1.4"]["label"].lower() == "jenis kelamin"
    assert [c["code"] for c in q["1.4"]["choices"]] == ["1", "2"]
    assert any(j["when"] == "2" for j in q["4.1"]["jumps"])
    assert q["1.6"]["constraint"]["age_min"] == 7


@pytest.mark.parametrize("name", instrument_names())
def test_xlsform_export_converts_with_pyxform(name: str, tmp_path: Path) -> None:
    target = tmp_path / f"{name}.xlsx"
    assert main(["instruments", "export", name, "--format", "xlsform", str(target)]) == 0
    warnings: list[str] = []
    result = convert(xlsform=str(target), warnings=warnings)
    assert "<h:html" in result.xform
    missing = [n.id for n in engine(name).layout.nodes.values() if f'/{xml_name(n.id)}"' not in result.xform]
    assert not missing, f"questions absent from the XForm: {missing}"


@pytest.mark.parametrize("name", instrument_names())
def test_diagram_is_mermaid_and_the_docs_are_current(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["instruments", "diagram", name]) == 0
    text = capsys.readouterr().out
    assert text.startswith("flowchart TD")
    documented = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    assert text in documented, f"docs/diagrams/{name}.md is stale: run scripts/make_diagrams.py"


def test_terminal_chat_fills_a_form_with_back_skip_and_warnings() -> None:
    script = "Rina\n1\n3326014503120001\n<\n3326014503120001\n2\n1\nn\n2\nq" + "\n"
    out = io.StringIO()
    code = run_chat(engine("pendataan"), translator("en"), io.StringIO(script), out, TODAY)
    text = out.getvalue()
    assert code == 1
    assert "⚠ The NIK belongs to a girl" in text
    assert "✓ Saved: Female" in text  # the English catalog translates the label
    assert "Stopped. Nothing was stored." in text

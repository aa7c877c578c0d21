"""The gates of ``scripts/test.sh`` (which CI runs): ruff and mypy stop the run, strict where pyproject.toml says."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
GLOBAL = {"warn_unused_ignores", "warn_redundant_casts", "warn_unused_configs"}
"""Flags of ``--strict`` the project sets for every module."""


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], check=False, cwd=ROOT, capture_output=True, text=True)


def _strict_override() -> dict[str, object]:
    strict = [o for o in PYPROJECT["tool"]["mypy"]["overrides"] if o.get("disallow_untyped_defs")]
    assert len(strict) == 1
    return strict[0]


def test_the_script_runs_both_gates_before_the_tests_and_stops_on_failure() -> None:
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "set -euo pipefail" in lines
    ruff, mypy = lines.index(".venv/bin/ruff check ."), lines.index(".venv/bin/mypy")
    tests = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert ruff < tests and mypy < tests
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("bash scripts/test.sh")


def test_mypy_checks_every_package_and_the_tests() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages | {"scripts", "benchmarks"} <= set(PYPROJECT["tool"]["mypy"]["files"])


def test_the_strict_modules_get_every_flag_of_mypy_strict() -> None:
    help_text = " ".join(_mypy("--help").stdout.split()).replace("- ", "-")  # undo the help's line breaks
    listed = help_text.partition("enables the following flags:")[2].partition("--disable-error-code")[0]
    flags = {f.replace("-", "_") for f in re.findall(r"--([a-z-]+)", listed)}
    assert "disallow_untyped_defs" in flags
    override = _strict_override()
    assert flags - GLOBAL == {k for k, v in override.items() if v is True}
    assert all(PYPROJECT["tool"]["mypy"][f] is True for f in GLOBAL)
    modules = override["module"]
    assert isinstance(modules, list)
    assert {"flows.*", "storage.*", "cases.lifecycle", "reminders.rules", "bot.turn", "bot.handlers.*"} <= set(modules)


def test_an_untyped_function_fails_in_a_strict_module_and_passes_elsewhere(tmp_path: Path) -> None:
    untyped = tmp_path / "untyped.py"
    untyped.write_text("def double(x):\n    return x * 2\n", encoding="utf-8")
    done = _mypy("--cache-dir", str(tmp_path / "cache"), "--shadow-file", "flows/messages.py", str(untyped),
                 "--shadow-file", "core/languages.py", str(untyped), "flows/messages.py", "core/languages.py")
    assert done.returncode == 1
    assert re.findall(r"^(\S+?):\d+: error:.*\[(\S+)\]$", done.stdout, re.MULTILINE) == [("flows/messages.py", "no-untyped-def")]

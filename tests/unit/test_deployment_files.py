"""The Docker image and compose file cannot be built here (no Docker engine), so what can be checked is."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_copies_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\S+) \1$", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE))
    assert packages <= copied, f"Dockerfile misses {sorted(packages - copied)}"
    assert {"locales", "scripts"} <= copied  # catalogs and the shared scripts ship too


def test_compose_runs_the_bot_on_postgresql_after_the_database_is_healthy() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy" and "healthcheck" in db
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "ats-bot db upgrade" in dockerfile and "HEALTHCHECK" in dockerfile and "/health" in dockerfile


def test_compose_serves_the_dashboard_after_the_bot_migrated() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    web = compose["services"]["web"]
    assert web["command"] == ["ats-bot", "web"] and web["build"] == compose["services"]["bot"]["build"]
    assert web["environment"]["WEB_HOST"] == "0.0.0.0" and web["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert f"{web['environment']['WEB_PORT']}:{web['environment']['WEB_PORT']}" in web["ports"]
    assert web["depends_on"]["bot"]["condition"] == "service_healthy"
    assert "/health" in " ".join(web["healthcheck"]["test"]) and str(web["environment"]["WEB_PORT"]) in " ".join(web["healthcheck"]["test"])


def test_installations_hold_the_bytecode_the_optimised_bot_runs() -> None:
    """The bot runs as ``python -OO`` (app.cli.run_optimised); the image's user cannot write ``__pycache__``, so the
    image compiles that bytecode as root while it builds, and ``install.sh`` for a virtual environment, for every
    package the project installs."""
    script = (ROOT / "scripts" / "compile_bytecode.sh").read_text(encoding="utf-8")
    assert re.search(r"compileall .*-o 2", script)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert set(re.search(r"^dirs=\((.*)\)$", script, re.MULTILINE).group(1).split()) == packages  # type: ignore[union-attr]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^RUN pip install .* && bash scripts/compile_bytecode.sh python", dockerfile, re.MULTILINE)
    assert dockerfile.index("compile_bytecode.sh") < dockerfile.index("USER ats")
    assert "bash scripts/compile_bytecode.sh" in (ROOT / "scripts" / "install.sh").read_text(encoding="utf-8")

"""``ats-bot web link`` prints a working sign-in link; the dashboard's assets ship in the package (no CDN),
Leaflet vendored with its licence; ``/health`` answers for the compose health check."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from app import web_cli
from app.cli import main
from storage.models import AuditLog
from tests.web.conftest import DESA_TEAM_A1, Dashboard, sign_in

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_web_link_prints_a_link_that_signs_in(dashboard: Dashboard, client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(web_cli, "_database", lambda: dashboard.db)
    assert main(["web", "link", "--telegram-id", str(DESA_TEAM_A1)]) == 0
    link = capsys.readouterr().out.strip()
    assert re.fullmatch(r"https?://\S+/masuk/[\w-]{40,}", link)
    sign_in(client, link)
    assert client.get("/ringkasan").status_code == 200
    with dashboard.db.read() as session:
        issued = session.scalars(select(AuditLog).where(AuditLog.action == "web.link").order_by(AuditLog.id.desc())).first()
    assert issued is not None and issued.actor_id is None and issued.detail["via"] == "cli" and issued.detail["os_user"]
    assert main(["web", "link", "--telegram-id", "2004"]) == 1  # a data collector has no dashboard
    assert "no dashboard" in capsys.readouterr().err
    assert main(["web", "link", "--telegram-id", "777"]) == 1
    assert "has used the bot" in capsys.readouterr().err


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_every_asset_ships_in_the_package_and_nothing_comes_from_a_cdn() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["web"]
    files = [p for p in (WEB / "static").rglob("*") if p.is_file()] + list((WEB / "templates").glob("*.html"))
    for path in files:
        relative = path.relative_to(WEB)
        assert any(relative.match(pattern) for pattern in patterns), f"{relative} is not package data"
    assert (WEB / "static" / "leaflet" / "LICENSE").read_text(encoding="utf-8").startswith("BSD 2-Clause License")
    assert "1.9.4" in (WEB / "static" / "leaflet" / "VERSION").read_text(encoding="utf-8")
    assert "Leaflet 1.9.4" in (WEB / "static" / "leaflet" / "leaflet.js").read_text(encoding="utf-8")[:300]
    for path in list((WEB / "templates").glob("*.html")) + [WEB / "static" / "map.js", WEB / "static" / "dashboard.css"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), f"{path.name} loads something from another host"


def test_ats_bot_web_serves_and_prints_its_url(tmp_path: Path) -> None:
    """The real command in its own process: it prints WEB_BASE_URL and answers /health (what compose checks)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from storage.schema_state import upgrade

    url = f"sqlite:///{tmp_path / 'ats.db'}"
    upgrade(url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "WEB_PORT": str(port), "WEB_BASE_URL": f"https://ats.example.go.id/dasbor-{port}",
           "DATA_KEY": "test-data-key"}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "web"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        assert f"https://ats.example.go.id/dasbor-{port}" in first, first + (process.stderr.read() if process.poll() is not None else "")
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the dashboard did not answer /health")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_start_sh_starts_the_dashboard_beside_the_bot() -> None:
    script = (ROOT / "scripts" / "start.sh").read_text(encoding="utf-8")
    web, bot = script.index("ats-bot web &"), script.index("ats-bot run")
    assert web < bot and "trap" in script  # the dashboard (which prints its URL) first; stopped with the bot

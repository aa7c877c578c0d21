"""The dashboard runs on the product's clock: ``SIMULATED_DATE`` (or ``--today``) moves it for the dashboard, its
sign-in links from the chat and from ``ats-bot web link`` alike, and "today" is the district's own day (WIB, WITA
or WIT)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from starlette.testclient import TestClient

from app import web_cli
from app.cli import main
from bot.handlers import dashboard as bot_dashboard
from core.clock import shifted_clock
from tests.reports.conftest import Seed
from tests.web.conftest import DESA_TEAM_A1, Dashboard, sign_in
from web.app import Web, create_app


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_shifted_clocks_started_apart_agree_and_read_the_date() -> None:
    now = [dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)]
    first = shifted_clock(dt.date(2027, 3, 1), real=lambda: now[0])
    now[0] += dt.timedelta(minutes=7)  # a second process started later
    second = shifted_clock(dt.date(2027, 3, 1), real=lambda: now[0])
    assert first() == second() == dt.datetime(2027, 3, 1, 8, 7, tzinfo=dt.UTC)
    assert shifted_clock(None, real=lambda: now[0])() == now[0]


def test_today_is_the_districts_own_day(dashboard: Dashboard) -> None:
    web = Web(dashboard.db, dashboard.settings, lambda: dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC))
    assert web.today("33.26") == dt.date(2025, 12, 31)  # 23:30 WIB
    assert web.today("73.71.01.1001") == dt.date(2026, 1, 1)  # 00:30 WITA in Makassar
    assert web.today("") == dt.date(2025, 12, 31)  # national: WIB


def test_a_simulated_date_holds_for_the_chats_link_the_operators_link_and_the_dashboard(
        dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    later = dt.date.today() + dt.timedelta(days=40)  # a real-clock link would have expired 40 days before
    settings = dashboard.settings.model_copy(update={"simulated_date": later})
    monkeypatch.setattr(bot_dashboard, "get_settings", lambda: settings)
    monkeypatch.setattr(web_cli, "get_settings", lambda: settings)
    monkeypatch.setattr(web_cli, "_database", lambda: dashboard.db)
    assert main(["web", "link", "--telegram-id", str(DESA_TEAM_A1)]) == 0
    links = [dashboard.link_for(DESA_TEAM_A1), capsys.readouterr().out.strip()]
    for link in links:
        with TestClient(create_app(dashboard.db, settings), base_url="http://127.0.0.1:8000") as client:
            sign_in(client, link)
            page = client.get("/ringkasan")
            assert page.status_code == 200
            assert str(later.year) in page.text


def villages_of(page: str) -> list[dict[str, object]]:
    found = re.search(r'id="map-villages">(.*?)</script>', page, re.DOTALL)
    assert found, page[:500]
    villages: list[dict[str, object]] = json.loads(found.group(1))
    return villages


def test_a_desa_is_placed_at_the_mean_of_its_childrens_homes_once_three_are_located(dashboard: Dashboard, seed: Seed) -> None:
    from tests.reports.conftest import DESA_A1, DESA_B1

    child, case_id = seed.case("Eka Putri", DESA_B1, sex="P")  # one located child in Lambanggelun: never placed
    seed.response("rekonfirmasi", {"B.2": "Eka Putri", "D.8": {"latitude": -7.3, "longitude": 109.5}}, case_id=case_id, child_id=child)
    with TestClient(create_app(dashboard.db, dashboard.settings, dashboard.clock), base_url="http://127.0.0.1:8000") as client:
        sign_in(client, dashboard.link_for(2001))  # the kabupaten team
        assert villages_of(client.get("/peta").text) == []
        child, case_id = seed.case("Fajar", DESA_A1, sex="L")  # Klesem's third located child (Ayu and Budi are)
        seed.response("rekonfirmasi", {"B.2": "Fajar", "D.8": {"latitude": -7.1766, "longitude": 109.6388}}, case_id=case_id, child_id=child)
        page = client.get("/peta").text
    villages = villages_of(page)
    assert [(v["code"], v["name"], v["lat"], v["lon"], v["total"]) for v in villages] == [
        (DESA_A1, "Klesem", round((-7.1234 - 7.15 - 7.1766) / 3, 4), round((109.6012 + 109.62 + 109.6388) / 3, 4), 3)]
    assert 'class="village"' in page and "Klesem" in page

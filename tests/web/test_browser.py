"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven by Playwright): signing in with the
link ``/dasbor`` sends in the chat, the overview equal to ``/rekap``, drilling down to a desa, a case, an export,
a target edited; another desa's case refused and audited; an expired link refused. Every page is saved as a
screenshot under ``test-artifacts/web/`` (not committed)."""

from __future__ import annotations

import datetime as dt
import io
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from openpyxl import load_workbook
from sqlalchemy import select

from core.i18n import translator
from reports import messages as RM
from reports.recap import recap_data
from storage.models import AuditLog, RegionTarget
from tests.reports.turns import Chat
from tests.web.conftest import DESA_TEAM_B1, KABUPATEN, TODAY, Dashboard
from web.app import create_app

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="!!! BROWSER NOT TESTED: apt-get install chromium (scripts/test.sh does) !!!"),
]


@pytest.fixture
def backend() -> str:
    """The browser tests run on SQLite (the HTTP tests cover both backends)."""
    return "sqlite"


@pytest.fixture
def server(dashboard: Dashboard) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(dashboard.db, dashboard.settings, dashboard.clock)
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


def local(link: str, base: str) -> str:
    """The chat's link, pointed at this test's server (the token is what signs in)."""
    return base + "/" + link.split("/", 3)[3]


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def test_a_kabupaten_officer_works_through_the_dashboard(dashboard: Dashboard, server: str, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(local(dashboard.link_for(2001), server))
    shot(page, "01-sign-in")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/ringkasan")
    shot(page, "02-overview-kabupaten")

    # The overview's numbers are /rekap's.
    data = recap_data(dashboard.db, KABUPATEN, TODAY)
    total = number(page.locator('[data-kpi="total"]').inner_text())
    assert total == data.total
    boys, girls = (number(x) for x in re.findall(r"\d[\d.]*", page.locator(".kpi").first.locator(".kpi-sub").inner_text()))
    rekap = "\n".join(reply.text for reply in Chat(dashboard.db, 2001).command("rekap").replies)
    t = translator("id")
    assert t(RM.RECAP_TOTAL, total=total, boys=boys, girls=girls) in rekap
    funnel = {row.locator(".bar-label").inner_text(): number(row.locator(".bar-n").inner_text())
              for row in page.locator("#funnel li").all()}
    assert all(f"{label} {t.number(n)}" in rekap for label, n in funnel.items()), (funnel, rekap)

    # Drill down: kabupaten → kecamatan → desa.
    page.locator("#areas").get_by_role("link", name="Kandangserang").click()
    page.wait_for_url("**wilayah=33.26.01")
    shot(page, "03-overview-kecamatan")
    assert number(page.locator('[data-kpi="total"]').inner_text()) == recap_data(dashboard.db, "33.26.01", TODAY).total
    page.locator("#areas").get_by_role("link", name="Klesem").click()
    page.wait_for_url("**wilayah=33.26.01.2001")
    shot(page, "04-overview-desa")
    assert "Klesem" in page.locator("h1").inner_text()

    # The desa's cases, then one case.
    page.get_by_role("link", name="Lihat kasus").first.click()
    page.wait_for_selector("#case-list")
    shot(page, "05-cases-desa")
    page.get_by_role("link", name=dashboard.references["ayu"]).click()
    page.wait_for_selector("#child-name")
    assert page.locator("#child-name").inner_text() == "Ayu Lestari"
    assert page.get_by_text("Surat Pernyataan", exact=False).count() > 0
    shot(page, "06-case")

    # An export from the kabupaten overview, opened as Excel would.
    page.goto(server + "/ringkasan")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Lampiran 2 · Excel").click()
    download = download_info.value
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    names = {str(row[2]) for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert {"Ayu Lestari", "Dodi Pratama"} <= names and "Ikhsan" not in names

    # A target edited in the page (stored in the database; the recap reads it).
    page.locator("details.edit summary").click()
    page.get_by_role("spinbutton", name="Tahun").fill("2026")
    page.get_by_role("textbox", name="Target").fill("1.500")
    page.get_by_role("button", name="Simpan target").click()
    page.wait_for_selector(".notice")
    assert page.locator('#targets-table tr[data-year="2026"] .target').inner_text() == "1.500"
    with dashboard.db.read() as session:
        target = session.get(RegionTarget, (KABUPATEN, 2026))
        assert target is not None and target.children == 1500
    assert {y.year: y.target for y in recap_data(dashboard.db, KABUPATEN, TODAY).returned}[2026] == 1500
    shot(page, "07-target-saved")

    # The other pages: case list with a filter and paging, pendamping activity, school, map (no tiles here).
    page.goto(server + "/kasus")
    shot(page, "08-cases")
    page.get_by_role("link", name=re.compile("Berikutnya")).click()
    assert "Halaman 2" in page.locator(".pager").inner_text()
    page.goto(server + "/kasus?terlambat=1")
    assert page.locator("#case-list tbody tr").count() == 1
    page.goto(server + "/pendamping")
    shot(page, "09-pendamping")
    page.goto(server + f"/sekolah/{dashboard.school_id}")
    shot(page, "10-school")
    page.goto(server + "/peta")
    page.wait_for_selector("path.child-marker")
    assert page.locator("path.child-marker").count() == 2  # tiles cannot load, the children's markers still show
    shot(page, "11-map")
    page.goto(server + "/ringkasan?lang=en")
    assert "Overview" in page.locator("h1").inner_text()
    shot(page, "12-overview-english")
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)  # type: ignore[attr-defined]
    mobile = phone.new_page()
    mobile.goto(local(dashboard.link_for(2001), server))
    mobile.get_by_role("button", name="Masuk").click()
    mobile.wait_for_url("**/ringkasan")
    shot(mobile, "13-overview-phone")
    phone.close()


def test_a_desa_team_is_refused_another_desa_case_and_an_expired_link(dashboard: Dashboard, server: str, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(local(dashboard.link_for(DESA_TEAM_B1), server))
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/ringkasan")
    response = page.goto(server + f"/kasus/{dashboard.references['ayu']}")
    assert response is not None and response.status == 403
    assert "Ayu" not in page.content()
    shot(page, "14-forbidden")
    with dashboard.db.read() as session:
        denied = session.scalars(select(AuditLog).where(AuditLog.action == "access.denied").order_by(AuditLog.id.desc())).first()
    assert denied is not None and denied.subject_id == str(dashboard.cases["ayu"]) and denied.detail["surface"] == "web"
    context.close()

    late = local(dashboard.link_for(2001), server)
    dashboard.clock.now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=dashboard.settings.web_link_minutes + 1)
    fresh = browser.new_context().new_page()  # type: ignore[attr-defined]
    fresh.goto(late)
    fresh.get_by_role("button", name="Masuk").click()
    fresh.wait_for_selector("h1")
    assert "kedaluwarsa" in fresh.content()
    shot(fresh, "15-link-expired")
    assert fresh.goto(server + "/ringkasan").status == 401

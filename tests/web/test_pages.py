"""The dashboard over HTTP (Starlette's test client) on SQLite and PostgreSQL: sign-in by the chat's link,
sessions, CSRF, scoping by role × region × relation, audit of reads and denials, targets, exports."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select
from starlette.testclient import TestClient

from reports.recap import recap_data
from storage.models import AuditLog, RegionTarget, WebSession
from storage.uow import unit_of_work
from tests.reports.turns import Chat
from tests.uow import committed
from tests.web.conftest import DESA_TEAM_B1, KABUPATEN, KEC_A, PHOTO, TODAY, Dashboard, sign_in


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def audit(dashboard: Dashboard, action: str) -> list[AuditLog]:
    with dashboard.db.read() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_overview_numbers_are_the_recap(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2001))  # the kabupaten team
    page = client.get("/ringkasan")
    assert page.status_code == 200
    data = recap_data(dashboard.db, KABUPATEN, TODAY)
    assert f'data-kpi="total">{data.total}<' in page.text
    rekap = " ".join(r.text for r in Chat(dashboard.db, 2001).command("rekap").replies)
    assert f"Anak: {data.total} " in rekap or f"{data.total}" in rekap
    assert "Kandangserang" in page.text and "/ringkasan?wilayah=33.26.01" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_link_once_expired_and_session_cookie(client: TestClient, dashboard: Dashboard) -> None:
    link = dashboard.link_for(2001)
    path = "/" + link.split("/", 3)[3]
    assert client.get(path).status_code == 200  # the confirmation page: a link preview does not use it up
    signed = client.post(path, follow_redirects=False)
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    again = TestClient(client.app, base_url="http://127.0.0.1:8000").post(path)
    assert again.status_code == 410 and "sudah dipakai" in again.text
    late = dashboard.link_for(2001)
    dashboard.clock.now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)
    expired = TestClient(client.app, base_url="http://127.0.0.1:8000").post("/" + late.split("/", 3)[3])
    assert expired.status_code == 410 and "kedaluwarsa" in expired.text
    assert [e.detail["reason"] for e in audit(dashboard, "web.login_refused")] == ["used", "expired"]


def test_post_without_csrf_is_refused_and_sign_out_ends_the_session(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2001))
    assert client.post("/target", data={"wilayah": KABUPATEN, "tahun": "2026", "target": "5"}).status_code == 403
    token = csrf(client.get("/ringkasan").text)
    assert client.post("/keluar", data={"csrf": token}).status_code == 200
    assert client.get("/ringkasan").status_code == 401
    with dashboard.db.read() as session:
        assert session.scalar(select(WebSession.ended_at)) is not None


def test_sign_out_from_the_chat(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2001))
    assert client.get("/ringkasan").status_code == 200
    reply = Chat(dashboard.db, 2001).command("dasbor", "keluar").replies[0].text
    assert "1" in reply
    assert client.get("/ringkasan").status_code == 401


def test_desa_team_gets_403_on_another_desa_case_audited(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(DESA_TEAM_B1))
    own = client.get(f"/kasus/{dashboard.references['dodi']}")
    assert own.status_code == 200 and "Dodi Pratama" in own.text
    other = client.get(f"/kasus/{dashboard.references['ayu']}")
    assert other.status_code == 403 and "Ayu" not in other.text
    denied = audit(dashboard, "access.denied")
    assert denied[-1].subject_type == "case" and denied[-1].subject_id == str(dashboard.cases["ayu"])
    assert [e.subject_id for e in audit(dashboard, "web.case_read")] == [str(dashboard.cases["dodi"])]
    assert client.get(f"/ringkasan?wilayah={KEC_A}").status_code == 403
    listing = client.get("/kasus")
    assert "Dodi Pratama" in listing.text and "Ayu Lestari" not in listing.text


def test_pendamping_sees_only_assigned_children_and_no_overview(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2003))
    listing = client.get("/kasus")
    assert "Ayu Lestari" in listing.text and "Citra Dewi" in listing.text and "Budi Santoso" not in listing.text
    assert client.get(f"/kasus/{dashboard.references['budi']}").status_code == 403
    assert client.get("/ringkasan", follow_redirects=False).status_code == 303


def test_public_and_volunteers_get_no_link(dashboard: Dashboard) -> None:
    reply = Chat(dashboard.db, 2004).command("dasbor").replies[0].text  # pendata
    assert "/masuk/" not in reply


def test_target_edited_in_the_page(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2001))
    token = csrf(client.get("/ringkasan").text)
    saved = client.post("/target", data={"csrf": token, "wilayah": KABUPATEN, "tahun": "2026", "target": "1.250"})
    assert saved.status_code == 200 and 'data-year="2026"' in saved.text
    with dashboard.db.read() as session:
        target = session.get(RegionTarget, (KABUPATEN, 2026))
        assert target is not None and target.children == 1250
    bad = client.post("/target", data={"csrf": token, "wilayah": KABUPATEN, "tahun": "2026", "target": "banyak"})
    assert 'role="alert"' in bad.text
    assert audit(dashboard, "target.set")[-1].actor_id == dashboard.people.kabupaten_team


def test_kecamatan_team_cannot_edit_targets(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2002))
    page = client.get("/ringkasan")
    assert page.status_code == 200 and 'action="/target"' not in page.text
    assert client.post("/target", data={"csrf": csrf(page.text), "wilayah": KABUPATEN, "tahun": "2026", "target": "9"}).status_code == 403


def test_export_downloads_lampiran2_audited(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2002))
    token = csrf(client.get("/ringkasan").text)
    response = client.post("/ekspor", data={"csrf": token, "wilayah": KEC_A, "format": "xlsx", "jenis": "lampiran2"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    names = [str(row[2]) for row in book.worksheets[0].iter_rows(values_only=True)]  # NAMA LENGKAP
    assert any("Ayu Lestari" in n for n in names) and not any("Dodi" in n for n in names)
    assert audit(dashboard, "export.region")[-1].actor_id == dashboard.people.kecamatan_team
    assert client.post("/ekspor", data={"csrf": token, "wilayah": KABUPATEN, "format": "xlsx"}).status_code == 403


def test_pages_render_for_every_role(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2001))
    for path in ("/ringkasan", f"/ringkasan?wilayah={KEC_A}", "/kasus", "/kasus?hal=2", "/kasus?terlambat=1", "/pendamping", "/peta",
                 f"/sekolah/{dashboard.school_id}", f"/kasus/{dashboard.references['ayu']}", "/ringkasan?lang=en", "/kasus?lang=jv"):
        assert client.get(path).status_code == 200, path
    overdue = client.get("/kasus?terlambat=1").text
    assert "Citra Dewi" in overdue and "Ayu Lestari" not in overdue
    school = client.get(f"/sekolah/{dashboard.school_id}").text
    assert "SD Negeri 1 Bodas" in school and 'data-kpi="returned">2<' in school
    assert 'data-kpi="bullying">1<' in school  # Dodi's monitoring reported bullying (C.6)
    assert 'data-kpi="one-year">100%<' in school  # Dodi returned in 2025 and is still monitored
    activity = client.get("/pendamping").text
    assert 'data-person="Bu Pendamping" data-children="2" data-recent="1" data-due="1"' in activity


def test_cookie_is_secure_behind_https(dashboard: Dashboard) -> None:
    from core.settings import Settings
    from web.app import create_app

    behind_proxy = Settings(web_base_url="https://ats.pekalongankab.go.id")
    with TestClient(create_app(dashboard.db, behind_proxy, dashboard.clock), base_url="https://ats.pekalongankab.go.id") as https:
        link = dashboard.link_for(2001)
        response = https.post("/" + link.split("/", 3)[3], follow_redirects=False)
    assert response.status_code == 303 and "secure" in response.headers["set-cookie"].lower()


def test_a_form_photo_opens_for_who_may_see_it(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2001))
    page = client.get(f"/kasus/{dashboard.references['ayu']}").text
    found = re.search(r'src="(/kasus/[^"]+/foto/\d+)"', page)
    assert found
    photo = client.get(found.group(1))
    assert photo.status_code == 200 and photo.content == PHOTO and photo.headers["content-type"] == "image/png"
    assert audit(dashboard, "web.photo")[-1].actor_id == dashboard.people.kabupaten_team
    assert client.get(found.group(1).rsplit("/", 1)[0] + "/999").status_code == 404
    other = TestClient(client.app, base_url="http://127.0.0.1:8000")
    sign_in(other, dashboard.link_for(DESA_TEAM_B1))
    assert other.get(found.group(1)).status_code == 403


def test_the_statement_pdf_downloads_from_the_case_page(client: TestClient, dashboard: Dashboard) -> None:
    sign_in(client, dashboard.link_for(2003))  # the pendamping of Ayu
    page = client.get(f"/kasus/{dashboard.references['ayu']}").text
    found = re.search(r'href="(/kasus/[^"]+/dokumen/\d+)"', page)
    assert found
    pdf = client.get(found.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    assert audit(dashboard, "web.document")[-1].actor_id == dashboard.people.pendamping
    assert client.get(found.group(1).rsplit("/", 1)[0] + "/999999").status_code == 404


def test_the_case_page_shows_referrals_and_assistance_and_their_steps(client: TestClient, dashboard: Dashboard) -> None:
    from cases import assistance, referrals

    case_id = dashboard.cases["citra"]  # back in school
    with unit_of_work(dashboard.db) as uow:
        sent = referrals.refer(uow, case_id, "dinsos", TODAY + dt.timedelta(days=5), dashboard.people.pendamping, TODAY,
                               reason="KIP")
        referrals.update_referral(uow, sent.id, "accepted", dashboard.people.pendamping)
        assistance.propose(uow, case_id, "personal", dashboard.people.pendamping, TODAY)
    sign_in(client, dashboard.link_for(2003))  # Citra's pendamping
    page = client.get(f"/kasus/{dashboard.references['citra']}").text
    card = page[page.index('id="programme"'):]
    assert f"#{sent.id} Dinas Sosial" in card and "diterima lembaga" in card
    assert "Bantuan dana personal" in card and "500.000" in card
    assert "Rujukan ke Dinas Sosial: dikirim" in page and "Rujukan ke Dinas Sosial: diterima lembaga" in page  # the history


def test_the_overview_shows_the_cases_awaiting_the_kecamatan_check(client: TestClient, dashboard: Dashboard) -> None:
    from cases import service

    sign_in(client, dashboard.link_for(2001))  # the kabupaten team
    assert 'data-kpi="awaiting"' not in client.get("/ringkasan").text
    committed(dashboard.db, service.verify, dashboard.cases["ayu"], dashboard.people.kabupaten_team, True, None)
    page = client.get("/ringkasan").text
    assert 'data-kpi="awaiting">1<' in page

"""The dashboard's pages. Each one: check the viewer may see it (else 403, audited), read, render.

Aggregates are :func:`reports.recap.recap_data` (the same numbers as ``/rekap``); lists and records come from
:mod:`web.queries` under :func:`web.scope.case_condition`; every value about a child passes the role's field
visibility (:mod:`core.visibility`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cases import assistance, documents, referrals
from cases.messages import ASSISTANCE_STATUS, REFERRAL_STATUS
from cases.presenting import step_label
from cases.service import CaseSummary, HistoryEntry, case_history, case_summary
from core.authz import Action, covers
from core.authz import allowed as authz_allowed
from core.visibility import HIDDEN, F
from reports.export import NotAllowed, export_region, export_responses
from reports.recap import RecapData, area_label, recap_data, short_reason
from reports.sql import IN_SCHOOL, OUT_OF_SCHOOL_OPEN
from reports.summary import flagged_ids
from reports.targets import TargetError, set_target
from reports.vocab import AGE_GROUPS
from storage.db import Database
from storage.models import Region, RegionLevel, Role, StoredFile
from storage.models import Response as FormResponse
from storage.repositories.audit import record
from storage.repositories.files import read_kept_file
from storage.uow import reading
from web import messages as W
from web import queries as Q
from web.app import Forbidden, NotFound, Web
from web.auth import Viewer
from web.present import SEX_LABELS, age_label, answer_rows, category_label, form_title, photo_refs, status_label
from web.scope import actor, case_condition, field_policy, home_region, is_team, may_open_case, may_see_region

DOCUMENT_KINDS = {"kesediaan": ("surat-pernyataan", documents.surat_pernyataan_pdf),
                  "pemilihan-sekolah": ("pemilihan-sekolah", documents.pemilihan_sekolah_pdf)}
STATUS_ORDER = ("proposed", "recorded", "verified", "accompanied", "willing", "school_chosen", "back_in_school", "monitored",
                "dropped_out_again", "not_willing", "undecided", "not_valid", "graduated", "moved_away", "aged_out")


def _region_param(request: Request, viewer: Viewer) -> str:
    return (request.query_params.get("wilayah") or home_region(viewer)).strip()


async def _checked_region(web: Web, request: Request, viewer: Viewer) -> str:
    region = _region_param(request, viewer)
    if not may_see_region(viewer, region):
        await web.audit_denied(viewer, "region", region or "*", region or None, "web_region")
        raise Forbidden
    return region


# -- home ---------------------------------------------------------------------------------------------------------
async def home(web: Web, request: Request, viewer: Viewer) -> Response:
    if is_team(viewer):
        return RedirectResponse("/ringkasan", status_code=303)
    if viewer.role is Role.OPERATOR_SEKOLAH and viewer.school_id:
        return RedirectResponse(f"/sekolah/{viewer.school_id}", status_code=303)
    return RedirectResponse("/kasus", status_code=303)


# -- overview -----------------------------------------------------------------------------------------------------
def _bars(t: Any, rows: Sequence[tuple[str, int, str | None]]) -> list[dict[str, Any]]:
    top = max((n for _, n, _ in rows), default=0) or 1
    return [{"label": label, "n": n, "pct": round(100 * n / top, 1), "href": href} for label, n, href in rows]


def _area_rows(data: RecapData, t: Any) -> list[dict[str, Any]]:
    """Kecamatan of a kabupaten, desa of a kecamatan (children placed only by kecamatan marked so), kabupaten of
    the nation; a row links one level down."""
    code = data.region_code
    table = data.by_kecamatan() if code.count(".") == 1 else data.by_area
    rows = []
    for area, by_sex in sorted(table.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        deeper = area.count(".") > code.count(".") if code else True
        rows.append({"code": area, "name": area_label(data, area, t) if code.count(".") >= 2 else data.area_names.get(area, area),
                     "total": sum(by_sex.values()), "boys": by_sex.get("L", 0), "girls": by_sex.get("P", 0),
                     "href": f"/ringkasan?wilayah={area}" if deeper else None})
    return rows


def _region_facts(web: Web, region: str) -> tuple[list[tuple[str, str]], RegionLevel | None, list[tuple[int, str, str, int]]]:
    with web.db.read() as session:
        level = session.scalar(select(Region.level).where(Region.code == region)) if region else None
        return Q.region_path(session, region), level, Q.schools_in(session, region)


async def _overview_context(web: Web, viewer: Viewer, region: str, t: Any) -> dict[str, Any]:
    """The recap (from its summary, pupils at risk included) and the region's facts are read concurrently (two
    short read transactions): the page costs about its slowest query, not their sum."""
    today = web.today(region or home_region(viewer))
    data, (crumbs, level, schools) = await asyncio.gather(
        run_in_threadpool(recap_data, web.db, region, today), run_in_threadpool(_region_facts, web, region))
    statuses = data.totals(data.by_status)
    funnel = _bars(t, [(status_label(t, s), statuses[s], f"/kasus?wilayah={region}&status={s}") for s in STATUS_ORDER if statuses.get(s)]
                   + [(status_label(t, s), n, f"/kasus?wilayah={region}&status={s}") for s, n in statuses.items() if s not in STATUS_ORDER])
    categories = data.totals(data.by_category)
    reasons = sorted(data.totals(data.by_reason).items(), key=lambda kv: (-kv[1], int(kv[0])))
    ages = data.totals(data.by_age_group)
    top_target = max([y.target or 0 for y in data.returned] + [y.returned for y in data.returned] + [1])
    return {
        "data": data, "region": region, "region_title": data.region_name if region else t(W.ALL_REGIONS), "crumbs": crumbs,
        "today": today, "kpi": {
            "total": data.total, "boys": data.by_sex.get("L", 0), "girls": data.by_sex.get("P", 0),
            "back": sum(statuses.get(s, 0) for s in IN_SCHOOL), "open": sum(statuses.get(s, 0) for s in OUT_OF_SCHOOL_OPEN),
            "dropped": statuses.get("dropped_out_again", 0), "at_risk": data.at_risk_total,
            "awaiting": data.awaiting_check},
        "funnel": funnel,
        "categories": _bars(t, [(category_label(t, c), categories.get(c, 0), f"/kasus?wilayah={region}&kategori={c}" if c else None)
                                for c in ("1", "2", "3", None) if categories.get(c)]),
        "reasons": _bars(t, [(short_reason(c, t, 60), n, None) for c, n in reasons]),
        "sexes": _bars(t, [(t(SEX_LABELS[s]), n, None) for s, n in (("L", data.by_sex.get("L", 0)), ("P", data.by_sex.get("P", 0)),
                                                                   (None, data.by_sex.get(None, 0))) if n]),
        "ages": _bars(t, [(age_label(t, g), ages.get(g, 0), None) for g in AGE_GROUPS if ages.get(g)]),
        "years": [{"year": y.year, "returned": y.returned, "target": y.target,
                   "pct": round(100 * y.returned / y.target) if y.target else None,
                   "h_returned": round(100 * y.returned / top_target, 1), "h_target": round(100 * (y.target or 0) / top_target, 1)}
                  for y in data.returned],
        "quarters": data.quarters, "quarter_top": max([q.still + q.dropped for q in data.quarters] + [1]),
        "areas": _area_rows(data, t), "schools": schools,
        "can_edit_targets": level is RegionLevel.KABUPATEN and authz_allowed(actor(viewer), Action.SET_TARGETS, region),
        "can_export": authz_allowed(actor(viewer), Action.EXPORT, region or None) or viewer.role is Role.ADMIN,
    }


async def overview(web: Web, request: Request, viewer: Viewer) -> Response:
    if not is_team(viewer):
        return await home(web, request, viewer)
    region = await _checked_region(web, request, viewer)
    t = web.t(request, viewer)
    context = await _overview_context(web, viewer, region, t)
    notice = None
    if request.query_params.get("disimpan"):
        notice = t(W.TARGET_SAVED, year=request.query_params["disimpan"])
    error = {"year": W.TARGET_BAD_YEAR, "count": W.TARGET_BAD_COUNT, "region": W.TARGET_BAD_REGION}.get(
        request.query_params.get("galat", ""))
    return web.render(request, "overview.html", viewer, notice=notice, error=t(error) if error else None,
                      this_year=context["today"].year, **context)


async def save_target(web: Web, request: Request, viewer: Viewer) -> Response:
    form = await request.form()
    region = str(form.get("wilayah", ""))
    if not authz_allowed(actor(viewer), Action.SET_TARGETS, region):
        await web.audit_denied(viewer, "region_target", region, region or None, "set_targets")
        raise Forbidden
    year_text, count_text = str(form.get("tahun", "")).strip(), str(form.get("target", "")).strip().replace(".", "")
    back = f"/ringkasan?wilayah={region}"
    if not year_text.isdigit():
        return RedirectResponse(f"{back}&galat=year#target", status_code=303)
    if count_text and not count_text.isdigit():
        return RedirectResponse(f"{back}&galat=count#target", status_code=303)

    def save() -> None:
        with web.db.write() as session:
            set_target(session, region, int(year_text), int(count_text) if count_text else None, actor_id=viewer.person_id)

    try:
        await run_in_threadpool(save)
    except TargetError as refused:
        return RedirectResponse(f"{back}&galat={refused.reason}#target", status_code=303)
    return RedirectResponse(f"{back}&disimpan={int(year_text)}#target", status_code=303)


# -- exports ---------------------------------------------------------------------------------------------------------
async def export(web: Web, request: Request, viewer: Viewer) -> Response:
    form = await request.form()
    region = str(form.get("wilayah", ""))
    fmt: Literal["xlsx", "csv"] = "csv" if form.get("format") == "csv" else "xlsx"
    kind = str(form.get("jenis", "lampiran2"))
    if not may_see_region(viewer, region):
        await web.audit_denied(viewer, "region", region or "*", region or None, "export")
        raise Forbidden
    try:
        if kind == "formulir":
            filename, content = await run_in_threadpool(export_responses, web.db, region, None, fmt, viewer.person_id)
        else:
            filename, content = await run_in_threadpool(export_region, web.db, region, fmt, viewer.person_id)
    except NotAllowed as refused:
        await web.audit_denied(viewer, "region", region or "*", region or None, "export")
        raise Forbidden from refused
    media = "text/csv" if filename.endswith(".csv") else (
        "application/zip" if filename.endswith(".zip") else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                        "Cache-Control": "no-store"})


# -- cases -------------------------------------------------------------------------------------------------------------
def _filters(request: Request) -> Q.CaseFilters:
    p = request.query_params

    def number(key: str, default: int | None) -> int | None:
        value = p.get(key, "")
        return int(value) if value.isdigit() else default

    return Q.CaseFilters(status=p.get("status", ""), category=p.get("kategori", ""), pendamping=number("pendamping", None),
                         overdue=p.get("terlambat") == "1", at_risk=p.get("risiko") == "1", page=number("hal", 1) or 1)


async def cases(web: Web, request: Request, viewer: Viewer) -> Response:
    region = request.query_params.get("wilayah", "").strip()
    if region and is_team(viewer) and not may_see_region(viewer, region):
        await web.audit_denied(viewer, "region", region, region, "web_cases")
        raise Forbidden
    filters = _filters(request)
    t = web.t(request, viewer)

    def load() -> dict[str, Any]:
        scope = region or home_region(viewer)
        with web.db.read() as session:
            risks = flagged_ids(session, scope if is_team(viewer) else (viewer.region_code or ""))
            page = Q.list_cases(session, case_condition(session, viewer, region), filters, web.clock(), risks)
            choices = Q.pendamping_choices(session, scope) if is_team(viewer) else []
            name = Q.region_name(session, scope) if scope else t(W.ALL_REGIONS)
        return {"page": page, "pendamping": choices, "region_title": name or scope}

    context = await run_in_threadpool(load)
    view = field_policy(viewer)
    hide_names = not view.shows(F.IDENTITY)
    base = [(k, v) for k, v in request.query_params.multi_items() if k != "hal"]
    return web.render(request, "cases.html", viewer, filters=filters, region=region, statuses=STATUS_ORDER,
                      status_label=lambda s: status_label(t, s), category_label=lambda c: category_label(t, c),
                      hide_names=hide_names, base_query=base, **context)


T = TypeVar("T")


async def _opened_case(web: Web, request: Request, viewer: Viewer, action: str,
                       read: Callable[[Session, int], T | None]) -> tuple[int, str, T]:
    """The case of ``{reference}`` if the viewer may open it, with ``read(session, case_id)`` from the same
    transaction: 404 for an unknown case or nothing read, 403 (audited) for a case outside the viewer's reach."""
    reference = request.path_params["reference"]

    def load() -> tuple[str, Any]:
        with web.db.read() as session:
            found = Q.case_id_by_reference(session, reference)
            if found is None:
                return "missing", None
            if not may_open_case(session, viewer, found[0]):
                return "denied", found
            extra = read(session, found[0])
            return ("ok", (*found, extra)) if extra is not None else ("missing", None)

    outcome, found = await run_in_threadpool(load)
    if outcome == "missing":
        raise NotFound
    if outcome == "denied":
        await web.audit_denied(viewer, "case", found[0], found[1], action)
        raise Forbidden
    return found


def _case_and_history(db: Database, case_id: int, today: dt.date) -> tuple[CaseSummary, list[HistoryEntry]]:
    with reading(db) as uow:
        return case_summary(uow, case_id, today), case_history(uow, case_id)


async def case_page(web: Web, request: Request, viewer: Viewer) -> Response:
    case_id, region, rec = await _opened_case(web, request, viewer, "web_case", Q.case_record)
    await run_in_threadpool(record, web.db, "web.case_read", "case", case_id, actor_id=viewer.person_id, region_code=region,
                            detail={"role": viewer.role.value})
    t = web.t(request, viewer)
    summary, history = await run_in_threadpool(_case_and_history, web.db, case_id, web.today(home_region(viewer)))
    view = field_policy(viewer)
    shown = {
        "name": view.present(F.IDENTITY, summary.child_name), "nik": view.present(F.NIK, summary.nik_masked),
        "address": view.present(F.LOCATION, summary.address),
    }
    forms = [{"id": f.response_id, "reference": f.reference, "title": form_title(t, f.instrument), "instrument": f.instrument,
              "at": f.submitted_at, "rows": answer_rows(t, view, f.instrument, f.version, f.answers)} for f in rec.forms]
    photos = [{"label": label, "url": f"/kasus/{summary.reference}/foto/{file_id}", "form": form_title(t, f.instrument)}
              for f in rec.forms for label, file_id in photo_refs(t, view, f.instrument, f.version, f.answers)]
    docs = [{"kind": DOCUMENT_KINDS[f.instrument][0], "response_id": f.response_id, "title": form_title(t, f.instrument),
             "at": f.submitted_at} for f in rec.forms if f.instrument in DOCUMENT_KINDS]
    helped = await run_in_threadpool(_programme_of, web, case_id)
    return web.render(request, "case.html", viewer, summary=summary, shown=shown, HIDDEN=HIDDEN, history=history, forms=forms,
                      visits=rec.visits, reminders=rec.reminders, documents=docs, photos=photos, status_label=lambda s: status_label(t, s),
                      category_label=lambda c: category_label(t, c), step_label=lambda h: step_label(t, h), today=web.today(home_region(viewer)),
                      referrals=helped[0], assistance=helped[1], referral_status=lambda s: t(REFERRAL_STATUS[s]),
                      assistance_status=lambda a: t(ASSISTANCE_STATUS[a.status]))


def _programme_of(web: Web, case_id: int) -> tuple[list[referrals.ReferralView], list[assistance.AssistanceView]]:
    """The case's referrals and assistance, for its page."""
    with web.db.read() as session:
        return referrals.referrals_of(session, case_id), assistance.of_case(session, case_id)


async def case_document(web: Web, request: Request, viewer: Viewer) -> Response:
    reference, response_id = request.path_params["reference"], int(request.path_params["response_id"])

    def instrument_of(session: Session, case_id: int) -> str | None:
        form = session.get(FormResponse, response_id)
        return form.instrument if form is not None and form.case_id == case_id and form.instrument in DOCUMENT_KINDS else None

    case_id, region, instrument = await _opened_case(web, request, viewer, "web_document", instrument_of)
    kind, make = DOCUMENT_KINDS[instrument]
    content = await run_in_threadpool(make, web.db, case_id, response_id)
    await run_in_threadpool(record, web.db, "web.document", "case", case_id, actor_id=viewer.person_id, region_code=region,
                            detail={"kind": kind, "response_id": response_id})
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{documents.filename(kind, reference)}"', "Cache-Control": "no-store"})


async def case_photo(web: Web, request: Request, viewer: Viewer) -> Response:
    """A photo kept from a form of this case (decrypted on the way out), if the role may see that question."""
    file_id = int(request.path_params["file_id"])
    t = web.t(request, viewer)
    view = field_policy(viewer)

    def shown_file(session: Session, case_id: int) -> StoredFile | None:
        forms = Q.case_record(session, case_id).forms
        shown = {fid for f in forms for _, fid in photo_refs(t, view, f.instrument, f.version, f.answers)}
        return Q.stored_file(session, file_id) if file_id in shown else None

    case_id, region, stored = await _opened_case(web, request, viewer, "web_photo", shown_file)
    content = await run_in_threadpool(read_kept_file, web.db, stored)
    await run_in_threadpool(record, web.db, "web.photo", "case", case_id, actor_id=viewer.person_id, region_code=region,
                            detail={"file": file_id})
    return Response(content, media_type=stored.mime or "image/jpeg", headers={"Cache-Control": "no-store"})


# -- school, pendamping, map ------------------------------------------------------------------------------------------------
async def school_page(web: Web, request: Request, viewer: Viewer) -> Response:
    school_id = int(request.path_params["school_id"])
    if viewer.role is Role.OPERATOR_SEKOLAH and viewer.school_id != school_id:
        await web.audit_denied(viewer, "school", school_id, None, "web_school")
        raise Forbidden
    if viewer.role is Role.PENDAMPING:
        await web.audit_denied(viewer, "school", school_id, None, "web_school")
        raise Forbidden

    def load() -> Any:
        with web.db.read() as session:
            risks = flagged_ids(session, home_region(viewer) if is_team(viewer) else "")
            return Q.school_view(session, school_id, case_condition(session, viewer), web.clock(), risks)

    school = await run_in_threadpool(load)
    if school is None:
        raise NotFound
    if is_team(viewer) and viewer.role is not Role.ADMIN and not covers(viewer.region_code, school.region_code) and not school.pupils:
        await web.audit_denied(viewer, "school", school_id, school.region_code, "web_school")
        raise Forbidden
    t = web.t(request, viewer)
    percent = round(100 * school.one_year_still / school.one_year_total) if school.one_year_total else None
    return web.render(request, "school.html", viewer, school=school, percent=percent, status_label=lambda s: status_label(t, s),
                      hide_names=not field_policy(viewer).shows(F.IDENTITY))


async def pendamping_page(web: Web, request: Request, viewer: Viewer) -> Response:
    if viewer.role is Role.OPERATOR_SEKOLAH:
        raise Forbidden
    region = await _checked_region(web, request, viewer) if is_team(viewer) else ""
    only = None if is_team(viewer) else viewer.person_id

    def load() -> Any:
        with web.db.read() as session:
            return Q.pendamping_activity(session, region, only, web.clock()), Q.region_name(session, region)

    rows, name = await run_in_threadpool(load)
    t = web.t(request, viewer)
    return web.render(request, "pendamping.html", viewer, rows=rows, region=region,
                      region_title=name or (t(W.ALL_REGIONS) if is_team(viewer) else viewer.name))


async def map_page(web: Web, request: Request, viewer: Viewer) -> Response:
    region = await _checked_region(web, request, viewer) if is_team(viewer) else ""
    t = web.t(request, viewer)

    def load() -> Any:
        with web.db.read() as session:
            condition = case_condition(session, viewer, region)
            found = Q.located_cases(session, condition)
            return found, Q.desa_centroids(session, condition, found), Q.region_name(session, region)

    found, centroids, name = await run_in_threadpool(load)
    view = field_policy(viewer)
    points = []
    for reference, status, _, gps in found:
        seen = view.present(F.LOCATION, gps)
        if seen is HIDDEN:
            continue
        points.append({"ref": reference, "status": status, "label": status_label(t, status),
                       "lat": float(seen["latitude"]), "lon": float(seen["longitude"])})
    villages = [{"code": d.code, "name": d.name, "lat": round(d.latitude, 4), "lon": round(d.longitude, 4),
                 "total": sum(d.statuses.values()),
                 "statuses": [f"{status_label(t, s)} {n}" for s, n in sorted(d.statuses.items(), key=lambda kv: (-kv[1], kv[0]))]}
                for d in centroids]
    return web.render(request, "map.html", viewer, points=points, villages=villages, region=region,
                      region_title=name or t(W.ALL_REGIONS), tile_url=web.settings.web_tile_url,
                      tile_attribution=web.settings.web_tile_attribution)


ROUTES = [
    ("/", home, ["GET"]),
    ("/ringkasan", overview, ["GET"]),
    ("/target", save_target, ["POST"]),
    ("/ekspor", export, ["POST"]),
    ("/kasus", cases, ["GET"]),
    ("/kasus/{reference}", case_page, ["GET"]),
    ("/kasus/{reference}/dokumen/{response_id:int}", case_document, ["GET"]),
    ("/kasus/{reference}/foto/{file_id:int}", case_photo, ["GET"]),
    ("/sekolah/{school_id:int}", school_page, ["GET"]),
    ("/pendamping", pendamping_page, ["GET"]),
    ("/peta", map_page, ["GET"]),
]

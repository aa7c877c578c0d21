"""The Starlette application: routes, sessions, CSRF, language, errors. Pages live in :mod:`web.pages`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core.clock import Clock, local_day, shifted_clock
from core.i18n import LANGUAGE_NAMES, LANGUAGES, Translator, translator
from core.settings import Settings
from reports.sql import region_timezone
from storage.db import Database
from storage.repositories.audit import record
from web import auth
from web import messages as W
from web.auth import Viewer

PACKAGE = Path(__file__).resolve().parent
SESSION_COOKIE = "ats_dasbor"
LANGUAGE_COOKIE = "ats_bahasa"


class Forbidden(Exception):
    """Raised by a page for a record outside the viewer's area: 403, audited by the page before raising."""


class NotFound(Exception):
    pass


class Web:
    """What every page needs: the database, settings, the clock and the templates."""

    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self._zones: dict[str, ZoneInfo] = {}
        self.templates = Environment(loader=FileSystemLoader(PACKAGE / "templates"), autoescape=select_autoescape(["html"]),
                                     trim_blocks=True, lstrip_blocks=True)
        self.secure_cookies = settings.dashboard_url().startswith("https://")

    def today(self, region_code: str | None = None) -> dt.date:
        """The calendar day of the clock where ``region_code`` keeps time (WIB, WITA or WIT; WIB nationally):
        recaps and ages count by the district's local days, like the chat."""
        code = region_code or ""
        if code not in self._zones:
            with self.db.read() as session:
                self._zones[code] = region_timezone(session, code)
        return local_day(self.clock(), self._zones[code])

    def language(self, request: Request, viewer: Viewer | None) -> str:
        chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGUAGES:
            return str(chosen)
        return viewer.language if viewer and viewer.language in LANGUAGES else self.settings.default_language

    def render(self, request: Request, template: str, viewer: Viewer | None, status: int = 200, **context: Any) -> HTMLResponse:
        language = self.language(request, viewer)
        t = translator(language)
        html = self.templates.get_template(template).render(
            t=t, W=W, viewer=viewer, request=request, lang=language, languages=LANGUAGE_NAMES, path=request.url.path,
            query=request.url.query, **context,
        )
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, httponly=True, samesite="lax",
                                secure=self.secure_cookies)
        response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a shared office browser
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def message(self, request: Request, viewer: Viewer | None, status: int, title: str, *lines: str) -> HTMLResponse:
        return self.render(request, "message.html", viewer, status=status, title=title, lines=lines)

    async def viewer(self, request: Request) -> Viewer | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        return await run_in_threadpool(auth.viewer_for, self.db, token, self.clock())

    def t(self, request: Request, viewer: Viewer | None) -> Translator:
        return translator(self.language(request, viewer))

    async def audit_denied(self, viewer: Viewer, subject_type: str, subject_id: object, region: str | None, action: str) -> None:
        await run_in_threadpool(record, self.db, "access.denied", subject_type, subject_id, actor_id=viewer.person_id,
                                region_code=region, detail={"action": action, "role": viewer.role.value, "surface": "web"})


Page = Callable[[Web, Request, Viewer], Awaitable[Response]]


def signed_in(web: Web, page: Page) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page: a viewer is required, POSTs carry the session's CSRF token, refusals become clear pages."""

    async def endpoint(request: Request) -> Response:
        viewer = await web.viewer(request)
        if viewer is None:
            t = web.t(request, None)
            return web.message(request, None, 401, t(W.SIGNED_OUT_TITLE), t(W.NOT_SIGNED_IN))
        if request.method == "POST":
            form = await request.form()
            token = form.get("csrf")
            if not auth.csrf_ok(viewer, token if isinstance(token, str) else None):
                t = web.t(request, viewer)
                return web.message(request, viewer, 403, t(W.FORBIDDEN_TITLE), t(W.SESSION_EXPIRED_FORM))
        try:
            return await page(web, request, viewer)
        except Forbidden:
            t = web.t(request, viewer)
            return web.message(request, viewer, 403, t(W.FORBIDDEN_TITLE), t(W.FORBIDDEN_TEXT))
        except NotFound:
            t = web.t(request, viewer)
            return web.message(request, viewer, 404, t(W.NOT_FOUND_TITLE), t(W.NOT_FOUND_TEXT))

    return endpoint


# -- signing in and out ------------------------------------------------------------------------------------------------
async def sign_in_page(web: Web, request: Request) -> Response:
    """The link from the chat opens a page with one button: link previews (which GET) never use the link up."""
    t = web.t(request, None)
    return web.render(request, "signin.html", None, token=request.path_params["token"], title=t(W.SIGN_IN_TITLE))


async def sign_in(web: Web, request: Request) -> Response:
    t = web.t(request, None)
    try:
        token, _ = await run_in_threadpool(auth.redeem_link, web.db, request.path_params["token"], web.clock(),
                                           web.settings.web_session_hours)
    except auth.LinkRefused as refused:
        reason = {"used": W.LINK_USED, "expired": W.LINK_EXPIRED}.get(refused.reason, W.LINK_UNKNOWN)
        return web.message(request, None, 410, t(W.SIGN_IN_TITLE), t(reason), t(W.LINK_AGAIN))
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=web.settings.web_session_hours * 3600, httponly=True,
                        samesite="strict", secure=web.secure_cookies, path="/")
    return response


async def sign_out(web: Web, request: Request, viewer: Viewer) -> Response:
    await run_in_threadpool(auth.end_session, web.db, request.cookies.get(SESSION_COOKIE, ""), web.clock())
    t = web.t(request, viewer)
    response = web.message(request, None, 200, t(W.SIGNED_OUT_TITLE), t(W.SIGNED_OUT_TEXT))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=web.secure_cookies)
    return response


async def health(web: Web, request: Request) -> Response:
    from sqlalchemy import text

    def ping() -> None:
        with web.db.read() as session:
            session.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(db: Database, settings: Settings, clock: Clock | None = None) -> Starlette:
    """The dashboard over ``db``; ``clock`` (by default the product's, ``SIMULATED_DATE``) lets tests and
    operators simulate dates."""
    from web import pages

    web = Web(db, settings, clock or shifted_clock(settings.simulated_date))

    def plain(handler: Callable[[Web, Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await handler(web, request)
        return endpoint

    routes = [
        Route("/health", plain(health)),
        Route("/masuk/{token}", plain(sign_in_page), methods=["GET"]),
        Route("/masuk/{token}", plain(sign_in), methods=["POST"]),
        Route("/keluar", signed_in(web, sign_out), methods=["POST"]),
        *[Route(path, signed_in(web, page), methods=methods) for path, page, methods in pages.ROUTES],
        Mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        t = web.t(request, None)
        return web.message(request, None, 404, t(W.NOT_FOUND_TITLE), t(W.NOT_FOUND_TEXT))

    async def server_error(request: Request, exc: Exception) -> Response:
        t = web.t(request, None)
        return web.message(request, None, 500, t(W.SERVER_ERROR_TITLE), t(W.SERVER_ERROR_TEXT))

    return Starlette(routes=routes, exception_handlers={404: not_found, 500: server_error})

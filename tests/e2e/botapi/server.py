"""Telegram's URL layout on 127.0.0.1, served from a thread with its own event loop.

The thread lets plain synchronous tests play users while a real bot process
long-polls; a pending getUpdates waits on an asyncio.Event that ``State.wake``
sets from whichever thread queued an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
import threading
from typing import Any

from aiohttp import web

from .methods import canonical, invoke
from .params import Upload, normalize
from .state import CONFLICT, ApiError, State

MAX_POLL_SECONDS = 50.0
"""Telegram caps long polls too; it also bounds how long stop() can wait."""
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_START_TIMEOUT = 10.0
_LOG = logging.getLogger(__name__)
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class Server:
    """Serves ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>`` for one State."""

    def __init__(self, st: State) -> None:
        self.st = st
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="botapi-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT):
            raise RuntimeError("Bot API emulator did not start in time")
        if self._error is not None:
            raise RuntimeError("Bot API emulator failed to start") from self._error

    def stop(self) -> None:
        """Answer pending long polls, close the listener and end the thread; safe to call twice."""
        self.st.close()
        loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None or loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._close(), loop).result(_START_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_START_TIMEOUT)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:  # noqa: BLE001  reported to start() in the caller's thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _open(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._changed = asyncio.Event()
        loop = asyncio.get_running_loop()

        def wake_from_any_thread() -> None:
            loop.call_soon_threadsafe(self._wake)

        self.st.wake = wake_from_any_thread

    async def _close(self) -> None:
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()

    def _wake(self) -> None:
        """Wake every waiting long poll; each re-checks the state itself."""
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.st.token:
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        name = canonical(request.match_info["method"])
        try:
            params = normalize(await _read_params(request))
        except ApiError as exc:
            return _json(exc.payload(), exc.code)
        call = self.st.record_call(name, params)
        try:
            result = await self._get_updates(params) if name == "getUpdates" else invoke(self.st, name, params)
        except ApiError as exc:
            self.st.finish_call(call, error=exc)
            return _json(exc.payload(), exc.code)
        except Exception as exc:  # noqa: BLE001  malformed input the emulator does not model, or an emulator bug
            _LOG.exception("emulator failed on %s %s", name, params)
            error = ApiError(500, f"Internal Server Error: emulator failed on {name}: {exc!r}")
            self.st.finish_call(call, error=error)
            return _json(error.payload(), 500)
        self.st.finish_call(call, result=result)
        return _json({"ok": True, "result": result})

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: answer as soon as an update is pending, or with [] after ``timeout`` seconds."""
        st, loop = self.st, asyncio.get_running_loop()
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        deadline = loop.time() + min(max(float(p.get("timeout") or 0), 0.0), MAX_POLL_SECONDS)
        with st.lock:
            st.check_failure("getUpdates")
            if st.webhook["url"]:
                raise ApiError(409, WEBHOOK_CONFLICT)
            generation = st.begin_poll(p.get("offset"), p.get("allowed_updates"))
        while True:
            changed = self._changed  # taken before the check, so a wake in between is not lost
            assert changed is not None
            with st.lock:
                if st.poll_generation != generation:
                    raise ApiError(409, CONFLICT)
                updates = st.take_updates(limit)
                if updates or st.closed:
                    return updates
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.st.token:
            return _json(ApiError(401, "Unauthorized").payload(), 401)
        path = request.match_info["path"]
        call = self.st.record_call("downloadFile", {"file_path": path})
        stored = self.st.file_by_path(path)
        if stored is None:
            error = ApiError(404, "Not Found")
            self.st.finish_call(call, error=error)
            return _json(error.payload(), 404)
        self.st.finish_call(call, result=stored.size)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string plus a JSON, form-urlencoded or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return raw
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: can't parse JSON object")
        raw.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                raw[key] = Upload(value.file.read(), value.filename, value.content_type)
            else:
                raw[key] = value
    return raw


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)

"""A lean Telegram Bot API stand-in for benchmarks: just enough of Telegram for a polling bot, and fast.

It serves ``/bot<token>/<method>`` on 127.0.0.1 with aiohttp: ``getMe``, ``deleteWebhook``,
``setMyCommands``, ``getUpdates`` (long polling with ``offset``/``limit``/``timeout``), ``sendMessage``,
``editMessageText``, ``editMessageReplyMarkup`` and ``answerCallbackQuery``; any other method answers
``true`` and is counted in :attr:`StandIn.unknown`. Unlike the end-to-end emulator (``tests/e2e/botapi``)
it keeps no call log, no message history and no locks: updates are pre-serialised once, replies are
written as JSON text, and a bot's message to a chat is handed to :attr:`StandIn.on_bot_message` so a
load generator running on the same event loop can react to it without any network hop.

    standin = StandIn("123456:TEST")
    await standin.start()          # standin.base_url -> http://127.0.0.1:PORT/bot
    standin.send_text(user, "/isi pendataan")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

MAX_POLL_SECONDS = 50.0
_TRUE = b'{"ok":true,"result":true}'
_JSON = "application/json"

BotMessageHook = Callable[[int, str, str | None, str | None, int], None]
"""``(chat_id, method, text, reply_markup_json, message_id)`` for every message the bot sends or edits."""
FetchedHook = Callable[[list[int], float], None]
"""``(update_ids, perf_counter_time)`` when a getUpdates answer hands updates to the bot."""


@dataclass
class User:
    """A Telegram user in a private chat with the bot (chat id = user id)."""

    id: int
    first_name: str
    language_code: str = "id"
    _json: str = field(init=False, repr=False)
    _chat_json: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._json = json.dumps({"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code})
        self._chat_json = json.dumps({"id": self.id, "type": "private", "first_name": self.first_name})


class StandIn:
    """The fake Telegram; every public method must be called on the event loop it was started on."""

    def __init__(self, token: str, *, first_name: str = "ATS Bench", username: str = "ats_bench_bot", first_update_id: int = 1) -> None:
        self.token = token
        bot_id = int(token.split(":")[0])
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username,
                         "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        self._bot_json = json.dumps(self.bot_user)
        self._get_me = ('{"ok":true,"result":' + self._bot_json + "}").encode()
        self.port = 0
        self.on_bot_message: BotMessageHook | None = None
        self.on_fetched: FetchedHook | None = None
        self.calls: Counter[str] = Counter()
        self.unknown: Counter[str] = Counter()
        self.last_poll = 0.0
        """perf_counter() of the latest getUpdates request: a bot polling now receives updates sent now."""
        self._pending: deque[tuple[int, str]] = deque()
        self._next_update_id = first_update_id
        """Telegram never reuses an update id: a stand-in replacing another for the same bot continues its ids."""
        self._message_ids: dict[int, int] = {}
        self._callback_ids = 0
        self._wake = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # -- lifecycle --------------------------------------------------------------------------------------------
    async def start(self) -> StandIn:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, backlog=1024).start()
        return self

    async def stop(self) -> None:
        self._wake.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def next_update_id(self) -> int:
        return self._next_update_id

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def reset(self) -> None:
        """Forget pending updates and counters (before a new bot process starts polling)."""
        self._pending.clear()
        self._message_ids.clear()
        self.calls.clear()
        self.unknown.clear()
        self.last_poll = 0.0

    # -- what users do ----------------------------------------------------------------------------------------
    def send_text(self, user: User, text: str) -> int:
        """The user sends ``text``; returns the update id (available to getUpdates from now on)."""
        message_id = self._new_message_id(user.id)
        entities = f',"entities":[{{"type":"bot_command","offset":0,"length":{len(text.split(" ", 1)[0])}}}]' if text.startswith("/") else ""
        body = (f'"message":{{"message_id":{message_id},"date":{int(time.time())},"chat":{user._chat_json},"from":{user._json},'
                f'"text":{json.dumps(text)}{entities}}}')
        return self._push(body)

    def press(self, user: User, message_id: int, data: str) -> int:
        """The user taps an inline button with callback ``data`` under the bot's message ``message_id``."""
        self._callback_ids += 1
        message = (f'{{"message_id":{message_id},"date":{int(time.time())},"chat":{user._chat_json},"from":{self._bot_json},'
                   '"text":"\u2026"}')
        body = (f'"callback_query":{{"id":"{self._callback_ids}","from":{user._json},"message":{message},'
                f'"chat_instance":"{user.id}","data":{json.dumps(data)}}}')
        return self._push(body)

    def _push(self, body: str) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._pending.append((update_id, f'{{"update_id":{update_id},{body}}}'))
        self._wake.set()
        return update_id

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        return message_id

    # -- the Bot API ------------------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(body=b'{"ok":false,"error_code":401,"description":"Unauthorized"}', status=401, content_type=_JSON)
        method = request.match_info["method"]
        self.calls[method] += 1
        try:
            params = await _params(request)
        except ConnectionError:  # the bot gave up on this call (a cancelled long poll at shutdown)
            return web.Response(body=_TRUE, content_type=_JSON)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            return self._message(method, params)
        if method == "getMe":
            return web.Response(body=self._get_me, content_type=_JSON)
        if method == "getWebhookInfo":
            return web.Response(body=b'{"ok":true,"result":{"url":"","has_custom_certificate":false,"pending_update_count":0}}', content_type=_JSON)
        if method not in ("answerCallbackQuery", "deleteWebhook", "setMyCommands", "close", "logOut"):
            self.unknown[method] += 1
        return web.Response(body=_TRUE, content_type=_JSON)

    def _message(self, method: str, p: dict[str, str]) -> web.Response:
        chat_id = int(p["chat_id"])
        if method == "sendMessage":
            message_id = self._new_message_id(chat_id)
        else:
            message_id = int(p["message_id"])
        text = p.get("text")
        markup = p.get("reply_markup")
        inline = markup if markup and markup.lstrip().startswith('{"inline_keyboard"') else None
        shown = json.dumps(text if text is not None else "\u2026")
        extra = ',"reply_markup":' + inline if inline else ""
        body = (f'{{"ok":true,"result":{{"message_id":{message_id},"date":{int(time.time())},"chat":{{"id":{chat_id},"type":"private"}},'
                f'"from":{self._bot_json},"text":{shown}{extra}}}}}')
        hook = self.on_bot_message
        if hook is not None:
            hook(chat_id, method, text, markup, message_id)
        return web.Response(text=body, content_type=_JSON)

    async def _get_updates(self, p: dict[str, str]) -> web.Response:
        self.last_poll = time.perf_counter()
        offset = int(p.get("offset") or 0)
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = min(max(float(p.get("timeout") or 0), 0.0), MAX_POLL_SECONDS)
        pending = self._pending
        while pending and pending[0][0] < offset:  # confirmed by this offset
            pending.popleft()
        if not pending and timeout > 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        batch = [pending[i] for i in range(min(limit, len(pending)))]
        if batch and self.on_fetched is not None:
            self.on_fetched([update_id for update_id, _ in batch], time.perf_counter())
        return web.Response(text='{"ok":true,"result":[' + ",".join(body for _, body in batch) + "]}", content_type=_JSON)


async def _params(request: web.Request) -> dict[str, str]:
    """Query string plus a form-urlencoded (what PTB sends), JSON or multipart body."""
    params = dict(request.query) if request.query_string else {}
    if not request.body_exists:
        return params
    ctype = request.content_type
    if ctype == "application/x-www-form-urlencoded":
        params.update(parse_qsl((await request.read()).decode(), keep_blank_values=True))
    elif ctype == _JSON:
        body = await request.json()
        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
    else:
        for key, value in (await request.post()).items():
            params[key] = value if isinstance(value, str) else "<file>"
    return params


def inline_buttons(markup: str | None) -> dict[str, str]:
    """``{button text: callback data}`` of an inline keyboard as PTB sent it."""
    if not markup:
        return {}
    rows: list[list[dict[str, Any]]] = json.loads(markup).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row if "callback_data" in b}

"""The test-control API: start the fake Telegram, make users, inject failures, read what the bot did."""

from __future__ import annotations

import copy
import dataclasses
import http
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from .methods import canonical
from .server import Server
from .state import ApiError, Call, State, StoredFile, now
from .users import User

DEFAULT_TOKEN = "5550001234:AAE-ats-bot-emulator-token"


class BotApiEmulator:
    """A local Telegram Bot API for end-to-end tests; point the bot's base_url/base_file_url at it.

    All methods are thread-safe and synchronous: the server runs in its own thread.
    """

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, first_name: str = "ATS Bot", username: str = "ats_test_bot"
    ) -> None:
        self._st = State(token, first_name, username)
        self._server = Server(self._st)
        self._users: dict[int, User] = {}
        self._user_ids = itertools.count(1001)

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> BotApiEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> BotApiEmulator:  # noqa: PYI034  (start() returns the running emulator)
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def token(self) -> str:
        return self._st.token

    @property
    def base_url(self) -> str:
        """For PTB's ``base_url``: requests go to ``{base_url}{token}/{method}``."""
        return f"http://127.0.0.1:{self._server.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For PTB's ``base_file_url``: downloads come from ``{base_file_url}{token}/{file_path}``."""
        return f"http://127.0.0.1:{self._server.port}/file/bot"

    @property
    def bot(self) -> dict[str, Any]:
        """The bot's User object (id, is_bot, first_name, username)."""
        return copy.deepcopy(self._st.bot)

    # --- users --------------------------------------------------------------------

    def user(
        self,
        user_id: int | None = None,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
    ) -> User:
        """The user with this id, created on first call (later calls return the same handle)."""
        with self._st.lock:
            user_id = user_id if user_id is not None else next(self._user_ids)
            if user_id not in self._users:
                wire: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
                optional = {"last_name": last_name, "username": username, "language_code": language_code}
                wire.update({k: v for k, v in optional.items() if v is not None})
                self._users[user_id] = User(self._st, self._st.add_chat(wire))
            return self._users[user_id]

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to the chat fail with 403 and the bot gets a my_chat_member update."""
        self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> None:
        """The user restarts the bot: sends work again and the bot gets a my_chat_member update."""
        self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> None:
        with self._st.lock:
            chat = self._st.chat(user_id)
            if chat.blocked == blocked:
                return
            chat.blocked = blocked
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            self._st.queue_update(
                {
                    "my_chat_member": {
                        "chat": chat.wire,
                        "from": chat.user,
                        "date": now(),
                        "old_chat_member": self._bot_member(old),
                        "new_chat_member": self._bot_member(new),
                    }
                }
            )

    def _bot_member(self, status: str) -> dict[str, Any]:
        return {"user": self._st.bot, "status": status, **({"until_date": 0} if status == "kicked" else {})}

    # --- failure injection ------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail; ``retry_after`` is sent with 429 only."""
        if description is None:
            phrase = http.HTTPStatus(error_code).phrase
            description = f"{phrase}: retry after {retry_after}" if error_code == 429 else phrase
        error = ApiError(error_code, description, retry_after if error_code == 429 else None)
        with self._st.lock:
            self._st.failures.setdefault(canonical(method), []).extend([error] * times)

    # --- updates ------------------------------------------------------------------

    def queue_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any Update object; ``update_id`` is assigned when missing. Returns the queued update."""
        return self._st.queue_update(update)

    def redeliver(self, update_id: int) -> None:
        """Deliver an already queued (even confirmed) update once more, with the same update_id."""
        self._st.redeliver(update_id)

    def pending_updates(self) -> int:
        """Updates queued but not yet confirmed by the bot's offset."""
        return self._st.pending_count

    # --- observing --------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """The bot's requests in arrival order (copies); downloads appear as method "downloadFile"."""
        return self._st.copy_calls(canonical(method) if method else None)

    def wait_for_call(
        self,
        method: str,
        *,
        after: float | None = None,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> Call:
        """The first call of ``method`` that arrived after monotonic time ``after`` and matches ``predicate``."""
        name, deadline = canonical(method), time.monotonic() + timeout
        with self._st.changed:
            while True:
                for call in self._st.calls:
                    if (
                        call.method == name
                        and (after is None or call.time > after)
                        and (predicate is None or predicate(call))
                    ):
                        return dataclasses.replace(call)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._st.closed:
                    raise AssertionError(f"the bot made no matching {name} call within {timeout}s")
                self._st.changed.wait(remaining)

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """The commands set for exactly this scope and language (what getMyCommands returns)."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        with self._st.lock:
            return copy.deepcopy(self._st.commands.get(key, []))

    def webhook_info(self) -> dict[str, Any]:
        """The webhook as set by setWebhook (record only: nothing is delivered to it)."""
        with self._st.lock:
            return {**self._st.webhook, "pending_update_count": self._st.pending_count}

    def file(self, file_id: str) -> StoredFile:
        """A file by id, whether a user uploaded it or the bot sent it."""
        with self._st.lock:
            return self._st.files[file_id]

"""Everything the emulated Telegram knows, behind one lock.

The HTTP thread (the bot's requests) and the pytest thread (users acting) both
change it; tests block on ``changed`` until the bot reacts, and long polls are
woken through ``wake`` from whichever thread queued an update.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Telegram's default when a bot never set allowed_updates: everything but these.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


class ApiError(Exception):
    """A Bot API error; the server turns it into ``{"ok": false, ...}`` with that HTTP status."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class StoredFile:
    """A file uploaded by a user or the bot; downloadable at ``file_path``."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as the user sees it at one moment.

    ``reply_markup`` is what the bot sent (reply keyboards included, though Telegram
    returns only inline keyboards in ``raw``); ``text`` is the text or caption with
    formatting stripped, as shown to the user (empty for a message with neither).
    """

    message_id: int
    chat_id: int
    kind: str
    text: str
    reply_markup: dict[str, Any] | None
    parse_mode: str | None
    edited: bool
    deleted: bool
    raw: dict[str, Any]
    file: StoredFile | None = None

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        rows: list[list[dict[str, Any]]] = (self.reply_markup or {}).get("inline_keyboard", [])
        return rows

    @property
    def keyboard(self) -> list[list[str]]:
        """The reply keyboard's button texts, row by row; empty when there is none."""
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.inline_keyboard for b in row]

    def find_button(self, text_or_data: str) -> dict[str, Any] | None:
        """The inline button whose text or callback_data is ``text_or_data``."""
        for row in self.inline_keyboard:
            for button in row:
                if text_or_data in (button.get("text"), button.get("callback_data")):
                    return button
        return None


@dataclass
class Call:
    """One request the bot made; ``time`` is ``time.monotonic()`` at arrival."""

    method: str
    params: dict[str, Any]
    time: float
    error_code: int | None = None
    result: Any = None
    done: bool = False


@dataclass(frozen=True)
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass
class Msg:
    """A stored message; ``wire`` is the Message object as the API returns it."""

    wire: dict[str, Any]
    from_bot: bool
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    file: StoredFile | None = None
    deleted: bool = False


@dataclass
class Chat:
    """A private chat with one user; message ids are shared by both sides, like Telegram's."""

    user: dict[str, Any]
    messages: dict[int, Msg] = field(default_factory=dict)
    events: list[tuple[int, BotMessage]] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def wire(self) -> dict[str, Any]:
        chat = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        chat.update({k: self.user[k] for k in ("last_name", "username") if k in self.user})
        return chat


@dataclass
class _Queued:
    update: dict[str, Any]
    redelivery: bool = False
    delivered: bool = False


class State:
    """The emulated Telegram; every public method takes the lock itself."""

    def __init__(self, token: str, bot_first_name: str, bot_username: str) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.token = token
        self.bot: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {"url": "", "has_custom_certificate": False}
        self.callbacks: dict[str, tuple[int, CallbackAnswer | None]] = {}
        self.failures: dict[str, list[ApiError]] = {}
        self.allowed_updates: list[str] | None = None
        self.poll_generation = 0
        self.closed = False
        self.wake: Callable[[], None] | None = None
        self._queue: list[_Queued] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._seq = 0

    # --- chats and messages -------------------------------------------------

    def add_chat(self, user: dict[str, Any]) -> Chat:
        with self.lock:
            return self.chats.setdefault(int(user["id"]), Chat(user=user))

    def chat(self, chat_id: Any) -> Chat:
        """The chat by id or ``@username``; 400 "chat not found" like Telegram."""
        with self.lock:
            if isinstance(chat_id, str):
                for chat in self.chats.values():
                    if chat_id.startswith("@") and chat.user.get("username") == chat_id[1:]:
                        return chat
            elif chat_id in self.chats:
                return self.chats[chat_id]
            raise ApiError(400, "Bad Request: chat not found")

    def add_message(
        self,
        chat: Chat,
        sender: dict[str, Any],
        content: dict[str, Any],
        *,
        reply_markup: dict[str, Any] | None = None,
        parse_mode: str | None = None,
        file: StoredFile | None = None,
    ) -> Msg:
        """Store a message; one from the bot is also an event that ``wait_for`` sees."""
        with self.lock:
            message_id = chat.next_message_id
            chat.next_message_id += 1
            wire = {"message_id": message_id, "from": sender, "chat": chat.wire, "date": now(), **content}
            msg = Msg(wire=wire, from_bot=sender["id"] == self.bot["id"], parse_mode=parse_mode, file=file)
            self.set_markup(msg, reply_markup)
            chat.messages[message_id] = msg
            if msg.from_bot:
                self.record_event(chat, msg)
            return msg

    @staticmethod
    def set_markup(msg: Msg, reply_markup: dict[str, Any] | None) -> None:
        """Keep any markup for tests; the wire Message carries only inline keyboards, as Telegram's."""
        msg.reply_markup = reply_markup
        msg.wire.pop("reply_markup", None)
        if reply_markup and reply_markup.get("inline_keyboard"):
            msg.wire["reply_markup"] = reply_markup

    def record_event(self, chat: Chat, msg: Msg) -> None:
        with self.lock:
            self._seq += 1
            chat.events.append((self._seq, self.snapshot(chat, msg)))
            self.changed.notify_all()

    def snapshot(self, chat: Chat, msg: Msg) -> BotMessage:
        wire = msg.wire
        kind = next(
            (k for k in ("text", "photo", "document", "location", "contact") if k in wire),
            "other",
        )
        return BotMessage(
            message_id=wire["message_id"],
            chat_id=chat.id,
            kind=kind,
            text=wire.get("text", wire.get("caption")) or "",
            reply_markup=copy.deepcopy(msg.reply_markup),
            parse_mode=msg.parse_mode,
            edited="edit_date" in wire,
            deleted=msg.deleted,
            raw=copy.deepcopy(wire),
            file=msg.file,
        )

    @property
    def seq(self) -> int:
        with self.lock:
            return self._seq

    # --- files ----------------------------------------------------------------

    def store_file(
        self, data: bytes, folder: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        with self.lock:
            n = next(self._file_ids)
            suffix = "." + file_name.rsplit(".", 1)[1] if file_name and "." in file_name else ""
            if not suffix and folder == "photos":
                suffix = ".jpg"
            stored = StoredFile(
                file_id=f"{folder[:2].upper()}AC{n:06d}{secrets.token_hex(8)}",
                file_unique_id=f"AQAD{n:06d}",
                file_path=f"{folder}/file_{n}{suffix}",
                data=data,
                file_name=file_name,
                mime_type=mime_type,
            )
            self.files[stored.file_id] = stored
            return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        with self.lock:
            return next((f for f in self.files.values() if f.file_path == file_path), None)

    # --- updates --------------------------------------------------------------

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates, unless allowed_updates excludes its type (Telegram drops those)."""
        with self.lock:
            update_id = update.get("update_id", next(self._update_ids))
            update = {"update_id": update_id, **copy.deepcopy({k: v for k, v in update.items() if k != "update_id"})}
            kind = next((k for k in update if k != "update_id"), None)
            if kind is None:
                raise ValueError("an update needs a payload such as 'message'")
            allowed = self.allowed_updates
            if (kind in allowed) if allowed else (kind not in OPT_IN_UPDATES):
                self._queue.append(_Queued(update))
                self._history[update["update_id"]] = update
                self._wake()
            return copy.deepcopy(update)

    def redeliver(self, update_id: int) -> None:
        """Deliver an update once more, confirmed or not, as Telegram does after a lost confirmation."""
        with self.lock:
            if update_id not in self._history:
                raise KeyError(f"update {update_id} was never queued")
            self._queue.append(_Queued(copy.deepcopy(self._history[update_id]), redelivery=True))
            self._wake()

    def begin_poll(self, offset: int | None, allowed: list[str] | None) -> int:
        """Confirm updates below ``offset`` and supersede any pending long poll; returns this poll's generation."""
        with self.lock:
            if allowed is not None:
                self.allowed_updates = allowed
            queue = [q for q in self._queue if not (q.redelivery and q.delivered)]
            if offset is not None and offset < 0:
                queue = queue[offset:]
            elif offset is not None:
                queue = [q for q in queue if q.redelivery or q.update["update_id"] >= offset]
            self._queue = queue
            self.poll_generation += 1
            self._wake()
            return self.poll_generation

    def take_updates(self, limit: int) -> list[dict[str, Any]]:
        """Pending updates, oldest first; they stay pending until a later offset confirms them."""
        with self.lock:
            batch = self._queue[:limit]
            for queued in batch:
                queued.delivered = True
            return [copy.deepcopy(q.update) for q in batch]

    def drop_pending(self) -> None:
        with self.lock:
            self._queue.clear()

    @property
    def pending_count(self) -> int:
        with self.lock:
            return len(self._queue)

    def _wake(self) -> None:
        if self.wake is not None:
            self.wake()

    # --- callbacks, calls, failure injection ----------------------------------

    def new_callback(self, user_id: int) -> str:
        with self.lock:
            query_id = f"{self.bot['id']}{next(self._callback_ids):08d}"
            self.callbacks[query_id] = (user_id, None)
            return query_id

    def record_call(self, method: str, params: dict[str, Any]) -> Call:
        with self.lock:
            call = Call(method=method, params=params, time=time.monotonic())
            self.calls.append(call)
            self.changed.notify_all()
            return call

    def finish_call(self, call: Call, result: Any = None, error: ApiError | None = None) -> None:
        with self.lock:
            call.result, call.error_code, call.done = result, error.code if error else None, True
            self.changed.notify_all()

    def copy_calls(self, method: str | None = None) -> list[Call]:
        with self.lock:
            return [dataclasses.replace(c) for c in self.calls if method is None or c.method == method]

    def check_failure(self, method: str) -> None:
        """Raise the next injected failure for ``method``, if any."""
        with self.lock:
            pending = self.failures.get(method)
            if pending:
                raise pending.pop(0)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._wake()
            self.wake = None
            self.changed.notify_all()


def now() -> int:
    """Unix seconds, the Bot API's date unit."""
    return int(time.time())

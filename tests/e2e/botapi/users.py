"""Test-side handles: a user in a private chat with the bot, driven synchronously by pytest."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

from .formatting import utf16_len
from .media import store_photo
from .state import BotMessage, CallbackAnswer, Chat, Msg, State

_BOT_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")

Predicate = Callable[[BotMessage], bool]


class User:
    """A Telegram user chatting privately with the bot.

    Every action queues the update Telegram would send and returns it (a dict with
    ``update_id``). ``wait_for`` looks at what the bot sent or edited since this
    user's last action (or ``mark()``), including what arrived before the call, so
    ``u.send("/start"); u.wait_text("Selamat")`` cannot miss a fast reply.
    """

    def __init__(self, st: State, chat: Chat) -> None:
        self._st = st
        self._chat = chat
        self._mark = st.seq
        self._last_query_id: str | None = None

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def language_code(self) -> str | None:
        return self._chat.user.get("language_code")

    @property
    def wire(self) -> dict[str, Any]:
        """The User object the bot sees in ``from``."""
        return copy.deepcopy(self._chat.user)

    # --- acting -------------------------------------------------------------

    def send(self, text: str, *, reply_to: BotMessage | int | None = None) -> dict[str, Any]:
        """A text message; ``/commands`` get ``bot_command`` entities like Telegram's."""
        entities = [
            {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
            for m in _BOT_COMMAND.finditer(text)
        ]
        content: dict[str, Any] = {"text": text, **({"entities": entities} if entities else {})}
        with self._st.lock:
            if reply_to is not None:
                replied = copy.deepcopy(self._find(reply_to).wire)
                replied.pop("reply_to_message", None)
                content["reply_to_message"] = replied
            return self._post(content)

    def send_photo(self, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """A photo in Telegram's sizes (real JPEG thumbnails, original bytes last); needs image bytes."""
        with self._st.lock:
            sizes, largest = store_photo(self._st, data)
            return self._post({"photo": sizes, **({"caption": caption} if caption else {})}, file=largest)

    def send_document(
        self, data: bytes, filename: str, mime_type: str = "application/octet-stream", caption: str | None = None
    ) -> dict[str, Any]:
        with self._st.lock:
            stored = self._st.store_file(data, "documents", filename, mime_type)
            document = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": filename,
                "mime_type": mime_type,
                "file_size": stored.size,
            }
            return self._post({"document": document, **({"caption": caption} if caption else {})}, file=stored)

    def send_location(
        self, latitude: float, longitude: float, horizontal_accuracy: float | None = None
    ) -> dict[str, Any]:
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        return self._post({"location": location})

    def send_contact(
        self, phone_number: str, first_name: str | None = None, last_name: str | None = None, *, own: bool = True
    ) -> dict[str, Any]:
        """A shared contact; ``own=True`` is the user's own number (with ``user_id``), as request_contact sends."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self._chat.user["first_name"],
        }
        if last_name:
            contact["last_name"] = last_name
        if own:
            contact["user_id"] = self.id
        return self._post({"contact": contact})

    def press(self, button: str, message: BotMessage | int | None = None) -> dict[str, Any]:
        """Tap an inline button by text or callback_data, on ``message`` or the newest bot message that has it."""
        with self._st.lock:
            if message is not None:
                candidates = [self._find(message)]
            else:
                candidates = [m for m in reversed(self._chat.messages.values()) if m.from_bot and not m.deleted]
            for msg in candidates:
                found = self._st.snapshot(self._chat, msg).find_button(button)
                if found is not None:
                    if "callback_data" not in found:
                        raise ValueError(f"button {button!r} has no callback_data, so tapping it sends the bot nothing")
                    return self._callback(msg, found["callback_data"])
            shown = [self._st.snapshot(self._chat, m).button_texts() for m in candidates[:3]]
            raise LookupError(f"no inline button {button!r}; newest messages show {shown}")

    def press_stale(self, message: BotMessage | int, data: str) -> dict[str, Any]:
        """Send ``data`` as if tapped on ``message`` even if its keyboard has changed since (an old client view)."""
        with self._st.lock:
            return self._callback(self._find(message), data)

    def mark(self) -> None:
        """Make ``wait_for`` look only at what the bot sends from now on (e.g. before a scheduled reminder)."""
        self._mark = self._st.seq

    # --- observing ----------------------------------------------------------

    def messages(self, *, include_deleted: bool = True) -> list[BotMessage]:
        """Everything the bot sent to this chat, oldest first, as it looks now (after edits)."""
        with self._st.lock:
            return [
                self._st.snapshot(self._chat, m)
                for m in self._chat.messages.values()
                if m.from_bot and (include_deleted or not m.deleted)
            ]

    def last(self) -> BotMessage:
        """The bot's newest message in this chat, as it looks now."""
        sent = self.messages()
        if not sent:
            raise AssertionError(f"the bot has sent nothing to user {self.id}")
        return sent[-1]

    def wait_for(self, predicate: Predicate | None = None, timeout: float = 10.0) -> BotMessage:
        """The first message sent or edited since the last action that matches, as it was at that moment."""
        deadline = time.monotonic() + timeout
        with self._st.changed:
            while True:
                for seq, snap in self._chat.events:
                    if seq > self._mark and (predicate is None or predicate(snap)):
                        return snap
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._st.closed:
                    since = [(s.message_id, s.text) for seq, s in self._chat.events if seq > self._mark]
                    raise AssertionError(
                        f"no matching bot message for user {self.id} within {timeout}s; "
                        f"sent or edited since the last action: {since}"
                    )
                self._st.changed.wait(remaining)

    def wait_text(self, substring: str, timeout: float = 10.0) -> BotMessage:
        return self.wait_for(lambda m: substring in m.text, timeout)

    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's button presses, in press order."""
        with self._st.lock:
            return [a for user_id, a in self._st.callbacks.values() if user_id == self.id and a is not None]

    def wait_answer(self, timeout: float = 10.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery for this user's latest press."""
        deadline = time.monotonic() + timeout
        with self._st.changed:
            while True:
                _, answer = self._st.callbacks.get(self._last_query_id or "", (0, None))
                if answer is not None:
                    return answer
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._st.closed:
                    raise AssertionError(
                        f"the bot did not answer callback query {self._last_query_id} within {timeout}s"
                    )
                self._st.changed.wait(remaining)

    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard this user currently sees: the latest one sent, unless removed since."""
        for msg in reversed(self.messages(include_deleted=True)):
            if msg.keyboard:
                return msg.keyboard
            if (msg.reply_markup or {}).get("remove_keyboard"):
                return None
        return None

    def command_menu(self) -> list[dict[str, str]]:
        """The "/" menu this user sees, resolved by scope and language the way Telegram does."""
        scopes = [{"type": "chat", "chat_id": self.id}, {"type": "all_private_chats"}, {"type": "default"}]
        languages = [self.language_code, ""] if self.language_code else [""]
        with self._st.lock:
            for scope in scopes:
                for language in languages:
                    key = (json.dumps(scope, sort_keys=True), language)
                    if key in self._st.commands:
                        return copy.deepcopy(self._st.commands[key])
        return []

    # --- internals ----------------------------------------------------------

    def _post(self, content: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        with self._st.lock:
            if self._chat.blocked:
                raise RuntimeError(f"user {self.id} has blocked the bot; emu.unblock() first")
            msg = self._st.add_message(self._chat, self.wire, content, **kwargs)
            self._mark = self._st.seq
            return self._st.queue_update({"message": msg.wire})

    def _callback(self, msg: Msg, data: str) -> dict[str, Any]:
        query_id = self._st.new_callback(self.id)
        query = {
            "id": query_id,
            "from": self.wire,
            "message": copy.deepcopy(msg.wire),
            "chat_instance": f"{self._st.bot['id']}{self.id}",
            "data": data,
        }
        self._mark, self._last_query_id = self._st.seq, query_id
        return self._st.queue_update({"callback_query": query})

    def _find(self, message: BotMessage | int) -> Msg:
        message_id = message if isinstance(message, int) else message.message_id
        msg = self._chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise LookupError(f"message {message_id} is not in the chat with user {self.id}")
        return msg

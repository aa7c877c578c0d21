"""Drive the bot's turn (``Conversations.process``) without Telegram: the seam the router calls."""

from __future__ import annotations

import itertools
from typing import Any

from bot.conversation import Conversations
from bot.model import Incoming, Kind, TurnResult
from bot.store import BotStore
from storage.db import Database
from tests.reports.conftest import TODAY


class Chat:
    """One person's side of a chat with the bot, by Telegram user id (who already exists in ``world``)."""

    _updates = itertools.count(1)

    def __init__(self, db: Database, user_id: int, name: str = "Tester") -> None:
        self.conversations = Conversations(BotStore(db), today=lambda: TODAY)
        self.user_id, self.name = user_id, name

    def _send(self, kind: Kind, **fields: Any) -> TurnResult:
        incoming = Incoming(update_id=next(self._updates), user_id=self.user_id, chat_id=self.user_id, name=self.name,
                            language_hint="id", kind=kind, **fields)
        return self.conversations.process(incoming)

    def command(self, command: str, args: str = "") -> TurnResult:
        return self._send(Kind.COMMAND, command=command, text=args)

    def text(self, text: str) -> TurnResult:
        return self._send(Kind.TEXT, text=text)

    def press(self, data: str, message_id: int = 1) -> TurnResult:
        return self._send(Kind.CALLBACK, data=data, message_id=message_id)

    def document(self, content: bytes, filename: str) -> TurnResult:
        return self._send(Kind.DOCUMENT, value={"filename": filename, "content": content})

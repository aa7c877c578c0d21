"""Receive a photo from Telegram: the largest size, within the limit, kept on disk for the coordinators."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from telegram import Message
from telegram.error import NetworkError, TelegramError

from bot import texts as T
from storage.db import Database
from storage.repositories.files import keep_file

MAX_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""The Bot API's download limit: larger lists go through ``ats-bot import`` on the server."""


async def receive_photo(message: Message, files_dir: Path, db: Database) -> tuple[Any, str | None]:
    """``(value, None)`` with the engine's photo value, or ``(None, message id)`` saying why not.

    Images sent "as a file" (documents) are accepted too, since many phones send the original that way.
    """
    if message.photo:
        best = message.photo[-1]
        file_id, unique_id, size, mime = best.file_id, best.file_unique_id, best.file_size, "image/jpeg"
    elif message.document and (sent_as := message.document.mime_type or "").startswith("image/"):
        doc = message.document
        file_id, unique_id, size, mime = doc.file_id, doc.file_unique_id, doc.file_size, sent_as
    else:
        return None, T.NOT_A_PHOTO_FILE
    if size is not None and size > MAX_BYTES:
        return {"file_id": file_id, "size": size}, None  # the engine explains the limit in the person's language
    try:
        tg_file = await message.get_bot().get_file(file_id)
        content = bytes(await tg_file.download_as_bytearray())
    except (NetworkError, TelegramError):
        return None, T.PHOTO_FAILED
    digest = hashlib.sha256(content).hexdigest()

    def keep() -> int:  # encrypted on disk (storage.repositories.files)
        return keep_file(db, files_dir, content, telegram_file_id=file_id, telegram_unique_id=unique_id, mime=mime).id

    stored_id = await asyncio.to_thread(keep)
    return {"file_id": file_id, "stored_file": stored_id, "size": len(content), "sha256": digest}, None


async def receive_document(message: Message) -> tuple[Any, str | None]:
    """A file that is not a photo (an XLSX or CSV list): ``({"filename", "content"}, None)`` or ``(None, message id)``."""
    doc = message.document
    if doc is None or (doc.file_size or 0) > MAX_DOCUMENT_BYTES:
        return None, T.NOT_A_LIST_FILE
    try:
        content = bytes(await (await message.get_bot().get_file(doc.file_id)).download_as_bytearray())
    except (NetworkError, TelegramError):
        return None, T.PHOTO_FAILED
    return {"filename": doc.file_name or "list.xlsx", "content": content}, None

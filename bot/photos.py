"""Receive a photo from Telegram: the largest size, within the limit, downloaded for the turn to keep (encrypted on
disk for the coordinators, its row in the turn's one transaction: :class:`bot.model.Upload`)."""

from __future__ import annotations

import hashlib
from typing import Any

from telegram import Message
from telegram.error import NetworkError, TelegramError

from bot import texts as T
from bot.model import Upload

MAX_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""The Bot API's download limit: larger lists go through ``ats-bot import`` on the server."""


async def receive_photo(message: Message) -> tuple[Any, Upload | None, str | None]:
    """``(value, upload, None)`` with the engine's photo value and the content for the turn to keep, or
    ``(None, None, message id)`` saying why not.

    Images sent "as a file" (documents) are accepted too, since many phones send the original that way.
    """
    if message.photo:
        best = message.photo[-1]
        file_id, unique_id, size, mime = best.file_id, best.file_unique_id, best.file_size, "image/jpeg"
    elif message.document and (sent_as := message.document.mime_type or "").startswith("image/"):
        doc = message.document
        file_id, unique_id, size, mime = doc.file_id, doc.file_unique_id, doc.file_size, sent_as
    else:
        return None, None, T.NOT_A_PHOTO_FILE
    if size is not None and size > MAX_BYTES:
        return {"file_id": file_id, "size": size}, None, None  # the engine explains the limit in the person's language
    try:
        tg_file = await message.get_bot().get_file(file_id)
        content = bytes(await tg_file.download_as_bytearray())
    except (NetworkError, TelegramError):
        return None, None, T.PHOTO_FAILED
    value = {"file_id": file_id, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    return value, Upload(content, file_id, unique_id, mime), None


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

"""Errors the repositories raise, for the bot to turn into messages."""

from __future__ import annotations


class StorageError(Exception):
    """Base class of storage's own errors."""


class NotFoundError(StorageError):
    """The record does not exist."""


class DraftClosedError(StorageError):
    """The draft was already submitted or cancelled (e.g. in another chat or by a double tap)."""


class StaleDraftError(StorageError):
    """Someone saved this draft since it was read: reload it and apply the answer again."""

    def __init__(self, draft_id: int, expected_version: int, actual_version: int) -> None:
        super().__init__(f"draft {draft_id} is at version {actual_version}, not {expected_version}")
        self.draft_id = draft_id
        self.expected_version = expected_version
        self.actual_version = actual_version

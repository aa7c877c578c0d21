"""What one turn of a conversation takes in and gives out, without Telegram types.

The router turns a Telegram update into an :class:`Incoming`; the conversation logic answers with
:class:`Reply` objects; the sender turns those into Bot API calls. Keeping Telegram at the edges lets the whole
dialogue run in a worker thread next to the database and keeps it testable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(str, Enum):
    COMMAND = "command"
    TEXT = "text"
    CALLBACK = "callback"
    PHOTO = "photo"
    LOCATION = "location"
    DOCUMENT = "document"
    OTHER = "other"


@dataclass(frozen=True)
class Upload:
    """A received photo, downloaded: the turn keeps it (encrypted) in its own unit of work, so the file's row
    commits with the answer it belongs to (:func:`storage.repositories.files.keep`)."""

    content: bytes = field(repr=False)
    file_id: str
    unique_id: str
    mime: str


@dataclass(frozen=True)
class Incoming:
    """One update as the conversation sees it."""

    update_id: int
    user_id: int
    chat_id: int
    name: str
    language_hint: str | None
    kind: Kind
    text: str = ""
    command: str = ""
    data: str = ""
    """Callback data of a pressed button."""
    message_id: int | None = None
    """The message a pressed button belongs to."""
    value: Any = None
    """A location dict, or a received photo as the engine's photo value (``stored_file``, the kept file's id, is
    added by the turn that keeps :attr:`upload`)."""
    upload: Upload | None = field(default=None, compare=False)
    """The content of a received photo, for the turn to keep."""
    problem: str | None = None
    """Why a photo could not be received (message id), if it could not."""
    progress: Callable[[str], None] | None = field(default=None, compare=False, repr=False)
    """Tells the person how a long turn (an import) is going: one message, edited as it goes (see the router)."""


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    request_location: bool = False


@dataclass
class Reply:
    """A message to send, or an earlier one to edit."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    reply_keyboard: list[list[Button]] | None = None
    """A keyboard under the text box (the location button); ``[]`` removes one."""
    edit_message_id: int | None = None
    photo: bytes | None = None
    """Send as a photo with ``text`` as its caption (a QR code, a chart)."""
    document: tuple[str, bytes] | None = None
    """Send as a file: ``(filename, content)`` (a PDF to print and sign, an export)."""
    live: bool = False
    """This message carries the person's live buttons: remember its id to close them later."""
    without_preface: str | None = None
    """The text without the lines carried above it (an answer's record): sent instead when Telegram refuses
    the whole, so the question still goes out."""


@dataclass
class TurnResult:
    replies: list[Reply] = field(default_factory=list)
    notifications: list[tuple[int, Reply]] = field(default_factory=list)
    """Messages for other people's chats (the village team hears of a request or a proposal)."""
    callback_notice: str | None = None
    """Text for the little notice Telegram shows after a button press."""
    close_message_id: int | None = None
    """An older message whose buttons should disappear (they belonged to a closed question)."""
    nonce: str | None = None
    """The nonce of the live keyboard sent this turn, so its message id can be stored with it."""
    person_id: int | None = None
    duplicate: bool = False
    outcome: str = ""
    """A word for the log line (never personal data)."""

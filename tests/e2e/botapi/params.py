"""Request parameters as the Bot API reads them, whatever the encoding.

PTB posts form data whose values are JSON-dumped strings (``chat_id=1001``,
``reply_markup={"inline_keyboard": ...}``) and multipart when it uploads files;
other clients post JSON. Handlers get one typed dict either way, so a method is
written once and a test can assert on ``Call.params["chat_id"] == 1001``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .state import ApiError

INT_KEYS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "user_id",
        "max_connections",
        "live_period",
        "heading",
        "proximity_alert_radius",
    }
)
FLOAT_KEYS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
BOOL_KEYS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
JSON_KEYS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "media",
        "message_ids",
    }
)
CHAT_KEYS = frozenset({"chat_id", "from_chat_id"})


@dataclass(frozen=True)
class Upload:
    """A file the client uploaded in a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


def normalize(raw: dict[str, Any]) -> dict[str, Any]:
    """Type the known keys and resolve ``attach://name`` references to their uploads."""
    uploads = {k: v for k, v in raw.items() if isinstance(v, Upload)}
    attached: set[str] = set()
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in uploads:
                raise ApiError(400, f"Bad Request: file {name!r} must be uploaded as multipart")
            attached.add(name)
            value = uploads[name]
        params[key] = _typed(key, value)
    for name in attached:
        params.pop(name, None)
    return params


def _typed(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if key in CHAT_KEYS:
            return int(value) if value.lstrip("-").isdigit() else value
        if key in INT_KEYS:
            return int(value)
        if key in FLOAT_KEYS:
            return float(value)
        if key in BOOL_KEYS:
            return value.lower() in ("true", "1")
        if key in JSON_KEYS:
            return json.loads(value)
    except ValueError as exc:
        raise ApiError(400, f"Bad Request: can't parse {key}: {value!r}") from exc
    return value

"""Bot API methods: each takes the typed params and returns the ``result`` or raises ApiError.

Errors use Telegram's own descriptions, because bots branch on them (e.g.
"message is not modified", "bot was blocked by the user").
getUpdates lives in the server, since it waits.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from .formatting import parse, utf16_len
from .media import store_photo
from .params import Upload
from .state import ApiError, CallbackAnswer, Chat, Msg, State, StoredFile, now

Handler = Callable[[State, dict[str, Any]], Any]
METHODS: dict[str, tuple[str, Handler]] = {}
"""Lower-cased name → (canonical name, handler): Telegram's method names are case-insensitive."""

_BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "web_app",
        "login_url",
        "pay",
        "callback_game",
        "copy_text",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_MAX_DOWNLOAD = 20 * 1024 * 1024


def method(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name.lower()] = (name, fn)
        return fn

    return register


def canonical(name: str) -> str:
    """The registered spelling of a method name, so ``emu.calls("sendMessage")`` finds any casing."""
    if name.lower() == "getupdates":
        return "getUpdates"
    return METHODS.get(name.lower(), (name, None))[0]


def invoke(st: State, name: str, params: dict[str, Any]) -> Any:
    with st.lock:
        st.check_failure(canonical(name))
        if name.lower() not in METHODS:
            raise ApiError(404, "Not Found")
        return METHODS[name.lower()][1](st, params)


# --- helpers --------------------------------------------------------------


def _required(p: dict[str, Any], key: str) -> Any:
    if p.get(key) in (None, ""):
        raise ApiError(400, f"Bad Request: {key} is empty")
    return p[key]


def _writable_chat(st: State, p: dict[str, Any]) -> Chat:
    chat = st.chat(_required(p, "chat_id"))
    if chat.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def _markup(p: dict[str, Any], *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate ``reply_markup`` the way Telegram rejects it (e.g. callback_data over 64 bytes)."""
    markup = p.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            for button in row:
                _check_inline_button(button)
        return copy.deepcopy(markup)
    if inline_only:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    if "keyboard" in markup:
        if any(not (b if isinstance(b, str) else b.get("text")) for row in markup["keyboard"] for b in row):
            raise ApiError(400, "Bad Request: keyboard button text is empty")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return copy.deepcopy(markup)


def _check_inline_button(button: dict[str, Any]) -> None:
    if not button.get("text"):
        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
    if len(_BUTTON_ACTIONS & button.keys()) != 1:
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= 64:
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _reply_to(chat: Chat, p: dict[str, Any]) -> dict[str, Any] | None:
    reply = p.get("reply_parameters") or {}
    message_id = reply.get("message_id", p.get("reply_to_message_id"))
    if message_id is None:
        return None
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        if reply.get("allow_sending_without_reply", p.get("allow_sending_without_reply")):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")
    replied = copy.deepcopy(target.wire)
    replied.pop("reply_to_message", None)
    return replied


def _caption(p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("caption"):
        return {}
    caption, entities = parse(p["caption"], p.get("parse_mode"), p.get("caption_entities"))
    if utf16_len(caption) > 1024:
        raise ApiError(400, "Bad Request: message caption is too long")
    return {"caption": caption, **({"caption_entities": entities} if entities else {})}


def _send(st: State, p: dict[str, Any], content: dict[str, Any], file: StoredFile | None = None) -> dict[str, Any]:
    chat = _writable_chat(st, p)
    markup = _markup(p)
    reply = _reply_to(chat, p)
    if reply:
        content = {**content, "reply_to_message": reply}
    msg = st.add_message(chat, st.bot, content, reply_markup=markup, parse_mode=p.get("parse_mode"), file=file)
    return copy.deepcopy(msg.wire)


def _input_file(st: State, p: dict[str, Any], key: str) -> Upload | StoredFile:
    """An upload, or a file already on the server by file_id; URLs can't be fetched here."""
    value = p.get(key)
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value in st.files:
        return st.files[value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        raise ApiError(400, "Bad Request: failed to get HTTP URL content")
    if not value:
        raise ApiError(400, f"Bad Request: there is no {key} in the request")
    raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")


def _editable(st: State, p: dict[str, Any]) -> tuple[Chat, Msg]:
    if p.get("inline_message_id"):
        raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
    chat = _writable_chat(st, p)
    msg = chat.messages.get(_required(p, "message_id"))
    if msg is None or msg.deleted:
        raise ApiError(400, "Bad Request: message to edit not found")
    if not msg.from_bot:
        raise ApiError(400, "Bad Request: message can't be edited")
    return chat, msg


def _apply_edit(
    st: State, chat: Chat, msg: Msg, changes: dict[str, Any], markup: dict[str, Any] | None
) -> dict[str, Any]:
    """Apply an edit; without new markup the inline keyboard goes, as on Telegram."""
    new_wire = {k: v for k, v in msg.wire.items() if k not in changes}
    new_wire.update({k: v for k, v in changes.items() if v})
    inline_before = msg.wire.get("reply_markup")
    if new_wire == msg.wire and markup == inline_before:
        raise ApiError(
            400,
            "Bad Request: message is not modified: specified new message content and reply markup "
            "are exactly the same as a current content and reply markup of the message",
        )
    new_wire.pop("edit_date", None)
    msg.wire = {**new_wire, "edit_date": max(now(), msg.wire["date"])}
    st.set_markup(msg, markup if markup or inline_before else msg.reply_markup)
    st.record_event(chat, msg)
    return copy.deepcopy(msg.wire)


# --- identity, updates, webhook ---------------------------------------------


@method("getMe")
def get_me(st: State, p: dict[str, Any]) -> dict[str, Any]:
    return {
        **st.bot,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("setWebhook")
def set_webhook(st: State, p: dict[str, Any]) -> bool:
    st.webhook = {"url": p.get("url") or "", "has_custom_certificate": False}
    for key in ("max_connections", "allowed_updates", "secret_token"):
        if key in p:
            st.webhook[key] = p[key]
    if p.get("drop_pending_updates"):
        st.drop_pending()
    return True


@method("deleteWebhook")
def delete_webhook(st: State, p: dict[str, Any]) -> bool:
    st.webhook = {"url": "", "has_custom_certificate": False}
    if p.get("drop_pending_updates"):
        st.drop_pending()
    return True


@method("getWebhookInfo")
def get_webhook_info(st: State, p: dict[str, Any]) -> dict[str, Any]:
    info = {k: v for k, v in st.webhook.items() if k != "secret_token"}
    return {**info, "pending_update_count": st.pending_count}


# --- commands ---------------------------------------------------------------


def _commands_key(p: dict[str, Any]) -> tuple[str, str]:
    scope = p.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.get("language_code") or ""


@method("setMyCommands")
def set_my_commands(st: State, p: dict[str, Any]) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    for command in commands:
        if not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    st.commands[_commands_key(p)] = [{"command": c["command"], "description": c["description"]} for c in commands]
    return True


@method("getMyCommands")
def get_my_commands(st: State, p: dict[str, Any]) -> list[dict[str, str]]:
    return copy.deepcopy(st.commands.get(_commands_key(p), []))


@method("deleteMyCommands")
def delete_my_commands(st: State, p: dict[str, Any]) -> bool:
    st.commands.pop(_commands_key(p), None)
    return True


def _accept(st: State, p: dict[str, Any]) -> bool:
    """Profile settings a bot may set at startup; recorded in ``emu.calls`` only."""
    return True


for _name in ("setMyDescription", "setMyShortDescription", "setMyName", "setChatMenuButton"):
    method(_name)(_accept)


# --- sending ------------------------------------------------------------------


@method("sendMessage")
def send_message(st: State, p: dict[str, Any]) -> dict[str, Any]:
    text, entities = parse(str(_required(p, "text")), p.get("parse_mode"), p.get("entities"))
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    if p.get("link_preview_options"):
        content["link_preview_options"] = p["link_preview_options"]
    return _send(st, p, content)


@method("sendPhoto")
def send_photo(st: State, p: dict[str, Any]) -> dict[str, Any]:
    _writable_chat(st, p)
    source = _input_file(st, p, "photo")
    try:
        sizes, largest = store_photo(st, source.data)
    except ValueError as exc:
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from exc
    return _send(st, p, {"photo": sizes, **_caption(p)}, file=largest)


@method("sendDocument")
def send_document(st: State, p: dict[str, Any]) -> dict[str, Any]:
    _writable_chat(st, p)
    source = _input_file(st, p, "document")
    if isinstance(source, Upload):
        source = st.store_file(source.data, "documents", source.filename or "document", source.content_type)
    document = {
        "file_id": source.file_id,
        "file_unique_id": source.file_unique_id,
        "file_size": source.size,
        **({"file_name": source.file_name} if source.file_name else {}),
        **({"mime_type": source.mime_type} if source.mime_type else {}),
    }
    return _send(st, p, {"document": document, **_caption(p)}, file=source)


@method("sendLocation")
def send_location(st: State, p: dict[str, Any]) -> dict[str, Any]:
    latitude, longitude = float(_required(p, "latitude")), float(_required(p, "longitude"))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ApiError(400, "Bad Request: wrong coordinates specified")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    location.update({k: p[k] for k in ("horizontal_accuracy", "live_period", "heading") if p.get(k) is not None})
    return _send(st, p, {"location": location})


@method("sendChatAction")
def send_chat_action(st: State, p: dict[str, Any]) -> bool:
    _writable_chat(st, p)
    if p.get("action") not in _CHAT_ACTIONS:
        raise ApiError(400, "Bad Request: wrong parameter action in request")
    return True


# --- editing and deleting -------------------------------------------------------


@method("editMessageText")
def edit_message_text(st: State, p: dict[str, Any]) -> dict[str, Any]:
    chat, msg = _editable(st, p)
    if "text" not in msg.wire:
        raise ApiError(400, "Bad Request: there is no text in the message to edit")
    text, entities = parse(str(_required(p, "text")), p.get("parse_mode"), p.get("entities"))
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    msg.parse_mode = p.get("parse_mode")
    return _apply_edit(st, chat, msg, {"text": text, "entities": entities}, _markup(p, inline_only=True))


@method("editMessageCaption")
def edit_message_caption(st: State, p: dict[str, Any]) -> dict[str, Any]:
    chat, msg = _editable(st, p)
    if not {"photo", "document"} & msg.wire.keys():
        raise ApiError(400, "Bad Request: there is no caption in the message to edit")
    changes = {"caption": None, "caption_entities": None, **_caption(p)}
    return _apply_edit(st, chat, msg, changes, _markup(p, inline_only=True))


@method("editMessageReplyMarkup")
def edit_message_reply_markup(st: State, p: dict[str, Any]) -> dict[str, Any]:
    chat, msg = _editable(st, p)
    return _apply_edit(st, chat, msg, {}, _markup(p, inline_only=True))


@method("deleteMessage")
def delete_message(st: State, p: dict[str, Any]) -> bool:
    chat = st.chat(_required(p, "chat_id"))
    msg = chat.messages.get(_required(p, "message_id"))
    if msg is None or msg.deleted:
        raise ApiError(400, "Bad Request: message to delete not found")
    msg.deleted = True
    st.changed.notify_all()
    return True


@method("deleteMessages")
def delete_messages(st: State, p: dict[str, Any]) -> bool:
    chat = st.chat(_required(p, "chat_id"))
    for message_id in _required(p, "message_ids"):
        msg = chat.messages.get(int(message_id))
        if msg is not None:
            msg.deleted = True
    st.changed.notify_all()
    return True


# --- callbacks, files, chats --------------------------------------------------


@method("answerCallbackQuery")
def answer_callback_query(st: State, p: dict[str, Any]) -> bool:
    query_id = str(_required(p, "callback_query_id"))
    user_id, answer = st.callbacks.get(query_id, (0, None))
    if not user_id or answer is not None:
        raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
    if len(p.get("text") or "") > 200:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
    st.callbacks[query_id] = (
        user_id,
        CallbackAnswer(query_id, p.get("text"), bool(p.get("show_alert")), p.get("url"), p.get("cache_time")),
    )
    st.changed.notify_all()
    return True


@method("getFile")
def get_file(st: State, p: dict[str, Any]) -> dict[str, Any]:
    stored = st.files.get(str(_required(p, "file_id")))
    if stored is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    if stored.size > _MAX_DOWNLOAD:
        raise ApiError(400, "Bad Request: file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


@method("getChat")
def get_chat(st: State, p: dict[str, Any]) -> dict[str, Any]:
    chat = st.chat(_required(p, "chat_id"))
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"), False
    )
    return {**chat.wire, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

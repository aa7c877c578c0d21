"""The Bot API emulator speaks Telegram's protocol as python-telegram-bot 22 expects it.

Tests marked ``e2e`` run ``benchmarks/echo_bot.py`` as a real process; the rest drive a
``telegram.Bot`` in-process, so every request still goes through PTB's httpx stack.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from botapi import BotApiEmulator, Upload, sample_jpeg
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMemberBanned,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter

T = TypeVar("T")
StartBot = Callable[..., Any]
ECHO_BOT = "benchmarks/echo_bot.py"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def with_bot(emu: BotApiEmulator, fn: Callable[[Bot], Awaitable[T]], token: str | None = None) -> T:
    """Run ``fn`` with an initialized telegram.Bot pointed at the emulator."""

    async def main() -> T:
        bot = Bot(token or emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
        async with bot:
            return await fn(bot)

    return asyncio.run(main())


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in buttons]])


def delivered_ids(emu: BotApiEmulator, after: float = 0.0) -> list[int]:
    return [u["update_id"] for c in emu.calls("getUpdates") if c.time > after and c.result for u in c.result]


# --- the real bot process ----------------------------------------------------------


@pytest.mark.e2e
def test_echo_bot_round_trip(emulator: BotApiEmulator, start_bot: StartBot) -> None:
    start_bot(ECHO_BOT)
    siti = emulator.user(1001, "Siti")

    siti.send("Halo, saya relawan desa")

    reply = siti.wait_text("Halo, saya relawan desa")
    assert reply.kind == "text" and reply.raw["from"]["is_bot"] is True
    methods = [c.method for c in emulator.calls()]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    poll = emulator.calls("getUpdates")[0]
    assert poll.params["timeout"] == 10 and "allowed_updates" in poll.params
    assert emulator.calls("sendMessage")[0].params["chat_id"] == 1001


@pytest.mark.e2e
def test_long_poll_delivers_an_update_promptly(emulator: BotApiEmulator, start_bot: StartBot) -> None:
    start_bot(ECHO_BOT)
    siti = emulator.user(1001, "Siti")
    pending = emulator.wait_for_call("getUpdates", predicate=lambda c: not c.done)
    time.sleep(0.3)  # the poll is now parked on the server

    sent_at = time.monotonic()
    siti.send("cepat")
    siti.wait_text("cepat", timeout=5)

    assert time.monotonic() - sent_at < 1.0
    answered = next(c for c in emulator.calls("getUpdates") if c.result)
    assert answered.time == pending.time, "the update should answer the poll that was already waiting"


@pytest.mark.e2e
def test_offsets_confirm_updates_across_a_crash(emulator: BotApiEmulator, start_bot: StartBot) -> None:
    first_bot = start_bot(ECHO_BOT)
    siti = emulator.user(1001, "Siti")
    first_id = siti.send("satu")["update_id"]
    siti.wait_text("satu")
    emulator.wait_for_call("getUpdates", predicate=lambda c: (c.params.get("offset") or 0) > first_id)
    first_bot.kill()

    second_bot = start_bot(ECHO_BOT)
    siti.send("dua")
    siti.wait_text("dua")

    assert first_id not in delivered_ids(emulator, after=second_bot.started_at)
    assert [m.text for m in siti.messages()] == ["satu", "dua"]
    ids = delivered_ids(emulator)
    assert len(ids) == len(set(ids)) == 2


@pytest.mark.e2e
def test_rate_limiter_waits_out_a_429(emulator: BotApiEmulator, start_bot: StartBot) -> None:
    start_bot(ECHO_BOT, env={"ECHO_RATE_LIMITER": "1"})
    siti = emulator.user(1001, "Siti")
    emulator.fail_next("sendMessage", 429, retry_after=1)

    siti.send("pelan-pelan")
    siti.wait_text("pelan-pelan")

    limited, retried = emulator.calls("sendMessage")
    assert (limited.error_code, retried.error_code) == (429, None)
    assert retried.time - limited.time >= 1.0


@pytest.mark.e2e
def test_sigterm_shuts_down_cleanly_and_confirms(emulator: BotApiEmulator, start_bot: StartBot) -> None:
    bot = start_bot(ECHO_BOT)
    siti = emulator.user(1001, "Siti")
    siti.send("sampai jumpa")
    siti.wait_text("sampai jumpa")

    assert bot.stop() == 0
    assert emulator.pending_updates() == 0


# --- identity, tokens, unknown methods, encodings ------------------------------------


def test_get_me_has_the_fields_ptb_needs(emulator: BotApiEmulator) -> None:
    me = with_bot(emulator, lambda bot: bot.get_me())

    assert me.is_bot and me.username == "ats_test_bot" and me.id == emulator.bot["id"]
    assert me.can_join_groups is not None and me.supports_inline_queries is False


def test_wrong_token_raises_invalid_token(emulator: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        with_bot(emulator, lambda bot: bot.get_me(), token="999:wrong")


def test_unknown_method_is_not_found(emulator: BotApiEmulator) -> None:
    with pytest.raises(EndPointNotFound):
        with_bot(emulator, lambda bot: bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1}))


def test_json_and_query_string_requests(emulator: BotApiEmulator) -> None:
    emulator.user(1001, "Siti")
    url = f"{emulator.base_url}{emulator.token}"

    sent = httpx.post(
        f"{url}/sendMessage", json={"chat_id": 1001, "text": "json", "reply_markup": {"remove_keyboard": True}}
    )
    me = httpx.get(f"{url}/getMe")
    bad = httpx.post(f"{url}/sendMessage", json={"chat_id": 4242, "text": "x"})

    assert sent.json()["result"]["text"] == "json"
    assert me.json()["result"]["is_bot"] is True
    assert (bad.status_code, bad.json()) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )


# --- getUpdates ------------------------------------------------------------------


def test_offset_limit_and_negative_offset(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    ids = [siti.send(f"pesan {i}")["update_id"] for i in range(4)]

    async def scenario(bot: Bot) -> list[list[int]]:
        seen = [[u.update_id for u in await bot.get_updates()]]
        seen.append([u.update_id for u in await bot.get_updates(offset=ids[1], limit=2)])
        seen.append([u.update_id for u in await bot.get_updates(offset=-1)])
        seen.append([u.update_id for u in await bot.get_updates()])
        seen.append([u.update_id for u in await bot.get_updates(offset=ids[3] + 1)])
        return seen

    assert with_bot(emulator, scenario) == [ids, ids[1:3], ids[3:], ids[3:], []]
    assert emulator.pending_updates() == 0


def test_redelivery_and_raw_updates(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    first = siti.send("sekali")["update_id"]

    async def scenario(bot: Bot) -> tuple[int, list[list[int]]]:
        seen = [[u.update_id for u in await bot.get_updates()]]
        await bot.get_updates(offset=first + 1)
        emulator.redeliver(first)
        raw = emulator.queue_raw({"message": {"message_id": 99, "date": 0, "chat": {"id": 7, "type": "private"}}})
        seen.append([u.update_id for u in await bot.get_updates(offset=first + 1)])
        seen.append([u.update_id for u in await bot.get_updates(offset=raw["update_id"] + 1)])
        return raw["update_id"], seen

    raw_id, seen = with_bot(emulator, scenario)
    assert seen == [[first], [first, raw_id], []]


def test_allowed_updates_filters_new_updates(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    msg = with_bot(emulator, lambda bot: bot.send_message(1001, "pilih", reply_markup=keyboard(("Ya", "yes"))))

    async def scenario(bot: Bot) -> list[str]:
        await bot.get_updates(allowed_updates=["callback_query"])
        siti.send("diabaikan")
        siti.press("Ya", msg.message_id)
        return [("callback_query" if u.callback_query else "message") for u in await bot.get_updates()]

    assert with_bot(emulator, scenario) == ["callback_query"]


def test_long_poll_waits_for_timeout_and_wakes_on_update(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")

    async def scenario(bot: Bot) -> tuple[float, float, int]:
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()
        idle = time.monotonic() - started
        threading.Timer(0.5, siti.send, args=("bangun",)).start()
        started = time.monotonic()
        updates = await bot.get_updates(timeout=10)
        return idle, time.monotonic() - started, len(updates)

    idle, woke, count = with_bot(emulator, scenario)
    assert 0.9 <= idle < 3 and 0.4 <= woke < 2 and count == 1


def test_second_poller_terminates_the_first_with_conflict(emulator: BotApiEmulator) -> None:
    async def scenario(bot: Bot) -> None:
        first = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.3)
        async with Bot(emulator.token, base_url=emulator.base_url) as second:
            await second.get_updates(timeout=0)
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first

    with_bot(emulator, scenario)


def test_webhook_is_recorded_and_blocks_polling(emulator: BotApiEmulator) -> None:
    emulator.user(1001, "Siti").send("menunggu")

    async def scenario(bot: Bot) -> tuple[str, int]:
        await bot.set_webhook("https://example.invalid/hook", allowed_updates=["message"])
        info = await bot.get_webhook_info()
        with pytest.raises(Conflict):
            await bot.get_updates()
        await bot.delete_webhook(drop_pending_updates=True)
        return info.url, info.pending_update_count

    assert with_bot(emulator, scenario) == ("https://example.invalid/hook", 1)
    assert emulator.webhook_info()["url"] == "" and emulator.pending_updates() == 0


# --- sending, editing, deleting ------------------------------------------------------


def test_send_message_with_markup_reply_and_parse_modes(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    asked = siti.send("/start kode-desa")["message"]

    async def scenario(bot: Bot) -> list[Message]:
        return [
            await bot.send_message(1001, "<b>Selamat</b> datang &amp; terima kasih", parse_mode=ParseMode.HTML),
            await bot.send_message(1001, "Pilih:", reply_markup=keyboard(("Ya", "yes"), ("Tidak", "no"))),
            await bot.send_message(
                1001,
                "Kirim lokasi",
                reply_markup=ReplyKeyboardMarkup([[KeyboardButton("📍 Lokasi", request_location=True)]]),
            ),
            await bot.send_message(
                1001, "*Tahap 1* dari 3\\.", parse_mode=ParseMode.MARKDOWN_V2, reply_to_message_id=asked["message_id"]
            ),
        ]

    html, inline, reply_kb, markdown = with_bot(emulator, scenario)
    assert asked["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert html.text == "Selamat datang & terima kasih" and html.text_html.startswith("<b>Selamat</b>")
    assert inline.reply_markup is not None and inline.reply_markup.inline_keyboard[0][1].callback_data == "no"
    assert reply_kb.reply_markup is None, "Telegram returns only inline keyboards in Message"
    assert siti.reply_keyboard() == [["📍 Lokasi"]]
    assert markdown.text == "Tahap 1 dari 3." and markdown.reply_to_message is not None
    assert markdown.reply_to_message.message_id == asked["message_id"]
    assert [m.text for m in siti.messages()][-1] == "Tahap 1 dari 3."


def test_telegram_rejections_are_reproduced(emulator: BotApiEmulator) -> None:
    emulator.user(1001, "Siti")

    async def scenario(bot: Bot) -> list[str]:
        errors = []
        attempts: list[Callable[[], Awaitable[Any]]] = [
            lambda: bot.send_message(1001, "Langkah 1. Selesai!", parse_mode=ParseMode.MARKDOWN_V2),
            lambda: bot.send_message(1001, "1 < 2", parse_mode=ParseMode.HTML),
            lambda: bot.send_message(1001, "*tebal", parse_mode=ParseMode.MARKDOWN),
            lambda: bot.send_message(1001, "x", reply_markup=keyboard(("Ya", "x" * 65))),
            lambda: bot.send_message(1001, "x" * 4097),
            lambda: bot.send_message(1001, "x", reply_to_message_id=999),
            lambda: bot.send_message(555, "x"),
        ]
        for attempt in attempts:
            with pytest.raises(BadRequest) as caught:
                await attempt()
            errors.append(caught.value.message)
        return errors

    assert with_bot(emulator, scenario) == [
        "Can't parse entities: character '.' is reserved and must be escaped with the preceding '\\'",
        "Can't parse entities: unsupported start tag at byte offset 2",
        "Can't parse entities: can't find end of the entity starting at byte offset 0",
        "Button_data_invalid",
        "Message is too long",
        "Message to be replied not found",
        "Chat not found",
    ]


def test_edits_return_the_message_and_drop_the_keyboard_like_telegram(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")

    async def scenario(bot: Bot) -> tuple[Message, Message | bool, Message | bool]:
        sent = await bot.send_message(1001, "Langkah 1", reply_markup=keyboard(("Lanjut", "next")))
        edited = await bot.edit_message_text("Langkah 2", chat_id=1001, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("Langkah 2", chat_id=1001, message_id=sent.message_id)
        marked = await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=keyboard(("Ulang", "again")))
        return sent, edited, marked

    sent, edited, marked = with_bot(emulator, scenario)
    assert isinstance(edited, Message) and edited.text == "Langkah 2" and edited.edit_date is not None
    assert edited.reply_markup is None
    assert isinstance(marked, Message) and marked.reply_markup is not None
    assert marked.reply_markup.inline_keyboard[0][0].text == "Ulang"
    now = siti.last()
    assert (now.message_id, now.text, now.button_texts(), now.edited) == (sent.message_id, "Langkah 2", ["Ulang"], True)
    assert siti.wait_text("Langkah 1").text == "Langkah 1", "wait_for sees each send or edit as it was"


def test_delete_message_marks_it_deleted(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")

    async def scenario(bot: Bot) -> None:
        sent = await bot.send_message(1001, "sementara")
        assert await bot.delete_message(1001, sent.message_id) is True
        with pytest.raises(BadRequest, match="not found"):
            await bot.delete_message(1001, sent.message_id)
        others = [(await bot.send_message(1001, text)).message_id for text in ("a", "b")]
        assert await bot.delete_messages(1001, [*others, 999]) is True

    with_bot(emulator, scenario)
    assert [m.deleted for m in siti.messages()] == [True, True, True]
    assert siti.messages(include_deleted=False) == []


def test_location_chat_action_and_get_chat(emulator: BotApiEmulator) -> None:
    emulator.user(1001, "Siti", last_name="Rahayu", username="siti_r")

    async def scenario(bot: Bot) -> tuple[Message, bool, Any]:
        location = await bot.send_location(1001, latitude=-7.25, longitude=112.75, horizontal_accuracy=50)
        action = await bot.send_chat_action(1001, ChatAction.TYPING)
        return location, action, await bot.get_chat("@siti_r")

    location, action, chat = with_bot(emulator, scenario)
    assert location.location is not None
    assert (location.location.latitude, location.location.horizontal_accuracy) == (-7.25, 50)
    assert action is True
    assert (chat.id, chat.type, chat.first_name, chat.last_name) == (1001, "private", "Siti", "Rahayu")
    assert emulator.calls("sendChatAction")[0].params == {"chat_id": 1001, "action": "typing"}


def test_blocked_user_gets_403_and_bot_gets_my_chat_member(emulator: BotApiEmulator) -> None:
    emulator.user(1001, "Siti")
    emulator.block(1001)

    async def scenario(bot: Bot) -> Any:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(1001, "pengingat")
        return (await bot.get_updates())[0]

    update = with_bot(emulator, scenario)
    assert isinstance(update.my_chat_member.new_chat_member, ChatMemberBanned)
    emulator.unblock(1001)
    assert with_bot(emulator, lambda bot: bot.send_message(1001, "lagi")).text == "lagi"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own RetryAfter.__init__
def test_injected_failures(emulator: BotApiEmulator) -> None:
    emulator.user(1001, "Siti")
    emulator.fail_next("sendMessage", 429, retry_after=3)
    emulator.fail_next("sendmessage", 502)

    async def scenario(bot: Bot) -> None:
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await bot.send_message(1001, "a")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(1001, "b")
        await bot.send_message(1001, "c")

    with_bot(emulator, scenario)
    assert [c.error_code for c in emulator.calls("sendMessage")] == [429, 502, None]


# --- callbacks -------------------------------------------------------------------------


def test_callback_query_shape_and_answers(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    sent = with_bot(
        emulator, lambda bot: bot.send_message(1001, "Setuju?", reply_markup=keyboard(("Ya", "consent:yes")))
    )
    pressed = siti.press("Ya")

    query = CallbackQuery.de_json(pressed["callback_query"], None)
    assert query.chat_instance and query.data == "consent:yes" and query.message is not None
    assert query.message.message_id == sent.message_id
    assert query.from_user.id == 1001

    async def scenario(bot: Bot) -> None:
        (update,) = await bot.get_updates()
        query = update.callback_query
        assert query is not None and isinstance(query.message, Message) and query.message.reply_markup is not None
        assert query.message.reply_markup.inline_keyboard[0][0].text == "Ya"
        await query.answer("Terima kasih", show_alert=True)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await query.answer()

    with_bot(emulator, scenario)
    answer = siti.wait_answer()
    assert (answer.text, answer.show_alert) == ("Terima kasih", True)
    assert siti.callback_answers() == [answer]


def test_press_stale_sends_data_from_an_outdated_keyboard(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")

    async def scenario(bot: Bot) -> Message:
        sent = await bot.send_message(1001, "Pilih desa", reply_markup=keyboard(("Sukamaju", "desa:1")))
        await bot.edit_message_text("Sudah dipilih", chat_id=1001, message_id=sent.message_id)
        return sent

    sent = with_bot(emulator, scenario)
    with pytest.raises(LookupError):
        siti.press("Sukamaju")
    stale = siti.press_stale(siti.messages()[0], "desa:1")["callback_query"]
    assert stale["data"] == "desa:1" and stale["message"]["message_id"] == sent.message_id
    assert "reply_markup" not in stale["message"]


# --- files -----------------------------------------------------------------------------


def test_user_photo_round_trip_through_get_file(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    original = sample_jpeg(1600, 1200)
    siti.send_photo(original, caption="foto rumah")

    async def scenario(bot: Bot) -> tuple[Message, bytes, bytes]:
        (update,) = await bot.get_updates()
        assert update.message is not None
        photo = update.message.photo
        largest = await (await bot.get_file(photo[-1].file_id)).download_as_bytearray()
        smallest = await (await photo[0].get_file()).download_as_bytearray()
        return update.message, bytes(largest), bytes(smallest)

    message, largest, smallest = with_bot(emulator, scenario)
    widths = [p.width for p in message.photo]
    assert widths == sorted(widths) and widths[-1] == 1600 and len(widths) > 1
    assert all(p.file_id and p.file_unique_id and p.file_size for p in message.photo)
    assert message.caption == "foto rumah"
    assert largest == original == emulator.file(message.photo[-1].file_id).data
    assert smallest[:2] == b"\xff\xd8" and len(smallest) < len(original)
    assert emulator.calls("downloadFile")[0].params["file_path"].startswith("photos/")


def test_user_document_and_location_and_contact(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    siti.send_document(b"nama,umur\nSiti,30\n", "data.csv", "text/csv")
    siti.send_location(-6.2, 106.8, horizontal_accuracy=15)
    siti.send_contact("+6281234567")

    async def scenario(bot: Bot) -> tuple[Any, bytes]:
        updates = await bot.get_updates()
        document = updates[0].message.document if updates[0].message else None
        assert document is not None
        return updates, bytes(await (await document.get_file()).download_as_bytearray())

    updates, content = with_bot(emulator, scenario)
    assert updates[0].message.document.file_name == "data.csv" and content == b"nama,umur\nSiti,30\n"
    assert updates[1].message.location.horizontal_accuracy == 15
    assert updates[2].message.contact.user_id == 1001


def test_bot_document_upload_is_stored_and_downloadable(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")

    async def scenario(bot: Bot) -> tuple[Message, bytes, Message]:
        sent = await bot.send_document(1001, io.BytesIO(PDF), filename="laporan.pdf", caption="Laporan bulanan")
        assert sent.document is not None
        downloaded = await (await sent.document.get_file()).download_as_bytearray()
        again = await bot.send_document(1001, sent.document.file_id)
        return sent, bytes(downloaded), again

    sent, downloaded, again = with_bot(emulator, scenario)
    assert sent.document is not None and again.document is not None
    assert (sent.document.file_name, sent.document.mime_type) == ("laporan.pdf", "application/pdf")
    assert downloaded == PDF
    received = siti.messages()[0]
    assert received.kind == "document" and received.file is not None and received.file.data == PDF and received.text == "Laporan bulanan"
    upload = emulator.calls("sendDocument")[0].params["document"]
    assert isinstance(upload, Upload) and upload.data == PDF
    assert again.document.file_id == sent.document.file_id


def test_bot_photo_upload_and_bad_image(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")

    async def scenario(bot: Bot) -> tuple[Message, Message | bool]:
        with pytest.raises(BadRequest, match="Image_process_failed"):
            await bot.send_photo(1001, io.BytesIO(b"not an image"))
        sent = await bot.send_photo(1001, io.BytesIO(sample_jpeg(400, 300)), caption="<i>peta</i>", parse_mode="HTML")
        recaptioned = await bot.edit_message_caption(1001, sent.message_id, caption="peta baru")
        return sent, recaptioned

    sent, recaptioned = with_bot(emulator, scenario)
    assert sent.photo[-1].width == 400 and sent.caption == "peta" and sent.caption_entities[0].type == "italic"
    assert isinstance(recaptioned, Message) and recaptioned.caption == "peta baru" and not recaptioned.caption_entities
    assert (siti.last().kind, siti.last().text) == ("photo", "peta baru") and siti.last().file is not None


# --- commands ------------------------------------------------------------------------------


def test_commands_are_stored_per_scope_and_language(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti", language_code="id")
    john = emulator.user(1002, "John", language_code="en")
    ana = emulator.user(1003, "Ana", language_code="pt")

    async def scenario(bot: Bot) -> tuple[Any, Any]:
        await bot.set_my_commands([BotCommand("start", "Mulai")], language_code="id")
        await bot.set_my_commands([BotCommand("start", "Start")])
        await bot.set_my_commands(
            [BotCommand("help", "Help")], scope=BotCommandScopeAllPrivateChats(), language_code="en"
        )
        await bot.set_my_commands([BotCommand("admin", "Admin")], scope=BotCommandScopeChat(1003))
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Mulai Lagi", "x")])
        listed = await bot.get_my_commands(language_code="id")
        await bot.delete_my_commands(scope=BotCommandScopeChat(1003))
        return listed, await bot.get_my_commands(scope=BotCommandScopeChat(1003))

    listed, deleted = with_bot(emulator, scenario)
    assert [c.description for c in listed] == ["Mulai"] and deleted == ()
    assert siti.command_menu() == [{"command": "start", "description": "Mulai"}]
    assert john.command_menu() == [{"command": "help", "description": "Help"}]
    assert ana.command_menu() == [{"command": "start", "description": "Start"}]
    assert emulator.commands(language_code="id") == [{"command": "start", "description": "Mulai"}]


# --- the test-side API ------------------------------------------------------------------


def test_wait_for_reports_what_the_bot_sent_on_timeout(emulator: BotApiEmulator) -> None:
    siti = emulator.user(1001, "Siti")
    siti.send("halo")
    with_bot(emulator, lambda bot: bot.send_message(1001, "jawaban lain", reply_markup=ReplyKeyboardRemove()))

    with pytest.raises(AssertionError, match="jawaban lain"):
        siti.wait_text("tidak ada", timeout=0.2)
    assert siti.wait_for().text == "jawaban lain"
    assert siti.reply_keyboard() is None
    siti.mark()
    with pytest.raises(AssertionError):
        siti.wait_for(timeout=0.1)

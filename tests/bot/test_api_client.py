"""The bot's Bot API client (aiohttp under PTB's request interface) behaves as PTB expects of one: form fields,
multipart uploads with their file names and types, a silent server is ``TimedOut``, a refused connection is a
``NetworkError``, a call waits for a free connection of a full pool."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.api_client import AiohttpRequest


async def _server(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def test_fields_and_files_arrive_and_the_answer_comes_back() -> None:
    seen: dict[str, dict[str, Any]] = {}

    async def handler(request: web.Request) -> web.Response:
        got = seen.setdefault(request.path, {})
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                got[part.name or ""] = (part.filename, part.headers.get("Content-Type"), bytes(await part.read()))  # type: ignore[union-attr]
        else:
            got.update(await request.post())
        return web.Response(body=b'{"ok": true}')

    async def run() -> list[tuple[int, bytes]]:
        runner, base = await _server(handler)
        client = AiohttpRequest(2)
        await client.initialize()
        try:
            plain = RequestData([RequestParameter.from_input("chat_id", 7), RequestParameter.from_input("text", "Siti ✓")])
            upload = RequestData([RequestParameter.from_input("chat_id", 7),
                                  RequestParameter.from_input("document", InputFile(b"%PDF-1.4 x", filename="surat.pdf", attach=True))])
            return [await client.do_request(base + "/sendMessage", "POST", plain),
                    await client.do_request(base + "/sendDocument", "POST", upload)]
        finally:
            await client.shutdown()
            await runner.cleanup()

    answers = asyncio.run(run())
    assert answers == [(200, b'{"ok": true}')] * 2
    assert seen["/sendMessage"] == {"chat_id": "7", "text": "Siti ✓"}
    upload = seen["/sendDocument"]
    assert upload["chat_id"][2] == b"7"
    document = next(value for value in upload.values() if value[0] is not None)
    assert document == ("surat.pdf", "application/pdf", b"%PDF-1.4 x")


def test_a_silent_server_times_out() -> None:
    async def handler(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(body=b"{}")

    async def run() -> None:
        runner, base = await _server(handler)
        client = AiohttpRequest(1, read_timeout=0.2)
        await client.initialize()
        try:
            with pytest.raises(TimedOut):
                await client.do_request(base + "/getMe", "POST")
        finally:
            await client.shutdown()
            await runner.cleanup()

    asyncio.run(run())


def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens there once it is closed

    async def run() -> None:
        client = AiohttpRequest(1)
        await client.initialize()
        try:
            with pytest.raises(NetworkError):
                await client.do_request(f"http://127.0.0.1:{port}/getMe", "POST")
        finally:
            await client.shutdown()

    asyncio.run(run())


def test_calls_beyond_the_pool_wait_for_a_connection() -> None:
    in_flight, most = 0, 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        if request.path.endswith("/getMe"):
            return web.json_response({"ok": True, "result": {"id": 123, "is_bot": True, "first_name": "ATS", "username": "ats_bot"}})
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return web.Response(body=b'{"ok": true, "result": true}')

    async def run() -> list[bool]:
        runner, base = await _server(handler)
        bot = Bot("123:TEST", base_url=base + "/bot", request=AiohttpRequest(2, pool_timeout=10))
        try:
            async with bot:
                return list(await asyncio.gather(*(bot.delete_message(1, i) for i in range(8))))
        finally:
            await runner.cleanup()

    assert asyncio.run(run()) == [True] * 8
    assert most == 2

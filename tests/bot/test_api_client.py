"""The bot's Bot API client (asyncio's streams under PTB's request interface) behaves as PTB expects of one: form fields,
multipart uploads with their file names and types, a silent server is ``TimedOut``, a refused connection is a
``NetworkError``, a call waits for a free connection of a full pool."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.api_client import AsyncioRequest


async def _server(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def _served(handler: Any, connections: int = 1, **options: Any) -> AsyncIterator[tuple[AsyncioRequest, str]]:
    """Our client, initialised, beside a server answering with ``handler``; both closed after."""
    runner, base = await _server(handler)
    client = AsyncioRequest(connections, **options)
    await client.initialize()
    try:
        yield client, base
    finally:
        await client.shutdown()
        await runner.cleanup()


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
        async with _served(handler, 2) as (client, base):
            plain = RequestData([RequestParameter.from_input("chat_id", 7), RequestParameter.from_input("text", "Siti ✓")])
            upload = RequestData([RequestParameter.from_input("chat_id", 7),
                                  RequestParameter.from_input("document", InputFile(b"%PDF-1.4 x", filename="surat.pdf", attach=True))])
            return [await client.do_request(base + "/sendMessage", "POST", plain),
                    await client.do_request(base + "/sendDocument", "POST", upload)]

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
        async with _served(handler, read_timeout=0.2) as (client, base):
            with pytest.raises(TimedOut):
                await client.do_request(base + "/getMe", "POST")

    asyncio.run(run())


def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens there once it is closed

    async def run() -> None:
        client = AsyncioRequest(1)
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
        bot = Bot("123:TEST", base_url=base + "/bot", request=AsyncioRequest(2, pool_timeout=10))
        try:
            async with bot:
                return list(await asyncio.gather(*(bot.delete_message(1, i) for i in range(8))))
        finally:
            await runner.cleanup()

    assert asyncio.run(run()) == [True] * 8
    assert most == 2


async def _raw_server(answer: Any) -> tuple[asyncio.Server, str, list[int]]:
    """A server that reads each request head (and its Content-Length body) and writes ``answer(n)`` for the n-th
    request on any connection; ``answer`` returning None closes the connection instead, and so does an HTTP/1.0
    answer once written. Also counts connections."""
    opened: list[int] = []
    served = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                served[0] += 1
                reply = answer(served[0])
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if reply.startswith(b"HTTP/1.0"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", opened


def _calls(answer: Any, count: int, pause: float = 0.0, **options: Any) -> tuple[list[tuple[int, bytes]], int]:
    async def run() -> tuple[list[tuple[int, bytes]], int]:
        server, base, opened = await _raw_server(answer)
        client = AsyncioRequest(1, **options)
        await client.initialize()
        try:
            got = []
            for _ in range(count):
                got.append(await client.do_request(base + "/bot1:x/getMe", "POST"))
                await asyncio.sleep(pause)
            return got, len(opened)
        finally:
            await client.shutdown()
            server.close()

    return asyncio.run(run())


def test_one_connection_carries_the_calls_one_after_another() -> None:
    got, connections = _calls(lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 5)
    assert got == [(200, b"{}")] * 5 and connections == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_failing_the_call() -> None:
    # The server answers and closes every connection without saying so (as a keep-alive timeout does).
    def answer(n: int) -> bytes | None:
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" if n % 2 else None

    got, connections = _calls(answer, 3, pause=0.05)
    assert got == [(200, b"{}")] * 3 and connections == 3


def test_chunked_answers_close_and_interim_answers_are_read() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"o\r\n6;x=1\r\nk\": 1}\r\n0\r\nX-Trailer: 1\r\n\r\n"
    closing = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 4\r\n\r\nnope"
    got, connections = _calls(lambda n: chunked if n == 1 else closing, 3)
    assert got == [(200, b'{"ok": 1}'), (400, b"nope"), (400, b"nope")] and connections == 2


def test_a_large_file_arrives_whole_and_a_body_without_length_ends_with_the_connection() -> None:
    payload = bytes(range(256)) * 1000  # 256 KB, read in pieces
    answers = {1: b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload,
               2: b"HTTP/1.0 200 OK\r\n\r\n" + payload,  # no length: the server's close ends the body
               3: b"HTTP/1.1 204 No Content\r\n\r\n"}
    got, connections = _calls(answers.get, 3)
    assert got == [(200, payload), (200, payload), (204, b"")] and connections == 2


def test_a_call_that_finds_no_free_connection_in_time_is_timed_out_unsent() -> None:
    async def handler(_request: web.Request) -> web.Response:
        await asyncio.sleep(0.5)
        return web.Response(body=b"{}")

    async def run() -> None:
        async with _served(handler, pool_timeout=0.05) as (client, base):
            slow = asyncio.ensure_future(client.do_request(base + "/getMe", "POST"))
            await asyncio.sleep(0.1)
            with pytest.raises(TimedOut, match="Pool timeout"):
                await client.do_request(base + "/getMe", "POST")
            assert await slow == (200, b"{}")

    asyncio.run(run())


def _self_signed(folder: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``folder``."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_https_verifies_the_server_against_the_given_certificates(tmp_path: Any) -> None:
    import ssl

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=cert)

    async def run() -> tuple[int, bytes]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
                await writer.drain()
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                pass
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_tls)
        url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/bot1:x/getMe"
        trusted, untrusted = AsyncioRequest(1, tls=trusting), AsyncioRequest(1)
        await trusted.initialize()
        await untrusted.initialize()
        try:
            with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusted.do_request(url, "GET")
            return await trusted.do_request(url, "GET")
        finally:
            await trusted.shutdown()
            await untrusted.shutdown()
            server.close()

    assert asyncio.run(run()) == (200, b'{"ok":true}')

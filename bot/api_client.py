"""The bot's HTTP client for the Bot API: PTB's request interface over asyncio's own streams (HTTP/1.1).

PTB's own client (httpx over httpcore and anyio) was most of the event loop's CPU: httpcore walks every pooled
connection, asking each socket whether it is readable, whenever a request starts or ends. The Bot API needs
little of a general HTTP client: one host, keep-alive connections, form fields or a multipart upload out, a
JSON answer (or a file) back. This client does that and nothing else, on the event loop's streams and the
standard library, so the bot's process holds no HTTP library of its own (aiohttp, which served here before, is
about 10 MiB resident with yarl, multidict and frozenlist). The behaviour PTB expects is kept: its timeouts (the
long poll's read timeout included), ``TimedOut`` and ``NetworkError`` for failures, form fields and multipart
uploads, file downloads. No proxy is used (the environment's ``HTTPS_PROXY`` is not read), no redirect followed,
no compression asked for.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CHUNK = 65536
"""A body longer than this is read piece by piece, each piece within the read timeout (a file download)."""
POOL_TIMEOUT = ("Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to Telegram. "
                "Consider adjusting the connection pool size or the pool timeout.")
"""PTB's own words (``HTTPXRequest``) for a call that found no free connection in time."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    origin: tuple[str, str, int]
    used: bool = field(default=False)
    """It has carried a request before: a peer that closed it while idle is met by the next request."""

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class _Reply:
    """What the server answered: the status, whether the connection may carry another request, the body."""

    __slots__ = ("body", "keep", "status")

    def __init__(self, status: int, keep: bool, body: bytes) -> None:
        self.status, self.keep, self.body = status, keep, body


class _Unanswered(Exception):
    """A reused connection ended before any byte of an answer: the peer had closed it while idle."""


class AsyncioRequest(BaseRequest):
    """A pool of ``connections`` keep-alive connections; timeouts in seconds as PTB's ``HTTPXRequest`` takes them
    (``pool_timeout``: how long a call may wait for a free connection; ``read_timeout``: the longest silence while
    an answer is read)."""

    def __init__(self, connections: int, *, read_timeout: float | None = 5.0, write_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0,
                 tls: ssl.SSLContext | None = None) -> None:
        if connections < 1:
            raise ValueError(f"connections must be at least 1, not {connections}")
        self._connections = connections
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout, "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._tls = tls
        self._slots: asyncio.Semaphore | None = None
        self._idle: list[_Connection] = []

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._connections)

    async def shutdown(self) -> None:
        idle, self._idle, self._slots = self._idle, [], None
        for connection in idle:
            connection.close()

    def _timeout(self, given: ODVInput[float], name: str) -> float | None:
        return self._timeouts[name] if isinstance(given, DefaultValue) else given

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        slots = self._slots
        if slots is None:
            raise RuntimeError("This AsyncioRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        write = self._media_write_timeout if files and isinstance(write_timeout, DefaultValue) else self._timeout(write_timeout, "write")
        read, connect = self._timeout(read_timeout, "read"), self._timeout(connect_timeout, "connect")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError(f"not an http(s) URL: {url}")
        origin = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        content_type, body = _form(fields or {}, files) if files else ("application/x-www-form-urlencoded", urlencode(fields or {}).encode())
        target = quote(parts.path or "/", safe="/:@!$&'()*+,;=-._~%") + (f"?{parts.query}" if parts.query else "")
        head = (f"{method} {target} HTTP/1.1\r\nHost: {parts.netloc.rpartition('@')[2]}\r\nUser-Agent: {self.USER_AGENT}\r\n"
                + (f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n" if method != "GET" else "") + "\r\n").encode()
        message = head + body if method != "GET" else head
        try:
            async with asyncio.timeout(self._timeout(pool_timeout, "pool")):
                await slots.acquire()
        except TimeoutError as err:
            raise TimedOut(POOL_TIMEOUT) from err
        try:
            for attempt in range(2):  # a second time on a new connection, when a reused one had been closed by the peer
                connection = await self._connection(origin, connect, reuse=attempt == 0)
                try:
                    reply = await _exchange(connection, message, write, read)
                except _Unanswered:
                    connection.close()
                    continue
                except BaseException:
                    connection.close()
                    raise
                if reply.keep and self._slots is slots:
                    connection.used = True
                    self._idle.append(connection)
                else:
                    connection.close()
                return reply.status, reply.body
            raise NetworkError("the Bot API closed the connection without answering")
        except TimeoutError as err:
            raise TimedOut from err
        except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as err:
            raise NetworkError(f"{type(err).__name__}: {err}") from err
        finally:
            slots.release()

    async def _connection(self, origin: tuple[str, str, int], connect: float | None, reuse: bool) -> _Connection:
        """An idle connection to ``origin`` that the peer has not closed (when ``reuse``), else a new one."""
        while reuse and self._idle:
            connection = self._idle.pop()
            if connection.origin == origin and connection.usable():
                return connection
            connection.close()
        scheme, host, port = origin
        tls = (self._tls or ssl.create_default_context()) if scheme == "https" else None
        async with asyncio.timeout(connect):
            reader, writer = await asyncio.open_connection(host, port, ssl=tls, limit=CHUNK)
        return _Connection(reader, writer, origin)


async def _exchange(connection: _Connection, message: bytes, write: float | None, read: float | None) -> _Reply:
    """Send ``message``, read the answer (skipping interim 1xx answers)."""
    reader, writer = connection.reader, connection.writer
    try:
        async with asyncio.timeout(write):
            writer.write(message)
            await writer.drain()
    except ConnectionError as err:
        if connection.used:
            raise _Unanswered from err
        raise
    while True:
        try:
            async with asyncio.timeout(read):
                head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as err:
            if connection.used and not err.partial:
                raise _Unanswered from err
            raise
        except ConnectionError as err:
            if connection.used:
                raise _Unanswered from err
            raise
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ValueError(f"not an HTTP/1.x answer: {status_line[:80]!r}")
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200 and status != 101:
            continue
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return _Reply(status, keep, await _chunks(reader, read))
        if "content-length" in headers:
            return _Reply(status, keep, await _exactly(reader, int(headers["content-length"]), read))
        if status in (204, 304):
            return _Reply(status, keep, b"")
        return _Reply(status, False, await _until_closed(reader, read))  # no length: the body ends with the connection


async def _exactly(reader: asyncio.StreamReader, length: int, read: float | None) -> bytes:
    if length < 0:
        raise ValueError(f"negative Content-Length {length}")
    if length <= CHUNK:
        async with asyncio.timeout(read):
            return await reader.readexactly(length)
    pieces: list[bytes] = []
    left = length
    while left:
        async with asyncio.timeout(read):
            piece = await reader.readexactly(min(left, CHUNK))
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


async def _chunks(reader: asyncio.StreamReader, read: float | None) -> bytes:
    pieces: list[bytes] = []
    while True:
        async with asyncio.timeout(read):
            size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            async with asyncio.timeout(read):
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, then the blank line
                    pass
            return b"".join(pieces)
        pieces.append(await _exactly(reader, size, read))
        async with asyncio.timeout(read):
            if await reader.readexactly(2) != b"\r\n":
                raise ValueError("a chunk of the answer does not end with CRLF")


async def _until_closed(reader: asyncio.StreamReader, read: float | None) -> bytes:
    pieces: list[bytes] = []
    while True:
        async with asyncio.timeout(read):
            piece = await reader.read(CHUNK)
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)


def _form(fields: dict[str, str], files: dict[str, Any]) -> tuple[str, bytes]:
    """A multipart body: the call's parameters as fields, then each file as ``(filename, content, mime type)``;
    content is bytes or a file opened for reading."""
    boundary = os.urandom(16).hex()
    out: list[bytes] = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode() + value.encode() + b"\r\n")
    for name, (filename, content, mime) in files.items():
        data = content if isinstance(content, bytes) else content.read()
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"; filename="{_quoted(filename or name)}"\r\n'
                   f"Content-Type: {mime}\r\n\r\n".encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(out)


def _quoted(value: str) -> str:
    """A field or file name inside the quotes of Content-Disposition, as browsers write it."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")

"""The bot's HTTP client for the Bot API: PTB's request interface over aiohttp.

PTB's own client (httpx over httpcore and anyio) was most of the event loop's CPU: httpcore walks every pooled
connection, asking each socket whether it is readable, whenever a request starts or ends. With aiohttp the bot's
event-loop thread spends less per update than a bare PTB echo bot on httpx (``benchmarks/bench_bot.py``, the
``loop`` column). The behaviour PTB
expects is kept: its timeouts (the long poll's read timeout included), ``TimedOut`` and ``NetworkError``
for failures, form fields and multipart uploads, file downloads.
"""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A pool of ``connections`` keep-alive connections; timeouts in seconds as PTB's ``HTTPXRequest`` takes them
    (``pool_timeout``: how long a call may wait for a free connection)."""

    def __init__(self, connections: int, *, read_timeout: float | None = 5.0, write_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0,
                 tls: ssl.SSLContext | None = None) -> None:
        if connections < 1:
            raise ValueError(f"connections must be at least 1, not {connections}")
        self._connections = connections
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout, "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._tls = tls
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ssl=self._tls if self._tls is not None else True)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

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
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._timeout(read_timeout, "read")
        connect = self._timeout(connect_timeout, "connect")
        pool = self._timeout(pool_timeout, "pool")
        write = self._media_write_timeout if files and isinstance(write_timeout, DefaultValue) else self._timeout(write_timeout, "write")
        # aiohttp's ``connect`` covers the wait for a pooled connection and the connecting; ``sock_read`` is the
        # longest silence while reading the answer (a long poll's); an upload gets its write time on top.
        timeout = aiohttp.ClientTimeout(
            total=None if read is None or write is None else (connect or 0) + (pool or 0) + write + read,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        body: Any = _form(fields or {}, files) if files else fields
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are asyncio's (TimeoutError since Python 3.11)
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _form(fields: dict[str, str], files: dict[str, Any]) -> aiohttp.FormData:
    """A multipart body: the call's parameters as fields, then each file as ``(filename, content, mime type)``."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename or name, content_type=mime)
    return form

"""The bot's Bot API client (``bot/api_client.py``) beside PTB's default one (``HTTPXRequest``): CPU per call.

Both send the same ``sendMessage`` form (2,000 calls, 16 at once, over 16 keep-alive connections) to a plain
HTTP/1.1 server in another process on 127.0.0.1 that answers each with a 300-byte JSON message; the figure is the
calling process's CPU time (user + system) per call, best of 5 rounds, the two clients interleaved in each round
so that both see the same host.

Run: python benchmarks/bench_api_client.py      (about ten seconds)
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from typing import Any

from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.api_client import AsyncioRequest

BODY = json.dumps({"ok": True, "result": {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "Siti " * 50}}).encode()
CALLS, AT_ONCE, ROUNDS = 2000, 16, 5


def serve(ports: Any) -> None:
    """Answer every request on every connection with BODY, keeping the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        ports.put(server.sockets[0].getsockname()[1])
        await asyncio.Future()

    asyncio.run(main())


async def cpu_per_call(client: BaseRequest, base: str) -> float:
    """Microseconds of this process's CPU per call."""
    await client.initialize()
    data = RequestData([RequestParameter.from_input("chat_id", 7), RequestParameter.from_input("text", "Siti " * 20)])

    async def caller() -> None:
        for _ in range(CALLS // AT_ONCE):
            status, _ = await client.do_request(base + "/bot1:x/sendMessage", "POST", data)
            assert status == 200

    await caller()  # connections open, code warm
    start = time.process_time()
    await asyncio.gather(*(caller() for _ in range(AT_ONCE)))
    spent = time.process_time() - start
    await client.shutdown()
    return spent / CALLS * 1e6


def main() -> None:
    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ports,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=10)}"
    clients = {"the bot's client (asyncio streams)": lambda: AsyncioRequest(AT_ONCE),
               "PTB's HTTPXRequest (httpx)": lambda: HTTPXRequest(connection_pool_size=AT_ONCE)}
    best = dict.fromkeys(clients, float("inf"))
    try:
        for _ in range(ROUNDS):
            for label, make in clients.items():
                best[label] = min(best[label], asyncio.run(cpu_per_call(make(), base)))
    finally:
        server.kill()
    for label, micros in best.items():
        print(f"{label:<40} {micros:>6.0f} µs CPU per call")


if __name__ == "__main__":
    main()

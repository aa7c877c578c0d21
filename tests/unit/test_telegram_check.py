"""``getMe`` before the bot starts (``app.telegram_check``): the username when the Bot API answers, "refused" for a
token it does not know (401/404: retrying cannot help), "unreachable" for any other failure (retry later)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.telegram_check import TelegramRefused, TelegramUnreachable, bot_username
from core.settings import Settings

ANSWERS = {"/bot1:good/getMe": (200, {"ok": True, "result": {"id": 1, "is_bot": True, "username": "ats_bot"}}),
           "/bot1:gone/getMe": (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}),
           "/bot1:nobody/getMe": (404, {"ok": False, "error_code": 404, "description": "Not Found"}),
           "/bot1:busy/getMe": (502, {"ok": False}),
           "/bot1:odd/getMe": (200, {"ok": True})}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, answer = ANSWERS[self.path]
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()
    server.server_close()


def _settings(base: str, token: str) -> Settings:
    return Settings(_env_file=None, bot_token=token, bot_api_base_url=base)


def test_the_username_when_telegram_answers(base: str) -> None:
    assert bot_username(_settings(base, "1:good")) == "ats_bot"


@pytest.mark.parametrize("token, status", [("1:gone", 401), ("1:nobody", 404)])
def test_an_unknown_token_is_refused(base: str, token: str, status: int) -> None:
    with pytest.raises(TelegramRefused, match=f"refused BOT_TOKEN \\(HTTP {status}\\)"):
        bot_username(_settings(base, token))


def test_other_failures_are_unreachable(base: str) -> None:
    with pytest.raises(TelegramUnreachable, match="HTTP 502"):
        bot_username(_settings(base, "1:busy"))
    with pytest.raises(TelegramUnreachable, match="cannot reach Telegram"):
        bot_username(_settings(base, "1:odd"))  # no username in the answer
    with pytest.raises(TelegramUnreachable, match="cannot reach Telegram"):
        bot_username(_settings("ftp://127.0.0.1/bot", "1:good"))

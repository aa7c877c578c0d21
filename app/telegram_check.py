"""Ask the configured Bot API who the bot is, before anything depends on it (``invite``, ``run``, ``webhook``).

A plain ``getMe`` over urllib: cheap to import, and it tells "cannot reach Telegram" (retry later) apart
from "Telegram refused the token" (fix the configuration).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request

from core.settings import Settings

MAX_DELAY_SECONDS = 60


class TelegramUnreachable(Exception):
    """The Bot API did not answer (network down, proxy, wrong BOT_API_BASE_URL)."""


class TelegramRefused(Exception):
    """The Bot API answered that the token is not valid."""


def bot_username(settings: Settings) -> str:
    """The bot's username (a deep link needs it); ``YOUR_BOT`` when no token is configured."""
    if not settings.bot_token:
        return "YOUR_BOT"
    where = settings.bot_api_base_url.rstrip("/") + "…"
    try:
        with urllib.request.urlopen(f"{settings.bot_api_base_url}{settings.bot_token}/getMe", timeout=10) as reply:
            return str(json.load(reply)["result"]["username"])
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 404):
            raise TelegramRefused(f"Telegram at {where} refused BOT_TOKEN (HTTP {exc.code}): copy it again from @BotFather") from exc
        raise TelegramUnreachable(f"cannot reach Telegram at {where}: HTTP {exc.code}") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TelegramUnreachable(f"cannot reach Telegram at {where}: {getattr(exc, 'reason', None) or exc}") from exc


def wait_for_telegram(settings: Settings) -> str:
    """The bot's username once Telegram answers, saying so once per attempt and waiting longer each time
    (1, 2, 4 … 60 s). Raises :class:`TelegramRefused` at once: retrying cannot fix a wrong token."""
    delay = 1
    while True:
        try:
            return bot_username(settings)
        except TelegramUnreachable as exc:
            print(f"{exc}, retrying in {delay} s", file=sys.stderr, flush=True)
        time.sleep(delay)
        delay = min(delay * 2, MAX_DELAY_SECONDS)

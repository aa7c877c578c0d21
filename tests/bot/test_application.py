"""The application as ``ats-bot run`` builds it: its two Bot API clients (long polling, everything else) verify TLS
against one CA bundle loaded once rather than once per client; the polling client has PTB's size and timeouts."""

from __future__ import annotations

import ssl

from telegram.request import HTTPXRequest

from bot.api_client import AsyncioRequest
from bot.app import build_application
from core.settings import Settings
from storage.db import Database


def test_both_bot_api_clients_verify_tls_with_one_shared_context(db: Database) -> None:
    application = build_application(Settings(bot_token="123456:TEST"), db)
    polling, calls = application.bot._request  # PTB keeps (getUpdates, the other methods)
    assert isinstance(polling, AsyncioRequest) and isinstance(calls, AsyncioRequest)
    context = polling._tls
    assert isinstance(context, ssl.SSLContext) and context is calls._tls
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname and context.get_ca_certs() != []
    assert polling._connections == 1  # one long poll at a time, as PTB builds it
    ptb = HTTPXRequest()._client_kwargs["timeout"]
    assert polling._timeouts == {"read": ptb.read, "write": ptb.write, "connect": ptb.connect, "pool": ptb.pool}

"""The application as ``ats-bot run`` builds it: PTB's two Bot API clients (long polling, everything else) verify TLS
against one CA bundle loaded once rather than once per client; the polling client is the one PTB would build."""

from __future__ import annotations

import ssl

from telegram.request import HTTPXRequest

from bot.app import build_application
from core.settings import Settings
from storage.db import Database


def test_both_bot_api_clients_verify_tls_with_one_shared_context(db: Database) -> None:
    application = build_application(Settings(bot_token="123456:TEST"), db)
    polling, calls = application.bot._request  # PTB keeps (getUpdates, the other methods)
    assert isinstance(polling, HTTPXRequest) and isinstance(calls, HTTPXRequest)
    context = polling._client_kwargs["verify"]
    assert isinstance(context, ssl.SSLContext) and context is calls._client_kwargs["verify"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname and context.get_ca_certs() != []
    assert polling._client_kwargs["limits"].max_connections == 1  # one long poll at a time, as PTB builds it
    assert polling._client_kwargs["timeout"] == HTTPXRequest()._client_kwargs["timeout"]

"""``SIMULATED_DATE`` moves the whole bot, not only the dashboard: the chat's "today", the reminders' rules and the
early-warning pass all read the product's clock (training and demonstrations run on a chosen day)."""

from __future__ import annotations

import datetime as dt

from bot.app import build_application
from core.settings import Settings
from storage.db import Database


def test_the_bot_built_with_a_simulated_date_lives_on_that_day(db: Database) -> None:
    chosen = dt.date.today() + dt.timedelta(days=400)
    settings = Settings(bot_token="123456:TEST", simulated_date=chosen)
    application = build_application(settings, db)
    chat_today = application.bot_data["services"].conversations.today()
    assert abs((chat_today - chosen).days) <= 1  # the server's local day of the shifted instant
    assert application.bot_data["reminders"].wall().date() == chosen  # the rules' time, in UTC


def test_without_a_simulated_date_the_bot_keeps_the_real_day(db: Database) -> None:
    application = build_application(Settings(bot_token="123456:TEST"), db)
    assert abs((application.bot_data["services"].conversations.today() - dt.date.today()).days) <= 1
    real = dt.datetime.now(dt.UTC)
    assert abs(application.bot_data["reminders"].wall() - real) < dt.timedelta(minutes=1)

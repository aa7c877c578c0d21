"""Reminders that keep the accompaniment going (issue 8): rows in the database, one repeating job.

``rules`` (pure: what should exist and when), ``schedule`` (materialise rows idempotently), ``sweep`` (claim and
send, at most once, within Telegram's limits), ``actions`` (what a reminder's buttons do), ``job`` (the one
APScheduler job on PTB's job queue). See ``docs/reminders.md``.
"""

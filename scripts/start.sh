#!/usr/bin/env bash
# Install ATS Bot, prepare the database (SQLite by default: data/ats-bot.db), start the web dashboard and the bot.
# Settings come from .env (copy .env.example); without BOT_TOKEN the bot explains how to get one and the
# dashboard keeps running. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
[ -f .env ] || cp .env.example .env
.venv/bin/ats-bot db upgrade
.venv/bin/ats-bot regions load "${KABUPATEN:-33.26}"   # Kabupaten Pekalongan by default; idempotent
.venv/bin/ats-bot web &                                 # prints the dashboard's URL
web_pid=$!
trap 'kill "$web_pid" 2>/dev/null || true' EXIT INT TERM
.venv/bin/ats-bot run || true
wait "$web_pid"

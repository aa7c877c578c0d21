#!/usr/bin/env bash
# Install ATS Bot, prepare the database (SQLite by default: data/ats-bot.db) and start the bot.
# Settings come from .env (copy .env.example); without BOT_TOKEN the bot explains how to get one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
[ -f .env ] || cp .env.example .env
.venv/bin/ats-bot db upgrade
.venv/bin/ats-bot regions load "${KABUPATEN:-33.26}"   # Kabupaten Pekalongan by default; idempotent
exec .venv/bin/ats-bot run

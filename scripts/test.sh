#!/usr/bin/env bash
# Install everything and run the whole test suite (unit, storage on SQLite and PostgreSQL, end-to-end through
# the Bot API emulator). The one command for developers and for CI (.ci/run calls it).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: the PostgreSQL server binaries for the storage tests, a font for the PDFs, Debian's Chromium
# for the dashboard's browser tests (Playwright drives /usr/bin/chromium; its own browser download is never used).
need_apt=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need_apt+=(postgresql); fi
if ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1; then need_apt+=(fonts-dejavu-core); fi
if ! [ -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

bash scripts/install.sh test

# Gates before any test: the project's lint rules, and types (mypy's strict flags for the modules pyproject.toml
# lists, its defaults for the rest). Either failing stops the run.
.venv/bin/ruff check .
.venv/bin/mypy

# A throwaway PostgreSQL server as an unprivileged user (initdb refuses root); the tests use its URL.
TEST_POSTGRES_URL=$(bash scripts/pg-test-server.sh start)
export TEST_POSTGRES_URL
trap 'bash scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT

.venv/bin/python scripts/i18n.py check
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"

#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/pg-test-server.sh start    # create (first time) and start; prints the SQLAlchemy URL
#   scripts/pg-test-server.sh url      # print the URL only
#   scripts/pg-test-server.sh status   # exit 0 when running
#   scripts/pg-test-server.sh stop     # stop the server (the data directory is kept)
#   scripts/pg-test-server.sh destroy  # stop and delete the data directory
#
# The port is chosen once, when the cluster is created: ATS_PG_PORT if set, else the first free
# port from 55432 up; it is remembered in $ATS_PG_DIR/port.
#
# initdb refuses to run as root, so when run as root the cluster belongs to an unprivileged
# system user (ATS_PG_USER, default atspg, created if missing). Trust authentication on
# 127.0.0.1 only: never point this at real data.
#
# Environment: ATS_PG_DIR (default /tmp/ats-pg), ATS_PG_PORT (default 55432),
#              ATS_PG_USER (default atspg), ATS_PG_DB (default ats_test).
set -euo pipefail

PG_DIR=${ATS_PG_DIR:-/tmp/ats-pg}
PG_USER=${ATS_PG_USER:-atspg}
PG_DB=${ATS_PG_DB:-ats_test}
DATA="$PG_DIR/data"
LOG="$PG_DIR/server.log"
PORT_FILE="$PG_DIR/port"

find_bin() {
    local name=$1 dir
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
    for dir in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
        if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
    done
    echo "pg-test-server: '$name' not found (install the PostgreSQL server binaries)" >&2
    exit 127
}

if [ "$(id -u)" = 0 ]; then
    RUN_USER=$PG_USER
    as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
    RUN_USER=$(id -un)
    as_pg() { "$@"; }
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

choose_port() {
    local port=${ATS_PG_PORT:-55432}
    if [ -z "${ATS_PG_PORT:-}" ]; then
        while ! port_free "$port"; do port=$((port + 1)); done
    fi
    echo "$port"
}

if [ -f "$PORT_FILE" ]; then PG_PORT=$(cat "$PORT_FILE"); else PG_PORT=${ATS_PG_PORT:-55432}; fi

url() { echo "postgresql+psycopg://$RUN_USER@127.0.0.1:$PG_PORT/$PG_DB"; }

running() { [ -f "$DATA/postmaster.pid" ] && as_pg "$(find_bin pg_ctl)" -D "$DATA" status >/dev/null 2>&1; }

ensure_user() {
    [ "$(id -u)" = 0 ] || return 0
    id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
}

init_cluster() {
    ensure_user
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PG_DIR"
    chmod 700 "$PG_DIR"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        PG_PORT=$(choose_port)
        echo "$PG_PORT" >"$PORT_FILE"
        as_pg "$(find_bin initdb)" -D "$DATA" -U "$RUN_USER" --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
            || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
    fi
}

wait_ready() {
    local isready i
    isready=$(find_bin pg_isready)
    for i in $(seq 1 100); do
        "$isready" -q -h 127.0.0.1 -p "$PG_PORT" && return 0
        sleep 0.1
    done
    echo "pg-test-server: server did not become ready; log follows" >&2
    tail -n 30 "$LOG" >&2
    exit 1
}

ensure_database() {
    local psql
    psql=$(find_bin psql)
    if ! "$psql" -h 127.0.0.1 -p "$PG_PORT" -U "$RUN_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
        "$psql" -q -h 127.0.0.1 -p "$PG_PORT" -U "$RUN_USER" -d postgres -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    fi
}

start() {
    init_cluster
    if ! running; then
        # fsync stays on: the benchmark must measure real commit costs.
        as_pg "$(find_bin pg_ctl)" -D "$DATA" -l "$LOG" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$PG_DIR' -c max_connections=300" \
            start >/dev/null
    fi
    wait_ready
    ensure_database
    url
}

stop() {
    if running; then as_pg "$(find_bin pg_ctl)" -D "$DATA" -m fast -w stop >/dev/null; fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) url ;;
    status) running ;;
    destroy) stop; rm -rf "$PG_DIR" ;;
    *) echo "usage: $0 start|stop|url|status|destroy" >&2; exit 2 ;;
esac

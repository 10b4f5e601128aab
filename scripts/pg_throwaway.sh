#!/usr/bin/env bash
# A throwaway PostgreSQL server for pgwrap development and tests.
#
#   scripts/pg_throwaway.sh start    start one (no-op if already running)
#   scripts/pg_throwaway.sh stop     stop it and delete everything it made
#   scripts/pg_throwaway.sh env      print `export ...` lines for eval
#   scripts/pg_throwaway.sh status   exit 0 if running, 1 if not
#
# The cluster lives in a private temp dir (data/, server.log, and the Unix
# socket) so it never clashes with a system server or another checkout.
# Environment:
#   PGWRAP_PG_STATE     state file (default: <repo root>/.pgwrap-pg)
#   PGWRAP_PG_TCP_PORT  also listen on 127.0.0.1:<port> (default: no TCP)
#   PGWRAP_PG_BINDIR    directory holding initdb/pg_ctl (default: autodetect)
set -euo pipefail

readonly PROG=pg_throwaway
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly STATE_FILE=${PGWRAP_PG_STATE:-$REPO_ROOT/.pgwrap-pg}
readonly DEFAULT_PORT=5432

# die, note, SERVER_USER, find_bindir, as_server, is_live
# shellcheck source=scripts/pg_common.sh
source "$REPO_ROOT/scripts/pg_common.sh"

# --- state file: simple KEY=VALUE lines, parsed (never sourced) ------------

STATE_DIR='' STATE_PORT='' STATE_SUPERUSER='' STATE_BINDIR='' STATE_PID=''

read_state() {
    [[ -f $STATE_FILE ]] || return 1
    local key value
    while IFS='=' read -r key value; do
        case $key in
            dir) STATE_DIR=$value ;;
            port) STATE_PORT=$value ;;
            superuser) STATE_SUPERUSER=$value ;;
            bindir) STATE_BINDIR=$value ;;
            pid) STATE_PID=$value ;;
        esac
    done <"$STATE_FILE"
    [[ -n $STATE_DIR ]]
}

write_state() {
    local tmp=$STATE_FILE.tmp.$$
    {
        echo "# pgwrap throwaway PostgreSQL server; managed by scripts/pg_throwaway.sh"
        echo "dir=$1"
        echo "port=$2"
        echo "superuser=$SERVER_USER"
        echo "bindir=$3"
        echo "pid=$4"
    } >"$tmp"
    mv -f "$tmp" "$STATE_FILE"
}

is_running() {
    read_state || return 1
    [[ -d $STATE_DIR/data && -n $STATE_BINDIR ]] || return 1
    as_server "$STATE_DIR" "$STATE_BINDIR/pg_ctl" status -D "$STATE_DIR/data" >/dev/null 2>&1
}

# Only ever rm -rf a directory that looks like one we made.
is_our_dir() {
    [[ $(basename "$1") == pgwrap-pg.* && -d $1 ]]
}

# True if $1 is a live postgres process (guards against a reused pid).
is_postgres_pid() {
    is_live "$1" postgres postmaster
}

# Stop the server in $1 by any means: pg_ctl first, then signals to the
# postmaster (from postmaster.pid or the pid saved in the state), so a
# half-broken data dir still gets cleaned up.
kill_server() {
    local dir=$1 bindir=$2 saved_pid=$3 pid
    if [[ -n $bindir && -f $dir/data/postmaster.pid ]]; then
        as_server "$dir" "$bindir/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1 || true
    fi
    for pid in "$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)" "$saved_pid"; do
        is_postgres_pid "$pid" || continue
        kill -QUIT "$pid" 2>/dev/null || true   # immediate shutdown
        for _ in $(seq 50); do is_postgres_pid "$pid" || break; sleep 0.1; done
        if is_postgres_pid "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
}

remove_dir() {
    if is_our_dir "$1"; then
        rm -rf -- "$1"
    elif [[ -e $1 ]]; then
        note "not deleting $1: does not look like a pgwrap-pg temp dir"
    fi
}

# --- commands ---------------------------------------------------------------

cmd_stop() {
    read_state || return 0
    kill_server "$STATE_DIR" "$STATE_BINDIR" "$STATE_PID"
    remove_dir "$STATE_DIR"
    rm -f -- "$STATE_FILE"
}

cmd_start() {
    if is_running; then
        echo "$PROG: already running in $STATE_DIR (port $STATE_PORT)"
        return 0
    fi
    # A state file without a live server (reboot, crash, wiped /tmp): clear it.
    if [[ -f $STATE_FILE ]]; then
        note "cleaning up stale state from $STATE_FILE"
        cmd_stop
    fi

    local port=$DEFAULT_PORT listen=''
    if [[ -n ${PGWRAP_PG_TCP_PORT:-} ]]; then
        if [[ ! $PGWRAP_PG_TCP_PORT =~ ^[0-9]{1,5}$ ]] || ((10#$PGWRAP_PG_TCP_PORT < 1 || 10#$PGWRAP_PG_TCP_PORT > 65535)); then
            die "PGWRAP_PG_TCP_PORT must be a port number, got '$PGWRAP_PG_TCP_PORT'"
        fi
        # The port also names the socket file, so both use the same number.
        port=$((10#$PGWRAP_PG_TCP_PORT)) listen=127.0.0.1
    fi

    id "$SERVER_USER" >/dev/null 2>&1 || die "user '$SERVER_USER' does not exist (install postgresql first)"
    # Globals, not locals: the EXIT trap below must still see them.
    bindir=$(find_bindir)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/pgwrap-pg.XXXXXX")
    # The path goes unquoted into postgresql.conf, a conninfo string and eval
    # output, and a Unix socket path is limited to 107 bytes.
    if [[ ! $dir =~ ^[A-Za-z0-9._/+-]+$ ]] || ((${#dir} + 20 > 107)); then
        rmdir "$dir"
        die "temp dir '$dir' has odd characters or is too long for a socket path; set TMPDIR=/tmp"
    fi
    # Undo a half-done start: no server or temp dir is left behind.
    trap 'kill_server "$dir" "$bindir" ""; remove_dir "$dir"' EXIT
    if [[ $(id -u) -eq 0 ]]; then
        chown "$SERVER_USER": "$dir"
    fi

    if ! as_server "$dir" "$bindir/initdb" -D "$dir/data" --auth=trust --encoding=UTF8 --locale=C \
        -U "$SERVER_USER" --no-sync >"$dir/initdb.log" 2>&1; then
        tail -n 30 "$dir/initdb.log" >&2 || true
        die "initdb failed"
    fi

    # Speed over durability: the data is thrown away anyway.
    as_server "$dir" tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# --- pgwrap throwaway server ---
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF

    # Members of the role pgwrap_password_auth (which tests create) must give
    # a password on every path, so that a test can rotate one for real; the
    # rest keep trust. A +role line for a role that does not exist matches no one.
    local hba=$dir/data/pg_hba.conf
    as_server "$dir" sh -c 'cat - "$1" >"$1.new" && mv "$1.new" "$1"' sh "$hba" <<EOF
local all +pgwrap_password_auth scram-sha-256
host  all +pgwrap_password_auth 127.0.0.1/32 scram-sha-256
host  all +pgwrap_password_auth ::1/128 scram-sha-256
EOF

    if ! as_server "$dir" "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 >/dev/null 2>&1; then
        echo "--- tail of $dir/server.log ---" >&2
        tail -n 40 "$dir/server.log" >&2 || true
        die "server failed to start"
    fi

    local pid
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    write_state "$dir" "$port" "$bindir" "$pid"
    trap - EXIT

    local where="socket in $dir, port $port"
    [[ -n $listen ]] && where+=", TCP 127.0.0.1:$port"
    echo "$PROG: PostgreSQL running ($where, superuser $SERVER_USER); state in $STATE_FILE"
}

cmd_env() {
    is_running || die "no throwaway server running (state file $STATE_FILE); run: scripts/pg_throwaway.sh start"
    cat <<EOF
export PGHOST=$STATE_DIR
export PGPORT=$STATE_PORT
export PGUSER=$STATE_SUPERUSER
export PGDATABASE=postgres
export PGWRAP_TEST_DSN='host=$STATE_DIR port=$STATE_PORT user=$STATE_SUPERUSER dbname=postgres'
EOF
}

cmd_status() {
    if is_running; then
        echo "running: socket in $STATE_DIR, port $STATE_PORT, superuser $STATE_SUPERUSER"
    else
        echo "not running"
        return 1
    fi
}

usage() {
    echo "usage: $0 start|stop|env|status" >&2
    exit 2
}

# Serialize start/stop of the same state file (e.g. two shells racing):
# lock the script itself, so no extra lock file is left behind.
lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9<"${BASH_SOURCE[0]}"
        flock 9
    fi
}

main() {
    [[ $# -eq 1 ]] || usage
    case $1 in
        start) lock; cmd_start ;;
        stop) lock; cmd_stop ;;
        env) cmd_env ;;
        status) cmd_status ;;
        *) usage ;;
    esac
}

main "$@"

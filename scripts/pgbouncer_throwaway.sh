#!/usr/bin/env bash
# pgbouncer in transaction-pooling mode in front of a private PostgreSQL cluster.
#
#   scripts/pgbouncer_throwaway.sh start   initdb a cluster, start it and a pgbouncer in front of it
#   scripts/pgbouncer_throwaway.sh env     print `export ...` lines for eval (see below)
#   scripts/pgbouncer_throwaway.sh stop    stop both and delete everything
#
# Both listen on Unix sockets only, in a private temp dir. pgbouncer runs
# pool_mode=transaction with auth_type=trust (the server user, no password)
# and at most 4 server connections per database. `env` prints:
#   PGWRAP_PGBOUNCER_DSN         through pgbouncer (dbname=postgres)
#   PGWRAP_PGBOUNCER_SERVER_DSN  the cluster directly, bypassing pgbouncer
# Environment: PGWRAP_BOUNCER_STATE state file (default <repo root>/.pgwrap-bouncer),
#              PGWRAP_PG_BINDIR as for pg_throwaway.sh.
set -euo pipefail

readonly PROG=pgbouncer_throwaway
SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
readonly SCRIPT
STATE_FILE=${PGWRAP_BOUNCER_STATE:-$(dirname "$SCRIPT")/../.pgwrap-bouncer}
readonly STATE_FILE
# shellcheck source=scripts/pg_env_lib.sh
source "$(dirname "$SCRIPT")/pg_env_lib.sh"

readonly SERVER_PORT=5432 BOUNCER_PORT=6432  # socket-only: the ports just name the socket files

find_pgbouncer() {
    local p
    for p in "$(command -v pgbouncer 2>/dev/null || true)" /usr/sbin/pgbouncer /usr/bin/pgbouncer; do
        if [[ -n $p && -x $p ]]; then echo "$p"; return; fi
    done
    die "pgbouncer is not installed (Debian: apt-get install pgbouncer; ./dev deps does it)"
}

cmd_start() {
    if read_env_dir; then
        die "already started in $ENV_DIR; run: $0 stop"
    fi
    id "$SERVER_USER" >/dev/null 2>&1 || die "user '$SERVER_USER' does not exist (install postgresql first)"
    local pgbouncer
    pgbouncer=$(find_pgbouncer)
    make_env_dir
    trap stop_env EXIT  # a failed start leaves nothing behind

    init_cluster "$ENV_DIR/server" <<EOF
listen_addresses = ''
port = $SERVER_PORT
unix_socket_directories = '$ENV_DIR'
EOF
    start_cluster "$ENV_DIR/server" || die "the server failed to start"

    # No listen_addr: the Unix socket only. The wildcard entry forwards every
    # database name to the cluster. Prepared statements are not pooled
    # (pgbouncer 1.18 has no support for them): see docs/deployment.md.
    as_server "$ENV_DIR" tee "$ENV_DIR/userlist.txt" >/dev/null <<<"\"$SERVER_USER\" \"\""
    as_server "$ENV_DIR" tee "$ENV_DIR/pgbouncer.ini" >/dev/null <<EOF
[databases]
* = host=$ENV_DIR port=$SERVER_PORT

[pgbouncer]
unix_socket_dir = $ENV_DIR
listen_port = $BOUNCER_PORT
pool_mode = transaction
auth_type = trust
auth_file = $ENV_DIR/userlist.txt
default_pool_size = 4
max_client_conn = 100
pidfile = $ENV_DIR/pgbouncer.pid
logfile = $ENV_DIR/pgbouncer.log
EOF
    if ! as_server "$ENV_DIR" "$pgbouncer" -d -q "$ENV_DIR/pgbouncer.ini"; then
        tail -n 20 "$ENV_DIR/pgbouncer.log" >&2 || true
        die "pgbouncer failed to start"
    fi
    local dsn="host=$ENV_DIR port=$BOUNCER_PORT user=$SERVER_USER dbname=postgres"
    if ! wait_for_true "$dsn" "SELECT true"; then
        tail -n 20 "$ENV_DIR/pgbouncer.log" >&2 || true
        die "pgbouncer does not answer on $ENV_DIR/.s.PGSQL.$BOUNCER_PORT"
    fi

    cat >"$ENV_DIR/env" <<EOF
export PGWRAP_PGBOUNCER_DSN='$dsn'
export PGWRAP_PGBOUNCER_SERVER_DSN='host=$ENV_DIR port=$SERVER_PORT user=$SERVER_USER dbname=postgres'
EOF
    trap - EXIT
    echo "$PROG: pgbouncer (transaction pooling) on $ENV_DIR/.s.PGSQL.$BOUNCER_PORT; state in $STATE_FILE"
}

EXTRA_COMMANDS=()
env_main "$@"

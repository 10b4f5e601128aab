#!/usr/bin/env bash
# A primary and streaming-replication standbys, for failover and cluster tests.
#
#   scripts/pg_replication.sh start     initdb a primary, pg_basebackup -R a standby from it (two with
#                                       PGWRAP_REPL_STANDBYS=2), start them all
#   scripts/pg_replication.sh env       print `export ...` lines for eval (see below)
#   scripts/pg_replication.sh failover  stop the primary, promote the standby, wait until it takes writes
#   scripts/pg_replication.sh stop_standbys  stop every standby (fast), leaving the primary running
#   scripts/pg_replication.sh restart_primary  restart the primary (fast: its sessions end), no failover
#   scripts/pg_replication.sh restart_standby  restart the last standby (fast)
#   scripts/pg_replication.sh reset     back to the state `start` leaves: unless the primary still takes
#                                       writes with the standby streaming from it, replace both by a fresh pair
#   scripts/pg_replication.sh stop      stop both and delete everything
#
# Both servers listen on Unix sockets only, each in its own directory inside
# a private temp dir, so several environments never clash. `env` prints:
#   PGWRAP_FAILOVER_DSN          host=<primary>,<standby> port=P,S user=... dbname=postgres
#   PGWRAP_FAILOVER_PRIMARY_DSN  the primary alone
#   PGWRAP_FAILOVER_STANDBY_DSN  the standby alone
#   PGWRAP_FAILOVER_STANDBY2_DSN the second standby alone (only with PGWRAP_REPL_STANDBYS=2)
#   PGWRAP_FAILOVER_COMMAND      a shell command that runs `failover` on this environment
#   PGWRAP_FAILOVER_RESET_COMMAND  the same for `reset` (each failover test starts with it)
#   PGWRAP_REPL_STOP_STANDBYS_COMMAND  the same for `stop_standbys`
#   PGWRAP_REPL_RESTART_PRIMARY_COMMAND, PGWRAP_REPL_RESTART_STANDBY_COMMAND  the same for the restarts
# Environment: PGWRAP_REPL_STATE state file (default <repo root>/.pgwrap-repl),
#              PGWRAP_REPL_STANDBYS how many standbys `start` makes: 1 (default) or 2; reset
#              remakes as many as start made. failover promotes the first standby only (the
#              second keeps following the stopped primary).
#              PGWRAP_PG_BINDIR as for pg_throwaway.sh.
set -euo pipefail

readonly PROG=pg_replication
SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
readonly SCRIPT
STATE_FILE=${PGWRAP_REPL_STATE:-$(dirname "$SCRIPT")/../.pgwrap-repl}
readonly STATE_FILE
# shellcheck source=scripts/pg_env_lib.sh
source "$(dirname "$SCRIPT")/pg_env_lib.sh"

readonly PRIMARY_PORT=5432 STANDBY_PORT=5433 STANDBY2_PORT=5434  # socket-only: the port names the socket file

dsn_for() { echo "host=$ENV_DIR/$1-socket port=$2 user=$SERVER_USER dbname=postgres"; }

# How many standbys this environment has: as recorded by start, else as asked.
standby_count() {
    if [[ -n ${ENV_DIR:-} && -f $ENV_DIR/standbys ]]; then
        cat "$ENV_DIR/standbys"
    else
        echo "${PGWRAP_REPL_STANDBYS:-1}"
    fi
}

# pg_basebackup -R a standby named $1 from the primary, on port $2, and start it.
start_standby() {
    local name=$1 port=$2 bindir
    bindir=$(find_bindir)
    as_server "$ENV_DIR" mkdir -p "$ENV_DIR/$name-socket"
    # -R writes standby.signal and primary_conninfo; the copied config then
    # gets the standby's own socket and port (later lines win).
    if ! as_server "$ENV_DIR" "$bindir/pg_basebackup" -D "$ENV_DIR/$name" -R -X stream -c fast --no-sync \
        -h "$ENV_DIR/primary-socket" -p "$PRIMARY_PORT" -U "$SERVER_USER" >"$ENV_DIR/$name.basebackup.log" 2>&1; then
        cat "$ENV_DIR/$name.basebackup.log" >&2
        die "pg_basebackup failed for $name"
    fi
    as_server "$ENV_DIR" tee -a "$ENV_DIR/$name/postgresql.conf" >/dev/null <<EOF
port = $port
unix_socket_directories = '$ENV_DIR/$name-socket'
EOF
    start_cluster "$ENV_DIR/$name" || die "$name failed to start"
    wait_for_true "$(dsn_for "$name" "$port")" "SELECT pg_is_in_recovery()" ||
        die "$name did not come up in recovery"
}

# Creates a primary and its standbys streaming from it in $ENV_DIR and
# starts them; the same sockets and ports every time, so the DSNs stay valid.
start_pair() {
    local count
    count=$(standby_count)
    [[ $count == 1 || $count == 2 ]] || die "PGWRAP_REPL_STANDBYS must be 1 or 2, not '$count'"
    echo "$count" | as_server "$ENV_DIR" tee "$ENV_DIR/standbys" >/dev/null
    as_server "$ENV_DIR" mkdir -p "$ENV_DIR/primary-socket"

    # initdb --auth=trust already allows local replication connections.
    init_cluster "$ENV_DIR/primary" <<EOF
listen_addresses = ''
port = $PRIMARY_PORT
unix_socket_directories = '$ENV_DIR/primary-socket'
wal_level = replica
max_wal_senders = 6
EOF
    start_cluster "$ENV_DIR/primary" || die "the primary failed to start"
    start_standby standby "$STANDBY_PORT"
    if ((count == 2)); then start_standby standby2 "$STANDBY2_PORT"; fi
    wait_for_true "$(dsn_for primary $PRIMARY_PORT)" \
        "SELECT count(*) = $count FROM pg_stat_replication WHERE state = 'streaming'" ||
        die "the standbys do not stream from the primary"
}

cmd_start() {
    if read_env_dir; then
        die "already started in $ENV_DIR; run: $0 stop"
    fi
    id "$SERVER_USER" >/dev/null 2>&1 || die "user '$SERVER_USER' does not exist (install postgresql first)"
    make_env_dir
    trap stop_env EXIT  # a failed start leaves nothing behind
    start_pair

    cat >"$ENV_DIR/env" <<EOF
export PGWRAP_FAILOVER_DSN='host=$ENV_DIR/primary-socket,$ENV_DIR/standby-socket port=$PRIMARY_PORT,$STANDBY_PORT user=$SERVER_USER dbname=postgres'
export PGWRAP_FAILOVER_PRIMARY_DSN='$(dsn_for primary $PRIMARY_PORT)'
export PGWRAP_FAILOVER_STANDBY_DSN='$(dsn_for standby $STANDBY_PORT)'
EOF
    if (($(standby_count) == 2)); then
        echo "export PGWRAP_FAILOVER_STANDBY2_DSN='$(dsn_for standby2 $STANDBY2_PORT)'" >>"$ENV_DIR/env"
    fi
    # The commands go through a shell (std::system): quote the paths for it.
    local run
    run="PGWRAP_REPL_STATE=$(printf %q "$STATE_FILE") $(printf %q "$SCRIPT")"
    {
        printf 'export PGWRAP_FAILOVER_COMMAND=%q\n' "$run failover"
        printf 'export PGWRAP_FAILOVER_RESET_COMMAND=%q\n' "$run reset"
        printf 'export PGWRAP_REPL_STOP_STANDBYS_COMMAND=%q\n' "$run stop_standbys"
        printf 'export PGWRAP_REPL_RESTART_PRIMARY_COMMAND=%q\n' "$run restart_primary"
        printf 'export PGWRAP_REPL_RESTART_STANDBY_COMMAND=%q\n' "$run restart_standby"
    } >>"$ENV_DIR/env"
    trap - EXIT
    echo "$PROG: primary and $(standby_count) streaming standby(s) running in $ENV_DIR; state in $STATE_FILE"
}

cmd_failover() {
    read_env_dir || die "not running (state file $STATE_FILE)"
    local bindir
    bindir=$(find_bindir)
    # A fast shutdown ends every session with "terminating connection due to
    # administrator command", as a real primary going away does.
    as_server "$ENV_DIR" "$bindir/pg_ctl" stop -D "$ENV_DIR/primary" -m fast -w -t 60 >/dev/null ||
        die "could not stop the primary"
    as_server "$ENV_DIR" "$bindir/pg_ctl" promote -D "$ENV_DIR/standby" -w -t 60 >/dev/null ||
        die "could not promote the standby"
    wait_for_true "$(dsn_for standby $STANDBY_PORT) target_session_attrs=read-write" "SELECT NOT pg_is_in_recovery()" ||
        die "the promoted standby does not accept writes"
    echo "$PROG: primary stopped; the standby is the new primary"
}

cmd_stop_standbys() {
    read_env_dir || die "not running (state file $STATE_FILE)"
    local bindir name
    bindir=$(find_bindir)
    for name in standby standby2; do
        [[ -f $ENV_DIR/$name/postmaster.pid ]] || continue
        as_server "$ENV_DIR" "$bindir/pg_ctl" stop -D "$ENV_DIR/$name" -m fast -w -t 60 >/dev/null ||
            die "could not stop $name"
    done
    echo "$PROG: standbys stopped; the primary still runs (reset brings them back)"
}

# Restarts the server in $ENV_DIR/$1 (fast: every session ends, as when a
# server is restarted for maintenance) and waits until it answers on $2.
restart_server() {
    local name=$1 port=$2 bindir
    read_env_dir || die "not running (state file $STATE_FILE)"
    bindir=$(find_bindir)
    as_server "$ENV_DIR" "$bindir/pg_ctl" restart -D "$ENV_DIR/$name" -m fast -w -t 60 -l "$ENV_DIR/$name.log" \
        >/dev/null || die "could not restart $name"
    wait_for_true "$(dsn_for "$name" "$port")" "SELECT true" || die "$name did not come back"
    echo "$PROG: $name restarted"
}

cmd_restart_primary() { restart_server primary "$PRIMARY_PORT"; }

cmd_restart_standby() {
    read_env_dir || die "not running (state file $STATE_FILE)"
    if (($(standby_count) == 2)); then restart_server standby2 "$STANDBY2_PORT"; else restart_server standby "$STANDBY_PORT"; fi
}

# True when the servers are as `start` left them: the primary takes writes
# and every standby streams from it. (Data written meanwhile is not checked.)
pair_is_fresh() {
    local bindir out
    bindir=$(find_bindir)
    out=$(as_server "$ENV_DIR" "$bindir/psql" -X -A -t -d "$(dsn_for primary $PRIMARY_PORT)" -c \
        "SELECT NOT pg_is_in_recovery() AND (SELECT count(*) = $(standby_count) FROM pg_stat_replication WHERE state = 'streaming')" \
        2>/dev/null || true)
    [[ $out == t ]]
}

# After a failover the old primary is gone for good (no pg_rewind here): a
# fresh pair in the same places, so the DSNs the tests hold stay valid.
cmd_reset() {
    read_env_dir || die "not running (state file $STATE_FILE)"
    if pair_is_fresh; then
        echo "$PROG: primary and streaming standby already as started"
        return 0
    fi
    is_env_dir "$ENV_DIR" || die "$ENV_DIR does not look like a pgwrap-env temp dir"
    kill_cluster "$ENV_DIR/standby2"
    kill_cluster "$ENV_DIR/standby"
    kill_cluster "$ENV_DIR/primary"
    rm -rf -- "$ENV_DIR/primary" "$ENV_DIR/standby" "$ENV_DIR/standby2"
    start_pair
    echo "$PROG: fresh primary and streaming standby(s) running in $ENV_DIR"
}

EXTRA_COMMANDS=(failover reset stop_standbys restart_primary restart_standby)
env_main "$@"

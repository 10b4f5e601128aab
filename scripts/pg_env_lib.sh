# shellcheck shell=bash
# Shared by the environment scripts (pg_replication.sh, pgbouncer_throwaway.sh,
# pg_tls.sh): private PostgreSQL clusters in one temp dir per environment.
# Sourced, not run. The sourcing script sets PROG and STATE_FILE first.
#
# An environment is a directory /tmp/pgwrap-env.XXXXXX holding everything it
# made (data dirs, sockets, logs, certificates, configs) and a file `env` of
# `export ...` lines for the tests. The state file names that directory, so
# `stop` finds and removes it even after a half-done start.

# die, note, SERVER_USER, find_bindir, as_server, is_live
# shellcheck source=scripts/pg_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg_common.sh"

# Only ever rm -rf a directory that looks like one we made.
is_env_dir() {
    [[ $(basename "$1") == pgwrap-env.* && -d $1 ]]
}

# Creates the environment dir, owned by the server user, and records it in
# the state file at once, so that `stop` can clean up a failed start.
make_env_dir() {
    ENV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgwrap-env.XXXXXX")
    # The path goes unquoted into config files and conninfo strings, and a
    # Unix socket path is limited to 107 bytes.
    if [[ ! $ENV_DIR =~ ^[A-Za-z0-9._/+-]+$ ]] || ((${#ENV_DIR} + 40 > 107)); then
        rmdir "$ENV_DIR"
        die "temp dir '$ENV_DIR' has odd characters or is too long for a socket path; set TMPDIR=/tmp"
    fi
    if [[ $(id -u) -eq 0 ]]; then
        chown "$SERVER_USER": "$ENV_DIR"
    fi
    echo "dir=$ENV_DIR" >"$STATE_FILE"
}

# Sets ENV_DIR from the state file; false when there is none.
read_env_dir() {
    ENV_DIR=''
    [[ -s $STATE_FILE ]] || return 1
    local key value
    while IFS='=' read -r key value; do
        [[ $key == dir ]] && ENV_DIR=$value
    done <"$STATE_FILE"
    [[ -n $ENV_DIR ]]
}

# initdb into $1 (a new directory), trust auth, fast settings; the lines on
# stdin are appended to its postgresql.conf.
init_cluster() {
    local data=$1 bindir
    bindir=$(find_bindir)
    if ! as_server "$ENV_DIR" "$bindir/initdb" -D "$data" --auth=trust --encoding=UTF8 --locale=C \
        -U "$SERVER_USER" --no-sync >"$data.initdb.log" 2>&1; then
        tail -n 30 "$data.initdb.log" >&2 || true
        die "initdb failed for $data"
    fi
    {
        echo
        echo "# --- pgwrap test environment ---"
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "shared_buffers = 16MB"
        echo "max_connections = 40"
        cat
    } | as_server "$ENV_DIR" tee -a "$data/postgresql.conf" >/dev/null
}

# Starts the cluster in $1, logging to $1.log; false (with the log shown)
# when it does not come up.
start_cluster() {
    local data=$1 bindir
    bindir=$(find_bindir)
    if ! as_server "$ENV_DIR" "$bindir/pg_ctl" start -D "$data" -l "$data.log" -w -t 60 >/dev/null 2>&1; then
        echo "--- tail of $data.log ---" >&2
        tail -n 20 "$data.log" >&2 || true
        return 1
    fi
}

# Stops the cluster in $1 by any means (pg_ctl, then signals), so a
# half-broken data dir still goes away.
kill_cluster() {
    local data=$1 bindir pid
    [[ -f $data/postmaster.pid ]] || return 0
    bindir=$(find_bindir)
    as_server "$ENV_DIR" "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1 || true
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
    if is_live "$pid" postgres; then
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 50); do is_live "$pid" postgres || break; sleep 0.1; done
        if is_live "$pid" postgres; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
}

# Stops whatever the environment runs (every cluster, a pgbouncer) and
# deletes it and the state file.
stop_env() {
    read_env_dir || { rm -f -- "$STATE_FILE"; return 0; }
    if [[ -f $ENV_DIR/pgbouncer.pid ]]; then
        local pid
        pid=$(cat "$ENV_DIR/pgbouncer.pid" 2>/dev/null || true)
        if is_live "$pid" pgbouncer; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do is_live "$pid" pgbouncer || break; sleep 0.1; done
            if is_live "$pid" pgbouncer; then kill -KILL "$pid" 2>/dev/null || true; fi
        fi
    fi
    local pidfile
    for pidfile in "$ENV_DIR"/*/postmaster.pid; do
        [[ -f $pidfile ]] && kill_cluster "$(dirname "$pidfile")"
    done
    if is_env_dir "$ENV_DIR"; then
        rm -rf -- "$ENV_DIR"
    elif [[ -e $ENV_DIR ]]; then
        note "not deleting $ENV_DIR: does not look like a pgwrap-env temp dir"
    fi
    rm -f -- "$STATE_FILE"
}

# A TCP port on 127.0.0.1 that nothing listens on right now. Someone may
# still take it before our server binds it: callers retry on a failed start.
pick_free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return 0
        fi
    done
    die "found no free TCP port"
}

# Waits (bounded) until `psql ... -c "$2"` run against conninfo $1 prints "t".
wait_for_true() {
    local conninfo=$1 sql=$2 bindir out
    bindir=$(find_bindir)
    for _ in $(seq 300); do
        out=$(as_server "$ENV_DIR" "$bindir/psql" -X -A -t -d "$conninfo" -c "$sql" 2>/dev/null || true)
        [[ $out == t ]] && return 0
        sleep 0.1
    done
    return 1
}

# `env`: the export lines the last start wrote.
print_env() {
    if ! read_env_dir || [[ ! -f $ENV_DIR/env ]]; then
        die "not running (state file $STATE_FILE); run: $0 start"
    fi
    cat "$ENV_DIR/env"
}

# The command line of an environment script: start, stop, env, and the
# commands the script lists in EXTRA_COMMANDS (each runs cmd_<name>).
env_main() {
    local extra=("${EXTRA_COMMANDS[@]}")
    local usage="usage: $0 start|stop|env${extra[*]:+|${extra[*]// /|}}"
    [[ $# -eq 1 ]] || { echo "$usage" >&2; exit 2; }
    case $1 in
        start) cmd_start ;;
        stop) stop_env ;;
        env) print_env ;;
        *)
            local e
            for e in "${extra[@]}"; do
                if [[ $1 == "$e" ]]; then "cmd_$e"; return; fi
            done
            echo "$usage" >&2
            exit 2
            ;;
    esac
}

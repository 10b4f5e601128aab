# shellcheck shell=bash
# Shared by every script that runs a PostgreSQL server of ours (pg_throwaway.sh,
# and through pg_env_lib.sh the environment scripts). Sourced, not run; the
# sourcing script sets PROG first.

die() { echo "$PROG: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }

# PostgreSQL (and pgbouncer) refuse to run as root, so as root the servers run
# as `postgres`, which is also the clusters' superuser; otherwise it is all
# the current user.
if [[ $(id -u) -eq 0 ]]; then
    SERVER_USER=postgres
else
    SERVER_USER=$(id -un)
fi
readonly SERVER_USER

# Debian keeps initdb/pg_ctl off PATH under /usr/lib/postgresql/<ver>/bin;
# elsewhere (Homebrew, Fedora) they are usually on PATH.
find_bindir() {
    if [[ -n ${PGWRAP_PG_BINDIR:-} ]]; then
        echo "$PGWRAP_PG_BINDIR"; return
    fi
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $d && -x $d/pg_ctl ]]; then
        echo "$d"; return
    fi
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"; return
    fi
    die "cannot find initdb/pg_ctl (install postgresql, or set PGWRAP_PG_BINDIR)"
}

# Run a server program as SERVER_USER, from a directory that user can enter
# (the server user may not be allowed into the caller's cwd). fd 9 is closed
# so the server never inherits a lock a script holds on it.
as_server() {
    local dir=$1; shift
    if [[ $(id -u) -eq 0 ]]; then
        (cd "$dir" && exec 9<&- && exec runuser -u "$SERVER_USER" -- "$@")
    else
        (cd "$dir" && exec 9<&- && exec "$@")
    fi
}

# True if $1 is a live process whose command name starts with one of the
# other arguments (a guard against a reused pid). Reads /proc/<pid>/comm, so
# no procps (`ps`) is needed; without /proc, falls back to `kill -0`, which
# tells only that some process of ours has that pid.
is_live() {
    local pid=$1 comm name
    shift
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    if [[ ! -d /proc/self ]]; then
        kill -0 "$pid" 2>/dev/null
        return
    fi
    read -r comm 2>/dev/null <"/proc/$pid/comm" || return 1
    for name in "$@"; do
        [[ $comm == "$name"* ]] && return 0
    done
    return 1
}

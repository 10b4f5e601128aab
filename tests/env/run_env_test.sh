#!/usr/bin/env bash
# CTest driver for the environment tests (tests/CMakeLists.txt, label `env`):
#
#   run_env_test.sh failover|cluster|chaos|pgbouncer|tls <gtest binary> [more gtest args]
#
# Starts the environment with its script in scripts/ (a private state file,
# so runs in parallel never share one), runs the binary's tests of that
# suite with the environment's variables set, and stops the environment on
# every exit path. Fails when the tests were skipped: here they must run.
set -euo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 failover|cluster|chaos|pgbouncer|tls <gtest binary> [gtest args]" >&2; exit 2; }
kind=$1 binary=$2
shift 2
scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)

case $kind in
    failover) script=$scripts/pg_replication.sh state_var=PGWRAP_REPL_STATE ;;
    # A primary and two standbys (pgwrap::cluster).
    cluster) script=$scripts/pg_replication.sh state_var=PGWRAP_REPL_STATE
             export PGWRAP_REPL_STANDBYS=2 ;;
    # The same, with scripts/pg_chaos.sh for the faults (tests/stress/chaos_test.cpp).
    chaos) script=$scripts/pg_replication.sh state_var=PGWRAP_REPL_STATE
           export PGWRAP_REPL_STANDBYS=2 PGWRAP_CHAOS_COMMAND=$scripts/pg_chaos.sh ;;
    pgbouncer) script=$scripts/pgbouncer_throwaway.sh state_var=PGWRAP_BOUNCER_STATE ;;
    tls) script=$scripts/pg_tls.sh state_var=PGWRAP_TLS_STATE ;;
    *) echo "$0: unknown environment '$kind'" >&2; exit 2 ;;
esac

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/pgwrap-envrun.XXXXXX")
export "$state_var=$run_dir/state"
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    "$script" stop || echo "$0: warning: could not stop the $kind environment" >&2
    rm -rf -- "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$script" start
env_lines=$("$script" env)  # not inside eval: a failure must stop us here
eval "$env_lines"

# Bounded well below ctest's TIMEOUT (300 s): ctest kills with SIGKILL, which
# no trap survives, and the servers would be left running.
rc=0
timeout --kill-after=10 200 "$binary" "--gtest_filter=$kind.*" "$@" 2>&1 | tee "$run_dir/output" || rc=$?
if ((rc == 124 || rc == 137)); then
    echo "$0: the $kind tests did not finish within 200 s" >&2
fi
if ((rc == 0)) && grep -q '^\[  SKIPPED \]' "$run_dir/output"; then
    echo "$0: tests were skipped although the $kind environment is running" >&2
    rc=1
fi
if ((rc == 0)) && ! grep -q '^\[  PASSED  \] [1-9]' "$run_dir/output"; then
    echo "$0: no $kind test ran" >&2
    rc=1
fi
exit "$rc"

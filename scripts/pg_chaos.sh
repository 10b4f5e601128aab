#!/usr/bin/env bash
# Faults for the chaos test (tests/stress/chaos_test.cpp), against the
# primary and standbys of scripts/pg_replication.sh (its `env` variables set):
#
#   scripts/pg_chaos.sh SECONDS
#
# For SECONDS: on every server, every 100 ms, one random client backend is
# terminated (pg_terminate_backend); at a third of the time the last standby
# is restarted, at two thirds the primary (fast: all their sessions end).
# Ends with one line the test prints:
#   chaos: backends_killed=N standby_restarts=1 primary_restarts=1
#
# The killing runs inside each server (a DO loop, one psql per server): on a
# busy 2-core machine starting a psql per kill takes seconds, so a loop of
# processes would kill far less often than asked.
set -euo pipefail

[[ $# -eq 1 && $1 =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 SECONDS" >&2; exit 2; }
seconds=$1
for var in PGWRAP_FAILOVER_PRIMARY_DSN PGWRAP_FAILOVER_STANDBY_DSN PGWRAP_REPL_RESTART_PRIMARY_COMMAND \
    PGWRAP_REPL_RESTART_STANDBY_COMMAND; do
    [[ -n ${!var:-} ]] || { echo "$0: $var is not set (eval \"\$(scripts/pg_replication.sh env)\")" >&2; exit 2; }
done
servers=("$PGWRAP_FAILOVER_PRIMARY_DSN" "$PGWRAP_FAILOVER_STANDBY_DSN")
[[ -n ${PGWRAP_FAILOVER_STANDBY2_DSN:-} ]] && servers+=("$PGWRAP_FAILOVER_STANDBY2_DSN")
last=$((${#servers[@]} - 1))  # the standby that is restarted

counts=$(mktemp -d "${TMPDIR:-/tmp}/pgwrap-chaos.XXXXXX")
trap 'rm -rf -- "$counts"' EXIT

# Kills a random client backend (not psql, so not this loop) on server $1
# every 100 ms for $2 seconds, and appends how many it killed to a file. A
# restart of that server ends the loop early (that is expected).
kill_loop() {
    local index=$1 until=$2 n
    n=$(psql -X -q -d "${servers[index]}" -c "DO \$\$
        DECLARE
          stop timestamptz := clock_timestamp() + interval '$until seconds';
          victim int;
        BEGIN
          WHILE clock_timestamp() < stop LOOP
            PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity as it is now, not as at the first look
            SELECT pid INTO victim FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name <> 'psql'
             ORDER BY random() LIMIT 1;
            IF victim IS NOT NULL AND pg_terminate_backend(victim) THEN
              RAISE NOTICE 'killed %', victim;
            END IF;
            PERFORM pg_sleep(0.1);
          END LOOP;
        END \$\$" 2>&1 | grep -c '^NOTICE:  killed' || true)
    echo "$n" >>"$counts/killed"
}

# Sleeps until $1 seconds after the start (the schedule of the restarts).
wait_until() {
    local left=$(($1 - (SECONDS - start)))
    if ((left > 0)); then sleep "$left"; fi
}

start=$SECONDS
loops=()
for i in "${!servers[@]}"; do
    kill_loop "$i" "$seconds" &
    loops+=($!)
done

wait_until $((seconds / 3))
bash -c "$PGWRAP_REPL_RESTART_STANDBY_COMMAND" >/dev/null
kill_loop "$last" $((seconds - (SECONDS - start) > 0 ? seconds - (SECONDS - start) : 1)) &
loops+=($!)

wait_until $((2 * seconds / 3))
bash -c "$PGWRAP_REPL_RESTART_PRIMARY_COMMAND" >/dev/null
kill_loop 0 $((seconds - (SECONDS - start) > 0 ? seconds - (SECONDS - start) : 1)) &
loops+=($!)

wait "${loops[@]}"
killed=$(awk '{ n += $1 } END { print n + 0 }' "$counts/killed")
echo "chaos: backends_killed=$killed standby_restarts=1 primary_restarts=1"

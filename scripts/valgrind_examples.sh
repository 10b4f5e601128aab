#!/usr/bin/env bash
# Runs every example program of a build tree under valgrind's memcheck. Any
# memory error (invalid read or write, use of uninitialised memory, bad free)
# or any definitely or indirectly lost block fails the run; memory still
# reachable at exit (libpq's and libc's one-time allocations) does not.
#
#   scripts/valgrind_examples.sh BUILD_DIR
#
# The programs are those listed in BUILD_DIR/examples/examples.list, which
# examples/CMakeLists.txt writes. They use the default database
# (DATABASE_URL, else libpq's PG* variables); ./dev valgrind sets that up.
# Suppressions, each with its reason, are in scripts/valgrind.supp.
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly PROG HERE

die() {
    echo "$PROG: $*" >&2
    exit 2
}

(($# == 1)) || die "usage: $PROG BUILD_DIR"
list=$1/examples/examples.list
[[ -f $list ]] || die "$list not found: configure and build $1 with the examples first"
command -v valgrind >/dev/null 2>&1 || die "valgrind is not installed (Debian: apt-get install valgrind)"

mapfile -t programs < <(grep -v '^[[:space:]]*$' "$list")
((${#programs[@]} > 0)) || die "$list names no programs"

failed=()
for program in "${programs[@]}"; do
    [[ -x $program ]] || die "$program is not built"
    echo "==> valgrind memcheck: $program" >&2
    # --error-exitcode makes memcheck's findings fail the run; the program's
    # own failure (an exception, a non-zero exit) fails it as well.
    if ! valgrind --tool=memcheck --quiet \
        --error-exitcode=99 \
        --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --track-origins=yes --num-callers=30 \
        --suppressions="$HERE/valgrind.supp" \
        "$program"; then
        failed+=("$program")
    fi
done

if ((${#failed[@]} > 0)); then
    echo "$PROG: failed under memcheck: ${failed[*]}" >&2
    exit 1
fi
echo "$PROG: ${#programs[@]} programs ran clean under memcheck" >&2

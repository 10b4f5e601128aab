#!/usr/bin/env bash
# Fails when a test, benchmark, example or script names an IP address that is
# not loopback. Project rule: they may only reach Unix sockets, loopback
# (127.0.0.0/8, ::1) or network namespaces they create themselves.
#
#   scripts/check_ip_literals.sh [ROOT]    (ROOT: the repository, default: this script's)
#
# Scans every text file under ROOT's tests/, bench/, examples/ and scripts/,
# prints `file:line: literal` for each offending literal and exits 1 if there
# is one (0 if none, 2 on a usage error). It looks for:
#   - IPv4: dotted quads of four octets 0-255, standing alone (not part of a
#     longer dotted number such as a five-part version); allowed: 127.x.x.x.
#   - IPv6: a token of hex digits and colons (an IPv4 tail allowed) that
#     contains `::` or has all 8 groups, and at least one digit, so that C++
#     scopes (std::, a::b) never match; allowed: ::1.
# A line that carries the marker `ip-literal-ok` (in a comment, say: why the
# literal is harmless, e.g. it is only parsed, never connected to) is skipped.
set -euo pipefail

if (($# > 1)); then
    echo "usage: $0 [ROOT]" >&2
    exit 2
fi
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$root"

readonly MARKER=ip-literal-ok
# Standalone candidates; their octets and groups are checked below.
readonly IPV4_RE='(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)'
readonly IPV6_RE='(?<![\w:.])[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?![\w:])'

# True if $1 is an IPv4 address outside 127.0.0.0/8.
bad_ipv4() {
    local octets octet
    IFS=. read -ra octets <<<"$1"
    for octet in "${octets[@]}"; do
        ((10#$octet <= 255)) || return 1
    done
    ((10#${octets[0]} != 127))
}

# True if $1 is an IPv6 address other than ::1.
bad_ipv6() {
    local text=${1%.} groups group count rest
    [[ $text =~ [0-9] ]] || return 1
    # An IPv4 tail (as in ::ffff:a.b.c.d) counts as two groups.
    if [[ $text =~ ^(.*:)([0-9]{1,3}(\.[0-9]{1,3}){3})$ ]]; then
        text="${BASH_REMATCH[1]}0:0"
    fi
    rest=${text#*::}
    if [[ $text == *::* ]]; then
        [[ $rest != *::* ]] || return 1  # at most one ::
        text=${text/::/:x:}              # x: stands for the elided zero groups
    fi
    IFS=: read -ra groups <<<"$text"
    count=0
    for group in "${groups[@]}"; do
        [[ -z $group || $group == x ]] && continue
        [[ $group =~ ^[0-9A-Fa-f]{1,4}$ ]] || return 1
        count=$((count + 1))
    done
    if [[ $text == *:x:* ]]; then
        ((count < 8)) || return 1
    else
        ((count == 8)) || return 1
    fi
    [[ ${1%.} != ::1 ]]
}

dirs=()
for dir in tests bench examples scripts; do
    [[ -d $dir ]] && dirs+=("$dir")
done
((${#dirs[@]})) || { echo "$0: none of tests/ bench/ examples/ scripts/ in $root" >&2; exit 2; }

# grep exits 1 when nothing matches; anything above (no -P, say) must not
# pass silently.
grep_or_fail() {
    local rc=0
    grep "$@" || rc=$?
    if ((rc > 1)); then
        echo "$0: grep failed (exit $rc); it needs GNU grep with -P" >&2
        exit 2
    fi
}

# Lines carrying the marker, as file:line keys. (Assignments, so that set -e
# sees a failed grep.)
marks=$(grep_or_fail -rIHn -F "$MARKER" -- "${dirs[@]}" | cut -d: -f1,2)
hits=$(grep_or_fail -rIHnoP "$IPV4_RE|$IPV6_RE" -- "${dirs[@]}")
declare -A marked=()
while IFS= read -r mark; do
    [[ -n $mark ]] && marked[$mark]=1
done <<<"$marks"

# Each candidate came as file:line:literal (-I skips binary files). A file
# name with a colon in it would be misread; none here has one.
found=0
while IFS= read -r hit; do
    [[ -n $hit ]] || continue
    file=${hit%%:*}
    rest=${hit#*:}
    place=$file:${rest%%:*}
    literal=${rest#*:}
    [[ -n ${marked[$place]:-} ]] && continue
    if [[ $literal == *:* ]]; then bad_ipv6 "$literal" || continue; else bad_ipv4 "$literal" || continue; fi
    echo "$place: $literal"
    found=1
done <<<"$hits"

if ((found)); then
    echo "$0: tests, benchmarks, examples and scripts may only name loopback addresses" \
        "(127.0.0.0/8, ::1); mark a line that must keep its literal with '$MARKER'" >&2
    exit 1
fi

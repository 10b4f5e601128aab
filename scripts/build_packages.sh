#!/usr/bin/env bash
# build_packages.sh BUILD_DIR [cmake -D args...]: configure a shared, tests-off
# build of pgwrap in BUILD_DIR, build it and make the Debian packages there
# (cmake/packaging.cmake): libpgwrap<SOVERSION>_*.deb and libpgwrap-dev_*.deb.
# Used by ./dev package and by the packaging test (tests/packaging).
set -euo pipefail

if (($# < 1)); then
    echo "usage: $0 BUILD_DIR [cmake -D args...]" >&2
    exit 2
fi
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$1
shift

for tool in cmake cpack dpkg-deb dpkg-shlibdeps file; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build_packages.sh: $tool not found (Debian: cmake, dpkg-dev, file)" >&2
        exit 1
    fi
done

cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DBUILD_SHARED_LIBS=ON -DPGWRAP_BUILD_TESTS=OFF -DPGWRAP_BUILD_EXAMPLES=OFF \
    -DPGWRAP_BUILD_BENCH=OFF -DPGWRAP_INSTALL=ON "$@"
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)"
rm -f "$dir"/*.deb
cpack --config "$dir/CPackConfig.cmake" -B "$dir"
ls "$dir"/*.deb

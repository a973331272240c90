#!/usr/bin/env bash
# Sets up a fresh Debian machine (apt packages), builds patchbay with its tests and runs them,
# through the CMake presets (CMakePresets.json):
#   tools/test.sh            preset dev: build in build/ and run the whole suite
#   tools/test.sh --asan     preset asan-ubsan: AddressSanitizer + UndefinedBehaviorSanitizer
# Extra arguments after `--` go to ctest (e.g. tools/test.sh -- -L unit).
# When the PostgreSQL server binaries are installed, a throwaway cluster (tools/pg-cluster.sh) runs
# for the tests (PATCHBAY_TEST_PG_URL) and is stopped on exit; without it the postgres tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=dev
if [ "${1:-}" = "--asan" ]; then
  preset=asan-ubsan
  shift
fi
[ "${1:-}" = "--" ] && shift

tools/install-deps.sh
jobs=$(nproc)
start=$(date +%s)
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$jobs"
echo "build: $(( $(date +%s) - start )) s"

pg_dir=""
stop_pg() {
  if [ -n "$pg_dir" ]; then
    tools/pg-cluster.sh stop "$pg_dir/cluster" || true
    rm -rf "$pg_dir"
  fi
}
trap stop_pg EXIT
if [ -z "${PATCHBAY_TEST_PG_URL:-}" ]; then
  pg_dir=$(mktemp -d /tmp/patchbay-pg.XXXXXX)
  chmod 755 "$pg_dir"  # the server runs as the postgres user when we are root
  if url=$(tools/pg-cluster.sh start "$pg_dir/cluster" 2>"$pg_dir/error"); then
    export PATCHBAY_TEST_PG_URL=$url
    echo "postgres: a throwaway cluster on ${url##*@} for the tests"
  else
    echo "postgres: no test cluster ($(cat "$pg_dir/error")): the postgres tests skip"
  fi
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
start=$(date +%s)
ctest --preset "$preset" -j "$jobs" --timeout 300 "$@"
echo "tests: $(( $(date +%s) - start )) s"

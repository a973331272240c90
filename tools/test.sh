#!/usr/bin/env bash
# Sets up a fresh Debian machine (apt packages), builds patchbay with its tests and runs them.
#   tools/test.sh            build in build/ and run the whole suite
#   tools/test.sh --asan     the same with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
# Extra arguments after `--` go to ctest (e.g. tools/test.sh -- -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--asan" ]; then
  build=build-asan
  cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DPATCHBAY_SANITIZE=ON)
  shift
fi
[ "${1:-}" = "--" ] && shift

tools/install-deps.sh
jobs=$(nproc)
start=$(date +%s)
cmake -S . -B "$build" -G Ninja "${cmake_args[@]}"
cmake --build "$build" -j "$jobs"
echo "build: $(( $(date +%s) - start )) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
start=$(date +%s)
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 300 "$@"
echo "tests: $(( $(date +%s) - start )) s"

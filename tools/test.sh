#!/usr/bin/env bash
# Sets up a fresh Debian machine (apt packages), builds patchbay with its tests and runs them,
# through the CMake presets (CMakePresets.json):
#   tools/test.sh            preset dev: build in build/ and run the whole suite
#   tools/test.sh --asan     preset asan-ubsan: AddressSanitizer + UndefinedBehaviorSanitizer
# Extra arguments after `--` go to ctest (e.g. tools/test.sh -- -L unit).
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

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
start=$(date +%s)
ctest --preset "$preset" -j "$jobs" --timeout 300 "$@"
echo "tests: $(( $(date +%s) - start )) s"

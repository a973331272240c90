#!/usr/bin/env bash
# The habits CI enforces:
#   1. formatting: every C/C++ file as .clang-format says (clang-format --dry-run -Werror);
#   2. clang-tidy with the checks of .clang-tidy (bugprone-exception-escape included: it verifies
#      the fail-closed barrier at the plugin boundary) on every source of the product (host, kit,
#      common, plugin-api, plugins, fakes; tests and benchmarks are not linted), warnings as errors.
# Uses BUILD/compile_commands.json (default build/, from `cmake --preset dev`).
#   tools/lint.sh [--format-only] [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."

format_only=0
if [ "${1:-}" = "--format-only" ]; then
  format_only=1
  shift
fi
build=${1:-build}
jobs=$(nproc)

echo "lint: clang-format"
git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | xargs -P "$jobs" -n 40 clang-format --dry-run -Werror

[ $format_only -eq 1 ] && exit 0
if [ ! -f "$build/compile_commands.json" ]; then
  echo "lint: $build/compile_commands.json missing (configure with: cmake --preset dev)" >&2
  exit 2
fi
echo "lint: clang-tidy ($jobs jobs)"
start=$(date +%s)
git ls-files '*.cpp' | grep -v -E '^(tests|bench|examples)/' |
  xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet --warnings-as-errors='*' 2>/dev/null
echo "lint: clean ($(( $(date +%s) - start )) s)"

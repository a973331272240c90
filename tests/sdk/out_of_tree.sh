#!/usr/bin/env bash
# Builds the plugin template the way a third party would: against the installed SDK only, in a
# directory outside the source tree, then checks what it exports and that the host loads it.
#
#   out_of_tree.sh --build-dir DIR --template DIR --patchbay EXE [--cmake EXE] [--cxx EXE]
set -euo pipefail

build_dir="" template="" patchbay="" cmake="cmake" cxx=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --template) template="$2"; shift 2 ;;
    --patchbay) patchbay="$2"; shift 2 ;;
    --cmake) cmake="$2"; shift 2 ;;
    --cxx) cxx="$2"; shift 2 ;;
    *) echo "out_of_tree.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$build_dir" ] && [ -n "$template" ] && [ -n "$patchbay" ] || {
  echo "usage: out_of_tree.sh --build-dir DIR --template DIR --patchbay EXE [--cmake EXE] [--cxx EXE]" >&2
  exit 2
}

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/patchbay-sdk-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

step "install the dev component into $tmp/sdk"
"$cmake" --install "$build_dir" --component dev --prefix "$tmp/sdk" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install --component dev"; }
[ -f "$tmp/sdk/include/patchbay/plugin.hpp" ] || fail "SDK headers not installed"
config="$(find "$tmp/sdk" -name patchbay-plugin-api-config.cmake -print -quit)"
[ -n "$config" ] || fail "patchbay-plugin-api-config.cmake not installed"

step "copy the template out of the source tree"
# A copy, so nothing of the source tree (or a stale build in it) can leak into the build.
mkdir "$tmp/src"
cp -R "$template/." "$tmp/src/"
rm -rf "$tmp/src/build" "$tmp/src"/build-*

step "configure and build against the installed SDK"
cfg_args=(-S "$tmp/src" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/sdk"
          -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
[ -n "$cxx" ] && cfg_args+=(-DCMAKE_CXX_COMPILER="$cxx")
"$cmake" "${cfg_args[@]}" >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
found_dir="$(sed -n 's/^patchbay-plugin-api_DIR:PATH=//p' "$tmp/build/CMakeCache.txt")"
case "$found_dir" in
  "$tmp/sdk"/*) ;;
  *) fail "find_package used '$found_dir', not the SDK installed in $tmp/sdk" ;;
esac
"$cmake" --build "$tmp/build" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build"; }
so="$(find "$tmp/build" -name patchbay_template.so -print -quit)"
[ -n "$so" ] || fail "patchbay_template.so not produced"

step "check the exported symbols"
# Exactly one symbol of the plugin's own: the versioned entry. Linker-defined markers are allowed.
exports="$(nm -D --defined-only "$so" | awk '{print $NF}' |
           grep -Ev '^(_init|_fini|_edata|_end|__bss_start)$' || true)"
if [ "$exports" != "patchbay_plugin_entry_v1" ]; then
  echo "exported symbols:" >&2
  echo "$exports" | sed 's/^/  /' >&2
  fail "the plugin must export patchbay_plugin_entry_v1 and nothing else"
fi

step "load it with the host"
mkdir "$tmp/plugins"
cp "$so" "$tmp/plugins/"
rc=0
"$patchbay" plugins "$tmp/plugins" >"$tmp/plugins.out" 2>"$tmp/plugins.err" || rc=$?
cat "$tmp/plugins.out"
[ "$rc" -eq 0 ] || { cat "$tmp/plugins.err" >&2; fail "patchbay plugins exited with $rc"; }
grep -Eq '^ok .*name=template( |$)' "$tmp/plugins.out" ||
  fail "no 'ok ... name=template' line in the output of patchbay plugins"

echo "PASS: template built against the installed SDK and loaded by the host"

#!/usr/bin/env bash
# Prints the host's start-up figures: time from `patchbay run` to the first 200 from /readyz, and
# resident memory once idle, with the example config (the four shipped plugins loaded).
#   bench/host_startup.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build=${1:-build}
runs=${2:-5}
bin=$build/bin/patchbay
[ -x "$bin" ] || { echo "no $bin: build first (tools/test.sh or cmake --build $build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$(( 20000 + RANDOM % 20000 ))
sed "s/127.0.0.1:8780/127.0.0.1:$port/" examples/patchbay.yaml > "$work/patchbay.yaml"
for i in $(seq "$runs"); do
  rm -f "$work"/patchbay.db*
  t0=$(date +%s%N)
  "$bin" run -c "$work/patchbay.yaml" 2>"$work/err" &
  pid=$!
  ready=0
  for _ in $(seq 5000); do  # bounded: at most ~10 s
    if curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; then ready=1; break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.002
  done
  t1=$(date +%s%N)
  [ $ready = 1 ] || { echo "host did not become ready:"; cat "$work/err"; kill $pid 2>/dev/null; exit 1; }
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  kill -TERM $pid
  wait $pid
  rc=$?
  echo "run $i: ready after $(( (t1 - t0) / 1000000 )) ms, idle RSS ${rss} kB, exit $rc after SIGTERM"
done
echo "plugins mapped in the last run: $(grep -o 'patchbay_[a-z]*\.so' "$work/err" | sort -u | tr '\n' ' ')"

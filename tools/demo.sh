#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds patchbay and runs it on the embedded defaults:
# examples/patchbay.yaml (SQLite state in ./run/, the four shipped plugins, the built-in echo
# agent), serving http://127.0.0.1:8780. Once the host is ready it sends one message through the
# API (`patchbay chat "hello"`) so you see an answer stream back, then keeps the host running in
# the foreground until Ctrl-C (a graceful stop).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
mkdir -p run
[ -f run/patchbay.yaml ] || cp examples/patchbay.yaml run/patchbay.yaml

bin=build-release/bin/patchbay
"$bin" run -c run/patchbay.yaml &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid' INT TERM
for _ in $(seq 500); do  # at most ~10 s
  curl -sf -o /dev/null http://127.0.0.1:8780/readyz && break
  kill -0 $pid 2>/dev/null || { echo "patchbay exited during start-up" >&2; exit 1; }
  sleep 0.02
done
echo
echo '$ patchbay chat "hello"'
"$bin" chat "hello" || true
echo
echo "patchbay is running on http://127.0.0.1:8780: try '$bin chat \"some text\"', '$bin status',"
echo "curl -s http://127.0.0.1:8780/metrics. Ctrl-C stops it."
wait $pid

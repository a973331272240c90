#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds patchbay and runs it on the embedded defaults:
# examples/patchbay.yaml (SQLite state in ./run/, the four shipped plugins, the echo agent),
# serving http://127.0.0.1:8780 (/healthz, /readyz, /v1/channels, /metrics). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPATCHBAY_BUILD_TESTS=OFF
cmake --build build-release -j "$(nproc)"
mkdir -p run
cp -n examples/patchbay.yaml run/patchbay.yaml 2>/dev/null || true
echo "patchbay: starting with run/patchbay.yaml; try: curl -s http://127.0.0.1:8780/readyz"
exec build-release/bin/patchbay run -c run/patchbay.yaml

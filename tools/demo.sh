#!/usr/bin/env bash
# The README's main command: sets up a fresh Debian machine, builds patchbay (Release) and shows
# the real job offline. tools/demo-run.sh then starts the fake Feishu/Lark, iLink (Weixin) and
# NyxID servers of the build, runs patchbay on examples/patchbay.yaml pointed at them (state and
# logs in ./run/, API on http://127.0.0.1:8780), waits until the four channels are connected,
# sends one message into each platform through its fake and prints the bot's answer as the
# platform recorded it, then one turn through the API (`patchbay chat "hello"`) and
# `patchbay status`. Everything keeps running until Ctrl-C, which stops the host and the fakes.
# Arguments are passed to tools/demo-run.sh (e.g. --once: stop after the checks, exit 0).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
exec tools/demo-run.sh build-release "$@"

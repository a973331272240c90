#!/bin/sh
# Runs the official @larksuiteoapi/node-sdk (pinned: the version the protocol note was checked
# against) against patchbay-fake-feishu --plain. Exit 77 (ctest SKIP_RETURN_CODE) when node/npm
# are missing or the npm registry cannot be reached; the package is cached in CACHE_DIR.
#
# usage: run.sh FAKE_BIN CACHE_DIR [SCRIPT]   (SCRIPT: a .js file here, default sdk_client.js)
set -u
FAKE=$1
CACHE=$2
SCRIPT=${3:-sdk_client.js}
HERE=$(cd "$(dirname "$0")" && pwd)
SDK_VERSION=1.74.0

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node or npm is not installed"; exit 77
fi
if ! node -e 'process.exit(typeof fetch === "function" ? 0 : 1)'; then
  echo "SKIP: node has no global fetch (needs node >= 18)"; exit 77
fi
if [ ! -f "$CACHE/node_modules/@larksuiteoapi/node-sdk/package.json" ]; then
  mkdir -p "$CACHE"
  if ! timeout 300 npm install --prefix "$CACHE" "@larksuiteoapi/node-sdk@$SDK_VERSION" \
      --no-audit --no-fund --loglevel=error >"$CACHE/npm.log" 2>&1; then
    echo "SKIP: npm install failed (offline?)"; tail -n 5 "$CACHE/npm.log"; exit 77
  fi
fi

mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/run-XXXXXX")  # in the build tree: nothing else cleans it
: >"$TMP/out"  # exists before the background job opens it (the loop below reads it at once)
"$FAKE" --plain --listen 127.0.0.1:0 >"$TMP/out" 2>"$TMP/err" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
i=0
while [ "$(wc -l <"$TMP/out")" -lt 1 ]; do
  i=$((i + 1))
  if [ $i -gt 200 ] || ! kill -0 $PID 2>/dev/null; then
    echo "FAIL: no first line from the fake"; cat "$TMP/err"; exit 1
  fi
  sleep 0.1
done

timeout 90 node "$HERE/$SCRIPT" "$CACHE/node_modules" "$(head -n 1 "$TMP/out")" >"$TMP/node.log" 2>&1
RC=$?
cat "$TMP/node.log"
# The SDK logs (and drops) what it cannot handle: any such line is a fidelity bug of the fake.
if grep -q -e "invalid pong payload" -e "failed to handle inbound frame" \
    -e "failed to merge event fragments" "$TMP/node.log"; then
  echo "FAIL: the SDK logged a protocol error"; RC=1
fi
if [ $RC -ne 0 ]; then
  echo "--- fake stderr (tail)"; tail -n 20 "$TMP/err"
fi
exit $RC

#!/usr/bin/env bash
# The run part of the demo (tools/demo.sh builds, then runs this): the real job, offline.
#
#   tools/demo-run.sh BUILD_DIR [--once] [--free-ports] [--run-dir DIR]
#
# 1. starts the fake platform servers of BUILD_DIR/bin (patchbay-fake-feishu, -ilink, -nyxid; see
#    tools/fakes/README.md) on 127.0.0.1:8781 (Feishu and Lark), :8782 (iLink), :8783 (NyxID);
# 2. runs `patchbay run` on examples/patchbay.yaml (copied into the run directory), with the
#    credentials the fakes printed on their first line passed as the ${ENV} variables that config
#    references, listening on 127.0.0.1:8780;
# 3. waits until all four channels are `connected`, then sends one message into each platform
#    through its fake (Feishu over the long connection, Lark as a signed webhook, Weixin through
#    the long poll, NyxID as a signed relay callback) and prints the bot's answer as the fake
#    recorded it; then one turn through the API (`patchbay chat`) and `patchbay status`;
# 4. keeps everything running until Ctrl-C (or, with --once, stops at once and exits 0).
#
# --free-ports: every process on a free port (127.0.0.1:0) instead of 8780-8783 (used by the
# test that runs this script: ctest -R demo_run). --run-dir: where the config copy, the state
# database and the logs go (default: ./run; with --once a fresh temporary directory, removed when
# all went well); the config and the state there are replaced on every run.
# Every wait has a timeout and names what did not happen; any failure, Ctrl-C or the end of
# --once stops the host and every fake (no process is left behind). Needs curl and jq.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--once] [--free-ports] [--run-dir DIR]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
build=$1
shift
once=0
free_ports=0
run_dir=""
while [ $# -gt 0 ]; do
  case $1 in
    --once) once=1 ;;
    --free-ports) free_ports=1 ;;
    --run-dir)
      [ $# -ge 2 ] || usage
      run_dir=$2
      shift
      ;;
    *) usage ;;
  esac
  shift
done

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$build/bin" 2>/dev/null && pwd) || {
  echo "demo: no $build/bin: build first (tools/demo.sh does)" >&2
  exit 1
}
for tool in curl jq; do
  command -v $tool >/dev/null || {
    echo "demo: $tool is needed (tools/install-deps.sh installs it)" >&2
    exit 1
  }
done
for b in patchbay patchbay-fake-feishu patchbay-fake-ilink patchbay-fake-nyxid; do
  [ -x "$bin/$b" ] || {
    echo "demo: $bin/$b is missing: build first" >&2
    exit 1
  }
done

temp_run_dir=0
if [ -z "$run_dir" ]; then
  if [ $once = 1 ]; then
    run_dir=$(mktemp -d "${TMPDIR:-/tmp}/patchbay-demo.XXXXXX")
    temp_run_dir=1
  else
    run_dir=$root/run
  fi
fi
mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)
logs=$run_dir/logs
mkdir -p "$logs"

if [ $free_ports = 1 ]; then
  host_listen=127.0.0.1:0 feishu_listen=127.0.0.1:0 ilink_listen=127.0.0.1:0 nyxid_listen=127.0.0.1:0
else
  host_listen=127.0.0.1:8780 feishu_listen=127.0.0.1:8781 ilink_listen=127.0.0.1:8782
  nyxid_listen=127.0.0.1:8783
fi

# --- processes and their orderly stop ----------------------------------------------------------
pids=()
stopping=0
stop_all() {
  [ $stopping = 1 ] && return
  stopping=1
  local p
  # Newest first: the host (it says goodbye to the platforms) before the fakes.
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
    local until=$((SECONDS + 15)) # each; the host's own shutdown_timeout_ms is 10 s
    while [ $SECONDS -lt $until ]; do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
}
fail() {
  echo "demo: FAILED: $*" >&2
  echo "demo: logs are in $logs" >&2
  exit 1
}
on_exit() {
  local rc=$?
  stop_all
  # A temporary run directory goes when all went well; after a failure it keeps the logs.
  if [ $rc = 0 ] && [ $temp_run_dir = 1 ]; then rm -rf "$run_dir"; fi
  exit $rc
}
trap on_exit EXIT
trap 'echo; echo "demo: stopping"; exit 0' INT TERM

# start NAME LOG COMMAND...: runs COMMAND in the background with stdout in LOG.out and stderr in
# LOG.err, remembering its pid (the most recently started is stopped first). In a session of its
# own, so a Ctrl-C at the terminal reaches only this script, which then stops the host before the
# fakes (the host says goodbye to platforms that are still there).
start() {
  local name=$1 log=$2
  shift 2
  setsid "$@" >"$logs/$log.out" 2>"$logs/$log.err" </dev/null &
  pids=("$!" "${pids[@]}")
  echo "demo: started $name (pid $!)"
}

# first_line LOG PID WHAT: waits (~15 s) for the first stdout line of a fake and prints it.
first_line() {
  local log=$logs/$1.out pid=$2 what=$3 line until=$((SECONDS + 15))
  while [ $SECONDS -lt $until ]; do
    if [ -s "$log" ] && line=$(head -n1 "$log") && jq -e . >/dev/null 2>&1 <<<"$line"; then
      echo "$line"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  fail "$what did not start (port taken?): $(tail -n2 "$logs/$1.err" 2>/dev/null)"
}

# --- 1. the fake platforms ---------------------------------------------------------------------
start "fake Feishu/Lark on $feishu_listen" fake-feishu \
  "$bin/patchbay-fake-feishu" --listen "$feishu_listen" --tls-dir "$run_dir/fake-feishu-tls" \
  --apps 2 --seed 1
feishu=$(first_line fake-feishu "${pids[0]}" "the fake Feishu/Lark server on $feishu_listen")
start "fake iLink (Weixin) on $ilink_listen" fake-ilink \
  "$bin/patchbay-fake-ilink" --listen "$ilink_listen" --hold-ms 20000 --seed 2
ilink=$(first_line fake-ilink "${pids[0]}" "the fake iLink server on $ilink_listen")
start "fake NyxID on $nyxid_listen" fake-nyxid \
  "$bin/patchbay-fake-nyxid" --listen "$nyxid_listen" --seed 3
nyxid=$(first_line fake-nyxid "${pids[0]}" "the fake NyxID server on $nyxid_listen")
feishu_url=$(jq -r .base_url <<<"$feishu")
feishu_ca=$(jq -r .ca_file <<<"$feishu") # the fake serves TLS with a CA of its own
ilink_url=$(jq -r .base_url <<<"$ilink")
nyxid_url=$(jq -r .base_url <<<"$nyxid")
for u in "$feishu_url" "$ilink_url" "$nyxid_url"; do
  [[ $u == http*://127.0.0.1:* ]] || fail "a fake printed no usable base_url: '$u'"
done
[ -f "$feishu_ca" ] || fail "the fake Feishu/Lark server printed no CA file: '$feishu_ca'"

# The ${ENV} variables examples/patchbay.yaml references, from the fakes' first lines. Pointing
# the same config at the real platforms means setting these to real values (README.md).
export PATCHBAY_LISTEN=$host_listen
export FEISHU_DOMAIN=$feishu_url FEISHU_CA_FILE=$feishu_ca
FEISHU_APP_ID=$(jq -r '.apps[0].app_id' <<<"$feishu")
FEISHU_APP_SECRET=$(jq -r '.apps[0].app_secret' <<<"$feishu")
export FEISHU_APP_ID FEISHU_APP_SECRET
export LARK_DOMAIN=$feishu_url LARK_CA_FILE=$feishu_ca
LARK_APP_ID=$(jq -r '.apps[1].app_id' <<<"$feishu")
LARK_APP_SECRET=$(jq -r '.apps[1].app_secret' <<<"$feishu")
LARK_ENCRYPT_KEY=$(jq -r '.apps[1].encrypt_key' <<<"$feishu")
LARK_VERIFICATION_TOKEN=$(jq -r '.apps[1].verification_token' <<<"$feishu")
export LARK_APP_ID LARK_APP_SECRET LARK_ENCRYPT_KEY LARK_VERIFICATION_TOKEN
export WEIXIN_BASE_URL=$ilink_url
WEIXIN_BOT_TOKEN=$(jq -r '.accounts[0].bot_token' <<<"$ilink")
export WEIXIN_BOT_TOKEN
export NYXID_BASE_URL=$nyxid_url
NYXID_API_KEY=$(jq -r .api_key <<<"$nyxid")
export NYXID_API_KEY
# Anyone may talk to the demo's bot (examples/patchbay.yaml reads its DM policy from here; the
# fakes send from arbitrary user ids). A real deployment keeps pairing or an allow list.
export PATCHBAY_DM_POLICY=open

# --- 2. the host -------------------------------------------------------------------------------
# The run directory is the demo's scratch space: the config is copied afresh and the state starts
# empty, like the fakes (a saved Weixin cursor, for one, means nothing to a new fake iLink).
cp "$root/examples/patchbay.yaml" "$run_dir/patchbay.yaml"
rm -f "$run_dir"/patchbay.db "$run_dir"/patchbay.db-wal "$run_dir"/patchbay.db-shm
start "patchbay" patchbay "$bin/patchbay" run -c "$run_dir/patchbay.yaml"
host_pid=${pids[0]}
api=""
until=$((SECONDS + 30))
while [ $SECONDS -lt $until ]; do
  api=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$logs/patchbay.err" 2>/dev/null |
    head -n1 | sed 's/^listening on //') || true
  [ -n "$api" ] && break
  kill -0 "$host_pid" 2>/dev/null || fail "patchbay exited during start-up: $(tail -n5 "$logs/patchbay.err")"
  sleep 0.1
done
[ -n "$api" ] || fail "patchbay did not start listening within 30 s"
export PATCHBAY_URL=$api

channels_json() { curl -sf --max-time 5 "$api/v1/channels"; }
echo "demo: waiting until the four channels are connected"
states=""
until=$((SECONDS + 60))
while [ $SECONDS -lt $until ]; do
  states=$(channels_json | jq -r '[.channels[] | "\(.id)=\(.state)"] | join(" ")' 2>/dev/null) || states=""
  if [ -n "$states" ] && ! grep -qvE '=connected$' <<<"$(tr ' ' '\n' <<<"$states")"; then break; fi
  kill -0 "$host_pid" 2>/dev/null || fail "patchbay exited: $(tail -n5 "$logs/patchbay.err")"
  sleep 0.1
done
connected=$(tr ' ' '\n' <<<"$states" | grep -c '=connected$' || true)
[ "$connected" = 4 ] || fail "not every channel became connected within 60 s: $states"
echo "demo: all four channels are connected ($states)"

# --- 3. one message into each platform ---------------------------------------------------------
# post URL JSON: a control call on a fake; fails the demo on a transport error or HTTP >= 400.
post() {
  curl -sS --fail-with-body --max-time 40 --cacert "$feishu_ca" \
    -H 'Content-Type: application/json' -d "$2" "$1" || fail "POST $1 failed"
}
# wait_answer WHAT COMMAND...: polls COMMAND (prints the answer or nothing) for ~30 s.
wait_answer() {
  local what=$1 out="" until=$((SECONDS + 30))
  shift
  while [ $SECONDS -lt $until ]; do
    out=$("$@" 2>/dev/null) || out=""
    if [ -n "$out" ]; then
      echo "$out"
      return 0
    fi
    sleep 0.1
  done
  fail "no answer from the bot on $what within 30 s"
}
answers=0
show() { # show PLATFORM SENT ANSWER
  printf '  %-34s user: %s\n  %-34s bot:  %s\n' "$1" "$2" "" "$3"
  answers=$((answers + 1))
}
echo
echo "demo: one message into each platform, and the bot's answer as the platform recorded it"

# Feishu: an event pushed over the bot's long connection (WebSocket).
text="hello from Feishu"
in=$(post "$feishu_url/_fake/inject" "$(jq -nc --arg app "$FEISHU_APP_ID" --arg t "$text" \
  '{app_id:$app, chat_type:"p2p", text:$t}')")
mid=$(jq -r .message_id <<<"$in")
fs_answer() {
  curl -sf --max-time 5 --cacert "$feishu_ca" "$feishu_url/_fake/messages" |
    jq -er --arg m "$1" --arg t "$2" '.messages[] | select(.reply_to==$m and .text==$t) | .text'
}
show "feishu-main (WebSocket)" "$text" "$(wait_answer "feishu-main" fs_answer "$mid" "$text")"

# Lark: a signed, encrypted event POSTed by the platform to the host's webhook.
text="hello from Lark"
in=$(post "$feishu_url/_fake/webhook" "$(jq -nc --arg app "$LARK_APP_ID" --arg t "$text" \
  --arg url "$api/hooks/lark-main" '{app_id:$app, url:$url, kind:"event", chat_type:"p2p", text:$t, encrypt:true}')")
[ "$(jq -r .status <<<"$in")" = 200 ] || fail "the Lark webhook was not accepted: $in"
mid=$(jq -r .message_id <<<"$in")
show "lark-main (webhook)" "$text" "$(wait_answer "lark-main" fs_answer "$mid" "$text")"

# Weixin: a message the bot's long poll (getupdates) picks up.
text="hello from Weixin"
user=alice@im.wechat
post "$ilink_url/_fake/inject" "$(jq -nc --arg u "$user" --arg t "$text" '{from:$u, text:$t}')" >/dev/null
wx_answer() {
  curl -sf --max-time 5 "$ilink_url/_fake/sent" |
    jq -er --arg u "$1" --arg t "$2" '.sent[] | select(.to==$u and .text==$t) | .text'
}
show "weixin-main (long poll)" "$text" "$(wait_answer "weixin-main" wx_answer "$user" "$text")"

# NyxID: a signed relay callback to the host's /hooks/nyxid-main; the bot replies with the token.
text="hello from NyxID (Telegram)"
in=$(post "$nyxid_url/_fake/inject" "$(jq -nc --arg t "$text" --arg url "$api/hooks/nyxid-main" \
  '{platform:"telegram", chat_type:"dm", text:$t, callback_url:$url}')")
[ "$(jq -r .callback_status <<<"$in")" = 202 ] || fail "the NyxID callback was not accepted: $in"
mid=$(jq -r .message_id <<<"$in")
nx_answer() {
  curl -sf --max-time 5 "$nyxid_url/_fake/sent" |
    jq -er --arg m "$1" --arg t "$2" '.sent[] | select(.inbound_message_id==$m and .text==$t) | .text'
}
show "nyxid-main (relay)" "$text" "$(wait_answer "nyxid-main" nx_answer "$mid" "$text")"
[ $answers = 4 ] || fail "only $answers of 4 platforms answered"

# --- 4. the API and the status ------------------------------------------------------------------
echo
echo '$ patchbay chat "hello"'
chat_out=$("$bin/patchbay" chat "hello") || fail "patchbay chat failed: $chat_out"
echo "$chat_out"
[ -n "$chat_out" ] || fail "patchbay chat answered nothing"
echo
echo '$ patchbay status'
"$bin/patchbay" status || fail "patchbay status failed"
connected=$(channels_json | jq '[.channels[] | select(.state=="connected")] | length')
[ "$connected" = 4 ] || fail "after the messages only $connected of 4 channels are connected"

if [ $once = 1 ]; then
  echo
  echo "demo: OK: 4 channels connected, 4 platform answers, the chat answer; stopping"
  exit 0
fi

cat <<EOF

patchbay is running on $api, with the fake platforms Feishu/Lark on $feishu_url,
iLink (Weixin) on $ilink_url and NyxID on $nyxid_url. From a second terminal:
  $bin/patchbay chat "some text"
  $bin/patchbay status
  curl -s $api/metrics
  curl -s -d '{"text":"hi again"}' $ilink_url/_fake/inject    # another Weixin message
  curl -s $ilink_url/_fake/sent                               # what the bot sent there
  and the status page in a browser: $api/status
Logs: $logs. Ctrl-C stops patchbay and the fakes.
EOF
rc=0
wait "$host_pid" || rc=$?
fail "patchbay exited on its own (exit code $rc): $(tail -n3 "$logs/patchbay.err")"

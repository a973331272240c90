#!/usr/bin/env bash
# The fake platforms of the two-replica example (compose.yaml; README.md here): the fake
# Feishu/Lark, iLink (Weixin) and NyxID servers of the demo image (tools/fakes/README.md) on
# 127.0.0.1:8781-8783 of this container's network, which both replicas share. The credentials the
# fakes print on their first line go to DIR/fakes.env (the ${ENV} variables patchbay.yaml reads),
# written once every fake runs: the replicas start only then (the service's health check).
#   fakes.sh [DIR]   (default /var/lib/patchbay/demo, the volume the replicas mount read-only)
set -euo pipefail
dir=${1:-/var/lib/patchbay/demo}
mkdir -p "$dir"
rm -f "$dir/fakes.env"

pids=()
stop() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
  exit 0
}
trap stop TERM INT

patchbay-fake-feishu --listen 127.0.0.1:8781 --tls-dir "$dir/tls" --apps 2 --seed 1 >"$dir/feishu.out" &
pids+=($!)
patchbay-fake-ilink --listen 127.0.0.1:8782 --hold-ms 20000 --seed 2 >"$dir/ilink.out" &
pids+=($!)
patchbay-fake-nyxid --listen 127.0.0.1:8783 --seed 3 >"$dir/nyxid.out" &
pids+=($!)

# first FILE: the fake's first stdout line (one JSON object), waited for up to 15 s.
first() {
  local line
  for _ in $(seq 150); do
    # Not empty (jq accepts no input at all) and a complete object with the base URL.
    if line=$(head -n1 "$1" 2>/dev/null) && [ -n "$line" ] &&
      jq -e .base_url >/dev/null 2>&1 <<<"$line"; then
      echo "$line"
      return 0
    fi
    sleep 0.1
  done
  echo "fakes: no first line in $1" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  exit 1
}
feishu=$(first "$dir/feishu.out")
ilink=$(first "$dir/ilink.out")
nyxid=$(first "$dir/nyxid.out")

{
  echo "FEISHU_DOMAIN='$(jq -r .base_url <<<"$feishu")'"
  echo "FEISHU_CA_FILE='$(jq -r .ca_file <<<"$feishu")'"
  echo "FEISHU_APP_ID='$(jq -r '.apps[0].app_id' <<<"$feishu")'"
  echo "FEISHU_APP_SECRET='$(jq -r '.apps[0].app_secret' <<<"$feishu")'"
  echo "LARK_APP_ID='$(jq -r '.apps[1].app_id' <<<"$feishu")'"
  echo "LARK_APP_SECRET='$(jq -r '.apps[1].app_secret' <<<"$feishu")'"
  echo "LARK_ENCRYPT_KEY='$(jq -r '.apps[1].encrypt_key' <<<"$feishu")'"
  echo "LARK_VERIFICATION_TOKEN='$(jq -r '.apps[1].verification_token' <<<"$feishu")'"
  echo "WEIXIN_BASE_URL='$(jq -r .base_url <<<"$ilink")'"
  echo "WEIXIN_BOT_TOKEN='$(jq -r '.accounts[0].bot_token' <<<"$ilink")'"
  echo "NYXID_BASE_URL='$(jq -r .base_url <<<"$nyxid")'"
  echo "NYXID_API_KEY='$(jq -r .api_key <<<"$nyxid")'"
} >"$dir/fakes.env.tmp"
mv "$dir/fakes.env.tmp" "$dir/fakes.env"
echo "fakes: running; credentials in $dir/fakes.env"

# A fake that exits ends the container (and its health): the replicas lose their platforms.
wait -n || true
echo "fakes: a fake platform server exited" >&2
stop

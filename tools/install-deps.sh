#!/usr/bin/env bash
# Installs the Debian packages patchbay needs to build, test and package. Idempotent: packages
# already present are skipped, and apt is not touched at all when nothing is missing.
# `prometheus` is there for its `promtool`: the metrics test runs `promtool check metrics` on a
# scrape of GET /metrics (the Prometheus service itself need not run).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates python3 file
  jq  # tools/demo-run.sh reads the fakes' first lines and control answers
  libboost1.81-dev libboost-json1.81-dev libboost-filesystem1.81-dev
  libssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libsqlite3-dev
  libpq-dev postgresql  # the PostgreSQL state engine; the server for the tests' throwaway cluster
  libgtest-dev libgmock-dev libbenchmark-dev
  dpkg-dev
  clang-format clang-tidy
  prometheus
  chromium  # headless, for the status page test (tests/integration/status_page_test.cpp)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

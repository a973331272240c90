#!/usr/bin/env bash
# Runs CPack (DEB) on a build tree into a temporary directory and checks both packages: the files
# each one carries (and does not carry), the conffiles and the control fields.
#
#   check_deb.sh --build-dir DIR [--cpack EXE] [--libdir lib] [--includedir include] [--datadir share]
set -euo pipefail

build_dir="" cpack="cpack" libdir="lib" includedir="include" datadir="share"
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --cpack) cpack="$2"; shift 2 ;;
    --libdir) libdir="$2"; shift 2 ;;
    --includedir) includedir="$2"; shift 2 ;;
    --datadir) datadir="$2"; shift 2 ;;
    *) echo "check_deb.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$build_dir" ] || { echo "usage: check_deb.sh --build-dir DIR [...]" >&2; exit 2; }

errors=0
fail() { echo "FAIL: $*" >&2; errors=$((errors + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/patchbay-deb-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "--- cpack -G DEB into $tmp/out"
(cd "$build_dir" && "$cpack" --config CPackConfig.cmake -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; die "cpack failed"; }

runtime="$(find "$tmp/out" -maxdepth 1 -name 'patchbay_*.deb' -print -quit)"
dev="$(find "$tmp/out" -maxdepth 1 -name 'patchbay-dev_*.deb' -print -quit)"
[ -n "$runtime" ] || { cat "$tmp/cpack.log"; die "no patchbay_*.deb produced"; }
[ -n "$dev" ] || { cat "$tmp/cpack.log"; die "no patchbay-dev_*.deb produced"; }
count="$(find "$tmp/out" -maxdepth 1 -name '*.deb' | wc -l)"
[ "$count" -eq 2 ] || fail "expected 2 packages, got $count: $(cd "$tmp/out" && ls ./*.deb)"
echo "packages: $(basename "$runtime") $(basename "$dev")"

# File lists without the leading "./" (field 6 of dpkg-deb -c; a symlink's target follows it).
list() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's#^\./##'; }
list "$runtime" >"$tmp/runtime.files"
list "$dev" >"$tmp/dev.files"

has() {  # has <package label> <file list> <path>
  grep -Fxq "$3" "$2" || fail "$1 package lacks $3"
}
lacks_prefix() {  # lacks_prefix <package label> <file list> <prefix>
  if grep -q "^$3" "$2"; then fail "$1 package must not contain $3..."; fi
}

has runtime "$tmp/runtime.files" usr/bin/patchbay
for p in feishu lark weixin nyxid; do
  has runtime "$tmp/runtime.files" "usr/$libdir/patchbay/plugins/patchbay_$p.so"
done
if ! grep -Eq '^(usr/)?lib/systemd/system/patchbay\.service$' "$tmp/runtime.files"; then
  fail "runtime package lacks the systemd unit (lib/systemd/system/patchbay.service)"
fi
has runtime "$tmp/runtime.files" etc/patchbay/patchbay.yaml
has runtime "$tmp/runtime.files" "usr/share/doc/patchbay/examples/patchbay.yaml"
# The packaged config must keep its state where the unit can write (StateDirectory=patchbay).
# (Read into a variable first: `grep -q` exiting early would SIGPIPE the producer under pipefail.)
packaged_yaml="$(dpkg-deb --fsys-tarfile "$runtime" | tar -xOf - ./etc/patchbay/patchbay.yaml)"
grep -q 'path: /var/lib/patchbay/' <<<"$packaged_yaml" || fail "/etc/patchbay/patchbay.yaml keeps state outside /var/lib/patchbay"
lacks_prefix runtime "$tmp/runtime.files" "usr/$includedir/"
# The unit speaks sd_notify (READY/RELOADING/STOPPING/WATCHDOG) and reloads on SIGHUP.
unit_path="$(grep -E '^(usr/)?lib/systemd/system/patchbay\.service$' "$tmp/runtime.files" | head -n1)"
packaged_unit="$(dpkg-deb --fsys-tarfile "$runtime" | tar -xOf - "./$unit_path")"
for line in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'WatchdogSec='; do
  grep -qF "$line" <<<"$packaged_unit" || fail "the systemd unit lacks $line"
done

has dev "$tmp/dev.files" "usr/$includedir/patchbay/pb_plugin.h"
has dev "$tmp/dev.files" "usr/$includedir/patchbay/plugin.hpp"
has dev "$tmp/dev.files" "usr/$libdir/cmake/patchbay-plugin-api/patchbay-plugin-api-config.cmake"
has dev "$tmp/dev.files" "usr/$libdir/cmake/patchbay-plugin-api/PatchbayPlugin.cmake"
has dev "$tmp/dev.files" "usr/$datadir/patchbay/plugin-template/CMakeLists.txt"
has dev "$tmp/dev.files" "usr/$datadir/patchbay/plugin-template/src/template_plugin.cpp"
lacks_prefix dev "$tmp/dev.files" usr/bin/
lacks_prefix dev "$tmp/dev.files" "usr/$libdir/patchbay/plugins/"

echo "--- control fields"
dpkg-deb -I "$runtime" >"$tmp/runtime.info"
dpkg-deb -I "$dev" >"$tmp/dev.info"
sed 's/^/  /' "$tmp/runtime.info"
field() { sed -n "s/^ $2: //p" "$1"; }  # field <info file> <name>
[ "$(field "$tmp/runtime.info" Package)" = patchbay ] || fail "runtime package name is not patchbay"
[ "$(field "$tmp/dev.info" Package)" = patchbay-dev ] || fail "dev package name is not patchbay-dev"
depends="$(field "$tmp/runtime.info" Depends)"
[ -n "$depends" ] || fail "runtime package has no Depends"
case "$depends" in *libc6*) ;; *) fail "runtime Depends lacks libc6: $depends" ;; esac
[ -n "$(field "$tmp/runtime.info" Maintainer)" ] || fail "runtime package has no Maintainer"
dev_depends="$(field "$tmp/dev.info" Depends)"
case "$dev_depends" in *patchbay\ *|*patchbay,*|patchbay|*boost*|*spdlog*|*yaml*)
  fail "dev package must not depend on the runtime or its libraries: $dev_depends" ;;
esac
description="$(dpkg-deb -f "$runtime" Description)"
[ -n "$description" ] || fail "runtime package has no Description"

conffiles="$(dpkg-deb --ctrl-tarfile "$runtime" | tar -xOf - ./conffiles 2>/dev/null || true)"
echo "$conffiles" | grep -Fxq /etc/patchbay/patchbay.yaml ||
  fail "/etc/patchbay/patchbay.yaml is not a conffile"

if [ "$errors" -ne 0 ]; then
  echo "runtime files:" >&2; sed 's/^/  /' "$tmp/runtime.files" >&2
  echo "dev files:" >&2; sed 's/^/  /' "$tmp/dev.files" >&2
  echo "$errors check(s) failed" >&2
  exit 1
fi
echo "PASS: both packages carry what they should"

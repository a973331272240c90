#!/usr/bin/env bash
# Checks the container files without a Docker daemon (.ci/run builds the images where one runs):
#  - the image's configuration (packaging/docker/patchbay.yaml) validates with PATCHBAY_TOKEN set
#    and is refused without it (all interfaces inside the container need an API token);
#  - the Dockerfile's build stage installs only packages tools/install-deps.sh knows (one list of
#    build dependencies, no drift), runs the gateway as a non-root user with a health check and
#    the state volume, and compose.yaml builds the stages the Dockerfile has.
#
#   check_docker.sh SOURCE_DIR PATCHBAY_BIN
set -euo pipefail
src=$1 bin=$2
errors=0
fail() { echo "FAIL: $*" >&2; errors=$((errors + 1)); }

cfg=$src/packaging/docker/patchbay.yaml
# Plugins are not needed to validate (the image's config has no channel).
PATCHBAY_TOKEN=ci-token "$bin" check-config "$cfg" >/dev/null || fail "$cfg does not validate"
if out=$(env -u PATCHBAY_TOKEN "$bin" check-config "$cfg" 2>&1); then
  fail "$cfg validates without PATCHBAY_TOKEN"
else
  grep -q "PATCHBAY_TOKEN" <<<"$out" || fail "the error without PATCHBAY_TOKEN does not name it: $out"
fi

dockerfile=$src/Dockerfile
# The packages of the build stage's apt-get install (up to the next FROM).
build_pkgs=$(awk '/^FROM .* AS build/{s=1;next} /^FROM /{s=0} s' "$dockerfile" |
  tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
  grep -vxE 'apt-get|install|update|rm|ls|cmake|mkdir|cpack|RUN|ARG|WORKDIR|COPY|and' |
  grep -E 'dev$|^build-essential$|^cmake$|^ninja-build$|^pkg-config$|^ca-certificates$|^file$|^dpkg-dev$' | sort -u)
[ -n "$build_pkgs" ] || fail "no build packages found in $dockerfile"
for p in $build_pkgs; do
  grep -qE "(^|[[:space:]])$p([[:space:]]|$)" "$src/tools/install-deps.sh" ||
    fail "Dockerfile installs $p, which tools/install-deps.sh does not list"
done
runtime=$(awk '/^FROM .* AS runtime/{s=1;next} /^FROM /{s=0} s' "$dockerfile")
grep -qx 'USER patchbay' <<<"$runtime" || fail "the runtime stage does not run as user patchbay"
grep -q '^HEALTHCHECK .*' <<<"$runtime" || fail "the runtime stage has no HEALTHCHECK"
grep -q '/healthz' <<<"$runtime" || fail "the runtime health check does not ask /healthz"
grep -q '^VOLUME \["/var/lib/patchbay"\]' <<<"$runtime" || fail "no state volume"
grep -q 'path: /var/lib/patchbay/' "$cfg" || fail "$cfg keeps its state outside the volume"
for t in $(grep -E '^\s+target:' "$src/compose.yaml" | awk '{print $2}'); do
  grep -qE "^FROM .* AS $t$" "$dockerfile" || fail "compose.yaml builds target $t, which the Dockerfile lacks"
done

[ $errors = 0 ] && echo "container files: ok"
exit $((errors > 0))

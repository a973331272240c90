#!/usr/bin/env bash
# The repository stands on its own: no tracked file points at a document outside it, and every
# "docs/<name>.md §N" a file cites names a section that exists in that document.
# Usage: tools/check-docs.sh [REPO]   (exit 1 with one line per problem)
set -uo pipefail
cd "${1:-$(dirname "$0")/..}" || exit 2
status=0

outside=$(git grep -n -I -E '(^|[^a-z])shared/(protocols|design)/|ARCHITECTURE\.md|/wor[k]/' -- . \
  ':!tools/check-docs.sh' 2>/dev/null)
if [ -n "$outside" ]; then
  echo "references to documents outside the repository:"
  echo "$outside"
  status=1
fi

while IFS= read -r cite; do
  doc=${cite%% *}
  sec=$(echo "$cite" | sed -E 's/.*§ ?([0-9]+(\.[0-9]+)?).*/\1/')
  if [ ! -f "$doc" ]; then
    echo "cited document missing: $doc"
    status=1
  elif ! grep -qE "^#+ ($sec\.? |$sec\$)" "$doc"; then
    echo "$doc has no section $sec (cited as '$cite')"
    status=1
  fi
done < <(git grep -h -o -I -E 'docs/[a-z/-]+\.md ?§ ?[0-9]+(\.[0-9]+)?' -- . ':!docs' | sort -u)

[ $status -eq 0 ] && echo "check-docs: ok"
exit $status

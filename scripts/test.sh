#!/usr/bin/env bash
# Every test suite: install what is missing, build, start a throwaway
# PostgreSQL 15 cluster and run pg_regress, the isolation tester, pgTAP, the
# dump/restore check, crash atomicity, load, the demo as a smoke test and
# the server log check in it (scripts/suites.sh); then, outside the cluster,
# the Debian package and PGXN metadata (scripts/package.sh, which starts a
# cluster of its own).  Exits non-zero if any suite fails; the last line
# counts suites passed and failed.  .ci/run calls exactly this.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
cd "$repo"

result=$(mktemp)
trap 'rm -f "$result"' EXIT
export SUITES_RESULT=$result
pg_virtualenv -t -v 15 bash "$repo/scripts/suites.sh" || true
read -r passed failed failures < "$result" || { passed=0 failed=1 failures="cluster"; }

echo "=== suite: package"
if bash "$repo/scripts/package.sh"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)) failures="$failures package"
fi

[ "$failed" -eq 0 ] || echo "failed suites: $failures"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

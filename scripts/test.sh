#!/usr/bin/env bash
# Every test suite: install what is missing, build, start a throwaway
# PostgreSQL 15 cluster and run pg_regress, the isolation tester, pgTAP, the
# dump/restore check, crash atomicity, load, the demo as a smoke test and
# the server log check in it (scripts/suites.sh); then, outside the cluster,
# the Debian package and PGXN metadata (scripts/package.sh, which starts a
# cluster of its own).  Exits non-zero if any suite fails or did not run:
# the number of suites expected is the list in scripts/suites.sh plus
# package, and a suite that did not report counts as failed.  Parts of suites
# that were skipped are listed on SKIP: lines just before the last lines.
# The last line counts suites passed and failed.  .ci/run calls exactly this.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
cd "$repo"

# The suites to expect: those of scripts/suites.sh, in the cluster, and
# package, here.
mapfile -t cluster_suites < <(bash "$repo/scripts/suites.sh" --list)
[ ${#cluster_suites[@]} -gt 0 ] || { echo "test.sh: scripts/suites.sh --list named no suites" >&2; exit 1; }
expected=$((${#cluster_suites[@]} + 1))

result=$(mktemp)
package_out=$(mktemp)
trap 'rm -f "$result" "$package_out"' EXIT
export SUITES_RESULT=$result
pg_virtualenv -t -v 15 bash "$repo/scripts/suites.sh" || true
passed=0 failed=0 skipped=0 failures=""
read -r passed failed skipped failures < "$result" || true
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
# Suites of the list that did not report (the cluster did not start, or
# suites.sh stopped early) count as failed.
missing=$((${#cluster_suites[@]} - passed - failed - skipped))
if [ "$missing" -ne 0 ]; then
    echo "test.sh: ${#cluster_suites[@]} suites expected in the cluster, $((passed + failed + skipped)) reported"
    [ "$missing" -lt 0 ] || failed=$((failed + missing))
    failures="${failures:+$failures }(${missing} unreported)"
fi
mapfile -t skips < <(tail -n +2 "$result")

echo "=== suite: package"
if bash "$repo/scripts/package.sh" 2>&1 | tee "$package_out"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1)) failures="${failures:+$failures }package"
fi
while IFS= read -r line; do skips+=("SKIP: package: ${line#SKIP: }"); done < <(grep '^SKIP:' "$package_out")

[ ${#skips[@]} -eq 0 ] || printf '%s\n' "${skips[@]}"
echo "skipped: ${#skips[@]} (each on a SKIP: line)"
echo "expected: $expected suites (${cluster_suites[*]} package)"
[ "$((passed + failed + skipped))" -eq "$expected" ] || { echo "test.sh: $((passed + failed + skipped)) suites counted, $expected expected"; failed=$((failed + 1)); }
[ "$skipped" -eq 0 ] || echo "suites skipped: $skipped (whole suites that cannot run here, on SKIP: lines; neither passed nor failed)"
[ "$failed" -eq 0 ] || echo "failed suites: $failures"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Every test suite: install what is missing, build, start a throwaway
# PostgreSQL 15 cluster and run pg_regress, the isolation tester, pgTAP, the
# dump/restore check and the demo as a smoke test.  Exits non-zero if any
# suite fails.  .ci/run calls exactly this.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
cd "$repo"
pg_virtualenv -t -v 15 bash "$repo/scripts/suites.sh"

#!/usr/bin/env bash
# The main job, end to end: install what is missing, build, start a throwaway
# PostgreSQL 15 cluster, load the example coaching application with data and
# show a preview, an admin's cleanup, its audit row and a non-admin refused.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
cd "$repo"
pairs=${PAIRS:-200} rows=${ROWS:-20}
pg_virtualenv -t -v 15 bash -c "
    set -euo pipefail
    psql='psql -X -q -v ON_ERROR_STOP=1'
    \$psql -f examples/coaching/schema.sql
    \$psql -c 'CREATE EXTENSION ct_cleanup'
    \$psql -f examples/coaching/register.sql >/dev/null
    \$psql -v pairs=$pairs -v rows=$rows -f examples/coaching/generate.sql
    psql -X -v ON_ERROR_STOP=1 -f examples/demo.sql
"

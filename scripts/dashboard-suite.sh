#!/usr/bin/env bash
# The dashboard suite (scripts/suites.sh "dashboard"): the reference page of
# examples/dashboard against a database of the example application with its
# PostgREST-style roles, in the suites' throwaway cluster (PGHOST, PGPORT,
# PGUSER, PGPASSWORD of a superuser, from pg_virtualenv).  The server logs in
# as "authenticator"; the tests (node --test) drive Debian's chromium with
# playwright-core and call the API with plain HTTP, and check the database
# as the superuser.  Screenshots go to DASHBOARD_SHOTS (default a new
# directory under /tmp), which the suite names.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
dir=examples/dashboard
[ -d "$dir/node_modules/pg" ] || { echo "dashboard: run scripts/setup.sh first (npm ci in $dir)" >&2; exit 1; }
db=ct_cleanup_dashboard
. scripts/dashboard-db.sh
auth_pw=$(dashboard_db "$db" 12 4)

secret=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
shots=${DASHBOARD_SHOTS:-$(mktemp -d /tmp/ct_cleanup_dashboard_shots.XXXXXX)}
mkdir -p "$shots"
port=
for p in $(seq 8600 8699); do
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { port=$p; break; }
done
[ -n "$port" ] || { echo "dashboard: no free port" >&2; exit 1; }
log=$(mktemp /tmp/ct_cleanup_dashboard_log.XXXXXX)
server_pid=
trap '[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true; rm -f "$log"' EXIT
HOST=127.0.0.1 PORT=$port JWT_SECRET=$secret DASHBOARD_IDLE_MS=500 PGUSER=authenticator PGPASSWORD=$auth_pw \
    PGDATABASE=$db PGHOST=${PGHOST:-localhost} node "$dir/server.js" > "$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do grep -q listening "$log" && break; sleep 0.1; done
grep -q listening "$log" || { cat "$log"; echo "dashboard: the server did not start" >&2; exit 1; }

rc=0
DASHBOARD_URL=http://127.0.0.1:$port JWT_SECRET=$secret DASHBOARD_DB=$db DASHBOARD_SHOTS=$shots \
    DASHBOARD_LOG=$log node --test --test-concurrency=1 "$dir/test/api.test.js" "$dir/test/ui.test.js" || rc=$?
echo "dashboard: server log: $(wc -l < "$log") lines; screenshots in $shots: $(ls "$shots" | tr '\n' ' ')"
if grep -qE 'eyJ[A-Za-z0-9_-]+\.' "$log"; then echo "dashboard: the server log holds a token" >&2; rc=1; fi
exit $rc

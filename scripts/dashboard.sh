#!/usr/bin/env bash
# The reference Data Cleanup page (examples/dashboard), served from a
# throwaway cluster with the example application and its PostgREST-style
# roles.  As root on Debian 12:  ./scripts/dashboard.sh
# Installs what is missing (scripts/setup.sh: packages, npm ci, the build),
# starts the cluster (pg_virtualenv) and the server on HOST:PORT (default
# 127.0.0.1:8080), and prints two sign-in links with fresh tokens: the
# example's application admin, and an ordinary user (who is refused).
# Ctrl-C stops the server; the cluster is removed with it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${CT_DASHBOARD_INSIDE:-}" ]; then
    "$repo/scripts/setup.sh"
    exec env CT_DASHBOARD_INSIDE=1 pg_virtualenv -t -v 15 bash "$repo/scripts/dashboard.sh"
fi
cd "$repo"
db=ct_cleanup_dashboard
. scripts/dashboard-db.sh
password=$(dashboard_db "$db" 40 10)
export JWT_SECRET=${JWT_SECRET:-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')}
host=${HOST:-127.0.0.1} port=${PORT:-8080}
admin=$(psql -X -At -d "$db" -c "SELECT md5('admin-1')::uuid")
user=$(psql -X -At -d "$db" -c "SELECT md5('client-1')::uuid")
exp=$(( $(date +%s) + 8 * 3600 ))
mint() { node examples/dashboard/jwt.js "{\"sub\":\"$1\",\"role\":\"authenticated\",\"exp\":$exp}"; }
echo
echo "Data Cleanup page, signed in as the example's application admin:"
echo "  http://$host:$port/#access_token=$(mint "$admin")"
echo "as an ordinary user (refused: \"Unauthorized\"):"
echo "  http://$host:$port/#access_token=$(mint "$user")"
echo "The links are valid for 8 hours. Ctrl-C stops the server and removes the cluster."
echo
HOST=$host PORT=$port PGUSER=authenticator PGPASSWORD=$password PGDATABASE=$db \
    node examples/dashboard/server.js &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' INT TERM EXIT
wait "$server"

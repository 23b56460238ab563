#!/bin/bash
# bench/scaleout.sh: the latency of one pair's call on one node, through the
# PL/Proxy proxy (ct_cleanup_plproxy) and on Citus, side by side in one run.
#
# Setups, all on this machine, each with the example application of PAIRS
# pairs (default 3000) of 41 rows (generate.sql rows=10):
#   direct   one node: ct_cleanup in the database of the data
#   plproxy  a proxy database in front of 2 partitions (clusters of their
#            own), the data sharded by client (examples/plproxy/shard.sql);
#            the caller connects to the proxy
#   citus    a coordinator and 2 workers, the Citus layout
#            (examples/citus/schema.sql), when Citus is installed
#            (scripts/citus-build.sh); skipped otherwise
# Per setup, one psql session as an admin runs, for N distinct pairs
# (default 400 per round), ct_cleanup_preview(c, t) and then
# ct_cleanup(c, t, reason) of the same pair (committed: through PL/Proxy a
# partition's work cannot be rolled back); psql's \timing gives each call's
# time, client round trip included.  Rounds (default 2) run the setups in
# the order direct plproxy citus, then the reverse, each on pairs not used
# before.  Reported: the median of every call per setup, and its ratio to
# direct.
#
# Usage, as root on Debian 12 after scripts/setup.sh:
#     ./bench/scaleout.sh                 # N=400 ROUNDS=2 PAIRS=3000
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${IN_VIRTUALENV:-}" ]; then
    exec env IN_VIRTUALENV=1 pg_virtualenv -t -v 15 bash "$REPO/bench/scaleout.sh"
fi
cd "$REPO"
N=${N:-400} ROUNDS=${ROUNDS:-2} PAIRS=${PAIRS:-3000}
[ $((N * ROUNDS)) -le "$PAIRS" ] || { echo "scaleout: N * ROUNDS must not exceed PAIRS" >&2; exit 2; }

. "$REPO/scripts/clusters.sh"
clusters_begin scaleout 6000
cluster_create proxy; cluster_create p0; cluster_create p1
have_citus=0
if [ -f "$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir)/citus.so" ]; then
    have_citus=1
    for n in coord w1 w2; do
        cluster_create "$n" -o shared_preload_libraries=citus -o max_prepared_transactions=20
    done
fi
direct_env=(PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="${PGUSER:-postgres}" PGPASSWORD="${PGPASSWORD:-}")
sql() {   # sql NODE DB [psql args]
    local node=$1 db=$2; shift 2
    if [ "$node" = direct ]; then
        env "${direct_env[@]}" psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
    else
        PGHOST=$tmp/$node PGPORT=${port[$node]} PGUSER=postgres PGPASSWORD= psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
    fi
}
grants="GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup_preview(uuid, uuid) TO ct_cleanup_admin"
load() {   # load NODE DB: the example application, registered, an admin alice
    if [ "$1" = direct ]; then env "${direct_env[@]}" createdb "$2"
    else PGHOST=$tmp/$1 PGPORT=${port[$1]} PGUSER=postgres createdb "$2"; fi
    sql "$1" "$2" -f examples/coaching/schema.sql >/dev/null
    sql "$1" "$2" -c 'CREATE EXTENSION ct_cleanup' -f examples/coaching/register.sql >/dev/null
    sql "$1" "$2" -v pairs="$PAIRS" -v rows=10 -f examples/coaching/generate.sql >/dev/null
    sql "$1" "$2" -c "CREATE ROLE ct_cleanup_admin NOLOGIN" -c "CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin" -c "$grants"
}
echo "scaleout: loading $PAIRS pairs into each setup"
load direct bench_direct
for i in 0 1; do
    load "p$i" "bench_p$i"
    sql "p$i" "bench_p$i" -v part=$i -v parts=2 -f examples/plproxy/shard.sql >/dev/null
done
sql proxy postgres -c "CREATE DATABASE bench_proxy"
sql proxy bench_proxy -c "CREATE EXTENSION plproxy" -c "CREATE EXTENSION ct_cleanup_plproxy" \
    -c "CREATE SERVER ct_cleanup FOREIGN DATA WRAPPER plproxy OPTIONS (
          p0 'host=$tmp/p0 port=${port[p0]} dbname=bench_p0', p1 'host=$tmp/p1 port=${port[p1]} dbname=bench_p1')" \
    -c "CREATE USER MAPPING FOR PUBLIC SERVER ct_cleanup" -c "GRANT USAGE ON FOREIGN SERVER ct_cleanup TO PUBLIC" \
    -c "CREATE ROLE ct_cleanup_admin NOLOGIN" -c "CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin" -c "$grants"
if [ $have_citus = 1 ]; then
    for n in coord w1 w2; do sql "$n" postgres -c "CREATE DATABASE bench_citus"; sql "$n" bench_citus -c "CREATE EXTENSION citus"; done
    sql coord bench_citus -c "SELECT citus_set_coordinator_host('$tmp/coord', ${port[coord]})" \
        -c "SELECT citus_add_node('$tmp/w1', ${port[w1]})" -c "SELECT citus_add_node('$tmp/w2', ${port[w2]})" >/dev/null
    sql coord bench_citus -f examples/citus/schema.sql >/dev/null 2>&1
    # the single node's rows, in the Citus layout (as scripts/citus.sh copies them)
    while IFS='|' read -r table columns query; do
        sql direct bench_direct -c "COPY ($query) TO STDOUT" | sql coord bench_citus -c "COPY app.$table ($columns) FROM STDIN"
    done < examples/citus/copy.txt
    sql coord bench_citus -c 'CREATE EXTENSION ct_cleanup' -f examples/citus/register.sql >/dev/null
    sql coord bench_citus -c "CREATE ROLE ct_cleanup_admin NOLOGIN" -c "CREATE ROLE alice LOGIN IN ROLE ct_cleanup_admin" -c "$grants"
fi
sql direct bench_direct -c 'VACUUM (FREEZE, ANALYZE)'
for i in 0 1; do sql "p$i" "bench_p$i" -c 'VACUUM (FREEZE, ANALYZE)'; done
[ $have_citus = 0 ] || sql coord bench_citus -c 'VACUUM (FREEZE, ANALYZE)' 2>/dev/null

# run SETUP FIRST_PAIR: N previews and cleanups of pairs FIRST_PAIR.., timings in $tmp/SETUP.{preview,cleanup}
run() {
    local setup=$1 first=$2 node db script=$tmp/calls.sql
    case "$setup" in
        direct) node=direct db=bench_direct ;;
        plproxy) node=proxy db=bench_proxy ;;
        citus) node=coord db=bench_citus ;;
    esac
    { echo "SET ROLE alice;"; echo '\timing on'
      for ((k = first; k < first + N; k++)); do
          t=$(( (k - 1) % ((PAIRS + 3) / 4) + 1 ))
          echo "SELECT total AS preview FROM ct_cleanup_preview(md5('client-$k')::uuid, md5('trainer-$t')::uuid);"
          echo "SELECT total AS cleanup FROM ct_cleanup(md5('client-$k')::uuid, md5('trainer-$t')::uuid, 'bench');"
      done; } > "$script"
    sql "$node" "$db" -At -f "$script" | awk -v out="$tmp/$setup" '
        /^Time: / { sub(/^Time: /, ""); sub(/ ms.*/, ""); print > (out "." (n++ % 2 ? "cleanup" : "preview")) }
        /^[0-9]+$/ { rows[n % 2] += $1 }
        END { if (rows[0] + rows[1] == 0) exit 1 }'
}
setups=(direct plproxy); [ $have_citus = 1 ] && setups+=(citus)
next=1
for ((r = 0; r < ROUNDS; r++)); do
    if ((r % 2)); then order=$(printf '%s\n' "${setups[@]}" | tac); else order=$(printf '%s\n' "${setups[@]}"); fi
    for s in $order; do run "$s" "$next"; next=$((next + N)); done
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo
echo "scaleout: median ms per call, $((N * ROUNDS)) calls each, pairs of 41 rows; ratio to direct"
printf '%-10s %12s %8s %12s %8s\n' setup preview ratio cleanup ratio
dp=$(median "$tmp/direct.preview") dc=$(median "$tmp/direct.cleanup")
for s in direct plproxy citus; do
    if [ ! -f "$tmp/$s.preview" ]; then printf '%-10s %s\n' "$s" "skipped: Citus not installed"; continue; fi
    p=$(median "$tmp/$s.preview") c=$(median "$tmp/$s.cleanup")
    awk -v s="$s" -v p="$p" -v c="$c" -v dp="$dp" -v dc="$dc" \
        'BEGIN { printf "%-10s %12.3f %7.2fx %12.3f %7.2fx\n", s, p, p / dp, c, c / dc }' 
done

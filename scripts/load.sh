#!/usr/bin/env bash
# Bounded loopback load: application writes and cleanups at once.
#
# Runs inside a throwaway cluster (pg_virtualenv: PGHOST, PGPORT, PGUSER set,
# as a superuser), e.g.
#
#     pg_virtualenv -t -v 15 bash scripts/load.sh
#
# and from scripts/suites.sh (suite "load").  In its own database,
# ct_cleanup_load, it loads the example application (LOAD_PAIRS pairs of
# 21 + 2 * LOAD_ROWS rows), installs the helpers of test/load/setup.sql and
# runs pgbench for LOAD_SECONDS seconds with LOAD_CLIENTS clients: the
# application's writes (test/load/app.sql: messages, read receipts,
# discovery calls with feedback and notes, likes) and cleanups
# (test/load/cleanup.sql), both on random pairs (exponentially skewed by
# LOAD_SKEW, so that some pairs are hot and races happen), weighted
# LOAD_APP_WEIGHT : LOAD_CLEANUP_WEIGHT.  Then test/load/check.sql checks
# the invariants (no orphans, every pair's rows consistent, audited
# deletions = rows before + inserted - rows after, no cleanup errors,
# application errors only 23503) and the figures are printed.  Exits
# non-zero on any broken invariant, if pgbench fails or reports an error or
# a failed transaction, if a cleanup retried more often than its 3 attempts
# allow, or if the checks did not all run over every logged transaction.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

db=ct_cleanup_load
seconds=${LOAD_SECONDS:-60}
pairs=${LOAD_PAIRS:-400}
rows=${LOAD_ROWS:-10}
clients=${LOAD_CLIENTS:-4}
threads=${LOAD_THREADS:-2}
app_weight=${LOAD_APP_WEIGHT:-9}
cleanup_weight=${LOAD_CLEANUP_WEIGHT:-1}
skew=${LOAD_SKEW:-8}                 # pairs drawn ~ exp(-skew * k / pairs): some are hot
psql="psql -X -q -v ON_ERROR_STOP=1 -d $db"
tmp=$(mktemp -d /tmp/ct_cleanup_load.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "load: FAILED: $*" >&2; exit 1; }

# Loopback only: a Unix socket or a local address, never another host.
case ${PGHOST:-/} in
    /*|localhost|127.0.0.1|::1) ;;
    *) fail "PGHOST=$PGHOST is not local; this suite only loads a local server" ;;
esac

# ---------------------------------------------------------------------------
# The database: example application, registered, generated; the helpers.
# ---------------------------------------------------------------------------
PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists "$db"
createdb "$db"
$psql -f examples/coaching/schema.sql >/dev/null
$psql -c 'CREATE EXTENSION ct_cleanup'
$psql -f examples/coaching/register.sql >/dev/null
$psql -v pairs="$pairs" -v rows="$rows" -f examples/coaching/generate.sql >/dev/null
$psql -v pairs="$pairs" -f test/load/setup.sql
echo "load: $pairs pairs of $((21 + 2 * rows)) rows; $clients clients, $threads threads, $seconds s," \
     "app:cleanup = $app_weight:$cleanup_weight, skew $skew"

# ---------------------------------------------------------------------------
# The run.  pgbench's own time limit bounds it; timeout is the backstop.
# Script 0 is the application, script 1 the cleanup (in the --log files).
# ---------------------------------------------------------------------------
start=$(date +%s.%N)
if ! timeout $((seconds + 120)) pgbench -n -T "$seconds" -c "$clients" -j "$threads" \
        -D pairs="$pairs" -D skew="$skew" \
        -f test/load/app.sql@"$app_weight" -f test/load/cleanup.sql@"$cleanup_weight" \
        --log --log-prefix="$tmp/txlog" "$db" >"$tmp/pgbench.out" 2>&1; then
    cat "$tmp/pgbench.out"
    fail "pgbench failed"
fi
run=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
grep -E '^(duration|number of (transactions actually processed|failed)|latency average|tps)' "$tmp/pgbench.out" |
    sed 's/^/load: pgbench: /'
# Both helpers catch every error and log it: pgbench itself must have seen
# none, and no failed or aborted transaction.
! grep -E '^(ERROR|FATAL|PANIC):|client [0-9]+ aborted|pgbench: error' "$tmp/pgbench.out" >"$tmp/errors" ||
    fail "pgbench reported errors: $(head -5 "$tmp/errors" | tr '\n' ' ')"
grep -Eq '^number of failed transactions: 0 ' "$tmp/pgbench.out" ||
    fail "pgbench reports failed transactions (or no count of them): $(grep '^number of failed' "$tmp/pgbench.out" || echo 'no line')"
# Races the cleanup resolved by itself: its DEBUG1 line per retry, sent to
# the client by load.cleanup() and printed by pgbench.  A cleanup makes at
# most 3 attempts, so it retries only after attempt 1 or 2.
retries=$(grep -c 'ct_cleanup retrying after attempt' "$tmp/pgbench.out" || true)
echo "load: cleanup retries after a race with the application: $retries" \
     "($(grep -o 'ct_cleanup retrying after attempt [0-9]*' "$tmp/pgbench.out" | sort | uniq -c | awk '{ printf "%s%s after attempt %s", sep, $1, $6; sep = ", " }'))"
bad_retries=$(grep -o 'ct_cleanup retrying after attempt [0-9]*' "$tmp/pgbench.out" | awk '$NF != 1 && $NF != 2' | wc -l)
[ "$bad_retries" -eq 0 ] || fail "$bad_retries retries after an attempt other than 1 or 2 (a cleanup makes at most 3 attempts)"

# Cleanup latency, client side (round trip and commit included), from the
# per-transaction log: field 3 is the latency in microseconds, field 4 the
# script number.
cat "$tmp"/txlog.* | awk '$4 == 1 { print $3 }' | sort -n >"$tmp/cleanup_us"
cat "$tmp"/txlog.* | awk '$4 == 0 { print $3 }' | sort -n >"$tmp/app_us"
pct() {  # pct FILE P: the P-th percentile (nearest rank) of a sorted file, in ms
    awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
                    r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1;
                    printf "%.2f", v[r] / 1000 }' "$1"
}
n_cleanup=$(wc -l <"$tmp/cleanup_us")
n_app=$(wc -l <"$tmp/app_us")
[ "$n_cleanup" -gt 0 ] && [ "$n_app" -gt 0 ] || fail "pgbench logged $n_app application and $n_cleanup cleanup transactions"
[ "$retries" -le $((2 * n_cleanup)) ] || fail "$retries retries for $n_cleanup cleanups: more than 2 each"
# The helpers' logs, which the checks read, hold every transaction pgbench ran.
read -r logged_cleanups logged_app < <(psql -X -At -F ' ' -v ON_ERROR_STOP=1 -d "$db" \
    -c 'SELECT (SELECT count(*) FROM load.cleanup_log), (SELECT count(*) FROM load.app_log)') ||
    fail "cannot count the helpers' logs"
[ "$logged_cleanups" -eq "$n_cleanup" ] && [ "$logged_app" -eq "$n_app" ] ||
    fail "pgbench ran $n_cleanup cleanups and $n_app application transactions, the logs hold $logged_cleanups and $logged_app"

echo "load: run $run s (pgbench -T $seconds): $n_cleanup cleanups ($(awk -v n="$n_cleanup" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')/s)," \
     "$n_app application transactions ($(awk -v n="$n_app" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')/s)"
echo "load: cleanup latency (pgbench log): p50 $(pct "$tmp/cleanup_us" 50) ms, p99 $(pct "$tmp/cleanup_us" 99) ms," \
     "max $(pct "$tmp/cleanup_us" 100) ms; application: p50 $(pct "$tmp/app_us" 50) ms, p99 $(pct "$tmp/app_us" 99) ms"

# ---------------------------------------------------------------------------
# Figures and invariants.
# ---------------------------------------------------------------------------
$psql -v seconds="$seconds" -f test/load/figures.sql
$psql -f test/load/check.sql >"$tmp/check.out"
sed 's/^/load: check: /' "$tmp/check.out"
! grep -q '^FAIL|' "$tmp/check.out" || fail "$(grep -c '^FAIL|' "$tmp/check.out") invariant(s) broken"
# Every check ran and passed, each exactly once (check.sql's names).
checks=("no orphans" "messages in their pair's conversation" "receipts by the recipient"
        "call children of the same pair" "every row belongs to a pair"
        "previews count each pair's rows" "audited = before + inserted - after"
        "per pair: audited = before + inserted - after" "one audit row per cleanup"
        "profiles and settings untouched" "no cleanup errors" "application errors only 23503")
for c in "${checks[@]}"; do
    [ "$(awk -F'|' -v c="$c" '$1 == "ok" && $2 == c' "$tmp/check.out" | wc -l)" -eq 1 ] ||
        fail "check '$c' did not pass exactly once"
done
[ "$(grep -c '^ok|' "$tmp/check.out")" -eq ${#checks[@]} ] || fail "expected exactly ${#checks[@]} checks to pass"
echo "load: all ${#checks[@]} invariants hold over $n_cleanup cleanups and $n_app application transactions"

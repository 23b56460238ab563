#!/usr/bin/env bash
# bench/run.sh -- ct_cleanup against hand-written and generic equivalents.
#
#   ./bench/run.sh                 # x1: pairs=50000 rows=20 heavy=20, ~3.2 M rows
#   SCALE=10 ./bench/run.sh        # x10 pairs (~30 M rows); compares with the last x1 run
#
# As root on Debian 12: installs what is missing and builds/installs the
# extension (../scripts/setup.sh), starts a throwaway PostgreSQL 15 cluster
# (pg_virtualenv -t), loads and registers examples/coaching, measures, checks
# counts, and prints the report.  Output is also kept in bench/out/.
# See bench/README.md for the variants, knobs and how to read the output.
set -euo pipefail
bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$bench")
SCALE=${SCALE:-1}
export SCALE
t0=$(date +%s)

if [ "${SKIP_SETUP:-0}" != 1 ]; then
    "$repo/scripts/setup.sh"
fi
chmod +x "$bench/lib/"*.sh

stamp=$(date +%Y%m%d-%H%M%S)
export BENCH_OUT=$bench/out/scale$SCALE-$stamp
mkdir -p "$BENCH_OUT"
log=$BENCH_OUT/output.txt

# Warm cache: shared_buffers holds the whole data set (x1: ~0.7 GB on disk,
# x10: ~7 GB), 1 GB per SCALE unit, at most 12 GB; SHARED_BUFFERS overrides.
SHARED_BUFFERS=${SHARED_BUFFERS:-$(( SCALE < 12 ? SCALE : 12 ))GB}
opts=(-o "shared_buffers=$SHARED_BUFFERS" -o max_wal_size=8GB -o min_wal_size=1GB
      -o checkpoint_timeout=60min -o autovacuum=off -o jit=off
      -o maintenance_work_mem=1GB -o wal_buffers=16MB
      -o max_locks_per_transaction=256 -o log_min_messages=warning)

set +e
pg_virtualenv -t -v 15 "${opts[@]}" bash "$bench/lib/inner.sh" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
t1=$(date +%s)
{
    echo
    if [ "$rc" -ne 0 ]; then
        echo "BENCH FAILED (exit $rc) -- see above"
    fi
    total=$((t1 - t0))
    printf 'total run time: %d min %02d s (SCALE=%s, setup + generation + measurements)' $((total / 60)) $((total % 60)) "$SCALE"
    if [ "$SCALE" = 1 ]; then
        if [ "$total" -le 900 ]; then echo '  -> target: default run < 15 min: met'; else echo '  -> target: default run < 15 min: NOT MET'; fi
    else
        echo
    fi
} | tee -a "$log"
# the x1 reference for SCALE=10 runs: only a default-shaped x1 run
if [ "$rc" -eq 0 ] && [ "$SCALE" = 1 ] && [ -z "${PAIRS:-}${ROWS:-}${HEAVY:-}" ] && [ -s "$BENCH_OUT/summary.tsv" ]; then
    cp "$BENCH_OUT/summary.tsv" "$bench/out/summary-scale1.tsv"
    cp "$BENCH_OUT/build.txt" "$bench/out/summary-scale1.build" 2>/dev/null || true
fi
echo "output kept in $log"
exit "$rc"

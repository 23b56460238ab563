#!/usr/bin/env bash
# bench/lib/inner.sh -- runs inside the throwaway cluster started by
# bench/run.sh (pg_virtualenv has set PGHOST, PGPORT, PGUSER=postgres).
# Builds the example application, measures, checks, prints the report.
set -euo pipefail

lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench=$(dirname "$lib")
repo=$(dirname "$bench")
out=${BENCH_OUT:?}
ex=$repo/examples/coaching

SCALE=${SCALE:-1}
ROWS=${ROWS:-20}
HEAVY=${HEAVY:-20}
PAIRS=${PAIRS:-$((50000 * SCALE))}
NORMAL_N=${NORMAL_N:-2000}          # normal pairs, server side (each: every variant)
HEAVY_ROUNDS=${HEAVY_ROUNDS:-5}     # rounds over the HEAVY heavy pairs, server side
CLIENT_N=${CLIENT_N:-500}           # normal pairs, client side
CLIENT_HEAVY_ROUNDS=${CLIENT_HEAVY_ROUNDS:-2}
WARMUP_N=${WARMUP_N:-30}            # warm-up pairs, every variant, not recorded
ADD_REPS=${ADD_REPS:-200}           # repetitions of the additions
MANY_N=${MANY_N:-1000}
MANY_ROUNDS=${MANY_ROUNDS:-5}
MEM_ROWS=${MEM_ROWS:-100000}        # messages of each pair in the memory database
SEED=${SEED:-0.42}

export PGDATABASE=bench
psql="psql -X -q -v ON_ERROR_STOP=1"
t_start=$(date +%s)
stamp() { printf '[%s +%4ds] %s\n' "$(date +%H:%M:%S)" $(( $(date +%s) - t_start )) "$*"; }

# ---------------------------------------------------------------------------
stamp "cluster: PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version'), $(nproc) cores," \
      "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
psql -X -At -d postgres -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
  FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout',
  'autovacuum', 'work_mem', 'synchronous_commit', 'wal_level', 'jit', 'fsync')" | sed 's/^/    /'

createdb bench
$psql -f "$ex/schema.sql"
$psql -c 'CREATE EXTENSION ct_cleanup' -c 'CREATE EXTENSION pg_prewarm'
$psql -f "$ex/register.sql" >/dev/null
have_many=$(psql -X -At -c "SELECT to_regprocedure('public.ct_cleanup_many(uuid[],uuid[],text)') IS NOT NULL
                                AND to_regprocedure('public.ct_cleanup_preview_many(uuid[],uuid[])') IS NOT NULL")
so=$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir)/ct_cleanup.so
build() { printf '%s (%s)' "$(md5sum < "$so" | cut -c1-12)" "$(date -r "$so" '+%F %T')"; }
build_start=$(build)
stamp "extension: ct_cleanup $(psql -X -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup'")," \
      "ct_cleanup_many installed: $have_many; library md5 $build_start;" \
      "repository at $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD -- '*.c' '*.h' '*.sql' 2>/dev/null || echo ' + uncommitted changes')"

stamp "generating pairs=$PAIRS rows=$ROWS heavy=$HEAVY (SCALE=$SCALE) ..."
g0=$(date +%s)
$psql -v pairs="$PAIRS" -v rows="$ROWS" -v heavy="$HEAVY" -f "$ex/generate.sql"
g1=$(date +%s)
$psql -c 'VACUUM (FREEZE, ANALYZE)' -c 'CHECKPOINT'
g2=$(date +%s)
read -r nrows dbsize < <(psql -X -At -F ' ' -c "
  SELECT (SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'app'),
         pg_size_pretty(pg_database_size('bench'))")
stamp "generated $nrows rows ($dbsize) in $((g1 - g0)) s; VACUUM FREEZE ANALYZE + CHECKPOINT $((g2 - g1)) s"
echo "generate_s=$((g1 - g0)) vacuum_s=$((g2 - g1)) rows=$nrows size=$dbsize" > "$out/generate.txt"

# An admin that is not a superuser, as a dashboard would connect.
$psql <<'SQL'
SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ct_cleanup_admin') THEN CREATE ROLE ct_cleanup_admin NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_admin') THEN CREATE ROLE bench_admin NOLOGIN IN ROLE ct_cleanup_admin; END IF;
END $$;
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup_preview(uuid, uuid) TO ct_cleanup_admin;
SQL

# The benchmark's objects, with the hand-written statement (b) inlined.
build_objects() {   # pairs heavy
    perl -pe '
        BEGIN { local $/; open my $f, "<", $ENV{VARIANT_B} or die; $b = <$f>;
                $b =~ s/\$1/v_client/g; $b =~ s/\$2/v_trainer/g; $b =~ s/\s+$//; }
        s/\@VARIANT_B\@/$b/g; s/\@PAIRS\@/$ENV{B_PAIRS}/g; s/\@HEAVY\@/$ENV{B_HEAVY}/g;
    ' "$lib/objects.sql.in"
}
export VARIANT_B=$lib/variant_b.sql
B_PAIRS=$PAIRS B_HEAVY=$HEAVY build_objects > "$out/objects.sql"
$psql -f "$out/objects.sql"

# The sample: the same random pairs for every variant.
$psql -v seed="$SEED" -v normal_n="$NORMAL_N" -v heavy_rounds="$HEAVY_ROUNDS" -v heavy="$HEAVY" \
      -v warmup_n="$WARMUP_N" <<'SQL'
SELECT setseed(:seed) \gset
CREATE TABLE bench.sample AS
SELECT 'normal'::text AS phase, row_number() OVER () AS ord, k
  FROM (SELECT k FROM bench.pairs WHERE NOT heavy ORDER BY random() LIMIT :normal_n) AS s;
INSERT INTO bench.sample
SELECT 'heavy', row_number() OVER (), k
  FROM (SELECT r, k FROM generate_series(1, :heavy_rounds) AS r, bench.pairs
         WHERE heavy ORDER BY r, random()) AS s;
INSERT INTO bench.sample
SELECT 'warmup', row_number() OVER (), k
  FROM (SELECT k FROM bench.pairs WHERE NOT heavy ORDER BY random() LIMIT :warmup_n) AS s;
SQL

stamp "prewarming shared_buffers (pg_prewarm of every app table and index) ..."
$psql -At -c "SELECT 'prewarmed ' || sum(pg_prewarm(c.oid)) || ' blocks'
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'app' AND c.relkind IN ('r', 'i')" | sed 's/^/    /'

# ---------------------------------------------------------------------------
# Server side: ONE session, so that plan caches stay warm from the warm-up on.
load() { awk '{ printf "load average %s %s %s", $1, $2, $3 }' /proc/loadavg; }
others=$(( $(ps -eo args= | grep -c '^/usr/lib/postgresql/[0-9]*/bin/postgres -D' || true) - 1 ))
build_start=$(build)   # what the measuring backends load
stamp "machine before measuring: $(load); $others other PostgreSQL clusters running on this machine; library md5 $build_start"
stamp "server side: warm-up, verification, then $NORMAL_N normal pairs and $((HEAVY * HEAVY_ROUNDS)) heavy calls x 6 variants ..."
$psql <<'SQL'
\set v '{a,a2,b,c,d,p}'
-- The session runs with ct_cleanup's own search_path, so that the variants do
-- not disturb each other: in PostgreSQL <= 16 a cached plan (here: the
-- foreign-key triggers' plans, shared by all variants) is re-planned when
-- used under another search_path than the one it was planned under, and
-- ct_cleanup always runs under "pg_catalog, pg_temp".  All bench code is
-- schema-qualified.  The penalty of alternating is measured separately below.
SET search_path = pg_catalog, pg_temp;
-- warm-up: every variant on the warm-up pairs (recorded as phase warmup,
-- not reported), then one call per sampled pair, so that every page the
-- measured calls touch has been read, dirtied and hinted once
CALL bench.run_calls('warmup', $$SELECT k FROM bench.sample WHERE phase = 'warmup' ORDER BY ord$$, :'v');
CALL bench.run_calls('touch', $$SELECT DISTINCT k FROM bench.sample WHERE phase IN ('normal', 'heavy')$$, '{b}');
CALL bench.run_calls('warmup', $$SELECT DISTINCT k FROM bench.sample WHERE phase = 'heavy' LIMIT 2$$, :'v');
-- correctness beyond counts on a few pairs
CALL bench.verify($$SELECT k FROM bench.sample WHERE phase = 'normal' AND ord <= 6
                   UNION ALL SELECT k FROM bench.sample WHERE phase = 'heavy' AND ord <= 2$$, '{a,b,c,d}');
\timing on
CALL bench.run_calls('normal', $$SELECT k FROM bench.sample WHERE phase = 'normal' ORDER BY ord$$, :'v');
CALL bench.run_calls('heavy', $$SELECT k FROM bench.sample WHERE phase = 'heavy' ORDER BY ord$$, :'v');
\timing off
-- the search_path penalty: (a), (b), (c) interleaved on the same 300 pairs,
-- once under the application's default search_path, once pinned
RESET search_path;
CALL bench.run_calls('path_default', $$SELECT k FROM bench.sample WHERE phase = 'normal' AND ord <= 300 ORDER BY ord$$, '{a,b,c}');
SET search_path = pg_catalog, pg_temp;
CALL bench.run_calls('path_pinned', $$SELECT k FROM bench.sample WHERE phase = 'normal' AND ord <= 300 ORDER BY ord$$, '{a,b,c}');
SQL

stamp "server side: ct_cleanup's additions alone ($ADD_REPS repetitions) ..."
$psql -c "SET search_path = pg_catalog, pg_temp" -c "CALL bench.run_additions($ADD_REPS)"

if [ "$have_many" = t ]; then
    stamp "ct_cleanup_many vs single calls: $MANY_ROUNDS rounds of $MANY_N pairs ..."
    $psql -c "GRANT EXECUTE ON FUNCTION ct_cleanup_many(uuid[], uuid[], text), ct_cleanup_preview_many(uuid[], uuid[]) TO ct_cleanup_admin" \
          -c "SET search_path = pg_catalog, pg_temp" -c "CALL bench.run_many(1, 50, $ROWS, false)" \
          -c "CALL bench.run_many($MANY_ROUNDS, $MANY_N, $ROWS, true)"
else
    stamp "SKIPPED: ct_cleanup_many / ct_cleanup_preview_many are not installed (CONTRACT §5); re-run once they are"
fi

# ---------------------------------------------------------------------------
# Client side: psql \timing around each call (simple protocol; (b) is
# PREPARE once, then EXECUTE), each call between BEGIN and ROLLBACK, same
# pairs as the server side, variants in random order per pair.
stamp "client side (psql \\timing): $CLIENT_N normal pairs, $((HEAVY * CLIENT_HEAVY_ROUNDS)) heavy calls x 5 variants ..."
{
    echo '\set ON_ERROR_STOP on'
    echo '\o /dev/null'
    echo 'SET search_path = pg_catalog, pg_temp;'
    printf 'PREPARE bench_b(uuid, uuid) AS\n%s;\n' "$(cat "$lib/variant_b.sql")"
    psql -X -At -v seed="$SEED" -v cn="$CLIENT_N" -v chr="$CLIENT_HEAVY_ROUNDS" -v heavy="$HEAVY" <<'SQL'
SELECT setseed(:seed) \gset
SELECT format(E'\\echo @ %s %s %s\nBEGIN;\n\\timing on\n%s\n\\timing off\nROLLBACK;',
              s.phase, s.k, v.v,
              CASE v.v
                WHEN 'a' THEN format('SELECT * FROM public.ct_cleanup(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
                WHEN 'b' THEN format('EXECUTE bench_b(%L, %L);', p.client_id, p.trainer_id)
                WHEN 'c' THEN format('SELECT * FROM bench.cleanup_static(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
                WHEN 'd' THEN format('SELECT bench.cleanup_generic(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
                WHEN 'p' THEN format('SELECT * FROM public.ct_cleanup_preview(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
              END)
FROM (SELECT phase, ord, k, CASE phase WHEN 'warmup' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END AS po
        FROM bench.sample
       WHERE (phase = 'warmup' AND ord <= 10) OR (phase = 'normal' AND ord <= :cn)
          OR (phase = 'heavy' AND ord <= :heavy * :chr)) AS s
JOIN bench.pairs AS p USING (k)
CROSS JOIN LATERAL (SELECT v FROM unnest('{a,b,c,d,p}'::text[]) AS v
                     ORDER BY random() + s.k * 0) AS v
ORDER BY s.po, s.ord, random();
SQL
} > "$out/client.sql"
$psql -f "$out/client.sql" \
    | awk '/^@ /{ ph = $2; k = $3; v = $4 } /^Time: /{ print ph "\t" k "\t" v "\t" $2 }' > "$out/client.tsv"
$psql -c "\\copy bench.client_calls FROM '$out/client.tsv'"

# ---------------------------------------------------------------------------
# Memory: a second database with pairs=2 rows=$MEM_ROWS (pair 1 has
# 21 + 2 x $MEM_ROWS rows); one fresh backend per variant.
stamp "memory: database bench_mem, pairs=2 rows=$MEM_ROWS ..."
createdb bench_mem
PGDATABASE=bench_mem $psql -f "$ex/schema.sql"
PGDATABASE=bench_mem $psql -c 'CREATE EXTENSION ct_cleanup'
PGDATABASE=bench_mem $psql -f "$ex/register.sql" >/dev/null
PGDATABASE=bench_mem $psql -v pairs=2 -v rows="$MEM_ROWS" -f "$ex/generate.sql"
PGDATABASE=bench_mem $psql -c 'VACUUM (FREEZE, ANALYZE)' -c 'CHECKPOINT'
B_PAIRS=2 B_HEAVY=0 build_objects | PGDATABASE=bench_mem $psql
rm -f "$out/mem.tsv"
for v in a b c d; do
    case $v in
        a) call="SELECT total FROM public.ct_cleanup(:'c', :'t');" ;;
        b) call="EXECUTE bench_b(:'c', :'t');" ;;
        c) call="SELECT * FROM bench.cleanup_static(:'c', :'t');" ;;
        d) call="SELECT bench.cleanup_generic(:'c', :'t');" ;;
    esac
    PGDATABASE=bench_mem BENCH_MEMFILE="$out/mem" BENCH_VARIANT=$v $psql <<SQL
\\o /dev/null
SELECT pg_backend_pid() AS pid \\gset
\\setenv BENCH_PID :pid
SELECT client_id AS c, trainer_id AS t FROM bench.pairs WHERE k = 1 \\gset
PREPARE bench_b(uuid, uuid) AS
$(cat "$lib/variant_b.sql");
-- load the library and map the pair's pages into this backend first
SELECT total FROM public.ct_cleanup_preview(:'c', :'t');
\\! "$lib/procmem.sh" before
BEGIN;
$call
\\! "$lib/procmem.sh" after
ROLLBACK;
SQL
done
$psql -c "CREATE TABLE bench.mem (variant text, vmrss_before bigint, vmhwm_after bigint,
            anon_before bigint, anon_peak bigint, shmem_before bigint, shmem_after bigint, vmhwm_before bigint)" \
      -c "\\copy bench.mem FROM '$out/mem.tsv'"
mem_rows=$(PGDATABASE=bench_mem psql -X -At -c "SELECT total FROM ct_cleanup_preview(md5('client-1')::uuid, md5('trainer-1')::uuid)")
$psql -c "COMMENT ON TABLE bench.mem IS '$mem_rows'"

# ---------------------------------------------------------------------------
stamp "machine after measuring: $(load)"
if [ "$(build)" != "$build_start" ]; then
    stamp "WARNING: ct_cleanup.so was reinstalled during this run ($build_start -> $(build)); backends started after that measured the new build"
fi
echo "$build_start" > "$out/build.txt"
stamp "report"
# the x1 run's medians, to compare a SCALE != 1 run with
prev=$bench/out/summary-scale1.tsv have_prev=f
$psql -c "CREATE TABLE bench.prev (shape text, variant text, n int, median float8, p90 float8)"
if [ "$SCALE" != 1 ] && [ -s "$prev" ]; then
    $psql -c "\\copy bench.prev FROM '$prev'"
    have_prev=t
    prev_build=$(cat "$bench/out/summary-scale1.build" 2>/dev/null || echo '?')
    if [ "$prev_build" != "$build_start" ]; then
        stamp "WARNING: the x1 summary was measured with library $prev_build, this run with $build_start: the scale comparison mixes two builds"
    fi
fi
$psql -v scale="$SCALE" -v pairs="$PAIRS" -v rows="$ROWS" -v heavy="$HEAVY" -v have_many="$have_many" \
      -v have_prev="$have_prev" -v nrows="$nrows" -v generate_s="$((g1 - g0))" -f "$lib/report.sql"
$psql -c "\\copy (SELECT shape, variant, n, median, p90 FROM bench.summary ORDER BY 1, 2) TO '$out/summary.tsv'"
stamp "done"

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
NORMAL_N=${NORMAL_N:-1200}          # normal pairs, server side, per search_path (each: every variant)
NORMAL_CHUNKS=${NORMAL_CHUNKS:-4}   # ... measured in chunks, the two paths alternating (ABBA...)
HEAVY_ROUNDS=${HEAVY_ROUNDS:-2}     # rounds over the HEAVY heavy pairs, server side, per search_path (every variant but (a2))
ALONE_N=${ALONE_N:-300}             # normal pairs of each variant alone in the session, per search_path
VERIFY_N=${VERIFY_N:-20}            # normal pairs whose deleted rows are checked row by row (+ 2 heavy)
CLIENT_N=${CLIENT_N:-500}           # normal pairs, client side
CLIENT_HEAVY_N=${CLIENT_HEAVY_N:-10}   # heavy pairs, client side
WARMUP_N=${WARMUP_N:-30}            # warm-up pairs, every variant, not recorded
ADD_REPS=${ADD_REPS:-200}           # repetitions of the additions
MANY_N=${MANY_N:-1000}
MANY_ROUNDS=${MANY_ROUNDS:-3}       # per search_path
MEM_ROWS=${MEM_ROWS:-100000}        # messages of each pair in the memory database
SEED=${SEED:-0.42}
BEFORE=${BEFORE-/work/bench-before.txt}   # an earlier run's output to compare with ('' = none)

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
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD -- '*.c' '*.h' '*.sql' 2>/dev/null || echo ' + uncommitted changes')"
stamp "extension: ct_cleanup $(psql -X -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ct_cleanup'")," \
      "ct_cleanup_many installed: $have_many; library md5 $build_start;" \
      "repository at $commit"

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
-- the independent oracle's counts of every sampled pair
INSERT INTO bench.oracle
SELECT k, bench.pair_counts(client_id, trainer_id)
  FROM bench.pairs WHERE k IN (SELECT k FROM bench.sample);
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
load_before=$(load)
stamp "machine before measuring: $load_before; $others other PostgreSQL clusters running on this machine; library md5 $build_start"
# Two search_paths.  "app" is the application's default, "$user", public: what
# a psql user or the dashboard has (the headline).  "pinned" is
# pg_catalog, pg_temp, the path ct_cleanup (and (c2)) pin for themselves.
# In PostgreSQL <= 16 a cached plan is re-planned whenever it is used under
# another search_path than it was planned under; the foreign-key triggers'
# cached plans are shared by every variant in a backend, so under the
# application's path each switch between a pinned function ((a), (a2), (c2))
# and a plain one ((b), (c), (d)) re-plans them.  That is part of what a user
# pays and is measured, not avoided.  All bench code is schema-qualified.
setpath() {
    if [ "$1" = app ]; then echo 'SET search_path = "$user", public;'
    else echo 'SET search_path = pg_catalog, pg_temp;'; fi
}
abba() { if [ $(( $1 % 2 )) = 1 ]; then echo app pinned; else echo pinned app; fi; }
variants='{a,a2,b,c,c2,d,p}'
heavy_variants='{a,b,c,c2,d,p}'   # (a2) differs from (a) by microseconds: not worth 0.3 s a call here
verify_variants='{a,a2,b,c,c2,d,p}'
if [ "$have_many" = t ]; then verify_variants='{a,a2,b,c,c2,d,p,many,pmany}'; fi
heavy_n=$(psql -X -At -c "SELECT count(*) FROM bench.pairs WHERE heavy")
{
    echo "\\set v '$variants'"
    echo "\\set hv '$heavy_variants'"
    echo "SELECT clock_timestamp() AS t_warm \\gset"
    # warm-up: every variant on the warm-up pairs under each path (recorded
    # as phase warmup, not reported), then one call per sampled pair, so that
    # every page the measured calls touch has been read, dirtied and hinted once
    for path in app pinned; do
        setpath $path
        echo "CALL bench.run_calls('warmup', \$\$SELECT k FROM bench.sample WHERE phase = 'warmup' ORDER BY ord\$\$, :'v');"
    done
    echo "CALL bench.run_calls('touch', \$\$SELECT DISTINCT k FROM bench.sample WHERE phase IN ('normal', 'heavy')\$\$, '{b}');"
    for path in app pinned; do
        setpath $path
        echo "CALL bench.run_calls('warmup', \$\$SELECT DISTINCT k FROM bench.sample WHERE phase = 'heavy' LIMIT 1\$\$, :'hv');"
    done
    # row identities against the independent oracle, under each path
    for path in app pinned; do
        setpath $path
        full=false; if [ $path = app ]; then full=true; fi
        echo "CALL bench.verify(\$\$SELECT k FROM bench.sample WHERE phase = 'normal' AND ord <= $VERIFY_N
                  UNION ALL SELECT k FROM bench.sample WHERE phase = 'heavy' AND ord <= 2\$\$, '$verify_variants', $full);"
    done
    echo "SELECT format('    warm-up and row-identity verification: %s s', round(extract(epoch FROM clock_timestamp() - :'t_warm'::timestamptz)::numeric, 1)) AS line \\gset"
    echo '\echo :line'
    for i in $(seq 1 "$NORMAL_CHUNKS"); do
        lo=$(( (i - 1) * NORMAL_N / NORMAL_CHUNKS )) hi=$(( i * NORMAL_N / NORMAL_CHUNKS ))
        for path in $(abba "$i"); do
            setpath $path
            echo "\\echo -n '    normal pairs $((lo + 1))-$hi, $path path: '"
            echo '\timing on'
            echo "CALL bench.run_calls('normal', \$\$SELECT k FROM bench.sample WHERE phase = 'normal' AND ord > $lo AND ord <= $hi ORDER BY ord\$\$, :'v');"
            echo '\timing off'
        done
    done
    for r in $(seq 1 "$HEAVY_ROUNDS"); do
        lo=$(( (r - 1) * heavy_n )) hi=$(( r * heavy_n ))
        for path in $(abba "$r"); do
            setpath $path
            echo "\\echo -n '    heavy round $r, $path path: '"
            echo '\timing on'
            echo "CALL bench.run_calls('heavy', \$\$SELECT k FROM bench.sample WHERE phase = 'heavy' AND ord > $lo AND ord <= $hi ORDER BY ord\$\$, :'hv');"
            echo '\timing off'
        done
    done
    # each of (a), (b), (c), (c2) alone in the session (no other variant in
    # between, so no switching of the foreign-key trigger plans between
    # paths): what a session that only ever calls that one function pays.
    # The two paths alternate in thirds (app, pinned, pinned, app, app, pinned).
    echo "SELECT clock_timestamp() AS t_alone \\gset"
    for v in a b c c2; do
        for i in 1 2 3; do
            lo=$(( (i - 1) * ALONE_N / 3 )) hi=$(( i * ALONE_N / 3 ))
            for path in $(abba "$i"); do
                setpath $path
                echo "CALL bench.run_calls('alone', \$\$SELECT k FROM bench.sample WHERE phase = 'normal' AND ord > $lo AND ord <= $hi ORDER BY ord\$\$, '{$v}');"
            done
        done
    done
    echo "SELECT format('    alone: $ALONE_N pairs of each of (a), (b), (c), (c2) under each path: %s s', round(extract(epoch FROM clock_timestamp() - :'t_alone'::timestamptz)::numeric, 1)) AS line \\gset"
    echo '\echo :line'
} > "$out/server.sql"
stamp "server side: warm-up, row-identity verification, then $NORMAL_N normal pairs x 7 variants and $((heavy_n * HEAVY_ROUNDS)) heavy calls x 6 variants, under each of the two search_paths ..."
$psql < "$out/server.sql"

stamp "server side: ct_cleanup's additions alone ($ADD_REPS repetitions) ..."
$psql -c "SET search_path = pg_catalog, pg_temp" -c "CALL bench.run_additions($ADD_REPS)"

if [ "$have_many" = t ]; then
    stamp "ct_cleanup_many vs single calls: $MANY_ROUNDS rounds of $MANY_N pairs, under each search_path ..."
    $psql -c "GRANT EXECUTE ON FUNCTION ct_cleanup_many(uuid[], uuid[], text), ct_cleanup_preview_many(uuid[], uuid[]) TO ct_cleanup_admin" \
          -c "$(setpath app)" -c "CALL bench.run_many(1, 50, $ROWS, false)" \
          -c "CALL bench.run_many($MANY_ROUNDS, $MANY_N, $ROWS, true)" \
          -c "$(setpath pinned)" -c "CALL bench.run_many($MANY_ROUNDS, $MANY_N, $ROWS, true)"
else
    stamp "SKIPPED: ct_cleanup_many / ct_cleanup_preview_many are not installed (CONTRACT §5); re-run once they are"
fi

# ---------------------------------------------------------------------------
# Client side: psql \timing around each call (simple protocol; (b) is
# PREPARE once, then EXECUTE), each call between BEGIN and ROLLBACK, same
# pairs as the server side, variants in random order per pair, under the
# application's search_path (what a psql user has).
stamp "client side (psql \\timing, application search_path): $CLIENT_N normal pairs, $CLIENT_HEAVY_N heavy pairs x 6 variants ..."
{
    echo '\set ON_ERROR_STOP on'
    echo '\o /dev/null'
    setpath app
    printf 'PREPARE bench_b(uuid, uuid) AS\n%s;\n' "$(cat "$lib/variant_b.sql")"
    psql -X -At -v seed="$SEED" -v cn="$CLIENT_N" -v chn="$CLIENT_HEAVY_N" <<'SQL'
SELECT setseed(:seed) \gset
SELECT format(E'\\echo @ %s %s %s\nBEGIN;\n\\timing on\n%s\n\\timing off\nROLLBACK;',
              s.phase, s.k, v.v,
              CASE v.v
                WHEN 'a' THEN format('SELECT * FROM public.ct_cleanup(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
                WHEN 'b' THEN format('EXECUTE bench_b(%L, %L);', p.client_id, p.trainer_id)
                WHEN 'c' THEN format('SELECT * FROM bench.cleanup_static(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
                WHEN 'c2' THEN format('SELECT * FROM bench.cleanup_static_pinned(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
                WHEN 'd' THEN format('SELECT bench.cleanup_generic(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
                WHEN 'p' THEN format('SELECT * FROM public.ct_cleanup_preview(%L::uuid, %L::uuid);', p.client_id, p.trainer_id)
              END)
FROM (SELECT phase, ord, k, CASE phase WHEN 'warmup' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END AS po
        FROM bench.sample
       WHERE (phase = 'warmup' AND ord <= 10) OR (phase = 'normal' AND ord <= :cn)
          OR (phase = 'heavy' AND ord <= :chn)) AS s
JOIN bench.pairs AS p USING (k)
CROSS JOIN LATERAL (SELECT v FROM unnest('{a,b,c,c2,d,p}'::text[]) AS v
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
for v in a b c c2 d; do
    case $v in
        a) call="SELECT total FROM public.ct_cleanup(:'c', :'t');" ;;
        b) call="EXECUTE bench_b(:'c', :'t');" ;;
        c) call="SELECT * FROM bench.cleanup_static(:'c', :'t');" ;;
        c2) call="SELECT * FROM bench.cleanup_static_pinned(:'c', :'t');" ;;
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
load_after=$(load)
stamp "machine after measuring: $load_after"
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
# shape "normal@app": application path; "normal": pinned (also in summaries
# written before the application path was measured)
$psql -c "ALTER TABLE bench.prev ADD path text" \
      -c "UPDATE bench.prev SET path = CASE WHEN shape LIKE '%@app' THEN 'app' ELSE 'pinned' END,
                                shape = split_part(shape, '@', 1)"
# an earlier run's output ($BEFORE), to compare with: its server-side
# medians per path, shape and variant, ct_cleanup_many's medians, memory,
# and the build, commit and load it printed (bench/lib/parse_output.awk)
have_before=f before_label=''
$psql -c "CREATE TABLE bench.before (key text PRIMARY KEY, num float8, txt text)"
if [ -n "$BEFORE" ] && [ -s "$BEFORE" ]; then
    awk -f "$lib/parse_output.awk" "$BEFORE" > "$out/before.tsv"
    $psql -c "\\copy bench.before FROM '$out/before.tsv'"
    have_before=t before_label=$BEFORE
elif [ -n "$BEFORE" ]; then
    stamp "no earlier output at $BEFORE: no before/after comparison"
fi
$psql -v scale="$SCALE" -v pairs="$PAIRS" -v rows="$ROWS" -v heavy="$HEAVY" -v have_many="$have_many" \
      -v have_prev="$have_prev" -v nrows="$nrows" -v generate_s="$((g1 - g0))" \
      -v have_before="$have_before" -v before_file="$before_label" \
      -v load_before="${load_before#load average }" -v load_after="${load_after#load average }" \
      -v this_build="$build_start" -v this_commit="$commit" -f "$lib/report.sql"
# shape "normal"/"heavy": pinned path (comparable with runs before the
# application path was measured); "normal@app"/"heavy@app": application path
$psql -c "\\copy (SELECT shape || CASE path WHEN 'app' THEN '@app' ELSE '' END, variant, n, median, p90
                  FROM bench.summary ORDER BY 1, 2) TO '$out/summary.tsv'"
stamp "done"

--
-- bench/lib/report.sql -- checks, then prints the tables and the targets.
-- psql variables: scale pairs rows heavy have_many have_prev nrows generate_s
--                 have_before before_file load_before load_after this_build this_commit
--
-- Two search_paths: 'app' = "$user", public (the application's default, what
-- a psql user or the dashboard has: the HEADLINE, and what the targets are
-- computed on) and 'pinned' = pg_catalog, pg_temp (ct_cleanup's own path,
-- how earlier runs of this bench measured).
--
\set ON_ERROR_STOP on
\pset footer off
\pset null '-'
SET client_min_messages = warning;

------------------------------------------------------------------------------
\echo
\echo '== 1. Checks: every call against the independent oracle; row identities on a sample'
------------------------------------------------------------------------------
-- every call of every variant, warm-up included, under both paths: the
-- per-table counts it returned = the oracle's (bench.pair_rows, written out
-- from the schema's foreign keys; not ct_cleanup_preview, not the registry),
-- and the oracle = what the generator made
CREATE TEMP VIEW bad AS
SELECT c.path, c.phase, c.k, c.variant, c.counts, o.counts AS oracle
  FROM bench.calls AS c LEFT JOIN bench.oracle AS o USING (k)
 WHERE c.counts IS DISTINCT FROM o.counts;
CREATE TEMP VIEW oracle_bad AS
SELECT o.k, o.counts AS oracle, bench.expected(p.heavy, :rows) AS generator
  FROM bench.oracle AS o JOIN bench.pairs AS p USING (k)
 WHERE o.counts IS DISTINCT FROM bench.expected(p.heavy, :rows);
SELECT count(*) AS calls_checked,
       count(DISTINCT (path, phase, k)) AS pair_samples,
       (SELECT count(*) FROM bad) AS "mismatches vs oracle",
       (SELECT count(*) FROM oracle_bad) AS "oracle vs generator mismatches",
       (SELECT count(*) FROM (SELECT path, phase, k FROM bench.calls
                              GROUP BY 1, 2, 3 HAVING count(DISTINCT counts) > 1) AS x) AS pairs_where_variants_differ
  FROM bench.calls;
SELECT * FROM bad LIMIT 20;
SELECT * FROM oracle_bad LIMIT 20;
DO $$
BEGIN
    IF EXISTS (SELECT FROM bad) OR EXISTS (SELECT FROM oracle_bad) THEN
        RAISE EXCEPTION 'COUNT CHECK FAILED: % calls returned other rows per table than the oracle lists, % pairs where the oracle and the generator differ (listed above)',
            (SELECT count(*) FROM bad), (SELECT count(*) FROM oracle_bad);
    END IF;
END $$;
\echo 'count check passed: every call returned the oracle''s count for each table (and the oracle agrees with the generator)'
\echo
\echo 'Row identities (bench.verify, inside each call''s transaction): the oracle''s rows of the pair all gone (by ctid), the rows of the other'
\echo 'pairs of the same trainer all there, and per app table exactly as many rows deleted as the oracle lists, none inserted or updated'
\echo '(pg_stat_get_xact_*); full_totals: also count(*) of every app table before and after.'
SELECT v.path, coalesce(x.label, CASE v.variant WHEN 'many' THEN 'ct_cleanup_many, all pairs at once'
                                                WHEN 'pmany' THEN 'ct_cleanup_preview_many, all pairs at once' END) AS variant,
       v.pairs AS "pairs checked", v.rows_gone AS "rows deleted, each checked",
       v.rows_kept AS "neighbours' rows checked kept", v.full_totals AS "full table totals"
  FROM bench.verified AS v LEFT JOIN bench.variants AS x USING (variant)
 ORDER BY v.path, coalesce(x.ord, 99), v.variant;
DO $$
BEGIN
    IF (SELECT count(DISTINCT path) FROM bench.verified) <> 2 THEN
        RAISE EXCEPTION 'ROW IDENTITY CHECK FAILED: bench.verify did not complete under both search_paths';
    END IF;
END $$;
\echo 'row identity check passed: every checked call deleted exactly the oracle''s rows and changed nothing else'

------------------------------------------------------------------------------
-- server-side summaries, per path
------------------------------------------------------------------------------
CREATE TABLE bench.summary AS
SELECT path, phase AS shape, variant, count(*)::int AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90
  FROM bench.calls WHERE phase IN ('normal', 'heavy', 'alone')
 GROUP BY 1, 2, 3;
-- paired: for each pair visit, this variant's time / (b)'s time in the same
-- visit (they ran back to back), then the median over visits
CREATE TABLE bench.paired AS
SELECT x.path, x.phase AS shape, x.variant,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY x.ms / b.ms) AS ratio_b
  FROM bench.calls AS x JOIN bench.calls AS b USING (path, phase, visit)
 WHERE x.phase IN ('normal', 'heavy') AND b.variant = 'b'
 GROUP BY 1, 2, 3;
CREATE TEMP VIEW srv AS
SELECT s.*, r.b, r.bc, r.c2, v.label, v.ord, p.ratio_b
  FROM bench.summary AS s
  JOIN (SELECT path, shape, max(median) FILTER (WHERE variant = 'b') AS b,
               min(median) FILTER (WHERE variant IN ('b', 'c')) AS bc,
               max(median) FILTER (WHERE variant = 'c2') AS c2
          FROM bench.summary GROUP BY 1, 2) AS r USING (path, shape)
  JOIN bench.paired AS p USING (path, shape, variant)
  JOIN bench.variants AS v USING (variant);
CREATE FUNCTION pg_temp.m(pa text, s text, v text) RETURNS float8 LANGUAGE sql AS
    'SELECT median FROM bench.summary WHERE path = pa AND shape = s AND variant = v';
SELECT set_config('bench.rows', :'rows', false) AS rows_setting \gset
CREATE FUNCTION pg_temp.srv_table(pa text) RETURNS TABLE (
    pair text, variant text, n int, median_ms numeric, p90_ms numeric, "median/(b)" numeric,
    "median/min(b,c)" numeric, "median/(c2)" numeric, "paired median of x/(b)" numeric)
LANGUAGE sql AS $$
SELECT CASE shape WHEN 'normal' THEN format('normal (%s rows)', 21 + 2 * current_setting('bench.rows')::int)
                  ELSE format('heavy (%s rows)', 21 + 2 * greatest(current_setting('bench.rows')::int, 20000)) END,
       label, n,
       round(median::numeric, 3), round(p90::numeric, 3),
       round((median / b)::numeric, 3),
       round((median / bc)::numeric, 3),
       round((median / c2)::numeric, 3),
       round(ratio_b::numeric, 3)
  FROM srv WHERE path = pa ORDER BY shape DESC, ord
$$;

------------------------------------------------------------------------------
\echo
\echo '== 2. Server side, application search_path "$user", public (HEADLINE): clock_timestamp() around each call inside a PL/pgSQL driver, each call rolled back (ms)'
------------------------------------------------------------------------------
\echo '   variants in random order per pair, one session: each switch between a pinned function ((a), (a2), (c2)) and a plain one ((b), (c), (d))'
\echo '   re-plans the shared foreign-key trigger plans (PostgreSQL <= 16) -- a cost a user pays, included here'
SELECT * FROM pg_temp.srv_table('app');

------------------------------------------------------------------------------
\echo
\echo '== 2b. Server side, pinned search_path pg_catalog, pg_temp (every variant under ct_cleanup''s own path, as earlier runs measured; same pairs) (ms)'
------------------------------------------------------------------------------
SELECT * FROM pg_temp.srv_table('pinned');

------------------------------------------------------------------------------
\echo
\echo '== 3. Client side, application search_path: psql \\timing of each call (simple protocol, (b) = PREPARE once + EXECUTE), each call between BEGIN and ROLLBACK (ms)'
------------------------------------------------------------------------------
CREATE TEMP VIEW cli AS
SELECT phase AS shape, variant, count(*) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90
  FROM bench.client_calls WHERE phase IN ('normal', 'heavy')
 GROUP BY 1, 2;
SELECT CASE shape WHEN 'normal' THEN 'normal' ELSE 'heavy' END AS pair, v.label AS variant, n,
       round(median::numeric, 3) AS median_ms, round(p90::numeric, 3) AS p90_ms,
       round((median / r.b)::numeric, 3) AS "median/(b)",
       round((median / r.bc)::numeric, 3) AS "median/min(b,c)"
  FROM cli
  JOIN (SELECT shape, max(median) FILTER (WHERE variant = 'b') AS b,
               min(median) FILTER (WHERE variant IN ('b', 'c')) AS bc
          FROM cli GROUP BY shape) AS r USING (shape)
  JOIN bench.variants AS v USING (variant)
 ORDER BY shape DESC, v.ord;

------------------------------------------------------------------------------
\echo
\echo '== 4. ct_cleanup''s own additions, measured alone (server side, per call; % of (a)''s median on a normal pair, application path)'
------------------------------------------------------------------------------
SELECT pg_temp.m('app', 'normal', 'a') AS a_app \gset
SELECT e.name AS what, count(*) AS reps,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY e.ms)::numeric * 1000, 2) AS median_us,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY e.ms)::numeric * 1000, 2) AS p90_us,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY e.ms) * 100 / :a_app)::numeric, 1) AS "% of (a) normal"
  FROM bench.extra AS e
 WHERE e.name NOT IN ('many', 'singles', 'preview_many', 'preview_singles')
 GROUP BY e.name
UNION ALL
SELECT format('ct_cleanup_preview, normal pair (from 2., %s path)', path), n, round(median::numeric * 1000, 2),
       round(p90::numeric * 1000, 2), round((median * 100 / :a_app)::numeric, 1)
  FROM bench.summary WHERE shape = 'normal' AND variant = 'p' AND path = 'app'
UNION ALL
SELECT format('(a) - min((b),(c)): all ct_cleanup adds, normal pair, %s path', pa), NULL,
       round((pg_temp.m(pa, 'normal', 'a') - least(pg_temp.m(pa, 'normal', 'b'), pg_temp.m(pa, 'normal', 'c')))::numeric * 1000, 2), NULL,
       round(((pg_temp.m(pa, 'normal', 'a') - least(pg_temp.m(pa, 'normal', 'b'), pg_temp.m(pa, 'normal', 'c'))) * 100
              / pg_temp.m(pa, 'normal', 'a'))::numeric, 1)
  FROM unnest(ARRAY['app', 'pinned']) AS pa
UNION ALL
SELECT format('(a) - (c2): vs the pinned SECURITY DEFINER form, normal pair, %s path', pa), NULL,
       round((pg_temp.m(pa, 'normal', 'a') - pg_temp.m(pa, 'normal', 'c2'))::numeric * 1000, 2), NULL,
       round(((pg_temp.m(pa, 'normal', 'a') - pg_temp.m(pa, 'normal', 'c2')) * 100
              / pg_temp.m(pa, 'normal', 'a'))::numeric, 1)
  FROM unnest(ARRAY['app', 'pinned']) AS pa
UNION ALL
SELECT '(a2) - (a): non-superuser admin, normal pair, app path', NULL,
       round((pg_temp.m('app', 'normal', 'a2') - pg_temp.m('app', 'normal', 'a'))::numeric * 1000, 2), NULL,
       round(((pg_temp.m('app', 'normal', 'a2') - pg_temp.m('app', 'normal', 'a')) * 100 / :a_app)::numeric, 1);

\echo
\echo '== 4b. search_path, normal pairs (server-side medians, ms): interleaved as in 2. / 2b., and each of (a), (b), (c), (c2) alone in the session (same first pairs of the sample, one variant at a time)'
SELECT v.label AS variant,
       round(pg_temp.m('pinned', 'normal', v.variant)::numeric, 3) AS "pinned, interleaved",
       round(pg_temp.m('app', 'normal', v.variant)::numeric, 3) AS "app, interleaved",
       round(((pg_temp.m('app', 'normal', v.variant) - pg_temp.m('pinned', 'normal', v.variant)) * 1000)::numeric, 0)
           AS "app - pinned, us",
       round(pg_temp.m('pinned', 'alone', v.variant)::numeric, 3) AS "pinned, alone",
       round(pg_temp.m('app', 'alone', v.variant)::numeric, 3) AS "app, alone",
       round(((pg_temp.m('app', 'alone', v.variant) - pg_temp.m('pinned', 'alone', v.variant)) * 1000)::numeric, 0)
           AS "app - pinned alone, us",
       (SELECT n FROM bench.summary WHERE path = 'app' AND shape = 'alone' AND variant = v.variant) AS "n alone"
  FROM bench.variants AS v ORDER BY v.ord;

------------------------------------------------------------------------------
\echo
\echo '== 5. ct_cleanup_many over N normal pairs vs N single calls in one transaction (server side, rolled back), under each search_path'
------------------------------------------------------------------------------
\if :have_many
CREATE TEMP VIEW many AS
SELECT path, name, count(*) AS rounds, min(note) AS work,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median
  FROM bench.extra WHERE name IN ('many', 'singles', 'preview_many', 'preview_singles')
 GROUP BY path, name;
SELECT path, name AS what, rounds, work, round(median::numeric, 1) AS median_ms,
       round((1000 * split_part(work, ' ', 1)::numeric / median::numeric), 0) AS pairs_per_s
  FROM many ORDER BY path, name;
CREATE FUNCTION pg_temp.mm(pa text, w text) RETURNS float8 LANGUAGE sql AS
    'SELECT median FROM many WHERE path = pa AND name = w';
SELECT pa AS path, round((pg_temp.mm(pa, 'singles') / pg_temp.mm(pa, 'many'))::numeric, 2) AS "throughput many/singles",
       round((pg_temp.mm(pa, 'preview_singles') / pg_temp.mm(pa, 'preview_many'))::numeric, 2) AS "throughput preview_many/preview singles"
  FROM unnest(ARRAY['app', 'pinned']) AS pa;
\else
\echo 'SKIPPED: ct_cleanup_many(uuid[], uuid[], text) / ct_cleanup_preview_many(uuid[], uuid[]) are not installed'
CREATE FUNCTION pg_temp.mm(pa text, w text) RETURNS float8 LANGUAGE sql AS 'SELECT NULL::float8';
\endif

------------------------------------------------------------------------------
\echo
SELECT obj_description('bench.mem'::regclass) AS mem_rows \gset
SELECT format('== 6. Backend memory while deleting one pair of %s rows (fresh backend per variant, application search_path, inside BEGIN ... ROLLBACK; /proc/<pid>/status, MB)', :'mem_rows') AS line \gset
\echo :line
------------------------------------------------------------------------------
SELECT v.label AS variant,
       round(vmrss_before / 1024.0, 1) AS vmrss_before,
       round(vmhwm_after / 1024.0, 1) AS vmhwm_after,
       round((vmhwm_after - vmrss_before) / 1024.0, 1) AS "peak RSS growth",
       round((anon_peak - anon_before) / 1024.0, 1) AS "peak private (RssAnon) growth",
       round((shmem_after - shmem_before) / 1024.0, 1) AS "shared mem mapped (RssShmem) growth"
  FROM bench.mem JOIN bench.variants AS v USING (variant) ORDER BY v.ord;

------------------------------------------------------------------------------
\echo
\echo '== 7. Scale: per-pair medians at this scale vs the x1 run (server side)'
------------------------------------------------------------------------------
\if :have_prev
SELECT s.path, s.shape, v.label AS variant, round(p.median::numeric, 3) AS x1_median_ms,
       round(s.median::numeric, 3) AS this_median_ms,
       round((s.median / p.median)::numeric, 3) AS ratio
  FROM bench.summary AS s JOIN bench.prev AS p USING (path, shape, variant)
  JOIN bench.variants AS v USING (variant)
 ORDER BY s.path, s.shape DESC, v.ord;
\else
\echo 'n/a: this is the x1 run (SCALE=1), or no x1 summary (bench/out/summary-scale1.tsv) to compare with'
\endif

------------------------------------------------------------------------------
\echo
\echo '== 8. Targets (server-side medians, application search_path; the pinned path''s value for reference)'
------------------------------------------------------------------------------
SELECT CASE WHEN :'have_prev' THEN (SELECT CASE WHEN count(*) > 0 THEN 'app' ELSE 'pinned' END
                                      FROM bench.prev WHERE path = 'app') ELSE 'app' END AS prev_path \gset
CREATE FUNCTION pg_temp.ratio_abc(pa text, s text) RETURNS float8 LANGUAGE sql AS
    'SELECT pg_temp.m(pa, s, ''a'') / least(pg_temp.m(pa, s, ''b''), pg_temp.m(pa, s, ''c''))';
CREATE FUNCTION pg_temp.before(k text) RETURNS float8 LANGUAGE sql AS
    'SELECT num FROM bench.before WHERE key = k';
SELECT target, value, pinned AS "pinned path", CASE WHEN ok IS NULL THEN 'n/a' WHEN ok THEN 'met' ELSE 'NOT MET' END AS result
FROM (
  SELECT 1 AS o, '(a) <= 1.10 x min((b),(c)), normal pairs' AS target,
         format('%s x', round(pg_temp.ratio_abc('app', 'normal')::numeric, 3)) AS value,
         format('%s x', round(pg_temp.ratio_abc('pinned', 'normal')::numeric, 3)) AS pinned,
         pg_temp.ratio_abc('app', 'normal') <= 1.10 AS ok
  UNION ALL
  SELECT 2, '(a) <= 1.05 x min((b),(c)), heavy pairs',
         format('%s x', round(pg_temp.ratio_abc('app', 'heavy')::numeric, 3)),
         format('%s x', round(pg_temp.ratio_abc('pinned', 'heavy')::numeric, 3)),
         pg_temp.ratio_abc('app', 'heavy') <= 1.05
  UNION ALL
  SELECT 3, '(a) >= 1.5 x faster than (d), normal pairs',
         format('%s x', round((pg_temp.m('app', 'normal', 'd') / pg_temp.m('app', 'normal', 'a'))::numeric, 2)),
         format('%s x', round((pg_temp.m('pinned', 'normal', 'd') / pg_temp.m('pinned', 'normal', 'a'))::numeric, 2)),
         pg_temp.m('app', 'normal', 'd') >= 1.5 * pg_temp.m('app', 'normal', 'a')
  UNION ALL
  SELECT 4, '(a) >= 1.5 x faster than (d), heavy pairs',
         format('%s x', round((pg_temp.m('app', 'heavy', 'd') / pg_temp.m('app', 'heavy', 'a'))::numeric, 2)),
         format('%s x', round((pg_temp.m('pinned', 'heavy', 'd') / pg_temp.m('pinned', 'heavy', 'a'))::numeric, 2)),
         pg_temp.m('app', 'heavy', 'd') >= 1.5 * pg_temp.m('app', 'heavy', 'a')
  UNION ALL
  SELECT 5, format('x10 per-pair median <= 1.25 x the x1 median ((a), normal, %s path)', :'prev_path'),
         CASE WHEN :'have_prev' AND :scale <> 1 THEN
              format('%s x at SCALE=%s', round((pg_temp.m(:'prev_path', 'normal', 'a')
                     / (SELECT median FROM bench.prev WHERE path = :'prev_path' AND shape = 'normal' AND variant = 'a'))::numeric, 3), :scale)
              ELSE 'needs SCALE=10 after a SCALE=1 run' END,
         NULL,
         CASE WHEN :'have_prev' AND :scale <> 1 THEN
              pg_temp.m(:'prev_path', 'normal', 'a') <= 1.25 * (SELECT median FROM bench.prev WHERE path = :'prev_path' AND shape = 'normal' AND variant = 'a') END
  UNION ALL
  SELECT 6, 'ct_cleanup_many over 1000 pairs >= 1.5 x the throughput of 1000 singles',
         CASE WHEN :'have_many' THEN format('%s x', round((pg_temp.mm('app', 'singles') / pg_temp.mm('app', 'many'))::numeric, 2))
              ELSE 'skipped: ct_cleanup_many not installed' END,
         CASE WHEN :'have_many' THEN format('%s x', round((pg_temp.mm('pinned', 'singles') / pg_temp.mm('pinned', 'many'))::numeric, 2)) END,
         CASE WHEN :'have_many' THEN pg_temp.mm('app', 'singles') >= 1.5 * pg_temp.mm('app', 'many') END
  UNION ALL
  SELECT 7, format('memory: peak RSS growth of ct_cleanup on a %s-row pair <= 64 MB', :'mem_rows'),
         (SELECT format('%s MB (private RssAnon: %s MB)', round((vmhwm_after - vmrss_before) / 1024.0, 1),
                        round((anon_peak - anon_before) / 1024.0, 1)) FROM bench.mem WHERE variant = 'a'),
         NULL,
         (SELECT vmhwm_after - vmrss_before <= 64 * 1024 FROM bench.mem WHERE variant = 'a')
  UNION ALL
  SELECT 7 + o, format('no regression: (a) %s median <= 1.05 x the earlier run''s (pinned vs its pinned; absolute, moves with load)', s),
         CASE WHEN :'have_before' THEN format('%s x (%s vs %s ms)',
              round((pg_temp.m('pinned', s, 'a') / pg_temp.before('srv/pinned/' || s || '/a'))::numeric, 3),
              round(pg_temp.m('pinned', s, 'a')::numeric, 3), round(pg_temp.before('srv/pinned/' || s || '/a')::numeric, 3))
              ELSE 'no earlier output to compare with' END,
         NULL,
         CASE WHEN :'have_before' THEN pg_temp.m('pinned', s, 'a') <= 1.05 * pg_temp.before('srv/pinned/' || s || '/a') END
    FROM (VALUES (1, 'normal'), (3, 'heavy')) AS x(o, s)
  UNION ALL
  SELECT 7 + o, format('no regression: (a) / min((b),(c)), %s, <= 1.05 x the earlier run''s (pinned vs its pinned; relative)', s),
         CASE WHEN :'have_before' THEN format('%s x (%s vs %s)',
              round((pg_temp.ratio_abc('pinned', s) / (pg_temp.before('srv/pinned/' || s || '/a')
                     / least(pg_temp.before('srv/pinned/' || s || '/b'), pg_temp.before('srv/pinned/' || s || '/c'))))::numeric, 3),
              round(pg_temp.ratio_abc('pinned', s)::numeric, 3),
              round((pg_temp.before('srv/pinned/' || s || '/a')
                     / least(pg_temp.before('srv/pinned/' || s || '/b'), pg_temp.before('srv/pinned/' || s || '/c')))::numeric, 3))
              ELSE 'no earlier output to compare with' END,
         NULL,
         CASE WHEN :'have_before' THEN pg_temp.ratio_abc('pinned', s) <= 1.05 * (pg_temp.before('srv/pinned/' || s || '/a')
                     / least(pg_temp.before('srv/pinned/' || s || '/b'), pg_temp.before('srv/pinned/' || s || '/c'))) END
    FROM (VALUES (2, 'normal'), (4, 'heavy')) AS x(o, s)
) AS t ORDER BY o;
SELECT format('data: %s rows, SCALE=%s (pairs=%s rows=%s heavy=%s), generated in %s s', :'nrows', :'scale', :'pairs', :'rows', :'heavy', :'generate_s') AS line \gset
\echo :line

------------------------------------------------------------------------------
\echo
\echo '== 9. Before vs after: this run against an earlier run''s output (server-side medians, ms; ratio = this run / earlier)'
------------------------------------------------------------------------------
\if :have_before
SELECT format('earlier: %s -- library %s, commit %s, load average before measuring %s, after %s, total %s',
              :'before_file', (SELECT txt FROM bench.before WHERE key = 'md5'), (SELECT txt FROM bench.before WHERE key = 'commit'),
              (SELECT txt FROM bench.before WHERE key = 'load_before'), (SELECT txt FROM bench.before WHERE key = 'load_after'),
              (SELECT txt FROM bench.before WHERE key = 'total_time')) AS line \gset
\echo :line
SELECT format('this run: library %s, commit %s, load average before measuring %s, after %s',
              :'this_build', :'this_commit', :'load_before', :'load_after') AS line \gset
\echo :line
\echo 'The earlier run measured under the pinned path only: compare its figures with this run''s pinned column (like for like);'
\echo 'the application-path column is this run''s headline.  Absolute times move with the load on the machine; the ratios less.'
CREATE TEMP VIEW ba AS
SELECT o, what, b AS earlier, p AS "this run, pinned", round((p / b)::numeric, 3) AS "pinned/earlier",
       a AS "this run, app path", round((a / b)::numeric, 3) AS "app/earlier"
FROM (
  SELECT 10 * (CASE s WHEN 'normal' THEN 0 ELSE 1 END) + v.ord AS o,
         format('%s median, %s', v.label, s) AS what,
         round(pg_temp.before(format('srv/pinned/%s/%s', s, v.variant))::numeric, 3) AS b,
         round(pg_temp.m('pinned', s, v.variant)::numeric, 3) AS p,
         round(pg_temp.m('app', s, v.variant)::numeric, 3) AS a
    FROM bench.variants AS v, unnest(ARRAY['normal', 'heavy']) AS s
  UNION ALL
  SELECT 30 + x.o, format('(a) / min((b),(c)), %s', x.s),
         round((pg_temp.before('srv/pinned/' || x.s || '/a')
                / least(pg_temp.before('srv/pinned/' || x.s || '/b'), pg_temp.before('srv/pinned/' || x.s || '/c')))::numeric, 3),
         round(pg_temp.ratio_abc('pinned', x.s)::numeric, 3), round(pg_temp.ratio_abc('app', x.s)::numeric, 3)
    FROM (VALUES (1, 'normal'), (2, 'heavy')) AS x(o, s)
  UNION ALL
  SELECT 40 + x.o, format('ct_cleanup_many section: %s, median ms per round', x.w),
         round(pg_temp.before('many/pinned/' || x.w)::numeric, 1),
         round(pg_temp.mm('pinned', x.w)::numeric, 1), round(pg_temp.mm('app', x.w)::numeric, 1)
    FROM (VALUES (1, 'many'), (2, 'singles'), (3, 'preview_many'), (4, 'preview_singles')) AS x(o, w)
  UNION ALL
  SELECT 45 + x.o, format('throughput %s / %s', x.m, x.s),
         round((pg_temp.before('many/pinned/' || x.s) / pg_temp.before('many/pinned/' || x.m))::numeric, 2),
         round((pg_temp.mm('pinned', x.s) / pg_temp.mm('pinned', x.m))::numeric, 2),
         round((pg_temp.mm('app', x.s) / pg_temp.mm('app', x.m))::numeric, 2)
    FROM (VALUES (1, 'many', 'singles'), (2, 'preview_many', 'preview_singles')) AS x(o, m, s)
  UNION ALL
  SELECT 50 + x.o, format('memory MB, (a) ct_cleanup: %s', x.label),
         round(pg_temp.before('mem/a/' || x.k)::numeric, 1),
         NULL,
         (SELECT round(CASE x.k WHEN 'growth' THEN (vmhwm_after - vmrss_before) ELSE (anon_peak - anon_before) END / 1024.0, 1)
            FROM bench.mem WHERE variant = 'a')
    FROM (VALUES (1, 'growth', 'peak RSS growth'), (2, 'private', 'peak private (RssAnon) growth')) AS x(o, k, label)
) AS t;
SELECT what, earlier, "this run, pinned", "pinned/earlier", "this run, app path", "app/earlier"
  FROM ba WHERE earlier IS NOT NULL OR "this run, pinned" IS NOT NULL ORDER BY o;
\echo '(memory is measured in a fresh backend outside the search_path comparison: its value is in the app-path column)'
\else
\echo 'n/a: no earlier output to compare with (BEFORE=path/to/output.txt)'
\endif

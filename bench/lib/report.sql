--
-- bench/lib/report.sql -- checks, then prints the tables and the targets.
-- psql variables: scale pairs rows heavy have_many have_prev nrows generate_s
--
\set ON_ERROR_STOP on
\pset footer off
\pset null '-'
SET client_min_messages = warning;

------------------------------------------------------------------------------
\echo
\echo '== 1. Count check: every call of every variant (warm-up included) against the others and the generator'
------------------------------------------------------------------------------
CREATE TEMP VIEW bad AS
SELECT c.phase, c.k, c.variant, c.counts, bench.expected(p.heavy, :rows) AS expected
  FROM bench.calls AS c JOIN bench.pairs AS p USING (k)
 WHERE c.counts IS DISTINCT FROM bench.expected(p.heavy, :rows);
SELECT count(*) AS calls_checked,
       count(DISTINCT (phase, k)) AS pair_samples,
       (SELECT count(*) FROM bad) AS mismatches,
       (SELECT count(*) FROM (SELECT phase, k FROM bench.calls
                              GROUP BY 1, 2 HAVING count(DISTINCT counts) > 1) AS x) AS pairs_where_variants_differ
  FROM bench.calls;
SELECT * FROM bad LIMIT 20;
DO $$
BEGIN
    IF EXISTS (SELECT FROM bad) THEN
        RAISE EXCEPTION 'COUNT CHECK FAILED: % calls deleted other rows per table than expected (listed above)',
            (SELECT count(*) FROM bad);
    END IF;
END $$;
\echo 'count check passed: all variants deleted the same rows per table for every pair (and what the generator made)'

------------------------------------------------------------------------------
\echo
\echo '== 2. Server side: clock_timestamp() around each call inside a PL/pgSQL driver, each call rolled back (ms)'
------------------------------------------------------------------------------
CREATE TABLE bench.summary AS
SELECT phase AS shape, variant, count(*)::int AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90
  FROM bench.calls WHERE phase IN ('normal', 'heavy')
 GROUP BY 1, 2;
-- paired: for each pair visit, this variant's time / (b)'s time in the same
-- visit (they ran back to back), then the median over visits
CREATE TABLE bench.paired AS
SELECT x.phase AS shape, x.variant,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY x.ms / b.ms) AS ratio_b
  FROM bench.calls AS x JOIN bench.calls AS b USING (phase, visit)
 WHERE x.phase IN ('normal', 'heavy') AND b.variant = 'b'
 GROUP BY 1, 2;
CREATE TEMP VIEW srv AS
SELECT s.*, r.b, r.bc, v.label, v.ord, p.ratio_b
  FROM bench.summary AS s
  JOIN (SELECT shape, max(median) FILTER (WHERE variant = 'b') AS b,
               min(median) FILTER (WHERE variant IN ('b', 'c')) AS bc
          FROM bench.summary GROUP BY shape) AS r USING (shape)
  JOIN bench.paired AS p USING (shape, variant)
  JOIN bench.variants AS v USING (variant);
SELECT CASE shape WHEN 'normal' THEN format('normal (%s rows)', 21 + 2 * :rows)
                  ELSE format('heavy (%s rows)', 21 + 2 * greatest(:rows, 20000)) END AS pair,
       label AS variant, n,
       round(median::numeric, 3) AS median_ms, round(p90::numeric, 3) AS p90_ms,
       round((median / b)::numeric, 3) AS "median/(b)",
       round((median / bc)::numeric, 3) AS "median/min(b,c)",
       round(ratio_b::numeric, 3) AS "paired median of x/(b)"
  FROM srv ORDER BY shape DESC, ord;

------------------------------------------------------------------------------
\echo
\echo '== 3. Client side: psql \\timing of each call (simple protocol, (b) = PREPARE once + EXECUTE), each call between BEGIN and ROLLBACK (ms)'
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
\echo '== 4. ct_cleanup''s own additions, measured alone (server side, per call)'
------------------------------------------------------------------------------
SELECT e.name AS what, count(*) AS reps,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY e.ms)::numeric * 1000, 2) AS median_us,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY e.ms)::numeric * 1000, 2) AS p90_us,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY e.ms) * 100
              / (SELECT median FROM bench.summary WHERE shape = 'normal' AND variant = 'a'))::numeric, 1)
           AS "% of (a) normal"
  FROM bench.extra AS e
 WHERE e.name NOT IN ('many', 'singles', 'preview_many', 'preview_singles')
 GROUP BY e.name
UNION ALL
SELECT 'ct_cleanup_preview, normal pair (from 2.)', n, round(median::numeric * 1000, 2),
       round(p90::numeric * 1000, 2),
       round((median * 100 / (SELECT median FROM bench.summary WHERE shape = 'normal' AND variant = 'a'))::numeric, 1)
  FROM bench.summary WHERE shape = 'normal' AND variant = 'p'
UNION ALL
SELECT '(a) - min((b),(c)): all ct_cleanup adds, normal pair', NULL,
       round((a.median - least(b.median, c.median))::numeric * 1000, 2), NULL,
       round(((a.median - least(b.median, c.median)) * 100 / a.median)::numeric, 1)
  FROM bench.summary AS a, bench.summary AS b, bench.summary AS c
 WHERE a.shape = 'normal' AND a.variant = 'a' AND b.shape = 'normal' AND b.variant = 'b'
   AND c.shape = 'normal' AND c.variant = 'c'
UNION ALL
SELECT format('search_path switch penalty on %s: x under app path - x pinned', v.variant), count(*) / 2,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY c.ms) FILTER (WHERE c.phase = 'path_default')
            - percentile_cont(0.5) WITHIN GROUP (ORDER BY c.ms) FILTER (WHERE c.phase = 'path_pinned'))::numeric * 1000, 2),
       NULL,
       round(((percentile_cont(0.5) WITHIN GROUP (ORDER BY c.ms) FILTER (WHERE c.phase = 'path_default')
            - percentile_cont(0.5) WITHIN GROUP (ORDER BY c.ms) FILTER (WHERE c.phase = 'path_pinned')) * 100
              / (SELECT median FROM bench.summary WHERE shape = 'normal' AND variant = 'a'))::numeric, 1)
  FROM bench.calls AS c JOIN bench.variants AS v USING (variant)
 WHERE c.phase IN ('path_default', 'path_pinned')
 GROUP BY v.variant
UNION ALL
SELECT '(a2) - (a): non-superuser admin, normal pair', NULL,
       round((a2.median - a.median)::numeric * 1000, 2), NULL,
       round(((a2.median - a.median) * 100 / a.median)::numeric, 1)
  FROM bench.summary AS a, bench.summary AS a2
 WHERE a.shape = 'normal' AND a.variant = 'a' AND a2.shape = 'normal' AND a2.variant = 'a2';

------------------------------------------------------------------------------
\echo
\echo '== 5. ct_cleanup_many over N normal pairs vs N single calls in one transaction (server side, rolled back)'
------------------------------------------------------------------------------
\if :have_many
CREATE TEMP VIEW many AS
SELECT name, count(*) AS rounds, min(note) AS work,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median
  FROM bench.extra WHERE name IN ('many', 'singles', 'preview_many', 'preview_singles')
 GROUP BY name;
SELECT name AS what, rounds, work, round(median::numeric, 1) AS median_ms,
       round((1000 * split_part(work, ' ', 1)::numeric / median::numeric), 0) AS pairs_per_s
  FROM many ORDER BY name;
SELECT round((s.median / m.median)::numeric, 2) AS "throughput many/singles",
       round((ps.median / pm.median)::numeric, 2) AS "throughput preview_many/preview singles"
  FROM many AS m, many AS s, many AS pm, many AS ps
 WHERE m.name = 'many' AND s.name = 'singles' AND pm.name = 'preview_many' AND ps.name = 'preview_singles';
\else
\echo 'SKIPPED: ct_cleanup_many(uuid[], uuid[], text) / ct_cleanup_preview_many(uuid[], uuid[]) are not installed'
\endif

------------------------------------------------------------------------------
\echo
SELECT obj_description('bench.mem'::regclass) AS mem_rows \gset
SELECT format('== 6. Backend memory while deleting one pair of %s rows (fresh backend per variant, inside BEGIN ... ROLLBACK; /proc/<pid>/status, MB)', :'mem_rows') AS line \gset
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
SELECT s.shape, v.label AS variant, round(p.median::numeric, 3) AS x1_median_ms,
       round(s.median::numeric, 3) AS this_median_ms,
       round((s.median / p.median)::numeric, 3) AS ratio
  FROM bench.summary AS s JOIN bench.prev AS p USING (shape, variant)
  JOIN bench.variants AS v USING (variant)
 ORDER BY s.shape DESC, v.ord;
\else
\echo 'n/a: this is the x1 run (SCALE=1), or no x1 summary (bench/out/summary-scale1.tsv) to compare with'
\endif

------------------------------------------------------------------------------
\echo
\echo '== 8. Targets (server-side medians)'
------------------------------------------------------------------------------
CREATE TEMP VIEW med AS SELECT shape, variant, median FROM bench.summary;
CREATE FUNCTION pg_temp.m(s text, v text) RETURNS float8 LANGUAGE sql AS
    'SELECT median FROM bench.summary WHERE shape = s AND variant = v';
SELECT target, value, CASE WHEN ok IS NULL THEN 'n/a' WHEN ok THEN 'met' ELSE 'NOT MET' END AS result
FROM (
  SELECT 1 AS o, '(a) <= 1.10 x min((b),(c)), normal pairs' AS target,
         format('%s x', round((pg_temp.m('normal', 'a') / least(pg_temp.m('normal', 'b'), pg_temp.m('normal', 'c')))::numeric, 3)) AS value,
         pg_temp.m('normal', 'a') <= 1.10 * least(pg_temp.m('normal', 'b'), pg_temp.m('normal', 'c')) AS ok
  UNION ALL
  SELECT 2, '(a) <= 1.05 x min((b),(c)), heavy pairs',
         format('%s x', round((pg_temp.m('heavy', 'a') / least(pg_temp.m('heavy', 'b'), pg_temp.m('heavy', 'c')))::numeric, 3)),
         pg_temp.m('heavy', 'a') <= 1.05 * least(pg_temp.m('heavy', 'b'), pg_temp.m('heavy', 'c'))
  UNION ALL
  SELECT 3, '(a) >= 1.5 x faster than (d), normal pairs',
         format('%s x', round((pg_temp.m('normal', 'd') / pg_temp.m('normal', 'a'))::numeric, 2)),
         pg_temp.m('normal', 'd') >= 1.5 * pg_temp.m('normal', 'a')
  UNION ALL
  SELECT 4, '(a) >= 1.5 x faster than (d), heavy pairs',
         format('%s x', round((pg_temp.m('heavy', 'd') / pg_temp.m('heavy', 'a'))::numeric, 2)),
         pg_temp.m('heavy', 'd') >= 1.5 * pg_temp.m('heavy', 'a')
  UNION ALL
  SELECT 5, 'x10 per-pair median <= 1.25 x the x1 median ((a), normal)',
         CASE WHEN :'have_prev' AND :scale <> 1 THEN
              format('%s x at SCALE=%s', round((pg_temp.m('normal', 'a') / (SELECT median FROM bench.prev WHERE shape = 'normal' AND variant = 'a'))::numeric, 3), :scale)
              ELSE 'needs SCALE=10 after a SCALE=1 run' END,
         CASE WHEN :'have_prev' AND :scale <> 1 THEN
              pg_temp.m('normal', 'a') <= 1.25 * (SELECT median FROM bench.prev WHERE shape = 'normal' AND variant = 'a') END
  UNION ALL
  SELECT 6, 'ct_cleanup_many over 1000 pairs >= 3 x the throughput of 1000 singles',
         CASE WHEN :'have_many' THEN
              (SELECT format('%s x', round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE name = 'singles')
                       / percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE name = 'many'))::numeric, 2))
                 FROM bench.extra)
              ELSE 'skipped: ct_cleanup_many not installed' END,
         CASE WHEN :'have_many' THEN
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE name = 'singles')
                      >= 3 * percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE name = 'many')
                 FROM bench.extra) END
  UNION ALL
  SELECT 7, format('memory: peak RSS growth of ct_cleanup on a %s-row pair <= 64 MB', :'mem_rows'),
         (SELECT format('%s MB (private RssAnon: %s MB)', round((vmhwm_after - vmrss_before) / 1024.0, 1),
                        round((anon_peak - anon_before) / 1024.0, 1)) FROM bench.mem WHERE variant = 'a'),
         (SELECT vmhwm_after - vmrss_before <= 64 * 1024 FROM bench.mem WHERE variant = 'a')
) AS t ORDER BY o;
SELECT format('data: %s rows, SCALE=%s (pairs=%s rows=%s heavy=%s), generated in %s s', :'nrows', :'scale', :'pairs', :'rows', :'heavy', :'generate_s') AS line \gset
\echo :line

--
-- test/load/figures.sql
--
-- The figures of a load run, from the helpers' logs (scripts/load.sh prints
-- them).  Variable seconds: the measured run time.  Read-only.
--
\set ON_ERROR_STOP on
\pset footer off

\echo '-- application transactions by operation and outcome (sqlstate empty: committed)'
SELECT coalesce(op, 'all') AS op, coalesce(sqlstate, '') AS sqlstate, count(*) AS transactions,
       round(count(*) / :seconds::numeric, 1) AS per_second,
       sum((SELECT coalesce(sum(value::bigint), 0) FROM jsonb_each_text(inserted))) AS rows_inserted
FROM load.app_log
GROUP BY GROUPING SETS ((op, sqlstate), ())
ORDER BY op NULLS LAST, sqlstate NULLS FIRST;

\echo '-- rows the application inserted, per table'
SELECT i.key AS "table", sum(i.value::bigint) AS rows_inserted
FROM load.app_log l, jsonb_each_text(l.inserted) i
WHERE l.sqlstate IS NULL GROUP BY i.key ORDER BY 1;

\echo '-- cleanups'
SELECT count(*) AS cleanups,
       round(count(*) / :seconds::numeric, 1) AS per_second,
       count(*) FILTER (WHERE total > 0) AS found_rows,
       sum(total) AS rows_deleted,
       count(*) FILTER (WHERE sqlstate IS NOT NULL) AS errors,
       round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))::numeric, 2) AS p50_ms_in_server,
       round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))::numeric, 2) AS p99_ms_in_server,
       round(1000 * max(extract(epoch FROM finished_at - started_at))::numeric, 2) AS max_ms_in_server
FROM load.cleanup_log;

\echo '-- errors by SQLSTATE'
SELECT 'application' AS who, sqlstate, count(*) AS n, min(message) AS example
FROM load.app_log WHERE sqlstate IS NOT NULL GROUP BY sqlstate
UNION ALL
SELECT 'cleanup', sqlstate, count(*), min(message)
FROM load.cleanup_log WHERE sqlstate IS NOT NULL GROUP BY sqlstate
ORDER BY 1, 2;

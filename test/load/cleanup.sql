-- test/load/cleanup.sql: pgbench script, one ct_cleanup() of a random pair
-- (see load.cleanup in setup.sql).  Variables: -D pairs=N -D skew=S
-- (pair k is drawn with probability ~ exp(-S * k / N): a few hot pairs, a long
-- tail; S close to 0 is uniform).
\set k random_exponential(1, :pairs, :skew)
SELECT load.cleanup(:k);

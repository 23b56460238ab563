-- test/load/app.sql: pgbench script, one application transaction on a
-- random pair (see load.app_write in setup.sql).  Variables: -D pairs=N -D skew=S
-- (pair k is drawn with probability ~ exp(-S * k / N): a few hot pairs, a long
-- tail; S close to 0 is uniform).
\set k random_exponential(1, :pairs, :skew)
\set op random(1, 100)
SELECT load.app_write(:k, :op);

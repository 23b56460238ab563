--
-- guards: the guard-rail settings ct_cleanup.max_rows and
-- ct_cleanup.lock_timeout — defaults, the refusal of an oversized cleanup
-- (54000, nothing deleted), overriding for one transaction, and the caller's
-- lock_timeout left as it was.  Lock waits themselves: specs/guard_lock_timeout.spec.
--
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Loading the library defines both, with their defaults.
SELECT ct_cleanup_is_admin();
SELECT name, setting, unit, context, short_desc FROM pg_settings
WHERE name LIKE 'ct\_cleanup.%' ORDER BY name;

-- A cleanup that would delete more rows than allowed fails, deletes nothing,
-- and says how to allow it.
SET ct_cleanup.max_rows = 28;
SELECT * FROM ct_cleanup(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
SELECT total FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
SELECT count(*) AS audit_rows FROM ct_cleanup_audit WHERE client_id = regress_client(10);

-- Exactly at the limit is allowed; an admin raises it for one transaction.
BEGIN;
SET LOCAL ct_cleanup.max_rows = 29;
SELECT total FROM ct_cleanup(regress_client(10), regress_trainer(1));
ROLLBACK;
SHOW ct_cleanup.max_rows;
RESET ct_cleanup.max_rows;

-- 0 means no limit; negative values are refused by PostgreSQL.
SET ct_cleanup.max_rows = -1;
SET ct_cleanup.max_rows = 0;
BEGIN;
SELECT total FROM ct_cleanup(regress_client(10), regress_trainer(1));
ROLLBACK;
RESET ct_cleanup.max_rows;

-- The cleanup's lock_timeout applies only while it runs: the caller's own
-- setting is the same afterwards, whether longer, unset or shorter.
SET lock_timeout = '1min';
SELECT total FROM ct_cleanup('00000000-0000-0000-0000-00000000a001', '00000000-0000-0000-0000-00000000b001');
SHOW lock_timeout;
SET lock_timeout = 0;
SELECT total FROM ct_cleanup('00000000-0000-0000-0000-00000000a002', '00000000-0000-0000-0000-00000000b002');
SHOW lock_timeout;
SET lock_timeout = '100ms';
SELECT total FROM ct_cleanup('00000000-0000-0000-0000-00000000a003', '00000000-0000-0000-0000-00000000b003');
SHOW lock_timeout;
RESET lock_timeout;

-- Misspelt settings under the reserved prefix are refused.
SET ct_cleanup.max_row = 5;

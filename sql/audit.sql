--
-- audit: one row per cleanup with who, whom, counts, details, total and
-- reason; admins read every row, others none; a superuser may correct it.
--
\set VERBOSITY default

-- The rows written by the cleanup test, oldest first.  performed_at is the
-- start of the cleanup's transaction: after the server started, before this
-- session did (cleanup.sql ran in an earlier one); the same for the two
-- cleanups of one transaction (ids 5 and 6), later for each new transaction.
SELECT id, admin_role, actor_id,
       (SELECT k FROM generate_series(1, 12) k WHERE regress_client(k) = client_id) AS client,
       (SELECT j FROM generate_series(1, 3) j WHERE regress_trainer(j) = trainer_id) AS trainer,
       total, reason,
       performed_at > pg_postmaster_start_time()
         AND performed_at < (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())
         AS time_ok,
       CASE sign(extract(epoch FROM performed_at - lag(performed_at) OVER (ORDER BY id)))
           WHEN 0 THEN 'same' WHEN 1 THEN 'later' WHEN -1 THEN 'EARLIER' END AS than_previous
FROM ct_cleanup_audit ORDER BY id;

-- counts has all 14 categories and sums to total; details every table.
SELECT id, (SELECT count(*) FROM jsonb_object_keys(counts)) AS categories,
       (SELECT sum(value::bigint) FROM jsonb_each_text(counts)) = total AS counts_sum_ok,
       (SELECT count(*) FROM jsonb_object_keys(details)) AS tables,
       (SELECT sum(value::bigint) FROM jsonb_each_text(details)) = total AS details_sum_ok
FROM ct_cleanup_audit ORDER BY id;
SELECT counts FROM ct_cleanup_audit WHERE reason = 'regress: cleanup';

-- Row-level security with the policy of the install script, and an
-- append-only trigger that session_replication_role cannot switch off.
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'ct_cleanup_audit'::regclass;
SELECT polname, polcmd, polroles::regrole[], pg_get_expr(polqual, polrelid) AS using
FROM pg_policy WHERE polrelid = 'ct_cleanup_audit'::regclass;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'ct_cleanup_audit'::regclass;

-- An admin sees every row; a non-admin and a NOINHERIT member none.
SET ROLE regress_alice;
SELECT count(*) AS alice_sees FROM ct_cleanup_audit;
SET ROLE regress_bob;
SELECT count(*) AS bob_sees FROM ct_cleanup_audit;
SET ROLE regress_noinherit;
SELECT count(*) AS noinherit_sees FROM ct_cleanup_audit;
RESET ROLE;

-- Writes by anyone but a superuser are refused: see security.sql, attacks 11 and 12.

-- A superuser can: the three rows without a reason corrected, the one that
-- deleted nothing removed, as seen inside the transaction, which is then
-- rolled back to keep the rows for the files that follow.
BEGIN;
WITH corrected AS (UPDATE ct_cleanup_audit SET reason = 'corrected by a superuser'
                   WHERE reason IS NULL RETURNING id)
SELECT array_agg(id ORDER BY id) AS corrected FROM corrected;
WITH deleted AS (DELETE FROM ct_cleanup_audit WHERE total = 0 RETURNING id)
SELECT array_agg(id ORDER BY id) AS deleted FROM deleted;
SELECT id, reason FROM ct_cleanup_audit ORDER BY id;
ROLLBACK;
SELECT count(*) AS audit_rows FROM ct_cleanup_audit;

--
-- cleanup: exact counts per category, only the pair's rows go, profiles and
-- other pairs are untouched, a second run deletes nothing, preview = cleanup.
--

CREATE TEMP TABLE before AS SELECT * FROM regress_table_rows();
CREATE TEMP TABLE people_before AS
SELECT (SELECT count(*) FROM app.profiles) AS profiles,
       (SELECT count(*) FROM app.user_settings) AS settings;

-- Pair 3 (client 3, trainer 3): what the preview says now ...
CREATE TEMP TABLE preview3 AS
SELECT * FROM ct_cleanup_preview(regress_client(3), regress_trainer(3));

-- ... is exactly what the cleanup deletes.
CREATE TEMP TABLE cleanup3 AS
SELECT * FROM ct_cleanup(regress_client(3), regress_trainer(3), 'regress: cleanup');
\x on
SELECT client_id = regress_client(3) AS client_ok, trainer_id = regress_trainer(3) AS trainer_ok,
       messages, conversations, read_receipts, discovery_calls, call_feedback,
       feedback_responses, call_notes, call_notifications, engagement_records,
       coach_selection_requests, waitlist_entries, alerts, feedback_notifications,
       other, total, details, audit_id IS NOT NULL AS audited
FROM cleanup3;
\x off
SELECT to_jsonb(p) - 'audit_id' = to_jsonb(c) - 'audit_id' AS preview_equals_cleanup,
       p.audit_id IS NULL AS preview_not_audited,
       p.fingerprint IS NOT NULL AND p.fingerprint = c.fingerprint AS same_fingerprint
FROM preview3 p, cleanup3 c;

-- Each table lost exactly the rows reported for it, no more.
SELECT b.target, b.n - a.n AS deleted, (p.details ->> b.target)::bigint AS reported
FROM before b JOIN regress_table_rows() a USING (target), preview3 p
ORDER BY b.target;

-- The pair has nothing left; trainer 3's other clients (6, 9, 12) keep all
-- 29 rows each.
SELECT total FROM ct_cleanup_preview(regress_client(3), regress_trainer(3));
SELECT k, total FROM generate_series(6, 12, 3) AS k,
     LATERAL ct_cleanup_preview(regress_client(k), regress_trainer(3))
ORDER BY k;

-- Profiles and settings are untouched.
SELECT (SELECT count(*) FROM app.profiles) = profiles AS profiles_kept,
       (SELECT count(*) FROM app.user_settings) = settings AS settings_kept
FROM people_before;

-- A second cleanup deletes nothing and is still audited.
SELECT total, audit_id IS NOT NULL AS audited
FROM ct_cleanup(regress_client(3), regress_trainer(3), 'regress: second run');

-- The scalar form works too.
SELECT (ct_cleanup(regress_client(4), regress_trainer(1))).total;

-- Trainer and client given in reverse order: the pair rules match nothing,
-- the either rules (messages, alerts) and their children match the same rows.
SELECT messages, read_receipts, alerts, conversations, total
FROM ct_cleanup_preview(regress_trainer(2), regress_client(5));

-- A cleanup inside a transaction that rolls back deletes nothing.
BEGIN;
SELECT total FROM ct_cleanup(regress_client(5), regress_trainer(2));
ROLLBACK;
SELECT total FROM ct_cleanup_preview(regress_client(5), regress_trainer(2));

-- Several cleanups in one transaction.
BEGIN;
SELECT total FROM ct_cleanup(regress_client(7), regress_trainer(1));
SELECT total FROM ct_cleanup(regress_client(8), regress_trainer(2));
COMMIT;

-- Remaining rows: 12 pairs x 29, minus pairs 3, 4, 7 and 8.
SELECT sum(n) AS rows_left, 8 * 29 AS expected FROM regress_table_rows();
DROP TABLE before, people_before, preview3, cleanup3;

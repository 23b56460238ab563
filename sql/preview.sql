--
-- preview: counts what a cleanup would delete, per category and per table,
-- deletes nothing and writes no audit row.
--

-- Pair 2: client 2 with trainer 2; every category has its generated rows.
\x on
SELECT client_id, trainer_id, messages, conversations, read_receipts, discovery_calls,
       call_feedback, feedback_responses, call_notes, call_notifications, engagement_records,
       coach_selection_requests, waitlist_entries, alerts, feedback_notifications, other,
       total, details, audit_id,
       -- the digest, then one entry per table with rows: 13 here (ct_fingerprint.c)
       fingerprint ~ '^1:[0-9a-f]{32}(:[0-9]+=[0-9]+/[0-9a-f]{8}){13}$' AS fingerprint_of_13_tables
FROM ct_cleanup_preview(regress_client(2), regress_trainer(2));
\x off

-- Nothing was deleted and nothing audited.
SELECT sum(n) AS rows_in_registered_tables FROM regress_table_rows();
SELECT count(*) AS audit_rows FROM ct_cleanup_audit;

-- A pair with no interactions: all zero, details still list every table.
SELECT total, jsonb_object_keys(details) AS registered_table
FROM ct_cleanup_preview(regress_client(1), regress_trainer(2))
ORDER BY 2;

-- Unknown ids are simply a pair with nothing to delete.
SELECT total, audit_id FROM ct_cleanup_preview(gen_random_uuid(), gen_random_uuid());

-- The scalar form returns the composite.
SELECT (ct_cleanup_preview(regress_client(2), regress_trainer(2))).total;

-- A preview runs in a read-only transaction.
BEGIN READ ONLY;
SELECT total FROM ct_cleanup_preview(regress_client(2), regress_trainer(2));
COMMIT;

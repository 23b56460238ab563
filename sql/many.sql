--
-- many: ct_cleanup_many and ct_cleanup_preview_many — per-pair counts equal
-- single-pair calls on the same data, duplicates collapsed, one audit row
-- per pair, one bad pair refuses the whole call.
--
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Fresh data for pairs 1-12 (earlier files removed some): 29 rows each.
\set ECHO none
\o /dev/null
\set pairs 12
\set rows 4
\i examples/coaching/generate.sql
\o
\set ECHO all
CREATE TEMP TABLE batch AS
SELECT k, regress_client(k) AS c, regress_trainer(((k - 1) % 3) + 1) AS t
FROM generate_series(1, 6) k;

-- Single-pair previews, for comparison.
CREATE TEMP TABLE single AS
SELECT b.k, p.* FROM batch b, LATERAL ct_cleanup_preview(b.c, b.t) p;

-- The batch preview returns the same rows, in the order given, with
-- duplicates (pairs 1 and 3 again) collapsed.
SELECT count(*) AS rows,
       bool_and(to_jsonb(m) - 'ordinality' = to_jsonb(s) - 'k') AS equal_to_single_calls
FROM ct_cleanup_preview_many(
         ARRAY(SELECT c FROM batch ORDER BY k) || regress_client(1) || regress_client(3),
         ARRAY(SELECT t FROM batch ORDER BY k) || regress_trainer(1) || regress_trainer(3)
     ) WITH ORDINALITY AS m
JOIN single s ON s.k = m.ordinality;

-- The cleanup deletes the same, one audit row per pair, with the reason.
CREATE TEMP TABLE before AS SELECT sum(n) AS n FROM regress_table_rows();
SELECT m.total, m.audit_id IS NOT NULL AS audited,
       to_jsonb(m) - 'ordinality' - 'audit_id' = to_jsonb(s) - 'k' - 'audit_id' AS equal_to_preview
FROM ct_cleanup_many(ARRAY(SELECT c FROM batch ORDER BY k), ARRAY(SELECT t FROM batch ORDER BY k),
                     'many: batch') WITH ORDINALITY AS m
JOIN single s ON s.k = m.ordinality
ORDER BY m.ordinality;
SELECT count(*) AS audit_rows, sum(total) AS audited_total,
       count(DISTINCT (client_id, trainer_id)) AS pairs, min(reason) AS reason
FROM ct_cleanup_audit WHERE reason = 'many: batch';
SELECT b.n - (SELECT sum(n) FROM regress_table_rows()) AS rows_gone, 6 * 29 AS expected FROM before b;

-- The other pairs are untouched; a second run deletes nothing.
SELECT sum(total) AS pairs_7_to_12 FROM batch b
CROSS JOIN LATERAL (SELECT k + 6 AS k2) x,
LATERAL ct_cleanup_preview(regress_client(x.k2), regress_trainer(((x.k2 - 1) % 3) + 1));
SELECT sum(total) AS second_run
FROM ct_cleanup_many(ARRAY(SELECT c FROM batch), ARRAY(SELECT t FROM batch));

-- Empty arrays: no rows, no audit.
SELECT count(*) FROM ct_cleanup_many('{}', '{}');

-- Errors; nothing deleted by any of them.
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[regress_client(7)], '{}')$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(NULL, ARRAY[regress_trainer(1)])$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[regress_client(7), NULL], ARRAY[regress_trainer(1), regress_trainer(2)])$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[regress_client(7), regress_client(8)], ARRAY[regress_trainer(1), regress_client(8)])$$);
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_preview_many(ARRAY[ARRAY[regress_client(7)]], ARRAY[ARRAY[regress_trainer(1)]])$$);
SET ct_cleanup.max_rows = 50;
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[regress_client(7), regress_client(8)], ARRAY[regress_trainer(1), regress_trainer(2)])$$);
RESET ct_cleanup.max_rows;
GRANT EXECUTE ON FUNCTION ct_cleanup_many(uuid[], uuid[], text) TO regress_bob;
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[regress_client(7)], ARRAY[regress_trainer(1)])$$);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ct_cleanup_many(uuid[], uuid[], text) FROM regress_bob;
-- With clients configured, one unknown id refuses the whole batch (P0002).
SET ROLE coach_app;
CREATE VIEW app.m_clients AS SELECT id, name FROM app.profiles WHERE user_type = 'client';
RESET ROLE;
SELECT ct_cleanup_set('clients', 'app.m_clients');
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_many(ARRAY[regress_client(7), 'dddddddd-dddd-dddd-dddd-dddddddddddd'], ARRAY[regress_trainer(1), regress_trainer(2)])$$);
SELECT ct_cleanup_set('clients', NULL);
DROP VIEW app.m_clients;
SELECT sum(total) AS pairs_7_to_12_still FROM generate_series(7, 12) k,
LATERAL ct_cleanup_preview(regress_client(k), regress_trainer(((k - 1) % 3) + 1));

DROP TABLE batch, single, before;

-- Registered tables that reference each other in a cycle cannot be deleted
-- one table at a time: the cleanup then runs its one statement of CTEs,
-- whose foreign-key checks all happen at its end.
SET ROLE coach_app;
CREATE TABLE app.plans (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid, current_step uuid);
CREATE TABLE app.plan_steps (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid,
                             plan_id uuid REFERENCES app.plans DEFERRABLE INITIALLY DEFERRED);
ALTER TABLE app.plans ADD FOREIGN KEY (current_step) REFERENCES app.plan_steps
    DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO app.plans VALUES ('eeeeeeee-0000-0000-0000-000000000001', regress_client(11), regress_trainer(2),
                              'eeeeeeee-0000-0000-0000-000000000002');
INSERT INTO app.plan_steps VALUES ('eeeeeeee-0000-0000-0000-000000000002', regress_client(11), regress_trainer(2),
                                   'eeeeeeee-0000-0000-0000-000000000001');
COMMIT;
RESET ROLE;
SELECT ct_cleanup_register('plans', 'app.plans', 'client_id', 'trainer_id');
SELECT ct_cleanup_register('plans', 'app.plan_steps', 'client_id', 'trainer_id');
ALTER TABLE app.plans ALTER CONSTRAINT plans_current_step_fkey NOT DEFERRABLE;
ALTER TABLE app.plan_steps ALTER CONSTRAINT plan_steps_plan_id_fkey NOT DEFERRABLE;
SELECT other, total FROM ct_cleanup(regress_client(11), regress_trainer(2), 'cycle');
SELECT (SELECT count(*) FROM app.plans) + (SELECT count(*) FROM app.plan_steps) AS plan_rows_left;
SELECT ct_cleanup_unregister('app.plan_steps'), ct_cleanup_unregister('app.plans');
DROP TABLE app.plans, app.plan_steps CASCADE;

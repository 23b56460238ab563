--
-- operations: ct_cleanup_check() reports nothing on the healthy example and
-- exactly each planted problem; ct_cleanup_suggest() infers registrations;
-- the drift guard keeps the registry in step with DROP and follows renames.
--
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Healthy: nothing to report.
SELECT * FROM ct_cleanup_check();

-- Each problem planted in a transaction that is rolled back, reported alone.
CREATE FUNCTION regress_check_after(plant text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE plant;
        RETURN QUERY SELECT regexp_replace(format('%s | %s | %s | %s', c.severity, c.object,
                                                  c.problem, c.hint), '\d{5,}', 'N', 'g')
                     FROM ct_cleanup_check() AS c;
        RAISE SQLSTATE 'RGRSS';
    EXCEPTION WHEN SQLSTATE 'RGRSS' THEN NULL;
    END;
END $$;
\pset format unaligned
\pset tuples_only on
\echo -- a registered table dropped while the drift guard is disabled
SELECT regress_check_after($$ALTER EVENT TRIGGER ct_cleanup_drift_guard DISABLE;
                            DROP TABLE app.coach_selection_requests$$);
\echo -- a matched column renamed, another changed to text
SELECT regress_check_after($$ALTER TABLE app.engagement_records RENAME COLUMN client_id TO customer_id$$);
SELECT regress_check_after($$ALTER TABLE app.waitlist_entries DROP CONSTRAINT waitlist_entries_client_id_fkey;
                            ALTER TABLE app.waitlist_entries ALTER COLUMN client_id TYPE text$$);
\echo -- the foreign key of a child rule dropped
SELECT regress_check_after($$ALTER TABLE app.call_notes DROP CONSTRAINT call_notes_call_id_fkey$$);
\echo -- a registered table given to another owner
SELECT regress_check_after($$ALTER TABLE app.alerts OWNER TO regress_bob$$);
\echo -- unregistered children of registered tables: NO ACTION (error), CASCADE (warning)
SELECT regress_check_after($$CREATE TABLE app.reactions (message_id uuid REFERENCES app.messages);
                            CREATE INDEX ON app.reactions (message_id)$$);
SELECT regress_check_after($$CREATE TABLE app.reactions (message_id uuid REFERENCES app.messages ON DELETE CASCADE);
                            CREATE INDEX ON app.reactions (message_id)$$);
\echo -- matched and foreign key columns without an index
SELECT regress_check_after($plant$DO $x$ DECLARE i regclass; BEGIN
                                FOR i IN SELECT indexrelid::regclass FROM pg_index
                                         WHERE indrelid = 'app.alerts'::regclass AND NOT indisprimary
                                LOOP EXECUTE format('DROP INDEX %s', i); END LOOP; END $x$$plant$);
SELECT regress_check_after($$ALTER TABLE app.call_notes DROP CONSTRAINT call_notes_call_id_fkey;
                            ALTER TABLE app.call_notes ADD CONSTRAINT call_notes_call_id_fkey
                                FOREIGN KEY (call_id) REFERENCES app.discovery_calls ON DELETE CASCADE;
                            DROP INDEX app.call_notes_call_id_idx$$);
\echo -- the posture of the extension itself
SELECT regress_check_after($$GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text) TO PUBLIC$$);
SELECT regress_check_after($$ALTER FUNCTION ct_cleanup_preview(uuid, uuid) SECURITY DEFINER$$);
SELECT regress_check_after($$SELECT ct_cleanup_set('admin_role', 'regress_nobody')$$);
SELECT regress_check_after($$CREATE FUNCTION app.ck() RETURNS boolean LANGUAGE sql SECURITY DEFINER RETURN true;
                            ALTER FUNCTION app.ck() OWNER TO coach_app;
                            SELECT ct_cleanup_set('admin_check', 'app.ck()');
                            ALTER FUNCTION app.ck() RENAME TO ck2$$);
SELECT regress_check_after($$CREATE VIEW app.cl AS SELECT id, name FROM app.profiles;
                            SELECT ct_cleanup_set('clients', 'app.cl'); DROP VIEW app.cl$$);
\pset format aligned
\pset tuples_only off

-- Admins only.
GRANT EXECUTE ON FUNCTION ct_cleanup_check(), ct_cleanup_suggest() TO regress_bob;
SET ROLE regress_bob;
SELECT * FROM ct_cleanup_check();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ct_cleanup_check_report();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ct_cleanup_check(), ct_cleanup_suggest() FROM regress_bob;

-- Suggestions: children and grandchildren of registered tables, parents
-- first; nothing is registered.
SET ROLE coach_app;
CREATE TABLE app.reactions (id uuid PRIMARY KEY, message_id uuid REFERENCES app.messages);
CREATE TABLE app.reaction_flags (reaction_id uuid REFERENCES app.reactions);
CREATE TABLE app.call_ratings (call_id uuid REFERENCES app.discovery_calls ON DELETE CASCADE);
RESET ROLE;
SELECT * FROM ct_cleanup_suggest();
SELECT count(*) AS rules_unchanged FROM ct_cleanup_rules;
-- Applying them, in order, makes the check clean again (but for indexes).
SELECT ct_cleanup_register_child(category, target, parent, fk) FROM ct_cleanup_suggest();
SELECT severity, object, problem FROM ct_cleanup_check();
SELECT * FROM ct_cleanup_suggest();

-- Drift guard: dropping a registered parent whose registered child stays is
-- refused; dropping both together forgets both rules, and so does dropping
-- a registered child alone.
DROP TABLE app.reactions CASCADE;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE app.reactions, app.reaction_flags;
SELECT count(*) AS rules FROM ct_cleanup_rules WHERE target::text LIKE 'app.reaction%';
DROP TABLE app.call_ratings;
SELECT count(*) AS rules FROM ct_cleanup_rules;

-- Renames: ALTER TABLE ... RENAME and SET SCHEMA keep the rule working.
SELECT total FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
ALTER TABLE app.alerts RENAME TO app_alerts;
CREATE SCHEMA regress_moved AUTHORIZATION coach_app;
ALTER TABLE app.waitlist_entries SET SCHEMA regress_moved;
SELECT target FROM ct_cleanup_rules WHERE category IN ('alerts', 'waitlist_entries') ORDER BY 1;
SELECT alerts, waitlist_entries, total,
       details ? 'app.app_alerts' AS renamed_key, details ? 'regress_moved.waitlist_entries' AS moved_key
FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
ALTER TABLE regress_moved.waitlist_entries SET SCHEMA app;
ALTER TABLE app.app_alerts RENAME TO alerts;
DROP SCHEMA regress_moved;

-- DROP of unrelated objects is unaffected.
CREATE TABLE regress_unrelated (x int);
DROP TABLE regress_unrelated;
DROP FUNCTION regress_check_after(text);
SELECT * FROM ct_cleanup_check();

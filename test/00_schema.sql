--
-- test/00_schema.sql -- the extension's objects and their privileges
--
-- Covers (CONTRACT §1-§7):
--   * the composite type ct_cleanup_result: every column, in order, with its type;
--   * table ct_cleanup_audit: columns and types, generated id, row-level
--     security on (its behaviour is tested in 20_access.sql);
--   * the views ct_cleanup_rules and ct_cleanup_settings: all five settings,
--     admin_role defaulting to ct_cleanup_admin, the others to NULL;
--   * every function with the contract's signature and result type, argument
--     names and defaults; ct_cleanup_is_admin() STABLE; every C entry point
--     SECURITY INVOKER with a pinned search_path;
--   * privileges seen by a role that was granted nothing (i.e. by PUBLIC): of
--     the extension's functions only ct_cleanup_is_admin() is executable; the
--     audit log may only be read (row-level security filters it); the
--     registry, the settings and their views are closed;
--   * every object of the extension is named ct_cleanup*;
--   * the batch (§5) and operations (§7) functions exist.
--
BEGIN;
SELECT plan(20);

\ir lib/fixtures.psql

-- A role that was granted nothing: what PUBLIC may do, it may do.
CREATE ROLE tap_nobody NOLOGIN;

------------------------------------------------------------------------------
-- The result type
------------------------------------------------------------------------------

SELECT has_type('ct_cleanup_result', 'type ct_cleanup_result exists');

SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
      FROM pg_attribute AS a
      WHERE a.attrelid = 'ct_cleanup_result'::regclass AND a.attnum > 0
        AND NOT a.attisdropped
      ORDER BY a.attnum$$,
    $$VALUES ('client_id', 'uuid'), ('trainer_id', 'uuid'),
             ('messages', 'bigint'), ('conversations', 'bigint'),
             ('read_receipts', 'bigint'), ('discovery_calls', 'bigint'),
             ('call_feedback', 'bigint'), ('feedback_responses', 'bigint'),
             ('call_notes', 'bigint'), ('call_notifications', 'bigint'),
             ('engagement_records', 'bigint'), ('coach_selection_requests', 'bigint'),
             ('waitlist_entries', 'bigint'), ('alerts', 'bigint'),
             ('feedback_notifications', 'bigint'), ('other', 'bigint'),
             ('total', 'bigint'), ('details', 'jsonb'), ('audit_id', 'bigint'),
             ('fingerprint', 'text')$$,
    'ct_cleanup_result has the 19 columns of CONTRACT §1, in order, with their types, then fingerprint (§8)');

------------------------------------------------------------------------------
-- The audit log
------------------------------------------------------------------------------

SELECT has_table('ct_cleanup_audit', 'table ct_cleanup_audit exists');

SELECT results_eq(
    $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
      FROM pg_attribute AS a
      WHERE a.attrelid = 'ct_cleanup_audit'::regclass AND a.attnum > 0
        AND NOT a.attisdropped
      ORDER BY a.attnum$$,
    $$VALUES ('id', 'bigint'), ('performed_at', 'timestamp with time zone'),
             ('admin_role', 'name'), ('actor_id', 'text'),
             ('client_id', 'uuid'), ('trainer_id', 'uuid'),
             ('counts', 'jsonb'), ('details', 'jsonb'),
             ('total', 'bigint'), ('reason', 'text'),
             ('session_role', 'name')$$,
    'ct_cleanup_audit has the columns of CONTRACT §6 with their types, then session_role');

SELECT is((SELECT attidentity::text FROM pg_attribute
           WHERE attrelid = 'ct_cleanup_audit'::regclass AND attname = 'id'),
          'a', 'ct_cleanup_audit.id is GENERATED ALWAYS AS IDENTITY');

SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'ct_cleanup_audit'::regclass),
          'row-level security is enabled on ct_cleanup_audit');

------------------------------------------------------------------------------
-- Views
------------------------------------------------------------------------------

SELECT has_view('ct_cleanup_rules', 'view ct_cleanup_rules exists');
SELECT has_view('ct_cleanup_settings', 'view ct_cleanup_settings exists');

SELECT results_eq(
    $$SELECT setting, value FROM ct_cleanup_settings ORDER BY setting COLLATE "C"$$,
    $$VALUES ('actor_id', NULL), ('admin_check', NULL), ('admin_role', 'ct_cleanup_admin'),
             ('clients', NULL), ('receipts', 'off'), ('trainers', NULL)$$,
    'ct_cleanup_settings shows the 5 settings of CONTRACT §3 and receipts (§9) with their defaults');

------------------------------------------------------------------------------
-- Functions
------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT f, (SELECT p.prorettype::regtype::text || CASE WHEN p.proretset THEN ' set' ELSE '' END
                 FROM pg_proc AS p WHERE p.oid = to_regprocedure(f))
      FROM unnest(ARRAY['ct_cleanup(uuid,uuid,text)',
                        'ct_cleanup_preview(uuid,uuid)',
                        'ct_cleanup_is_admin()',
                        'ct_cleanup_people(text,text,integer)',
                        'ct_cleanup_register(text,regclass,name,name)',
                        'ct_cleanup_register_either(text,regclass,name,name)',
                        'ct_cleanup_register_child(text,regclass,regclass,name)',
                        'ct_cleanup_unregister(regclass)',
                        'ct_cleanup_set(text,text)']) AS f$$,
    $$VALUES ('ct_cleanup(uuid,uuid,text)', 'ct_cleanup_result'),
             ('ct_cleanup_preview(uuid,uuid)', 'ct_cleanup_result'),
             ('ct_cleanup_is_admin()', 'boolean'),
             ('ct_cleanup_people(text,text,integer)', 'record set'),
             ('ct_cleanup_register(text,regclass,name,name)', 'void'),
             ('ct_cleanup_register_either(text,regclass,name,name)', 'void'),
             ('ct_cleanup_register_child(text,regclass,regclass,name)', 'void'),
             ('ct_cleanup_unregister(regclass)', 'void'),
             ('ct_cleanup_set(text,text)', 'void')$$,
    'every function of CONTRACT §2-§5 exists with its signature and result type');

SELECT results_eq(
    $$SELECT f, pg_get_function_arguments(to_regprocedure(f)),
             pg_get_function_result(to_regprocedure(f))
      FROM unnest(ARRAY['ct_cleanup(uuid,uuid,text)',
                        'ct_cleanup_people(text,text,integer)',
                        'ct_cleanup_register_child(text,regclass,regclass,name)']) AS f$$,
    $$VALUES ('ct_cleanup(uuid,uuid,text)',
              'client uuid, trainer uuid, reason text DEFAULT NULL::text', 'ct_cleanup_result'),
             ('ct_cleanup_people(text,text,integer)',
              'kind text, search text DEFAULT NULL::text, max_rows integer DEFAULT 50',
              'TABLE(id uuid, name text)'),
             ('ct_cleanup_register_child(text,regclass,regclass,name)',
              'category text, target regclass, parent regclass, fk name DEFAULT NULL::name',
              'void')$$,
    'argument names and defaults: reason, search and fk default to NULL, max_rows to 50');

SELECT volatility_is('ct_cleanup_is_admin', ARRAY[]::text[], 'stable',
    'ct_cleanup_is_admin() is STABLE (usable in row-level security policies)');

SELECT is_empty(
    $$SELECT p.oid::regprocedure::text
      FROM pg_proc AS p
      JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                         AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
      JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'ct_cleanup'
      WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
        AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
        AND (p.prosecdef
             OR NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp'])$$,
    'every C entry point is SECURITY INVOKER with SET search_path = pg_catalog, pg_temp');


------------------------------------------------------------------------------
-- Privileges of a role that was granted nothing (i.e. of PUBLIC)
------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT f, has_function_privilege('tap_nobody', f, 'EXECUTE')
      FROM unnest(ARRAY['ct_cleanup(uuid,uuid,text)',
                        'ct_cleanup_preview(uuid,uuid)',
                        'ct_cleanup_people(text,text,integer)',
                        'ct_cleanup_register(text,regclass,name,name)',
                        'ct_cleanup_register_either(text,regclass,name,name)',
                        'ct_cleanup_register_child(text,regclass,regclass,name)',
                        'ct_cleanup_unregister(regclass)',
                        'ct_cleanup_set(text,text)',
                        'ct_cleanup_is_admin()']) AS f$$,
    $$VALUES ('ct_cleanup(uuid,uuid,text)', false),
             ('ct_cleanup_preview(uuid,uuid)', false),
             ('ct_cleanup_people(text,text,integer)', false),
             ('ct_cleanup_register(text,regclass,name,name)', false),
             ('ct_cleanup_register_either(text,regclass,name,name)', false),
             ('ct_cleanup_register_child(text,regclass,regclass,name)', false),
             ('ct_cleanup_unregister(regclass)', false),
             ('ct_cleanup_set(text,text)', false),
             ('ct_cleanup_is_admin()', true)$$,
    'PUBLIC may not EXECUTE the deleting, people and registry functions, but may call ct_cleanup_is_admin()');

SELECT results_eq(
    $$SELECT p.oid::regprocedure::text
      FROM pg_proc AS p
      JOIN pg_depend AS d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                         AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
      JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'ct_cleanup'
      WHERE has_function_privilege('tap_nobody', p.oid, 'EXECUTE')$$,
    $$VALUES ('ct_cleanup_is_admin()'), ('ct_cleanup_remote(name,text[],text[],anyelement)')$$,
    'of all the extension''s functions, PUBLIC may EXECUTE only ct_cleanup_is_admin() and ct_cleanup_remote(), which grants nothing');

SELECT table_privs_are('ct_cleanup_audit', 'tap_nobody', ARRAY['SELECT'],
    'PUBLIC may only SELECT from ct_cleanup_audit (row-level security filters it)');
SELECT table_privs_are('ct_cleanup_replayed', 'tap_nobody', ARRAY['SELECT'],
    'PUBLIC may only SELECT from ct_cleanup_replayed (row-level security filters it)');

SELECT is_empty(
    $$SELECT c.oid::regclass::text
      FROM pg_class AS c
      JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                         AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
      JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'ct_cleanup'
      WHERE c.relkind IN ('r', 'v', 'p')
        AND c.relname NOT IN ('ct_cleanup_audit', 'ct_cleanup_replayed')
        AND has_table_privilege('tap_nobody', c.oid, 'SELECT, INSERT, UPDATE, DELETE')$$,
    'PUBLIC has no privilege on the registry, the settings or their views');

------------------------------------------------------------------------------
-- Naming
------------------------------------------------------------------------------

SELECT is_empty(
    $$SELECT pg_describe_object(d.classid, d.objid, 0)
      FROM pg_depend AS d
      JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'ct_cleanup'
      WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
        AND (pg_identify_object(d.classid, d.objid, 0)).name NOT LIKE 'ct\_cleanup%'$$,
    'every object of the extension is named ct_cleanup*');

------------------------------------------------------------------------------
-- Contract functions added after the first cut (§5 batch, §7 operations)
------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT f, to_regprocedure(f) IS NOT NULL
      FROM unnest(ARRAY['ct_cleanup_many(uuid[],uuid[],text)',
                        'ct_cleanup_preview_many(uuid[],uuid[])',
                        'ct_cleanup_check()',
                        'ct_cleanup_suggest()',
                        'ct_cleanup(uuid,uuid,text,text)',
                        'ct_cleanup_many(uuid[],uuid[],text,text[])',
                        'ct_cleanup_replay(jsonb)',
                        'ct_cleanup_remote(name,text[],text[],anyelement)']) AS f$$,
    $$VALUES ('ct_cleanup_many(uuid[],uuid[],text)', true),
             ('ct_cleanup_preview_many(uuid[],uuid[])', true),
             ('ct_cleanup_check()', true),
             ('ct_cleanup_suggest()', true),
             ('ct_cleanup(uuid,uuid,text,text)', true),
             ('ct_cleanup_many(uuid[],uuid[],text,text[])', true),
             ('ct_cleanup_replay(jsonb)', true),
             ('ct_cleanup_remote(name,text[],text[],anyelement)', true)$$,
    'ct_cleanup_many, ct_cleanup_preview_many (§5), ct_cleanup_check, ct_cleanup_suggest (§7), the fingerprint forms (§8), ct_cleanup_replay (§9) and ct_cleanup_remote (§10) exist');

SELECT * FROM finish();
ROLLBACK;

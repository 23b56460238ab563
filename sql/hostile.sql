--
-- hostile: generated input.  Tables and columns with nasty identifiers
-- (quotes, spaces, semicolons, backslashes, unicode, reserved words, mixed
-- case, 63-byte names) register and clean up like any other; then every
-- function is called with every kind of bad input, each a clear error with
-- the documented SQLSTATE, raised before the call deleted anything (but for
-- the errors that come from the deletes or after them), and afterwards
-- nothing of it is left, not even in ct_cleanup's cache.
--
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE TEMP TABLE hostile_names (n text);
INSERT INTO hostile_names VALUES
    ('with "double" quotes'), ('with ''single'' quotes'), ('spaces and ; semicolons --'),
    ('back\slash'), ('ünïcødé tåble'), ('select'), ('user'), ('Mixed Case'),
    ('$dollar$'), (repeat('x', 63));
GRANT SELECT ON hostile_names TO coach_app;

-- One table per name, owned by the application's owner, with nastily named
-- uuid columns; two rows of pair 10 and one of pair 2 in each.
SET ROLE coach_app;
DO $$
DECLARE n text;
BEGIN
    FOR n IN SELECT * FROM hostile_names LOOP
        EXECUTE format('CREATE TABLE app.%I (%I uuid, %I uuid, "from" text)',
                       n, 'Client "Id"', 'order');
        EXECUTE format('INSERT INTO app.%I VALUES (%L, %L, %L), (%L, %L, %L), (%L, %L, %L)', n,
                       regress_client(10), regress_trainer(1), 'a',
                       regress_client(10), regress_trainer(1), 'b',
                       regress_client(2), regress_trainer(1), 'other pair');
    END LOOP;
END $$;
RESET ROLE;
SELECT ct_cleanup_register('hostile', format('app.%I', n)::regclass, 'Client "Id"', 'order')
FROM hostile_names;

-- The registry shows them, quoted as quote_ident would.
SELECT target, columns FROM ct_cleanup_rules WHERE category = 'hostile' ORDER BY target::text;

-- The preview finds two rows in each; details are keyed by the quoted name.
SELECT other, key AS table_name, value AS n
FROM ct_cleanup_preview(regress_client(10), regress_trainer(1)), jsonb_each(details)
WHERE key IN (SELECT target::text FROM ct_cleanup_rules WHERE category = 'hostile')
ORDER BY key;

-- A cleanup deletes exactly those rows (rolled back here).
BEGIN;
SELECT other FROM ct_cleanup(regress_client(10), regress_trainer(1), 'hostile names');
SELECT n, (xpath('/row/c/text()',
                 query_to_xml(format('SELECT count(*) AS c FROM app.%I', n), false, true, '')))[1]::text AS rows_left
FROM hostile_names ORDER BY n;
ROLLBACK;

-- Every function, every kind of bad input.  Each case shows the SQLSTATE it
-- must raise and the one it raised, whether the call had deleted rows before
-- its error, and whether everything is as before afterwards (see
-- regress_run_case below).
SET ROLE coach_app;
CREATE TABLE app.h_parent (id uuid PRIMARY KEY, client_id uuid, trainer_id uuid);
CREATE TABLE app.h_child (parent_id uuid REFERENCES app.h_parent);
CREATE TABLE app.h_unregistered (parent_id uuid REFERENCES app.h_parent);
INSERT INTO app.h_parent VALUES ('cccccccc-0000-0000-0000-000000000001', regress_client(10), regress_trainer(1));
INSERT INTO app.h_child VALUES ('cccccccc-0000-0000-0000-000000000001');
CREATE VIEW app.h_clients AS SELECT id, name FROM app.profiles WHERE user_type = 'client';
CREATE VIEW app.h_trainers AS SELECT id, name FROM app.profiles WHERE user_type = 'trainer';
RESET ROLE;
SELECT ct_cleanup_register('other', 'app.h_parent', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_child('other', 'app.h_child', 'app.h_parent');
SELECT ct_cleanup_set('clients', 'app.h_clients'), ct_cleanup_set('trainers', 'app.h_trainers');

-- Everything a case could leave behind: the rows of every registered table,
-- the audit rows, the registry, the settings, and what ct_cleanup itself
-- sees now (a preview of pair 10, through its per-backend cache).
CREATE FUNCTION regress_snapshot() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(E'\n',
        (SELECT string_agg(target || '=' || n, ', ' ORDER BY target) FROM regress_table_rows()),
        (SELECT count(*) || ' audit rows' FROM ct_cleanup_audit),
        (SELECT string_agg(concat_ws('|', position, category, target, kind, columns, parent, fk), '; '
                           ORDER BY position) FROM ct_cleanup_rules),
        (SELECT string_agg(setting || '=' || coalesce(value, 'NULL'), '; ' ORDER BY setting)
         FROM ct_cleanup_settings),
        (SELECT details::text FROM ct_cleanup_preview(regress_client(10), regress_trainer(1))))
$$;
CREATE TEMP TABLE cases (no serial, expected text, stmt text, setup text);
INSERT INTO cases (expected, stmt, setup) VALUES
    -- ids
    ('22004', $$SELECT ct_cleanup(NULL, NULL)$$, NULL),
    ('22004', $$SELECT ct_cleanup(regress_client(10), NULL, 'x')$$, NULL),
    ('22004', $$SELECT ct_cleanup_preview(NULL, regress_trainer(1))$$, NULL),
    ('22023', $$SELECT ct_cleanup(regress_client(10), regress_client(10))$$, NULL),
    ('22023', $$SELECT ct_cleanup_preview(regress_trainer(1), regress_trainer(1))$$, NULL),
    ('P0002', $$SELECT ct_cleanup(gen_random_uuid(), regress_trainer(1))$$, NULL),
    ('P0002', $$SELECT ct_cleanup(regress_client(10), gen_random_uuid())$$, NULL),
    ('P0002', $$SELECT ct_cleanup(regress_trainer(1), regress_client(10))$$, NULL),
    ('P0002', $$SELECT ct_cleanup(regress_client(10), regress_client(2))$$, NULL),
    ('22P02', $$SELECT ct_cleanup('not-a-uuid', regress_trainer(1))$$, NULL),
    -- people
    ('22004', $$SELECT * FROM ct_cleanup_people(NULL)$$, NULL),
    ('22004', $$SELECT * FROM ct_cleanup_people('client', 'x', NULL)$$, NULL),
    ('22023', $$SELECT * FROM ct_cleanup_people('Client')$$, NULL),
    ('22023', $$SELECT * FROM ct_cleanup_people('client', NULL, -1)$$, NULL),
    -- the registry changed under the cleanup
    ('42P01', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$ALTER EVENT TRIGGER ct_cleanup_drift_guard DISABLE; DROP TABLE app.h_child$$),
    ('42P01', $$SELECT ct_cleanup_preview(regress_client(10), regress_trainer(1))$$,
              $$ALTER EVENT TRIGGER ct_cleanup_drift_guard DISABLE; DROP TABLE app.h_child$$),
    ('no error', $$SELECT ct_cleanup_preview(regress_client(10), regress_trainer(1))$$,
              $$DROP TABLE app.h_child$$),
    ('2BP01', $$SET LOCAL client_min_messages = warning; DROP TABLE app.h_parent CASCADE$$, NULL),
    ('no error', $$SELECT ct_cleanup_preview(regress_client(10), regress_trainer(1))$$,
              $$ALTER TABLE app.h_parent RENAME TO h_parent_renamed$$),
    ('42703', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$ALTER TABLE app.h_parent RENAME COLUMN client_id TO customer_id$$),
    ('42703', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$ALTER TABLE app.h_parent DROP COLUMN trainer_id$$),
    ('42804', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$ALTER TABLE app.h_parent ALTER COLUMN client_id TYPE text$$),
    ('42704', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$ALTER TABLE app.h_child DROP CONSTRAINT h_child_parent_id_fkey$$),
    ('23503', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$INSERT INTO app.h_unregistered VALUES ('cccccccc-0000-0000-0000-000000000001')$$),
    ('55000', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$ALTER TABLE app.h_child OWNER TO regress_bob$$),
    ('42883', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$SET LOCAL ct_cleanup.max_rows = 0; DROP VIEW app.h_trainers; CREATE FUNCTION app.a() RETURNS uuid LANGUAGE sql SECURITY DEFINER RETURN NULL::uuid; ALTER FUNCTION app.a() OWNER TO coach_app; SELECT ct_cleanup_set('trainers', NULL), ct_cleanup_set('actor_id', 'app.a()'); DROP FUNCTION app.a()$$),
    ('42P01', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$DROP VIEW app.h_clients$$),
    ('54000', $$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$,
              $$SET LOCAL ct_cleanup.max_rows = 5$$),
    -- registration
    ('22004', $$SELECT ct_cleanup_register('x', NULL, 'a', 'b')$$, NULL),
    ('22004', $$SELECT ct_cleanup_register_either('x', 'app.h_parent', NULL, 'trainer_id')$$, NULL),
    ('22004', $$SELECT ct_cleanup_unregister(NULL)$$, NULL),
    ('22023', $$SELECT ct_cleanup_register('', 'app.h_parent', 'client_id', 'trainer_id')$$, NULL),
    ('22023', $$SELECT ct_cleanup_register('x y', 'app.h_parent', 'client_id', 'trainer_id')$$, NULL),
    ('22023', $$SELECT ct_cleanup_register('other', 'pg_catalog.pg_class', 'relname', 'relname')$$, NULL),
    ('42703', $$SELECT ct_cleanup_register('other', 'app.h_parent', '', 'trainer_id')$$, NULL),
    ('42703', $$SELECT ct_cleanup_register('other', 'app.h_parent', 'Client_Id', 'trainer_id')$$, NULL),
    ('42804', $$SELECT ct_cleanup_register('other', 'app.profiles', 'name', 'id')$$, NULL),
    ('22023', $$SELECT ct_cleanup_register_child('other', 'app.h_unregistered', 'app.h_child')$$, NULL),
    ('22023', $$SELECT ct_cleanup_register_child('other', 'app.h_parent', 'app.h_child')$$, NULL),
    ('2BP01', $$SELECT ct_cleanup_unregister('app.h_parent')$$, NULL),
    ('22023', $$SELECT ct_cleanup_unregister(12345::regclass)$$, NULL),
    -- settings
    ('22004', $$SELECT ct_cleanup_set(NULL, NULL)$$, NULL),
    ('22023', $$SELECT ct_cleanup_set('ADMIN_ROLE', 'x')$$, NULL),
    ('22023', $$SELECT ct_cleanup_set('admin_role', repeat('r', 64))$$, NULL),
    ('22023', $$SELECT ct_cleanup_set('admin_check', 'pg_catalog.now()')$$, NULL),
    ('22023', $$SELECT ct_cleanup_set('actor_id', 'app.')$$, NULL),
    ('22023', $$SELECT ct_cleanup_set('clients', 'a.b.c')$$, NULL),
    ('22023', $$SELECT ct_cleanup_set('trainers', 'pg_catalog.pg_class')$$, NULL);

-- Rows written so far in this transaction to the registry, the settings and
-- the audit log (like regress_deletions(), rolled-back writes included).
CREATE FUNCTION regress_extension_writes() RETURNS bigint LANGUAGE sql
    RETURN (SELECT sum(pg_stat_get_xact_tuples_inserted(t) + pg_stat_get_xact_tuples_updated(t)
                       + pg_stat_get_xact_tuples_deleted(t))::bigint
            FROM unnest(ARRAY['ct_cleanup_rule'::regclass, 'ct_cleanup_setting'::regclass,
                              'ct_cleanup_audit'::regclass]) AS t);

-- Run each case (set-up, then statement) in a subtransaction, then roll it
-- back.  A failed call's writes are undone by PostgreSQL with its statement,
-- so no state read after the error can show a partial delete of the call
-- itself; what each case shows instead:
--   got, ok      the SQLSTATE raised: exactly the documented one (a call
--                that swallowed an error would commit whatever it had done);
--   deleted_any  whether the call had deleted rows before its error, from
--                the transaction statistics, which keep the deletions of
--                rolled-back subtransactions: false for every error raised
--                before the data is touched (arguments, people, the checks
--                of the registry and settings, registration) and for the
--                previews; true only for the error of a delete (23503), for
--                a vanished actor_id function (42883: it is called for the
--                audit row, after the deletes) and for max_rows (54000,
--                checked after the deletes);
--   wrote_any    the same for writes to the registry, the settings and the
--                audit log: false for every case, so no refused
--                registration or setting wrote anything, and no failed
--                cleanup wrote its audit row;
--   after_ok     whether afterwards, outside the rolled-back subtransaction,
--                regress_snapshot() is what it was before the case: nothing
--                of the case survives, and ct_cleanup's cache holds nothing
--                of the failed call or the undone set-up.
-- That a retried race keeps nothing of its failed attempt: errors.sql.
CREATE FUNCTION regress_run_case(c cases)
RETURNS TABLE (got text, message text, deleted_any boolean, wrote_any boolean, after_ok boolean)
LANGUAGE plpgsql AS $$
DECLARE
    before text := regress_snapshot();
    deletions bigint;
    writes bigint;
BEGIN
    BEGIN
        IF c.setup IS NOT NULL THEN EXECUTE c.setup; END IF;
        -- counted on either side of the statement alone, with the same tables
        -- in place (a set-up may have dropped one)
        deletions := regress_deletions();
        writes := regress_extension_writes();
        SELECT e.code, e.message INTO got, message FROM regress_error(c.stmt) e;
        deleted_any := regress_deletions() > deletions;
        wrote_any := regress_extension_writes() > writes;
        RAISE SQLSTATE 'RGRSS';     -- undo the set-up
    EXCEPTION WHEN SQLSTATE 'RGRSS' THEN NULL;
    END;
    after_ok := regress_snapshot() = before;
    RETURN NEXT;
END $$;

-- Every case raises its SQLSTATE; only the 23503, the actor_id 42883 and the
-- 54000 case had deleted rows; none had written to the extension's tables;
-- everything is as before after each.
SELECT no, expected, r.got, r.got = expected AS ok, r.deleted_any, r.wrote_any, r.after_ok,
       left(regexp_replace(r.message, '[0-9a-f]{8}-[0-9a-f-]{27}', '<uuid>', 'g'), 70) AS message
FROM cases c, LATERAL regress_run_case(c) r ORDER BY no;
SELECT count(*) AS cases, count(*) FILTER (WHERE r.got = c.expected AND r.after_ok) AS passed,
       count(*) FILTER (WHERE r.deleted_any) AS deleted_before_error,
       count(*) FILTER (WHERE r.wrote_any) AS wrote_before_error
FROM cases c, LATERAL regress_run_case(c) r;

-- Clean up.
SELECT ct_cleanup_set('clients', NULL), ct_cleanup_set('trainers', NULL);
SELECT ct_cleanup_unregister('app.h_child'), ct_cleanup_unregister('app.h_parent');
SELECT count(ct_cleanup_unregister(format('app.%I', n)::regclass)) FROM hostile_names;
DROP VIEW app.h_clients, app.h_trainers;
DROP TABLE app.h_unregistered, app.h_child, app.h_parent;
DO $$
DECLARE n text;
BEGIN
    FOR n IN SELECT * FROM hostile_names LOOP
        EXECUTE format('DROP TABLE app.%I', n);
    END LOOP;
END $$;
DROP FUNCTION regress_run_case(cases), regress_snapshot(), regress_extension_writes();
DROP TABLE cases, hostile_names;
SELECT count(*) AS rules FROM ct_cleanup_rules;
-- Everything this file changed is back: only admin_role differs from its default.
SELECT setting, value FROM ct_cleanup_settings WHERE value IS DISTINCT FROM default_value;

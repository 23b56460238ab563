--
-- hostile: generated input.  Tables and columns with nasty identifiers
-- (quotes, spaces, semicolons, backslashes, unicode, reserved words, mixed
-- case, 63-byte names) register and clean up like any other; then every
-- function is called with every kind of bad input, each a clear error with
-- the documented SQLSTATE, and nothing changes.
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
-- must raise and the one it raised; the count of rows in every registered
-- table and of audit rows is the same after each.
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

CREATE FUNCTION regress_state() RETURNS text LANGUAGE sql AS $$
    SELECT (SELECT sum(n) FROM regress_table_rows()) || '/' || (SELECT count(*) FROM ct_cleanup_audit)
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
              $$SET LOCAL ct_cleanup.max_rows = 0; DROP VIEW app.h_trainers; CREATE FUNCTION app.a() RETURNS uuid LANGUAGE sql RETURN NULL::uuid; SELECT ct_cleanup_set('trainers', NULL), ct_cleanup_set('actor_id', 'app.a()'); DROP FUNCTION app.a()$$),
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

-- Run each case in a subtransaction (set-up, state, statement, state
-- again), then roll it back.
CREATE FUNCTION regress_run_case(c cases) RETURNS TABLE (got text, message text, unchanged boolean)
LANGUAGE plpgsql AS $$
DECLARE before text;
BEGIN
    BEGIN
        IF c.setup IS NOT NULL THEN EXECUTE c.setup; END IF;
        before := regress_state();
        SELECT e.code, e.message INTO got, message FROM regress_error(c.stmt) e;
        unchanged := regress_state() = before;
        RAISE SQLSTATE 'RGRSS';     -- undo the set-up
    EXCEPTION WHEN SQLSTATE 'RGRSS' THEN NULL;
    END;
    RETURN NEXT;
END $$;

SELECT no, expected, r.got, r.got = expected AS ok, r.unchanged,
       left(regexp_replace(r.message, '[0-9a-f]{8}-[0-9a-f-]{27}', '<uuid>', 'g'), 70) AS message
FROM cases c, LATERAL regress_run_case(c) r ORDER BY no;
SELECT count(*) AS cases, count(*) FILTER (WHERE r.got = c.expected AND r.unchanged) AS passed
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
DROP FUNCTION regress_run_case(cases), regress_state();
DROP TABLE cases, hostile_names;
SELECT count(*) AS rules FROM ct_cleanup_rules;
-- Everything this file changed is back: only admin_role differs from its default.
SELECT setting, value FROM ct_cleanup_settings WHERE value IS DISTINCT FROM default_value;

--
-- check_12: what 1.2 changed in ct_cleanup_check() and ct_cleanup_suggest(),
-- and ct_cleanup_grant_admin() with the extension in a schema of its own.
--
-- 1. the privilege posture looks at the extension's own functions only;
-- 2. foreign keys between registered tables that no rule follows, retained
--    records (ON DELETE SET NULL) and SET NULL on a NOT NULL column;
-- 3. matched columns whose foreign key leads to a table that holds no people;
-- 4. suggestions never go through SET NULL or SET DEFAULT keys;
-- 5. ct_cleanup_grant_admin().
-- Everything planted here is rolled back or dropped again.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
\set regress_db :DBNAME

-- The example application as installed: one foreign key between registered
-- tables that no rule follows (a message in the pair's conversation sent by
-- someone else would make the cleanup fail).  The plants below are compared
-- with this.
SELECT * FROM ct_cleanup_check();
CREATE TEMP TABLE regress_baseline AS SELECT * FROM ct_cleanup_check();

-- Runs a plant in a subtransaction that is rolled back and shows how the
-- check changed: "+" rows it added, "-" rows of the baseline it removed,
-- OIDs (numbers of 5 or more digits, but the SQLSTATE 23502) masked.
CREATE FUNCTION regress_check12(plant text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE plant;
        RETURN QUERY
            SELECT regexp_replace(concat_ws(' | ', d.sign || ' ' || d.severity, d.object,
                                            d.problem, d.hint), '(?<!\d)(?!23502(?!\d))\d{5,}', 'N', 'g')
            FROM (SELECT '+' AS sign, n.*
                  FROM (SELECT * FROM ct_cleanup_check()
                        EXCEPT ALL SELECT * FROM regress_baseline) AS n
                  UNION ALL
                  SELECT '-', o.*
                  FROM (SELECT * FROM regress_baseline
                        EXCEPT ALL SELECT * FROM ct_cleanup_check()) AS o) AS d
            ORDER BY d.severity <> 'error', d.object, d.problem, d.sign;
        RAISE SQLSTATE 'RGRSS';
    EXCEPTION WHEN SQLSTATE 'RGRSS' THEN NULL;
    END;
END $$;
\pset format unaligned
\pset tuples_only on

\echo -- 1. privilege posture: only the functions of the extension
-- uuid-ossp beside ct_cleanup: C functions that PUBLIC may execute, as the
-- 1.1 check (C functions of our schema) would have reported ...
BEGIN;
CREATE EXTENSION "uuid-ossp" SCHEMA public;
SELECT count(*) > 0 AS public_c_functions_of_uuid_ossp
FROM pg_proc AS p
WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'uuid%'
  AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
  AND has_function_privilege('public', p.oid, 'EXECUTE');
ROLLBACK;
-- ... and now does not
SELECT regress_check12($$CREATE EXTENSION "uuid-ossp" SCHEMA public$$);
-- nor a hand-made C function beside ours, named like ours, even SECURITY
-- DEFINER, nor a hand-made SQL one
SELECT regress_check12($$CREATE FUNCTION public.ct_cleanup_uuid() RETURNS uuid
                             LANGUAGE C AS '$libdir/uuid-ossp', 'uuid_generate_v4';
                         ALTER FUNCTION public.ct_cleanup_uuid() SECURITY DEFINER;
                         CREATE FUNCTION public.ct_cleanup_zero() RETURNS bigint LANGUAGE sql RETURN 0$$);
-- the extension's own functions still are
SELECT regress_check12($$GRANT EXECUTE ON FUNCTION ct_cleanup_many(uuid[], uuid[], text) TO PUBLIC$$);
SELECT regress_check12($$ALTER FUNCTION ct_cleanup_grant_admin(regrole) SECURITY DEFINER$$);
-- ct_cleanup_grant_admin() checks its caller itself: PUBLIC may execute it
SELECT regress_check12($$GRANT EXECUTE ON FUNCTION ct_cleanup_grant_admin(regrole) TO PUBLIC$$);

\echo -- 2. foreign keys between registered tables that no rule follows
-- the example's key, followed by a second rule of app.messages: gone
SELECT regress_check12($$SET LOCAL client_min_messages = warning;
                         SELECT ct_cleanup_register_child('messages', 'app.messages', 'app.conversations',
                                                          'messages_conversation_id_fkey')$$);
-- NO ACTION, CASCADE and SET NULL keys of one registered table to another
SELECT regress_check12($$ALTER TABLE app.call_notes ADD COLUMN message_id uuid REFERENCES app.messages$$);
SELECT regress_check12($$ALTER TABLE app.alerts ADD COLUMN call_id uuid
                             REFERENCES app.discovery_calls ON DELETE CASCADE$$);
SELECT regress_check12($$ALTER TABLE app.engagement_records ADD COLUMN call_id uuid
                             REFERENCES app.discovery_calls ON DELETE SET NULL$$);
-- a registered table's key to itself
SELECT regress_check12($$ALTER TABLE app.messages ADD COLUMN reply_to uuid REFERENCES app.messages$$);
SELECT regress_check12($$ALTER TABLE app.messages ADD COLUMN reply_to uuid
                             REFERENCES app.messages ON DELETE SET NULL$$);

\echo -- retained records: ON DELETE SET NULL from an unregistered table
SELECT regress_check12($$CREATE TABLE app.invoices (id uuid PRIMARY KEY, amount numeric,
                             call_id uuid REFERENCES app.discovery_calls ON DELETE SET NULL);
                         CREATE INDEX ON app.invoices (call_id)$$);
-- ... on a NOT NULL column: every such cleanup fails
SELECT regress_check12($$CREATE TABLE app.invoices (id uuid PRIMARY KEY,
                             call_id uuid NOT NULL REFERENCES app.discovery_calls ON DELETE SET NULL)$$);
-- ... a composite key: setting only its nullable column (a column list),
-- and setting all of them, one NOT NULL
SELECT regress_check12($$ALTER TABLE app.discovery_calls ADD UNIQUE (client_id, id);
                         CREATE TABLE app.invoices (client_id uuid NOT NULL, call_id uuid,
                             FOREIGN KEY (client_id, call_id) REFERENCES app.discovery_calls (client_id, id)
                                 ON DELETE SET NULL (call_id))$$);
SELECT regress_check12($$ALTER TABLE app.discovery_calls ADD UNIQUE (client_id, id);
                         CREATE TABLE app.invoices (client_id uuid NOT NULL, call_id uuid,
                             FOREIGN KEY (client_id, call_id) REFERENCES app.discovery_calls (client_id, id)
                                 ON DELETE SET NULL)$$);
-- NO ACTION stays an error, SET DEFAULT a warning
SELECT regress_check12($$CREATE TABLE app.invoices (call_id uuid REFERENCES app.discovery_calls)$$);
SELECT regress_check12($$CREATE TABLE app.invoices (call_id uuid DEFAULT NULL
                             REFERENCES app.discovery_calls ON DELETE SET DEFAULT)$$);
\pset format aligned
\pset tuples_only off

-- What the check says is what a cleanup does: the retained invoice is kept
-- with its key set to NULL; with a NOT NULL key the cleanup fails with 23502
-- and deletes nothing.  A pair of its own, with one discovery call.
\set pair12 'SET LOCAL ROLE coach_app; INSERT INTO app.profiles (id, user_type, name) VALUES (md5(''c12-client'')::uuid, ''client'', ''Client c12''), (md5(''c12-trainer'')::uuid, ''trainer'', ''Trainer c12''); INSERT INTO app.discovery_calls (id, client_id, trainer_id) VALUES (md5(''c12-call'')::uuid, md5(''c12-client'')::uuid, md5(''c12-trainer'')::uuid); INSERT INTO app.invoices VALUES (1, md5(''c12-call'')::uuid); RESET ROLE;'
BEGIN;
SET LOCAL ROLE coach_app;
CREATE TABLE app.invoices (id int PRIMARY KEY,
                           call_id uuid REFERENCES app.discovery_calls ON DELETE SET NULL);
:pair12
SELECT discovery_calls, total
FROM ct_cleanup(md5('c12-client')::uuid, md5('c12-trainer')::uuid, 'check_12');
SELECT id, call_id FROM app.invoices;
ROLLBACK;
BEGIN;
SET LOCAL ROLE coach_app;
CREATE TABLE app.invoices (id int PRIMARY KEY,
                           call_id uuid NOT NULL REFERENCES app.discovery_calls ON DELETE SET NULL);
:pair12
SELECT code, message
FROM regress_error($$SELECT ct_cleanup(md5('c12-client')::uuid, md5('c12-trainer')::uuid, 'check_12')$$);
SELECT discovery_calls FROM ct_cleanup_preview(md5('c12-client')::uuid, md5('c12-trainer')::uuid);
ROLLBACK;

\pset format unaligned
\pset tuples_only on
\echo -- 3. matched columns whose foreign key leads to no people
-- Bookings of pro-bono slots registered by the slot, not by the trainer.  With
-- no clients or trainers setting, app.profiles still counts as holding people:
-- the matched columns of several registered tables reference it.
\set probono 'SET LOCAL client_min_messages = warning; SET LOCAL ROLE coach_app; CREATE TABLE app.pro_bono_slots (id uuid PRIMARY KEY, trainer_id uuid NOT NULL REFERENCES app.profiles); CREATE TABLE app.pro_bono_bookings (id uuid PRIMARY KEY, client_id uuid NOT NULL REFERENCES app.profiles, slot_id uuid NOT NULL REFERENCES app.pro_bono_slots); CREATE INDEX ON app.pro_bono_bookings (client_id, slot_id); RESET ROLE; SELECT ct_cleanup_register(''other'', ''app.pro_bono_bookings'', ''client_id'', ''slot_id'');'
\set people 'CREATE VIEW app.c12_clients AS SELECT id, name FROM app.profiles WHERE user_type = ''client''; CREATE VIEW app.c12_trainers AS SELECT id, name FROM app.profiles WHERE user_type = ''trainer''; ALTER VIEW app.c12_clients OWNER TO coach_app; ALTER VIEW app.c12_trainers OWNER TO coach_app; SELECT ct_cleanup_set(''clients'', ''app.c12_clients''), ct_cleanup_set(''trainers'', ''app.c12_trainers'');'
SELECT regress_check12(:'probono' || $$ SELECT ct_cleanup_set('clients', NULL), ct_cleanup_set('trainers', NULL)$$);
-- with the clients and trainers settings: the same
SELECT regress_check12(:'probono' || :'people');
-- A second id of trainers: coach profiles of their accounts.  Sessions match
-- the coach profile, coach messages the account.  Warned while nothing says
-- these tables hold people ...
\set coaches 'SET LOCAL client_min_messages = warning; SET LOCAL ROLE coach_app; CREATE TABLE app.coach_accounts (id uuid PRIMARY KEY, name text NOT NULL); CREATE TABLE app.coach_profiles (id uuid PRIMARY KEY, account_id uuid NOT NULL UNIQUE REFERENCES app.coach_accounts); CREATE TABLE app.sessions (id uuid PRIMARY KEY, client_id uuid NOT NULL REFERENCES app.profiles, coach_id uuid NOT NULL REFERENCES app.coach_profiles); CREATE INDEX ON app.sessions (client_id, coach_id); CREATE TABLE app.coach_messages (id uuid PRIMARY KEY, client_id uuid NOT NULL REFERENCES app.profiles, account_id uuid NOT NULL REFERENCES app.coach_accounts); CREATE INDEX ON app.coach_messages (client_id, account_id); RESET ROLE; SELECT ct_cleanup_register(''other'', ''app.sessions'', ''client_id'', ''coach_id''), ct_cleanup_register(''other'', ''app.coach_messages'', ''client_id'', ''account_id'');'
SELECT regress_check12(:'coaches' || $$ SELECT ct_cleanup_set('trainers', NULL)$$);
-- ... not once the coach profiles are an alias source: the profiles are the
-- source, the accounts what its person column references
SELECT regress_check12(:'coaches' || $$ SELECT ct_cleanup_register_alias('trainer', 'app.coach_profiles', 'id', 'account_id')$$);
-- ... nor when a view over the accounts is the trainers setting
SELECT regress_check12(:'coaches' || $$ CREATE VIEW app.c12_coaches AS SELECT a.id, a.name FROM app.coach_accounts AS a;
                                        ALTER VIEW app.c12_coaches OWNER TO coach_app;
                                        SELECT ct_cleanup_set('trainers', 'app.c12_coaches')$$);
\pset format aligned
\pset tuples_only off

-- 4. Suggestions: not through ON DELETE SET NULL or SET DEFAULT keys (their
-- rows are kept), nor to what hangs off them; a table with a kept and a
-- deleted key is suggested through the deleted one.
BEGIN;
SET LOCAL ROLE coach_app;
CREATE TABLE app.invoices (id uuid PRIMARY KEY,
                           call_id uuid REFERENCES app.discovery_calls ON DELETE SET NULL);
CREATE TABLE app.invoice_lines (invoice_id uuid REFERENCES app.invoices);
CREATE TABLE app.refunds (id uuid PRIMARY KEY,
                          call_id uuid DEFAULT NULL REFERENCES app.discovery_calls ON DELETE SET DEFAULT);
CREATE TABLE app.refund_notes (refund_id uuid REFERENCES app.refunds ON DELETE CASCADE);
CREATE TABLE app.call_ratings (id uuid PRIMARY KEY,
                               call_id uuid REFERENCES app.discovery_calls ON DELETE CASCADE);
CREATE TABLE app.rating_flags (rating_id uuid REFERENCES app.call_ratings);
CREATE TABLE app.invoice_reminders (invoice_id uuid REFERENCES app.invoices,
                                    call_id uuid REFERENCES app.discovery_calls);
RESET ROLE;
SELECT * FROM ct_cleanup_suggest();
ROLLBACK;

DROP FUNCTION regress_check12(text);
DROP TABLE regress_baseline;

-- 5. ct_cleanup_grant_admin(), with the extension in a schema of its own and
-- uuid-ossp beside it, in a database of its own.
CREATE DATABASE regress_check12;
\c regress_check12
CREATE SCHEMA ext12;
CREATE EXTENSION ct_cleanup SCHEMA ext12;
CREATE EXTENSION "uuid-ossp" SCHEMA ext12;
CREATE SCHEMA a12 AUTHORIZATION coach_app;
SET ROLE coach_app;
CREATE TABLE a12.people (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE a12.chats (id uuid PRIMARY KEY,
                        client_id uuid NOT NULL REFERENCES a12.people,
                        trainer_id uuid NOT NULL REFERENCES a12.people,
                        UNIQUE (client_id, trainer_id));
CREATE INDEX ON a12.chats (trainer_id);
INSERT INTO a12.people VALUES (md5('c12-client')::uuid, 'Client Twelve'),
                              (md5('c12-trainer')::uuid, 'Trainer Twelve');
INSERT INTO a12.chats VALUES (md5('c12-chat')::uuid, md5('c12-client')::uuid, md5('c12-trainer')::uuid);
RESET ROLE;
SELECT ext12.ct_cleanup_register('conversations', 'a12.chats', 'client_id', 'trainer_id');
SELECT ext12.ct_cleanup_set('clients', 'a12.people'), ext12.ct_cleanup_set('trainers', 'a12.people');
CREATE ROLE regress_c12_admins NOLOGIN;
CREATE ROLE regress_c12_alice NOLOGIN IN ROLE regress_c12_admins;
CREATE ROLE regress_c12_dashboard NOLOGIN;
SELECT ext12.ct_cleanup_set('admin_role', 'regress_c12_admins');

-- Healthy, uuid-ossp's functions in the same schema included.
SELECT * FROM ext12.ct_cleanup_check();

-- An admin without grants reaches nothing.
SET ROLE regress_c12_alice;
SELECT * FROM ext12.ct_cleanup_check();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- The owner grants; the NOTICE lists every GRANT.  Run again, it changes
-- nothing.
SELECT ext12.ct_cleanup_grant_admin('regress_c12_admins');
CREATE TEMP TABLE regress_acl AS
SELECT p.oid::regprocedure::text AS object, p.proacl::text AS acl FROM pg_proc AS p
WHERE p.pronamespace = 'ext12'::regnamespace
UNION ALL
SELECT c.oid::regclass::text, c.relacl::text FROM pg_class AS c
WHERE c.relnamespace = 'ext12'::regnamespace
UNION ALL
SELECT n.nspname, n.nspacl::text FROM pg_namespace AS n WHERE n.nspname = 'ext12';
SET client_min_messages = warning;
SELECT ext12.ct_cleanup_grant_admin('regress_c12_admins');
RESET client_min_messages;
SELECT count(*) AS changed
FROM (SELECT * FROM regress_acl
      EXCEPT
      (SELECT p.oid::regprocedure::text, p.proacl::text FROM pg_proc AS p
       WHERE p.pronamespace = 'ext12'::regnamespace
       UNION ALL
       SELECT c.oid::regclass::text, c.relacl::text FROM pg_class AS c
       WHERE c.relnamespace = 'ext12'::regnamespace
       UNION ALL
       SELECT n.nspname, n.nspacl::text FROM pg_namespace AS n WHERE n.nspname = 'ext12')) AS d;
DROP TABLE regress_acl;

-- What the role holds now: nothing that changes the registry or the
-- settings, no report, no trigger function, nothing of uuid-ossp.
SELECT 'schema' AS kind, n.nspname AS object, a.privilege_type
FROM pg_namespace AS n CROSS JOIN LATERAL aclexplode(n.nspacl) AS a
WHERE n.nspname = 'ext12' AND a.grantee = 'regress_c12_admins'::regrole
UNION ALL
SELECT 'function', p.oid::regprocedure::text, a.privilege_type
FROM pg_proc AS p CROSS JOIN LATERAL aclexplode(p.proacl) AS a
WHERE p.pronamespace = 'ext12'::regnamespace AND a.grantee = 'regress_c12_admins'::regrole
UNION ALL
SELECT 'relation', c.oid::regclass::text, a.privilege_type
FROM pg_class AS c CROSS JOIN LATERAL aclexplode(c.relacl) AS a
WHERE c.relnamespace = 'ext12'::regnamespace AND a.grantee = 'regress_c12_admins'::regrole
ORDER BY 1, 2, 3;

-- The admin, not a superuser, uses everything, every name qualified.
SET ROLE regress_c12_alice;
SELECT * FROM ext12.ct_cleanup_check();
SELECT * FROM ext12.ct_cleanup_suggest();
SELECT * FROM ext12.ct_cleanup_people('client');
SELECT client_id = md5('c12-client')::uuid AS pair, conversations, total, audit_id
FROM ext12.ct_cleanup_preview(md5('c12-client')::uuid, md5('c12-trainer')::uuid);
SELECT category, target, rows
FROM ext12.ct_cleanup_explain(md5('c12-client')::uuid, md5('c12-trainer')::uuid);
SELECT position, category, target, kind FROM ext12.ct_cleanup_rules;
SELECT setting, value FROM ext12.ct_cleanup_settings WHERE value IS DISTINCT FROM default_value;
SELECT count(*) AS aliases FROM ext12.ct_cleanup_aliases;
SELECT conversations, total, audit_id IS NOT NULL AS audited
FROM ext12.ct_cleanup_many(ARRAY[md5('c12-client')::uuid], ARRAY[md5('c12-trainer')::uuid], 'check_12');
SELECT conversations, total FROM ext12.ct_cleanup_preview(md5('c12-client')::uuid, md5('c12-trainer')::uuid);
SELECT admin_role, total, reason FROM ext12.ct_cleanup_audit;
-- ... but not the registry, the settings, the reports, or the grants.
SELECT ext12.ct_cleanup_unregister(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ext12.ct_cleanup_set('clients', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ext12.ct_cleanup_check_report();
\echo :LAST_ERROR_SQLSTATE
SELECT ext12.ct_cleanup_grant_admin('regress_c12_alice');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Granted EXECUTE by mistake, ct_cleanup_grant_admin() still refuses anyone
-- but the extension owner and superusers, naming the role and what to do.
GRANT EXECUTE ON FUNCTION ext12.ct_cleanup_grant_admin(regrole) TO regress_c12_admins;
SET ROLE regress_c12_alice;
SELECT ext12.ct_cleanup_grant_admin('regress_c12_alice');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ext12.ct_cleanup_grant_admin(regrole) FROM regress_c12_admins;

-- Altered to SECURITY DEFINER, it refuses everyone, and the check says so.
BEGIN;
ALTER FUNCTION ext12.ct_cleanup_grant_admin(regrole) SECURITY DEFINER;
SELECT * FROM ext12.ct_cleanup_check();
SELECT ext12.ct_cleanup_grant_admin('regress_c12_admins');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- A NULL role; a role that is not an admin yet (a HINT says so).
SELECT ext12.ct_cleanup_grant_admin(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ext12.ct_cleanup_grant_admin('regress_c12_dashboard');

\c :regress_db
DROP DATABASE regress_check12;
DROP ROLE regress_c12_alice, regress_c12_dashboard, regress_c12_admins;

--
-- hardening: the holes a review reproduced in 1.1, each closed.  Every
-- statement below failed (or returned something else) on the code before.
--
--  1. code of the table owner never runs with the caller's rights, and
--     nothing it sets or creates outlives the call;
--  3. a batch of one distinct pair deletes and counts like a single call;
--  4. more than 64 registered tables;
--  5. an admin_check whose path does not end with pg_temp is refused;
--  7. a 20 000-pair batch runs with a bounded number of locks;
--  9. rows removed by a cascade outside their own rule count in batches too;
-- 11. the audit row records the session user next to the role.
-- (2 and 10 are isolation specs; 6 is sql/operators.sql.)
--
\set VERBOSITY terse

-- The fixture's settings at this point: only admin_role differs.
SELECT setting, value FROM ct_cleanup_settings WHERE value IS DISTINCT FROM default_value;

-- Pair 12 (client 12, trainer 3) has its 29 rows; pair 9 shares the trainer.
SELECT total FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));
SELECT total FROM ct_cleanup_preview(regress_client(9), regress_trainer(3));

------------------------------------------------------------------------------
-- 1. The table owner's code.
------------------------------------------------------------------------------

-- coach_app, the owner of the registered tables, plants a deferred
-- constraint trigger that would make it a superuser when run by one.
SET ROLE coach_app;
CREATE FUNCTION app.pwn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE coach_app SUPERUSER';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER pwn AFTER DELETE ON app.messages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app.pwn();
RESET ROLE;

-- A superuser's cleanup refuses, naming the trigger, and deletes nothing.
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'pwn');
SELECT rolsuper FROM pg_roles WHERE rolname = 'coach_app';
SELECT total FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));

-- The preview refuses too (it would fire nothing, but the registry is not
-- usable until the trigger changes).
SELECT total FROM ct_cleanup_preview(regress_client(9), regress_trainer(3));

-- INITIALLY IMMEDIATE: it fires inside the cleanup, as coach_app, which is
-- not a superuser: the cleanup works and coach_app stays what it was.
DROP TRIGGER pwn ON app.messages;
SET ROLE coach_app;
CREATE CONSTRAINT TRIGGER pwn AFTER DELETE ON app.messages
    DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION app.pwn();
RESET ROLE;
BEGIN;
SELECT messages, total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'immediate');
ROLLBACK;
SELECT rolsuper FROM pg_roles WHERE rolname = 'coach_app';

-- A caller that deferred every constraint gets PostgreSQL's refusal to fire
-- deferred triggers in a security-restricted operation, with a hint.
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'deferred');
ROLLBACK;
\set VERBOSITY default
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'deferred');
ROLLBACK;
\set VERBOSITY terse
SELECT rolsuper FROM pg_roles WHERE rolname = 'coach_app';
DROP TRIGGER pwn ON app.messages;
DROP FUNCTION app.pwn();

-- A deferred foreign key into a registered table is refused the same way,
-- naming the key and the command that fixes it.
SET ROLE coach_app;
CREATE TABLE app.h_pins (
    message_id uuid REFERENCES app.messages DEFERRABLE INITIALLY DEFERRED
);
RESET ROLE;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'deferred fk');
\set VERBOSITY default
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'deferred fk');
\set VERBOSITY terse
DROP TABLE app.h_pins;

-- The owner's triggers run as the owner, as a security-restricted
-- operation: what they SET (even without LOCAL) ends with the call, and
-- they can neither SET ROLE nor create temporary objects.
SET ROLE coach_app;
CREATE TABLE app.h_seen (who name, restricted_set_role text);
CREATE FUNCTION app.h_spy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('search_path', 'app_evil, public', false);
    PERFORM set_config('work_mem', '77MB', false);
    BEGIN
        SET ROLE postgres;
        INSERT INTO app.h_seen VALUES (current_user, 'allowed');
    EXCEPTION WHEN OTHERS THEN
        INSERT INTO app.h_seen VALUES (current_user, SQLERRM);
    END;
    RETURN NULL;
END $$;
CREATE TRIGGER h_spy AFTER DELETE ON app.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION app.h_spy();
RESET ROLE;
SHOW search_path;
SHOW work_mem;
BEGIN;
SELECT alerts, total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'spy');
-- Still the caller's settings, in the same transaction and after it.
SHOW search_path;
SHOW work_mem;
SELECT * FROM app.h_seen;
ROLLBACK;
SHOW search_path;
SHOW work_mem;
DROP TRIGGER h_spy ON app.alerts;

-- A trigger that creates a temporary table makes the cleanup fail, and the
-- table is not left behind in the caller's pg_temp.
SET ROLE coach_app;
CREATE FUNCTION app.h_temp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE h_left_behind (x int);
    RETURN NULL;
END $$;
CREATE TRIGGER h_temp AFTER DELETE ON app.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION app.h_temp();
RESET ROLE;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'temp');
SELECT count(*) AS left_behind FROM pg_class WHERE relname = 'h_left_behind';
SELECT total FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));
DROP TRIGGER h_temp ON app.alerts;
DROP FUNCTION app.h_temp(), app.h_spy();
DROP TABLE app.h_seen;

------------------------------------------------------------------------------
-- 3. A batch of one distinct pair, in a fresh backend and after a cleanup.
------------------------------------------------------------------------------

\c
\set VERBOSITY terse
BEGIN;
SELECT count(*) AS result_rows, sum(total) AS total, count(audit_id) AS audited
FROM ct_cleanup_many(ARRAY[regress_client(12), regress_client(12)],
                     ARRAY[regress_trainer(3), regress_trainer(3)], 'one pair twice');
SELECT total FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));
SELECT total, details->'app.messages' AS messages FROM ct_cleanup_audit
WHERE reason = 'one pair twice';
ROLLBACK;
BEGIN;
SELECT total FROM ct_cleanup(regress_client(9), regress_trainer(3));
SELECT count(*) AS result_rows, sum(total) AS total
FROM ct_cleanup_many(ARRAY[regress_client(12), regress_client(12)],
                     ARRAY[regress_trainer(3), regress_trainer(3)]);
SELECT total FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));
ROLLBACK;

-- (a, b) with (b, a): the "either" rows (messages and their receipts,
-- alerts) go to the first pair, as two single calls in that order would.
BEGIN;
SELECT total, messages, read_receipts, alerts
FROM ct_cleanup(regress_client(12), regress_trainer(3));
SELECT total, messages, read_receipts, alerts
FROM ct_cleanup(regress_trainer(3), regress_client(12));
ROLLBACK;
BEGIN;
SELECT client_id = regress_client(12) AS client_first, total, messages, read_receipts, alerts
FROM ct_cleanup_many(ARRAY[regress_client(12), regress_trainer(3)],
                     ARRAY[regress_trainer(3), regress_client(12)]);
ROLLBACK;
SELECT client_id = regress_client(12) AS client_first, total, messages, read_receipts, alerts
FROM ct_cleanup_preview_many(ARRAY[regress_client(12), regress_trainer(3)],
                             ARRAY[regress_trainer(3), regress_client(12)]);

------------------------------------------------------------------------------
-- 9. Rows an ON DELETE CASCADE key removes outside their table's own rule
--    (a third person's post in the pair's thread) are counted, in a batch
--    as in single calls.
------------------------------------------------------------------------------

CREATE SCHEMA w9 AUTHORIZATION coach_app;
SET ROLE coach_app;
CREATE TABLE w9.threads (id int PRIMARY KEY, client_id uuid, trainer_id uuid);
CREATE TABLE w9.posts (id int PRIMARY KEY, thread_id int REFERENCES w9.threads ON DELETE CASCADE,
                       author_id uuid, recipient_id uuid);
-- thread 1: pair 12; thread 2: pair 9; each has one post of the pair and one
-- of a third person (client 1) to the trainer
INSERT INTO w9.threads VALUES (1, regress_client(12), regress_trainer(3)),
                              (2, regress_client(9), regress_trainer(3));
INSERT INTO w9.posts VALUES (1, 1, regress_client(12), regress_trainer(3)),
                            (2, 1, regress_client(1), regress_trainer(3)),
                            (3, 2, regress_trainer(3), regress_client(9)),
                            (4, 2, regress_client(1), regress_trainer(3));
RESET ROLE;
SELECT ct_cleanup_register('other', 'w9.threads', 'client_id', 'trainer_id');
SELECT ct_cleanup_register_either('other', 'w9.posts', 'author_id', 'recipient_id');
BEGIN;
SELECT details->'w9.posts' AS posts, details->'w9.threads' AS threads
FROM ct_cleanup(regress_client(12), regress_trainer(3));
SELECT details->'w9.posts' AS posts, details->'w9.threads' AS threads
FROM ct_cleanup(regress_client(9), regress_trainer(3));
ROLLBACK;
BEGIN;
SELECT client_id = regress_client(12) AS pair_12, details->'w9.posts' AS posts,
       details->'w9.threads' AS threads
FROM ct_cleanup_many(ARRAY[regress_client(12), regress_client(9)],
                     ARRAY[regress_trainer(3), regress_trainer(3)]);
SELECT count(*) AS posts_left FROM w9.posts;
ROLLBACK;
SELECT ct_cleanup_unregister('w9.posts'), ct_cleanup_unregister('w9.threads');
DROP SCHEMA w9 CASCADE;

------------------------------------------------------------------------------
-- Partitions (review findings): a foreign key declared on one partition
-- only is followed for the order and the cascade counts; a table and its
-- partition cannot both be registered.
------------------------------------------------------------------------------

CREATE SCHEMA w5 AUTHORIZATION coach_app;
SET ROLE coach_app;
CREATE TABLE w5.threads (id int PRIMARY KEY, client_id uuid, trainer_id uuid);
CREATE TABLE w5.posts (id int, kind text, thread_id int, author_id uuid, recipient_id uuid)
    PARTITION BY LIST (kind);
CREATE TABLE w5.posts_a PARTITION OF w5.posts FOR VALUES IN ('a');
CREATE TABLE w5.posts_b PARTITION OF w5.posts FOR VALUES IN ('b');
ALTER TABLE w5.posts_a ADD FOREIGN KEY (thread_id) REFERENCES w5.threads ON DELETE CASCADE;
INSERT INTO w5.threads VALUES (1, regress_client(12), regress_trainer(3));
-- post 1 of the pair (in thread 1); post 2 from the trainer to the client,
-- which the pair rule (author = client) does not match; post 3 of a third
-- person in thread 1, which the cascade removes with the thread
INSERT INTO w5.posts VALUES (1, 'a', 1, regress_client(12), regress_trainer(3)),
                            (2, 'b', NULL, regress_trainer(3), regress_client(12)),
                            (3, 'a', 1, regress_client(1), regress_trainer(3));
RESET ROLE;
SELECT ct_cleanup_register('other', 'w5.posts', 'author_id', 'recipient_id');
SELECT ct_cleanup_register('other', 'w5.threads', 'client_id', 'trainer_id');
-- posts come before threads although the key is on posts_a only
SELECT target FROM ct_cleanup_rules WHERE target::text LIKE 'w5.%' ORDER BY position;
SELECT details->'w5.posts' AS posts FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));
BEGIN;
SELECT details->'w5.posts' AS posts, details->'w5.threads' AS threads
FROM ct_cleanup(regress_client(12), regress_trainer(3));
SELECT array_agg(id) AS posts_left FROM w5.posts;
ROLLBACK;
-- the partition of a registered table, and the other way round
SELECT * FROM regress_error($$SELECT ct_cleanup_register('other', 'w5.posts_a', 'author_id', 'recipient_id')$$);
SELECT ct_cleanup_unregister('w5.posts');
SELECT ct_cleanup_register('other', 'w5.posts_b', 'author_id', 'recipient_id');
SELECT * FROM regress_error($$SELECT ct_cleanup_register('other', 'w5.posts', 'author_id', 'recipient_id')$$);
SELECT ct_cleanup_unregister('w5.posts_b'), ct_cleanup_unregister('w5.threads');
DROP SCHEMA w5 CASCADE;

-- A report overloaded by someone who may create in the extension's schema
-- is refused, naming the overload.
CREATE FUNCTION public.ct_cleanup_check_report(x int DEFAULT 0)
    RETURNS TABLE (severity text, object text, problem text, hint text)
    LANGUAGE plpgsql AS $$ BEGIN RETURN; END $$;
SELECT * FROM regress_error($$SELECT * FROM ct_cleanup_check()$$);
DROP FUNCTION public.ct_cleanup_check_report(int);

------------------------------------------------------------------------------
-- 4. 200 registered tables (more than the old plan cache held).
------------------------------------------------------------------------------

CREATE SCHEMA w200 AUTHORIZATION coach_app;
SET ROLE coach_app;
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXECUTE format('CREATE TABLE w200.%I (client_id uuid, trainer_id uuid)', 't' || i);
        EXECUTE format('INSERT INTO w200.%I VALUES ($1, $2), ($1, $3)', 't' || i)
            USING regress_client(12), regress_trainer(3), regress_trainer(1);
    END LOOP;
END $$;
RESET ROLE;
SELECT count(ct_cleanup_register('other', format('w200.%I', 't' || i)::regclass,
                                 'client_id', 'trainer_id'))
FROM generate_series(1, 200) AS i;
SELECT other, total FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));
BEGIN;
SELECT other, total FROM ct_cleanup(regress_client(12), regress_trainer(3));
SELECT client_id = regress_client(12) AS first, other, total
FROM ct_cleanup_many(ARRAY[regress_client(12), regress_client(12)],
                     ARRAY[regress_trainer(3), regress_trainer(1)]);
SELECT sum(n) AS w200_rows_left
FROM (SELECT (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM w200.%I', 't' || i), false, true, '')))[1]::text::int AS n
      FROM generate_series(1, 200) AS i) AS s;
ROLLBACK;
SELECT count(ct_cleanup_unregister(format('w200.%I', 't' || i)::regclass))
FROM generate_series(1, 200) AS i;
DROP SCHEMA w200 CASCADE;

------------------------------------------------------------------------------
-- 5. admin_check and actor_id: pg_temp, writable schemas, owners.
------------------------------------------------------------------------------

-- The predicate of a DBA: owned by a superuser, in a schema only a
-- superuser may create in, reading an unqualified user_roles.
CREATE SCHEMA regress_adm;
CREATE TABLE regress_adm.user_roles (user_name name, role text);
CREATE FUNCTION regress_adm.is_admin() RETURNS boolean LANGUAGE sql STABLE
SET search_path = regress_adm AS $$
    SELECT EXISTS (SELECT 1 FROM user_roles
                   WHERE user_name = current_user AND role = 'admin')
$$;
GRANT USAGE ON SCHEMA regress_adm TO regress_bob;
GRANT SELECT ON regress_adm.user_roles TO regress_bob;

-- A path without pg_temp (searched first for tables) is refused.
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()')$$);
-- So is one where pg_temp is not last, one with pg_temp first and last,
-- and "$user".
ALTER FUNCTION regress_adm.is_admin() SET search_path = pg_temp, regress_adm;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()')$$);
ALTER FUNCTION regress_adm.is_admin() SET search_path = pg_temp, regress_adm, pg_temp;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()')$$);
ALTER FUNCTION regress_adm.is_admin() SET search_path = "$user", regress_adm, pg_temp;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()')$$);
-- A schema someone else owns or may create in: the application's own
-- schema (owned by coach_app), one that does not exist, public.
ALTER FUNCTION regress_adm.is_admin() SET search_path = app, regress_adm, pg_temp;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()')$$);
ALTER FUNCTION regress_adm.is_admin() SET search_path = regress_nowhere, regress_adm, pg_temp;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()')$$);
ALTER FUNCTION regress_adm.is_admin() SET search_path = public, regress_adm, pg_temp;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()')$$);
-- pg_temp listed last, trusted schemas only: accepted.
ALTER FUNCTION regress_adm.is_admin() SET search_path = regress_adm, pg_temp;
SELECT ct_cleanup_set('admin_check', 'regress_adm.is_admin()');

-- bob shadows user_roles with a temp table: still not an admin.
SET ROLE regress_bob;
CREATE TEMP TABLE user_roles AS SELECT 'regress_bob'::name AS user_name, 'admin' AS role;
SELECT ct_cleanup_is_admin();
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(12), regress_trainer(3))$$);
RESET ROLE;

-- Altered back to the unsafe path after ct_cleanup_set: refused at use.
ALTER FUNCTION regress_adm.is_admin() SET search_path = regress_adm;
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT ct_cleanup_is_admin()$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(12), regress_trainer(3))$$);
RESET ROLE;

-- A schema of the path that the caller (or anyone) may create objects in
-- is refused at use.
ALTER FUNCTION regress_adm.is_admin() SET search_path = regress_adm, pg_temp;
GRANT CREATE ON SCHEMA regress_adm TO regress_bob;
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT ct_cleanup_is_admin()$$);
RESET ROLE;
REVOKE CREATE ON SCHEMA regress_adm FROM regress_bob;

-- A real admin row makes bob an admin: the predicate itself works.
INSERT INTO regress_adm.user_roles VALUES ('regress_bob', 'admin');
SET ROLE regress_bob;
SELECT ct_cleanup_is_admin();
DROP TABLE pg_temp.user_roles;
RESET ROLE;
SELECT ct_cleanup_set('admin_check', NULL);

-- An invoker function owned by someone else would run its owner's code
-- with the caller's rights (actor_id runs for superusers too): refused at
-- set time, and at use after a change of owner; SECURITY DEFINER is fine.
SET ROLE coach_app;
CREATE FUNCTION app.grab() RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE coach_app SUPERUSER';
    END IF;
    RETURN 'someone';
END $$;
RESET ROLE;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('actor_id', 'app.grab()')$$);
-- A SQL-standard body owned by a superuser that calls it: refused too.
CREATE FUNCTION regress_adm.actor() RETURNS text LANGUAGE sql STABLE RETURN app.grab();
SELECT * FROM regress_error($$SELECT ct_cleanup_set('actor_id', 'regress_adm.actor()')$$);
-- A SQL-standard body that reads a table (or view, or domain) someone else
-- owns: refused, its owner's triggers, rules and checks would run with the
-- caller's rights.
CREATE FUNCTION regress_adm.actor3() RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC SELECT pg_catalog.count(*)::text FROM app.profiles; END;
SELECT * FROM regress_error($$SELECT ct_cleanup_set('actor_id', 'regress_adm.actor3()')$$);
-- Owned by a superuser when set, given away afterwards: refused at use,
-- before anything is deleted, and coach_app stays what it was.
CREATE FUNCTION regress_adm.actor2() RETURNS text LANGUAGE sql STABLE RETURN 'someone';
SELECT ct_cleanup_set('actor_id', 'regress_adm.actor2()');
ALTER FUNCTION regress_adm.actor2() OWNER TO coach_app;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(12), regress_trainer(3))$$);
SELECT rolsuper FROM pg_roles WHERE rolname = 'coach_app';
-- SECURITY DEFINER: runs as coach_app, lends nothing; accepted.
ALTER FUNCTION app.grab() SECURITY DEFINER;
SELECT ct_cleanup_set('actor_id', 'app.grab()');
BEGIN;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'definer actor');
SELECT actor_id FROM ct_cleanup_audit WHERE reason = 'definer actor';
ROLLBACK;
SELECT rolsuper FROM pg_roles WHERE rolname = 'coach_app';
SELECT ct_cleanup_set('actor_id', NULL);
DROP SCHEMA regress_adm CASCADE;
DROP FUNCTION app.grab();

------------------------------------------------------------------------------
-- 7. Lock footprint of a batch.
------------------------------------------------------------------------------

-- 64 distinct pairs: the shared global key and one key per pair.
BEGIN;
SELECT count(*) AS pairs, sum(total) AS total
FROM ct_cleanup_many(ARRAY(SELECT md5('nobody-c-' || g)::uuid FROM generate_series(1, 64) g),
                     ARRAY(SELECT md5('nobody-t-' || g)::uuid FROM generate_series(1, 64) g));
SELECT mode, count(*) FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() GROUP BY mode ORDER BY mode;
ROLLBACK;
-- 20 000 distinct pairs: one exclusive key, and the batch runs.
BEGIN;
SELECT count(*) AS pairs, sum(total) AS total, count(audit_id) AS audited
FROM ct_cleanup_many(ARRAY(SELECT md5('nobody-c-' || g)::uuid FROM generate_series(1, 20000) g),
                     ARRAY(SELECT md5('nobody-t-' || g)::uuid FROM generate_series(1, 20000) g));
SELECT mode, count(*) FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() GROUP BY mode ORDER BY mode;
ROLLBACK;
-- A real pair among them is still cleaned, and counted for itself.
BEGIN;
SELECT count(*) AS pairs, sum(total) AS total
FROM ct_cleanup_many(ARRAY(SELECT md5('nobody-c-' || g)::uuid FROM generate_series(1, 99) g) || regress_client(12),
                     ARRAY(SELECT md5('nobody-t-' || g)::uuid FROM generate_series(1, 99) g) || regress_trainer(3));
ROLLBACK;

------------------------------------------------------------------------------
-- 11. The audit row names the session user too.
------------------------------------------------------------------------------

GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text) TO regress_noinherit;
SET SESSION AUTHORIZATION regress_noinherit;
SET ROLE regress_admins;
BEGIN;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'set role');
SELECT admin_role, session_role FROM ct_cleanup_audit WHERE reason = 'set role';
ROLLBACK;
RESET ROLE;
RESET SESSION AUTHORIZATION;
REVOKE EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text) FROM regress_noinherit;

------------------------------------------------------------------------------
-- 13. A temporary table cannot be registered: it vanishes with its session
--     without the DROP that would remove its rule.
------------------------------------------------------------------------------

CREATE TEMP TABLE h_temp_pairs (client_id uuid, trainer_id uuid);
SELECT code, regexp_replace(message, 'pg_temp_\d+', 'pg_temp_N') AS message
FROM regress_error($$SELECT ct_cleanup_register('other', 'h_temp_pairs', 'client_id', 'trainer_id')$$);
DROP TABLE h_temp_pairs;

-- Everything this file changed is back.
SELECT total FROM ct_cleanup_preview(regress_client(12), regress_trainer(3));
SELECT count(*) AS rules FROM ct_cleanup_rules;
SELECT setting, value FROM ct_cleanup_settings WHERE value IS DISTINCT FROM default_value;

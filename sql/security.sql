--
-- security: the attack suite.  Each numbered attack is a test that fails if
-- its defence is removed.  The target is pair 10 (client 10, trainer 1),
-- which must keep its 29 rows through every attack; the closing check
-- counts every row of every registered table.
--
--  1  non-admin                          9  predicate reading pg_temp objects
--  2  NOINHERIT member without SET ROLE 10  unpinned predicate
--  3  admin who is not the owner        11  direct writes to extension tables
--  4  confused deputy                   12  audit tampering (also as replica)
--  5  expression index under ANALYZE,   13  trigger escalation
--     VACUUM, REINDEX                   14  FORCE ROW LEVEL SECURITY
--  6  functions altered to DEFINER      15  SQL in identifiers and categories
--  7  search_path hijack of = for uuid  16  NULL, equal and unknown ids
--  8  registry tampering
--  Forged JWT claims outside a request: postgrest.sql.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE SCHEMA regress_bob_schema AUTHORIZATION regress_bob;
GRANT EXECUTE ON FUNCTION ct_cleanup_people(text, text, integer) TO regress_bob;
CREATE TEMP TABLE rows_before AS SELECT * FROM regress_table_rows();

-- Attack 1, non-admin: bob, granted EXECUTE, is refused by every function
-- that reads or deletes a pair's data (42501).
SET ROLE regress_bob;
SELECT ct_cleanup_is_admin() AS bob_is_admin;
SELECT * FROM ct_cleanup(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ct_cleanup_people('client');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Attack 2, NOINHERIT member of the admin role without SET ROLE: not an
-- admin (has_privs_of_role), refused although granted EXECUTE itself.
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text) TO regress_noinherit;
SET ROLE regress_noinherit;
SELECT ct_cleanup_is_admin() AS noinherit_is_admin;
SELECT total FROM ct_cleanup(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text) FROM regress_noinherit;

-- Attack 3, admin who is not the extension owner changing the registry or
-- the settings, even when granted EXECUTE: refused (42501).
GRANT EXECUTE ON FUNCTION ct_cleanup_set(text, text),
    ct_cleanup_register(text, regclass, name, name),
    ct_cleanup_unregister(regclass) TO regress_alice;
SELECT 'app.alerts'::regclass::oid AS alerts_oid \gset
SET ROLE regress_alice;
SELECT ct_cleanup_set('admin_role', 'regress_alice');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_register('x', :alerts_oid::regclass, 'user_id', 'related_user_id');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_unregister(:alerts_oid::regclass);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ct_cleanup_set(text, text),
    ct_cleanup_register(text, regclass, name, name),
    ct_cleanup_unregister(regclass) FROM regress_alice;

-- Attack 4, confused deputy: bob's SECURITY DEFINER function calls
-- ct_cleanup; alice (an admin) calling it must not lend bob her rights.
SET ROLE regress_bob;
CREATE FUNCTION regress_bob_schema.harmless() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    RETURN (ct_cleanup(regress_client(10), regress_trainer(1))).total;
GRANT USAGE ON SCHEMA regress_bob_schema TO regress_alice;
SET ROLE regress_alice;
SELECT regress_bob_schema.harmless();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Attack 5, expression index: bob's index expression calls ct_cleanup once
-- armed; a superuser's ANALYZE, VACUUM and REINDEX evaluate it as bob inside
-- a security-restricted operation, which ct_cleanup refuses.
SET ROLE regress_bob;
CREATE TABLE regress_bob_schema.armed (on_ boolean);
INSERT INTO regress_bob_schema.armed VALUES (false);
CREATE FUNCTION regress_bob_schema.idx(i int) RETURNS int
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF (SELECT on_ FROM regress_bob_schema.armed) THEN
        PERFORM ct_cleanup(regress_client(10), regress_trainer(1));
    END IF;
    RETURN i;
END $$;
CREATE TABLE regress_bob_schema.t (i int);
INSERT INTO regress_bob_schema.t SELECT generate_series(1, 10);
CREATE INDEX ON regress_bob_schema.t (regress_bob_schema.idx(i));
UPDATE regress_bob_schema.armed SET on_ = true;
RESET ROLE;
ANALYZE regress_bob_schema.t;
\echo :LAST_ERROR_SQLSTATE
VACUUM ANALYZE regress_bob_schema.t;
\echo :LAST_ERROR_SQLSTATE
VACUUM FULL regress_bob_schema.t;
\echo :LAST_ERROR_SQLSTATE
REINDEX TABLE regress_bob_schema.t;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE regress_bob_schema.t;

-- Attack 6, functions altered to SECURITY DEFINER: they would then see their
-- owner as every caller; they refuse to run at all, even for a superuser.
ALTER FUNCTION ct_cleanup(uuid, uuid, text) SECURITY DEFINER;
SET ROLE regress_bob;
SELECT total FROM ct_cleanup(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT total FROM ct_cleanup(regress_client(10), regress_trainer(1));
\echo :LAST_ERROR_SQLSTATE
ALTER FUNCTION ct_cleanup(uuid, uuid, text) SECURITY INVOKER;
ALTER FUNCTION ct_cleanup_is_admin() SECURITY DEFINER;
SET ROLE regress_bob;
SELECT ct_cleanup_is_admin();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
ALTER FUNCTION ct_cleanup_is_admin() SECURITY INVOKER;

-- Attack 7, search_path hijack of "=" for uuid.
-- (a) An "=" that is always true, first on the admin's own search_path: the
-- entry points run with their pinned search_path, so the caller's is never
-- seen; only pair 12's 29 rows go.
SET ROLE regress_bob;
CREATE FUNCTION regress_bob_schema.always(uuid, uuid) RETURNS boolean
    LANGUAGE sql IMMUTABLE RETURN true;
CREATE OPERATOR regress_bob_schema.= (
    LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = regress_bob_schema.always);
SET ROLE regress_alice;
SET search_path = regress_bob_schema, public, pg_catalog;
SELECT regress_client(1) = regress_client(2) AS hijacked_equals;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'with a hostile search_path');
RESET search_path;
RESET ROLE;
-- (b) The statements' own qualification, where (a) cannot reach it: for this
-- test only, a superuser gives ct_cleanup_preview and ct_cleanup a path with
-- public before pg_catalog, and plants in public an exact-match
-- =(uuid, uuid) spy that counts its calls and matches everything.
SELECT p.proconfig AS preview_config, substr(c, length('search_path=') + 1) AS preview_path
FROM pg_proc p, unnest(p.proconfig) c
WHERE p.oid = 'ct_cleanup_preview(uuid, uuid)'::regprocedure AND c LIKE 'search_path=%' \gset
SELECT p.proconfig AS cleanup_config, substr(c, length('search_path=') + 1) AS cleanup_path
FROM pg_proc p, unnest(p.proconfig) c
WHERE p.oid = 'ct_cleanup(uuid, uuid, text)'::regprocedure AND c LIKE 'search_path=%' \gset
CREATE SEQUENCE regress_spy_calls;
GRANT USAGE ON SEQUENCE regress_spy_calls TO PUBLIC;
CREATE FUNCTION public.regress_spy(uuid, uuid) RETURNS boolean
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.regress_spy_calls');
    RETURN true;
END $$;
CREATE OPERATOR public.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = public.regress_spy);
CREATE FUNCTION regress_spy_calls() RETURNS bigint LANGUAGE sql
    RETURN (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM regress_spy_calls);
ALTER FUNCTION ct_cleanup_preview(uuid, uuid) SET search_path = public, pg_catalog, pg_temp;
ALTER FUNCTION ct_cleanup(uuid, uuid, text) SET search_path = public, pg_catalog, pg_temp;
-- Control: under that path an unqualified "=" is the spy, and a hand-written
-- count of pair 10's conversations finds every conversation; qualified with
-- OPERATOR(pg_catalog.=), it finds the pair's one.
CREATE FUNCTION regress_conversations(c uuid, t uuid, qualified boolean) RETURNS bigint
    LANGUAGE plpgsql SET search_path = public, pg_catalog, pg_temp AS $$
BEGIN
    IF qualified THEN
        RETURN (SELECT count(*) FROM app.conversations
                WHERE client_id OPERATOR(pg_catalog.=) c AND trainer_id OPERATOR(pg_catalog.=) t);
    END IF;
    RETURN (SELECT count(*) FROM app.conversations WHERE client_id = c AND trainer_id = t);
END $$;
SELECT regress_conversations(regress_client(10), regress_trainer(1), false) AS unqualified,
       regress_spy_calls() > 0 AS spy_called,
       (SELECT count(*) FROM app.conversations) AS all_conversations;
SELECT setval('regress_spy_calls', 1, false) AS reset \gset
SELECT regress_conversations(regress_client(10), regress_trainer(1), true) AS qualified,
       regress_spy_calls() AS spy_calls;
-- The preview, by an admin, counts pair 10's 29 rows, and the spy is never
-- called; so does a cleanup of pair 12, already empty (in a transaction that
-- is rolled back).
SET ROLE regress_alice;
SELECT total FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
BEGIN;
SELECT total FROM ct_cleanup(regress_client(12), regress_trainer(3), 'with a hostile function path');
ROLLBACK;
RESET ROLE;
SELECT regress_spy_calls() AS spy_calls;
-- The functions' own paths restored: their proconfig is exactly as before.
ALTER FUNCTION ct_cleanup_preview(uuid, uuid) SET search_path = :preview_path;
ALTER FUNCTION ct_cleanup(uuid, uuid, text) SET search_path = :cleanup_path;
SELECT (SELECT proconfig FROM pg_proc WHERE oid = 'ct_cleanup_preview(uuid, uuid)'::regprocedure)
           = :'preview_config' AS preview_config_restored,
       (SELECT proconfig FROM pg_proc WHERE oid = 'ct_cleanup(uuid, uuid, text)'::regprocedure)
           = :'cleanup_config' AS cleanup_config_restored;
DROP FUNCTION regress_conversations(uuid, uuid, boolean), regress_spy_calls();
DROP OPERATOR public.= (uuid, uuid);
DROP FUNCTION public.regress_spy(uuid, uuid);
DROP SEQUENCE regress_spy_calls;

-- Attack 8, registry tampering: bob (and alice, an admin) cannot read or
-- write the registry or settings; only their functions change them.
SET ROLE regress_bob;
SELECT count(*) FROM ct_cleanup_rules;
\echo :LAST_ERROR_SQLSTATE
UPDATE ct_cleanup_rule SET column_a = column_b;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ct_cleanup_setting VALUES ('admin_role', 'regress_bob');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_set('admin_role', 'regress_bob');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Attacks 9 and 10, an application predicate that does not pin its
-- search_path: it reads "user_roles" through the caller's search_path, so
-- bob shadows it with his own temporary table and passes it.  ct_cleanup_set
-- refuses such a predicate (22023); one that loses its pin after being set
-- is refused at its next use (55000).
-- The predicates run with the caller's rights, so they belong to a
-- superuser, in a schema only a superuser may create in (regress_pred).
CREATE SCHEMA regress_pred;
CREATE TABLE regress_pred.user_roles (user_id name, role text);
CREATE FUNCTION regress_pred.unpinned_is_admin() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM user_roles WHERE user_id = current_user AND role = 'admin');
END $$;
CREATE FUNCTION regress_pred.pinned_is_admin() RETURNS boolean LANGUAGE plpgsql STABLE
    SET search_path = regress_pred, pg_temp AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM user_roles WHERE user_id = current_user AND role = 'admin');
END $$;
GRANT USAGE ON SCHEMA regress_pred TO regress_bob;
GRANT SELECT ON regress_pred.user_roles TO regress_bob;
SET ROLE regress_bob;
CREATE TEMP TABLE user_roles AS SELECT 'regress_bob'::name AS user_id, 'admin' AS role;
SET search_path = pg_temp, regress_pred;
SELECT regress_pred.unpinned_is_admin() AS shadowed_predicate_says;
RESET search_path;
RESET ROLE;
SELECT ct_cleanup_set('admin_check', 'regress_pred.unpinned_is_admin()');
\echo :LAST_ERROR_SQLSTATE
SELECT ct_cleanup_set('admin_check', 'regress_pred.pinned_is_admin()');
SET ROLE regress_bob;
SET search_path = pg_temp, regress_pred, public;
SELECT ct_cleanup_is_admin() AS pinned_predicate_says;
RESET search_path;
RESET ROLE;
ALTER FUNCTION regress_pred.pinned_is_admin() RESET search_path;
SET ROLE regress_bob;
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(10), regress_trainer(1))$$);
DROP TABLE pg_temp.user_roles;
RESET ROLE;
SELECT ct_cleanup_set('admin_check', NULL);
DROP SCHEMA regress_pred CASCADE;

-- Attack 11, direct writes to every extension table, by a non-admin and by
-- an admin: INSERT, UPDATE, DELETE and TRUNCATE are all refused (42501).
CREATE TEMP TABLE attempts AS
SELECT t, cmd FROM unnest(ARRAY['ct_cleanup_rule', 'ct_cleanup_setting', 'ct_cleanup_audit']) t,
     unnest(ARRAY['INSERT INTO %s DEFAULT VALUES', 'UPDATE %s SET total = total',
                  'DELETE FROM %s', 'TRUNCATE %s']) cmd;
UPDATE attempts SET cmd = replace(cmd, 'total = total', 'setting = setting') WHERE t = 'ct_cleanup_setting';
UPDATE attempts SET cmd = replace(cmd, 'total = total', 'kind = kind') WHERE t = 'ct_cleanup_rule';
GRANT SELECT ON attempts TO regress_bob, regress_alice;
SET ROLE regress_bob;
SELECT split_part(cmd, ' ', 1) AS command, t AS target, (regress_error(format(cmd, t))).code AS bob
FROM attempts ORDER BY 2, 1;
SET ROLE regress_alice;
SELECT split_part(cmd, ' ', 1) AS command, t AS target, (regress_error(format(cmd, t))).code AS alice
FROM attempts ORDER BY 2, 1;
RESET ROLE;

-- Attack 12, audit tampering by a role granted UPDATE, DELETE and TRUNCATE:
-- the append-only trigger refuses, also under session_replication_role =
-- replica (the trigger is ENABLE ALWAYS).
GRANT SELECT, UPDATE, DELETE, TRUNCATE ON ct_cleanup_audit TO regress_bob;
SET ROLE regress_bob;
UPDATE ct_cleanup_audit SET reason = 'tampered';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM ct_cleanup_audit;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE ct_cleanup_audit;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET session_replication_role = replica;
SET ROLE regress_bob;
DELETE FROM ct_cleanup_audit;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
RESET session_replication_role;
REVOKE ALL ON ct_cleanup_audit FROM regress_bob;
SELECT count(*) AS audit_rows_kept, count(*) FILTER (WHERE reason = 'tampered') AS tampered
FROM ct_cleanup_audit;

-- Attack 13, trigger escalation: a trigger on an application table runs as
-- the table's owner (coach_app), never as the superuser that installed
-- ct_cleanup nor as the calling admin.
SET ROLE coach_app;
CREATE TABLE app.trigger_log (who name, superuser boolean);
CREATE FUNCTION app.log_deleter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.trigger_log
    SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;
    RETURN OLD;
END $$;
CREATE TRIGGER log_deleter BEFORE DELETE ON app.alerts
    FOR EACH ROW EXECUTE FUNCTION app.log_deleter();
RESET ROLE;
SET ROLE regress_alice;
SELECT alerts FROM ct_cleanup(regress_client(1), regress_trainer(1));
RESET ROLE;
SELECT who, superuser, count(*) FROM app.trigger_log GROUP BY 1, 2;
DROP TRIGGER log_deleter ON app.alerts;
DROP TABLE app.trigger_log;
DROP FUNCTION app.log_deleter();

-- Attack 14, FORCE ROW LEVEL SECURITY with a policy hiding every row: the
-- cleanup still sees and deletes the pair's rows (SECURITY_NOFORCE_RLS).
ALTER TABLE app.engagement_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.engagement_records FORCE ROW LEVEL SECURITY;
CREATE POLICY hide_all ON app.engagement_records USING (false);
SET ROLE coach_app;
SELECT count(*) AS owner_sees_under_force FROM app.engagement_records;
RESET ROLE;
SET ROLE regress_alice;
SELECT engagement_records, total FROM ct_cleanup_preview(regress_client(2), regress_trainer(2));
SELECT engagement_records, total FROM ct_cleanup(regress_client(2), regress_trainer(2));
RESET ROLE;
DROP POLICY hide_all ON app.engagement_records;
ALTER TABLE app.engagement_records NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app.engagement_records DISABLE ROW LEVEL SECURITY;

-- Attack 15, SQL in identifiers and categories: a table and column named
-- like injections are quoted and work; SQL as a category or column argument
-- is refused (more in register.sql).
SET ROLE coach_app;
CREATE TABLE app."x; DROP TABLE app.profiles; --" (
    "a"" OR true --" uuid, "select" uuid);
INSERT INTO app."x; DROP TABLE app.profiles; --"
VALUES (regress_client(10), regress_trainer(1)), (regress_client(2), regress_trainer(1));
RESET ROLE;
SELECT ct_cleanup_register('injected', 'app."x; DROP TABLE app.profiles; --"', 'a" OR true --', 'select');
SELECT other, total FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
SELECT ct_cleanup_unregister('app."x; DROP TABLE app.profiles; --"');
DROP TABLE app."x; DROP TABLE app.profiles; --";
SELECT * FROM regress_error($$SELECT ct_cleanup_register('a''; DROP TABLE app.profiles; --', 'app.alerts', 'user_id', 'related_user_id')$$);
SELECT * FROM regress_error($$SELECT ct_cleanup_register('x', 'app.alerts', 'user_id" = user_id OR "user_id', 'related_user_id')$$);

-- Attack 16, NULL, equal and unknown ids: 22004, 22023, and nothing to delete.
SET ROLE regress_alice;
SELECT * FROM regress_error($$SELECT ct_cleanup(NULL, regress_trainer(1))$$);
SELECT * FROM regress_error($$SELECT ct_cleanup(regress_client(10), regress_client(10))$$);
SELECT total FROM ct_cleanup('00000000-0000-0000-0000-00000000a0f1', '00000000-0000-0000-0000-00000000b0f1', 'unknown ids');
RESET ROLE;

-- Pair 10 survived every attack, and only the pairs cleaned above (1, 2, 12;
-- 29 rows each) are gone: every other row of every table is still there.
SELECT total AS pair_10_at_end FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
SELECT sum(b.n) - sum(a.n) AS rows_gone, 3 * 29 AS expected
FROM rows_before b JOIN regress_table_rows() a USING (target);

DROP TABLE rows_before, attempts;
REVOKE EXECUTE ON FUNCTION ct_cleanup_people(text, text, integer) FROM regress_bob;
DROP SCHEMA regress_bob_schema CASCADE;

--
-- security: attacks on the rights ct_cleanup switches to, each a named test
-- that fails if the defence is removed.  Target: pair 10 (client 10,
-- trainer 1), which must keep its 29 rows through every attack.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE SCHEMA regress_bob_schema AUTHORIZATION regress_bob;

-- Attack 1, confused deputy: bob's SECURITY DEFINER function calls
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
SELECT total AS pair_10_after_attack_1 FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));

-- Attack 2, expression index: bob's index expression calls ct_cleanup once
-- armed; a superuser's ANALYZE, VACUUM FULL and REINDEX evaluate it as bob
-- inside a security-restricted operation, which ct_cleanup refuses.
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
VACUUM FULL regress_bob_schema.t;
\echo :LAST_ERROR_SQLSTATE
REINDEX TABLE regress_bob_schema.t;
\echo :LAST_ERROR_SQLSTATE
SELECT total AS pair_10_after_attack_2 FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
DROP TABLE regress_bob_schema.t;

-- Attack 3, ct_cleanup altered to SECURITY DEFINER: it would then see its
-- owner as every caller; it refuses to run at all, even for a superuser.
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
SELECT total AS pair_10_after_attack_3 FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));

-- Attack 4, search_path hijack: an "=" for uuid that is always true, in a
-- schema first on the admin's search_path.  The generated statement uses
-- OPERATOR(pg_catalog.=), so only the pair's rows go.
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
-- 7 of the 12 pairs are gone by now (3, 4, 7, 8, 9, 11, 12): 5 x 29 rows left.
SELECT sum(n) AS rows_left, 5 * 29 AS expected FROM regress_table_rows();

-- Attack 5, trigger escalation: a trigger on an application table runs as
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

-- Attack 6, FORCE ROW LEVEL SECURITY with a policy hiding every row: the
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

-- Attack 7, hostile identifiers and category names: see register.sql
-- (quoted table and column names, SQL in category and column arguments).

-- Pair 10 survived every attack.
SELECT total AS pair_10_at_end FROM ct_cleanup_preview(regress_client(10), regress_trainer(1));
DROP TRIGGER log_deleter ON app.alerts;
DROP TABLE app.trigger_log;
DROP FUNCTION app.log_deleter();
DROP SCHEMA regress_bob_schema CASCADE;

--
-- install: create the extension and the shared fixture used by the other
-- files: the example coaching application (12 pairs, 4 messages per pair,
-- so 29 interaction rows per pair) and the regress_* roles.
--

-- The install and upgrade scripts refuse to be sourced outside CREATE or
-- ALTER EXTENSION: each prints how to load it and stops before its first
-- statement (pg_regress runs psql in the source directory), so nothing named
-- ct_cleanup exists afterwards.
\set ECHO none
\i ct_cleanup--1.2.sql
\i ct_cleanup--1.1.sql
\i ct_cleanup--1.0.sql
\i ct_cleanup--1.0--1.1.sql
\i ct_cleanup--1.1--1.2.sql
\set ECHO all
SELECT count(*) AS ct_cleanup_objects
FROM (SELECT proname FROM pg_proc WHERE proname LIKE 'ct_cleanup%'
      UNION ALL SELECT relname FROM pg_class WHERE relname LIKE 'ct_cleanup%'
      UNION ALL SELECT typname FROM pg_type WHERE typname LIKE '%ct_cleanup%'
      UNION ALL SELECT evtname FROM pg_event_trigger WHERE evtname LIKE 'ct_cleanup%'
      UNION ALL SELECT polname FROM pg_policy WHERE polname LIKE 'ct_cleanup%') o;

-- CREATE EXTENSION installs it.
CREATE EXTENSION ct_cleanup;

-- Every object the extension created, with its kind: nothing else.
SELECT pg_describe_object(classid, objid, 0) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ct_cleanup')
ORDER BY 1;

-- Every extension object and every column of its tables, views and type has a comment.
WITH members AS (
    SELECT classid, objid FROM pg_depend
    WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
      AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ct_cleanup')
)
SELECT pg_describe_object(m.classid, m.objid, 0) AS missing_comment
FROM members m
WHERE obj_description(m.objid, (SELECT relname FROM pg_class WHERE oid = m.classid)) IS NULL
  AND m.classid <> 'pg_type'::regclass          -- row types of tables and views
  AND NOT (m.classid = 'pg_class'::regclass
           AND (SELECT relkind FROM pg_class WHERE oid = m.objid) IN ('S', 'i'))
UNION ALL
SELECT format('%s.%s', c.relname, a.attname)
FROM members m
JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid AND c.relkind IN ('r', 'v')
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relname IN ('ct_cleanup_rule', 'ct_cleanup_setting', 'ct_cleanup_alias', 'ct_cleanup_audit')
  AND col_description(c.oid, a.attnum) IS NULL;

SELECT obj_description('ct_cleanup_result'::regtype, 'pg_type') IS NOT NULL AS result_type_commented;

-- The result type has exactly the contract's columns, in order.
SELECT attnum, attname, format_type(atttypid, atttypmod) AS type
FROM pg_attribute
WHERE attrelid = 'ct_cleanup_result'::regclass AND attnum > 0
ORDER BY attnum;

-- The audit log's columns.
SELECT attname, format_type(atttypid, atttypmod) AS type, attidentity
FROM pg_attribute
WHERE attrelid = 'ct_cleanup_audit'::regclass AND attnum > 0 AND NOT attisdropped
ORDER BY attnum;

-- The C entry points are SECURITY INVOKER with a pinned search_path.
SELECT p.oid::regprocedure AS function, p.prosecdef, p.proconfig, p.provolatile
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'ct_cleanup%'
ORDER BY 1::text;

-- Load the example application: owned by coach_app, registered, with data.
\set ECHO none
\o /dev/null
\i examples/coaching/schema.sql
\i examples/coaching/register.sql
\set pairs 12
\set rows 4
\i examples/coaching/generate.sql
\o
\set ECHO all

SELECT count(*) AS rules FROM ct_cleanup_rules;
SELECT count(*) AS profiles FROM app.profiles;

-- Helpers for the other files: the ids of client k and trainer j, and the
-- number of rows of each registered table (that still exists).
CREATE FUNCTION regress_client(k int) RETURNS uuid
    LANGUAGE sql IMMUTABLE RETURN md5('client-' || k)::uuid;
CREATE FUNCTION regress_trainer(j int) RETURNS uuid
    LANGUAGE sql IMMUTABLE RETURN md5('trainer-' || j)::uuid;
CREATE FUNCTION regress_table_rows() RETURNS TABLE (target text, n bigint)
    LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.target FROM ct_cleanup_rules c
             WHERE EXISTS (SELECT 1 FROM pg_class WHERE oid = c.target)
             ORDER BY c.target::text LOOP
        target := r.target::text;
        EXECUTE format('SELECT count(*) FROM %s', r.target) INTO n;
        RETURN NEXT;
    END LOOP;
END $$;

-- Rows deleted from the tables of schema app so far in this transaction,
-- from the transaction statistics, which count the deletions of rolled-back
-- subtransactions too: the difference across a failed call shows whether it
-- had deleted rows before its error (then undone with it) or none at all.
-- Only differences within one transaction mean anything.
CREATE FUNCTION regress_deletions() RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN (SELECT coalesce(sum(pg_stat_get_xact_tuples_deleted(c.oid)), 0)::bigint
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'app' AND c.relkind = 'r');

-- Runs a statement that must fail and shows its SQLSTATE and messages, with
-- OIDs (numbers of 5 or more digits, which differ between clusters; not
-- parts of uuids) masked.  The statement runs in the exception block's
-- subtransaction, which its error rolls back: the state read afterwards
-- cannot tell what the statement did before failing (regress_deletions()
-- can).
CREATE FUNCTION regress_error(stmt text)
RETURNS TABLE (code text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    code := 'no error';
    RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    message := regexp_replace(message, '(?<![-\w])\d{5,}(?![-\w])', 'N', 'g');
    detail := nullif(regexp_replace(detail, '(?<![-\w])\d{5,}(?![-\w])', 'N', 'g'), '');
    hint := nullif(regexp_replace(hint, '(?<![-\w])\d{5,}(?![-\w])', 'N', 'g'), '');
    RETURN NEXT;
END $$;

-- Roles: an admin role (set as admin_role), an admin, a NOINHERIT member,
-- and an ordinary user.  Admins get EXECUTE; bob gets it too, so that his
-- refusal comes from ct_cleanup itself.
CREATE ROLE regress_admins NOLOGIN;
CREATE ROLE regress_alice LOGIN IN ROLE regress_admins;
CREATE ROLE regress_noinherit LOGIN NOINHERIT IN ROLE regress_admins;
CREATE ROLE regress_bob LOGIN;
SELECT ct_cleanup_set('admin_role', 'regress_admins');
GRANT EXECUTE ON FUNCTION ct_cleanup(uuid, uuid, text), ct_cleanup_preview(uuid, uuid)
    TO regress_admins, regress_bob;

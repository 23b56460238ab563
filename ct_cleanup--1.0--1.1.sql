/* ct_cleanup--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION ct_cleanup UPDATE TO '1.1'" to load this file. \quit

------------------------------------------------------------------------------
-- Health check: ct_cleanup_check()
------------------------------------------------------------------------------

-- The report itself, in SQL; run as the extension owner by ct_cleanup_check(),
-- which checks the caller first.  pg_catalog comes first on the search_path,
-- so that nothing in the extension's schema can shadow a built-in.
CREATE FUNCTION @extschema@.ct_cleanup_check_report()
RETURNS TABLE (severity text, object text, problem text, hint text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
WITH rules AS (
    SELECT r.id, r.target, r.category, r.kind, r.column_a, r.column_b, r.parent, r.fk,
           c.oid IS NOT NULL AS present, c.relowner
    FROM ct_cleanup_rule AS r
    LEFT JOIN pg_class AS c ON c.oid = r.target
),
first_owner AS (
    SELECT relowner FROM rules WHERE present ORDER BY id LIMIT 1
),
matched AS (
    SELECT r.target, u.col, u.ord, a.attnum, a.atttypid
    FROM rules AS r
    CROSS JOIN LATERAL unnest(ARRAY[r.column_a, r.column_b]) WITH ORDINALITY AS u(col, ord)
    LEFT JOIN pg_attribute AS a
           ON a.attrelid = r.target AND a.attname = u.col AND a.attnum > 0 AND NOT a.attisdropped
    WHERE r.kind <> 'child' AND r.present
),
child_fks AS (
    SELECT r.target, r.category, r.parent, r.fk, con.oid AS conoid, con.confrelid, con.conkey
    FROM rules AS r
    LEFT JOIN pg_constraint AS con
           ON con.conrelid = r.target AND con.conname = r.fk AND con.contype = 'f'
    WHERE r.kind = 'child' AND r.present
),
index_starts AS (
    SELECT i.indrelid AS relid, i.indkey[0] AS attnum FROM pg_index AS i
),
entry_points AS (
    SELECT p.oid, p.prosecdef, p.proacl, p.proowner
    FROM pg_proc AS p
    WHERE p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'ct_cleanup')
      AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
      AND p.prorettype <> 'trigger'::regtype AND p.prorettype <> 'event_trigger'::regtype
),
settings AS (
    SELECT s.setting, s.value FROM ct_cleanup_setting AS s
),
problems (severity, object, problem, hint) AS (
    -- a registered table that vanished
    SELECT 'error', r.target::text,
           format('registered table (category "%s") no longer exists', r.category),
           format('SELECT ct_cleanup_unregister(%s);', r.target::oid)
    FROM rules AS r WHERE NOT r.present
    UNION ALL
    -- a matched column that vanished or is no longer uuid
    SELECT 'error', format('%s.%I', m.target, m.col),
           CASE WHEN m.attnum IS NULL THEN 'matched column no longer exists'
                ELSE format('matched column is of type %s, not uuid', format_type(m.atttypid, NULL)) END,
           format('Register %s again with its current columns (ct_cleanup_register).', m.target)
    FROM matched AS m
    WHERE m.attnum IS NULL
       OR (m.atttypid <> 'uuid'::regtype
           AND (SELECT t.typbasetype FROM pg_type AS t WHERE t.oid = m.atttypid) <> 'uuid'::regtype)
    UNION ALL
    -- a child rule's foreign key that vanished or no longer leads to the parent
    SELECT 'error', format('%s (foreign key %I)', f.target, f.fk),
           CASE WHEN f.conoid IS NULL THEN 'foreign key of the child rule no longer exists'
                ELSE format('foreign key no longer references %s', f.parent) END,
           format('SELECT ct_cleanup_register_child(%L, %L, %L);', f.category, f.target::text, f.parent::text)
    FROM child_fks AS f
    WHERE f.conoid IS NULL OR f.confrelid <> f.parent
    UNION ALL
    -- registered tables with different owners
    SELECT 'error', r.target::text,
           format('owned by role %I, other registered tables by %I; cleanups refuse to run',
                  r.relowner::regrole, o.relowner::regrole),
           format('ALTER TABLE %s OWNER TO %I;', r.target, o.relowner::regrole)
    FROM rules AS r, first_owner AS o
    WHERE r.present AND r.relowner <> o.relowner
    UNION ALL
    -- an unregistered table with a foreign key into a registered table
    SELECT CASE WHEN con.confdeltype IN ('a', 'r') THEN 'error' ELSE 'warning' END,
           format('%s (foreign key %I)', con.conrelid::regclass, con.conname),
           format('references registered table %s ON DELETE %s but is not registered: %s',
                  con.confrelid::regclass,
                  CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
                       WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END,
                  CASE WHEN con.confdeltype IN ('a', 'r')
                       THEN 'every cleanup touching such a row fails'
                       ELSE 'its rows vanish or change without being counted' END),
           format('SELECT ct_cleanup_register_child(%L, %L, %L, %L);', 'other',
                  con.conrelid::regclass::text, con.confrelid::regclass::text, con.conname)
    FROM pg_constraint AS con
    JOIN rules AS r ON r.target = con.confrelid AND r.present
    WHERE con.contype = 'f' AND con.conparentid = 0
      AND NOT EXISTS (SELECT 1 FROM rules AS r2 WHERE r2.target = con.conrelid)
    UNION ALL
    -- a pair or either rule without an index on either matched column
    SELECT 'warning', r.target::text,
           format('no index starts with %I or %I: every cleanup reads the whole table',
                  r.column_a, r.column_b),
           format('CREATE INDEX ON %s (%I, %I);', r.target, r.column_a, r.column_b)
    FROM rules AS r
    WHERE r.kind <> 'child' AND r.present
      AND NOT EXISTS (SELECT 1 FROM matched AS m JOIN index_starts AS l
                      ON l.relid = m.target AND l.attnum = m.attnum
                      WHERE m.target = r.target)
    UNION ALL
    -- a child rule whose foreign key columns no index starts with
    SELECT 'warning', format('%s (foreign key %I)', f.target, f.fk),
           format('no index starts with column %I: every cleanup reads the whole table',
                  (SELECT a.attname FROM pg_attribute AS a
                   WHERE a.attrelid = f.target AND a.attnum = f.conkey[1])),
           format('CREATE INDEX ON %s (%s);', f.target,
                  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
                   FROM unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute AS a ON a.attrelid = f.target AND a.attnum = k.attnum))
    FROM child_fks AS f
    WHERE f.conoid IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM index_starts AS l
                      WHERE l.relid = f.target AND l.attnum = f.conkey[1])
    UNION ALL
    -- the extension's own posture: functions altered to SECURITY DEFINER
    SELECT 'error', e.oid::regprocedure::text,
           'altered to SECURITY DEFINER: it refuses to run',
           format('ALTER FUNCTION %s SECURITY INVOKER;', e.oid::regprocedure)
    FROM entry_points AS e WHERE e.prosecdef
    UNION ALL
    -- ... EXECUTE granted to PUBLIC on a function that reads or deletes pairs
    SELECT 'warning', e.oid::regprocedure::text,
           'EXECUTE is granted to PUBLIC (the admin check still applies, but grant it to admins only)',
           format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC;', e.oid::regprocedure)
    FROM entry_points AS e
    WHERE e.oid::regproc::text NOT LIKE '%ct_cleanup_is_admin'
      AND EXISTS (SELECT 1 FROM aclexplode(coalesce(e.proacl, acldefault('f', e.proowner))) AS a
                  WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
    UNION ALL
    -- ... the admin role missing
    SELECT 'warning', 'setting admin_role',
           format('role %I does not exist: only superusers are admins', v.value),
           format('CREATE ROLE %I NOLOGIN;', v.value)
    FROM (SELECT coalesce((SELECT value FROM settings WHERE setting = 'admin_role'),
                          'ct_cleanup_admin') AS value) AS v
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v.value)
      AND NOT EXISTS (SELECT 1 FROM settings WHERE setting = 'admin_check')
    UNION ALL
    -- ... a function setting that vanished, or no longer pins its search_path
    SELECT 'error', format('setting %s', s.setting),
           CASE WHEN p.oid IS NULL THEN format('function %s does not exist', s.value)
                ELSE format('function %s does not pin its search_path', s.value) END,
           CASE WHEN p.oid IS NULL THEN format('SELECT ct_cleanup_set(%L, NULL);', s.setting)
                ELSE format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;', s.value) END
    FROM settings AS s
    LEFT JOIN pg_proc AS p ON p.oid = to_regprocedure(s.value)
    WHERE s.setting IN ('admin_check', 'actor_id')
      AND (p.oid IS NULL
           OR (p.prosqlbody IS NULL
               AND NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c
                                        WHERE c LIKE 'search\_path=%'), false)))
    UNION ALL
    -- ... a people relation that vanished
    SELECT 'error', format('setting %s', s.setting),
           format('relation %s does not exist', s.value),
           format('SELECT ct_cleanup_set(%L, NULL);', s.setting)
    FROM settings AS s
    WHERE s.setting IN ('clients', 'trainers') AND to_regclass(s.value) IS NULL
)
SELECT p.severity, p.object, p.problem, p.hint
FROM problems AS p
ORDER BY p.severity <> 'error', p.object, p.problem
$$;

COMMENT ON FUNCTION @extschema@.ct_cleanup_check_report() IS
    'The checks behind ct_cleanup_check(); owner only';

CREATE FUNCTION @extschema@.ct_cleanup_check()
RETURNS TABLE (severity text, object text, problem text, hint text)
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_check';

COMMENT ON FUNCTION @extschema@.ct_cleanup_check() IS
    'Problems of the registry, the settings and the extension''s privileges, errors first, each with the command that fixes it (admins only)';

------------------------------------------------------------------------------
-- Suggestions: ct_cleanup_suggest()
------------------------------------------------------------------------------

-- Tables reachable through foreign keys from registered tables, that are not
-- registered themselves, with the child registration that would cover them;
-- parents (registered or suggested) always come before their children.
CREATE FUNCTION @extschema@.ct_cleanup_suggest_report()
RETURNS TABLE (category text, target regclass, parent regclass, fk name)
LANGUAGE sql STABLE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
WITH RECURSIVE registered AS (
    SELECT r.target::oid AS relid FROM ct_cleanup_rule AS r
    WHERE EXISTS (SELECT 1 FROM pg_class AS c WHERE c.oid = r.target)
),
edges AS (
    SELECT con.conrelid AS child, con.confrelid AS parent, con.conname
    FROM pg_constraint AS con
    WHERE con.contype = 'f' AND con.conparentid = 0 AND con.conrelid <> con.confrelid
      AND NOT EXISTS (SELECT 1 FROM registered AS g WHERE g.relid = con.conrelid)
),
reach (child, parent, conname, depth, path) AS (
    SELECT e.child, e.parent, e.conname, 1, ARRAY[e.parent, e.child]
    FROM edges AS e JOIN registered AS g ON g.relid = e.parent
    UNION ALL
    SELECT e.child, e.parent, e.conname, r.depth + 1, r.path || e.child
    FROM edges AS e JOIN reach AS r ON e.parent = r.child
    WHERE e.child <> ALL (r.path)
)
SELECT 'other'::text, r.child::regclass, r.parent::regclass, r.conname
FROM (SELECT child, parent, conname, min(depth) AS depth
      FROM reach GROUP BY child, parent, conname) AS r
ORDER BY r.depth, r.child::regclass::text, r.parent::regclass::text, r.conname
$$;

COMMENT ON FUNCTION @extschema@.ct_cleanup_suggest_report() IS
    'The inference behind ct_cleanup_suggest(); owner only';

CREATE FUNCTION @extschema@.ct_cleanup_suggest()
RETURNS TABLE (category text, target regclass, parent regclass, fk name)
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_suggest';

COMMENT ON FUNCTION @extschema@.ct_cleanup_suggest() IS
    'Child registrations inferred from foreign keys into registered tables, parents first; never applied automatically (admins only)';

------------------------------------------------------------------------------
-- Drift guard
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.ct_cleanup_drift_guard()
RETURNS event_trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_drift_guard';

COMMENT ON FUNCTION @extschema@.ct_cleanup_drift_guard() IS
    'Event trigger function: removes the rules of dropped tables, and refuses to drop a registered parent whose registered children remain';

-- On every DROP: forget dropped tables, keep the registry consistent.
CREATE EVENT TRIGGER ct_cleanup_drift_guard ON sql_drop
    EXECUTE FUNCTION @extschema@.ct_cleanup_drift_guard();

COMMENT ON EVENT TRIGGER ct_cleanup_drift_guard IS
    'Keeps the ct_cleanup registry in step with dropped tables';

------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------

-- Reports describe the application: admins only (checked by the C wrappers).
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_check() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_suggest() FROM PUBLIC;
-- Run by the wrappers as the owner only.
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_check_report() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_suggest_report() FROM PUBLIC;
-- Only ever run as an event trigger.
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_drift_guard() FROM PUBLIC;

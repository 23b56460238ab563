/* ct_cleanup--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION ct_cleanup UPDATE TO '1.1'" to load this file. \quit

------------------------------------------------------------------------------
-- Audit log
------------------------------------------------------------------------------

-- New last column, NULL in the rows written by 1.0.
ALTER TABLE @extschema@.ct_cleanup_audit ADD COLUMN session_role name;

COMMENT ON COLUMN @extschema@.ct_cleanup_audit.session_role IS
    'Login role of the session that ran the cleanup (session_user); differs from admin_role after SET ROLE';

------------------------------------------------------------------------------
-- Health check: ct_cleanup_check()
------------------------------------------------------------------------------

-- The report itself, in SQL; run as the extension owner by ct_cleanup_check(),
-- which checks the caller first.  It runs with the owner's rights, so it must
-- not resolve any name through a schema that someone else can write (ours is
-- usually public): an unqualified "oid = regclass" would pick an exact-match
-- operator planted there over pg_catalog's, which needs a coercion.  Hence a
-- SQL-standard body, whose names are resolved once, here; every relation,
-- function and operator schema-qualified, IN and CASE x WHEN spelled with
-- OPERATOR(pg_catalog.=); and our schema off the search_path.
--
-- Names are shown as they were while our schema was on the search_path:
-- relations, types and functions of our schema unqualified, unless pg_catalog
-- has one of the same name.
CREATE FUNCTION @extschema@.ct_cleanup_check_report()
RETURNS TABLE (severity text, object text, problem text, hint text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
WITH ext AS (
    -- our schema, and what regclass and friends put before our names
    SELECT n.oid AS nsp, pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' AS prefix
    FROM pg_catalog.pg_extension AS e
    JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
    WHERE e.extname OPERATOR(pg_catalog.=) 'ct_cleanup'
),
names AS (
    -- every relation, named as regclass names it with our schema on the path
    SELECT c.oid,
           CASE WHEN c.relnamespace OPERATOR(pg_catalog.=) x.nsp
                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k
                                     WHERE k.relname OPERATOR(pg_catalog.=) c.relname
                                       AND k.relnamespace OPERATOR(pg_catalog.=)
                                           'pg_catalog'::pg_catalog.regnamespace)
                THEN pg_catalog.quote_ident(c.relname)
                ELSE c.oid::pg_catalog.regclass::pg_catalog.text END AS name
    FROM pg_catalog.pg_class AS c CROSS JOIN ext AS x
),
rules AS (
    SELECT r.id, r.target, r.category, r.kind, r.column_a, r.column_b, r.parent, r.fk,
           c.oid IS NOT NULL AS present, c.relowner,
           coalesce(t.name, r.target::pg_catalog.text) AS name
    FROM @extschema@.ct_cleanup_rule AS r
    LEFT JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) r.target
    LEFT JOIN names AS t ON t.oid OPERATOR(pg_catalog.=) r.target
),
first_owner AS (
    SELECT r.relowner FROM rules AS r WHERE r.present ORDER BY r.id LIMIT 1
),
matched AS (
    SELECT r.target, r.name, u.col, u.ord, a.attnum, a.atttypid
    FROM rules AS r
    CROSS JOIN LATERAL pg_catalog.unnest(ARRAY[r.column_a, r.column_b])
                       WITH ORDINALITY AS u(col, ord)
    LEFT JOIN pg_catalog.pg_attribute AS a
           ON a.attrelid OPERATOR(pg_catalog.=) r.target
          AND a.attname OPERATOR(pg_catalog.=) u.col
          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
    WHERE r.kind OPERATOR(pg_catalog.<>) 'child' AND r.present
),
type_names AS (
    -- the types of matched columns, named as format_type() names them with
    -- our schema on the path (an array by its element type)
    SELECT t.oid,
           CASE WHEN pg_catalog.starts_with(f.name, x.prefix)
                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type AS k
                                     WHERE k.typname OPERATOR(pg_catalog.=) coalesce(el.typname, t.typname)
                                       AND k.typnamespace OPERATOR(pg_catalog.=)
                                           'pg_catalog'::pg_catalog.regnamespace)
                THEN pg_catalog.substr(f.name, pg_catalog.length(x.prefix) OPERATOR(pg_catalog.+) 1)
                ELSE f.name END AS name
    FROM pg_catalog.pg_type AS t
    CROSS JOIN ext AS x
    CROSS JOIN LATERAL (SELECT pg_catalog.format_type(t.oid, NULL) AS name) AS f
    LEFT JOIN pg_catalog.pg_type AS el
           ON el.oid OPERATOR(pg_catalog.=) t.typelem
          AND t.typsubscript OPERATOR(pg_catalog.=)
              'pg_catalog.array_subscript_handler'::pg_catalog.regproc
    WHERE EXISTS (SELECT 1 FROM matched AS m WHERE m.atttypid OPERATOR(pg_catalog.=) t.oid)
),
child_fks AS (
    SELECT r.target, r.name, r.category, r.parent, r.fk,
           con.oid AS conoid, con.confrelid, con.conkey,
           coalesce(p.name, r.parent::pg_catalog.text) AS parent_name
    FROM rules AS r
    LEFT JOIN pg_catalog.pg_constraint AS con
           ON con.conrelid OPERATOR(pg_catalog.=) r.target
          AND con.conname OPERATOR(pg_catalog.=) r.fk
          AND con.contype OPERATOR(pg_catalog.=) 'f'
    LEFT JOIN names AS p ON p.oid OPERATOR(pg_catalog.=) r.parent
    WHERE r.kind OPERATOR(pg_catalog.=) 'child' AND r.present
),
index_starts AS (
    SELECT i.indrelid AS relid, i.indkey[0] AS attnum FROM pg_catalog.pg_index AS i
),
entry_points AS (
    -- our C functions but the trigger functions, named as regprocedure names
    -- them with our schema on the path
    SELECT p.oid, p.proname, p.prosecdef, p.proacl, p.proowner,
           CASE WHEN pg_catalog.starts_with(d.name, x.prefix)
                THEN pg_catalog.substr(d.name, pg_catalog.length(x.prefix) OPERATOR(pg_catalog.+) 1)
                ELSE d.name END AS name
    FROM pg_catalog.pg_proc AS p
    CROSS JOIN ext AS x
    CROSS JOIN LATERAL (SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text AS name) AS d
    WHERE p.pronamespace OPERATOR(pg_catalog.=) x.nsp
      AND p.prolang OPERATOR(pg_catalog.=) (SELECT l.oid FROM pg_catalog.pg_language AS l
                                            WHERE l.lanname OPERATOR(pg_catalog.=) 'c')
      AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.trigger'::pg_catalog.regtype
      AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.event_trigger'::pg_catalog.regtype
),
settings AS (
    SELECT s.setting, s.value FROM @extschema@.ct_cleanup_setting AS s
),
problems (severity, object, problem, hint) AS (
    -- a registered table that vanished
    SELECT 'error' AS severity, r.name,
           pg_catalog.format('registered table (category "%s") no longer exists', r.category),
           pg_catalog.format('SELECT ct_cleanup_unregister(%s);', r.target::pg_catalog.oid)
    FROM rules AS r WHERE NOT r.present
    UNION ALL
    -- a matched column that vanished or is no longer uuid
    SELECT 'error' AS severity, pg_catalog.format('%s.%I', m.name, m.col),
           CASE WHEN m.attnum IS NULL THEN 'matched column no longer exists'
                ELSE pg_catalog.format('matched column is of type %s, not uuid',
                                       (SELECT y.name FROM type_names AS y
                                        WHERE y.oid OPERATOR(pg_catalog.=) m.atttypid)) END,
           pg_catalog.format('Register %s again with its current columns (ct_cleanup_register).', m.name)
    FROM matched AS m
    WHERE m.attnum IS NULL
       OR (m.atttypid OPERATOR(pg_catalog.<>) 'pg_catalog.uuid'::pg_catalog.regtype
           AND (SELECT t.typbasetype FROM pg_catalog.pg_type AS t
                WHERE t.oid OPERATOR(pg_catalog.=) m.atttypid)
               OPERATOR(pg_catalog.<>) 'pg_catalog.uuid'::pg_catalog.regtype)
    UNION ALL
    -- a child rule's foreign key that vanished or no longer leads to the parent
    SELECT 'error' AS severity, pg_catalog.format('%s (foreign key %I)', f.name, f.fk),
           CASE WHEN f.conoid IS NULL THEN 'foreign key of the child rule no longer exists'
                ELSE pg_catalog.format('foreign key no longer references %s', f.parent_name) END,
           pg_catalog.format('SELECT ct_cleanup_register_child(%L, %L, %L);',
                             f.category, f.name, f.parent_name)
    FROM child_fks AS f
    WHERE f.conoid IS NULL OR f.confrelid OPERATOR(pg_catalog.<>) f.parent
    UNION ALL
    -- registered tables with different owners
    SELECT 'error' AS severity, r.name,
           pg_catalog.format('owned by role %s, other registered tables by %s; cleanups refuse to run',
                             r.relowner::pg_catalog.regrole, o.relowner::pg_catalog.regrole),
           pg_catalog.format('ALTER TABLE %s OWNER TO %s;', r.name, o.relowner::pg_catalog.regrole)
    FROM rules AS r, first_owner AS o
    WHERE r.present AND r.relowner OPERATOR(pg_catalog.<>) o.relowner
    UNION ALL
    -- an unregistered table with a foreign key into a registered table
    SELECT CASE WHEN con.confdeltype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'r']::pg_catalog."char"[])
                THEN 'error' ELSE 'warning' END,
           pg_catalog.format('%s (foreign key %I)', nc.name, con.conname),
           pg_catalog.format('references registered table %s ON DELETE %s but is not registered: %s',
                             r.name,
                             CASE WHEN con.confdeltype OPERATOR(pg_catalog.=) 'a' THEN 'NO ACTION'
                                  WHEN con.confdeltype OPERATOR(pg_catalog.=) 'r' THEN 'RESTRICT'
                                  WHEN con.confdeltype OPERATOR(pg_catalog.=) 'c' THEN 'CASCADE'
                                  WHEN con.confdeltype OPERATOR(pg_catalog.=) 'n' THEN 'SET NULL'
                                  ELSE 'SET DEFAULT' END,
                             CASE WHEN con.confdeltype OPERATOR(pg_catalog.=)
                                       ANY (ARRAY['a', 'r']::pg_catalog."char"[])
                                  THEN 'every cleanup touching such a row fails'
                                  ELSE 'its rows vanish or change without being counted' END),
           pg_catalog.format('SELECT ct_cleanup_register_child(%L, %L, %L, %L);', 'other',
                             nc.name, r.name, con.conname)
    FROM pg_catalog.pg_constraint AS con
    JOIN rules AS r ON r.target OPERATOR(pg_catalog.=) con.confrelid AND r.present
    JOIN names AS nc ON nc.oid OPERATOR(pg_catalog.=) con.conrelid
    WHERE con.contype OPERATOR(pg_catalog.=) 'f' AND con.conparentid OPERATOR(pg_catalog.=) 0
      AND NOT EXISTS (SELECT 1 FROM rules AS r2 WHERE r2.target OPERATOR(pg_catalog.=) con.conrelid)
    UNION ALL
    -- a pair or either rule without an index on either matched column
    SELECT 'warning' AS severity, r.name,
           pg_catalog.format('no index starts with %I or %I: every cleanup reads the whole table',
                             r.column_a, r.column_b),
           pg_catalog.format('CREATE INDEX ON %s (%I, %I);', r.name, r.column_a, r.column_b)
    FROM rules AS r
    WHERE r.kind OPERATOR(pg_catalog.<>) 'child' AND r.present
      AND NOT EXISTS (SELECT 1 FROM matched AS m JOIN index_starts AS l
                      ON l.relid OPERATOR(pg_catalog.=) m.target
                     AND l.attnum OPERATOR(pg_catalog.=) m.attnum
                      WHERE m.target OPERATOR(pg_catalog.=) r.target)
    UNION ALL
    -- a child rule whose foreign key columns no index starts with
    SELECT 'warning' AS severity, pg_catalog.format('%s (foreign key %I)', f.name, f.fk),
           pg_catalog.format('no index starts with column %I: every cleanup reads the whole table',
                             (SELECT a.attname FROM pg_catalog.pg_attribute AS a
                              WHERE a.attrelid OPERATOR(pg_catalog.=) f.target
                                AND a.attnum OPERATOR(pg_catalog.=) f.conkey[1])),
           pg_catalog.format('CREATE INDEX ON %s (%s);', f.name,
                             (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', '
                                                           ORDER BY k.ord)
                              FROM pg_catalog.unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
                              JOIN pg_catalog.pg_attribute AS a
                                ON a.attrelid OPERATOR(pg_catalog.=) f.target
                               AND a.attnum OPERATOR(pg_catalog.=) k.attnum))
    FROM child_fks AS f
    WHERE f.conoid IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM index_starts AS l
                      WHERE l.relid OPERATOR(pg_catalog.=) f.target
                        AND l.attnum OPERATOR(pg_catalog.=) f.conkey[1])
    UNION ALL
    -- the extension's own posture: functions altered to SECURITY DEFINER
    SELECT 'error' AS severity, e.name,
           'altered to SECURITY DEFINER: it refuses to run' AS problem,
           pg_catalog.format('ALTER FUNCTION %s SECURITY INVOKER;', e.name)
    FROM entry_points AS e WHERE e.prosecdef
    UNION ALL
    -- ... EXECUTE granted to PUBLIC on a function that reads or deletes pairs
    SELECT 'warning' AS severity, e.name,
           'EXECUTE is granted to PUBLIC (the admin check still applies, but grant it to admins only)' AS problem,
           pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC;', e.name)
    FROM entry_points AS e
    WHERE e.proname OPERATOR(pg_catalog.<>) 'ct_cleanup_is_admin'
      AND EXISTS (SELECT 1
                  FROM pg_catalog.aclexplode(coalesce(e.proacl,
                                                      pg_catalog.acldefault('f', e.proowner))) AS a
                  WHERE a.grantee OPERATOR(pg_catalog.=) 0
                    AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE')
    UNION ALL
    -- ... the admin role missing
    SELECT 'warning' AS severity, 'setting admin_role' AS object,
           pg_catalog.format('role %I does not exist: only superusers are admins', v.value),
           pg_catalog.format('CREATE ROLE %I NOLOGIN;', v.value)
    FROM (SELECT coalesce((SELECT s.value FROM settings AS s
                           WHERE s.setting OPERATOR(pg_catalog.=) 'admin_role'),
                          'ct_cleanup_admin') AS value) AS v
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS o
                      WHERE o.rolname OPERATOR(pg_catalog.=) v.value)
      AND NOT EXISTS (SELECT 1 FROM settings AS s
                      WHERE s.setting OPERATOR(pg_catalog.=) 'admin_check')
    UNION ALL
    -- ... a function setting that vanished, or no longer pins its search_path
    SELECT 'error' AS severity, pg_catalog.format('setting %s', s.setting),
           CASE WHEN p.oid IS NULL THEN pg_catalog.format('function %s does not exist', s.value)
                ELSE pg_catalog.format('function %s does not pin its search_path', s.value) END,
           CASE WHEN p.oid IS NULL THEN pg_catalog.format('SELECT ct_cleanup_set(%L, NULL);', s.setting)
                ELSE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;',
                                       s.value) END
    FROM settings AS s
    LEFT JOIN pg_catalog.pg_proc AS p
           ON p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(s.value)
    WHERE s.setting OPERATOR(pg_catalog.=) ANY (ARRAY['admin_check', 'actor_id'])
      AND (p.oid IS NULL
           OR (p.prosqlbody IS NULL
               -- pinned: pg_temp listed last, no "$user" (as ct_cleanup_set requires)
               AND NOT coalesce(EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) AS c
                                        WHERE c OPERATOR(pg_catalog.~) '^search_path=(.*, *)?"?pg_temp"?$'
                                          AND NOT c OPERATOR(pg_catalog.~~) '%$user%'),
                                false)))
    UNION ALL
    -- ... a people relation that vanished
    SELECT 'error' AS severity, pg_catalog.format('setting %s', s.setting),
           pg_catalog.format('relation %s does not exist', s.value),
           pg_catalog.format('SELECT ct_cleanup_set(%L, NULL);', s.setting)
    FROM settings AS s
    WHERE s.setting OPERATOR(pg_catalog.=) ANY (ARRAY['clients', 'trainers'])
      AND pg_catalog.to_regclass(s.value) IS NULL
)
SELECT p.severity, p.object, p.problem, p.hint
FROM problems AS p
ORDER BY p.severity OPERATOR(pg_catalog.<>) 'error', p.object, p.problem;
END;

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
-- parents (registered or suggested) always come before their children.  Run
-- as the extension owner by ct_cleanup_suggest(): qualified like
-- ct_cleanup_check_report() above, and ordered by the same names.
CREATE FUNCTION @extschema@.ct_cleanup_suggest_report()
RETURNS TABLE (category text, target regclass, parent regclass, fk name)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
WITH RECURSIVE ext AS (
    -- our schema; names as in ct_cleanup_check_report()
    SELECT n.oid AS nsp
    FROM pg_catalog.pg_extension AS e
    JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
    WHERE e.extname OPERATOR(pg_catalog.=) 'ct_cleanup'
),
names AS (
    SELECT c.oid,
           CASE WHEN c.relnamespace OPERATOR(pg_catalog.=) x.nsp
                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k
                                     WHERE k.relname OPERATOR(pg_catalog.=) c.relname
                                       AND k.relnamespace OPERATOR(pg_catalog.=)
                                           'pg_catalog'::pg_catalog.regnamespace)
                THEN pg_catalog.quote_ident(c.relname)
                ELSE c.oid::pg_catalog.regclass::pg_catalog.text END AS name
    FROM pg_catalog.pg_class AS c CROSS JOIN ext AS x
),
registered AS (
    SELECT r.target::pg_catalog.oid AS relid FROM @extschema@.ct_cleanup_rule AS r
    WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) r.target)
),
edges AS (
    SELECT con.conrelid AS child, con.confrelid AS parent, con.conname
    FROM pg_catalog.pg_constraint AS con
    WHERE con.contype OPERATOR(pg_catalog.=) 'f' AND con.conparentid OPERATOR(pg_catalog.=) 0
      AND con.conrelid OPERATOR(pg_catalog.<>) con.confrelid
      AND NOT EXISTS (SELECT 1 FROM registered AS g WHERE g.relid OPERATOR(pg_catalog.=) con.conrelid)
),
reach (child, parent, conname, depth, path) AS (
    SELECT e.child, e.parent, e.conname, 1, ARRAY[e.parent, e.child]
    FROM edges AS e JOIN registered AS g ON g.relid OPERATOR(pg_catalog.=) e.parent
    UNION ALL
    SELECT e.child, e.parent, e.conname, r.depth OPERATOR(pg_catalog.+) 1,
           r.path OPERATOR(pg_catalog.||) e.child
    FROM edges AS e JOIN reach AS r ON e.parent OPERATOR(pg_catalog.=) r.child
    WHERE e.child OPERATOR(pg_catalog.<>) ALL (r.path)
)
SELECT 'other'::pg_catalog.text, r.child::pg_catalog.regclass, r.parent::pg_catalog.regclass, r.conname
FROM (SELECT s.child, s.parent, s.conname, pg_catalog.min(s.depth) AS depth
      FROM reach AS s GROUP BY s.child, s.parent, s.conname) AS r
JOIN names AS nc ON nc.oid OPERATOR(pg_catalog.=) r.child
JOIN names AS np ON np.oid OPERATOR(pg_catalog.=) r.parent
ORDER BY r.depth, nc.name, np.name, r.conname;
END;

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

-- ALWAYS: session_replication_role = replica must not switch the guard off.
ALTER EVENT TRIGGER ct_cleanup_drift_guard ENABLE ALWAYS;

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

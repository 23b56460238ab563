/* ct_cleanup--1.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ct_cleanup" to load this file. \quit

-- While this script runs, search_path is "<extension schema>, pg_temp", so the
-- unqualified names in regclass literals below resolve to our own objects.

------------------------------------------------------------------------------
-- The result of a cleanup or preview
------------------------------------------------------------------------------

CREATE TYPE @extschema@.ct_cleanup_result AS (
    client_id                uuid,
    trainer_id               uuid,
    messages                 bigint,
    conversations            bigint,
    read_receipts            bigint,
    discovery_calls          bigint,
    call_feedback            bigint,
    feedback_responses       bigint,
    call_notes               bigint,
    call_notifications       bigint,
    engagement_records       bigint,
    coach_selection_requests bigint,
    waitlist_entries         bigint,
    alerts                   bigint,
    feedback_notifications   bigint,
    other                    bigint,
    total                    bigint,
    details                  jsonb,
    audit_id                 bigint
);

COMMENT ON TYPE @extschema@.ct_cleanup_result IS
    'Rows deleted (or, for a preview, that would be deleted) per category for one client/trainer pair';

------------------------------------------------------------------------------
-- Registry of interaction tables
------------------------------------------------------------------------------

CREATE TABLE @extschema@.ct_cleanup_rule (
    id        bigint GENERATED ALWAYS AS IDENTITY,
    target    regclass NOT NULL,
    category  text NOT NULL,
    kind      text NOT NULL,
    column_a  name,
    column_b  name,
    parent    regclass,
    fk        name,
    CONSTRAINT ct_cleanup_rule_pkey PRIMARY KEY (target),
    CONSTRAINT ct_cleanup_rule_id_key UNIQUE (id),
    CONSTRAINT ct_cleanup_rule_category_check
        CHECK (category ~ '^[a-z][a-z0-9_]*$' AND octet_length(category) < 64),
    CONSTRAINT ct_cleanup_rule_kind_check
        CHECK (kind IN ('pair', 'either', 'child')),
    CONSTRAINT ct_cleanup_rule_shape_check
        CHECK (CASE WHEN kind = 'child'
                    THEN parent IS NOT NULL AND fk IS NOT NULL
                         AND column_a IS NULL AND column_b IS NULL
                    ELSE parent IS NULL AND fk IS NULL
                         AND column_a IS NOT NULL AND column_b IS NOT NULL
                         AND column_a <> column_b
               END)
);

CREATE INDEX ct_cleanup_rule_parent_idx ON @extschema@.ct_cleanup_rule (parent);

COMMENT ON TABLE @extschema@.ct_cleanup_rule IS
    'Registered interaction tables and how to find a pair''s rows in each; change through ct_cleanup_register*()';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.id IS
    'Registration order; the cleanup processes rules by depth, then by this number';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.target IS 'The interaction table';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.category IS
    'Result column the rows are counted in (a name of ct_cleanup_result, else counted in "other")';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.kind IS
    'pair: column_a = client and column_b = trainer; either: the two columns hold the pair in either order; child: rows referencing deleted rows of parent';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.column_a IS
    'Client column (pair) or first column (either)';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.column_b IS
    'Trainer column (pair) or second column (either)';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.parent IS
    'Registered table whose deleted rows this child table references (child rules only)';
COMMENT ON COLUMN @extschema@.ct_cleanup_rule.fk IS
    'Name of the foreign key constraint from target to parent (child rules only)';

-- Registry rules are user data: pg_dump must keep them.
SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_rule', '');
SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_rule_id_seq', '');

------------------------------------------------------------------------------
-- Settings
------------------------------------------------------------------------------

CREATE TABLE @extschema@.ct_cleanup_setting (
    setting   text NOT NULL,
    value     text NOT NULL,
    CONSTRAINT ct_cleanup_setting_pkey PRIMARY KEY (setting),
    CONSTRAINT ct_cleanup_setting_name_check
        CHECK (setting IN ('admin_role', 'admin_check', 'actor_id', 'clients', 'trainers'))
);

COMMENT ON TABLE @extschema@.ct_cleanup_setting IS
    'Settings changed from their defaults; change through ct_cleanup_set(), read through ct_cleanup_settings';
COMMENT ON COLUMN @extschema@.ct_cleanup_setting.setting IS 'Name of the setting';
COMMENT ON COLUMN @extschema@.ct_cleanup_setting.value IS 'Value of the setting, as text';

SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_setting', '');

------------------------------------------------------------------------------
-- Audit log
------------------------------------------------------------------------------

CREATE TABLE @extschema@.ct_cleanup_audit (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    performed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    admin_role    name NOT NULL,
    actor_id      text,
    client_id     uuid NOT NULL,
    trainer_id    uuid NOT NULL,
    counts        jsonb NOT NULL,
    details       jsonb NOT NULL,
    total         bigint NOT NULL,
    reason        text,
    CONSTRAINT ct_cleanup_audit_pkey PRIMARY KEY (id)
);

CREATE INDEX ct_cleanup_audit_pair_idx
    ON @extschema@.ct_cleanup_audit (client_id, trainer_id);
CREATE INDEX ct_cleanup_audit_performed_at_idx
    ON @extschema@.ct_cleanup_audit (performed_at);

COMMENT ON TABLE @extschema@.ct_cleanup_audit IS
    'One row per cleanup: who removed which pair''s interactions, how many rows, when and why (append-only)';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.id IS 'Audit row number, returned as audit_id by ct_cleanup()';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.performed_at IS 'Start of the transaction that ran the cleanup';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.admin_role IS
    'Database role whose privileges were in effect where ct_cleanup() was called';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.actor_id IS
    'Acting application user, from the actor_id setting; NULL when not configured';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.client_id IS 'The client of the pair';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.trainer_id IS 'The trainer of the pair';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.counts IS 'Rows deleted per category, all 14 categories';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.details IS 'Rows deleted per registered table, keyed by qualified table name';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.total IS 'Rows deleted in all';
COMMENT ON COLUMN @extschema@.ct_cleanup_audit.reason IS 'Reason given by the caller';

SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_audit', '');
SELECT pg_catalog.pg_extension_config_dump('ct_cleanup_audit_id_seq', '');

-- Append-only: refuse UPDATE, DELETE and TRUNCATE unless the current user is a
-- superuser.  Statement-level, so it fires even when no row matches.
CREATE FUNCTION @extschema@.ct_cleanup_audit_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles AS r
                     WHERE r.rolname OPERATOR(pg_catalog.=) current_user), false) THEN
        RAISE EXCEPTION 'audit log "%" is append-only', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role %I attempted %s.', current_user, TG_OP),
                  HINT = 'Only a superuser can change or remove audit rows.';
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION @extschema@.ct_cleanup_audit_guard() IS
    'Trigger function keeping ct_cleanup_audit append-only for every role but superusers';

CREATE TRIGGER ct_cleanup_audit_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.ct_cleanup_audit
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ct_cleanup_audit_guard();

-- ALWAYS: session_replication_role = replica must not switch the guard off.
ALTER TABLE @extschema@.ct_cleanup_audit
    ENABLE ALWAYS TRIGGER ct_cleanup_audit_append_only;

-- Admins read every row, others none: see the policy below, created once
-- ct_cleanup_is_admin() exists.
ALTER TABLE @extschema@.ct_cleanup_audit ENABLE ROW LEVEL SECURITY;

------------------------------------------------------------------------------
-- C entry points
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.ct_cleanup_is_admin()
RETURNS boolean
LANGUAGE C STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_is_admin';

COMMENT ON FUNCTION @extschema@.ct_cleanup_is_admin() IS
    'True when the current user is a superuser, has the privileges of the admin_role setting, or passes the admin_check function';

CREATE FUNCTION @extschema@.ct_cleanup_preview(client uuid, trainer uuid)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_preview';

COMMENT ON FUNCTION @extschema@.ct_cleanup_preview(uuid, uuid) IS
    'Counts the rows ct_cleanup() would delete for the pair now, deleting nothing (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup(client uuid, trainer uuid, reason text DEFAULT NULL)
RETURNS @extschema@.ct_cleanup_result
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup';

COMMENT ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text) IS
    'Deletes every registered interaction row of the pair in one statement, writes an audit row and returns the counts (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_many(clients uuid[], trainers uuid[],
                                            reason text DEFAULT NULL)
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_many';

COMMENT ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text) IS
    'Deletes the interactions of every pair (clients[i], trainers[i]) in one statement, one audit row and one result row per pair (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_preview_many(clients uuid[], trainers uuid[])
RETURNS SETOF @extschema@.ct_cleanup_result
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_preview_many';

COMMENT ON FUNCTION @extschema@.ct_cleanup_preview_many(uuid[], uuid[]) IS
    'Counts what ct_cleanup_many would delete for every pair now, deleting nothing (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_people(kind text, search text DEFAULT NULL,
                                              max_rows integer DEFAULT 50)
RETURNS TABLE (id uuid, name text)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 50
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_people';

COMMENT ON FUNCTION @extschema@.ct_cleanup_people(text, text, integer) IS
    'Clients or trainers whose name contains search, case-insensitively, ordered by name (admins only)';

CREATE FUNCTION @extschema@.ct_cleanup_register(category text, target regclass,
                                                client_column name, trainer_column name)
RETURNS void
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_register';

COMMENT ON FUNCTION @extschema@.ct_cleanup_register(text, regclass, name, name) IS
    'Registers a table whose rows belong to the pair when client_column = client and trainer_column = trainer';

CREATE FUNCTION @extschema@.ct_cleanup_register_either(category text, target regclass,
                                                       column_a name, column_b name)
RETURNS void
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_register_either';

COMMENT ON FUNCTION @extschema@.ct_cleanup_register_either(text, regclass, name, name) IS
    'Registers a table whose rows belong to the pair when (column_a, column_b) holds the client and the trainer in either order';

CREATE FUNCTION @extschema@.ct_cleanup_register_child(category text, target regclass,
                                                      parent regclass, fk name DEFAULT NULL)
RETURNS void
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_register_child';

COMMENT ON FUNCTION @extschema@.ct_cleanup_register_child(text, regclass, regclass, name) IS
    'Registers a table whose rows reference, through foreign key fk, rows of a registered parent that the cleanup deletes';

CREATE FUNCTION @extschema@.ct_cleanup_unregister(target regclass)
RETURNS void
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_unregister';

COMMENT ON FUNCTION @extschema@.ct_cleanup_unregister(regclass) IS
    'Removes the rule of a registered table that has no registered children';

CREATE FUNCTION @extschema@.ct_cleanup_set(setting text, value text)
RETURNS void
LANGUAGE C VOLATILE CALLED ON NULL INPUT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'ct_cleanup_set';

COMMENT ON FUNCTION @extschema@.ct_cleanup_set(text, text) IS
    'Changes one setting; NULL resets it to its default (extension owner or superuser only)';

-- Admins read every audit row, others none.  pg_dump (15.20 measured) does
-- not dump policies of extension tables, so CREATE EXTENSION at restore time
-- recreates this one and nothing collides (see README, "Backup and restore").
CREATE POLICY ct_cleanup_audit_admins ON @extschema@.ct_cleanup_audit
    FOR SELECT
    USING ((SELECT @extschema@.ct_cleanup_is_admin()));

-- Every backend caches the registry and the settings; a change to either
-- table broadcasts a relcache invalidation that drops those caches at commit.
CREATE FUNCTION @extschema@.ct_cleanup_changed()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'ct_cleanup_changed';

COMMENT ON FUNCTION @extschema@.ct_cleanup_changed() IS
    'Trigger function telling every backend that the registry or the settings changed';

CREATE TRIGGER ct_cleanup_rule_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.ct_cleanup_rule
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ct_cleanup_changed();
CREATE TRIGGER ct_cleanup_setting_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.ct_cleanup_setting
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ct_cleanup_changed();
-- ALWAYS: also during replication-mode restores.
ALTER TABLE @extschema@.ct_cleanup_rule ENABLE ALWAYS TRIGGER ct_cleanup_rule_changed;
ALTER TABLE @extschema@.ct_cleanup_setting ENABLE ALWAYS TRIGGER ct_cleanup_setting_changed;

------------------------------------------------------------------------------
-- Views
------------------------------------------------------------------------------

-- Processing order: parents before children (by depth), then registration
-- order.  A child whose parent is not registered (possible only by editing
-- ct_cleanup_rule directly) is listed last, and the cleanup refuses it.
CREATE VIEW @extschema@.ct_cleanup_rules AS
WITH RECURSIVE tree AS (
    SELECT r.id, r.target, 1 AS depth
    FROM @extschema@.ct_cleanup_rule AS r
    WHERE r.parent IS NULL
    UNION ALL
    SELECT c.id, c.target, t.depth OPERATOR(pg_catalog.+) 1
    FROM @extschema@.ct_cleanup_rule AS c
    JOIN tree AS t ON c.parent OPERATOR(pg_catalog.=) t.target
)
SELECT pg_catalog.row_number() OVER (ORDER BY t.depth NULLS LAST, r.id) AS position,
       r.category,
       r.target,
       r.kind,
       CASE WHEN r.kind OPERATOR(pg_catalog.<>) 'child'
            THEN ARRAY[r.column_a, r.column_b] END AS columns,
       r.parent,
       r.fk
FROM @extschema@.ct_cleanup_rule AS r
LEFT JOIN tree AS t ON t.id OPERATOR(pg_catalog.=) r.id
ORDER BY t.depth NULLS LAST, r.id;

COMMENT ON VIEW @extschema@.ct_cleanup_rules IS
    'One row per registered table, in the order the cleanup processes them';

CREATE VIEW @extschema@.ct_cleanup_settings AS
SELECT d.setting,
       coalesce(s.value, d.default_value) AS value,
       d.default_value,
       d.description
FROM (VALUES
        ('admin_role', 'ct_cleanup_admin',
         'Roles with the privileges of this role are admins; while it does not exist, only superusers are'),
        ('admin_check', NULL,
         'Schema-qualified boolean function with no arguments; when it returns true the caller is an admin too'),
        ('actor_id', NULL,
         'Schema-qualified function with no arguments; its result, as text, is written to each audit row as the acting application user'),
        ('clients', NULL,
         'Schema-qualified table or view (id uuid, name text) of the clients; ids not in it are refused'),
        ('trainers', NULL,
         'Schema-qualified table or view (id uuid, name text) of the trainers; ids not in it are refused')
     ) AS d (setting, default_value, description)
LEFT JOIN @extschema@.ct_cleanup_setting AS s
       ON s.setting OPERATOR(pg_catalog.=) d.setting
ORDER BY d.setting;

COMMENT ON VIEW @extschema@.ct_cleanup_settings IS
    'Every setting with its current value, default and meaning';

------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------

-- Registry, settings and audit rows are written only through the functions.
REVOKE ALL ON TABLE @extschema@.ct_cleanup_rule FROM PUBLIC;
REVOKE ALL ON TABLE @extschema@.ct_cleanup_setting FROM PUBLIC;
REVOKE ALL ON TABLE @extschema@.ct_cleanup_audit FROM PUBLIC;

-- Row-level security decides which audit rows a reader sees (admins: all).
GRANT SELECT ON TABLE @extschema@.ct_cleanup_audit TO PUBLIC;

-- The registry and settings describe the application: owner only by default;
-- the README shows how to let an admin role read them.
REVOKE ALL ON TABLE @extschema@.ct_cleanup_rules FROM PUBLIC;
REVOKE ALL ON TABLE @extschema@.ct_cleanup_settings FROM PUBLIC;

-- Deletes data or shows who interacted with whom: admins only, granted explicitly.
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup(uuid, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_preview(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_people(text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_many(uuid[], uuid[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_preview_many(uuid[], uuid[]) FROM PUBLIC;

-- Change the registry or settings: extension owner (or superuser) only.
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register(text, regclass, name, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register_either(text, regclass, name, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_register_child(text, regclass, regclass, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_unregister(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_set(text, text) FROM PUBLIC;

-- Only ever run as triggers.
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_audit_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ct_cleanup_changed() FROM PUBLIC;

-- ct_cleanup_is_admin() stays executable by PUBLIC: row-level security
-- policies of the application call it.

-- Added in 1.1 ------------------------------------------------------------

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
